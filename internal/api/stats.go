package api

import (
	"fmt"
	"net/http"
	"time"

	"github.com/hookcast/hookcast/internal/store"
)

// statsWindow is a period GET /api/stats can report: its length and the width
// of a point of its series.
type statsWindow struct {
	length, step time.Duration
}

// statsWindows are the periods of GET /api/stats: 60, 96 and 168 points.
var statsWindows = map[string]statsWindow{
	"hour": {time.Hour, time.Minute},
	"day":  {24 * time.Hour, 15 * time.Minute},
	"week": {7 * 24 * time.Hour, time.Hour},
}

// outcomeCounts are results by the state they left their delivery in.
type outcomeCounts struct {
	Succeeded int64 `json:"succeeded"`
	Failed    int64 `json:"failed"`
	Retried   int64 `json:"retried"`
	Skipped   int64 `json:"skipped"`
}

// latencyJSON are percentiles of attempt latency in milliseconds, estimated
// from the histogram; null without attempts.
type latencyJSON struct {
	P50 float64 `json:"p50"`
	P95 float64 `json:"p95"`
	P99 float64 `json:"p99"`
}

// backlogJSON is what is pending now.
type backlogJSON struct {
	Pending          int64   `json:"pending"`
	OldestPendingAt  *string `json:"oldestPendingAt"`
	OldestAgeSeconds float64 `json:"oldestPendingAgeSeconds"`
}

// seriesJSON holds one count per step from start, zeros included.
type seriesJSON struct {
	Succeeded []int64 `json:"succeeded"`
	Failed    []int64 `json:"failed"`
	Retried   []int64 `json:"retried"`
	Skipped   []int64 `json:"skipped"`
}

// statsJSON is the account's (or one webhook's) figures over the window.
type statsJSON struct {
	outcomeCounts
	// SuccessRate is succeeded / (succeeded + failed); null when neither.
	SuccessRate *float64     `json:"successRate"`
	Attempts    int64        `json:"attempts"`
	LatencyMs   *latencyJSON `json:"latencyMs"`
	Backlog     backlogJSON  `json:"backlog"`
	Series      seriesJSON   `json:"series"`
	oldest      time.Time
}

type webhookStatsJSON struct {
	WebhookID int64 `json:"webhookId"`
	statsJSON
}

// statsPage is the data of GET /api/stats.
type statsPage struct {
	Window      string             `json:"window"`
	From        string             `json:"from"`
	To          string             `json:"to"`
	StepSeconds int64              `json:"stepSeconds"`
	Points      int                `json:"points"`
	Account     statsJSON          `json:"account"`
	Webhooks    []webhookStatsJSON `json:"webhooks"`
}

// getStats is GET /api/stats?window=hour|day|week&webhookId=…: outcomes,
// latency percentiles and series from the store's rollups (never the log), and
// the backlog, for the account and for each webhook that had any.
func (a *API) getStats(r *http.Request, acct string) (any, error) {
	q := r.URL.Query()
	fail := map[string]string{}
	name := q.Get("window")
	if name == "" {
		name = "hour"
	}
	win, ok := statsWindows[name]
	if !ok {
		fail["window"] = "must be hour, day or week"
	}
	var webhookID int64
	if s := q.Get("webhookId"); s != "" {
		if webhookID, ok = positiveID(s); !ok {
			fail["webhookId"] = "must be a positive integer"
		}
	}
	if len(fail) > 0 {
		return nil, &FailError{Fields: fail}
	}
	now := a.d.Now()
	to := now.Truncate(time.Minute).Add(time.Minute) // the current minute included
	from := to.Add(-win.length)
	rows, err := a.d.Store.Stats(r.Context(), store.StatsQuery{AccountID: acct, WebhookID: webhookID, From: from, To: to, Step: win.step})
	if err != nil {
		return nil, fmt.Errorf("stats: %w", err)
	}
	backlog, err := a.d.Store.Backlog(r.Context(), acct)
	if err != nil {
		return nil, fmt.Errorf("stats: %w", err)
	}
	points := int(win.length / win.step)
	page := statsPage{
		Window: name, From: formatTime(from), To: formatTime(to), StepSeconds: int64(win.step / time.Second),
		Points: points, Account: newStats(points), Webhooks: []webhookStatsJSON{},
	}
	var total [store.LatencyBuckets]int64
	hist := map[int64]*[store.LatencyBuckets]int64{}
	index := map[int64]int{}
	hook := func(id int64) *webhookStatsJSON {
		i, ok := index[id]
		if !ok {
			i = len(page.Webhooks)
			index[id] = i
			page.Webhooks = append(page.Webhooks, webhookStatsJSON{WebhookID: id, statsJSON: newStats(points)})
			hist[id] = new([store.LatencyBuckets]int64)
		}
		return &page.Webhooks[i]
	}
	for _, row := range rows {
		p := int(row.Start.Sub(from) / win.step)
		if p < 0 || p >= points {
			continue
		}
		w := hook(row.WebhookID)
		for _, s := range []*statsJSON{&page.Account, &w.statsJSON} {
			s.add(p, row)
		}
		for i, n := range row.Latency {
			total[i] += n
			hist[row.WebhookID][i] += n
		}
	}
	for _, b := range backlog {
		if webhookID != 0 && b.WebhookID != webhookID {
			continue
		}
		w := hook(b.WebhookID)
		for _, s := range []*statsJSON{&page.Account, &w.statsJSON} {
			s.Backlog.Pending += b.Pending
			if s.oldest.IsZero() || b.Oldest.Before(s.oldest) {
				s.oldest = b.Oldest
				s.Backlog.OldestPendingAt = optTime(b.Oldest)
				s.Backlog.OldestAgeSeconds = max(0, now.Sub(b.Oldest).Seconds())
			}
		}
	}
	page.Account.finish(total)
	for i := range page.Webhooks {
		w := &page.Webhooks[i]
		w.finish(*hist[w.WebhookID])
	}
	return page, nil
}

func newStats(points int) statsJSON {
	return statsJSON{Series: seriesJSON{
		Succeeded: make([]int64, points), Failed: make([]int64, points),
		Retried: make([]int64, points), Skipped: make([]int64, points),
	}}
}

func (s *statsJSON) add(p int, row store.StatsRow) {
	s.Succeeded += row.Succeeded
	s.Failed += row.Failed
	s.Retried += row.Retried
	s.Skipped += row.Skipped
	s.Series.Succeeded[p] += row.Succeeded
	s.Series.Failed[p] += row.Failed
	s.Series.Retried[p] += row.Retried
	s.Series.Skipped[p] += row.Skipped
}

// finish derives the success rate and the latency percentiles.
func (s *statsJSON) finish(hist [store.LatencyBuckets]int64) {
	if n := s.Succeeded + s.Failed; n > 0 {
		rate := float64(s.Succeeded) / float64(n)
		s.SuccessRate = &rate
	}
	for _, n := range hist {
		s.Attempts += n
	}
	if s.Attempts > 0 {
		s.LatencyMs = &latencyJSON{
			P50: percentile(hist, 0.50), P95: percentile(hist, 0.95), P99: percentile(hist, 0.99),
		}
	}
}

// percentile estimates the p-quantile (0 < p <= 1) of a latency histogram in
// milliseconds: the rank's bucket is found, then the value is interpolated
// linearly between the bucket's bounds (from 0 for the first). Past the last
// bound there is no upper one, so that bucket reports its lower bound: "at
// least". Estimates are never finer than the buckets (store.LatencyBounds).
func percentile(hist [store.LatencyBuckets]int64, p float64) float64 {
	var total int64
	for _, n := range hist {
		total += n
	}
	if total == 0 {
		return 0
	}
	rank := p * float64(total)
	var below int64
	for i, n := range hist {
		if n == 0 || float64(below+n) < rank {
			below += n
			continue
		}
		lo := 0.0
		if i > 0 {
			lo = ms(store.LatencyBounds[i-1])
		}
		if i == len(store.LatencyBounds) {
			return lo
		}
		hi := ms(store.LatencyBounds[i])
		frac := (rank - float64(below)) / float64(n)
		return round1(lo + (hi-lo)*frac)
	}
	return ms(store.LatencyBounds[len(store.LatencyBounds)-1])
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func round1(f float64) float64 { return float64(int64(f*10+0.5)) / 10 }
