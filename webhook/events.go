package webhook

import "time"

// ThumbnailCaptured is the event name this package gives thumbnail hooks, which
// carry no event name of their own (their body is the image).
const ThumbnailCaptured = "captured"

// Event is one decoded webhook. Use a type switch on the pointer types
// (*FeedsEvent, *ViewerConnectionEvent, *MediaEvent, *RecordingsEvent,
// *TranscoderEvent, *ThumbnailEvent) to reach the data.
type Event interface {
	// WebhookType is the canonical type name (TypeFeeds, …), whatever letter
	// case the body used.
	WebhookType() string
	// EventName is the canonical event name (FeedStarted, NoActiveViewers, …)
	// when the name is a known one in any letter case, else the name as sent.
	EventName() string
	// When is the time the event happened (not the time it was sent).
	When() time.Time
}

// FeedsEvent is a "feeds" webhook: a publisher (feed) started or ended.
type FeedsEvent struct {
	Type      string   `json:"type"`
	Event     string   `json:"event"`
	Timestamp int64    `json:"timestamp"` // epoch ms
	Data      FeedData `json:"data"`
}

// ViewerConnectionEvent is a "viewerConnection" webhook: demand for a stream.
type ViewerConnectionEvent struct {
	Type      string               `json:"type"`
	Event     string               `json:"event"`
	Timestamp int64                `json:"timestamp"` // epoch ms
	Data      ViewerConnectionData `json:"data"`
}

// MediaEvent is a "media" webhook: a clip or recording changed state.
type MediaEvent struct {
	Type      string    `json:"type"`
	Event     string    `json:"event"`
	Timestamp int64     `json:"timestamp"` // epoch ms
	Data      MediaData `json:"data"`
}

// RecordingsEvent is a legacy "recordings" webhook.
type RecordingsEvent struct {
	Type      string        `json:"type"`
	Event     string        `json:"event"`
	Timestamp int64         `json:"timestamp"` // epoch ms
	Data      RecordingData `json:"data"`
}

// TranscoderEvent is a "transcoder" webhook: a cloud transcoder changed status.
type TranscoderEvent struct {
	Type      string         `json:"type"`
	Event     string         `json:"event"`
	Timestamp int64          `json:"timestamp"` // epoch ms
	Data      TranscoderData `json:"data"`
}

// ThumbnailEvent is a "thumbnail" webhook. It is not JSON: Image is the request
// body (a JPEG) and the other fields come from the X-Millicast-* headers.
type ThumbnailEvent struct {
	Image     []byte
	Timestamp int64 // epoch ms of the capture (X-Millicast-Timestamp)
	FeedID    string
	StreamID  string
	TokenID   string // empty when the sender did not know it
}

func (e *FeedsEvent) WebhookType() string { return TypeFeeds }
func (e *FeedsEvent) EventName() string   { return canonicalEvent(TypeFeeds, e.Event) }
func (e *FeedsEvent) When() time.Time     { return time.UnixMilli(e.Timestamp) }

func (e *ViewerConnectionEvent) WebhookType() string { return TypeViewerConnection }
func (e *ViewerConnectionEvent) EventName() string {
	return canonicalEvent(TypeViewerConnection, e.Event)
}
func (e *ViewerConnectionEvent) When() time.Time { return time.UnixMilli(e.Timestamp) }

func (e *MediaEvent) WebhookType() string { return TypeMedia }
func (e *MediaEvent) EventName() string   { return canonicalEvent(TypeMedia, e.Event) }
func (e *MediaEvent) When() time.Time     { return time.UnixMilli(e.Timestamp) }

func (e *RecordingsEvent) WebhookType() string { return TypeRecordings }
func (e *RecordingsEvent) EventName() string   { return canonicalEvent(TypeRecordings, e.Event) }
func (e *RecordingsEvent) When() time.Time     { return time.UnixMilli(e.Timestamp) }

func (e *TranscoderEvent) WebhookType() string { return TypeTranscoder }
func (e *TranscoderEvent) EventName() string   { return canonicalEvent(TypeTranscoder, e.Event) }
func (e *TranscoderEvent) When() time.Time     { return time.UnixMilli(e.Timestamp) }

func (e *ThumbnailEvent) WebhookType() string { return TypeThumbnail }
func (e *ThumbnailEvent) EventName() string   { return ThumbnailCaptured }
func (e *ThumbnailEvent) When() time.Time     { return time.UnixMilli(e.Timestamp) }

// knownEvents lists the event names of each webhook type, in canonical case.
var knownEvents = map[string][]string{
	TypeFeeds:            {FeedStarted, FeedEnded},
	TypeViewerConnection: {ViewerAttempt, FirstViewerConnection, NoActiveViewers},
	TypeMedia:            {MediaProcessing, MediaCompleted, MediaErrored, MediaDeleted},
	TypeRecordings:       {RecordingStarted, RecordingCompleted, RecordingError, RecordingDeleted},
	TypeTranscoder:       {TranscoderActive, TranscoderStopped, TranscoderDeleted},
	TypeThumbnail:        {ThumbnailCaptured},
}

// knownTypes lists the webhook types in the order of events.md.
var knownTypes = []string{TypeFeeds, TypeViewerConnection, TypeMedia, TypeRecordings, TypeTranscoder, TypeThumbnail}

// Types returns the webhook types, in the order of the specification.
func Types() []string { return append([]string(nil), knownTypes...) }

// Events returns the known event names of a webhook type (any letter case) in
// canonical case, or nil for an unknown type.
func Events(typ string) []string {
	t, ok := CanonicalType(typ)
	if !ok {
		return nil
	}
	return append([]string(nil), knownEvents[t]...)
}

// CanonicalType returns the canonical spelling of a webhook type given in any
// letter case, and false when the type is unknown.
func CanonicalType(typ string) (string, bool) {
	for _, t := range knownTypes {
		if equalFold(t, typ) {
			return t, true
		}
	}
	return "", false
}

func canonicalEvent(typ, name string) string {
	for _, n := range knownEvents[typ] {
		if equalFold(n, name) {
			return n
		}
	}
	return name
}

// equalFold is strings.EqualFold restricted to ASCII: every canonical name is
// ASCII, and Unicode folding would let "ſtarted" (long s) pass for "started".
func equalFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		ca, cb := a[i], b[i]
		if 'A' <= ca && ca <= 'Z' {
			ca += 'a' - 'A'
		}
		if 'A' <= cb && cb <= 'Z' {
			cb += 'a' - 'A'
		}
		if ca != cb {
			return false
		}
	}
	return true
}
