// Package sample builds realistic example webhooks, one per type and event, as
// `hookcast trigger` sends them and the API's test endpoint delivers them. The
// values follow the examples of the Millicast documentation.
package sample

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/hookcast/hookcast/webhook"
)

// The sample stream: one account, one stream, one feed, one token, so a
// receiver under test sees consistent ids across types.
const (
	AccountID    = "ZG6NWV"
	StreamName   = "sample_stream"
	StreamID     = AccountID + "/" + StreamName
	FeedID       = "369e4a86-f937-4254-bd9f-99dc484d2bd6"
	TokenID      = "1187282"
	MediaAssetID = "c6631104197a4091943775697948adbe"
	RecordFileID = "5e3b2a9f0c7d4e1a8b6f2d4c9e1a7b3f"
	TranscoderID = "0d09f40c-2988-47aa-8ac7-dca04b971cf1"
)

// ErrUnknown is returned for a type or event that has no sample; the error text
// lists the valid names.
var ErrUnknown = errors.New("sample: unknown webhook")

// Names returns every sample as "type.event" in canonical case, in the order of
// the specification (feeds.started … thumbnail.captured).
func Names() []string {
	var names []string
	for _, t := range webhook.Types() {
		for _, e := range webhook.Events(t) {
			names = append(names, t+"."+e)
		}
	}
	return names
}

// Lookup resolves a "type.event" name in any letter case to canonical type and
// event; "thumbnail" alone means thumbnail.captured.
func Lookup(name string) (typ, event string, ok bool) {
	t, e, _ := strings.Cut(name, ".")
	return resolve(t, e)
}

func resolve(typ, event string) (string, string, bool) {
	t, ok := webhook.CanonicalType(typ)
	if !ok {
		return "", "", false
	}
	if t == webhook.TypeThumbnail && event == "" {
		return t, webhook.ThumbnailCaptured, true
	}
	for _, e := range webhook.Events(t) {
		if strings.EqualFold(e, event) {
			return t, e, true
		}
	}
	return "", "", false
}

// Subject is the account, stream and transcoder a sample names. An empty field
// keeps the sample's own (AccountID, StreamName, "test_webhooks").
type Subject struct {
	AccountID      string
	StreamName     string
	TranscoderName string
}

func (n Subject) withDefaults() Subject {
	if n.AccountID == "" {
		n.AccountID = AccountID
	}
	if n.StreamName == "" {
		n.StreamName = StreamName
	}
	if n.TranscoderName == "" {
		n.TranscoderName = "test_webhooks"
	}
	return n
}

// Event returns the sample of typ.event (any letter case) as it would happen at
// now: the Content-Type, the body, and the extra headers the body needs (the
// X-Millicast-* ones of a thumbnail; none for JSON). Signatures are the caller's.
func Event(typ, event string, now time.Time) (contentType string, body []byte, headers map[string]string, err error) {
	return EventFor(typ, event, now, Subject{})
}

// EventFor is Event naming n's account, stream and transcoder, as the API's test
// endpoint sends them: the caller's account, and the names its body gives.
func EventFor(typ, event string, now time.Time, n Subject) (contentType string, body []byte, headers map[string]string, err error) {
	n = n.withDefaults()
	t, e, ok := resolve(typ, event)
	if !ok {
		return "", nil, nil, fmt.Errorf("%w %q; valid: %s", ErrUnknown, typ+"."+event, strings.Join(Names(), ", "))
	}
	ms := now.UnixMilli()
	headers = map[string]string{}
	if t == webhook.TypeThumbnail {
		headers[webhook.HeaderTimestamp] = strconv.FormatInt(ms, 10)
		headers[webhook.HeaderFeedID] = FeedID
		headers[webhook.HeaderStreamID] = n.AccountID + "/" + n.StreamName
		headers[webhook.HeaderTokenID] = TokenID
		return webhook.ContentTypeJPEG, JPEG(), headers, nil
	}
	body, err = json.Marshal(jsonEvent(t, e, now, n))
	if err != nil {
		return "", nil, nil, fmt.Errorf("sample: encode %s.%s: %w", t, e, err)
	}
	return webhook.ContentTypeJSON, body, headers, nil
}

// jsonEvent builds the typed event; t and e are canonical.
func jsonEvent(t, e string, now time.Time, n Subject) webhook.Event {
	ms := now.UnixMilli()
	streamID := n.AccountID + "/" + n.StreamName
	switch t {
	case webhook.TypeFeeds:
		d := webhook.FeedData{FeedID: FeedID, AccountID: n.AccountID, Name: n.StreamName, StreamID: streamID,
			Started: ms - 130, Active: true}
		if e == webhook.FeedEnded {
			d.Started, d.Active, d.Ended = ms-14_716, false, ms-112
		}
		return &webhook.FeedsEvent{Type: t, Event: e, Timestamp: ms, Data: d}
	case webhook.TypeViewerConnection:
		return &webhook.ViewerConnectionEvent{Type: t, Event: e, Timestamp: ms,
			Data: webhook.ViewerConnectionData{Name: n.StreamName, AccountID: n.AccountID, StreamID: streamID}}
	case webhook.TypeMedia:
		d := webhook.MediaData{MediaAssetID: MediaAssetID, Type: "recording", StartTime: ms - 60_000,
			StreamName: n.StreamName, StreamID: streamID, TokenID: TokenID, Metadata: json.RawMessage(`{}`)}
		if e == webhook.MediaProcessing || e == webhook.MediaCompleted {
			d.Expiration = now.Add(30 * 24 * time.Hour).UnixMilli()
		}
		return &webhook.MediaEvent{Type: t, Event: e, Timestamp: ms, Data: d}
	case webhook.TypeRecordings:
		d := webhook.RecordingData{RecordFileID: RecordFileID, TokenID: TokenID, StreamName: n.StreamName,
			RecordedOn: ms - 60_000}
		switch e {
		case webhook.RecordingCompleted:
			d.Metadata = json.RawMessage(`{}`)
		case webhook.RecordingDeleted:
			d.RemovedOn = ms
		}
		return &webhook.RecordingsEvent{Type: t, Event: e, Timestamp: ms, Data: d}
	default: // webhook.TypeTranscoder
		status := map[string]string{webhook.TranscoderActive: "Active", webhook.TranscoderStopped: "Shutdown",
			webhook.TranscoderDeleted: "Deleted"}[e]
		return &webhook.TranscoderEvent{Type: t, Event: e, Timestamp: ms, Data: webhook.TranscoderData{
			TranscoderID: TranscoderID, TranscoderName: n.TranscoderName, Cluster: "lon-1",
			CreatedOn: now.Add(-24 * time.Hour).UTC().Format(time.RFC3339), Status: status}}
	}
}
