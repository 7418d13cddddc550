package delivery

import (
	"net/http"
	"testing"
	"time"

	"github.com/hookcast/hookcast/internal/netguard"
	"github.com/hookcast/hookcast/internal/store"
)

// TestNoisyNeighbour is the noisy neighbour of issue 13 scaled down: account A
// has ten webhooks whose receiver never answers and keeps sending to them; it
// holds at most its share of the workers (never all), and every delivery of
// account B, which arrives while A's attempts hang, is sent at once.
func TestNoisyNeighbour(t *testing.T) {
	t.Parallel()
	const workers = 8 // a reserve of 1; A alone may hold 7, with B active 3
	h := newHarness(t, Options{Workers: workers,
		Client: netguard.NewClient(netguard.ClientOptions{AllowPrivate: true, Timeout: time.Minute})})
	h.account("B")
	release := make(chan struct{})
	hang := newReceiver(t, func(_ http.ResponseWriter, r *http.Request, _ int64) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	defer close(release)
	fast := newReceiver(t, status(http.StatusNoContent))
	var noisy []store.Webhook
	for range 10 {
		noisy = append(noisy, h.webhook(hang.srv.URL, PolicyExponential))
	}
	quiet := h.webhookOf("B", fast.srv.URL, PolicyExponential)
	h.start()
	for range 5 {
		h.handOver(0, nil, noisy...)
	}
	waitFor(t, "A at its share", func() bool { return hang.n.Load() == workers-1 })
	var ids []int64
	for range 20 {
		_, id := h.handOverOf("B", 0, nil, quiet)
		ids = append(ids, id...)
		h.handOver(0, nil, noisy...) // A keeps sending
	}
	for _, id := range ids {
		h.waitStateOf("B", id, store.DeliverySucceeded)
	}
	if n := hang.n.Load(); n != workers-1 {
		t.Fatalf("A has %d attempts hanging, want %d (all workers but the reserve)", n, workers-1)
	}
	if st := h.d.Stats(); st.InFlight != workers-1 || st.Queued == 0 {
		t.Fatalf("stats %+v: A's attempts should still hang, and more be queued", st)
	}
}
