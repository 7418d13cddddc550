package engine

// Memory runs the engine over many streams in memory: a map of states and a min-heap
// of due times. It is what a store does durably, without the durability, for tests,
// benchmarks and tools. Not safe for concurrent use.
//
// It keeps the engine's semantics across streams with one clock: Apply first fires
// every timer of every stream due at or before the signal's time, so a timer due at
// the same instant as a signal fires before it. Idle states are dropped.
type Memory struct {
	eng     *Engine
	streams map[StreamKey]*memStream
	heap    []memItem // min-heap by due; entries may be stale, see memStream.scheduled
}

type memStream struct {
	st State
	// scheduled is the due time of this stream's live heap entry (0: none). The heap
	// is never searched: an entry whose due differs from scheduled is stale and
	// skipped when it surfaces.
	scheduled int64
	gone      bool // dropped from the map; its heap entries are stale
}

type memItem struct {
	due int64
	s   *memStream
}

// NewMemory returns an empty runner for e.
func NewMemory(e *Engine) *Memory {
	return &Memory{eng: e, streams: make(map[StreamKey]*memStream)}
}

// Apply fires what is due by now, then applies sig at now; it returns the events of both.
func (m *Memory) Apply(sig Signal, now int64) []Event { return m.AppendApply(nil, &sig, now) }

// AppendApply is Apply appending to dst.
func (m *Memory) AppendApply(dst []Event, sig *Signal, now int64) []Event {
	dst = m.AppendAdvance(dst, now)
	if !sig.Stateful() {
		return m.eng.AppendApply(dst, nil, sig, now)
	}
	k := StreamKey{sig.AccountID, sig.Name}
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
	for len(m.heap) > 0 && m.heap[0].due <= now {
		it := m.pop()
		if it.s.gone || it.s.scheduled != it.due {
			continue
		}
		it.s.scheduled = 0
		dst = m.eng.AppendFire(dst, &it.s.st, now)
		m.settle(it.s)
	}
	return dst
}

// NextDue is the earliest due time of any stream's timer, 0 when none.
func (m *Memory) NextDue() int64 {
	for len(m.heap) > 0 {
		if it := m.heap[0]; !it.s.gone && it.s.scheduled == it.due {
			return it.due
		}
		m.pop()
	}
	return 0
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

// settle drops an idle state, or makes sure its next timer is in the heap.
func (m *Memory) settle(s *memStream) {
	if s.st.Idle() {
		delete(m.streams, s.st.key)
		s.gone = true
		return
	}
	if due := s.st.NextDue(); due != 0 && (s.scheduled == 0 || due < s.scheduled) {
		s.scheduled = due
		m.push(memItem{due, s})
	}
}

// The heap is 4-ary: the four children of an entry share one cache line, so a pop
// over 100k streams touches half as many lines as a binary heap would.
func (m *Memory) push(it memItem) {
	h := append(m.heap, it)
	i := len(h) - 1
	for i > 0 {
		p := (i - 1) / 4
		if h[p].due <= it.due {
			break
		}
		h[i] = h[p]
		i = p
	}
	h[i] = it
	m.heap = h
}

func (m *Memory) pop() memItem {
	h := m.heap
	top := h[0]
	last := len(h) - 1
	it := h[last]
	h[last] = memItem{}
	h = h[:last]
	if last > 0 {
		i := 0
		for {
			c := 4*i + 1
			if c >= len(h) {
				break
			}
			small := c
			for j := c + 1; j < c+4 && j < len(h); j++ {
				if h[j].due < h[small].due {
					small = j
				}
			}
			if h[small].due >= it.due {
				break
			}
			h[i] = h[small]
			i = small
		}
		h[i] = it
	}
	m.heap = h
	return top
}
