package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"maps"
	"net/http"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// benchThroughput queues o.events deliveries spread over n endpoints and measures
// how fast they arrive once the dispatcher is saturated; then a bare Go HTTP client
// posts the same bodies to the same receiver with the same concurrency, which is
// the ceiling the dispatcher is compared with.
func benchThroughput(ctx context.Context, o options, out io.Writer) error {
	for _, n := range o.endpoints {
		if err := throughputOnce(ctx, o, n, out); err != nil {
			return err
		}
	}
	return nil
}

func throughputOnce(ctx context.Context, o options, n int, out io.Writer) error {
	svc, err := startService(ctx, o)
	if err != nil {
		return err
	}
	defer svc.stop()
	var got atomic.Int64
	var mu sync.Mutex
	var first, last time.Time
	var sample []byte
	var sampleHeader http.Header
	rc, err := startReceiver(func(path string, body []byte, h http.Header) {
		if path == "/bare" {
			return // the bare client's posts are not deliveries
		}
		now := time.Now()
		mu.Lock()
		if first.IsZero() {
			first, sample, sampleHeader = now, body, h.Clone()
		}
		last = now
		mu.Unlock()
		got.Add(1)
	})
	if err != nil {
		return err
	}
	defer rc.close()
	for i := range n {
		if err := svc.createWebhook(fmt.Sprintf("%s/e%d", rc.url, i), true, false); err != nil {
			return err
		}
	}
	cpu0 := cpuTime()
	events := max(1, o.events/n)
	want := int64(events * n)
	for i := 0; i < events; i += 200 {
		b := []byte{'['}
		for j := i; j < min(i+200, events); j++ {
			if j > i {
				b = append(b, ',')
			}
			// 1,000 streams start and end a feed by turns, as broadcasts do: every
			// signal makes one feeds event, and no stream's state grows.
			kind := "feed.started"
			if j/1000%2 == 1 {
				kind = "feed.ended"
			}
			b = fmt.Appendf(b, `{"kind":%q,"accountId":%q,"name":"t%d","feedId":"f"}`, kind, svc.account, j%1000)
		}
		b = append(b, ']')
		if _, err := svc.post("/api/ingest/signals", ingestToken, b); err != nil {
			return err
		}
	}
	deadline := time.Now().Add(5 * time.Minute)
	for got.Load() < want && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	mu.Lock()
	span := last.Sub(first)
	mu.Unlock()
	received := got.Load()
	rate := float64(received) / span.Seconds()
	cpuHookcast := cpuTime() - cpu0

	conc := min(4*n, 256) // the dispatcher's per-endpoint limit (4) times n, capped by its workers
	cpu1 := cpuTime()
	bare, err := bareClient(rc.url, sample, sampleHeader, int(want), conc)
	if err != nil {
		return err
	}
	cpuBare := cpuTime() - cpu1
	fmt.Fprintf(out, "throughput: %d endpoints, %d deliveries received of %d: %.0f deliveries/s; bare client (%d concurrent): %.0f posts/s; ratio %.0f%%\n",
		n, received, want, rate, conc, bare, 100*rate/bare)
	// CPU time of the whole process (service, receiver and load) per request:
	// steadier than rates on a shared machine, and the reason for the ratio.
	fmt.Fprintf(out, "  cpu: %.0f µs a delivery (ingest, store, dispatch, receiver); %.0f µs a bare post (client, receiver); ratio %.0f%%\n",
		cpuHookcast.Seconds()*1e6/float64(received), cpuBare.Seconds()*1e6/float64(want),
		100*cpuBare.Seconds()/float64(want)/(cpuHookcast.Seconds()/float64(received)))
	return nil
}

// bareClient posts body count times with conc goroutines and returns posts/s.
// Each post carries the headers of a delivery (h: signatures and all, computed
// once), so the receiver does the same work for both; what the ratio shows is
// what hookcast adds: persisting, signing, scheduling and recording.
func bareClient(url string, body []byte, h http.Header, count, conc int) (float64, error) {
	c := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: conc, MaxIdleConns: conc}}
	var next atomic.Int64
	var wg sync.WaitGroup
	var failed atomic.Int64
	start := time.Now()
	for range conc {
		wg.Go(func() {
			for next.Add(1) <= int64(count) {
				req, err := http.NewRequest(http.MethodPost, url+"/bare", bytes.NewReader(body))
				if err != nil {
					failed.Add(1)
					continue
				}
				maps.Copy(req.Header, h)
				resp, err := c.Do(req)
				if err != nil {
					failed.Add(1)
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		})
	}
	wg.Wait()
	if failed.Load() > 0 {
		return 0, fmt.Errorf("bare client: %d posts failed", failed.Load())
	}
	return float64(count) / time.Since(start).Seconds(), nil
}

// cpuTime is the CPU time this process has used, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
