package delivery

import (
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/hookcast/hookcast/internal/store"
)

// reports records what the dispatcher reports, for operational events.
type reports struct {
	mu        sync.Mutex
	disabled  []int64
	exhausted []store.Attempt
}

func (r *reports) WebhookDisabled(w store.Webhook, _ string, _ time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.disabled = append(r.disabled, w.ID)
}

func (r *reports) DeliveryExhausted(_ store.ClaimedDelivery, last store.Attempt) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.exhausted = append(r.exhausted, last)
}

func (r *reports) counts() (int, []store.Attempt) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.disabled), append([]store.Attempt(nil), r.exhausted...)
}

// TestReportsExhausted: a delivery that runs out of retries is reported once,
// with its last attempt, after it is recorded failed; retries before are not.
func TestReportsExhausted(t *testing.T) {
	t.Parallel()
	rep := &reports{}
	// Retries after 0.5 s, then 1 s (half of 1 s, 2 s: Rand 0), for at most 3 s:
	// the third failure is the last (the next would be at 3.5 s).
	h := newHarness(t, Options{Reports: rep, Retry: RetryPolicy{Base: time.Second, MaxAge: 3 * time.Second,
		Rand: func() float64 { return 0 }}})
	rc := newReceiver(t, status(http.StatusInternalServerError))
	wh := h.webhook(rc.srv.URL, PolicyExponential)
	_, ids := h.event(0, nil, wh)
	h.start()
	for i := range 2 {
		rc.next(t)
		waitFor(t, "the retry to be scheduled", func() bool {
			d, _, err := h.st.GetDelivery(t.Context(), account, ids[0])
			return err == nil && d.Attempts == i+1 && d.State == store.DeliveryPending
		})
		if _, ex := rep.counts(); len(ex) != 0 {
			t.Fatalf("reported exhausted after attempt %d of a delivery still retried", i+1)
		}
		h.clock.Advance(time.Duration(1<<i) * 500 * time.Millisecond)
	}
	rc.next(t)
	h.waitState(ids[0], store.DeliveryFailed)
	waitFor(t, "the report", func() bool { _, ex := rep.counts(); return len(ex) == 1 })
	dis, ex := rep.counts()
	if ex[0].N != 3 || ex[0].Status != 500 || ex[0].DeliveryID != ids[0] || dis != 0 {
		t.Fatalf("reported %+v (disabled %d), want attempt 3 with status 500, no disable", ex[0], dis)
	}
}
