package engine

import "github.com/hookcast/hookcast/webhook"

// TimerKind says what a pending timer will do when it runs out.
type TimerKind uint8

// The timers of a stream. At the same due time they fire in this order.
const (
	// TimerFeedTimeout ends a feed that showed no sign of life for FeedTimeout.
	TimerFeedTimeout TimerKind = iota + 1
	// TimerViewerAttempt repeats viewerAttempt while viewers wait (V2).
	TimerViewerAttempt
	// TimerAttemptWindow closes the viewerAttempt window (V1) after the interest
	// period ended; it sends nothing, it only lets the state become idle.
	TimerAttemptWindow
	// TimerNoViewers sends noActiveViewers (V5).
	TimerNoViewers
	// TimerForget ends the keeping of the clock of a stream at rest
	// (Config.ForgetAfter); it sends nothing, it lets the state become idle.
	TimerForget
)

func (k TimerKind) String() string {
	switch k {
	case TimerFeedTimeout:
		return "feed-timeout"
	case TimerViewerAttempt:
		return "viewer-attempt"
	case TimerAttemptWindow:
		return "attempt-window"
	case TimerNoViewers:
		return "no-viewers"
	case TimerForget:
		return "forget"
	}
	return "none"
}

// Timer is one pending timer, as plain data.
type Timer struct {
	Stream StreamKey
	Kind   TimerKind
	Due    int64  // epoch ms
	FeedID string // the feed, for TimerFeedTimeout
}

// The timers are not stored as a list: each one is implied by the fields of the
// state (see State), so they can never disagree with it.
func (st *State) each(fn func(k TimerKind, due int64, feed int)) {
	for i := range st.feeds {
		if st.feeds[i].due > 0 {
			fn(TimerFeedTimeout, st.feeds[i].due, i)
		}
	}
	if st.windowEnd > 0 {
		switch {
		case !st.live() && st.viewers.len() > 0:
			fn(TimerViewerAttempt, st.windowEnd, -1)
		case !st.armed:
			fn(TimerAttemptWindow, st.windowEnd, -1)
		}
	}
	if st.armed && st.viewers.len() == 0 {
		fn(TimerNoViewers, st.quietDue, -1)
	}
	if st.forgetAt > 0 {
		fn(TimerForget, st.forgetAt, -1)
	}
}

// earliest is the next timer to fire: the smallest due, ties broken by kind (kinds
// are visited in order and only a strictly earlier due wins). kind 0 means none.
// It reads only fields of the State itself, never the feeds or viewers behind
// pointers: it runs on every signal.
func (st *State) earliest() (kind TimerKind, due int64) {
	if st.feedDue > 0 {
		kind, due = TimerFeedTimeout, st.feedDue
	}
	if st.windowEnd > 0 {
		var k TimerKind
		switch {
		case !st.live() && st.viewers.len() > 0:
			k = TimerViewerAttempt
		case !st.armed:
			k = TimerAttemptWindow
		}
		if k != 0 && (kind == 0 || st.windowEnd < due) {
			kind, due = k, st.windowEnd
		}
	}
	if st.armed && st.viewers.len() == 0 && (kind == 0 || st.quietDue < due) {
		kind, due = TimerNoViewers, st.quietDue
	}
	if st.forgetAt > 0 && (kind == 0 || st.forgetAt < due) { // only at rest, so alone
		kind, due = TimerForget, st.forgetAt
	}
	return kind, due
}

// feedsChanged recomputes feedDue, the earliest feed timeout, after a feed started,
// ended or showed a sign of life.
func (st *State) feedsChanged() {
	st.feedDue = 0
	for i := range st.feeds {
		if d := st.feeds[i].due; d > 0 && (st.feedDue == 0 || d < st.feedDue) {
			st.feedDue = d
		}
	}
}

// timedOut is the first feed (in start order) whose timeout is due.
func (st *State) timedOut(due int64) int {
	for i := range st.feeds {
		if st.feeds[i].due == due {
			return i
		}
	}
	panic("engine: feed timeout without its feed")
}

// NextDue is the due time of the earliest pending timer, 0 when there is none. A
// store saves it with the state so it can find due streams with an index.
func (st *State) NextDue() int64 { return st.next }

// settle recomputes the cached next due time after a change.
func (st *State) settle() {
	_, st.next = st.earliest()
}

// Timers lists the pending timers in firing order.
func (st *State) Timers() []Timer {
	var ts []Timer
	st.each(func(k TimerKind, d int64, f int) {
		t := Timer{Stream: st.key, Kind: k, Due: d}
		if f >= 0 {
			t.FeedID = st.feeds[f].id
		}
		ts = append(ts, t)
	})
	for i := 1; i < len(ts); i++ { // insertion sort: a handful of timers at most
		for j := i; j > 0 && (ts[j].Due < ts[j-1].Due || ts[j].Due == ts[j-1].Due && ts[j].Kind < ts[j-1].Kind); j-- {
			ts[j], ts[j-1] = ts[j-1], ts[j]
		}
	}
	return ts
}

// maxCatchUp bounds the viewerAttempt repeats one call fires for a stream whose timer
// is very late (the service was down, or a restored state is old): only the last
// maxCatchUp of the missed repeats are sent. Within that (16 minutes at I = 10 s)
// firing late is exact; beyond it, a flood of stale repeats would help nobody.
const maxCatchUp = 100

// fire runs every timer due at or before t, in due order. Each may set the next
// (a V2 repeat), which is fired too if it is also due by t.
func (e *Engine) fire(dst []Event, st *State, t int64) []Event {
	if st.next == 0 || st.next > t {
		return dst
	}
	for {
		kind, due := st.earliest()
		if kind == 0 || due > t {
			st.next = due
			return dst
		}
		switch kind {
		case TimerFeedTimeout:
			dst = e.endFeed(dst, st, st.timedOut(due), due, false)
		case TimerViewerAttempt:
			if missed := (t - due) / e.interval; missed >= maxCatchUp {
				due += (missed - maxCatchUp + 1) * e.interval
			}
			dst = append(dst, st.viewerEvent(webhook.ViewerAttempt, due))
			st.windowEnd = due + e.interval
		case TimerAttemptWindow:
			st.windowEnd = 0
		case TimerNoViewers:
			dst = append(dst, st.viewerEvent(webhook.NoActiveViewers, due))
			st.armed, st.firstDone, st.quietDue = false, false, 0
			if st.windowEnd <= due {
				st.windowEnd = 0
			}
		case TimerForget:
			st.forgetAt = 0
		}
	}
}
