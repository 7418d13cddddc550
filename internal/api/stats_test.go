package api

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/hookcast/hookcast/internal/store"
)

// TestStats: 30 succeeded and 10 failed deliveries of a known latency come
// back as those counts, a 75 % success rate, percentiles within their bucket,
// and a series whose points add up; the other account sees none of it; a
// pending delivery is the backlog; bad parameters are a 400.
func TestStats(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	wa := b.createWebhook(b.secretA, "https://hooks.example.com/a")
	wb := b.createWebhook(b.secretB, "https://hooks.example.com/b")
	now := b.clock.Now()
	record := func(webhookID int64, account string, n int, state store.DeliveryState, latency time.Duration, at time.Time) {
		for i := range n {
			id := b.insert(store.Event{ID: fmt.Sprintf("ev-%d-%s-%d-%d", webhookID, state, at.Unix(), i), AccountID: account,
				Type: "feeds", Event: "started", ContentType: "application/json", Body: []byte("{}"), CreatedAt: at}, webhookID)
			// The only pending delivery: the one just inserted.
			if got, err := b.st.ClaimDeliveries(ctx, store.Claim{Owner: "t", Now: at, Lease: time.Minute}); err != nil ||
				len(got) != 1 || got[0].Delivery.ID != id {
				t.Fatalf("claim %d: %d claimed, %v", id, len(got), err)
			}
			if err := b.st.FinishAttempts(ctx, []store.AttemptResult{{Owner: "t", State: state, Success: state == store.DeliverySucceeded,
				Attempt: store.Attempt{DeliveryID: id, N: 1, At: at, Latency: latency, Status: 200}}})[0]; err != nil {
				t.Fatal(err)
			}
		}
	}
	record(wa.ID, acctA, 30, store.DeliverySucceeded, 40*time.Millisecond, now.Add(-10*time.Minute))
	record(wa.ID, acctA, 10, store.DeliveryFailed, 400*time.Millisecond, now.Add(-5*time.Minute))
	record(wb.ID, acctB, 7, store.DeliverySucceeded, time.Millisecond, now.Add(-5*time.Minute))
	b.insert(store.Event{ID: "pending-1", AccountID: acctA, Type: "feeds", Event: "started", ContentType: "application/json",
		Body: []byte("{}"), CreatedAt: now.Add(-90 * time.Second)}, wa.ID)

	r := b.do("GET", "/api/stats?window=hour", b.secretA, "")
	if r.code != 200 {
		t.Fatalf("GET /api/stats: %d %s", r.code, r.raw)
	}
	var page statsPage
	if err := json.Unmarshal(r.Data, &page); err != nil {
		t.Fatal(err)
	}
	acc := page.Account
	if acc.Succeeded != 30 || acc.Failed != 10 || acc.SuccessRate == nil || *acc.SuccessRate != 0.75 || acc.Attempts != 40 {
		t.Fatalf("account figures: %s", r.Data)
	}
	// 30 of 40 attempts in (25, 50] ms, 10 in (250, 500]: p50 in the first, p95 and p99 in the second.
	if l := acc.LatencyMs; l == nil || l.P50 <= 25 || l.P50 > 50 || l.P95 <= 250 || l.P95 > 500 || l.P99 < l.P95 || l.P99 > 500 {
		t.Fatalf("latency: %+v", acc.LatencyMs)
	}
	if acc.Backlog.Pending != 1 || acc.Backlog.OldestAgeSeconds != 90 {
		t.Fatalf("backlog: %+v", acc.Backlog)
	}
	if page.Points != 60 || len(acc.Series.Succeeded) != 60 || page.StepSeconds != 60 {
		t.Fatalf("points %d, step %d, %d succeeded points", page.Points, page.StepSeconds, len(acc.Series.Succeeded))
	}
	var sum int64
	for i, n := range acc.Series.Succeeded {
		sum += n
		if n != 0 && i != 49 { // ten minutes before the last point, the current minute
			t.Errorf("succeeded[%d] = %d", i, n)
		}
	}
	if sum != 30 || acc.Series.Failed[54] != 10 {
		t.Fatalf("series: %+v", acc.Series)
	}
	if len(page.Webhooks) != 1 || page.Webhooks[0].WebhookID != wa.ID || page.Webhooks[0].Succeeded != 30 {
		t.Fatalf("webhooks: %s", r.Data)
	}

	// One webhook; another account's webhook, even by id, shows nothing.
	if err := json.Unmarshal(b.do("GET", fmt.Sprintf("/api/stats?webhookId=%d&window=week", wb.ID), b.secretA, "").Data, &page); err != nil {
		t.Fatal(err)
	}
	if page.Account.Succeeded != 0 || len(page.Webhooks) != 0 || page.Points != 168 {
		t.Fatalf("account A asking for B's webhook: %+v", page)
	}
	if f := b.do("GET", "/api/stats?window=year&webhookId=x", b.secretA, "").fail(t); f["window"] == "" || f["webhookId"] == "" {
		t.Fatalf("fail: %v", f)
	}
	if r := b.do("GET", "/api/stats", "", ""); r.code != 401 {
		t.Fatalf("no secret: %d", r.code)
	}
}

// TestPercentile: estimates fall in the rank's bucket, interpolated.
func TestPercentile(t *testing.T) {
	var h [store.LatencyBuckets]int64
	if percentile(h, 0.5) != 0 {
		t.Fatal("empty histogram")
	}
	h[0] = 10 // ≤ 5 ms
	h[store.LatencyBuckets-1] = 10
	for _, tc := range []struct{ p, want float64 }{{0.25, 2.5}, {0.5, 5}, {0.99, 10000}} {
		if got := percentile(h, tc.p); got != tc.want {
			t.Errorf("p%v = %v, want %v", tc.p*100, got, tc.want)
		}
	}
}
