package retention_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/hookcast/hookcast/internal/retention"
	"github.com/hookcast/hookcast/internal/store"
	"github.com/hookcast/hookcast/internal/store/sqlite"
)

// feedStore is a SQLite store with account A and one webhook for its feed events.
func feedStore(t *testing.T) (*sqlite.Store, *store.Webhook) {
	t.Helper()
	st, err := sqlite.Open(t.Context(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.CreateAccount(t.Context(), store.Account{ID: "A"}); err != nil {
		t.Fatal(err)
	}
	w := &store.Webhook{AccountID: "A", URL: "http://127.0.0.1:9/", Secret: "c2VjcmV0", IsFeedHooks: true, RetryPolicy: "none"}
	if err := st.CreateWebhook(t.Context(), w); err != nil {
		t.Fatal(err)
	}
	return st, w
}

func TestPass(t *testing.T) {
	ctx := t.Context()
	st, w := feedStore(t)
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	// Five old events with a finished delivery each, then a young one.
	var ids []int64
	for i := range 6 {
		at := t0.Add(time.Duration(i) * time.Minute)
		if i == 5 {
			at = t0.Add(48 * time.Hour)
		}
		ev := store.Event{ID: "e" + string(rune('0'+i)), AccountID: "A", Type: "feeds", Event: "started",
			ContentType: "application/json", Body: []byte("{}"), CreatedAt: at}
		err := st.InTx(ctx, func(tx store.Tx) error {
			got, err := tx.InsertEvents(ctx, []store.NewEvent{{Event: ev, Deliveries: []store.Delivery{{WebhookID: w.ID, State: store.DeliveryFailed}}}})
			if err == nil {
				ids = append(ids, got[0]...)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	var observed []store.PruneResult
	p := retention.New(st, retention.Options{
		Retention: 24 * time.Hour,
		Batch:     2, // three batches for the five old ones
		Now:       func() time.Time { return t0.Add(49 * time.Hour) },
		Observe:   func(r store.PruneResult, _ time.Duration) { observed = append(observed, r) },
	})
	got, err := p.Pass(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got.Deliveries != 5 || got.Events != 5 {
		t.Fatalf("pass removed %+v, want 5 deliveries and 5 events", got)
	}
	if len(observed) != 1 || observed[0] != got {
		t.Fatalf("observed %+v, want one pass of %+v", observed, got)
	}
	left, err := st.ListDeliveries(ctx, store.DeliveryQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if len(left) != 1 || left[0].ID != ids[5] {
		t.Fatalf("left %+v, want only delivery %d", left, ids[5])
	}
}

func TestIntervalAndEnabled(t *testing.T) {
	for _, tc := range []struct {
		o       retention.Options
		enabled bool
	}{
		{retention.Options{}, false},
		{retention.Options{Retention: time.Hour}, true},
		{retention.Options{ImageRetention: time.Hour}, true},
		{retention.Options{KeyWindow: time.Hour}, true},
	} {
		if got := retention.New(nil, tc.o).Enabled(); got != tc.enabled {
			t.Errorf("%+v: Enabled = %v, want %v", tc.o, got, tc.enabled)
		}
	}
	// Run with nothing to prune returns when its context ends.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := retention.New(nil, retention.Options{}).Run(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestPassKeepsStatsAWeek: rollups go with the retention, but never before
// StatsKeep, so the week chart stays whole under a short retention.
func TestPassKeepsStatsAWeek(t *testing.T) {
	ctx := t.Context()
	st, err := sqlite.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.CreateAccount(ctx, store.Account{ID: "A"}); err != nil {
		t.Fatal(err)
	}
	w := &store.Webhook{AccountID: "A", URL: "http://127.0.0.1:9/", Secret: "c2VjcmV0", IsFeedHooks: true}
	if err := st.CreateWebhook(ctx, w); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 1, 20, 0, 0, 0, 0, time.UTC)
	for i, age := range []time.Duration{9 * 24 * time.Hour, 7 * 24 * time.Hour} {
		at := now.Add(-age)
		var ids []int64
		err := st.InTx(ctx, func(tx store.Tx) error {
			ev := store.Event{ID: "s" + string(rune('0'+i)), AccountID: "A", Type: "feeds", Event: "started",
				ContentType: "application/json", Body: []byte("{}"), CreatedAt: now}
			got, err := tx.InsertEvents(ctx, []store.NewEvent{{Event: ev, Deliveries: []store.Delivery{{WebhookID: w.ID}}}})
			if err == nil {
				ids = got[0]
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		// The only pending delivery: the one just inserted.
		if got, err := st.ClaimDeliveries(ctx, store.Claim{Owner: "o", Now: now, Lease: time.Minute}); err != nil ||
			len(got) != 1 || got[0].Delivery.ID != ids[0] {
			t.Fatalf("claim %v: %d claimed, %v", ids, len(got), err)
		}
		if err := st.FinishAttempts(ctx, []store.AttemptResult{{Owner: "o", State: store.DeliverySucceeded, Success: true,
			Attempt: store.Attempt{DeliveryID: ids[0], N: 1, At: at, Status: 200}}})[0]; err != nil {
			t.Fatal(err)
		}
	}
	p := retention.New(st, retention.Options{Retention: 24 * time.Hour, Now: func() time.Time { return now }})
	got, err := p.Pass(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := st.Stats(ctx, store.StatsQuery{AccountID: "A", From: now.Add(-10 * 24 * time.Hour), To: now, Step: 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if got.Stats != 1 || len(rows) != 1 || !rows[0].Start.Equal(now.Add(-7*24*time.Hour)) {
		t.Fatalf("pass removed %d rollups, left %+v; want the 9-day-old one gone, the 7-day-old one kept", got.Stats, rows)
	}
}

// delivered stores n events a second apart from t0, each with one delivery to w
// that succeeded, one transaction each.
func delivered(t *testing.T, st *sqlite.Store, w *store.Webhook, t0 time.Time, n int) {
	t.Helper()
	ctx := t.Context()
	for i := range n {
		ev := store.Event{ID: fmt.Sprintf("e%02d", i), AccountID: "A", Type: "feeds", Event: "started",
			ContentType: "application/json", Body: []byte("{}"), CreatedAt: t0.Add(time.Duration(i) * time.Second)}
		if err := st.InTx(ctx, func(tx store.Tx) error {
			_, err := tx.InsertEvents(ctx, []store.NewEvent{{Event: ev, Deliveries: []store.Delivery{{WebhookID: w.ID, State: store.DeliverySucceeded}}}})
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
}

// countingStore counts the Prune calls of a real store and the limits asked.
type countingStore struct {
	retention.Store
	limits []int
}

func (c *countingStore) Prune(ctx context.Context, p store.PruneBatch) (store.PruneResult, error) {
	c.limits = append(c.limits, p.Limit)
	return c.Store.Prune(ctx, p)
}

// TestBatchGrows: batches that hold the writer briefly grow (up to MaxBatch),
// so a pass keeps up with a busy service in fewer transactions.
func TestBatchGrows(t *testing.T) {
	ctx := t.Context()
	st, w := feedStore(t)
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	delivered(t, st, w, t0, 41)
	cs := &countingStore{Store: st}
	p := retention.New(cs, retention.Options{Retention: time.Hour, Batch: 1, MaxBatch: 8, HoldTarget: time.Hour,
		Now: func() time.Time { return t0.Add(2 * time.Hour) }})
	got, err := p.Pass(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got.Deliveries != 40 { // the newest stays on SQLite
		t.Fatalf("pass removed %+v, want 40 deliveries", got)
	}
	if want := []int{1, 2, 4, 8}; len(cs.limits) < 4 || !slices.Equal(cs.limits[:4], want) || slices.Max(cs.limits) != 8 {
		t.Fatalf("limits asked %v, want growth 1, 2, 4, 8 and no more than 8", cs.limits)
	}
}

// turnStore is a real store whose Prune says whether it ran inside a turn.
type turnStore struct {
	retention.Store
	inTurn        bool
	calls, inside int
}

func (s *turnStore) Prune(ctx context.Context, p store.PruneBatch) (store.PruneResult, error) {
	s.calls++
	if s.inTurn {
		s.inside++
	}
	return s.Store.Prune(ctx, p)
}

// TestEachBatchWaitsForItsTurn: every batch's transaction runs inside Turn
// (the committer's WhenIdle in serve: only when no signal waits), with the
// wait bound given.
func TestEachBatchWaitsForItsTurn(t *testing.T) {
	ctx := t.Context()
	st, w := feedStore(t)
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	delivered(t, st, w, t0, 7)
	ts := &turnStore{Store: st}
	turns := 0
	p := retention.New(ts, retention.Options{Retention: time.Hour, Batch: 2, MaxBatch: 2, TurnWait: 7 * time.Millisecond,
		Now: func() time.Time { return t0.Add(2 * time.Hour) },
		Turn: func(_ context.Context, maxWait time.Duration, fn func()) error {
			if maxWait != 7*time.Millisecond {
				t.Errorf("turn asked with maxWait %v, want TurnWait", maxWait)
			}
			turns++
			ts.inTurn = true
			fn()
			ts.inTurn = false
			return nil
		}})
	got, err := p.Pass(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got.Deliveries != 6 || ts.calls < 3 || ts.inside != ts.calls || turns != ts.calls {
		t.Fatalf("removed %d deliveries in %d batches, %d of them inside one of %d turns; want 6, every batch in a turn of its own",
			got.Deliveries, ts.calls, ts.inside, turns)
	}
}
