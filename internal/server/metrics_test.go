package server

import (
	"compress/gzip"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

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
	reads   atomic.Int64
}

func (q *stubQueue) CountDeliveries(ctx context.Context) (map[store.DeliveryState]int64, time.Time, error) {
	q.reads.Add(1)
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
	go func() { _ = m.run(ctx); close(done) }()
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
// the worker, and the oldest pending delivery's age is counted at each
// rendering.
func TestQueueGaugesFollowTheStore(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	q := &stubQueue{}
	m, err := newMetrics(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	var clock atomic.Int64 // seconds after now the renderings count from
	m.queue.now = func() time.Time { return now.Add(time.Duration(clock.Load()) * time.Second) }
	h := m.handler()
	for _, want := range []string{`hookcast_deliveries{state="pending"} 0`, `hookcast_oldest_pending_delivery_age_seconds 0`} {
		if body := scrape(t, h); !strings.Contains(body, want+"\n") {
			t.Fatalf("before any work, want %s in:\n%s", want, body)
		}
	}
	m.queue.every = time.Millisecond
	done := make(chan struct{})
	go func() { _ = m.run(ctx); close(done) }()
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
	clock.Store(10) // the rendering counts the age; the reading need not change
	for deadline := time.Now().Add(10 * time.Second); ; {
		if body = scrape(t, h); strings.Contains(body, "hookcast_oldest_pending_delivery_age_seconds 100\n") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("10 s later, want age 100:\n%s", body)
		}
		time.Sleep(time.Millisecond) // polling with a deadline
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

// countingGatherer counts how often the series are gathered.
type countingGatherer struct {
	prometheus.Gatherer
	n atomic.Int64
}

func (g *countingGatherer) Gather() ([]*dto.MetricFamily, error) {
	g.n.Add(1)
	return g.Gatherer.Gather()
}

// TestScrapeWritesTheRenderedPage: a scrape neither reads the store nor
// gathers the series; it writes the worker's last rendering, gzipped for a
// client that asks as Prometheus does, and the next rendering shows what
// changed since.
func TestScrapeWritesTheRenderedPage(t *testing.T) {
	q := &stubQueue{}
	q.pending.Store(7)
	m, err := newMetrics(t.Context(), q)
	if err != nil {
		t.Fatal(err)
	}
	g := &countingGatherer{Gatherer: m.reg}
	m.gather = g
	reads := q.reads.Load()
	m.signals.Add(3)
	h := m.handler()
	const promAccept = "application/openmetrics-text;version=1.0.0;q=0.5,application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2"
	for range 20 {
		req := httptest.NewRequest("GET", "/metrics", nil)
		req.Header.Set("Accept", promAccept)
		req.Header.Set("Accept-Encoding", "gzip")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != 200 || rec.Header().Get("Content-Encoding") != "gzip" || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/plain; version=0.0.4") {
			t.Fatalf("scrape: %d %v", rec.Code, rec.Header())
		}
		zr, err := gzip.NewReader(rec.Body)
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(zr)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(body), `hookcast_deliveries{state="pending"} 7`+"\n") || !strings.Contains(string(body), "hookcast_signals_total 0\n") {
			t.Fatalf("want the page rendered at start (7 pending, no signals yet):\n%s", body)
		}
	}
	if n := g.n.Load(); n != 0 {
		t.Fatalf("scrapes gathered the series %d times", n)
	}
	if n := q.reads.Load() - reads; n != 0 {
		t.Fatalf("scrapes read the store %d times", n)
	}
	if err := m.render(); err != nil {
		t.Fatal(err)
	}
	if body := scrape(t, h); g.n.Load() != 1 || !strings.Contains(body, "hookcast_signals_total 3\n") {
		t.Fatalf("after one rendering (%d gathers), want 3 signals:\n%s", g.n.Load(), body)
	}
}

func TestAcceptsGzip(t *testing.T) {
	for h, want := range map[string]bool{
		"": false, "gzip": true, "GZIP": true, "identity": false, "br, gzip;q=0.5": true,
		"gzip;q=0": false, "gzip; q=0.0": false, "*": true, "*;q=0": false, "*, gzip;q=0": false, "deflate, br": false,
	} {
		if got := acceptsGzip(h); got != want {
			t.Errorf("Accept-Encoding %q: gzip %v, want %v", h, got, want)
		}
	}
}

// TestIdleWorkerDoesNotRender: while nothing is observed and the queue reads
// the same, empty, the worker reads the queue but renders nothing; the first
// thing observed has the page rendered again at the next tick.
func TestIdleWorkerDoesNotRender(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	q := &stubQueue{}
	m, err := newMetrics(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	g := &countingGatherer{Gatherer: m.reg}
	m.gather = g
	m.queue.every = time.Millisecond
	done := make(chan struct{})
	go func() { _ = m.run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	deadline := time.Now().Add(10 * time.Second)
	for reads := q.reads.Load(); q.reads.Load() < reads+50; {
		if time.Now().After(deadline) {
			t.Fatal("the worker stopped reading the queue")
		}
		time.Sleep(time.Millisecond) // polling with a deadline
	}
	// The first reading after start (a map where there was none) may count
	// as a change: one rendering at most.
	if n := g.n.Load(); n > 1 {
		t.Fatalf("an idle worker rendered %d times over 50 readings", n)
	}
	m.commitObserved(1, 1, 1, time.Millisecond)
	for !strings.Contains(scrape(t, m.handler()), "hookcast_signals_total 1\n") {
		if time.Now().After(deadline) {
			t.Fatal("a commit observed never reached the page")
		}
		time.Sleep(time.Millisecond) // polling with a deadline
	}
}

// TestIngestTimed: requests to /api/ingest/... are timed in
// hookcast_ingest_request_duration_seconds, and no others are.
func TestIngestTimed(t *testing.T) {
	m, err := newMetrics(t.Context(), &stubQueue{})
	if err != nil {
		t.Fatal(err)
	}
	h := m.instrument(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	for _, p := range []string{"/api/ingest/signals", "/api/ingest/nginx-rtmp", "/api/webhooks", "/healthz"} {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("POST", p, nil))
	}
	fams, err := m.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fams {
		if f.GetName() == "hookcast_ingest_request_duration_seconds" {
			if n := f.GetMetric()[0].GetHistogram().GetSampleCount(); n != 2 {
				t.Fatalf("ingest requests timed: %d, want 2", n)
			}
			return
		}
	}
	t.Fatal("no hookcast_ingest_request_duration_seconds")
}
