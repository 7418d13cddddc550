package delivery

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookcast/hookcast/internal/store"
)

// doneCounter closes done when target attempts have been recorded.
type doneCounter struct {
	n, target atomic.Int64
	done      chan struct{}
}

func (c *doneCounter) OnAttempt(string, time.Duration) {
	if c.n.Add(1) == c.target.Load() {
		close(c.done)
	}
}

// BenchmarkThroughput measures deliveries per second from Handoff to recorded
// success, over 8 webhooks on one local receiver that answers 204 at once. The
// queues and leases are made long enough for the whole burst: a delivery that
// finds its queue full, or waits in it too long, would wait for its lease to run
// out (see TestBackpressure).
func BenchmarkThroughput(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	c := &doneCounter{done: make(chan struct{})}
	h := newHarness(b, Options{Metrics: c, Clock: time.Now, PerEndpointQueue: b.N, MaxQueued: b.N, Lease: time.Hour})
	var whs []store.Webhook
	for i := range 8 {
		whs = append(whs, h.webhook(fmt.Sprintf("%s/%d", srv.URL, i), PolicyExponential))
	}
	cds, at := insertMany(b, h, whs, b.N)
	c.target.Store(int64(len(cds)))
	h.start()
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < len(cds); i += 100 {
		h.d.Handoff(cds[i:min(i+100, len(cds))], at)
	}
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for done := false; !done; {
		select {
		case <-c.done:
			done = true
		case <-tick.C:
			// The rows are due in an hour: one given back would not come back.
			if st := h.d.Stats(); st.Dropped != 0 {
				b.Fatalf("%d deliveries given back to the store", st.Dropped)
			}
		}
	}
	b.ReportMetric(float64(len(cds))/time.Since(start).Seconds(), "deliveries/s")
}

// BenchmarkHandoffToReceive measures the fast path's latency: one delivery at a
// time, from Handoff to the receiver's handler.
func BenchmarkHandoffToReceive(b *testing.B) {
	got := make(chan struct{}, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		got <- struct{}{}
	}))
	defer srv.Close()
	h := newHarness(b, Options{Clock: time.Now})
	wh := h.webhook(srv.URL, PolicyExponential)
	cds, at := insertMany(b, h, []store.Webhook{wh}, b.N)
	h.start()
	b.ResetTimer()
	for i := range cds {
		h.d.Handoff(cds[i:i+1], at)
		<-got
	}
}

// insertMany stores n events, each with one delivery round-robin over whs,
// leased to the dispatcher as the committer does and due in an hour, so that only
// Handoff sends them; it returns them for Handoff, and when their leases began.
func insertMany(b *testing.B, h *harness, whs []store.Webhook, n int) ([]store.ClaimedDelivery, time.Time) {
	b.Helper()
	now := h.clock.Now()
	owner, until, _ := h.d.Lease(now)
	out := make([]store.ClaimedDelivery, 0, n)
	for i := 0; i < n; i += 500 {
		var batch []store.ClaimedDelivery
		err := h.st.InTx(context.Background(), func(tx store.Tx) error {
			batch = batch[:0]
			for j := i; j < min(i+500, n); j++ {
				ev := store.Event{
					ID: fmt.Sprintf("evt_%d", j), AccountID: account, Type: "feeds", Event: "started",
					ContentType: "application/json", CreatedAt: now,
					Body: fmt.Appendf(nil, `{"type":"feeds","event":"started","timestamp":%d,"data":{}}`, now.UnixMilli()),
				}
				w := whs[j%len(whs)]
				d := store.Delivery{WebhookID: w.ID, NextAttemptAt: now.Add(time.Hour), CreatedAt: now,
					LeaseOwner: owner, LeaseUntil: until}
				ids, err := tx.InsertEvents(context.Background(), []store.NewEvent{{Event: ev, Deliveries: []store.Delivery{d}}})
				if err != nil {
					return err
				}
				d.ID, d.EventID, d.AccountID, d.State = ids[0][0], ev.ID, account, store.DeliveryPending
				batch = append(batch, store.ClaimedDelivery{Delivery: d, Event: ev, Webhook: w})
			}
			return nil
		})
		if err != nil {
			b.Fatalf("insert: %v", err)
		}
		out = append(out, batch...)
	}
	return out, now
}
