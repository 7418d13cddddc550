package dashboard

import (
	"context"
	"fmt"
	"net/http"
	"time"
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
// sends the account's streams and latest events at once ("state"), then what
// changed ("changes": streams added or changed, names removed, the latest
// events when they changed), looked at every Deps.StreamsInterval through a
// view shared by every connection of the account, until the client goes, the
// stream has lived maxStreamLife, or Shutdown. Each write must be taken by the
// client within StreamWriteTimeout, or the stream ends: a client that stopped
// reading is not kept. A session and an account may hold only so many streams.
func (d *Dashboard) events(w http.ResponseWriter, r *http.Request) {
	s, err := d.check(r)
	if err != nil {
		writeError(w, http.StatusUnauthorized, "Not signed in, or the sign-in has expired.")
		return
	}
	release, ok := d.admitStream(s)
	if !ok {
		w.Header().Set("Retry-After", "10")
		writeError(w, http.StatusTooManyRequests, "Too many live views open for this sign-in or account; close some tabs.")
		return
	}
	defer release()
	rc := http.NewResponseController(w)
	write := func(format string, a ...any) error {
		// A deadline per write replaces the server's WriteTimeout (meant for
		// ordinary answers): the stream may live long, each write may not.
		_ = rc.SetWriteDeadline(time.Now().Add(d.d.StreamWriteTimeout))
		if _, err := fmt.Fprintf(w, format, a...); err != nil {
			return err
		}
		return rc.Flush()
	}
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream
	w.WriteHeader(http.StatusOK)
	if err := write("retry: %d\n\n", retryMillis); err != nil {
		return
	}

	ctx, cancel := context.WithTimeout(r.Context(), maxStreamLife)
	defer cancel()
	v := d.view(s.AccountID)
	defer d.unview(s.AccountID, v)
	tick := time.NewTicker(d.d.StreamsInterval)
	defer tick.Stop()
	var last uint64
	quiet := time.Duration(0)
	for {
		d.refresh(ctx, s.AccountID, v)
		if ctx.Err() != nil {
			return // the client went away (or the stream's time is up) mid-read
		}
		event, msg, seq := v.message(last)
		switch {
		case event != "":
			err = write("event: %s\ndata: %s\n\n", event, msg)
			last, quiet = seq, 0
		case quiet >= keepAliveEvery:
			err = write(": keep-alive\n\n")
			quiet = 0
		default:
			err = nil
		}
		if err != nil {
			return // the client went away, or stopped reading
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

// admitStream counts one more live stream for s's session and account, unless
// either is at its limit; release undoes it.
func (d *Dashboard) admitStream(s session) (release func(), ok bool) {
	keys := []string{"a:" + s.AccountID, "s:" + s.CSRF}
	limits := []int{d.d.MaxStreamsPerAccount, d.d.MaxStreamsPerSession}
	d.liveMu.Lock()
	defer d.liveMu.Unlock()
	for i, k := range keys {
		if d.open[k] >= limits[i] {
			return nil, false
		}
	}
	for _, k := range keys {
		d.open[k]++
	}
	return func() {
		d.liveMu.Lock()
		defer d.liveMu.Unlock()
		for _, k := range keys {
			if d.open[k]--; d.open[k] <= 0 {
				delete(d.open, k)
			}
		}
	}, true
}

// openStreams is how many live streams the account has open (for tests).
func (d *Dashboard) openStreams(accountID string) int {
	d.liveMu.Lock()
	defer d.liveMu.Unlock()
	return d.open["a:"+accountID]
}

// warn logs a failed read, unless it failed because the client left.
func (d *Dashboard) warn(ctx context.Context, msg string, err error) {
	if ctx.Err() == nil {
		d.log.WarnContext(ctx, msg, "err", err)
	}
}
