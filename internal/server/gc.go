package server

import (
	"fmt"
	"os"
	"runtime/debug"
	rtmetrics "runtime/metrics"
	"strconv"
	"time"
)

// GCPercent is the garbage collector's target serve runs with unless the
// environment sets GOGC. Go's default (100) collects whenever the heap has
// doubled; serve's live heap is small (20–30 MB at saturation: the SQLite
// page cache is not on it) while every delivery allocates its request,
// response and bookkeeping, so at 100 the collector and its write barriers
// took a fifth of the CPU at saturation. At 400 the heap may grow to five
// times the live one; MemoryLimit keeps that growth out of the RSS.
const GCPercent = 400

// MemoryLimit is the soft limit on the Go runtime's memory serve runs with
// unless the environment sets GOMEMLIMIT: near it the collector runs more
// often than GCPercent says. With GCPercent alone the heap in use swung
// between 20 and 95 MiB at saturation and serve's RSS peaked at 208 MB; with
// this limit (and the writer's 16 MiB page cache) at 121 MB, for no
// measurable CPU (docs/PERFORMANCE.md, the retention soak).
//
// A fixed limit below a live heap that has grown (a large account's bursts,
// many dashboard streams) would have the collector run back to back; so the
// limit kept is at least liveFactor times the live heap, re-read every second
// (keepLimit): the collector then never runs more often than GOGC=200 would.
const MemoryLimit = 64 << 20

// liveFactor: the least limit is this many times the live heap.
const liveFactor = 3

// TuneGC applies GCPercent unless GOGC is set and MemoryLimit (kept above the
// live heap) unless GOMEMLIMIT is set, and returns the settings in force (for
// a benchmark's header). It is process-wide, so the commands that run serve
// call it, not New.
func TuneGC() string {
	gogc := os.Getenv("GOGC")
	if gogc == "" {
		debug.SetGCPercent(GCPercent)
		gogc = strconv.Itoa(GCPercent)
	}
	limit := os.Getenv("GOMEMLIMIT")
	if limit == "" {
		debug.SetMemoryLimit(MemoryLimit)
		go keepLimit(time.Tick(time.Second))
		limit = fmt.Sprintf("%dMiB (at least %d× the live heap)", MemoryLimit>>20, liveFactor)
	}
	return "GOGC=" + gogc + ", GOMEMLIMIT=" + limit
}

// keepLimit raises the memory limit to liveFactor times the live heap, or
// lowers it back towards MemoryLimit, at each tick.
func keepLimit(tick <-chan time.Time) {
	s := []rtmetrics.Sample{{Name: "/gc/heap/live:bytes"}}
	for range tick {
		debug.SetMemoryLimit(limitFor(readLive(s)))
	}
}

func readLive(s []rtmetrics.Sample) uint64 {
	rtmetrics.Read(s)
	if s[0].Value.Kind() != rtmetrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}

// limitFor is the memory limit for a live heap of live bytes.
func limitFor(live uint64) int64 {
	return max(MemoryLimit, liveFactor*int64(min(live, 1<<60)))
}
