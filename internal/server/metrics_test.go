package server

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookcast/hookcast/internal/store"
)

// stubQueue is a store's delivery queue whose readings the test controls: a
// reading answers pending and oldest, or, while block is set, waits for it to
// close. A stub, not a store: no real store can be made to hang on demand.
type stubQueue struct {
	pending atomic.Int64
	oldest  atomic.Int64 // unix ns of the oldest pending delivery; 0: none
	block   chan struct{}
	entered chan struct{} // a send each time a blocked reading starts
}

func (q *stubQueue) CountDeliveries(ctx context.Context) (map[store.DeliveryState]int64, time.Time, error) {
	if q.block != nil {
		q.entered <- struct{}{}
		select {
		case <-q.block:
		case <-ctx.Done():
			return nil, time.Time{}, ctx.Err()
		}
	}
	var oldest time.Time
	if ns := q.oldest.Load(); ns != 0 {
		oldest = time.Unix(0, ns)
	}
	return map[store.DeliveryState]int64{store.DeliveryPending: q.pending.Load()}, oldest, nil
}

func scrape(t *testing.T, h http.Handler) string {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if rec.Code != 200 {
		t.Fatalf("/metrics: %d %s", rec.Code, rec.Body)
	}
	return rec.Body.String()
}

// TestScrapeDoesNotWaitOnTheStore: with the store's reading hung, /metrics
// still answers at once, with the last reading.
func TestScrapeDoesNotWaitOnTheStore(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	q := &stubQueue{}
	q.pending.Store(3)
	m, err := newMetrics(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	q.block, q.entered = make(chan struct{}), make(chan struct{}, 1)
	defer close(q.block)
	m.queue.every = time.Millisecond
	done := make(chan struct{})
	go func() { _ = m.refreshQueue(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	select {
	case <-q.entered:
	case <-time.After(10 * time.Second):
		t.Fatal("the refresher never read the store")
	}
	answered := make(chan *httptest.ResponseRecorder, 1)
	go func() {
		rec := httptest.NewRecorder()
		m.handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
		answered <- rec
	}()
	select {
	case rec := <-answered:
		if body := rec.Body.String(); rec.Code != 200 || !strings.Contains(body, `hookcast_deliveries{state="pending"} 3`+"\n") {
			t.Fatalf("scrape: %d, lacks the last reading (3 pending):\n%s", rec.Code, body)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("/metrics waited on a store that does not answer")
	}
}

// TestQueueGaugesFollowTheStore: what the store holds reaches the gauges by
// the refresher, and the oldest pending delivery's age is counted at the
// scrape.
func TestQueueGaugesFollowTheStore(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	q := &stubQueue{}
	m, err := newMetrics(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	m.queue.now = func() time.Time { return now }
	h := m.handler()
	for _, want := range []string{`hookcast_deliveries{state="pending"} 0`, `hookcast_oldest_pending_delivery_age_seconds 0`} {
		if body := scrape(t, h); !strings.Contains(body, want+"\n") {
			t.Fatalf("before any work, want %s in:\n%s", want, body)
		}
	}
	m.queue.every = time.Millisecond
	done := make(chan struct{})
	go func() { _ = m.refreshQueue(ctx); close(done) }()
	defer func() { cancel(); <-done }()

	q.pending.Store(5)
	q.oldest.Store(now.Add(-90 * time.Second).UnixNano())
	want := []string{`hookcast_deliveries{state="pending"} 5`, `hookcast_oldest_pending_delivery_age_seconds 90`}
	var body string
	for deadline := time.Now().Add(10 * time.Second); ; {
		body = scrape(t, h)
		if strings.Contains(body, want[0]+"\n") && strings.Contains(body, want[1]+"\n") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the gauges never showed %v:\n%s", want, body)
		}
		time.Sleep(time.Millisecond) // polling with a deadline
	}
	now = now.Add(10 * time.Second) // the scrape counts the age; the reading need not change
	if body := scrape(t, h); !strings.Contains(body, "hookcast_oldest_pending_delivery_age_seconds 100\n") {
		t.Fatalf("10 s later, want age 100:\n%s", body)
	}
}

// TestMetricsFollowDeliveries: on a real server and store, a delivery made
// reaches hookcast_deliveries within the refresher's second.
func TestMetricsFollowDeliveries(t *testing.T) {
	r := start(t, testConfig(t.TempDir()))
	get := func() string {
		resp, err := http.Get(r.base + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	const want = `hookcast_deliveries{state="succeeded"} 1` + "\n"
	if body := get(); !strings.Contains(body, `hookcast_deliveries{state="succeeded"} 0`+"\n") {
		t.Fatalf("before any delivery:\n%s", body)
	}
	rc := newReceiver(t)
	createWebhook(t, r, r.srv.Firsts.APISecret, rc.srv.URL)
	if code, out := r.call(t, "POST", "/api/webhooks/test/Feeds", r.srv.Firsts.APISecret, nil); code != 200 {
		t.Fatalf("test endpoint: %d %v", code, out)
	}
	rc.next(t)
	for deadline := time.Now().Add(10 * time.Second); ; {
		body := get()
		if strings.Contains(body, want) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %q within 10 s:\n%s", want, body)
		}
		time.Sleep(20 * time.Millisecond) // polling with a deadline
	}
}
