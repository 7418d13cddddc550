package engine

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// Event is one webhook event the engine produced.
type Event struct {
	Type      string // webhook type: feeds, viewerConnection, media, recordings, transcoder
	Event     string // event name within the type
	Timestamp int64  // epoch ms when it happened (a timer's due time for timer events)
	AccountID string // the account whose webhooks get it
	// Name is what webhook filters match: the stream name, or the transcoder name for
	// transcoder events.
	Name string
	// Data is the value of the webhook package's data type for Type
	// (webhook.FeedData, webhook.ViewerConnectionData, …). Treat it as read-only:
	// viewer events of one stream share it.
	Data any
}

// envelope fixes the field order of a body: type, event, timestamp, data.
type envelope struct {
	Type      string `json:"type"`
	Event     string `json:"event"`
	Timestamp int64  `json:"timestamp"`
	Data      any    `json:"data"`
}

// Body is the JSON body of the event's deliveries:
// {"type":…,"event":…,"timestamp":…,"data":{…}}, compact, without HTML escaping. The
// same event always gives the same bytes. It fails only on data that cannot be
// encoded (invalid metadata), which a validated signal never produces.
func (ev Event) Body() ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(envelope{ev.Type, ev.Event, ev.Timestamp, ev.Data}); err != nil {
		return nil, fmt.Errorf("encode %s.%s event: %w", ev.Type, ev.Event, err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// MarshalJSON encodes the event as its body. Use Body for the exact bytes to sign:
// json.Marshal of an Event re-escapes <, > and &.
func (ev Event) MarshalJSON() ([]byte, error) { return ev.Body() }
