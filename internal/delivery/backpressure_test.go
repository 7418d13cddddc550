package delivery

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/hookcast/hookcast/internal/store"
)

// TestBackpressure: a delivery the dispatcher has no room for is not leased at
// insert but left free in the store, and the poller leaves it alone while the
// webhook's queue is full; deliveries that waited in the queue until too little
// of their lease was left are given back at once. All are then sent by the one
// way back, the poller's claim, without waiting for any lease to run out.
func TestBackpressure(t *testing.T) {
	t.Parallel()
	h := newHarness(t, Options{PerEndpointConcurrency: 1, PerEndpointQueue: 2})
	release := make(chan struct{})
	rc := newReceiver(t, func(_ http.ResponseWriter, r *http.Request, n int64) {
		if n == 1 {
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}
	})
	wh := h.webhook(rc.srv.URL, PolicyExponential)
	h.start()
	var ids []int64
	for range 4 {
		_, id := h.handOver(0, nil, wh)
		ids = append(ids, id...)
	}
	rc.next(t) // #1 in flight, #2 and #3 queued, #4 refused: left in the store
	if st := h.d.Stats(); st.Queued != 2 || st.InFlight != 1 {
		t.Fatalf("stats %+v, want 2 queued and 1 in flight", st)
	}
	// A poll that chose its exclusions before the queue was full may still be
	// running (its search and #4's insert race): let it end, then count only
	// the polls that started with the webhook full.
	polls := h.st.claims.Load()
	waitFor(t, "the poll in flight", func() bool { return h.st.claims.Load() >= polls+1 })
	before := h.st.claimed.Load()
	waitFor(t, "three more polls", func() bool { return h.st.claims.Load() >= polls+4 })
	if n := h.st.claimed.Load() - before; n != 0 {
		t.Fatalf("the poller claimed %d deliveries of a full webhook", n)
	}
	// The leases (60 s) now have less than the attempt timeout (15 s) and the
	// margin (5 s) left for #2 and #3.
	h.clock.Advance(41 * time.Second)
	close(release)
	for _, id := range ids {
		h.waitState(id, store.DeliverySucceeded)
	}
	if n := rc.n.Load(); n != 4 {
		t.Fatalf("%d requests, want 4", n)
	}
	if n := h.st.released.Load(); n < 2 {
		t.Fatalf("%d deliveries given back, want #2 and #3 at least", n)
	}
}

// TestRetryAfterPausesWebhook: a 429 with Retry-After pauses the webhook: the
// deliveries queued behind wait with it, and the delivery answered 429 is not
// failed, even under the "none" policy, but sent again once the pause is over.
func TestRetryAfterPausesWebhook(t *testing.T) {
	t.Parallel()
	h := newHarness(t, Options{PerEndpointConcurrency: 1})
	queued := make(chan struct{})
	rc := newReceiver(t, func(w http.ResponseWriter, _ *http.Request, n int64) {
		if n == 1 {
			<-queued // all three handed over before the webhook is paused
			w.Header().Set("Retry-After", "30")
			w.WriteHeader(http.StatusTooManyRequests)
		}
	})
	wh := h.webhook(rc.srv.URL, PolicyNone)
	var ids []int64
	for range 3 {
		_, id := h.handOver(0, nil, wh)
		ids = append(ids, id...)
	}
	close(queued)
	start := h.clock.Now()
	h.start()
	var d store.Delivery
	waitFor(t, "the 429 recorded", func() bool {
		d, _, _ = h.st.GetDelivery(context.Background(), account, ids[0])
		return d.Attempts == 1
	})
	if d.State != store.DeliveryPending || !d.NextAttemptAt.Equal(start.Add(30*time.Second)) || d.LastStatus != 429 {
		t.Fatalf("after the 429: %s, next %v, status %d; want pending at %v", d.State, d.NextAttemptAt, d.LastStatus,
			start.Add(30*time.Second))
	}
	// Asked to wait, not failing: the webhook's failure count (auto-disable's,
	// seeded into a new endpoint or another replica) stays at 0.
	if w, err := h.st.GetWebhook(context.Background(), account, wh.ID); err != nil || w.ConsecutiveFailures != 0 {
		t.Fatalf("after the 429: %d consecutive failures (%v), want 0", w.ConsecutiveFailures, err)
	}
	h.clock.Advance(29 * time.Second)
	h.tick()
	if st := h.d.Stats(); rc.n.Load() != 1 || st.InFlight != 0 || st.Queued != 2 {
		t.Fatalf("%d requests, stats %+v during the pause; want 1 request, 2 queued", rc.n.Load(), st)
	}
	h.clock.Advance(time.Second)
	for _, id := range ids {
		h.waitState(id, store.DeliverySucceeded)
	}
	if n := rc.n.Load(); n != 4 {
		t.Fatalf("%d requests, want 4 (the 429 and three successes)", n)
	}
}

// TestWebhookLimits: a webhook limited to 5 attempts a second never starts a
// sixth within a second of the first, whatever is queued; one limited to 2 in
// flight never has a third.
func TestWebhookLimits(t *testing.T) {
	t.Parallel()
	h := newHarness(t, Options{})
	rc := newReceiver(t, status(http.StatusOK))
	wh := h.webhook(rc.srv.URL, PolicyExponential)
	wh.MaxPerSecond = 5
	if err := h.st.UpdateWebhook(context.Background(), &wh); err != nil {
		t.Fatal(err)
	}
	release := make(chan struct{})
	hang := newReceiver(t, func(_ http.ResponseWriter, r *http.Request, _ int64) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	defer close(release)
	narrow := h.webhook(hang.srv.URL, PolicyExponential)
	narrow.MaxConcurrency = 2
	if err := h.st.UpdateWebhook(context.Background(), &narrow); err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for range 12 {
		_, id := h.handOver(0, nil, wh, narrow)
		ids = append(ids, id[0])
	}
	h.start()
	// The clock only moves when the test moves it: each step shows exactly what
	// the limit lets through.
	for _, step := range []struct {
		advance time.Duration
		want    int64
	}{{0, 5}, {999 * time.Millisecond, 5}, {time.Millisecond, 10}, {time.Second, 12}} {
		h.clock.Advance(step.advance)
		h.tick()
		waitFor(t, "the deliveries the limit allows", func() bool {
			n := 0
			for _, id := range ids {
				if d, _, _ := h.st.GetDelivery(context.Background(), account, id); d.State == store.DeliverySucceeded {
					n++
				}
			}
			return rc.n.Load() == step.want && n == int(step.want) && hang.n.Load() == 2
		})
		h.tick()
		if n := rc.n.Load(); n != step.want {
			t.Fatalf("at +%v: %d requests, want %d", step.advance, n, step.want)
		}
	}
	if n := hang.n.Load(); n != 2 {
		t.Fatalf("%d requests in flight to a webhook limited to 2", n)
	}
}
