package engine

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestTimersAndIdle(t *testing.T) {
	t.Parallel()
	e := New(Config{ViewerAttemptInterval: ms(10000), NoViewersDelay: ms(3000), FeedTimeout: ms(5000)})
	key := StreamKey{acc, stream}
	st := NewState(key)
	if !st.Idle() || st.NextDue() != 0 || len(st.Timers()) != 0 {
		t.Fatal("a new state is not idle")
	}
	steps := []struct {
		sig    *Signal // nil: Fire
		at     int64
		timers []Timer
		idle   bool
	}{
		{&[]Signal{conn("v1")}[0], 0, []Timer{{key, TimerViewerAttempt, 10000, ""}}, false},
		{&[]Signal{start("f1")}[0], 1000, []Timer{{key, TimerFeedTimeout, 6000, "f1"}}, false},
		{&[]Signal{disc("v1")}[0], 2000, []Timer{{key, TimerNoViewers, 5000, ""}, {key, TimerFeedTimeout, 6000, "f1"}}, false},
		{nil, 5500, []Timer{{key, TimerFeedTimeout, 6000, "f1"}}, false},
		{nil, 6000, []Timer{{key, TimerForget, 66000, ""}}, false}, // at rest: the clock is kept
		{&[]Signal{att()}[0], 7000, []Timer{{key, TimerNoViewers, 10000, ""}}, false},
		{nil, 10000, []Timer{{key, TimerAttemptWindow, 17000, ""}}, false},
		{nil, 17500, []Timer{{key, TimerForget, 77500, ""}}, false},                          // from the time it came to rest
		{&[]Signal{disc("nobody")}[0], 20000, []Timer{{key, TimerForget, 77500, ""}}, false}, // a no-op keeps it as it was
		{nil, 77499, []Timer{{key, TimerForget, 77500, ""}}, false},
		{nil, 77500, nil, true},
		{&[]Signal{disc("nobody")}[0], 80000, nil, true}, // a no-op on a fresh state keeps nothing
	}
	for i, s := range steps {
		if s.sig != nil {
			e.Apply(st, *s.sig, s.at)
		} else {
			e.Fire(st, s.at)
		}
		got := st.Timers()
		if !slices.Equal(got, s.timers) {
			t.Fatalf("step %d: timers %+v, want %+v", i, got, s.timers)
		}
		want := int64(0)
		if len(s.timers) > 0 {
			want = s.timers[0].Due
		}
		if st.NextDue() != want || st.Idle() != s.idle {
			t.Fatalf("step %d: next due %d idle %v, want %d %v", i, st.NextDue(), st.Idle(), want, s.idle)
		}
	}
	if TimerNoViewers.String() != "no-viewers" || TimerForget.String() != "forget" || TimerKind(0).String() != "none" {
		t.Error("timer kind names")
	}
}

func TestLateRepeatsCatchUpBounded(t *testing.T) {
	t.Parallel()
	e := New(DefaultConfig())
	st := NewState(StreamKey{acc, stream})
	e.Apply(st, conn("v1"), 0)
	if evs := e.Fire(st, 95_000); len(evs) != 9 || evs[0].Timestamp != 10_000 || evs[8].Timestamp != 90_000 {
		t.Fatalf("a late fire: %d events", len(evs))
	}
	evs := e.Fire(st, 95_000+10*24*3600*1000) // ten days late
	if len(evs) != maxCatchUp {
		t.Fatalf("%d repeats after ten days, want %d", len(evs), maxCatchUp)
	}
	if last := evs[len(evs)-1].Timestamp; last != 95_000+10*24*3600*1000-5000 {
		t.Errorf("last repeat at %d", last)
	}
	if next := st.NextDue(); next != 95_000+10*24*3600*1000+5000 {
		t.Errorf("next repeat at %d", next)
	}
}

func TestSnapshot(t *testing.T) {
	t.Parallel()
	e := New(DefaultConfig())
	st := NewState(StreamKey{acc, stream})
	p := 3.0
	sig := start("f1")
	sig.Priority, sig.SimulcastID = &p, "hi"
	e.Apply(st, sig, 100)
	e.Apply(st, conn("v1"), 200)
	e.Apply(st, conn("v2"), 300)
	e.Apply(st, disc("v1"), 400)
	v := st.Snapshot()
	b, _ := json.Marshal(v)
	want := `{"accountId":"ACC","name":"show","streamId":"ACC/show","live":true,"feeds":[{"feedId":"f1","started":100,"priority":3,"simulcastId":"hi"}],"viewers":1,"armed":true}`
	if string(b) != want {
		t.Errorf("snapshot\n got  %s\n want %s", b, want)
	}
	*v.Feeds[0].Priority = 7
	if *st.Snapshot().Feeds[0].Priority != 3 {
		t.Error("a snapshot shares memory with the state")
	}
	empty, _ := json.Marshal(NewState(StreamKey{acc, "x"}).Snapshot())
	if !strings.Contains(string(empty), `"feeds":[]`) {
		t.Errorf("no feeds should be [], got %s", empty)
	}
}

func TestConfig(t *testing.T) {
	t.Parallel()
	if got := New(Config{}).Config(); got != DefaultConfig() {
		t.Errorf("zero config: %+v", got)
	}
	if err := (Config{NoViewersDelay: -time.Second}).Validate(); err == nil || !strings.Contains(err.Error(), "no-viewers delay must not be negative") {
		t.Errorf("negative delay: %v", err)
	}
	if err := (Config{ForgetAfter: -time.Second}).Validate(); err == nil || !strings.Contains(err.Error(), "forget after must not be negative") {
		t.Errorf("negative forget after: %v", err)
	}
	if err := DefaultConfig().Validate(); err != nil {
		t.Error(err)
	}
	e := New(Config{ViewerAttemptInterval: 100 * time.Microsecond, NoViewersDelay: 1500 * time.Microsecond})
	if e.interval != 1 || e.delay != 2 || e.feedTimeout != 0 {
		t.Errorf("sub-millisecond rounding: %d %d %d", e.interval, e.delay, e.feedTimeout)
	}
}

func TestApplyNeedsTheRightState(t *testing.T) {
	t.Parallel()
	e := New(DefaultConfig())
	for name, f := range map[string]func(){
		"nil state":    func() { e.Apply(nil, conn("v1"), 1) },
		"other stream": func() { e.Apply(NewState(StreamKey{acc, "other"}), conn("v1"), 1) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
	var zero State // binds to the first stream
	e.Apply(&zero, conn("v1"), 1)
	if zero.Key() != (StreamKey{acc, stream}) || zero.Viewers() != 1 {
		t.Errorf("zero state: %+v", zero.Snapshot())
	}
}

func TestEventBody(t *testing.T) {
	t.Parallel()
	// The example of events.md §3.1, byte for byte.
	m := NewMemory(New(DefaultConfig()))
	sig := Signal{Kind: FeedStarted, AccountID: "ZG6NWV", Name: "sample_stream", FeedID: "369e4a86-f937-4254-bd9f-99dc484d2bd6"}
	evs := m.Apply(sig, 1638463486359)
	b, err := evs[0].Body()
	if err != nil {
		t.Fatal(err)
	}
	want := `{"type":"feeds","event":"started","timestamp":1638463486359,"data":{"feedId":"369e4a86-f937-4254-bd9f-99dc484d2bd6","accountId":"ZG6NWV","name":"sample_stream","streamId":"ZG6NWV/sample_stream","started":1638463486359,"active":true}}`
	if string(b) != want {
		t.Errorf("body\n got  %s\n want %s", b, want)
	}
	if j, err := json.Marshal(evs[0]); err != nil || string(j) != want {
		t.Errorf("MarshalJSON: %s %v", j, err)
	}
	if _, err := (Event{Type: "media", Data: json.RawMessage("{")}).Body(); err == nil {
		t.Error("invalid data encoded without error")
	}
}

// TestClockKeptAtRest: a signal whose time is before the moment its stream came to
// rest, applied after that moment (it waited in a queue, or another replica fired
// the timer), is moved forward to the stream's clock: events come in time order,
// and V5 still ends the new period of interest with one noActiveViewers. The state
// goes through its encoding between steps and is dropped when Idle, as a store
// does. Once ForgetAfter has passed the clock is gone and such a signal counts at
// its own time again: that is the bound ForgetAfter must keep above any queueing.
func TestClockKeptAtRest(t *testing.T) {
	t.Parallel()
	cfg := Config{ViewerAttemptInterval: ms(300), NoViewersDelay: ms(1000), FeedTimeout: ms(1500), ForgetAfter: ms(5000)}
	type op struct {
		sig  *Signal // nil: Fire
		at   int64
		want []string
	}
	tests := []struct {
		name      string
		ops       []op
		forgotten bool // the last event is stamped before one sent earlier
	}{
		{"attempt received before noActiveViewers, applied after", []op{
			{&[]Signal{att()}[0], 0, []string{"0 viewerAttempt"}},
			{nil, 1003, []string{"1000 noActiveViewers"}}, // fired 3 ms late, by another replica say
			{&[]Signal{att()}[0], 972, []string{"1003 viewerAttempt"}},
			{nil, 10_000, []string{"2003 noActiveViewers"}},
		}, false},
		{"feed start received before a timeout, applied after", []op{
			{&[]Signal{start("f1")}[0], 0, []string{"0 started f1"}},
			{nil, 1500, []string{"1500 ended f1"}},
			{&[]Signal{start("f1")}[0], 1400, []string{"1500 started f1"}},
			{&[]Signal{end("f1")}[0], 1450, []string{"1500 ended f1"}},
		}, false},
		{"kept until ForgetAfter from the time of rest", []op{
			{&[]Signal{att()}[0], 0, []string{"0 viewerAttempt"}},
			{nil, 1003, []string{"1000 noActiveViewers"}},
			{nil, 6002, nil},
			{&[]Signal{att()}[0], 972, []string{"6002 viewerAttempt"}},
		}, false},
		{"forgotten after ForgetAfter", []op{
			{&[]Signal{att()}[0], 0, []string{"0 viewerAttempt"}},
			{nil, 1003, []string{"1000 noActiveViewers"}},
			{nil, 6003, nil},
			{&[]Signal{att()}[0], 972, []string{"972 viewerAttempt"}},
		}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := New(cfg)
			var saved []byte // nil: no row, as a store holds it
			last, inOrder := int64(-1), true
			for i, o := range tt.ops {
				st := NewState(StreamKey{acc, stream})
				if saved != nil {
					if err := st.UnmarshalBinary(saved); err != nil {
						t.Fatalf("op %d: %v", i, err)
					}
				}
				var evs []Event
				if o.sig != nil {
					evs = e.Apply(st, *o.sig, t0+o.at)
				} else {
					evs = e.Fire(st, t0+o.at)
				}
				var got []string
				for _, ev := range evs {
					got = append(got, short(ev))
					inOrder = inOrder && ev.Timestamp >= last
					last = max(last, ev.Timestamp)
				}
				if !slices.Equal(got, o.want) {
					t.Fatalf("op %d: events %v, want %v", i, got, o.want)
				}
				saved = nil
				if !st.Idle() {
					saved, _ = st.MarshalBinary()
				}
			}
			if inOrder == tt.forgotten {
				t.Errorf("events in time order: %v, want %v", inOrder, !tt.forgotten)
			}
		})
	}
}
