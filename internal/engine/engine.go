// Package engine is the state machine of hookcast: signals from media servers go
// in, Millicast webhook events come out (events.md §3), with exact timing.
//
// It does no I/O, starts no goroutines and never reads the clock: time is epoch
// milliseconds passed in by the caller, and timers are plain data inside a stream's
// State, so a store can persist the state with its next due time and a restart
// neither loses nor repeats a timer.
//
// Time only moves forward per stream: a signal whose time is earlier than the last
// time its stream saw (a media server's clock may lag, a signal may wait in a queue
// while a timer fires) is applied at that last time. A stream that comes to rest
// keeps that clock for Config.ForgetAfter before its state is dropped (State.Idle).
package engine

import (
	"errors"
	"fmt"
	"time"
)

// Config holds the durations of events.md §3.2. Whole milliseconds count; a
// positive duration under 1 ms counts as 1 ms.
type Config struct {
	// ViewerAttemptInterval is I: at most one viewerAttempt per stream per I, and the
	// period of the repeats while viewers wait. Default 10s; 0 means the default.
	ViewerAttemptInterval time.Duration
	// NoViewersDelay is D: noActiveViewers comes D after the last viewer left or the
	// last attempt. Default 60s; 0 means the default.
	NoViewersDelay time.Duration
	// FeedTimeout ends a feed that shows no sign of life (feed.started, feed.heartbeat)
	// for this long. Default 0: off.
	FeedTimeout time.Duration
	// ForgetAfter is how long a stream that came to rest (no feed, viewer,
	// interest or attempt window left) keeps its clock before its state is
	// dropped. A signal received before that moment but applied after it (it
	// waited in a queue, or another replica fired the timer that put the stream to
	// rest) is then moved forward to the stream's last time, as any late signal,
	// instead of being applied to a fresh state with its older time: its events
	// are never stamped before those already sent. It must outlast the longest a
	// signal waits between its receipt and its commit. Default 60s; 0 means the
	// default.
	ForgetAfter time.Duration
	// InlineViewers is how many connected viewers a stream's encoded state holds
	// by id; past it the ids are kept apart, one row each in the store
	// (ViewerChanges), and the state keeps their count, until none is left. Small
	// audiences, most streams, then cost no row reads or writes; large ones cost
	// the same per join or leave whatever their size. Default 32; 0 means the
	// default, a negative value keeps none inline.
	InlineViewers int
}

// DefaultConfig is I = 10 s, D = 60 s, no feed timeout, a clock kept 60 s, and 32
// viewers held inline.
func DefaultConfig() Config {
	return Config{ViewerAttemptInterval: 10 * time.Second, NoViewersDelay: 60 * time.Second, ForgetAfter: 60 * time.Second,
		InlineViewers: 32}
}

// Validate refuses negative durations, so a typo in a flag is an error, not a default.
func (c Config) Validate() error {
	var errs []error
	for _, d := range [...]struct {
		name string
		v    time.Duration
	}{{"viewer attempt interval", c.ViewerAttemptInterval}, {"no-viewers delay", c.NoViewersDelay}, {"feed timeout", c.FeedTimeout}, {"forget after", c.ForgetAfter}} {
		if d.v < 0 {
			errs = append(errs, fmt.Errorf("%s must not be negative, got %s", d.name, d.v))
		}
	}
	return errors.Join(errs...)
}

// Engine applies the rules with one configuration. It holds no stream state and is
// safe for concurrent use; a State is not (one caller per stream at a time).
type Engine struct {
	interval, delay, feedTimeout, forget int64 // ms; feedTimeout 0 = off
	inlineViewers                        int
	cfg                                  Config
}

// New returns an engine for cfg. Zero (or negative) I, D and ForgetAfter take their defaults; a
// negative feed timeout is off. Check cfg.Validate first to refuse bad settings.
func New(cfg Config) *Engine {
	def := DefaultConfig()
	if cfg.ViewerAttemptInterval <= 0 {
		cfg.ViewerAttemptInterval = def.ViewerAttemptInterval
	}
	if cfg.NoViewersDelay <= 0 {
		cfg.NoViewersDelay = def.NoViewersDelay
	}
	if cfg.FeedTimeout < 0 {
		cfg.FeedTimeout = 0
	}
	if cfg.ForgetAfter <= 0 {
		cfg.ForgetAfter = def.ForgetAfter
	}
	if cfg.InlineViewers == 0 {
		cfg.InlineViewers = def.InlineViewers
	}
	return &Engine{
		interval:      millis(cfg.ViewerAttemptInterval),
		delay:         millis(cfg.NoViewersDelay),
		feedTimeout:   millis(cfg.FeedTimeout),
		forget:        millis(cfg.ForgetAfter),
		inlineViewers: max(cfg.InlineViewers, 0),
		cfg:           cfg,
	}
}

// Config is the configuration in effect, defaults filled in.
func (e *Engine) Config() Config { return e.cfg }

func millis(d time.Duration) int64 { return int64((d + time.Millisecond - 1) / time.Millisecond) }

// Apply fires every timer of st due at or before now (in due order, each event
// stamped with its due time), then applies sig at now. now is when the signal
// happened (its `at`, else when it was received), in epoch ms. For media.updated and
// transcoder.updated st may be nil and is not touched. For the other kinds st must
// be the state of sig.Stream() (a zero State or NewState binds to the first stream
// it sees). sig should have passed Validate; an unknown kind yields nothing.
func (e *Engine) Apply(st *State, sig Signal, now int64) []Event {
	return e.AppendApply(nil, st, &sig, now)
}

// AppendApply is Apply appending to dst, so a caller can reuse one slice and the
// common paths allocate nothing.
func (e *Engine) AppendApply(dst []Event, st *State, sig *Signal, now int64) []Event {
	if !sig.Stateful() {
		return e.appendStateless(dst, sig, now)
	}
	if st == nil {
		panic("engine: Apply of a " + string(sig.Kind) + " signal needs its stream's state")
	}
	st.bind(sig.AccountID, sig.Name)
	t := st.clock(now)
	resting := st.atRest()
	dst = e.fire(dst, st, t)
	switch sig.Kind {
	case FeedStarted:
		dst = e.feedStarted(dst, st, sig, t)
	case FeedHeartbeat:
		if i := st.feedIndex(sig.FeedID); i >= 0 {
			st.feeds[i].due = e.feedDue(t)
			st.feedsChanged()
		}
	case FeedEnded:
		if i := st.feedIndex(sig.FeedID); i >= 0 {
			dst = e.endFeed(dst, st, i, t, sig.ViewersClosed)
		}
	case ViewerConnected:
		dst = e.viewerConnected(dst, st, sig.ViewerID, t)
	case ViewerDisconnected:
		dst = e.viewerDisconnected(dst, st, sig.ViewerID, t)
	case ViewerAttempted:
		if !st.live() { // a refused request while live is not an attempt
			dst = e.attempt(dst, st, t)
		}
	}
	e.settle(st, resting)
	return dst
}

// Fire fires every timer of st due at or before now, in due order. Each event is
// stamped with its timer's due time, not with now, so a late scheduler (or one
// catching up after a restart) still reports when things happened. One exception
// bounds the work: of viewerAttempt repeats late by more than 100 intervals, only the
// last 100 are sent.
func (e *Engine) Fire(st *State, now int64) []Event { return e.AppendFire(nil, st, now) }

// AppendFire is Fire appending to dst.
func (e *Engine) AppendFire(dst []Event, st *State, now int64) []Event {
	if st == nil {
		return dst
	}
	t := st.clock(now)
	if st.next == 0 || st.next > t {
		return dst
	}
	resting := st.atRest()
	dst = e.fire(dst, st, t)
	e.settle(st, resting)
	return dst
}

// settle ends a change of st (resting: it was at rest before). A state that came
// to rest keeps its clock until ForgetAfter past its last time (TimerForget); one
// that is no longer at rest forgets that timer. A state that was at rest and still
// is keeps what it had: a signal that changed nothing (a disconnect of an unknown
// viewer, say) does not make a stream remembered, nor longer.
func (e *Engine) settle(st *State, resting bool) {
	switch {
	case !st.atRest():
		st.forgetAt = 0
	case !resting:
		st.forgetAt = st.lastNow + e.forget
	}
	st.settle()
}
