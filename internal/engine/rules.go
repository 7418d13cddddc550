package engine

import "github.com/hookcast/hookcast/webhook"

// The rules of events.md §3.1 and §3.2 as transitions of a State at time t. The
// timers they imply are read from the state by earliest (timers.go).

// feedDue is when a feed that showed a sign of life at t times out (0: never).
func (e *Engine) feedDue(t int64) int64 {
	if e.feedTimeout == 0 {
		return 0
	}
	return t + e.feedTimeout
}

// feedStarted adds a feed (§3.1). A second feed.started for an active feed sends
// nothing (V6) but counts as a sign of life for the feed timeout. The first feed
// makes the stream live: the attempt window is cleared (V3), a new live session
// begins, and viewers already waiting make it their first viewer connection (V4),
// after the feeds started.
func (e *Engine) feedStarted(dst []Event, st *State, sig *Signal, t int64) []Event {
	if i := st.feedIndex(sig.FeedID); i >= 0 {
		st.feeds[i].due = e.feedDue(t)
		st.feedsChanged()
		return dst
	}
	wasLive := st.live()
	st.feeds = append(st.feeds, feed{
		id: sig.FeedID, started: t, due: e.feedDue(t), priority: copyFloat(sig.Priority),
		sourceID: sig.SourceID, simulcastID: sig.SimulcastID,
	})
	st.feedsChanged()
	dst = append(dst, st.feedEvent(&st.feeds[len(st.feeds)-1], t, true))
	if !wasLive {
		st.windowEnd = 0
		st.firstDone = false
		if st.viewers.len() > 0 {
			dst = append(dst, st.viewerEvent(webhook.FirstViewerConnection, t))
			st.firstDone = true
		}
	}
	return dst
}

// endFeed ends feed i at t, by its publisher or by timeout. When it was the last
// feed, connected viewers are now waiting: that is an attempt (V1 at once, then V2).
// Unless the media server closed them with the feed (viewersClosed, see
// Signal.ViewersClosed): then they all leave at t, as if each had disconnected
// (V5), and nobody is waiting.
func (e *Engine) endFeed(dst []Event, st *State, i int, t int64, viewersClosed bool) []Event {
	f := st.feeds[i]
	copy(st.feeds[i:], st.feeds[i+1:])
	st.feeds[len(st.feeds)-1] = feed{}
	st.feeds = st.feeds[:len(st.feeds)-1]
	if len(st.feeds) == 0 {
		st.feeds = nil // a stream that stops being live keeps no spare capacity
	}
	st.feedsChanged()
	dst = append(dst, st.feedEvent(&f, t, false))
	if !st.live() && st.viewers.len() > 0 {
		if viewersClosed {
			st.viewers.clear()
			st.quietDue = t + e.delay
			return dst
		}
		dst = e.attempt(dst, st, t)
	}
	return dst
}

func (st *State) feedEvent(f *feed, t int64, started bool) Event {
	d := webhook.FeedData{
		FeedID: f.id, AccountID: st.key.AccountID, Name: st.key.Name, StreamID: st.sid(),
		Started: f.started, Active: started, Priority: copyFloat(f.priority),
		SourceID: f.sourceID, SimulcastID: f.simulcastID,
	}
	name := webhook.FeedStarted
	if !started {
		d.Ended = t
		name = webhook.FeedEnded
	}
	return Event{Type: webhook.TypeFeeds, Event: name, Timestamp: t, AccountID: st.key.AccountID, Name: st.key.Name, Data: d}
}

// viewerConnected opens a viewer session. On a live stream it may be the session's
// first viewer (V4); on a stream that is not live it is an attempt (V1). Either way
// the stream is armed and no noActiveViewers can run out while the viewer stays (V5).
// A viewer already connected changes nothing (V6).
func (e *Engine) viewerConnected(dst []Event, st *State, id string, t int64) []Event {
	if !st.viewers.add(id) {
		return dst
	}
	if st.viewers.len() > e.inlineViewers {
		st.viewers.apart = true
	}
	st.armed = true
	if !st.live() {
		return e.attempt(dst, st, t)
	}
	if !st.firstDone {
		st.firstDone = true
		dst = append(dst, st.viewerEvent(webhook.FirstViewerConnection, t))
	}
	return dst
}

// viewerDisconnected closes a session; when it was the last one, noActiveViewers is
// due D later (V5). An unknown viewer changes nothing (V6).
func (e *Engine) viewerDisconnected(dst []Event, st *State, id string, t int64) []Event {
	if !st.viewers.remove(id) {
		return dst
	}
	if st.viewers.len() == 0 {
		st.quietDue = t + e.delay
	}
	return dst
}

// attempt is a viewer asking for the stream while it is not live. It arms the stream
// and, with no viewer connected, restarts the noActiveViewers delay (V5). It sends
// viewerAttempt unless one was sent less than I ago (V1).
func (e *Engine) attempt(dst []Event, st *State, t int64) []Event {
	st.armed = true
	if st.viewers.len() == 0 {
		st.quietDue = t + e.delay
	}
	if st.windowEnd == 0 || t >= st.windowEnd {
		st.windowEnd = t + e.interval
		dst = append(dst, st.viewerEvent(webhook.ViewerAttempt, t))
	}
	return dst
}
