package dashboard

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/hookcast/hookcast/internal/store"
)

// Event stream limits.
const (
	// latestEvents is how many recent events the Streams page lists.
	latestEvents = 20
	// keepAliveEvery sends a comment on a quiet stream, so proxies keep it open
	// and a vanished client is noticed.
	keepAliveEvery = 15 * time.Second
	// maxStreamLife ends a stream after a while; the browser's EventSource
	// reconnects by itself (after the retry delay sent first), and the session is
	// checked again, so an expired or revoked sign-in stops receiving.
	maxStreamLife = 10 * time.Minute
	// retryMillis is the reconnect delay the stream asks the browser to use.
	retryMillis = 2000
)

// streamState is one message of /dashboard/events.
type streamState struct {
	Streams any            `json:"streams"`
	Events  []eventSummary `json:"events"`
	Error   string         `json:"error,omitempty"`
}

// eventSummary is an event as the Streams page lists it: no body, no headers.
type eventSummary struct {
	ID         string `json:"id"`
	Type       string `json:"type"`
	Event      string `json:"event"`
	StreamName string `json:"streamName"`
	Timestamp  int64  `json:"timestamp"`
}

// events is GET /dashboard/events: server-sent events for the Streams page. It
// sends the account's streams and latest events ("state" events) at once, then
// again whenever they change (looked at every Deps.StreamsInterval), until the
// client goes, the stream has lived maxStreamLife, or Shutdown.
func (d *Dashboard) events(w http.ResponseWriter, r *http.Request) {
	s, err := d.check(r)
	if err != nil {
		writeError(w, http.StatusUnauthorized, "Not signed in, or the sign-in has expired.")
		return
	}
	rc := http.NewResponseController(w)
	// The stream outlives the server's write timeout, meant for ordinary
	// answers; maxStreamLife bounds it instead. (Read deadlines are already
	// lifted by net/http once the request is read.)
	_ = rc.SetWriteDeadline(time.Time{}) // not supported: nothing to lift
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream
	w.WriteHeader(http.StatusOK)
	if _, err := fmt.Fprintf(w, "retry: %d\n\n", retryMillis); err != nil {
		return
	}

	ctx, cancel := context.WithTimeout(r.Context(), maxStreamLife)
	defer cancel()
	tick := time.NewTicker(d.d.StreamsInterval)
	defer tick.Stop()
	var last []byte
	quiet := time.Duration(0)
	for {
		msg := d.snapshot(ctx, s.AccountID)
		if ctx.Err() != nil {
			return // the client went away (or the stream's time is up) mid-read
		}
		switch {
		case !bytes.Equal(msg, last):
			_, err = fmt.Fprintf(w, "event: state\ndata: %s\n\n", msg)
			last, quiet = msg, 0
		case quiet >= keepAliveEvery:
			_, err = fmt.Fprint(w, ": keep-alive\n\n")
			quiet = 0
		default:
			err = nil
		}
		if err == nil {
			err = rc.Flush()
		}
		if err != nil {
			return // the client went away
		}
		select {
		case <-ctx.Done():
			return
		case <-d.stop:
			return
		case <-tick.C:
			quiet += d.d.StreamsInterval
		}
	}
}

// snapshot is the JSON of the account's current state. A failure is sent too, as
// a message the page shows, rather than ending the stream.
func (d *Dashboard) snapshot(ctx context.Context, accountID string) []byte {
	st := streamState{Streams: []any{}, Events: []eventSummary{}}
	if d.d.Streams != nil {
		v, err := d.d.Streams(ctx, accountID)
		if err != nil {
			d.warn(ctx, "dashboard streams", err)
			st.Error = "The service could not read the streams right now; retrying."
		} else if v != nil {
			st.Streams = v
		}
	}
	if d.d.Events != nil && st.Error == "" {
		evs, err := d.d.Events(ctx, store.EventQuery{AccountID: accountID, Limit: latestEvents})
		if err != nil {
			d.warn(ctx, "dashboard events", err)
			st.Error = "The service could not read the latest events right now; retrying."
		}
		for _, e := range evs {
			st.Events = append(st.Events, eventSummary{
				ID: e.ID, Type: e.Type, Event: e.Event, StreamName: e.StreamName, Timestamp: e.Timestamp,
			})
		}
	}
	b, err := json.Marshal(st)
	if err != nil {
		d.log.ErrorContext(ctx, "dashboard streams: encode", "err", err)
		b = []byte(`{"streams":[],"events":[],"error":"The stream state could not be encoded."}`)
	}
	return b
}

// warn logs a failed read, unless it failed because the client left.
func (d *Dashboard) warn(ctx context.Context, msg string, err error) {
	if ctx.Err() == nil {
		d.log.WarnContext(ctx, msg, "err", err)
	}
}
