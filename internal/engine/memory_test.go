package engine

import (
	"container/heap"
	"slices"
	"testing"
)

// Memory runs the engine over many streams in memory: a map of states and a heap of
// due times. It is what a store does durably, without the durability, for the
// engine's rule tables, conformance scenarios and benchmarks; no production code
// runs streams this way, so it lives in a test file. Not safe for concurrent use.
//
// It keeps the engine's semantics across streams with one clock: Apply first fires
// every timer of every stream due at or before the signal's time, so a timer due at
// the same instant as a signal fires before it. Idle states are dropped.
type Memory struct {
	eng     *Engine
	streams map[StreamKey]*memStream
	timers  timerHeap // entries may be stale, see memStream.scheduled
	seq     uint64
}

type memStream struct {
	// scheduled is the due time of this stream's live heap entry (0: none). The heap
	// is never searched: an entry whose due differs from scheduled is stale and
	// skipped when it comes out.
	scheduled int64
	gone      bool // dropped from the map; its heap entries are stale
	st        State
}

// timerHeap orders due times, ties in the order they were pushed, so events of
// different streams due at one instant come out in a fixed order. Entries go in
// and out through push and pop, which sift with heap.Fix: heap.Push and heap.Pop
// pass entries as any, one allocation each, which the benchmarks would count as
// the engine's.
type timerHeap []timerEntry

type timerEntry struct {
	due int64
	seq uint64
	s   *memStream
}

func (h timerHeap) Len() int { return len(h) }
func (h timerHeap) Less(i, j int) bool {
	return h[i].due < h[j].due || h[i].due == h[j].due && h[i].seq < h[j].seq
}
func (h timerHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }

// Push and Pop complete heap.Interface (heap.Fix needs it); the runner calls push
// and pop.
func (h *timerHeap) Push(x any) { *h = append(*h, x.(timerEntry)) }
func (h *timerHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	*h = old[:len(old)-1]
	return e
}

func (h *timerHeap) push(e timerEntry) {
	*h = append(*h, e)
	heap.Fix(h, len(*h)-1)
}

// pop removes the smallest entry; call only when the heap is not empty.
func (h *timerHeap) pop() timerEntry {
	old := *h
	n := len(old) - 1
	old.Swap(0, n)
	e := old[n]
	*h = old[:n]
	if n > 0 {
		heap.Fix(h, 0)
	}
	return e
}

// NewMemory returns an empty runner for e.
func NewMemory(e *Engine) *Memory {
	return &Memory{eng: e, streams: map[StreamKey]*memStream{}}
}

// Apply fires what is due by now, then applies sig at now; it returns the events of both.
func (m *Memory) Apply(sig Signal, now int64) []Event { return m.AppendApply(nil, &sig, now) }

// AppendApply is Apply appending to dst.
func (m *Memory) AppendApply(dst []Event, sig *Signal, now int64) []Event {
	dst = m.AppendAdvance(dst, now)
	if !sig.Stateful() {
		return m.eng.AppendApply(dst, nil, sig, now)
	}
	k := sig.Stream()
	s := m.streams[k]
	if s == nil {
		s = &memStream{st: State{key: k}}
		m.streams[k] = s
	}
	dst = m.eng.AppendApply(dst, &s.st, sig, now)
	m.settle(s)
	return dst
}

// Advance fires every timer due at or before now, on every stream.
func (m *Memory) Advance(now int64) []Event { return m.AppendAdvance(nil, now) }

// AppendAdvance is Advance appending to dst.
func (m *Memory) AppendAdvance(dst []Event, now int64) []Event {
	for len(m.timers) > 0 && m.timers[0].due <= now {
		it := m.timers.pop()
		if it.s.gone || it.s.scheduled != it.due {
			continue
		}
		it.s.scheduled = 0
		dst = m.eng.AppendFire(dst, &it.s.st, now)
		m.settle(it.s)
	}
	return dst
}

// NextDue is the earliest due time of any stream's timer, 0 when none. After a
// timer was cancelled it may be earlier than the real next one (an Advance to it
// then fires nothing); it is later only for a timer already overdue (set by a
// signal older than the last Advance), which the next Advance fires.
func (m *Memory) NextDue() int64 {
	if len(m.timers) == 0 {
		return 0
	}
	return m.timers[0].due
}

// State returns the state of a stream, nil when it has none (never seen, or idle and
// dropped). The caller must not change it.
func (m *Memory) State(k StreamKey) *State {
	if s := m.streams[k]; s != nil {
		return &s.st
	}
	return nil
}

// Len is the number of streams held (those with something to remember).
func (m *Memory) Len() int { return len(m.streams) }

// Each calls fn with every state held, in no particular order. fn may replace a
// state by one of the same stream (a decoded copy, say) but must not apply signals.
func (m *Memory) Each(fn func(*State)) {
	for _, s := range m.streams {
		fn(&s.st)
	}
}

// settle drops an idle state, or makes sure its next timer is in the heap.
func (m *Memory) settle(s *memStream) {
	if s.st.Idle() {
		delete(m.streams, s.st.key)
		s.gone = true
		return
	}
	if due := s.st.NextDue(); due != 0 && (s.scheduled == 0 || due < s.scheduled) {
		m.seq++
		m.timers.push(timerEntry{due, m.seq, s})
		s.scheduled = due
	}
}

func TestMemoryDropsIdleStreams(t *testing.T) {
	t.Parallel()
	m := NewMemory(New(DefaultConfig()))
	if m.NextDue() != 0 || m.Len() != 0 {
		t.Fatal("a new runner holds something")
	}
	m.Apply(disc("ghost"), t0) // changes nothing: not kept
	if m.Len() != 0 {
		t.Fatal("a no-op signal left a stream behind")
	}
	m.Apply(att(), t0)
	m.Apply(Signal{Kind: ViewerAttempted, AccountID: acc, Name: "other"}, t0+1000)
	if m.Len() != 2 || m.NextDue() != t0+60000 {
		t.Fatalf("len %d next %d", m.Len(), m.NextDue())
	}
	if st := m.State(StreamKey{acc, stream}); st == nil || st.NextDue() != t0+60000 {
		t.Fatal("state of an armed stream")
	}
	evs := m.Advance(t0 + 60500)
	if len(evs) != 1 || evs[0].Name != stream || m.Len() != 2 || m.NextDue() != t0+61000 { // stream at rest, kept
		t.Fatalf("after the first timer: %d events, len %d, next %d", len(evs), m.Len(), m.NextDue())
	}
	m.Advance(t0 + 61000)
	// At rest, each keeps its clock ForgetAfter (60 s) from the Advance that put
	// it to rest.
	if st := m.State(StreamKey{acc, stream}); m.Len() != 2 || m.NextDue() != t0+120500 || st == nil || !st.AtRest() {
		t.Fatalf("at rest: len %d, next %d", m.Len(), m.NextDue())
	}
	if evs := m.Advance(t0 + 121000); len(evs) != 0 {
		t.Fatalf("forgetting a clock sent %d events", len(evs))
	}
	if m.Len() != 0 || m.NextDue() != 0 || m.State(StreamKey{acc, stream}) != nil {
		t.Fatal("idle streams kept")
	}
}

// TestMemoryCancelledTimer: a timer cancelled and set again later leaves a stale
// heap entry that must fire nothing, and the real one must still fire.
func TestMemoryCancelledTimer(t *testing.T) {
	t.Parallel()
	m := NewMemory(New(DefaultConfig()))
	m.Apply(start("f1"), t0)
	m.Apply(conn("v1"), t0)
	m.Apply(disc("v1"), t0+1000) // noActiveViewers due t0+61000
	m.Apply(conn("v2"), t0+2000) // cancelled
	m.Apply(disc("v2"), t0+9000) // due t0+69000
	if got := m.Advance(t0 + 68999); len(got) != 0 {
		t.Fatalf("a cancelled timer fired: %v", short(got[0]))
	}
	got := m.Advance(t0 + 69000)
	if len(got) != 1 || short(got[0]) != "69000 noActiveViewers" {
		t.Fatalf("events %v", got)
	}
}

// TestMemoryManyStreamsInDueOrder: timers of many streams come out in due order.
func TestMemoryManyStreamsInDueOrder(t *testing.T) {
	t.Parallel()
	m := NewMemory(New(DefaultConfig()))
	ns := names(500)
	for i, n := range ns {
		m.Apply(Signal{Kind: ViewerAttempted, AccountID: acc, Name: n}, t0+int64((i*7919)%500))
	}
	evs := m.Advance(t0 + 1_000_000)
	var times []int64
	for _, ev := range evs {
		if ev.Event == "noActiveViewers" {
			times = append(times, ev.Timestamp)
		}
	}
	if len(times) != 500 || !slices.IsSorted(times) {
		t.Fatalf("%d noActiveViewers, sorted %v", len(times), slices.IsSorted(times))
	}
	if m.Advance(t0 + 1_060_000); m.Len() != 0 { // their clocks forgotten too
		t.Fatalf("%d streams left", m.Len())
	}
}

// TestMemoryLateTimer: a timer set by a signal older than the last Advance is due
// already; the next Advance fires it, stamped with its own due time.
func TestMemoryLateTimer(t *testing.T) {
	t.Parallel()
	m := NewMemory(New(DefaultConfig()))
	m.Advance(t0 + 100_000)
	m.Apply(att(), t0) // noActiveViewers due t0+60000, before the clock
	if m.NextDue() != t0+60000 {
		t.Fatalf("next due %d", m.NextDue())
	}
	got := m.Advance(t0 + 100_001)
	if len(got) != 1 || short(got[0]) != "60000 noActiveViewers" {
		t.Fatalf("events %v", got)
	}
}
