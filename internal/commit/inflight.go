package commit

import (
	"container/heap"
	"sync"
	"time"
)

// inflight keeps the receipt times of the requests with stream signals that were
// received and are not yet committed (or refused), so FireDue fires no timer past
// the oldest of them.
//
// Why: a request's time is its receipt, taken in Submit, but it is applied later,
// in a group commit. A timer transaction that ran in between with its own, later
// now would fire a timer of the same stream that the queued signal should have
// changed: an attempt received 28 ms before noActiveViewers was due would not
// restart the delay (events.md V5): the stream's clock (engine: time only moves
// forward per stream), which a stream that came to rest keeps for a while, moves
// the attempt to the timer's time, a new period of interest after the
// noActiveViewers instead of a part of the one it ended. (Before that clock was
// kept, the idle state was deleted with it and the attempt applied at its receipt
// time: a viewerAttempt stamped before the noActiveViewers already sent.)
// Holding the timers back to the oldest queued receipt applies signals and timers
// in the order of their times, as the engine alone would (a timer due at a
// signal's instant still fires first). It costs timers the queueing delay of the
// signals ahead of them; their events carry their due times regardless.
//
// This orders one process's signals and timers. Another replica's timer
// transaction does not see this process's queue: there the engine's per-stream
// clock is what keeps time moving forward: kept for engine.Config.ForgetAfter
// after the stream came to rest (saveStates), it applies the signal at the
// timer's time, in order (TestTimerOnAnotherReplica).
type inflight struct {
	mu   sync.Mutex
	reqs receiptHeap
	// held: the timer loop waits for a queued request (hold); the next one to
	// finish wakes it to fire what was held back.
	held bool
}

// receive stamps r with its receipt time, now, and keeps it while it is queued
// when it has stream signals. Both under one lock with horizon, so a request
// received after a FireDue took its now has a receipt no earlier than that now.
func (f *inflight) receive(r *request, now func() time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	r.receipt = now()
	for i := range r.sigs {
		if r.sigs[i].Stateful() {
			heap.Push(&f.reqs, r)
			return
		}
	}
}

// finish forgets r, committed or refused, and reports whether the timer loop
// should look again for the timers held back for it.
func (f *inflight) finish(r *request) (wake bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if r.slot > 0 {
		heap.Remove(&f.reqs, r.slot-1)
	}
	wake, f.held = f.held, false
	return wake
}

// horizon returns now and how far timers may fire: now, or the receipt of the
// oldest queued request with stream signals when that is earlier.
func (f *inflight) horizon(now func() time.Time) (t, upTo time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	t = now()
	if len(f.reqs) > 0 && f.reqs[0].receipt.Before(t) {
		return t, f.reqs[0].receipt
	}
	return t, t
}

// hold reports whether a timer due at due (epoch ms) is held back by a queued
// request received before it; if so, the next request to finish wakes the timer
// loop. Asked only about a timer already due, so that a busy committer, which
// always has requests queued, wakes the loop only when it held something back.
func (f *inflight) hold(due int64) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.reqs) > 0 && f.reqs[0].receipt.UnixMilli() < due {
		f.held = true
	}
	return f.held
}

// receiptHeap is a min-heap of requests by receipt time; each knows its slot
// (index + 1, so the zero value of a request is "not in the heap").
type receiptHeap []*request

func (h receiptHeap) Len() int           { return len(h) }
func (h receiptHeap) Less(i, j int) bool { return h[i].receipt.Before(h[j].receipt) }
func (h receiptHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].slot, h[j].slot = i+1, j+1
}
func (h *receiptHeap) Push(x any) {
	r := x.(*request)
	r.slot = len(*h) + 1
	*h = append(*h, r)
}
func (h *receiptHeap) Pop() any {
	old := *h
	r := old[len(old)-1]
	old[len(old)-1] = nil
	r.slot = 0
	*h = old[:len(old)-1]
	return r
}
