package engine

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"time"
	"unicode"
	"unicode/utf8"
)

// Limits on what a signal may carry.
const (
	MaxNameLen     = 64       // account ids and stream names
	MaxIDLen       = 256      // feed, viewer, media, token, transcoder ids and other free text
	MaxMetadataLen = 16 << 10 // bytes of a media signal's metadata object
	maxCreatedOn   = 64       // an ISO-8601 time is far shorter
	nameRule       = "must be 1-64 characters of letters, digits, _ - ."
	idRule         = "must be 1-256 bytes of UTF-8 text without control characters"
	kindRule       = "must be one of feed.started, feed.heartbeat, feed.ended, viewer.connected, viewer.disconnected, viewer.attempted, media.updated, transcoder.updated"
	notNegative    = "must not be negative"
)

// SignalError says which field of a signal breaks the rules, and why. Field is the
// field's name in interfaces.md §3, the name clients and adapters both know, so the
// edge that took the signal can show the error as is; where in a request the signal
// was is the edge's to add.
type SignalError struct {
	Field  string
	Reason string
}

func (e *SignalError) Error() string { return e.Field + ": " + e.Reason }

func fieldErr(field, reason string) error {
	return &SignalError{Field: field, Reason: reason}
}

// One bit per optional field, to check in one step which fields a kind takes.
const (
	fName uint32 = 1 << iota
	fFeedID
	fPriority
	fSourceID
	fSimulcastID
	fReason
	fViewerID
	fEvent
	fMediaAssetID
	fType
	fStreamName
	fTokenID
	fStartTime
	fExpiration
	fMetadata
	fTranscoderID
	fTranscoderName
	fCluster
	fCreatedOn
)

var fieldNames = [...]string{"name", "feedId", "priority", "sourceId", "simulcastId", "reason", "viewerId",
	"event", "mediaAssetId", "type", "streamName", "tokenId", "startTime", "expiration", "metadata",
	"transcoderId", "transcoderName", "cluster", "createdOn"}

// allowed lists the fields each kind takes besides kind, accountId and at.
var allowed = map[Kind]uint32{
	FeedStarted:        fName | fFeedID | fPriority | fSourceID | fSimulcastID,
	FeedHeartbeat:      fName | fFeedID,
	FeedEnded:          fName | fFeedID | fReason,
	ViewerConnected:    fName | fViewerID,
	ViewerDisconnected: fName | fViewerID,
	ViewerAttempted:    fName | fViewerID,
	MediaUpdated:       fEvent | fMediaAssetID | fType | fStreamName | fTokenID | fStartTime | fExpiration | fMetadata,
	TranscoderUpdated:  fEvent | fTranscoderID | fTranscoderName | fCluster | fCreatedOn,
}

func (s *Signal) present() uint32 {
	var m uint32
	set := func(bit uint32, ok bool) {
		if ok {
			m |= bit
		}
	}
	set(fName, s.Name != "")
	set(fFeedID, s.FeedID != "")
	set(fPriority, s.Priority != nil)
	set(fSourceID, s.SourceID != "")
	set(fSimulcastID, s.SimulcastID != "")
	set(fReason, s.Reason != "")
	set(fViewerID, s.ViewerID != "")
	set(fEvent, s.Event != "")
	set(fMediaAssetID, s.MediaAssetID != "")
	set(fType, s.Type != "")
	set(fStreamName, s.StreamName != "")
	set(fTokenID, s.TokenID != "")
	set(fStartTime, s.StartTime != 0)
	set(fExpiration, s.Expiration != 0)
	set(fMetadata, len(s.Metadata) > 0 && string(bytes.TrimSpace(s.Metadata)) != "null")
	set(fTranscoderID, s.TranscoderID != "")
	set(fTranscoderName, s.TranscoderName != "")
	set(fCluster, s.Cluster != "")
	set(fCreatedOn, s.CreatedOn != "")
	return m
}

// Validate checks a signal before it is applied: a known kind, valid account id and
// stream name, the fields the kind requires, no field it does not take, and enums.
// The error is a *SignalError naming the field. A signal that passed Validate never
// makes Apply or Event.Body fail.
func (s *Signal) Validate() error {
	if s.Kind == "" {
		return fieldErr("kind", "required")
	}
	ok, known := allowed[s.Kind]
	if !known {
		return fieldErr("kind", kindRule)
	}
	if err := checkName("accountId", s.AccountID); err != nil {
		return err
	}
	if s.At < 0 {
		return fieldErr("at", notNegative)
	}
	if err := checkID("id", s.ID, false); err != nil {
		return err
	}
	if extra := s.present() &^ ok; extra != 0 {
		for i, n := range fieldNames {
			if extra&(1<<i) != 0 {
				return fieldErr(n, "not allowed for kind "+string(s.Kind))
			}
		}
	}
	if s.ViewersClosed && s.Kind != FeedEnded {
		return fieldErr("viewersClosed", "only for feed.ended")
	}
	switch s.Kind {
	case MediaUpdated:
		return s.validateMedia()
	case TranscoderUpdated:
		return s.validateTranscoder()
	}
	if err := checkName("name", s.Name); err != nil {
		return err
	}
	switch s.Kind {
	case FeedStarted, FeedHeartbeat, FeedEnded:
		if err := checkID("feedId", s.FeedID, true); err != nil {
			return err
		}
	case ViewerConnected, ViewerDisconnected:
		return checkID("viewerId", s.ViewerID, true)
	case ViewerAttempted:
		return checkID("viewerId", s.ViewerID, false)
	}
	if s.Priority != nil && (math.IsNaN(*s.Priority) || math.IsInf(*s.Priority, 0)) {
		return fieldErr("priority", "must be a finite number")
	}
	if err := checkID("sourceId", s.SourceID, false); err != nil {
		return err
	}
	if err := checkID("simulcastId", s.SimulcastID, false); err != nil {
		return err
	}
	if s.Reason != "" && s.Reason != ReasonPublisher && s.Reason != ReasonTimeout {
		return fieldErr("reason", "must be publisher or timeout")
	}
	return nil
}

func (s *Signal) validateMedia() error {
	switch s.Event {
	case "":
		return fieldErr("event", "required")
	case "processing", "completed", "errored", "deleted":
	default:
		return fieldErr("event", "must be one of processing, completed, errored, deleted")
	}
	if err := checkID("mediaAssetId", s.MediaAssetID, true); err != nil {
		return err
	}
	switch s.Type {
	case "":
		return fieldErr("type", "required")
	case "clip", "recording":
	default:
		return fieldErr("type", "must be clip or recording")
	}
	if err := checkName("streamName", s.StreamName); err != nil {
		return err
	}
	if err := checkID("tokenId", s.TokenID, false); err != nil {
		return err
	}
	if s.StartTime < 0 {
		return fieldErr("startTime", notNegative)
	}
	if s.Expiration < 0 {
		return fieldErr("expiration", notNegative)
	}
	if len(s.Metadata) > MaxMetadataLen {
		return fieldErr("metadata", fmt.Sprintf("must be at most %d bytes", MaxMetadataLen))
	}
	if m := bytes.TrimSpace(s.Metadata); len(m) > 0 && string(m) != "null" {
		if m[0] != '{' || !json.Valid(m) {
			return fieldErr("metadata", "must be a JSON object")
		}
	}
	return nil
}

func (s *Signal) validateTranscoder() error {
	switch s.Event {
	case "":
		return fieldErr("event", "required")
	case "ACTIVE", "STOPPED", "DELETED":
	default:
		return fieldErr("event", "must be one of ACTIVE, STOPPED, DELETED")
	}
	for _, f := range [...]struct{ name, v string }{
		{"transcoderId", s.TranscoderID}, {"transcoderName", s.TranscoderName}, {"cluster", s.Cluster},
	} {
		if err := checkID(f.name, f.v, true); err != nil {
			return err
		}
	}
	if s.CreatedOn == "" {
		return fieldErr("createdOn", "required")
	}
	if len(s.CreatedOn) > maxCreatedOn {
		return fieldErr("createdOn", "must be an ISO-8601 date and time (RFC 3339)")
	}
	if _, err := time.Parse(time.RFC3339, s.CreatedOn); err != nil {
		return fieldErr("createdOn", "must be an ISO-8601 date and time (RFC 3339)")
	}
	return nil
}

// checkName enforces the rule for account ids and stream names: they appear in
// paths, streamIds (accountId/name) and filters, so only a plain alphabet is allowed.
func checkName(field, v string) error {
	if v == "" {
		return fieldErr(field, "required")
	}
	if !validName(v) {
		return fieldErr(field, nameRule)
	}
	return nil
}

func validName(v string) bool {
	if len(v) == 0 || len(v) > MaxNameLen {
		return false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// checkID accepts free-form ids: any printable UTF-8, bounded so a state stays small.
func checkID(field, v string, required bool) error {
	if v == "" {
		if required {
			return fieldErr(field, "required")
		}
		return nil
	}
	if !validID(v) {
		return fieldErr(field, idRule)
	}
	return nil
}

func validID(v string) bool {
	if len(v) == 0 || len(v) > MaxIDLen || !utf8.ValidString(v) {
		return false
	}
	for _, r := range v {
		if unicode.IsControl(r) {
			return false
		}
	}
	return true
}
