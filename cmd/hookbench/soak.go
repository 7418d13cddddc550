package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// benchSoak runs o.deliveries deliveries through serve at saturation with
// retention o.retention, and reports, every o.every, the database's size,
// /metrics' time, serve's RSS and the ingest latency, then the verdicts of
// issue 14: the file stops growing once retention starts (final ≤ 1.2× its
// size at the first prune), ingest p99 while pruning ≤ 1.5× before, /metrics
// under 5 ms, RSS of serve ≤ 150 MB. Ingest is held at most o.ahead deliveries
// ahead of what the receiver got, so the backlog stays bounded (pending
// deliveries are never pruned) and the run measures the steady state, not a
// queue. Serve runs in a process of its own (see runServe), so its RSS and CPU
// are its own; load and receiver run in this one, and the scrapes that are
// timed in a third (runScraper), as Prometheus would.
func benchSoak(ctx context.Context, o options, out io.Writer) error {
	o.retention = max(o.retention, time.Second)
	svc, err := startServeProcess(ctx, o)
	if err != nil {
		return err
	}
	defer svc.stop()
	pid := svc.proc.cmd.Process.Pid
	var cpu0 serveStats
	if err := svc.proc.ask(&cpu0); err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	wait0 := runQueueWait(pid)
	scr, err := startRole(ctx, "scraper", scraperSpec{Base: svc.base})
	if err != nil {
		return err
	}
	defer scr.close()
	if o.nice > 0 {
		// After serve and the scraper started: they keep the niceness they
		// were started with.
		if err := reniceSelf(o.nice); err != nil {
			return err
		}
	}
	var got atomic.Int64
	rc, err := startReceiver(func(string, []byte, http.Header) { got.Add(1) })
	if err != nil {
		return err
	}
	defer rc.close()
	if err := svc.createWebhook(rc.url+"/soak", true, false); err != nil {
		return err
	}
	fmt.Fprintf(out, "soak: %d deliveries, retention %v, batches of %d, %d feeders, at most %d ahead, load and receiver at nice %d; serve is pid %d; load average %s\n",
		o.deliveries, o.retention, o.batch, o.conc, o.ahead, o.nice, pid, loadAvg())

	var sent atomic.Int64
	var lat latencies // ingest request latency, this interval
	var mu sync.Mutex
	var ferr error
	var wg sync.WaitGroup
	start := time.Now()
	for f := range o.conc {
		wg.Go(func() {
			var n int64
			for {
				i := sent.Add(int64(o.batch)) - int64(o.batch)
				if i >= int64(o.deliveries) {
					return
				}
				for i-got.Load() > int64(o.ahead) {
					time.Sleep(2 * time.Millisecond)
				}
				b := []byte{'['}
				for j := range o.batch {
					if j > 0 {
						b = append(b, ',')
					}
					// Each feeder's feeds start in one request and end in the
					// next: one event per signal, and no stream's state grows.
					kind := "feed.started"
					if n%2 == 1 {
						kind = "feed.ended"
					}
					b = fmt.Appendf(b, `{"kind":%q,"accountId":%q,"name":"s%d-%d","feedId":"f"}`, kind, svc.account, f, j)
				}
				n++
				b = append(b, ']')
				t0 := time.Now()
				if _, err := svc.post("/api/ingest/signals", ingestToken, b); err != nil {
					mu.Lock()
					ferr = err
					mu.Unlock()
					return
				}
				lat.add(time.Since(t0))
			}
		})
	}
	feedDone := make(chan struct{})
	go func() { wg.Wait(); close(feedDone) }()

	var (
		firstPruneSize       int64
		beforeP99, duringP99 []time.Duration
		beforeIn, duringIn   []time.Duration // the same p99s timed inside serve
		prevReading          soakReading
		metricsT, healthzT   []time.Duration
		inLoadT              []time.Duration // /metrics timed from this process
		rssMax               float64
		sizeMax, lastSize    int64
		prunedTotal          float64
		tick                 = time.NewTicker(o.every)
		finished             bool
		deadline             = time.Now().Add(o.maxTime)
	)
	defer tick.Stop()
	fmt.Fprintf(out, "  %7s %10s %10s %9s %9s %9s %10s %10s %10s %8s %10s %10s\n", "t", "received", "pruned", "db MiB", "serve MiB", "heap MiB", "/metrics", "/healthz", "(in load)", "ingest", "p99", "in serve")
	for !finished {
		select {
		case <-feedDone:
			mu.Lock()
			failed := ferr != nil
			mu.Unlock()
			for !failed && got.Load() < int64(o.deliveries) && time.Now().Before(deadline) {
				time.Sleep(20 * time.Millisecond)
			}
			finished = true
		case <-tick.C:
			if time.Now().After(deadline) {
				finished = true
			}
		}
		// The scraper process times /healthz first: it reads nothing, so its
		// time is what any request waits for CPU at that moment, the floor
		// under /metrics'. Then the same scrape from this process, which
		// shares its 2 Ps with the load and the receiver, as every run before
		// the scraper had its own process measured.
		var sc scrapeStats
		if err := scr.ask(&sc); err != nil {
			return fmt.Errorf("scraper: %w", err)
		}
		if sc.Error != "" {
			return fmt.Errorf("scraper: %s", sc.Error)
		}
		mt, ht, pruned, heap := time.Duration(sc.Metrics), time.Duration(sc.Healthz), sc.Pruned, sc.Heap
		inServe := sc.p99Since(prevReading)
		prevReading = sc.soakReading
		l0 := time.Now()
		if _, err := fetchMetrics(client, svc.base); err != nil {
			return err
		}
		lt := time.Since(l0)
		inLoadT = append(inLoadT, lt)
		size := dbSize(svc.dir)
		rss, _ := procMemMiB(pid)
		lat.mu.Lock()
		var p99 time.Duration
		n := len(lat.d)
		if n > 0 {
			sortDurations(lat.d)
			p99 = lat.d[min(n-1, n*99/100)]
		}
		lat.d = lat.d[:0]
		lat.mu.Unlock()
		if pruned > 0 && firstPruneSize == 0 {
			firstPruneSize = size
		}
		if n > 0 {
			if pruned == 0 {
				beforeP99, beforeIn = append(beforeP99, p99), append(beforeIn, inServe)
			} else {
				duringP99, duringIn = append(duringP99, p99), append(duringIn, inServe)
			}
		}
		metricsT, healthzT = append(metricsT, mt), append(healthzT, ht)
		rssMax = max(rssMax, rss)
		sizeMax = max(sizeMax, size)
		lastSize, prunedTotal = size, pruned
		fmt.Fprintf(out, "  %7s %10d %10.0f %9.1f %9.1f %9.1f %8.2fms %8.2fms %8.2fms %8d %10v %10v\n", time.Since(start).Round(time.Second),
			got.Load(), pruned, float64(size)/(1<<20), rss, heap/(1<<20), ms(mt), ms(ht), ms(lt), n, round(p99), round(inServe))
	}
	if ferr != nil {
		return ferr
	}
	elapsed := time.Since(start)
	_, hwm := procMemMiB(pid)
	var cpu1 serveStats
	if err := svc.proc.ask(&cpu1); err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	cpu := time.Duration(cpu1.CPU - cpu0.CPU)
	wait := runQueueWait(pid) - wait0
	fmt.Fprintf(out, "soak: %d deliveries received in %v (%.0f/s), %.0f pruned; load average %s\n", got.Load(), elapsed.Round(time.Second),
		float64(got.Load())/elapsed.Seconds(), prunedTotal, loadAvg())
	fmt.Fprintf(out, "  serve's CPU: %v, %.2f cores on average, %.1f µs a delivery; its threads waited %v on the CPU run queue (%.2f s a second of CPU)\n",
		cpu.Round(100*time.Millisecond), cpu.Seconds()/elapsed.Seconds(), cpu.Seconds()*1e6/float64(max(got.Load(), 1)),
		wait.Round(100*time.Millisecond), wait.Seconds()/max(cpu.Seconds(), 1e-9))
	verdict := func(ok bool) string {
		if ok {
			return "ok"
		}
		return "NOT MET"
	}
	if firstPruneSize > 0 {
		r := float64(lastSize) / float64(firstPruneSize)
		fmt.Fprintf(out, "  db file: %.1f MiB at the first prune, %.1f MiB at the end (%.2f×), %.1f MiB at most: %s (≤ 1.2×)\n",
			float64(firstPruneSize)/(1<<20), float64(lastSize)/(1<<20), r, float64(sizeMax)/(1<<20), verdict(r <= 1.2))
	} else {
		fmt.Fprintf(out, "  db file: retention never started (run longer than -retention)\n")
	}
	b, d := median(beforeP99), median(duringP99)
	if b > 0 && d > 0 {
		fmt.Fprintf(out, "  ingest p99 (median of the intervals): %v before retention, %v while pruning (%.2f×): %s (≤ 1.5×)\n",
			round(b), round(d), float64(d)/float64(b), verdict(float64(d) <= 1.5*float64(b)))
	}
	if b, d := median(beforeIn), median(duringIn); b > 0 && d > 0 {
		fmt.Fprintf(out, "  the same timed inside serve (hookcast_ingest_request_duration_seconds, to its bucket, 25 %% apart): %v before, %v while pruning (%.2f×)\n",
			round(b), round(d), float64(d)/float64(b))
	}
	mMax, hMax := slices.Max(metricsT), slices.Max(healthzT)
	under := 0
	for _, t := range metricsT {
		if t < 5*time.Millisecond {
			under++
		}
	}
	fmt.Fprintf(out, "  /metrics (scraper process): median %.2f ms, %.2f ms at most, under 5 ms in %d of %d: %s (< 5 ms); /healthz (reads nothing): median %.2f ms, %.2f ms at most\n",
		ms(median(metricsT)), ms(mMax), under, len(metricsT), verdict(mMax < 5*time.Millisecond), ms(median(healthzT)), ms(hMax))
	fmt.Fprintf(out, "  /metrics from the load's own process (as runs before the scraper process measured): median %.2f ms, %.2f ms at most\n",
		ms(median(inLoadT)), ms(slices.Max(inLoadT)))
	peak := max(rssMax, hwm) * 1.048576 // MiB → MB
	fmt.Fprintf(out, "  RSS of serve: %.1f MiB at most when sampled, %.1f MiB peak (VmHWM, start-up included) = %.1f MB: %s (≤ 150 MB)\n",
		rssMax, hwm, peak, verdict(peak <= 150))
	return nil
}

// fetchMetrics reads the whole of /metrics as Prometheus asks for it (gzip,
// its Accept header): what a caller times is the scrape, not what is done
// with it after (parseSoak).
func fetchMetrics(c *http.Client, base string) ([]byte, error) {
	req, err := http.NewRequest("GET", base+"/metrics", nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", promAccept)
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET /metrics: %s", resp.Status)
	}
	return io.ReadAll(resp.Body)
}

// parseSoak returns, from a /metrics page, how many deliveries retention has
// removed so far, the bytes of serve's Go heap spans in use (what of its RSS
// is Go's; the rest is mostly SQLite's caches) and serve's ingest histogram.
func parseSoak(page []byte) (r soakReading) {
	for line := range strings.Lines(string(page)) {
		line = strings.TrimSuffix(line, "\n")
		if rest, ok := strings.CutPrefix(line, `hookcast_pruned_total{kind="deliveries"} `); ok {
			r.Pruned, _ = strconv.ParseFloat(rest, 64)
		} else if rest, ok := strings.CutPrefix(line, `go_memstats_heap_inuse_bytes `); ok {
			r.Heap, _ = strconv.ParseFloat(rest, 64)
		} else if rest, ok := strings.CutPrefix(line, `hookcast_ingest_request_duration_seconds_bucket{le="`); ok {
			le, n, ok := strings.Cut(rest, `"} `)
			if !ok {
				continue
			}
			l, err1 := strconv.ParseFloat(le, 64)
			c, err2 := strconv.ParseFloat(n, 64)
			switch {
			case err1 != nil || err2 != nil:
			case math.IsInf(l, 1): // JSON has no +Inf: the count is kept apart
				r.IngestN = c
			default:
				r.IngestLE, r.IngestCum = append(r.IngestLE, l), append(r.IngestCum, c)
			}
		}
	}
	return r
}

// soakReading is what the soak reads from one /metrics page: deliveries
// pruned, Go heap in use, and serve's own ingest time histogram (finite bucket
// upper bounds in seconds, cumulative counts, and the count of all).
type soakReading struct {
	Pruned, Heap, IngestN float64
	IngestLE, IngestCum   []float64
}

// p99Since is the 99th percentile of the ingest requests timed between prev
// and r, to the bucket (the upper bound of the bucket it falls in; 0 when
// none, or when the buckets differ).
func (r soakReading) p99Since(prev soakReading) time.Duration {
	total := r.IngestN - prev.IngestN
	if total <= 0 || len(r.IngestCum) == 0 {
		return 0
	}
	for i, c := range r.IngestCum {
		if len(prev.IngestCum) == len(r.IngestCum) {
			c -= prev.IngestCum[i]
		}
		if c >= 0.99*total {
			return time.Duration(r.IngestLE[i] * float64(time.Second))
		}
	}
	return time.Duration(math.MaxInt64) // past the last bound
}

// reniceSelf sets the niceness of every thread of this process (Linux's
// setpriority applies to one thread; threads started later inherit it from
// the thread that starts them).
func reniceSelf(n int) error {
	tasks, err := os.ReadDir("/proc/self/task")
	if err != nil {
		return fmt.Errorf("renice: %w", err)
	}
	for _, t := range tasks {
		tid, err := strconv.Atoi(t.Name())
		if err != nil {
			continue
		}
		if err := syscall.Setpriority(syscall.PRIO_PROCESS, tid, n); err != nil && !errors.Is(err, syscall.ESRCH) {
			return fmt.Errorf("renice thread %d: %w", tid, err)
		}
	}
	return nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// dbSize is the size of the SQLite database with its WAL.
func dbSize(dir string) int64 {
	var n int64
	for _, f := range []string{"hookcast.db", "hookcast.db-wal"} {
		if fi, err := os.Stat(filepath.Join(dir, f)); err == nil {
			n += fi.Size()
		}
	}
	return n
}

// procMemMiB is process pid's resident set size now and at its peak (VmRSS
// and VmHWM of /proc/PID/status; zeros where there is no /proc).
func procMemMiB(pid int) (rss, hwm float64) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0
	}
	kb := func(s string) float64 {
		v, _ := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s), "kB")), 64)
		return v / 1024
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			rss = kb(rest)
		} else if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			hwm = kb(rest)
		}
	}
	return rss, hwm
}

// runQueueWait is how long the threads of process pid have waited on a CPU
// run queue, runnable but not running (the second field of each thread's
// /proc/PID/task/TID/schedstat; 0 where there is none). Threads that have
// exited are not counted: Go's seldom do.
func runQueueWait(pid int) time.Duration {
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/schedstat", pid))
	var ns int64
	for _, t := range tasks {
		b, err := os.ReadFile(t)
		if err != nil {
			continue
		}
		if f := strings.Fields(string(b)); len(f) >= 2 {
			v, _ := strconv.ParseInt(f[1], 10, 64)
			ns += v
		}
	}
	return time.Duration(ns)
}

// loadAvg is the machine's load average over 1, 5 and 15 minutes: the soak
// shares the cores with whatever else runs.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

func sortDurations(d []time.Duration) { slices.Sort(d) }

func median(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	c := append([]time.Duration(nil), d...)
	sortDurations(c)
	return c[len(c)/2]
}
