package delivery

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/hookcast/hookcast/internal/store"
)

// TestBackpressure: a delivery that finds its endpoint's queue full (with no
// room to park it), and one that waited in the queue until too little of its
// lease was left, are not sent by that claim; they are given back to the store at
// once and sent after a new claim, without waiting for their leases to run out.
func TestBackpressure(t *testing.T) {
	t.Parallel()
	h := newHarness(t, Options{PerEndpointConcurrency: 1, PerEndpointQueue: 2, MaxParked: -1})
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
	var ids []int64
	for range 3 {
		_, id := h.event(0, nil, wh)
		ids = append(ids, id...)
	}
	h.start()
	h.d.Notify(ids)
	rc.next(t) // the first is in flight, the second queued, the third given back
	waitFor(t, "third delivery given back", func() bool { return h.d.Stats().Dropped >= 1 })
	// The lease (60 s) now has less than the attempt timeout (15 s) and the
	// margin (5 s) left for whatever is still queued from the first claim.
	h.clock.Advance(41 * time.Second)
	close(release)
	// Every one arrives with the clock still inside the first leases: nothing
	// waited for a lease to run out.
	for _, id := range ids {
		h.waitState(id, store.DeliverySucceeded)
	}
	if n := rc.n.Load(); n != 3 {
		t.Fatalf("%d requests, want 3", n)
	}
}

// TestParked: deliveries handed over beyond a full queue keep their leases (no
// other claimer can take them) and only their ids in memory; they are claimed
// back by id and sent as the queue drains, each exactly once.
func TestParked(t *testing.T) {
	t.Parallel()
	h := newHarness(t, Options{PerEndpointConcurrency: 1, PerEndpointQueue: 2, MaxQueued: 3})
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
	other := h.webhook(rc.srv.URL, PolicyExponential)
	var ids []int64
	for range 6 {
		_, id := h.event(0, nil, wh)
		ids = append(ids, id...)
	}
	_, id := h.event(0, nil, other) // may be parked by the global limit, not its own
	ids = append(ids, id...)
	h.start()
	h.d.Notify(ids)
	// One in flight, at most three queued (two for wh), the rest parked.
	rc.next(t)
	waitFor(t, "three parked", func() bool { return h.d.Stats().Parked >= 3 })
	if st := h.d.Stats(); st.Dropped != 0 || st.Queued > 3 {
		t.Fatalf("stats %+v: want at most 3 queued and nothing given back", st)
	}
	got, err := h.st.ClaimDeliveries(context.Background(), store.Claim{Owner: "someone else", Now: h.clock.Now(),
		Lease: time.Minute, Limit: 10})
	if err != nil || len(got) != 0 {
		t.Fatalf("another claimer took %d parked deliveries (err %v)", len(got), err)
	}
	close(release)
	for _, id := range ids {
		h.waitState(id, store.DeliverySucceeded)
	}
	if n := rc.n.Load(); n != int64(len(ids)) {
		t.Fatalf("%d requests for %d deliveries", n, len(ids))
	}
	if st := h.d.Stats(); st.Parked != 0 || st.Dropped != 0 {
		t.Fatalf("stats %+v after all were sent", st)
	}
}
