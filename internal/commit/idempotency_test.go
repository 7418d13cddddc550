package commit

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/hookcast/hookcast/internal/engine"
	"github.com/hookcast/hookcast/internal/store"
	"github.com/hookcast/hookcast/internal/store/postgres"
	"github.com/hookcast/hookcast/internal/store/sqlite"
	"github.com/hookcast/hookcast/internal/testpg"
)

func TestMain(m *testing.M) { testpg.Main(m) }

// bothStores runs fn on a fresh SQLite store and a fresh PostgreSQL one, as
// subtests or sub-benchmarks.
func bothStores[T interface {
	testing.TB
	Run(string, func(T)) bool
}](t T, fn func(t T, st store.Store)) {
	t.Run("sqlite", func(t T) {
		st, err := sqlite.Open(context.Background(), t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		fn(t, st)
	})
	t.Run("postgres", func(t T) {
		url := testpg.NewDatabase(t)
		st, err := postgres.Open(context.Background(), url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		fn(t, st)
	})
}

// clock is a settable time for the committer's Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

func mediaSignal(event string, start int64) engine.Signal {
	return engine.Signal{Kind: engine.MediaUpdated, AccountID: "A", Event: event, MediaAssetID: "asset-1",
		Type: "recording", StreamName: "cam1", StartTime: start}
}

func transcoderSignal(event string, at int64) engine.Signal {
	return engine.Signal{Kind: engine.TranscoderUpdated, AccountID: "A", Event: event, TranscoderID: "t1",
		TranscoderName: "tc", Cluster: "eu", CreatedOn: "2026-01-01T00:00:00Z", At: at}
}

func countEvents(t *testing.T, st store.Store, typ string) int {
	t.Helper()
	evs, err := st.ListEvents(context.Background(), store.EventQuery{AccountID: "A", Type: typ})
	if err != nil {
		t.Fatal(err)
	}
	return len(evs)
}

// TestRepeatedSignals: a media or transcoder signal sent again (a media server
// retrying after a lost answer) makes no second event, whether recognised by
// its id or, without one, by its content; a signal without id or time cannot
// be told from a new one and is applied again; past the window a repeat counts
// as new.
func TestRepeatedSignals(t *testing.T) {
	bothStores(t, func(t *testing.T, st store.Store) {
		c := &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
		b := setupOn(t, st, Options{IdempotencyWindow: time.Hour, Now: c.now})
		b.webhook(t, func(w *store.Webhook) { w.IsFeedHooks, w.IsMediaHooks, w.IsTranscoderHooks = false, true, true })
		ctx := context.Background()
		submit := func(sigs ...engine.Signal) {
			t.Helper()
			if _, err := b.p.Submit(ctx, sigs); err != nil {
				t.Fatal(err)
			}
		}
		start := c.now().Add(-time.Minute).UnixMilli()
		submit(mediaSignal("completed", start))
		submit(mediaSignal("completed", start))
		submit(mediaSignal("completed", start), mediaSignal("completed", start)) // twice in one request too
		if n := countEvents(t, st, "media"); n != 1 {
			t.Fatalf("the same media signal four times made %d events, want 1", n)
		}
		submit(mediaSignal("deleted", start)) // another event of the asset is new
		if n := countEvents(t, st, "media"); n != 2 {
			t.Fatalf("after a different event: %d media events, want 2", n)
		}

		// By id: the second has another time but the same id.
		first := transcoderSignal("ACTIVE", c.now().UnixMilli()-5000)
		first.ID = "cb-17"
		again := transcoderSignal("ACTIVE", c.now().UnixMilli()-4000)
		again.ID = "cb-17"
		submit(first)
		submit(again)
		if n := countEvents(t, st, "transcoder"); n != 1 {
			t.Fatalf("the same transcoder id twice made %d events, want 1", n)
		}
		// Without id or time there is nothing to know a retry by.
		noTime := mediaSignal("processing", 0)
		submit(noTime)
		submit(noTime)
		if n := countEvents(t, st, "media"); n != 4 {
			t.Fatalf("a media signal without time twice: %d media events, want 4", n)
		}
		// Past the window the same content is new again.
		c.add(2 * time.Hour)
		submit(mediaSignal("completed", start))
		if n := countEvents(t, st, "media"); n != 5 {
			t.Fatalf("past the window: %d media events, want 5", n)
		}
	})
}

// TestIdempotencyKeyReplay: a request sent again with its Idempotency-Key is
// answered as the first was and applies nothing, even when its body differs.
func TestIdempotencyKeyReplay(t *testing.T) {
	bothStores(t, func(t *testing.T, st store.Store) {
		b := setupOn(t, st, Options{IdempotencyWindow: time.Hour})
		b.webhook(t, nil)
		ctx := context.Background()
		got, err := b.p.SubmitKeyed(ctx, []engine.Signal{feedStarted("cam1", "f1"), feedStarted("cam2", "f2")}, "req-1")
		if err != nil {
			t.Fatal(err)
		}
		if want := (Outcome{Accepted: 2, Events: 2}); got != want {
			t.Fatalf("first answer %+v, want %+v", got, want)
		}
		again, err := b.p.SubmitKeyed(ctx, []engine.Signal{feedStarted("cam3", "f3")}, "req-1")
		if err != nil {
			t.Fatal(err)
		}
		if want := (Outcome{Accepted: 2, Events: 2, Replayed: true}); again != want {
			t.Fatalf("replay answered %+v, want %+v", again, want)
		}
		if n := countEvents(t, st, "feeds"); n != 2 {
			t.Fatalf("%d feed events after the replay, want 2", n)
		}
		streams, err := b.p.Streams(ctx, "A")
		if err != nil {
			t.Fatal(err)
		}
		if len(streams) != 2 {
			t.Fatalf("replay changed the streams: %+v", streams)
		}
		// Another key is another request.
		other, err := b.p.SubmitKeyed(ctx, []engine.Signal{feedStarted("cam3", "f3")}, "req-2")
		if err != nil || other != (Outcome{Accepted: 1, Events: 1}) {
			t.Fatalf("new key: %+v, %v", other, err)
		}
	})
}
