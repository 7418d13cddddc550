package retention_test

import (
	"context"
	"testing"
	"time"

	"github.com/hookcast/hookcast/internal/retention"
	"github.com/hookcast/hookcast/internal/store"
	"github.com/hookcast/hookcast/internal/store/sqlite"
)

func TestPass(t *testing.T) {
	ctx := t.Context()
	st, err := sqlite.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.CreateAccount(ctx, store.Account{ID: "A"}); err != nil {
		t.Fatal(err)
	}
	w := &store.Webhook{AccountID: "A", URL: "http://127.0.0.1:9/", Secret: "c2VjcmV0", IsFeedHooks: true, RetryPolicy: "none"}
	if err := st.CreateWebhook(ctx, w); err != nil {
		t.Fatal(err)
	}
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
			got, err := tx.InsertEvent(ctx, ev, []store.Delivery{{WebhookID: w.ID, State: store.DeliveryFailed}})
			ids = append(ids, got...)
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
