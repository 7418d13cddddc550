package engine

// Memory runs the engine over many streams in memory: a map of states and a queue of
// due times. It is what a store does durably, without the durability, for tests,
// benchmarks and tools. Not safe for concurrent use.
//
// It keeps the engine's semantics across streams with one clock: Apply first fires
// every timer of every stream due at or before the signal's time, so a timer due at
// the same instant as a signal fires before it. Idle states are dropped.
type Memory struct {
	eng     *Engine
	streams streamIndex
	timers  timerQueue // due times; entries may be stale, see memStream.scheduled
}

type memStream struct {
	// scheduled is the key of this stream's live queue entry (0: none). The queue is
	// never searched: an entry whose key differs from scheduled is stale and skipped
	// when it comes out.
	scheduled int64
	gone      bool   // dropped from the index; its queue entries are stale
	h         uint64 // keyHash of the stream
	st        State
}

// NewMemory returns an empty runner for e.
func NewMemory(e *Engine) *Memory {
	return &Memory{eng: e}
}

// Apply fires what is due by now, then applies sig at now; it returns the events of both.
func (m *Memory) Apply(sig Signal, now int64) []Event { return m.AppendApply(nil, &sig, now) }

// AppendApply is Apply appending to dst.
func (m *Memory) AppendApply(dst []Event, sig *Signal, now int64) []Event {
	dst = m.AppendAdvance(dst, now)
	if !sig.Stateful() {
		return m.eng.AppendApply(dst, nil, sig, now)
	}
	h := keyHash(sig.AccountID, sig.Name)
	s := m.streams.get(h, sig.AccountID, sig.Name)
	if s == nil {
		s = &memStream{h: h, st: State{key: StreamKey{sig.AccountID, sig.Name}}}
		m.streams.put(h, s)
	}
	dst = m.eng.AppendApply(dst, &s.st, sig, now)
	m.settle(s)
	return dst
}

// Advance fires every timer due at or before now, on every stream.
func (m *Memory) Advance(now int64) []Event { return m.AppendAdvance(nil, now) }

// AppendAdvance is Advance appending to dst.
func (m *Memory) AppendAdvance(dst []Event, now int64) []Event {
	for {
		if due, ok := m.timers.peek(); !ok || due > now {
			return dst
		}
		it := m.timers.pop()
		if it.s.gone || it.s.scheduled != it.due {
			continue
		}
		it.s.scheduled = 0
		dst = m.eng.AppendFire(dst, &it.s.st, now)
		m.settle(it.s)
	}
}

// NextDue is the earliest due time of any stream's timer, 0 when none. After a
// timer was cancelled it may be earlier than the real next one (an Advance to it
// then fires nothing); it is later only for a timer already overdue (set by a
// signal older than the last Advance), which the next Advance fires.
func (m *Memory) NextDue() int64 {
	due, _ := m.timers.peek()
	return due
}

// State returns the state of a stream, nil when it has none (never seen, or idle and
// dropped). The caller must not change it.
func (m *Memory) State(k StreamKey) *State {
	if s := m.streams.get(keyHash(k.AccountID, k.Name), k.AccountID, k.Name); s != nil {
		return &s.st
	}
	return nil
}

// Len is the number of streams held (those with something to remember).
func (m *Memory) Len() int { return m.streams.n }

// Each calls fn with every state held, in no particular order. fn may replace a
// state by one of the same stream (a decoded copy, say) but must not apply signals.
func (m *Memory) Each(fn func(*State)) {
	for _, sl := range m.streams.slots {
		if sl.h != 0 {
			fn(&sl.s.st)
		}
	}
}

// settle drops an idle state, or makes sure its next timer is in the heap.
func (m *Memory) settle(s *memStream) {
	if s.st.Idle() {
		m.streams.del(s.h, s)
		s.gone = true
		return
	}
	if due := s.st.NextDue(); due != 0 && (s.scheduled == 0 || due < s.scheduled) {
		s.scheduled = m.timers.push(memItem{due, s})
	}
}
