package commit

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookcast/hookcast/internal/engine"
	"github.com/hookcast/hookcast/internal/store"
	"github.com/hookcast/hookcast/internal/store/sqlite"
)

// testClock is an injected clock the test moves by hand.
type testClock struct{ ms atomic.Int64 }

func (c *testClock) now() time.Time { return time.UnixMilli(c.ms.Load()) }
func (c *testClock) set(ms int64)   { c.ms.Store(ms) }

// viewerStore is a SQLite store with account A and one webhook for its viewer
// events, which the interleaving tests read back.
func viewerStore(t *testing.T) store.Store {
	t.Helper()
	ctx := context.Background()
	sl, err := sqlite.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sl.Close() })
	if err := sl.CreateAccount(ctx, store.Account{ID: "A", CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if err := sl.CreateWebhook(ctx, &store.Webhook{AccountID: "A", URL: "https://example.com/h", Secret: "c2VjcmV0",
		IsViewerConnectionHooks: true, RetryPolicy: "none"}); err != nil {
		t.Fatal(err)
	}
	return sl
}

// byHand drives a committer without Run, so a test picks the interleaving: it
// takes each request off the queue itself and says when its group commits and
// when the timer loop looks.
type byHand struct {
	t   *testing.T
	ctx context.Context
}

// receive submits sigs to p and returns the request once queued, with the
// channel its Submit's answer comes on.
func (h byHand) receive(p *Committer, sigs []engine.Signal) (*request, <-chan error) {
	errc := make(chan error, 1)
	go func() {
		_, err := p.Submit(h.ctx, sigs)
		errc <- err
	}()
	return <-p.reqs, errc
}

// commit commits r in a group of its own and waits for its answer.
func (h byHand) commit(p *Committer, r *request, errc <-chan error) {
	h.t.Helper()
	p.commitGroup([]*request{r})
	if err := <-errc; err != nil {
		h.t.Fatal(err)
	}
}

// fire runs p's timer pass with its clock set to at.
func (h byHand) fire(p *Committer, clk *testClock, at int64) {
	h.t.Helper()
	clk.set(at)
	if _, err := p.FireDue(h.ctx); err != nil {
		h.t.Fatal(err)
	}
}

// TestTimerAfterQueuedSignal: a signal received before a timer of its stream is
// due, but still queued for its group commit when the timer loop looks, counts
// for that timer (events.md V5: any attempt restarts the noActiveViewers delay;
// V6: signals are applied in the order received). The committer is driven by
// hand, without Run: the test takes each request off the queue itself and picks
// the moment its group commits, so the interleaving is exact.
//
// This is the interleaving behind a rare TestCrashSQLite failure
// ("noActiveViewers 28 ms after the last viewerAttempt"): FireDue fired the
// timer at its own, later now; the state, idle after noActiveViewers, was
// deleted, and with it the stream's clock, so the attempt was then applied at its
// earlier receipt time, stamped before the noActiveViewers already sent.
func TestTimerAfterQueuedSignal(t *testing.T) {
	const t0 = 1_700_000_000_000 // the first attempt; D = 1000 ms, I = 300 ms
	cases := []struct {
		name             string
		received, fireAt int64 // the second attempt's receipt; when FireDue runs while it is queued
		want             []string
	}{
		{"received before the timer is due", t0 + 972, t0 + 1003,
			[]string{"viewerAttempt@0", "viewerAttempt@972", "noActiveViewers@1972"}},
		{"received at the due time", t0 + 1000, t0 + 1003, // a timer due at a signal's instant fires first
			[]string{"viewerAttempt@0", "noActiveViewers@1000", "viewerAttempt@1000", "noActiveViewers@2000"}},
		{"received after the timer is due", t0 + 1010, t0 + 1020,
			[]string{"viewerAttempt@0", "noActiveViewers@1000", "viewerAttempt@1010", "noActiveViewers@2010"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx := context.Background()
			clk := &testClock{}
			sl := viewerStore(t)
			p := New(sl, engine.New(engine.Config{ViewerAttemptInterval: 300 * time.Millisecond, NoViewersDelay: time.Second}),
				Options{Now: clk.now})
			attempt := []engine.Signal{{Kind: engine.ViewerAttempted, AccountID: "A", Name: "show"}}
			h := byHand{t, ctx}
			receive := func() (*request, <-chan error) { return h.receive(p, attempt) }
			commit := func(r *request, errc <-chan error) { t.Helper(); h.commit(p, r, errc) }
			fire := func(at int64) { t.Helper(); h.fire(p, clk, at) }

			clk.set(t0)
			commit(receive())
			clk.set(c.received)
			r, errc := receive()
			fire(c.fireAt) // the timer loop wakes while the second attempt waits for its commit
			commit(r, errc)
			fire(t0 + 5000) // every timer left falls due

			evs, err := sl.ListEvents(ctx, store.EventQuery{AccountID: "A"})
			if err != nil {
				t.Fatal(err)
			}
			// In time order; at the same instant a timer fires before a signal.
			slices.SortFunc(evs, func(a, b store.Event) int {
				if a.Timestamp != b.Timestamp {
					return int(a.Timestamp - b.Timestamp)
				}
				return strings.Compare(a.Event, b.Event) // noActiveViewers, then viewerAttempt
			})
			var got []string
			for _, e := range evs {
				got = append(got, fmt.Sprintf("%s@%d", e.Event, e.Timestamp-t0))
			}
			if !slices.Equal(got, c.want) {
				t.Fatalf("events %v\nwant   %v", got, c.want)
			}
		})
	}
}

// TestInflight: the horizon is the oldest queued receipt with stream signals,
// whatever order requests finish in; hold asks for a wake only for a timer due
// after such a receipt, and the next request to finish gives it once.
func TestInflight(t *testing.T) {
	var f inflight
	at := func(ms int64) func() time.Time { return func() time.Time { return time.UnixMilli(ms) } }
	stream := []engine.Signal{{Kind: engine.ViewerAttempted, AccountID: "A", Name: "s"}}
	media := []engine.Signal{{Kind: engine.MediaUpdated, AccountID: "A"}}
	r1, r2, r3, r4 := &request{sigs: stream}, &request{sigs: stream}, &request{sigs: media}, &request{sigs: stream}
	f.receive(r2, at(200)) // out of order: the heap, not the arrival, decides
	f.receive(r1, at(100))
	f.receive(r3, at(50)) // no stream signal: holds nothing back
	f.receive(r4, at(300))
	horizon := func(want int64) {
		t.Helper()
		now, upTo := f.horizon(at(1000))
		if now.UnixMilli() != 1000 || upTo.UnixMilli() != want {
			t.Fatalf("horizon = %d, %d; want 1000, %d", now.UnixMilli(), upTo.UnixMilli(), want)
		}
	}
	steps := []struct {
		name string
		do   func() bool
		want bool
		upTo int64
	}{
		{"timer due at the oldest receipt fires", func() bool { return f.hold(100) }, false, 100},
		{"timer due after it waits", func() bool { return f.hold(101) }, true, 100},
		{"a finish wakes the loop", func() bool { return f.finish(r2) }, true, 100},
		{"once", func() bool { return f.finish(r3) }, false, 100},
		{"still held by r1", func() bool { return f.hold(150) }, true, 100},
		{"r1 done: wake", func() bool { return f.finish(r1) }, true, 300},
		{"timer before r4 not held", func() bool { return f.hold(250) }, false, 300},
		{"r4 done, nothing asked: no wake", func() bool { return f.finish(r4) }, false, 1000},
		{"empty", func() bool { return f.hold(5000) }, false, 1000},
	}
	for _, s := range steps {
		if got := s.do(); got != s.want {
			t.Fatalf("%s: %v, want %v", s.name, got, s.want)
		}
		horizon(s.upTo)
	}
}

// TestTimerOnAnotherReplica: the interleaving of TestTimerAfterQueuedSignal across
// two replicas of one store, which no in-process horizon can order: replica X has
// an attempt received 28 ms before noActiveViewers is due still queued when
// replica Y fires the timer. The stream, now at rest, keeps its clock
// (engine.Config.ForgetAfter), so the attempt is applied at the time of the timer:
// a new period of interest after the noActiveViewers, never a viewerAttempt stamped
// before it. The stream kept for its clock is not listed as a stream, and its row
// goes when the clock is forgotten.
func TestTimerOnAnotherReplica(t *testing.T) {
	const t0 = 1_700_000_000_000 // the first attempt; D = 1000 ms, I = 300 ms
	const forget = 10_000
	ctx := context.Background()
	sl := viewerStore(t)
	cfg := engine.Config{ViewerAttemptInterval: 300 * time.Millisecond, NoViewersDelay: time.Second, ForgetAfter: forget * time.Millisecond}
	clkX, clkY := &testClock{}, &testClock{}
	x := New(sl, engine.New(cfg), Options{Now: clkX.now})
	y := New(sl, engine.New(cfg), Options{Now: clkY.now})
	attempt := []engine.Signal{{Kind: engine.ViewerAttempted, AccountID: "A", Name: "show"}}
	// sent lists the events in the order they were committed (those of one
	// transaction in time order).
	var sent []string
	seen := map[string]bool{}
	collect := func() {
		t.Helper()
		evs, err := sl.ListEvents(ctx, store.EventQuery{AccountID: "A"})
		if err != nil {
			t.Fatal(err)
		}
		slices.SortFunc(evs, func(a, b store.Event) int { return int(a.Timestamp - b.Timestamp) })
		for _, e := range evs {
			if !seen[e.ID] {
				seen[e.ID] = true
				sent = append(sent, fmt.Sprintf("%s@%d", e.Event, e.Timestamp-t0))
			}
		}
	}
	h := byHand{t, ctx}
	receive := func(at int64) (*request, <-chan error) { clkX.set(at); return h.receive(x, attempt) }
	commit := func(r *request, errc <-chan error) { t.Helper(); h.commit(x, r, errc); collect() }
	fire := func(p *Committer, clk *testClock, at int64) { t.Helper(); h.fire(p, clk, at); collect() }
	listed := func() (streams, rows int) {
		t.Helper()
		views, err := x.Streams(ctx, "A")
		if err != nil {
			t.Fatal(err)
		}
		all, err := sl.ListStreams(ctx, "A")
		if err != nil {
			t.Fatal(err)
		}
		return len(views), len(all)
	}

	commit(receive(t0))
	r, errc := receive(t0 + 972)
	fire(y, clkY, t0+1003) // Y's horizon knows nothing of X's queue
	commit(r, errc)
	if s, rows := listed(); s != 1 || rows != 1 {
		t.Fatalf("armed again: %d streams listed, %d rows", s, rows)
	}
	fire(y, clkY, t0+5000) // noActiveViewers again; the stream is at rest
	if s, rows := listed(); s != 0 || rows != 1 {
		t.Fatalf("at rest, clock kept: %d streams listed, %d rows; want 0, 1", s, rows)
	}
	if due, err := sl.NextDue(ctx); err != nil || due != t0+5000+forget {
		t.Fatalf("next due %d, %v; want the forget time %d", due, err, t0+5000+forget)
	}
	fire(x, clkX, t0+5000+forget-1)
	if _, rows := listed(); rows != 1 {
		t.Fatal("clock forgotten early")
	}
	fire(x, clkX, t0+5000+forget)
	if _, rows := listed(); rows != 0 {
		t.Fatalf("%d rows after the clock was forgotten", rows)
	}

	want := []string{"viewerAttempt@0", "noActiveViewers@1000", "viewerAttempt@1003", "noActiveViewers@2003"}
	if !slices.Equal(sent, want) {
		t.Fatalf("events in the order committed %v\nwant   %v", sent, want)
	}
}

// TestWakeOnlyForEarlierTimers: a commit wakes the timer loop only for a due
// time before the loop's next look (or while it is looking), so due times far
// off — a stream's forget time, a feed timeout — cost no timer pass per commit.
func TestWakeOnlyForEarlierTimers(t *testing.T) {
	cases := []struct {
		name        string
		lookAt, due int64
		wantWake    bool
	}{
		{"no due time", 5000, 0, false},
		{"due after the next look", 5000, 60_000, false},
		{"due at the next look", 5000, 5000, false},
		{"due before the next look", 5000, 1000, true},
		{"loop looking now", 0, 60_000, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := New(nil, engine.New(engine.DefaultConfig()), Options{})
			p.lookAt.Store(c.lookAt)
			p.after(result{earliestDue: c.due}, 0)
			select {
			case <-p.wake:
				if !c.wantWake {
					t.Error("woke the timer loop")
				}
			default:
				if c.wantWake {
					t.Error("did not wake the timer loop")
				}
			}
		})
	}
}
