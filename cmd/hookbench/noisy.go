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
	cur := &alone
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
				sent.Store(fmt.Sprintf("f%d", k), time.Now())
				if _, err := svc.post("/api/ingest/signals", ingestToken, body); err != nil {
					failed.Add(1)
				}
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
	if err := send(o.duration, &seq); err != nil {
		return err
	}
	drain()
	curMu.Lock()
	cur = &crowded
	curMu.Unlock()

	// Account A: a test event to every one of its webhooks each second.
	noisyCtx, stopNoisy := context.WithCancel(ctx)
	var tests atomic.Int64
	noisyDone := make(chan error, 1)
	go func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			if _, err := svc.post("/api/webhooks/test/Feeds", secretA, nil); err != nil {
				noisyDone <- err
				return
			}
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
