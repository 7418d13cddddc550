package api

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hookcast/hookcast/internal/store"
)

// TestWebhookQuota: the 101st webhook of an account is refused with a 409 that
// says why, and nothing is created; another account is not affected.
func TestWebhookQuota(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for i := range 100 {
		b.createWebhook(b.secretA, fmt.Sprintf("https://hooks.example.com/%d", i))
	}
	r := b.do("POST", "/api/webhooks", b.secretA, `{"url":"https://hooks.example.com/101","isFeedHooks":true}`)
	if r.code != 409 || !strings.Contains(r.Message, "already has 100 webhooks") {
		t.Fatalf("101st webhook: %d %s", r.code, r.raw)
	}
	if hooks, _ := b.st.ListWebhooks(context.Background(), acctA, 0, 0, false); len(hooks) != 100 {
		t.Fatalf("%d webhooks after the refusal, want 100", len(hooks))
	}
	b.createWebhook(b.secretB, "https://hooks.example.com/b")
	// Deleting one makes room again.
	r = b.do("DELETE", fmt.Sprintf("/api/webhooks/%d", b.snapshot()[0].ID), b.secretA, "")
	if r.code != 200 {
		t.Fatalf("delete: %d %s", r.code, r.raw)
	}
	b.createWebhook(b.secretA, "https://hooks.example.com/again")
}

// TestTestEventRate: the 11th test call of an account within a minute is a 429
// with Retry-After and sends nothing; another account is not affected, and the
// account may call again once the minute is over.
func TestTestEventRate(t *testing.T) {
	t.Parallel()
	b := setup(t)
	start := b.clock.Now()
	for i := range 10 {
		b.clock.Set(start.Add(time.Duration(i) * time.Second))
		if r := b.do("POST", "/api/webhooks/test/Feeds", b.secretA, ""); r.code != 200 {
			t.Fatalf("call %d: %d %s", i+1, r.code, r.raw)
		}
	}
	b.clock.Set(start.Add(30 * time.Second))
	r := b.do("POST", "/api/webhooks/test/Media", b.secretA, "")
	if r.code != 429 || r.header.Get("Retry-After") != "30" || !strings.Contains(r.Message, "10 test events a minute") {
		t.Fatalf("11th call: %d Retry-After %q %s", r.code, r.header.Get("Retry-After"), r.raw)
	}
	if n := len(b.sent()); n != 10 {
		t.Fatalf("%d test events sent, want 10", n)
	}
	if r := b.do("POST", "/api/webhooks/test/Feeds", b.secretB, ""); r.code != 200 {
		t.Fatalf("account B: %d %s", r.code, r.raw)
	}
	b.clock.Set(start.Add(time.Minute))
	if r := b.do("POST", "/api/webhooks/test/Feeds", b.secretA, ""); r.code != 200 {
		t.Fatalf("a minute after the first call: %d %s", r.code, r.raw)
	}
}

// TestWebhookLimitFields: maxConcurrency and maxPerSecond are set on creation
// and update, shown with their defaults, and checked.
func TestWebhookLimitFields(t *testing.T) {
	t.Parallel()
	b := setup(t)
	w := b.createWebhook(b.secretA, "https://hooks.example.com/a")
	if w.MaxConcurrency != 4 || w.MaxPerSecond != 0 {
		t.Fatalf("defaults: maxConcurrency %d maxPerSecond %d, want 4 and 0 (unlimited)", w.MaxConcurrency, w.MaxPerSecond)
	}
	w = b.do("POST", "/api/webhooks", b.secretA,
		`{"url":"https://hooks.example.com/b","isFeedHooks":true,"maxConcurrency":2,"maxPerSecond":5}`).webhook(t)
	if w.MaxConcurrency != 2 || w.MaxPerSecond != 5 {
		t.Fatalf("created with %d/%d, want 2/5", w.MaxConcurrency, w.MaxPerSecond)
	}
	path := fmt.Sprintf("/api/webhooks/%d", w.ID)
	w = b.do("PUT", path, b.secretA, `{"maxPerSecond":null,"maxConcurrency":8}`).webhook(t)
	if w.MaxConcurrency != 8 || w.MaxPerSecond != 5 {
		t.Fatalf("updated to %d/%d, want 8/5 (null leaves it)", w.MaxConcurrency, w.MaxPerSecond)
	}
	got, err := b.st.GetWebhook(context.Background(), acctA, w.ID)
	if err != nil || got.MaxConcurrency != 8 || got.MaxPerSecond != 5 {
		t.Fatalf("stored %+v (%v)", got, err)
	}
	before := b.snapshot()
	for _, body := range []string{`{"maxConcurrency":0}`, `{"maxConcurrency":65}`, `{"maxConcurrency":"2"}`,
		`{"maxPerSecond":-1}`, `{"maxPerSecond":1001}`, `{"maxPerSecond":1.5}`} {
		fl := b.do("PUT", path, b.secretA, body).fail(t)
		if len(fl) != 1 || !strings.Contains(fmt.Sprint(fl), "must be an integer from") {
			t.Errorf("%s: %v", body, fl)
		}
	}
	b.assertUnchanged(before, "refused limits")
	w = b.do("PUT", path, b.secretA, `{"maxPerSecond":0}`).webhook(t)
	if w.MaxPerSecond != 0 {
		t.Fatalf("maxPerSecond 0 (unlimited) not saved: %d", w.MaxPerSecond)
	}
}

// TestResendInChunks: a bulk resend of more deliveries than one chunk holds
// succeeds and makes every one of them pending (50,000 on both stores:
// storetest's ResendMany, through the same store.ResendChunks).
func TestResendInChunks(t *testing.T) {
	t.Parallel()
	const n = 2*resendChunk + 500
	b := setup(t)
	w := b.createWebhook(b.secretA, "https://hooks.example.com/a")
	ctx := context.Background()
	at := b.clock.Now()
	for i := 0; i < n; i += 500 {
		var evs []store.NewEvent
		for j := i; j < i+500; j++ {
			evs = append(evs, store.NewEvent{
				Event: store.Event{ID: fmt.Sprintf("evt_%d", j), AccountID: acctA, Type: "feeds", Event: "started",
					ContentType: "application/json", Body: []byte(`{}`), CreatedAt: at},
				Deliveries: []store.Delivery{{WebhookID: w.ID, State: store.DeliveryFailed}},
			})
		}
		if err := b.st.InTx(ctx, func(tx store.Tx) error { _, err := tx.InsertEvents(ctx, evs); return err }); err != nil {
			t.Fatal(err)
		}
	}
	r := b.do("POST", "/api/deliveries/resend", b.secretA, `{"since":0}`)
	var got resendResult
	if r.code != 200 || json.Unmarshal(r.Data, &got) != nil || len(got.Resent) != n {
		t.Fatalf("resend of %d: %d, %d resent: %.200s", n, r.code, len(got.Resent), r.raw)
	}
	counts, _, err := b.st.CountDeliveries(ctx)
	if err != nil || counts[store.DeliveryPending] != n || counts[store.DeliveryFailed] != 0 {
		t.Fatalf("after the resend: %v (%v)", counts, err)
	}
	if b.wakeCalls() != 1 {
		t.Fatalf("dispatcher woken %d times, want once", b.wakeCalls())
	}
}
