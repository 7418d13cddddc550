package engine

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hookcast/hookcast/webhook"
)

// t0 is the clock of the rule tables: every at is milliseconds after it.
const t0 = 1_000_000

const (
	acc    = "ACC"
	stream = "show"
)

// step is one signal of a rule table at t0+at.
type step struct {
	at  int64
	sig Signal
}

func conn(v string) Signal {
	return Signal{Kind: ViewerConnected, AccountID: acc, Name: stream, ViewerID: v}
}
func disc(v string) Signal {
	return Signal{Kind: ViewerDisconnected, AccountID: acc, Name: stream, ViewerID: v}
}
func att() Signal { return Signal{Kind: ViewerAttempted, AccountID: acc, Name: stream} }
func start(f string) Signal {
	return Signal{Kind: FeedStarted, AccountID: acc, Name: stream, FeedID: f}
}
func end(f string) Signal { return Signal{Kind: FeedEnded, AccountID: acc, Name: stream, FeedID: f} }
func beat(f string) Signal {
	return Signal{Kind: FeedHeartbeat, AccountID: acc, Name: stream, FeedID: f}
}

// decoded is the state b encodes, for the test stream.
func decoded(t testing.TB, b []byte) *State {
	t.Helper()
	st := NewState(StreamKey{acc, stream})
	if err := st.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	return st
}

func ms(v int64) time.Duration { return time.Duration(v) * time.Millisecond }

// rule is one row of a rule table: signals, how far to run the clock, and the events
// in the order they must come, written short (see short).
type rule struct {
	name  string
	cfg   Config // zero: the defaults (I 10 s, D 60 s)
	steps []step
	until int64
	want  []string
}

// short writes an event as "<at> <event>" for viewerConnection and
// "<at> <event> <feedId>" for feeds (relative to t0), with the stream in front when
// it is not ACC/show.
func short(ev Event) string {
	s := fmt.Sprintf("%d %s", ev.Timestamp-t0, ev.Event)
	if d, ok := ev.Data.(webhook.FeedData); ok {
		s += " " + d.FeedID
	}
	if ev.AccountID != acc || ev.Name != stream {
		s = ev.AccountID + "/" + ev.Name + " " + s
	}
	return s
}

// runRule applies the steps in memory (timers firing on the way) and up to until.
func runRule(t *testing.T, r rule) []Event {
	t.Helper()
	m := NewMemory(New(r.cfg))
	var evs []Event
	for _, s := range r.steps {
		sig := s.sig
		if err := sig.Validate(); err != nil {
			t.Fatalf("step at %d: %v", s.at, err)
		}
		evs = m.AppendApply(evs, &sig, t0+s.at)
	}
	return m.AppendAdvance(evs, t0+r.until)
}

func runRules(t *testing.T, rules []rule) {
	t.Helper()
	for _, r := range rules {
		t.Run(r.name, func(t *testing.T) {
			t.Parallel()
			evs := runRule(t, r)
			got := make([]string, len(evs))
			for i, ev := range evs {
				got[i] = short(ev)
			}
			if !slices.Equal(got, r.want) {
				t.Errorf("events:\n  got  %s\n  want %s", strings.Join(got, " | "), strings.Join(r.want, " | "))
			}
		})
	}
}

// ViewerRows keeps the connected viewers of states apart from their encoding, as a
// store does (one row per viewer): Save applies a state's ViewerChanges, Tell
// looks up the viewer a signal names, as the committer does before applying it.
type ViewerRows map[StreamKey]map[string]bool

// Save records st's viewer changes and returns its encoding.
func (r ViewerRows) Save(t testing.TB, st *State) []byte {
	t.Helper()
	c := st.ViewerChanges()
	rows := r[st.Key()]
	if c.Cleared {
		rows = nil
	}
	for _, id := range c.Removed {
		if !rows[id] {
			t.Fatalf("%s: removed viewer %s the store does not hold", st.Key(), id)
		}
		delete(rows, id)
	}
	for _, id := range c.Added {
		if rows[id] {
			t.Fatalf("%s: added viewer %s the store holds", st.Key(), id)
		}
		if rows == nil {
			rows = map[string]bool{}
		}
		rows[id] = true
	}
	r[st.Key()] = rows
	if want := st.Viewers(); !st.viewers.apart && len(rows) != 0 || st.viewers.apart && len(rows) != want {
		t.Fatalf("%s: the store holds %d viewers, the state counts %d (apart: %v)", st.Key(), len(rows), want, st.viewers.apart)
	}
	b, err := st.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Tell tells st about the viewer sig names, if it does not know it.
func (r ViewerRows) Tell(st *State, sig *Signal) {
	if id := sig.Member(); id != "" && !st.ViewerKnown(id) {
		st.KnowViewer(id, r[st.Key()][id])
	}
}

// TellAll tells st about every viewer the store holds for it, which makes a
// decoded state complete.
func (r ViewerRows) TellAll(st *State) {
	for id := range r[st.Key()] {
		st.KnowViewer(id, true)
	}
}
