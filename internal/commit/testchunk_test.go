package commit

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/hookcast/hookcast/internal/engine"
	"github.com/hookcast/hookcast/internal/store"
	"github.com/hookcast/hookcast/webhook"
)

// TestTestEventChunks: a test event to more webhooks than a chunk is one event
// whose deliveries, one per webhook (filters ignored, a disabled webhook's
// skipped), are written maxTestChunk a transaction; a signal that arrives
// while a chunk holds the writer is committed next, alone, before any other
// test's chunk waiting.
func TestTestEventChunks(t *testing.T) {
	type group struct{ signals, deliveries int }
	var mu sync.Mutex
	var groups []group
	b := setupWith(t, Options{Observe: func(signals, _, deliveries int, _ time.Duration) {
		mu.Lock()
		groups = append(groups, group{signals, deliveries})
		mu.Unlock()
	}})
	const n = 2*maxTestChunk + 6
	for i := range n {
		b.webhook(t, func(w *store.Webhook) {
			switch i {
			case 0:
				w.Filter = "^nothing" // the signal's event is not for it; the tests are
			case 1:
				w.Disabled, w.DisabledReason = true, "test"
			}
		})
	}
	ctx := context.Background()
	sample := store.Event{AccountID: "A", Type: webhook.TypeFeeds, Event: webhook.FeedStarted,
		ContentType: "application/json", Body: []byte(`{"test":true}`)}

	g := newGate()
	b.st.hold.Store(g)
	tests := make(chan error, 2)
	go func() { tests <- b.p.SubmitTest(ctx, []store.Event{sample}) }()
	<-g.entered // the first test's first chunk holds the writer
	go func() { tests <- b.p.SubmitTest(ctx, []store.Event{sample}) }()
	signal := make(chan error, 1)
	go func() {
		_, err := b.p.Submit(ctx, []engine.Signal{feedStarted("cam1", "f1")})
		signal <- err
	}()
	deadline := time.Now().Add(20 * time.Second)
	for len(b.p.reqs) != 1 || len(b.p.bulk) != 1 {
		if time.Now().After(deadline) {
			t.Fatalf("the signal and the second test's chunk never queued up (%d, %d)", len(b.p.reqs), len(b.p.bulk))
		}
		time.Sleep(time.Millisecond)
	}
	close(g.open)
	for range 2 {
		if err := <-tests; err != nil {
			t.Fatal(err)
		}
	}
	if err := <-signal; err != nil {
		t.Fatal(err)
	}

	// Observe runs after the callers are answered: wait for the last one.
	total := func() (n int) {
		mu.Lock()
		defer mu.Unlock()
		for _, g := range groups {
			n += g.deliveries
		}
		return n
	}
	for total() < 2*n+n-1 {
		if time.Now().After(deadline) {
			t.Fatalf("%d deliveries observed, want %d", total(), 2*n+n-1)
		}
		time.Sleep(time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(groups) < 2 || groups[0] != (group{0, maxTestChunk}) || groups[1] != (group{1, n - 1}) {
		t.Fatalf("groups (signals, deliveries) %v: want a chunk of %d, then the signal alone to %d webhooks",
			groups, maxTestChunk, n-1)
	}
	testDeliveries := 0
	for _, g := range groups[2:] {
		if g.signals != 0 || g.deliveries > maxTestChunk {
			t.Fatalf("groups %v: a test chunk with a signal, or more than %d deliveries", groups, maxTestChunk)
		}
		testDeliveries += g.deliveries
	}
	if want := 2*n - maxTestChunk; testDeliveries != want {
		t.Fatalf("groups %v: %d test deliveries after the first chunk, want %d", groups, testDeliveries, want)
	}

	// Two test events, each to every webhook once; the disabled one skipped.
	evs, err := b.st.ListEvents(ctx, store.EventQuery{AccountID: "A", Limit: 10})
	if err != nil || len(evs) != 3 {
		t.Fatalf("%d events (%v), want the two tests and the signal's", len(evs), err)
	}
	ds, err := b.st.ListDeliveries(ctx, store.DeliveryQuery{AccountID: "A", Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	per := map[string]map[int64]store.DeliveryState{}
	for _, d := range ds {
		if per[d.EventID] == nil {
			per[d.EventID] = map[int64]store.DeliveryState{}
		}
		if _, dup := per[d.EventID][d.WebhookID]; dup {
			t.Fatalf("event %s sent twice to webhook %d", d.EventID, d.WebhookID)
		}
		per[d.EventID][d.WebhookID] = d.State
	}
	tested := 0
	for id, hooks := range per {
		if len(hooks) == n-1 {
			continue // the signal's
		}
		if len(hooks) != n {
			t.Fatalf("event %s reached %d webhooks, want %d", id, len(hooks), n)
		}
		skipped := 0
		for _, st := range hooks {
			if st == store.DeliverySkipped {
				skipped++
			}
		}
		if skipped != 1 {
			t.Fatalf("event %s: %d deliveries skipped, want the disabled webhook's", id, skipped)
		}
		tested++
	}
	if tested != 2 {
		t.Fatalf("%d test events with a delivery per webhook, want 2", tested)
	}
}
