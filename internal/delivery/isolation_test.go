package delivery

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookcast/hookcast/internal/netguard"
	"github.com/hookcast/hookcast/internal/store"
)

// TestSlowEndpointDoesNotDelayOthers: while a slow endpoint holds all its
// attempts open, every delivery to a fast endpoint completes.
func TestSlowEndpointDoesNotDelayOthers(t *testing.T) {
	t.Parallel()
	h := newHarness(t, Options{
		Client: netguard.NewClient(netguard.ClientOptions{AllowPrivate: true, Timeout: 30 * time.Second}),
	})
	release := make(chan struct{})
	var slowDone atomic.Int64
	slow := newReceiver(t, func(w http.ResponseWriter, r *http.Request, _ int64) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
		slowDone.Add(1)
	})
	fast := newReceiver(t, status(http.StatusNoContent))
	slowWH := h.webhook(slow.srv.URL, PolicyExponential)
	fastWH := h.webhook(fast.srv.URL, PolicyExponential)
	var slowIDs, fastIDs []int64
	for range 20 {
		_, ids := h.handOver(0, nil, slowWH, fastWH)
		slowIDs, fastIDs = append(slowIDs, ids[0]), append(fastIDs, ids[1])
	}
	h.start()
	for _, id := range fastIDs {
		h.waitState(id, store.DeliverySucceeded)
	}
	if n := slowDone.Load(); n != 0 {
		t.Fatalf("%d slow requests finished before the fast endpoint was done", n)
	}
	waitFor(t, "slow endpoint at its concurrency limit", func() bool { return slow.n.Load() == 4 })
	close(release)
	for _, id := range slowIDs {
		h.waitState(id, store.DeliverySucceeded)
	}
}

// TestDeadEndpointAutoDisabled: failures in a short outage disable nothing; once
// they have gone on for the window, the webhook is disabled for a while;
// deliveries meanwhile are skipped; after the while one probe is sent, and its
// failure disables the webhook again.
func TestDeadEndpointAutoDisabled(t *testing.T) {
	t.Parallel()
	h := newHarness(t, Options{AutoDisableAfter: 3, AutoDisableWindow: 10 * time.Minute, AutoDisableFor: time.Hour})
	dead := httptest.NewServer(http.NotFoundHandler())
	deadURL := dead.URL
	dead.Close() // nothing listens there any more: connection refused
	wh := h.webhook(deadURL, PolicyNone)
	var ids []int64
	for range 3 {
		_, id := h.handOver(0, nil, wh)
		ids = append(ids, id...)
	}
	h.start()
	for _, id := range ids {
		_, as := h.waitState(id, store.DeliveryFailed)
		if len(as) != 1 || as[0].Status != 0 || as[0].Error == "" {
			t.Fatalf("attempts %+v, want one connection error", as)
		}
	}
	got, err := h.st.GetWebhook(context.Background(), account, wh.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Disabled {
		t.Fatalf("disabled after 3 failures within a second: %q", got.DisabledReason)
	}
	h.clock.Advance(10 * time.Minute) // still failing ten minutes later
	_, later := h.handOver(0, nil, wh)
	h.waitState(later[0], store.DeliveryFailed)
	waitFor(t, "webhook disabled", func() bool {
		got, err = h.st.GetWebhook(context.Background(), account, wh.ID)
		return err == nil && got.Disabled
	})
	wantUntil := h.clock.Now().Add(time.Hour)
	if !got.Disabled || !got.DisabledUntil.Equal(wantUntil) ||
		got.DisabledReason != "4 consecutive failed deliveries over 10m0s (last: connection refused)" {
		t.Fatalf("webhook disabled=%v until=%v reason=%q", got.Disabled, got.DisabledUntil, got.DisabledReason)
	}

	_, skipped := h.handOver(0, nil, wh)
	if d, as := h.waitState(skipped[0], store.DeliverySkipped); d.Attempts != 0 || len(as) != 0 {
		t.Fatalf("skipped delivery has attempts %d/%d", d.Attempts, len(as))
	}

	h.clock.Advance(time.Hour)
	_, probe := h.handOver(0, nil, wh)
	if _, as := h.waitState(probe[0], store.DeliveryFailed); len(as) != 1 {
		t.Fatalf("probe made %d attempts, want 1", len(as))
	}
	got, _ = h.st.GetWebhook(context.Background(), account, wh.ID)
	if !got.Disabled || !got.DisabledUntil.Equal(h.clock.Now().Add(time.Hour)) ||
		!strings.HasPrefix(got.DisabledReason, "5 consecutive failed deliveries") {
		t.Fatalf("after the probe: disabled=%v until=%v reason=%q", got.Disabled, got.DisabledUntil, got.DisabledReason)
	}
}

// TestCrashRecovery: deliveries committed but never notified, some of them
// leased by a process that died, are all sent by a new dispatcher's poller.
func TestCrashRecovery(t *testing.T) {
	t.Parallel()
	h := newHarness(t, Options{})
	rc := newReceiver(t, status(http.StatusOK))
	wh := h.webhook(rc.srv.URL, PolicyExponential)
	var ids []int64
	for range 50 {
		_, id := h.event(0, nil, wh)
		ids = append(ids, id...)
	}
	dead, err := h.st.ClaimDeliveries(context.Background(), store.Claim{
		Owner: "crashed", Now: h.clock.Now(), Lease: time.Minute, Limit: 20,
	})
	if err != nil || len(dead) != 20 {
		t.Fatalf("claim by the crashed owner: %d, %v", len(dead), err)
	}
	h.clock.Advance(time.Minute)
	h.start()
	for _, id := range ids {
		h.waitState(id, store.DeliverySucceeded)
	}
	seen := map[string]bool{}
	for range 50 {
		seen[rc.next(t).header.Get("Webhook-Id")] = true
	}
	if len(seen) != 50 {
		t.Fatalf("%d distinct events received, want 50", len(seen))
	}
}

// TestPrivateTargetRefused: with private targets not allowed, a receiver on
// 127.0.0.1 is refused at dial time and the attempt says why.
func TestPrivateTargetRefused(t *testing.T) {
	t.Parallel()
	h := newHarness(t, Options{Client: netguard.NewClient(netguard.ClientOptions{})})
	rc := newReceiver(t, status(http.StatusOK))
	wh := h.webhook(rc.srv.URL, PolicyExponential)
	_, ids := h.handOver(0, nil, wh)
	h.start()
	_, as := h.waitState(ids[0], store.DeliveryFailed)
	if len(as) != 1 || !strings.Contains(as[0].Error, "address refused") || rc.n.Load() != 0 {
		t.Fatalf("attempts %+v, requests %d", as, rc.n.Load())
	}
}

// TestShutdownCutsOffAfterGrace: Run returns once the grace period is over even
// with an attempt hanging, and that attempt is not recorded.
func TestShutdownCutsOffAfterGrace(t *testing.T) {
	t.Parallel()
	h := newHarness(t, Options{ShutdownGrace: 50 * time.Millisecond})
	rc := newReceiver(t, func(_ http.ResponseWriter, r *http.Request, _ int64) { <-r.Context().Done() })
	wh := h.webhook(rc.srv.URL, PolicyExponential)
	_, ids := h.handOver(0, nil, wh)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.d.Run(ctx) }()
	rc.next(t)
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Run did not return")
	}
	d, as, err := h.st.GetDelivery(context.Background(), account, ids[0])
	if err != nil || d.State != store.DeliveryPending || len(as) != 0 {
		t.Fatalf("after shutdown: %s with %d attempts (%v), want pending with none", d.State, len(as), err)
	}
}
