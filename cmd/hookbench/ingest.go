package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// benchIngest posts viewer join/leave batches over HTTP to serve and reports the
// signals committed per second (each batch is answered only after its commit) and
// the latency of the requests.
func benchIngest(ctx context.Context, o options, out io.Writer) error {
	svc, err := startService(ctx, o)
	if err != nil {
		return err
	}
	defer svc.stop()
	// Make every stream live first, as streams with viewers usually are.
	for i := 0; i < o.streams; i += o.batch {
		var b []byte
		b = append(b, '[')
		for j := i; j < min(i+o.batch, o.streams); j++ {
			if j > i {
				b = append(b, ',')
			}
			b = fmt.Appendf(b, `{"kind":"feed.started","accountId":%q,"name":"s%d","feedId":"f%d"}`, svc.account, j, j)
		}
		b = append(b, ']')
		if _, err := svc.post("/api/ingest/signals", ingestToken, b); err != nil {
			return err
		}
	}

	var signals atomic.Int64
	var lat latencies
	deadline := time.Now().Add(o.duration)
	var wg sync.WaitGroup
	errc := make(chan error, o.conc)
	start := time.Now()
	for w := range o.conc {
		wg.Go(func() {
			g := viewerGen{account: svc.account, streams: o.streams, worker: w, rng: rand.New(rand.NewPCG(uint64(w), 7))}
			for time.Now().Before(deadline) {
				body := g.batch(o.batch)
				t := time.Now()
				if _, err := svc.post("/api/ingest/signals", ingestToken, body); err != nil {
					errc <- err
					return
				}
				lat.add(time.Since(t))
				signals.Add(int64(o.batch))
			}
		})
	}
	wg.Wait()
	took := time.Since(start)
	select {
	case err := <-errc:
		return err
	default:
	}
	fmt.Fprintf(out, "ingest: %d signals in %v over %d streams, batches of %d, %d concurrent requests\n",
		signals.Load(), took.Round(time.Millisecond), o.streams, o.batch, o.conc)
	fmt.Fprintf(out, "  %.0f signals/s committed; request latency %s\n", float64(signals.Load())/took.Seconds(), lat.summary())
	return nil
}

// viewerGen makes batches of viewers joining and leaving: each worker keeps its own
// viewers connected (up to 1000) and alternates joins and leaves at random.
type viewerGen struct {
	account   string
	streams   int
	worker    int
	rng       *rand.Rand
	connected []viewer
	next      int
}

type viewer struct{ stream, id int }

func (g *viewerGen) batch(n int) []byte {
	b := make([]byte, 0, n*100)
	b = append(b, '[')
	for i := range n {
		if i > 0 {
			b = append(b, ',')
		}
		kind := "viewer.connected"
		var v viewer
		if len(g.connected) > 0 && (len(g.connected) >= 1000 || g.rng.IntN(2) == 0) {
			k := g.rng.IntN(len(g.connected))
			v = g.connected[k]
			g.connected[k] = g.connected[len(g.connected)-1]
			g.connected = g.connected[:len(g.connected)-1]
			kind = "viewer.disconnected"
		} else {
			v = viewer{stream: g.rng.IntN(g.streams), id: g.next}
			g.next++
			g.connected = append(g.connected, v)
		}
		b = append(b, `{"kind":"`...)
		b = append(b, kind...)
		b = append(b, `","accountId":"`...)
		b = append(b, g.account...)
		b = append(b, `","name":"s`...)
		b = strconv.AppendInt(b, int64(v.stream), 10)
		b = append(b, `","viewerId":"w`...)
		b = strconv.AppendInt(b, int64(g.worker), 10)
		b = append(b, '-')
		b = strconv.AppendInt(b, int64(v.id), 10)
		b = append(b, `"}`...)
	}
	return append(b, ']')
}
