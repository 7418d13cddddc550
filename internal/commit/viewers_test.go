package commit

import (
	"context"
	"encoding/binary"
	"fmt"
	"testing"
	"time"

	"github.com/hookcast/hookcast/internal/engine"
	"github.com/hookcast/hookcast/internal/store"
)

func viewerSig(kind engine.Kind, id string) engine.Signal {
	return engine.Signal{Kind: kind, AccountID: "A", Name: "cam", ViewerID: id}
}

// heldViewers returns which of ids the store holds as viewers of A/cam.
func heldViewers(t *testing.T, st store.Store, ids ...string) map[string]bool {
	t.Helper()
	keys := make([]store.ViewerKey, len(ids))
	for i, id := range ids {
		keys[i] = store.ViewerKey{AccountID: "A", Name: "cam", ViewerID: id}
	}
	out := map[string]bool{}
	err := st.InTx(context.Background(), func(tx store.Tx) error {
		if _, err := tx.LockStreams(context.Background(), []store.StreamKey{{AccountID: "A", Name: "cam"}}); err != nil {
			return err
		}
		held, err := tx.Viewers(context.Background(), keys)
		for k := range held {
			out[k.ViewerID] = true
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestViewersApart: a stream's viewers are inline in its state while few (up to
// engine.Config.InlineViewers, 32), rows of their own past that, read only as
// signals name them, until none is left; every request makes the events an
// engine holding the whole set in memory makes (duplicate joins, leaves of
// unknown viewers, the media server closing every viewer with the feed, a crowd
// growing past the inline limit).
func TestViewersApart(t *testing.T) {
	bothStores(t, func(t *testing.T, st store.Store) {
		at := time.UnixMilli(1_700_000_000_000)
		var clk testClock // the timer loop reads the time while the test moves it
		clk.set(at.UnixMilli())
		b := setupOn(t, st, Options{Now: clk.now})
		b.webhook(t, func(w *store.Webhook) { w.IsViewerConnectionHooks = true })
		e := engine.New(engine.DefaultConfig())
		mem := engine.NewState(engine.StreamKey{AccountID: "A", Name: "cam"})

		crowd := func(kind engine.Kind, from, to int) []engine.Signal {
			var sigs []engine.Signal
			for i := from; i < to; i++ {
				sigs = append(sigs, viewerSig(kind, fmt.Sprintf("v%d", i)))
			}
			return sigs
		}
		closed := engine.Signal{Kind: engine.FeedEnded, AccountID: "A", Name: "cam", FeedID: "f1", ViewersClosed: true}
		steps := [][]engine.Signal{
			{feedStarted("cam", "f1")},
			crowd(engine.ViewerConnected, 0, 30),  // inline
			crowd(engine.ViewerConnected, 20, 50), // 20..29 again: nothing; past 32, all 50 to rows
			{viewerSig(engine.ViewerDisconnected, "nobody"), viewerSig(engine.ViewerConnected, "v3")},
			crowd(engine.ViewerDisconnected, 0, 49), // one is left
			{viewerSig(engine.ViewerDisconnected, "v49"), viewerSig(engine.ViewerConnected, "v49")},
			{viewerSig(engine.ViewerConnected, "v7"), viewerSig(engine.ViewerDisconnected, "v49")},
			{closed},
			{viewerSig(engine.ViewerConnected, "v8"), viewerSig(engine.ViewerDisconnected, "v7")},
			{feedStarted("cam", "f1")}, // v8 (inline again: all had left) waited: its first viewer connection
		}
		for i, sigs := range steps {
			at = at.Add(time.Second)
			clk.set(at.UnixMilli())
			want := 0
			for _, s := range sigs {
				want += len(e.Apply(mem, s, at.UnixMilli()))
			}
			got, err := b.p.Submit(context.Background(), sigs)
			if err != nil || got != want {
				t.Fatalf("step %d: %d events (%v), want %d", i, got, err, want)
			}
			views, err := b.p.Streams(context.Background(), "A")
			if err != nil || len(views) != 1 || views[0].Viewers != mem.Viewers() {
				t.Fatalf("step %d: streams %+v (%v), want %d viewers", i, views, err, mem.Viewers())
			}
			switch i {
			case 3:
				if held := heldViewers(t, st, "v0", "v29", "v30", "v49", "nobody"); len(held) != 4 || held["nobody"] {
					t.Fatalf("step %d: held %v", i, held)
				}
			case 7:
				if held := heldViewers(t, st, "v7"); len(held) != 0 {
					t.Fatalf("after the viewers were closed, held %v", held)
				}
			case 9:
				if held := heldViewers(t, st, "v7", "v8"); len(held) != 0 {
					t.Fatalf("at the end, held %v: v8 is inline", held)
				}
			}
		}
	})
}

// TestVersion1Viewers: a state an earlier build saved with its viewer ids inside
// (engine codec version 1) is applied as before; a small audience stays inline
// (past the limit it moves to rows, as in TestViewersApart).
func TestVersion1Viewers(t *testing.T) {
	bothStores(t, func(t *testing.T, st store.Store) {
		at := time.UnixMilli(1_700_000_000_000)
		// Two viewers waiting for a stream that is not live: armed, an attempt
		// window open, laid out as version 1 wrote it.
		old := []byte{1, 1}
		old = binary.AppendVarint(old, at.UnixMilli())
		old = binary.AppendVarint(old, at.UnixMilli()+10_000)
		old = binary.AppendVarint(old, 0)
		old = append(old, 1, 'A', 3, 'c', 'a', 'm', 0, 2, 2, 'v', '1', 2, 'v', '2')
		key := store.StreamKey{AccountID: "A", Name: "cam"}
		if err := st.InTx(context.Background(), func(tx store.Tx) error {
			return tx.SaveStreams(context.Background(), []store.StreamRow{{Key: key, State: old, DueAt: at.UnixMilli() + 10_000}})
		}); err != nil {
			t.Fatal(err)
		}
		b := setupOn(t, st, Options{Now: func() time.Time { return at.Add(time.Second) }})
		if _, err := b.p.Submit(context.Background(), []engine.Signal{viewerSig(engine.ViewerConnected, "v1"),
			viewerSig(engine.ViewerDisconnected, "v2")}); err != nil {
			t.Fatal(err)
		}
		if held := heldViewers(t, st, "v1", "v2"); len(held) != 0 {
			t.Fatalf("rows of a small audience: %v", held)
		}
		views, err := b.p.Streams(context.Background(), "A")
		if err != nil || len(views) != 1 || views[0].Viewers != 1 || !views[0].Armed {
			t.Fatalf("streams %+v (%v)", views, err)
		}
		if _, err := b.p.Submit(context.Background(), []engine.Signal{viewerSig(engine.ViewerDisconnected, "v1")}); err != nil {
			t.Fatal(err)
		}
		if held := heldViewers(t, st, "v1", "v2"); len(held) != 0 {
			t.Fatalf("held after all left: %v", held)
		}
	})
}

// BenchmarkAudience is one viewer joining and leaving (two requests, two
// transactions) a live stream that 10 or 100,000 other viewers watch, through
// the committer and the store: the cost must not grow with the audience.
//
//	go test -run '^$' -bench Audience -benchtime 2000x ./internal/commit/
func BenchmarkAudience(b *testing.B) {
	for _, n := range []int{10, 100_000} {
		b.Run(fmt.Sprintf("viewers=%d", n), func(b *testing.B) {
			bothStores(b, func(b *testing.B, st store.Store) {
				bu := setupOn(b, st, Options{})
				name := fmt.Sprintf("cam%d", n)
				sig := func(kind engine.Kind, id string) engine.Signal {
					return engine.Signal{Kind: kind, AccountID: "A", Name: name, ViewerID: id}
				}
				ctx := context.Background()
				if _, err := bu.p.Submit(ctx, []engine.Signal{{Kind: engine.FeedStarted, AccountID: "A", Name: name, FeedID: "f1"}}); err != nil {
					b.Fatal(err)
				}
				for i := 0; i < n; i += 1000 {
					var crowd []engine.Signal
					for j := i; j < min(i+1000, n); j++ {
						crowd = append(crowd, sig(engine.ViewerConnected, fmt.Sprintf("viewer-%d", j)))
					}
					if _, err := bu.p.Submit(ctx, crowd); err != nil {
						b.Fatal(err)
					}
				}
				join, leave := []engine.Signal{sig(engine.ViewerConnected, "x")}, []engine.Signal{sig(engine.ViewerDisconnected, "x")}
				for b.Loop() {
					if _, err := bu.p.Submit(ctx, join); err != nil {
						b.Fatal(err)
					}
					if _, err := bu.p.Submit(ctx, leave); err != nil {
						b.Fatal(err)
					}
				}
				views, err := bu.p.Streams(ctx, "A")
				if err != nil || len(views) != 1 || views[0].Viewers != n {
					b.Fatalf("streams %+v (%v), want %d viewers on %s", views, err, n, name)
				}
			})
		})
	}
}

// TestDueKeptWhileTimerComesAndGoes: a stream's last viewer leaving and another
// joining makes noActiveViewers due and not due; the row keeps the earlier due
// time meanwhile (its index entry stays), the timer loop looking early fires
// nothing and stores the true time, and the event comes when it is due.
func TestDueKeptWhileTimerComesAndGoes(t *testing.T) {
	bothStores(t, func(t *testing.T, st store.Store) {
		var clk testClock
		t0 := int64(1_700_000_000_000)
		clk.set(t0)
		b := setupOn(t, st, Options{Now: clk.now})
		b.webhook(t, func(w *store.Webhook) { w.IsViewerConnectionHooks = true })
		ctx := context.Background()
		stored := func() int64 {
			t.Helper()
			rows, err := st.ListStreams(ctx, "A")
			if err != nil || len(rows) != 1 {
				t.Fatalf("rows %+v, %v", rows, err)
			}
			return rows[0].DueAt
		}
		submit := func(at int64, sigs ...engine.Signal) {
			t.Helper()
			clk.set(at)
			if _, err := b.p.Submit(ctx, sigs); err != nil {
				t.Fatal(err)
			}
		}
		submit(t0, feedStarted("cam", "f1"), viewerSig(engine.ViewerConnected, "v1"))
		submit(t0+1000, viewerSig(engine.ViewerDisconnected, "v1"))
		first := t0 + 1000 + 60_000
		if got := stored(); got != first {
			t.Fatalf("due after the last viewer left: %d, want %d", got, first)
		}
		submit(t0+2000, viewerSig(engine.ViewerConnected, "v2"))
		submit(t0+3000, viewerSig(engine.ViewerDisconnected, "v2"))
		if got := stored(); got != first {
			t.Fatalf("due after a viewer came and went: %d, want the earlier %d kept", got, first)
		}
		// The committer's own timer loop may take the stream first (another
		// replica would too): FireDue until the outcome shows, within a deadline.
		fireUntil := func(at int64, done func() bool) {
			t.Helper()
			clk.set(at)
			for deadline := time.Now().Add(20 * time.Second); !done(); {
				if time.Now().After(deadline) {
					t.Fatalf("at %d: timers did not fire", at)
				}
				if _, err := b.p.FireDue(ctx); err != nil {
					t.Fatal(err)
				}
			}
		}
		fireUntil(first, func() bool { return stored() != first })
		if got, n := stored(), countEvents(t, st, "viewerConnection"); got != t0+3000+60_000 || n != 1 {
			t.Fatalf("after the early look: due %d, %d viewer events; want %d and 1 (firstViewerConnection)", got, n, t0+63_000)
		}
		fireUntil(t0+63_000, func() bool { return countEvents(t, st, "viewerConnection") == 2 })
		if got := stored(); got != 0 {
			t.Fatalf("after noActiveViewers, due %d, want none (the feed is live, nothing is pending)", got)
		}
	})
}

func TestKeepDue(t *testing.T) {
	for _, c := range []struct{ stored, due, now, want int64 }{
		{0, 500, 100, 500},   // no row, or no due stored
		{300, 500, 100, 300}, // stored is earlier and ahead: kept
		{300, 0, 100, 300},   // no timer left: the early look clears it
		{300, 200, 100, 200}, // the true one is earlier
		{100, 500, 100, 500}, // stored is due now: replaced, never found due again
		{50, 0, 100, 0},
	} {
		if got := keepDue(c.stored, c.due, c.now); got != c.want {
			t.Errorf("keepDue(%d, %d, %d) = %d, want %d", c.stored, c.due, c.now, got, c.want)
		}
	}
}
