package server

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/common/expfmt"
)

// page is one rendering of every series in the Prometheus text format, plain
// and gzipped, made by the metrics worker about once a second. A scrape writes
// these bytes and nothing else: at saturation on 2 cores a scrape that
// gathered the series itself (a goroutine per collector, /proc reads for the
// process collector, text encoding and gzip: 1–1.5 ms of CPU) waited behind
// the delivery work for each of those steps and took a median 4.4 ms, 14 ms at
// most (docs/PERFORMANCE.md). The values are therefore up to a second old.
type page struct {
	plain, gz []byte
	at        time.Time // when it was rendered
}

// idleRender is how often the worker renders the page while nothing is
// observed (metrics.dirty stays unset), the delivery queue reads the same and
// nothing is pending (queueCollector.busy): then only go_* and process_* move,
// and rendering every second cost an idle serve 0.6 % of a core (idle went
// from 0.3 to 0.9 %, docs/PERFORMANCE.md), for values nobody needs to the
// second. While serve works, the page is at most about a second old.
const idleRender = 10 * time.Second

// textFormat is the exposition's Content-Type: the text format every
// Prometheus accepts (its scrapes also offer OpenMetrics and protobuf, but
// always text/plain 0.0.4 too).
const textFormat = string(expfmt.FmtText)

// render gathers every series and encodes them; the worker calls it, never a
// scrape.
func (m *metrics) render() error {
	mfs, err := m.gather.Gather()
	if err != nil && len(mfs) == 0 {
		return fmt.Errorf("metrics: gather: %w", err)
	}
	var plain bytes.Buffer
	for _, mf := range mfs {
		if _, err := expfmt.MetricFamilyToText(&plain, mf); err != nil {
			return fmt.Errorf("metrics: encode %s: %w", mf.GetName(), err)
		}
	}
	var gz bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&gz, gzip.BestSpeed)
	if _, err := zw.Write(plain.Bytes()); err != nil {
		return fmt.Errorf("metrics: gzip: %w", err)
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("metrics: gzip: %w", err)
	}
	m.page.Store(&page{plain: plain.Bytes(), gz: gz.Bytes(), at: time.Now()})
	return nil
}

// run is the metrics worker: every m.queue.every it reads the delivery queue
// when due (queueCollector.due) and renders the page when something was
// observed or the queue is busy since the last rendering, or idleRender has
// passed, until ctx ends.
// A failed rendering keeps the last page.
func (m *metrics) run(ctx context.Context) error {
	t := time.NewTicker(m.queue.every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		if ctx.Err() != nil { // both were ready: stop rather than read again
			return nil
		}
		m.queue.due(ctx)
		if m.dirty.Swap(false) || m.queue.busy.Swap(false) || time.Since(m.page.Load().at) >= idleRender {
			_ = m.render()
		}
	}
}

// handler serves the last page, gzipped when the client accepts it
// (Prometheus asks for gzip).
func (m *metrics) handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := m.page.Load()
		h := w.Header()
		h.Set("Content-Type", textFormat)
		h.Set("Vary", "Accept-Encoding")
		body := p.plain
		if acceptsGzip(r.Header.Get("Accept-Encoding")) {
			h.Set("Content-Encoding", "gzip")
			body = p.gz
		}
		h.Set("Content-Length", strconv.Itoa(len(body)))
		_, _ = w.Write(body)
	})
}

// acceptsGzip reads an Accept-Encoding header: gzip (or *) listed without q=0.
func acceptsGzip(header string) bool {
	star := false
	for item := range strings.SplitSeq(header, ",") {
		name, params, _ := strings.Cut(item, ";")
		name = strings.ToLower(strings.TrimSpace(name))
		if name != "gzip" && name != "*" {
			continue
		}
		ok := true
		for param := range strings.SplitSeq(params, ";") {
			if k, v, found := strings.Cut(strings.TrimSpace(param), "="); found && strings.TrimSpace(k) == "q" {
				if q, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil && q == 0 {
					ok = false
				}
			}
		}
		if name == "gzip" {
			return ok
		}
		star = ok
	}
	return star
}
