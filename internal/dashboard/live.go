package dashboard

import (
	"bytes"
	"context"
	"encoding/json"
	"sync"
	"time"

	"github.com/hookcast/hookcast/internal/engine"
	"github.com/hookcast/hookcast/internal/store"
)

// maxTombstones is how many removed stream names a view remembers for the
// connections that have not been told yet; past it they are forgotten and
// those connections get the whole state again.
const maxTombstones = 4096

// liveView is the live state of one account, read from the store once per
// StreamsInterval however many connections watch it, and versioned per
// stream, so each connection is sent only what changed since its last message.
type liveView struct {
	mu        sync.Mutex
	subs      int
	loaded    time.Time
	seq       uint64                // the latest version of anything in the view
	streams   map[string]*liveEntry // by name
	gone      map[string]uint64     // removed stream → version of its removal
	trimmed   uint64                // removals up to this version were forgotten
	events    []byte                // JSON array of eventSummary
	eventsSeq uint64
	errMsg    string
	errSeq    uint64
}

type liveEntry struct {
	json []byte
	seq  uint64
}

// changes is a message of /dashboard/events after the first: streams added or
// changed, names of streams gone, and the latest events when they changed.
type changes struct {
	Streams []json.RawMessage `json:"streams"`
	Removed []string          `json:"removed"`
	Events  json.RawMessage   `json:"events,omitempty"`
	Error   string            `json:"error"`
}

// view returns the account's shared view, counting one more watcher; release
// it with unview.
func (d *Dashboard) view(accountID string) *liveView {
	d.liveMu.Lock()
	defer d.liveMu.Unlock()
	v := d.views[accountID]
	if v == nil {
		v = &liveView{streams: map[string]*liveEntry{}, gone: map[string]uint64{}, seq: 1}
		d.views[accountID] = v
	}
	v.mu.Lock()
	v.subs++
	v.mu.Unlock()
	return v
}

func (d *Dashboard) unview(accountID string, v *liveView) {
	d.liveMu.Lock()
	defer d.liveMu.Unlock()
	v.mu.Lock()
	v.subs--
	last := v.subs == 0
	v.mu.Unlock()
	if last && d.views[accountID] == v {
		delete(d.views, accountID)
	}
}

// refresh reads the account's streams and latest events unless another
// connection did within the interval.
func (d *Dashboard) refresh(ctx context.Context, accountID string, v *liveView) {
	v.mu.Lock()
	defer v.mu.Unlock()
	now := time.Now()
	if !v.loaded.IsZero() && now.Sub(v.loaded) < d.d.StreamsInterval {
		return
	}
	v.loaded = now
	errMsg := ""
	if d.d.Streams != nil {
		s, err := d.d.Streams(ctx, accountID)
		if err != nil {
			d.warn(ctx, "dashboard streams", err)
			errMsg = "The service could not read the streams right now; retrying."
		} else {
			v.setStreams(s)
		}
	}
	if d.d.Events != nil && errMsg == "" {
		evs, err := d.d.Events(ctx, store.EventQuery{AccountID: accountID, Limit: latestEvents})
		if err != nil {
			d.warn(ctx, "dashboard events", err)
			errMsg = "The service could not read the latest events right now; retrying."
		} else {
			list := make([]eventSummary, 0, len(evs))
			for _, e := range evs {
				list = append(list, eventSummary{ID: e.ID, Type: e.Type, Event: e.Event, StreamName: e.StreamName, Timestamp: e.Timestamp})
			}
			if b, err := json.Marshal(list); err == nil && !bytes.Equal(b, v.events) {
				v.seq++
				v.events, v.eventsSeq = b, v.seq
			}
		}
	}
	if errMsg != v.errMsg {
		v.seq++
		v.errMsg, v.errSeq = errMsg, v.seq
	}
}

// setStreams takes a new reading of the streams, giving a new version to
// each stream that changed, came or went.
func (v *liveView) setStreams(streams []engine.StreamView) {
	seen := make(map[string]bool, len(streams))
	for _, s := range streams {
		raw, err := json.Marshal(s)
		if err != nil {
			continue // a struct of strings, numbers and bools: cannot fail
		}
		seen[s.Name] = true
		if e := v.streams[s.Name]; e == nil || !bytes.Equal(e.json, raw) {
			v.seq++
			v.streams[s.Name] = &liveEntry{json: raw, seq: v.seq}
			delete(v.gone, s.Name)
		}
	}
	for name := range v.streams {
		if !seen[name] {
			v.seq++
			delete(v.streams, name)
			v.gone[name] = v.seq
		}
	}
	if len(v.gone) > maxTombstones {
		v.gone, v.trimmed = map[string]uint64{}, v.seq
	}
}

// message is what a connection that has seen everything up to version last is
// sent now: "state" (everything) for a new connection or one too far behind,
// "changes" otherwise, "" when nothing changed. It returns the new last.
func (v *liveView) message(last uint64) (event string, data []byte, seq uint64) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if last != 0 && v.seq == last {
		return "", nil, last
	}
	if last == 0 || last < v.trimmed {
		var buf bytes.Buffer
		buf.WriteString(`{"streams":[`)
		first := true
		for _, e := range v.streams {
			if !first {
				buf.WriteByte(',')
			}
			first = false
			buf.Write(e.json)
		}
		buf.WriteByte(']')
		buf.WriteString(`,"events":`)
		if v.events != nil {
			buf.Write(v.events)
		} else {
			buf.WriteString("[]")
		}
		if v.errMsg != "" {
			e, _ := json.Marshal(v.errMsg)
			buf.WriteString(`,"error":`)
			buf.Write(e)
		}
		buf.WriteByte('}')
		return "state", buf.Bytes(), v.seq
	}
	c := changes{Streams: []json.RawMessage{}, Removed: []string{}, Error: v.errMsg}
	for _, e := range v.streams {
		if e.seq > last {
			c.Streams = append(c.Streams, e.json)
		}
	}
	for name, at := range v.gone {
		if at > last {
			c.Removed = append(c.Removed, name)
		}
	}
	if v.eventsSeq > last {
		c.Events = v.events
	}
	b, err := json.Marshal(c)
	if err != nil {
		return "", nil, last
	}
	return "changes", b, v.seq
}
