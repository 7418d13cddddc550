package operational

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/hookcast/hookcast/internal/store"
	"github.com/hookcast/hookcast/internal/store/sqlite"
	"github.com/hookcast/hookcast/webhook"
)

// TestSecretExpiring: an hour before a rotation's overlap ends, the account's
// operational webhooks get secretExpiring, once, and the renewed webhook, itself
// operational, does not get its own.
func TestSecretExpiring(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.CreateAccount(ctx, store.Account{ID: "A"}); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	newHook := func(edit func(*store.Webhook)) store.Webhook {
		w := store.Webhook{AccountID: "A", URL: "https://h.example.com/", Secret: "c2VjcmV0", IsOperationalHooks: true}
		edit(&w)
		if err := st.CreateWebhook(ctx, &w); err != nil {
			t.Fatal(err)
		}
		return w
	}
	renewed := newHook(func(w *store.Webhook) { w.PreviousSecret, w.PreviousSecretExpiresAt = "b2xk", now.Add(40*time.Minute) })
	watcher := newHook(func(*store.Webhook) {})
	newHook(func(w *store.Webhook) { // not yet due, and not operational
		w.PreviousSecret, w.PreviousSecretExpiresAt, w.IsOperationalHooks = "b2xk", now.Add(3*time.Hour), false
	})

	woken := make(chan struct{}, 10)
	n, err := New(st, Options{Now: func() time.Time { return now }, Wake: func() { woken <- struct{}{} }})
	if err != nil {
		t.Fatal(err)
	}
	n.scanExpiring(ctx)
	n.scanExpiring(ctx) // claimed once: nothing more
	if len(n.ch) != 1 {
		t.Fatalf("%d events queued, want 1", len(n.ch))
	}
	n.deliver(ctx, <-n.ch)
	<-woken
	ds, err := st.ListDeliveries(ctx, store.DeliveryQuery{AccountID: "A"})
	if err != nil {
		t.Fatal(err)
	}
	var gotTo []int64
	for _, d := range ds {
		gotTo = append(gotTo, d.WebhookID)
	}
	if len(ds) != 1 || ds[0].WebhookID != watcher.ID || ds[0].EventType != webhook.TypeOperational || ds[0].EventName != webhook.SecretExpiring {
		t.Fatalf("deliveries to %v (%+v), want one secretExpiring to the watcher %d", gotTo, ds, watcher.ID)
	}
	ev, err := st.GetEvent(ctx, "A", ds[0].EventID)
	if err != nil {
		t.Fatal(err)
	}
	var body webhook.OperationalEvent
	if err := json.Unmarshal(ev.Body, &body); err != nil {
		t.Fatal(err)
	}
	if body.Data.WebhookID != renewed.ID || body.Data.ExpiresAt != "2026-12-03T10:40:00.000Z" {
		t.Fatalf("secretExpiring data %+v", body.Data)
	}
}
