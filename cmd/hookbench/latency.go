package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// benchLatency sends feed.started signals (a new feed each, over 1000 streams) at
// a fixed rate, one per request, each producing one webhook, and measures the time
// from just before the signal is posted to the moment the receiver has read the
// webhook. Requests go out concurrently, as from many media servers.
func benchLatency(ctx context.Context, o options, out io.Writer) error {
	svc, err := startService(ctx, o)
	if err != nil {
		return err
	}
	defer svc.stop()
	var sent sync.Map // "feedId/event" → time.Time
	var lat latencies
	var got atomic.Int64
	rc, err := startReceiver(func(_ string, body []byte, _ http.Header) {
		now := time.Now()
		var ev struct {
			Event string `json:"event"`
			Data  struct {
				FeedID string `json:"feedId"`
			} `json:"data"`
		}
		if json.Unmarshal(body, &ev) != nil {
			return
		}
		if t, ok := sent.LoadAndDelete(ev.Data.FeedID + "/" + ev.Event); ok {
			lat.add(now.Sub(t.(time.Time)))
			got.Add(1)
		}
	})
	if err != nil {
		return err
	}
	defer rc.close()
	if err := svc.createWebhook(rc.url, true, false); err != nil {
		return err
	}

	jobs := make(chan int, 4096)
	var wg sync.WaitGroup
	var failed atomic.Int64
	for range 64 {
		wg.Go(func() {
			for k := range jobs {
				body := fmt.Appendf(nil, `{"kind":"feed.started","accountId":%q,"name":"l%d","feedId":"f%d"}`, svc.account, k%1000, k)
				sent.Store(fmt.Sprintf("f%d/started", k), time.Now())
				if _, err := svc.post("/api/ingest/signals", ingestToken, body); err != nil {
					failed.Add(1)
				}
			}
		})
	}
	start := time.Now()
	total := int(o.duration.Seconds() * float64(o.rate))
	// Pace: every millisecond, hand out what the rate owes by now.
	k := 0
	tick := time.NewTicker(time.Millisecond)
	for k < total {
		<-tick.C
		owed := min(total, int(time.Since(start).Seconds()*float64(o.rate)))
		for ; k < owed; k++ {
			jobs <- k
		}
	}
	tick.Stop()
	close(jobs)
	wg.Wait()
	deadline := time.Now().Add(30 * time.Second)
	for got.Load() < int64(total)-failed.Load() && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond) // the load tool waits for stragglers; tests never do this
	}
	fmt.Fprintf(out, "latency: %d events at %d/s (one signal per request), %d received, %d refused\n",
		total, o.rate, got.Load(), failed.Load())
	fmt.Fprintf(out, "  signal → webhook received: %s\n", lat.summary())
	return nil
}
