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
	for deadline := time.Now().Add(20 * time.Second); b.p.lookAt.Load() == 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the timer loop never finished its first pass")
		}
	}
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
	deadline := time.Now().Add(20 * time.Second)
	for len(b.p.bulk) != 1 {
		if time.Now().After(deadline) {
			t.Fatal("the turn never queued")
		}
		time.Sleep(time.Millisecond)
	}
	submit("cam2")
	for len(b.p.reqs) != 1 {
		if time.Now().After(deadline) {
			t.Fatal("the second signal never queued")
		}
		time.Sleep(time.Millisecond)
	}
	close(g.open)
	for range 2 {
		if err := <-signals; err != nil {
			t.Fatal(err)
		}
	}
	if err := <-turn; err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	// Observe runs after a group's callers are answered, the turn before its
	// caller is: the turn's note is last once both commits have theirs.
	for len(order) < 3 {
		mu.Unlock()
		if time.Now().After(deadline) {
			mu.Lock()
			t.Fatalf("order %v: want two commits and the turn", order)
		}
		time.Sleep(time.Millisecond)
		mu.Lock()
	}
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
