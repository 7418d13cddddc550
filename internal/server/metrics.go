package server

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/hookcast/hookcast/internal/store"
)

// metrics are the Prometheus series of one process, on its own registry so tests
// can run several servers in one binary.
type metrics struct {
	operational *prometheus.CounterVec
	reg         *prometheus.Registry
	signals     prometheus.Counter
	events      prometheus.Counter
	deliveries  prometheus.Counter
	commit      prometheus.Histogram
	attempts    *prometheus.CounterVec
	attemptTime prometheus.Histogram
	ingestTime  prometheus.Histogram
	requests    *prometheus.CounterVec
	pruned      *prometheus.CounterVec
	prunePass   prometheus.Histogram
	queue       *queueCollector
	// gather reads every series (the registry; a test counts its calls), and
	// page is what the last rendering made of them (page.go): a scrape only
	// copies it.
	gather prometheus.Gatherer
	page   atomic.Pointer[page]
	// dirty is set by anything a counter or histogram observes (and every
	// HTTP request): the worker renders the page again at its next tick only
	// then, or after idleRender (page.go).
	dirty atomic.Bool
}

// touch marks the page out of date. Loaded first: at saturation every request
// calls it, and a store to a line every core reads would bounce it between them.
func (m *metrics) touch() {
	if !m.dirty.Load() {
		m.dirty.Store(true)
	}
}

// newMetrics reads the delivery queue and renders the page once, so the first
// scrape has them too; run, a worker, keeps both current from then on.
func newMetrics(ctx context.Context, st queueCounter) (*metrics, error) {
	m := &metrics{reg: prometheus.NewRegistry(), queue: &queueCollector{st: st, every: time.Second, now: time.Now}}
	m.gather = m.reg
	if _, err := m.queue.refresh(ctx); err != nil {
		return nil, err
	}
	f := func(c prometheus.Collector) { m.reg.MustRegister(c) }
	m.signals = prometheus.NewCounter(prometheus.CounterOpts{Name: "hookcast_signals_total", Help: "Signals committed."})
	m.events = prometheus.NewCounter(prometheus.CounterOpts{Name: "hookcast_events_total", Help: "Webhook events committed."})
	m.deliveries = prometheus.NewCounter(prometheus.CounterOpts{Name: "hookcast_deliveries_created_total", Help: "Delivery rows created (one per event and matching webhook)."})
	m.commit = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "hookcast_commit_duration_seconds", Help: "Time of one group-commit transaction.", Buckets: prometheus.ExponentialBuckets(0.0001, 2, 16)})
	m.attempts = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hookcast_delivery_attempts_total", Help: "Delivery attempts by outcome."}, []string{"outcome"})
	m.attemptTime = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "hookcast_delivery_attempt_duration_seconds", Help: "Latency of delivery attempts.", Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16)})
	// Buckets a quarter apart (0.5 ms to 3 s): an ingest p99 that moves by a
	// third shows in the next bucket but one, as twice-apart buckets would hide.
	m.ingestTime = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "hookcast_ingest_request_duration_seconds", Help: "Time to answer one ingest request (/api/ingest/...), from its arrival at the handler to its answer.", Buckets: prometheus.ExponentialBuckets(0.0005, 1.25, 40)})
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hookcast_http_requests_total", Help: "HTTP requests served, by status class."}, []string{"code"})
	m.pruned = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hookcast_pruned_total", Help: "Rows removed by retention, by kind (images: bodies emptied)."}, []string{"kind"})
	m.operational = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hookcast_operational_events_total", Help: "Operational events produced, by event (webhookDisabled, webhookEnabled, deliveryExhausted, secretExpiring; dropped: the queue was full)."}, []string{"event"})
	m.prunePass = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "hookcast_prune_pass_duration_seconds", Help: "Time of one retention pass, pauses between batches included.", Buckets: prometheus.ExponentialBuckets(0.001, 4, 10)})
	for _, c := range []prometheus.Collector{m.signals, m.events, m.deliveries, m.commit, m.attempts, m.attemptTime, m.ingestTime, m.requests, m.pruned, m.prunePass, m.operational,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}), m.queue} {
		f(c)
	}
	if err := m.render(); err != nil {
		return nil, err
	}
	return m, nil
}

func (m *metrics) commitObserved(signals, events, deliveries int, took time.Duration) {
	m.touch()
	m.signals.Add(float64(signals))
	m.events.Add(float64(events))
	m.deliveries.Add(float64(deliveries))
	m.commit.Observe(took.Seconds())
}

func (m *metrics) pruneObserved(r store.PruneResult, took time.Duration) {
	m.touch()
	m.pruned.WithLabelValues("deliveries").Add(float64(r.Deliveries))
	m.pruned.WithLabelValues("attempts").Add(float64(r.Attempts))
	m.pruned.WithLabelValues("events").Add(float64(r.Events))
	m.pruned.WithLabelValues("images").Add(float64(r.Images))
	m.pruned.WithLabelValues("idempotency_keys").Add(float64(r.Keys))
	m.pruned.WithLabelValues("stats_rollups").Add(float64(r.Stats))
	m.prunePass.Observe(took.Seconds())
}

// OnAttempt implements delivery.Metrics.
func (m *metrics) OnAttempt(outcome string, latency time.Duration) {
	m.touch()
	m.attempts.WithLabelValues(outcome).Inc()
	m.attemptTime.Observe(latency.Seconds())
}

// instrument counts requests by status class (1xx…5xx): cheap, bounded labels;
// and times ingest's, the media servers' callbacks.
func (m *metrics) instrument(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &statusRecorder{ResponseWriter: w, code: 200}
		start := time.Now()
		next.ServeHTTP(rec, r)
		if strings.HasPrefix(r.URL.Path, "/api/ingest/") {
			m.ingestTime.Observe(time.Since(start).Seconds())
		}
		m.requests.WithLabelValues(strconv.Itoa(rec.code/100) + "xx").Inc()
		m.touch()
	})
}

type statusRecorder struct {
	http.ResponseWriter
	code int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.code = code
	r.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach Flush (server-sent events).
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

func (r *statusRecorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// queueCounter is what the metrics read from the store.
type queueCounter interface {
	CountDeliveries(ctx context.Context) (map[store.DeliveryState]int64, time.Time, error)
}

// queueCollector serves the delivery queue's gauges from memory: the metrics
// worker (run, page.go) reads them from the store about once a second and a
// rendering copies the last reading, so /metrics never waits on the database,
// however busy it is (under saturation a scrape that read the store took
// 10–180 ms, most of it finding the oldest pending delivery among thousands
// while the readers were busy). A reading that is itself slow is followed by a
// wait 20 times as long as it took, so the worker never spends more than a
// twentieth of its time on the store. The oldest pending delivery's age is
// worked out at the rendering, from the time it was created.
type queueCollector struct {
	st    queueCounter
	every time.Duration // at most this often; more seldom after a slow reading (due)
	now   func() time.Time

	next time.Time // when the worker reads the store again

	mu     sync.Mutex
	counts map[store.DeliveryState]int64
	oldest time.Time
	// busy is set by a reading that differs from the last one or finds a
	// pending delivery (whose age the page shows): the page is rendered again.
	busy atomic.Bool
}

var (
	queueDesc  = prometheus.NewDesc("hookcast_deliveries", "Deliveries by state (read from the store at most about a second before the scrape).", []string{"state"}, nil)
	oldestDesc = prometheus.NewDesc("hookcast_oldest_pending_delivery_age_seconds", "Age of the oldest pending delivery (0 when none).", nil, nil)
)

// refresh reads the queue from the store and reports how long that took.
func (q *queueCollector) refresh(ctx context.Context) (time.Duration, error) {
	t0 := time.Now()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	counts, oldest, err := q.st.CountDeliveries(ctx)
	if err != nil {
		return 0, fmt.Errorf("metrics: read the delivery queue: %w", err)
	}
	q.mu.Lock()
	if !maps.Equal(counts, q.counts) || !oldest.IsZero() {
		q.busy.Store(true)
	}
	q.counts, q.oldest = counts, oldest
	q.mu.Unlock()
	return time.Since(t0), nil
}

// due reads the store when the time has come (every, or 20 times the last
// reading's time after a slow one). A failed reading leaves the last one in
// place: the gauges stay as they were until the store answers again.
func (q *queueCollector) due(ctx context.Context) {
	now := time.Now()
	// A tenth of slack: the worker's ticks come every q.every, each a little
	// before a full q.every after the previous reading started.
	if now.Add(q.every / 10).Before(q.next) {
		return
	}
	took, _ := q.refresh(ctx)
	q.next = now.Add(max(q.every, 20*took))
}

func (q *queueCollector) Describe(ch chan<- *prometheus.Desc) { ch <- queueDesc; ch <- oldestDesc }

func (q *queueCollector) Collect(ch chan<- prometheus.Metric) {
	q.mu.Lock()
	counts, oldest := q.counts, q.oldest
	q.mu.Unlock()
	for _, s := range []store.DeliveryState{store.DeliveryPending, store.DeliverySucceeded, store.DeliveryFailed, store.DeliverySkipped} {
		ch <- prometheus.MustNewConstMetric(queueDesc, prometheus.GaugeValue, float64(counts[s]), string(s))
	}
	age := 0.0
	if !oldest.IsZero() {
		age = max(0, q.now().Sub(oldest).Seconds())
	}
	ch <- prometheus.MustNewConstMetric(oldestDesc, prometheus.GaugeValue, age)
}
