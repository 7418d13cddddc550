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

// benchNoisy is issue 13's noisy neighbour. Account B has one webhook to a
// healthy receiver and sends -rate events a second (default 50 in this mode);
// its delivery delay is measured first alone for -duration, then for another
// -duration while account A, with -noisy webhooks (400) to endpoints that accept
// the request and never answer, sends a test event to all of them every
// second. Same service, same run: the ratio is B's delay with A to B's delay
// without.
func benchNoisy(ctx context.Context, o options, out io.Writer) error {
	svc, err := startService(ctx, o)
	if err != nil {
		return err
	}
	defer svc.stop()
	secretA, err := svc.newAccount("noisyA")
	if err != nil {
		return err
	}
	hang := make(chan struct{})
	defer close(hang)
	var hung atomic.Int64
	dead, err := startReceiver(func(string, []byte, http.Header) {
		hung.Add(1)
		<-hang // accepts the request, never answers (until the run ends)
	})
	if err != nil {
		return err
	}
	defer dead.close()
	for i := range o.noisy {
		body, _ := json.Marshal(map[string]any{"url": fmt.Sprintf("%s/a%d", dead.url, i), "isFeedHooks": true})
		if _, err := svc.post("/api/webhooks", secretA, body); err != nil {
			return fmt.Errorf("account A's webhook %d: %w", i, err)
		}
	}

	var sent sync.Map // feedId → time.Time
	var alone, crowded latencies
	var ackAlone, ackCrowded latencies // signal posted → ingest answered (its commit)
	cur, ack := &alone, &ackAlone
	var curMu sync.Mutex
	rc, err := startReceiver(func(_ string, body []byte, _ http.Header) {
		now := time.Now()
		var ev struct {
			Data struct {
				FeedID string `json:"feedId"`
			} `json:"data"`
		}
		if json.Unmarshal(body, &ev) != nil {
			return
		}
		if t, ok := sent.LoadAndDelete(ev.Data.FeedID); ok {
			curMu.Lock()
			l := cur
			curMu.Unlock()
			l.add(now.Sub(t.(time.Time)))
		}
	})
	if err != nil {
		return err
	}
	defer rc.close()
	if err := svc.createWebhook(rc.url, true, false); err != nil {
		return err
	}

	send := func(d time.Duration, seq *int) error {
		tick := time.NewTicker(time.Second / time.Duration(o.rate))
		defer tick.Stop()
		end := time.Now().Add(d)
		var wg sync.WaitGroup
		var failed atomic.Int64
		for time.Now().Before(end) {
			<-tick.C
			k := *seq
			*seq++
			wg.Go(func() {
				body := fmt.Appendf(nil, `{"kind":"feed.started","accountId":%q,"name":"b%d","feedId":"f%d"}`, svc.account, k%100, k)
				t0 := time.Now()
				sent.Store(fmt.Sprintf("f%d", k), t0)
				if _, err := svc.post("/api/ingest/signals", ingestToken, body); err != nil {
					failed.Add(1)
					return
				}
				curMu.Lock()
				l := ack
				curMu.Unlock()
				l.add(time.Since(t0))
			})
		}
		wg.Wait()
		if n := failed.Load(); n > 0 {
			return fmt.Errorf("%d signals failed", n)
		}
		return nil
	}
	drain := func() {
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) {
			n := 0
			sent.Range(func(any, any) bool { n++; return n == 0 })
			if n == 0 {
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	}

	seq := 0
	cpu0 := cpuTime()
	if err := send(o.duration, &seq); err != nil {
		return err
	}
	cpuAlone := cpuTime() - cpu0
	drain()
	curMu.Lock()
	cur, ack = &crowded, &ackCrowded
	curMu.Unlock()
	cpu1 := cpuTime()

	// Account A: a test event to every one of its webhooks each second.
	noisyCtx, stopNoisy := context.WithCancel(ctx)
	var tests atomic.Int64
	var testCalls latencies // A's test call answered (its deliveries committed)
	noisyDone := make(chan error, 1)
	go func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			t0 := time.Now()
			if _, err := svc.post("/api/webhooks/test/Feeds", secretA, nil); err != nil {
				noisyDone <- err
				return
			}
			testCalls.add(time.Since(t0))
			tests.Add(1)
			select {
			case <-noisyCtx.Done():
				noisyDone <- nil
				return
			case <-t.C:
			}
		}
	}()
	err = send(o.duration, &seq)
	cpuCrowded := cpuTime() - cpu1
	drain()
	stopNoisy()
	if nerr := <-noisyDone; nerr != nil && err == nil {
		err = fmt.Errorf("account A's test events: %w", nerr)
	}
	if err != nil {
		return err
	}
	lost := 0
	sent.Range(func(any, any) bool { lost++; return true })
	pa, pc := alone.quantile(0.99), crowded.quantile(0.99)
	fmt.Fprintf(out, "noisy neighbour: B at %d events/s, %v alone then %v beside A (%d webhooks that never answer, %d test events sent to each)\n",
		o.rate, o.duration, o.duration, o.noisy, tests.Load())
	fmt.Fprintf(out, "  B alone:     %s\n", alone.summary())
	fmt.Fprintf(out, "  B beside A:  %s\n", crowded.summary())
	fmt.Fprintf(out, "  B's signal answered (committed), alone: %s\n", ackAlone.summary())
	fmt.Fprintf(out, "  B's signal answered, beside A:      %s\n", ackCrowded.summary())
	fmt.Fprintf(out, "  A's test call answered (%d deliveries committed): %s\n", o.noisy, testCalls.summary())
	fmt.Fprintf(out, "  CPU of the process (service, receivers, load): %.0f%% of a core alone, %.0f%% beside A\n",
		100*cpuAlone.Seconds()/o.duration.Seconds(), 100*cpuCrowded.Seconds()/o.duration.Seconds())
	fmt.Fprintf(out, "  p99 beside A / alone: %.2f×; A's requests received (each hangs until its attempt times out): %d; B's deliveries not received: %d\n",
		float64(pc)/float64(max(pa, 1)), hung.Load(), lost)
	return nil
}

// newAccount creates an account through the admin API and returns its secret.
func (s *service) newAccount(id string) (string, error) {
	body, _ := json.Marshal(map[string]string{"accountId": id, "name": id})
	b, err := s.post("/api/admin/accounts", adminToken, body)
	if err != nil {
		return "", err
	}
	var env struct {
		Data struct {
			APISecret string `json:"apiSecret"`
		} `json:"data"`
	}
	if err := json.Unmarshal(b, &env); err != nil || env.Data.APISecret == "" {
		return "", fmt.Errorf("create account %s: %s", id, b)
	}
	return env.Data.APISecret, nil
}
