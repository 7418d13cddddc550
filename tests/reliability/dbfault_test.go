package reliability

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookcast/hookcast/internal/testpg"
	"github.com/hookcast/hookcast/tests/reliability/harness"
)

// ingestLog is what the media servers of TestDatabaseOutage were told.
type ingestLog struct {
	mu       sync.Mutex
	acked    map[string]time.Time // feed id → when its 200 came
	refused  map[string]bool      // feed ids answered 503
	maxRefus time.Duration        // slowest 503
	firstOK  time.Time            // first 200 after the database came back
	upAgain  time.Time
}

// TestDatabaseOutage stops the PostgreSQL server under load, twice: a fast
// shutdown, then an immediate one (a crash: the next start replays the WAL),
// each time for 3 s, with two replicas and four media servers posting signals.
// While it is down every ingest request is answered 503 with a reason (never a
// false 200, never a hang) and /readyz says 503; the replicas recover by
// themselves when it is back; and every signal that got a 200 has its event
// delivered.
func TestDatabaseOutage(t *testing.T) {
	t.Parallel()
	c := testpg.NewCluster(t)
	db := c.NewDatabase(t)
	procs := []*harness.Proc{harness.Start(t, harness.Config{Database: db}), harness.Start(t, harness.Config{Database: db})}
	account, secret := harness.CreateAccount(t, procs[0].Base, "OUTAGE")
	rc := harness.NewReceiver(t)
	wh := harness.CreateWebhook(t, procs[0].Base, secret, map[string]any{"url": rc.URL("/hooks")})
	rc.SetSecret("/hooks", wh.Secret)

	lg := &ingestLog{acked: map[string]time.Time{}, refused: map[string]bool{}}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var seq atomic.Int64
	for w := range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				n := seq.Add(1)
				id := fmt.Sprintf("f%d", n)
				p := procs[n%int64(len(procs))]
				sig := map[string]any{"kind": "feed.started", "accountId": account, "name": fmt.Sprintf("s%d", w), "feedId": id}
				start := time.Now()
				ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
				code, body, err := harness.Ingest(ctx, p.Base, sig)
				cancel()
				took := time.Since(start)
				lg.mu.Lock()
				switch {
				case err == nil && code == 200:
					lg.acked[id] = time.Now()
					if !lg.upAgain.IsZero() && lg.firstOK.IsZero() {
						lg.firstOK = time.Now()
					}
				case err == nil && code == 503 && strings.Contains(string(body), "try again"):
					lg.refused[id] = true
					lg.maxRefus = max(lg.maxRefus, took)
				default:
					t.Errorf("ingest while the database comes and goes: %d %s %v (want 200, or 503 with a reason)", code, body, err)
				}
				lg.mu.Unlock()
				time.Sleep(20 * time.Millisecond) // the media server's pace
			}
		})
	}
	for _, outage := range []struct {
		name string
		mode testpg.StopMode
	}{{"fast shutdown", testpg.Fast}, {"immediate shutdown (crash)", testpg.Immediate}} {
		time.Sleep(2 * time.Second) // traffic with the database up
		c.Stop(outage.mode)
		time.Sleep(time.Second) // answers to requests committed before the stop arrive
		lg.mu.Lock()
		downAt := len(lg.acked)
		lg.mu.Unlock()
		if code, _ := harness.Call(t, "GET", procs[1].Base+"/readyz", "", nil); code != 503 {
			t.Errorf("/readyz while the database is down: %d, want 503", code)
		}
		if code, _ := harness.Call(t, "GET", procs[1].Base+"/healthz", "", nil); code != 200 {
			t.Errorf("/healthz while the database is down: %d, want 200 (the process is alive)", code)
		}
		time.Sleep(2 * time.Second) // down for a while under load
		lg.mu.Lock()
		if n := len(lg.acked); n != downAt {
			t.Errorf("%d signals acknowledged while the database was down", n-downAt)
		}
		lg.upAgain, lg.firstOK = time.Now(), time.Time{}
		lg.mu.Unlock()
		c.Start(t)
		if err := awaitTrue(30*time.Second, func() bool { lg.mu.Lock(); defer lg.mu.Unlock(); return !lg.firstOK.IsZero() }); err != nil {
			t.Fatalf("no signal acknowledged within 30 s of the database's return")
		}
		lg.mu.Lock()
		t.Logf("%s: ingest acknowledged again %v after the database was back", outage.name, lg.firstOK.Sub(lg.upAgain).Round(time.Millisecond))
		lg.mu.Unlock()
	}
	time.Sleep(2 * time.Second)
	close(stop)
	wg.Wait()

	lg.mu.Lock()
	defer lg.mu.Unlock()
	if len(lg.refused) == 0 {
		t.Error("no request was refused: the outage was not under load")
	}
	started := func(h []harness.Hit) map[string]bool {
		out := map[string]bool{}
		for _, hit := range h {
			if hit.Path == "/hooks" && hit.Verified && hit.Status == 200 {
				var ev struct {
					Data struct {
						FeedID string `json:"feedId"`
					} `json:"data"`
				}
				_ = json.Unmarshal(hit.Body, &ev)
				out[ev.Data.FeedID] = true
			}
		}
		return out
	}
	err := rc.Await(60*time.Second, func(h []harness.Hit) bool {
		got := started(h)
		for id := range lg.acked {
			if !got[id] {
				return false
			}
		}
		return true
	})
	got := started(rc.Hits())
	if err != nil {
		var lost []string
		for id := range lg.acked {
			if !got[id] {
				lost = append(lost, id)
			}
		}
		t.Fatalf("%d acknowledged signals lost: %v", len(lost), lost)
	}
	ambiguous := 0
	for id := range lg.refused {
		if got[id] {
			ambiguous++
		}
	}
	t.Logf("%d signals acknowledged, all delivered; %d refused with 503 (slowest refusal %v), of which %d were committed after all (the answer was lost with the connection)",
		len(lg.acked), len(lg.refused), lg.maxRefus.Round(time.Millisecond), ambiguous)
}

// awaitTrue polls cond until it holds or timeout passes.
func awaitTrue(timeout time.Duration, cond func() bool) error {
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			return harness.ErrTimeout
		}
		time.Sleep(20 * time.Millisecond) // polling, with a deadline
	}
	return nil
}
