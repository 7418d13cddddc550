package engine

import (
	"fmt"
	"runtime"
	"testing"
	"time"
)

// Benchmarks of docs/PERFORMANCE.md "## Engine". Signals are built in place from
// strings made before the timer starts, as a decoder would hand them over, so the
// figures are the engine's and the in-memory runner's alone.

// names returns n distinct stream names.
func names(n int) []string {
	s := make([]string, n)
	for i := range s {
		s[i] = fmt.Sprintf("stream-%06d", i)
	}
	return s
}

func perSecond(b *testing.B, n int) {
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "signals/s")
}

// xorshift is a cheap, allocation-free generator for the benchmark's choices.
type xorshift uint64

func (x *xorshift) next() uint64 {
	*x ^= *x << 13
	*x ^= *x >> 7
	*x ^= *x << 17
	return uint64(*x)
}

// BenchmarkViewerJoinLeave: viewers join and leave live streams that keep an audience,
// on streams picked at random among 100k: the hot path of a busy service. Target:
// 0 allocs/op.
func BenchmarkViewerJoinLeave(b *testing.B) {
	const streams = 100_000
	ns := names(streams)
	viewers := []string{"a7c5e0e4-viewer-0", "a7c5e0e4-viewer-1", "a7c5e0e4-viewer-2", "a7c5e0e4-viewer-3"}
	joined := make([]uint8, streams) // bit v: viewers[v] connected
	m := NewMemory(New(DefaultConfig()))
	now := int64(t0)
	var dst []Event
	sig := Signal{AccountID: acc}
	for _, n := range ns { // every stream live with one viewer staying
		sig.Name, sig.Kind, sig.FeedID = n, FeedStarted, "f1"
		dst = m.AppendApply(dst[:0], &sig, now)
		sig.Kind, sig.FeedID, sig.ViewerID = ViewerConnected, "", "resident"
		dst = m.AppendApply(dst[:0], &sig, now)
	}
	rng := xorshift(0x9e3779b97f4a7c15)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		r := rng.next()
		s, v := r%streams, (r>>32)%uint64(len(viewers))
		sig.Name, sig.ViewerID = ns[s], viewers[v]
		if joined[s]&(1<<v) == 0 {
			sig.Kind = ViewerConnected
		} else {
			sig.Kind = ViewerDisconnected
		}
		joined[s] ^= 1 << v
		if i%64 == 0 {
			now++
		}
		dst = m.AppendApply(dst[:0], &sig, now)
	}
	perSecond(b, b.N)
}

// BenchmarkMixed: a mixed stream of signals over 100k streams picked at random:
// viewers joining and leaving (on live and offline streams, up to 8 per stream),
// refused attempts, feeds starting, ending and sending heartbeats (I 10 s, D 60 s,
// feed timeout 30 s). The clock moves 1 ms every 100 signals: at 1M signals/s that
// is ten times faster than real time, so every stream gets a signal about once a
// simulated second and viewerAttempt repeats, noActiveViewers and feed timeouts
// fire on the way (events/op says how many events came out).
func BenchmarkMixed(b *testing.B) { benchMixed(b, 100_000, 100) }

// BenchmarkMixedTimerHeavy is BenchmarkMixed with the clock ten times faster again
// (1 ms every 10 signals): about one timer fires for every signal.
func BenchmarkMixedTimerHeavy(b *testing.B) { benchMixed(b, 100_000, 10) }

func benchMixed(b *testing.B, streams, signalsPerMs int) {
	ns := names(streams)
	vids := make([]string, 8)
	for i := range vids {
		vids[i] = fmt.Sprintf("3f1d2c9e-0000-4000-8000-%012d", i)
	}
	m := NewMemory(New(Config{FeedTimeout: 30 * time.Second}))
	type streamSim struct {
		joined uint8 // bit i: vids[i] connected
		live   bool
	}
	sim := make([]streamSim, streams)
	rng := xorshift(0x9e3779b97f4a7c15)
	var dst []Event
	events := 0
	sig := Signal{AccountID: acc}
	now := int64(t0)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		r := rng.next()
		s := int(r % uint64(streams))
		st := &sim[s]
		sig.Name, sig.FeedID, sig.ViewerID = ns[s], "", ""
		switch op := (r >> 32) % 100; {
		case op < 60: // a viewer joins or leaves
			v := (r >> 40) % 8
			sig.ViewerID = vids[v]
			if st.joined&(1<<v) == 0 {
				sig.Kind = ViewerConnected
			} else {
				sig.Kind = ViewerDisconnected
			}
			st.joined ^= 1 << v
		case op < 75:
			sig.Kind = ViewerAttempted
		case op < 85: // the encoder starts or stops
			sig.FeedID = "enc"
			if st.live {
				sig.Kind = FeedEnded
			} else {
				sig.Kind = FeedStarted
			}
			st.live = !st.live
		default:
			sig.Kind, sig.FeedID = FeedHeartbeat, "enc"
		}
		if i%signalsPerMs == 0 {
			now++
		}
		dst = m.AppendApply(dst[:0], &sig, now)
		events += len(dst)
	}
	perSecond(b, b.N)
	b.ReportMetric(float64(events)/float64(b.N), "events/op")

}

// BenchmarkEngineJoinLeave is the engine alone on one state, without the runner's
// map and heap.
func BenchmarkEngineJoinLeave(b *testing.B) {
	e := New(DefaultConfig())
	st := NewState(StreamKey{acc, stream})
	e.Apply(st, start("f1"), t0)
	e.Apply(st, conn("resident"), t0)
	join, leave := conn("v1"), disc("v1")
	var dst []Event
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		sig := &join
		if i%2 == 1 {
			sig = &leave
		}
		dst = e.AppendApply(dst[:0], st, sig, t0+int64(i>>6))
	}
	perSecond(b, b.N)
}

// BenchmarkViewerMemory connects 1,000,000 viewers to 10,000 live streams and reports
// the heap they take per viewer, ids and per-stream overhead included. Run with
// -benchtime=1x: one iteration is the whole measurement.
func BenchmarkViewerMemory(b *testing.B) {
	for _, idf := range []struct{ name, format string }{
		{"uuid-ids", "5b0c2f1e-7d3a-4c8e-9f00-%012d"}, // 36 bytes, as MediaMTX reader ids
		{"short-ids", "%d"},                           // as nginx-rtmp client ids
	} {
		b.Run(idf.name, func(b *testing.B) {
			const streams, perStream = 10_000, 100
			ns := names(streams)
			for range b.N {
				var before, after runtime.MemStats
				runtime.GC()
				runtime.ReadMemStats(&before)
				m := NewMemory(New(DefaultConfig()))
				sig := Signal{AccountID: acc}
				var dst []Event
				for s, n := range ns {
					sig.Name, sig.Kind, sig.FeedID, sig.ViewerID = n, FeedStarted, "f1", ""
					dst = m.AppendApply(dst[:0], &sig, t0)
					sig.Kind, sig.FeedID = ViewerConnected, ""
					for v := range perStream {
						sig.ViewerID = fmt.Sprintf(idf.format, s*perStream+v) // allocated here, kept by the state
						dst = m.AppendApply(dst[:0], &sig, t0)
					}
				}
				sig, dst = Signal{}, nil
				runtime.GC()
				runtime.ReadMemStats(&after)
				if got := m.State(StreamKey{acc, ns[0]}).Viewers(); got != perStream {
					b.Fatalf("%d viewers on a stream", got)
				}
				b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/(streams*perStream), "B/viewer")
				runtime.KeepAlive(m)
			}
		})
	}
}
