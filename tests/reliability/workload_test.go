package reliability

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookcast/hookcast/tests/reliability/harness"
)

// workload is media-server traffic that survives crashes of the servers it talks
// to: feeds that start, beat and end (or fall silent until the feed timeout ends
// them) and viewers that come, go and attempt, on streams of one account. Each
// signal that matters is sent again until acknowledged, as a media server would;
// every signal is idempotent when repeated right away (events.md V6), so a retry
// of a signal that was in fact committed changes nothing. It records what was
// acknowledged and when, which the checks compare with the events received.
type workload struct {
	t       *testing.T
	account string
	cfg     durations
	targets []string // base URLs, tried round-robin; a failure moves to the next
	next    atomic.Uint64

	mu      sync.Mutex
	feeds   map[string]*feedStory // by feed id
	viewers map[string]bool       // viewer streams with an acknowledged signal
	sent    int                   // requests made
	acked   int                   // signals acknowledged
	retried int                   // requests that failed and were sent again
}

// durations are the timing flags of the servers under test.
type durations struct{ interval, delay, feedTimeout time.Duration }

func (d durations) args() []string {
	return []string{"--viewer-attempt-interval", d.interval.String(), "--no-viewers-delay", d.delay.String(),
		"--feed-timeout", d.feedTimeout.String()}
}

// feedStory is what the workload knows of one feed.
type feedStory struct {
	stream, id string
	firstSend  time.Time // first attempt of feed.started
	startAck   time.Time
	lives      []span    // acknowledged signs of life: the start (from its first attempt), heartbeats
	lifeEnd    time.Time // end of the last attempt of any sign of life, acknowledged or not
	endAck     time.Time // feed.ended acknowledged (zero: the feed fell silent)
}

// span is when a signal was sent and when its acknowledgement came: the server
// received it in between.
type span struct{ sent, acked time.Time }

func newWorkload(t *testing.T, account string, cfg durations, targets []string) *workload {
	return &workload{t: t, account: account, cfg: cfg, targets: targets,
		feeds: map[string]*feedStory{}, viewers: map[string]bool{}}
}

// send posts one signal; with retry it tries again (another target after a
// failure) until acknowledged. It returns the send time of the attempt that was
// acknowledged, and whether one was. A 4xx is a bug: the signals are valid.
func (w *workload) send(sig map[string]any, retry bool) (time.Time, bool) {
	deadline := time.Now().Add(2 * time.Minute)
	for {
		base := w.targets[w.next.Add(1)%uint64(len(w.targets))]
		start := time.Now()
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		code, body, err := harness.Ingest(ctx, base, sig)
		cancel()
		w.mu.Lock()
		w.sent++
		if err == nil && code == 200 {
			w.acked++
			w.mu.Unlock()
			return start, true
		}
		w.mu.Unlock()
		if err == nil && code != 503 {
			w.t.Errorf("signal %v: %d %s", sig, code, body)
			return start, false
		}
		if !retry {
			return start, false
		}
		if time.Now().After(deadline) {
			w.t.Errorf("signal %v not acknowledged in 2 minutes: %d %v", sig, code, err)
			return start, false
		}
		w.mu.Lock()
		w.retried++
		w.mu.Unlock()
		time.Sleep(30 * time.Millisecond) // a media server's pause before sending again
	}
}

func (w *workload) sig(kind, stream string, kv ...string) map[string]any {
	m := map[string]any{"kind": kind, "accountId": w.account, "name": stream}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

// run drives `workers` streams of each kind until stop is closed; each worker
// finishes its story (viewers leave) before returning.
func (w *workload) run(seed uint64, workers int, stop <-chan struct{}) {
	var wg sync.WaitGroup
	for i := range workers {
		rng := rand.New(rand.NewPCG(seed, uint64(i)))
		wg.Go(func() {
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				w.feedStory(rng, fmt.Sprintf("f%d", i), fmt.Sprintf("w%d-%d", i, n))
			}
		})
		rng2 := rand.New(rand.NewPCG(seed, uint64(1000+i)))
		wg.Go(func() {
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				w.viewerStory(rng2, fmt.Sprintf("v%d", i), fmt.Sprintf("w%d-%d", i, n))
			}
		})
	}
	wg.Wait()
}

// feedStory: a feed starts, beats for a while, then ends or falls silent.
func (w *workload) feedStory(rng *rand.Rand, stream, id string) {
	fs := &feedStory{stream: stream, id: id, firstSend: time.Now()}
	if _, ok := w.send(w.sig("feed.started", stream, "feedId", id), true); !ok {
		return
	}
	// Any attempt may be the one committed (an earlier one may have been, its
	// answer lost): the start happened after the first.
	fs.startAck, fs.lifeEnd = time.Now(), time.Now()
	fs.lives = []span{{fs.firstSend, fs.startAck}}
	w.mu.Lock()
	w.feeds[id] = fs
	w.mu.Unlock()
	beats := rng.IntN(5)
	for range beats {
		time.Sleep(w.cfg.feedTimeout / 3) // the media server's heartbeat period
		sent, ok := w.send(w.sig("feed.heartbeat", stream, "feedId", id), false)
		w.mu.Lock()
		if ok {
			fs.lives = append(fs.lives, span{sent, time.Now()})
		}
		fs.lifeEnd = time.Now()
		w.mu.Unlock()
	}
	if rng.IntN(2) == 0 {
		if _, ok := w.send(w.sig("feed.ended", stream, "feedId", id), true); ok {
			w.mu.Lock()
			fs.endAck = time.Now()
			w.mu.Unlock()
		}
	}
}

// viewerStory: viewers of a stream that is never live connect, attempt and
// leave; all have left at the end.
func (w *workload) viewerStory(rng *rand.Rand, stream, id string) {
	var connected []string
	for k := range 1 + rng.IntN(4) {
		var m map[string]any
		if rng.IntN(3) == 0 {
			m = w.sig("viewer.attempted", stream)
		} else {
			v := fmt.Sprintf("%s-%d", id, k)
			m = w.sig("viewer.connected", stream, "viewerId", v)
			connected = append(connected, v)
		}
		if _, ok := w.send(m, true); ok {
			w.mu.Lock()
			w.viewers[stream] = true
			w.mu.Unlock()
		}
		time.Sleep(time.Duration(rng.Int64N(int64(w.cfg.interval)))) // viewers arrive at random
	}
	for _, v := range connected {
		w.send(w.sig("viewer.disconnected", stream, "viewerId", v), true)
	}
}
