package delivery

import (
	"net/http"
	"testing"
	"time"

	"github.com/hookcast/hookcast/internal/store"
)

// TestBackpressure: a delivery that finds its endpoint's queue full, and one
// that waited in the queue until too little of its lease was left, are not sent
// by this claim; they stay leased and are sent once their leases run out.
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
	var ids []int64
	for range 3 {
		_, id := h.event(0, nil, wh)
		ids = append(ids, id...)
	}
	h.start()
	h.d.Notify(ids)
	rc.next(t) // the first is in flight, the second queued, the third left leased
	if st := h.d.Stats(); st.Dropped != 1 || st.Queued != 1 || st.InFlight != 1 {
		t.Fatalf("stats %+v, want 1 dropped, 1 queued, 1 in flight", st)
	}
	// The lease (60 s) now has less than the attempt timeout (15 s) and the
	// margin (5 s) left for the second.
	h.clock.Advance(41 * time.Second)
	close(release)
	h.waitState(ids[0], store.DeliverySucceeded)
	waitFor(t, "second delivery given back", func() bool { return h.d.Stats().Dropped == 2 })
	if n := rc.n.Load(); n != 1 {
		t.Fatalf("%d requests, want 1 while the others are leased", n)
	}
	h.clock.Advance(20 * time.Second) // both leases have run out
	h.waitState(ids[1], store.DeliverySucceeded)
	h.waitState(ids[2], store.DeliverySucceeded)
	if n := rc.n.Load(); n != 3 {
		t.Fatalf("%d requests, want 3", n)
	}
}
