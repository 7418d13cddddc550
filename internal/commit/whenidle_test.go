package commit

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/hookcast/hookcast/internal/engine"
)

// TestWhenIdleYieldsToSignals: a turn (the pruner's transaction) queued while
// a group commit holds the writer runs only after the signal that arrived
// meanwhile is committed, though the turn was asked for first.
func TestWhenIdleYieldsToSignals(t *testing.T) {
	var mu sync.Mutex
	var order []string
	note := func(s string) {
		mu.Lock()
		order = append(order, s)
		mu.Unlock()
	}
	// The timer loop looks once at the start, then not for an hour: the gate
	// below must hold cam1's group, not a timer pass that started late (seen
	// on a loaded machine: the turn then ran at once and never queued).
	b := setupWith(t, Options{TimerPoll: time.Hour, Observe: func(signals, _, _ int, _ time.Duration) { note("commit") }})
	b.webhook(t, nil)
	ctx := context.Background()
	waitFor(t, "the timer loop's first pass", func() bool { return b.p.lookAt.Load() != 0 })
	g := newGate()
	b.st.hold.Store(g)
	signals := make(chan error, 2)
	submit := func(name string) {
		go func() { _, err := b.p.Submit(ctx, []engine.Signal{feedStarted(name, "f")}); signals <- err }()
	}
	submit("cam1")
	<-g.entered // cam1's group holds the writer
	turn := make(chan error, 1)
	go func() { turn <- b.p.WhenIdle(ctx, time.Hour, func() { note("turn") }) }()
	waitFor(t, "the turn to queue", func() bool { return len(b.p.bulk) == 1 })
	submit("cam2")
	waitFor(t, "the second signal to queue", func() bool { return len(b.p.reqs) == 1 })
	close(g.open)
	for range 2 {
		if err := <-signals; err != nil {
			t.Fatal(err)
		}
	}
	if err := <-turn; err != nil {
		t.Fatal(err)
	}
	// Observe runs after a group's callers are answered, the turn before its
	// caller is: the turn's note is last once both commits have theirs.
	waitFor(t, "two commits and the turn", func() bool { mu.Lock(); defer mu.Unlock(); return len(order) >= 3 })
	mu.Lock()
	defer mu.Unlock()
	if order[2] != "turn" {
		t.Fatalf("order %v: the turn ran before the waiting signal was committed", order)
	}
}

// TestWhenIdleRunsItselfAfterMaxWait: a committer that never idles (here:
// not running at all) does not hold a turn back longer than maxWait; a
// cancelled caller's turn never runs.
func TestWhenIdleRunsItselfAfterMaxWait(t *testing.T) {
	p := New(nil, engine.New(engine.DefaultConfig()), Options{})
	ran := 0
	if err := p.WhenIdle(context.Background(), time.Millisecond, func() { ran++ }); err != nil || ran != 1 {
		t.Fatalf("WhenIdle: %v, ran %d times, want once", err, ran)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for len(p.bulk) < cap(p.bulk) { // the lane full: only ctx can end the wait
		p.bulk <- &request{}
	}
	if err := p.WhenIdle(ctx, time.Hour, func() { ran++ }); !errors.Is(err, context.Canceled) || ran != 1 {
		t.Fatalf("cancelled WhenIdle: %v, ran %d times, want context.Canceled and no run", err, ran)
	}
}
