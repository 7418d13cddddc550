package engine

import "github.com/hookcast/hookcast/webhook"

// State is everything the engine remembers about one stream: its feeds, its
// connected viewers, where it stands in the rules of events.md §3.2, and its pending
// timers as due times. The zero value is an empty state that binds to the first
// stream applied to it; NewState binds it at once.
//
// A State is what a store persists between signals (MarshalBinary) and what the
// timer scheduler wakes at NextDue. When Idle, it holds nothing worth keeping and the
// holder drops it: a stream nobody watches or publishes costs nothing once it has
// been at rest for Config.ForgetAfter (until then it keeps its clock). Do not copy a
// State that is in use (a large audience lives in a map both copies would share);
// MarshalBinary and UnmarshalBinary make an independent one.
type State struct {
	// Fields in the order a signal touches them, so the common one (a viewer joining
	// or leaving) reads as few cache lines as possible.
	key     StreamKey
	next    int64 // derived: the earliest due time (0: none), recomputed after every change
	lastNow int64 // the latest time this stream saw; time never runs backwards here

	// windowEnd ends the viewerAttempt window (V1): an attempt at t >= windowEnd (or
	// with windowEnd 0, none since the stream was last live) emits. It is also when
	// the next repeat is due while viewers wait (V2).
	windowEnd int64
	// quietDue is when noActiveViewers is due (V5); meaningful while armed with no
	// connected viewer.
	quietDue int64
	feedDue  int64 // derived: the earliest feed timeout (0: none), see feedsChanged
	// forgetAt, while the stream is at rest, is when its clock (lastNow) may be
	// forgotten and the state dropped (TimerForget); 0 otherwise.
	forgetAt  int64
	armed     bool // viewer interest since the last noActiveViewers (V5)
	firstDone bool // firstViewerConnection sent in this live session (V4)

	viewers viewerSet // connected viewer ids
	feeds   []feed    // active feeds in start order; live = len(feeds) > 0

	// Derived, rebuilt on demand, never persisted.
	streamID   string
	viewerData any // boxed webhook.ViewerConnectionData, shared by every viewer event
}

// feed is one active publisher of the stream.
type feed struct {
	id          string
	started     int64
	due         int64    // feed timeout due; 0 = none
	priority    *float64 // never mutated once set
	sourceID    string
	simulcastID string
}

// NewState returns an empty state for the stream key.
func NewState(key StreamKey) *State { return &State{key: key} }

// Key is the stream this state belongs to (zero until the first signal binds it).
func (st *State) Key() StreamKey { return st.key }

func (st *State) bind(account, name string) {
	if st.key.AccountID == account && st.key.Name == name {
		return
	}
	if st.key != (StreamKey{}) {
		panic("engine: signal for " + account + "/" + name + " applied to the state of " + st.key.String())
	}
	st.key = StreamKey{account, name}
	st.streamID, st.viewerData = "", nil
}

// clock makes time monotonic per stream: now if it is later than anything seen, else
// the last time seen.
func (st *State) clock(now int64) int64 {
	if now < st.lastNow {
		return st.lastNow
	}
	st.lastNow = now
	return now
}

func (st *State) live() bool { return len(st.feeds) > 0 }

func (st *State) feedIndex(id string) int {
	for i := range st.feeds {
		if st.feeds[i].id == id {
			return i
		}
	}
	return -1
}

func (st *State) sid() string {
	if st.streamID == "" {
		st.streamID = st.key.String()
	}
	return st.streamID
}

func (st *State) viewerEvent(name string, ts int64) Event {
	if st.viewerData == nil {
		st.viewerData = webhook.ViewerConnectionData{Name: st.key.Name, AccountID: st.key.AccountID, StreamID: st.sid()}
	}
	return Event{Type: webhook.TypeViewerConnection, Event: name, Timestamp: ts,
		AccountID: st.key.AccountID, Name: st.key.Name, Data: st.viewerData}
}

// Idle reports that the state holds nothing to remember: it is at rest (AtRest) and
// no longer keeps its clock. Dropping an idle state changes no future event.
func (st *State) Idle() bool { return st.forgetAt == 0 && st.atRest() }

// AtRest reports that the rules have nothing left for the stream: no feed, no
// viewer, no viewer interest, no pending timer of events.md (the attempt window
// included). A state at rest is kept only for its clock, for Config.ForgetAfter, so
// that a signal received before it came to rest but applied after is moved forward
// rather than applied at its older time; it is no stream to show anyone.
func (st *State) AtRest() bool { return st.atRest() }

func (st *State) atRest() bool {
	return len(st.feeds) == 0 && st.viewers.len() == 0 && !st.armed && st.windowEnd == 0
}

// Viewers is the number of connected viewers.
func (st *State) Viewers() int { return st.viewers.len() }

// Live reports whether at least one feed is active.
func (st *State) Live() bool { return st.live() }

// StreamView is the state of one stream as the API and dashboard show it.
type StreamView struct {
	AccountID string     `json:"accountId"`
	Name      string     `json:"name"`
	StreamID  string     `json:"streamId"`
	Live      bool       `json:"live"`
	Feeds     []FeedView `json:"feeds"`
	Viewers   int        `json:"viewers"` // connected viewers, waiting or watching
	Armed     bool       `json:"armed"`   // a noActiveViewers will come when interest ends
	NextDue   int64      `json:"nextDue,omitempty"`
}

// FeedView is one active feed of a StreamView.
type FeedView struct {
	FeedID      string   `json:"feedId"`
	Started     int64    `json:"started"`
	Priority    *float64 `json:"priority,omitempty"`
	SourceID    string   `json:"sourceId,omitempty"`
	SimulcastID string   `json:"simulcastId,omitempty"`
}

// Snapshot copies the state into a StreamView (sharing nothing with it).
func (st *State) Snapshot() StreamView {
	v := StreamView{
		AccountID: st.key.AccountID, Name: st.key.Name, StreamID: st.key.String(),
		Live: st.live(), Feeds: make([]FeedView, 0, len(st.feeds)),
		Viewers: st.viewers.len(), Armed: st.armed, NextDue: st.NextDue(),
	}
	for _, f := range st.feeds {
		v.Feeds = append(v.Feeds, FeedView{FeedID: f.id, Started: f.started, Priority: copyFloat(f.priority),
			SourceID: f.sourceID, SimulcastID: f.simulcastID})
	}
	return v
}

func copyFloat(p *float64) *float64 {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}
