// Package commit is where signals become stored events: it runs the engine inside
// one store transaction per group of requests (group commit), writes each event with
// one delivery row per matching webhook in that same transaction, answers the
// callers only after the commit, and then tells the dispatcher. Timers take the same
// path (timers.go), so a restart neither loses nor repeats one.
package commit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hookcast/hookcast/internal/engine"
	"github.com/hookcast/hookcast/internal/store"
)

// Store is the part of the store the committer commits through: transactions of
// the signal path (store.Tx: streams, idempotency keys, events and their
// deliveries), and the two reads of stream state outside them, the API's view
// of an account's streams and the next timer due. store.Store implements it;
// the methods keep the contracts documented there.
type Store interface {
	InTx(ctx context.Context, fn func(tx store.Tx) error) error
	ListStreams(ctx context.Context, accountID string) ([]store.StreamRow, error)
	NextDue(ctx context.Context) (int64, error)
}

// Options configure a Committer. Zero values take the defaults noted.
type Options struct {
	// Now is the clock (default time.Now). Tests inject their own.
	Now func() time.Time
	// Lease is asked, once per transaction, for the lease new pending
	// deliveries are inserted under: take says of each whether the dispatcher
	// has room for it. Those taken are inserted leased to owner until until and
	// handed over (Handoff) with their event and webhook right after the
	// commit, so the dispatcher sends them without a claim transaction; the
	// others are inserted free, for its poller. With Lease nil every delivery is
	// left to a poller. Neither may block.
	Lease   func(at time.Time) (owner string, until time.Time, take func(w *store.Webhook) bool)
	Handoff func(claimed []store.ClaimedDelivery, leasedAt time.Time)
	// Committers is how many transactions may run at once (default 1: SQLite has
	// one writer; PostgreSQL profits from a few, for groups of ParallelGroup
	// signals or more).
	Committers int
	// MaxGroup caps how many signals one transaction takes (default 4096).
	MaxGroup int
	// ParallelGroup is how many signals a group must hold before it is
	// committed beside groups already being committed (default 4; with one
	// committer there are none). Smaller, it waits until they end.
	ParallelGroup int
	// TimerBatch is how many due streams one timer transaction fires (default 256).
	TimerBatch int
	// TimerPoll is the longest the timer loop sleeps before looking for due timers
	// again; it also picks up timers saved by other replicas (default 1s).
	TimerPoll time.Duration
	Logger    *slog.Logger
	// Observe, when set, is told of every committed group (for metrics).
	Observe func(signals, events, deliveries int, took time.Duration)
	// KeepUnwanted stores events that no webhook wants. Off, such an event
	// still changes stream state (that is committed) but is not written: it
	// would only take space until retention removed it.
	KeepUnwanted bool
	// GroupInterval is the least time between the starts of two group commits
	// while requests come concurrently (default 1ms; negative: none): while
	// recent groups held more than one request, a request that comes sooner
	// waits, and the requests that come meanwhile join its group. A lone
	// client sending one request after another never waits. The
	// recorder of attempts does the same (delivery.recordInterval).
	GroupInterval time.Duration
	// IdempotencyWindow is how long a request's Idempotency-Key and a signal's
	// id (or a media or transcoder signal's content) are remembered: a repeat
	// within it changes nothing (0: nothing is remembered).
	IdempotencyWindow time.Duration
}

// defaultGroupInterval is Options.GroupInterval's default.
//
// Why wait at all: with one signal per request and 16 requests in flight, a
// commit used to take whatever had queued since the last one, 2.2 requests
// on average (hookbench -mode single), and every commit pays SQLite's WAL page
// writes and the group's fixed statements, half of hookcast's CPU. With 1 ms
// between commit starts the groups held ~6 requests and hookcast's CPU per
// delivery fell by a fifth (2 ms: ~8 requests, no further gain). A request
// that comes after a quiet millisecond, as every one does at 100 signals/s,
// is committed at once, and so is every request of a lone client (groups of
// one): a client that waits for each answer before it sends the next would
// otherwise wait a
// millisecond a request (BenchmarkAudience's join and leave went from 0.2 to
// 2.6 ms) for a group that could never grow.
const defaultGroupInterval = time.Millisecond

// defaultParallelGroup is Options.ParallelGroup's default. With one signal per
// request and 16 requests in flight (hookbench -mode single on PostgreSQL,
// four committers), groups grew from 1.1 to 3.0 signals with 3 replicas and
// from 3.0 to 4.7 with one, and both delivered more (docs/PERFORMANCE.md,
// "Three replicas on one database"); 16 (each replica committing about one
// group at a time) grew neither further. Requests of many signals (batches)
// reach it alone and are committed at once, as before.
const defaultParallelGroup = 4

// Committer applies signals and timers. Submit may be called from any goroutine;
// Run must be running for it to make progress.
type Committer struct {
	st   Store
	eng  *engine.Engine
	opts Options
	reqs chan *request
	bulk chan *request // a test event's chunks: committed alone, when reqs has none waiting
	wake chan struct{}
	// lookAt is when the timer loop looks for due timers next (epoch ms), 0 while
	// it is looking. A commit wakes it only for a timer due before then: most due
	// times a commit writes are far off (a stream's forget time, a feed timeout),
	// and waking the loop for each cost a timer transaction and a NextDue read per
	// commit, 6 % of the CPU with one signal per request (hookbench -mode single).
	lookAt atomic.Int64
	match  matcher
	runMu  sync.Mutex
	// lead is held by the commit goroutine gathering the next group; last
	// (when the previous group started) and sizes (a running mean of the
	// requests a group held, halved toward each new group's: above 1.25
	// requests come concurrently and a group may wait for more; a lone
	// client's sizes are all 1 and it never waits) are its state.
	lead  sync.Mutex
	last  time.Time
	sizes float64
	// running counts the groups being committed; ended is sent to (without
	// blocking) when one ends, for the leader waiting on them (gather).
	running atomic.Int32
	ended   chan struct{}
	// inflight orders timers after the signals received before them (inflight.go).
	inflight inflight
}

// ErrStopped is returned to callers whose request was not committed because the
// committer is shutting down.
var ErrStopped = errors.New("committer stopped")

type request struct {
	ctx    context.Context
	sigs   []engine.Signal
	events []store.Event // prepared events without engine state (thumbnails, tests)
	// everyWebhook sends events to every webhook with the type enabled, whatever its
	// filter: a test event is for checking the endpoint, not the filter.
	everyWebhook bool
	receipt      time.Time
	// key is the request's Idempotency-Key ("" for none); outcome is set
	// before done is sent.
	key     string
	outcome Outcome
	done    chan error
	slot    int // index + 1 in Committer.inflight's heap (0: not there)
	// chunk, when set, makes this request one chunk of a test event's fan-out
	// (SubmitTest): it goes through the bulk lane.
	chunk *testChunk
	// turn, when set, makes this request a turn of other work on the writer
	// (WhenIdle), in the bulk lane too; taken is set by whichever of the
	// commit loop and the waiting caller claims it first.
	turn  func()
	taken atomic.Bool
}

// testChunk is what one transaction writes of a test event's deliveries: those
// to the webhooks after `after` (by id), at most maxTestChunk of them. The
// writer says where it stopped and whether webhooks are left.
type testChunk struct {
	after  int64
	stored bool // the event row was written by an earlier chunk
	// Set by the transaction (again on each run of it).
	last  int64
	more  bool
	wrote bool // the event row is written by this chunk
}

// maxTestChunk is how many deliveries of a test event one transaction writes.
// A test event goes to every webhook of an account with the type, hundreds
// with a raised --max-webhooks-per-account: written in one transaction, on
// SQLite's one writer, that took 12 ms (50–220 ms on a loaded machine) during
// which every other account's signals waited (hookbench -mode noisy). A chunk
// this size costs about what a small group does.
const maxTestChunk = 32

// New returns a committer over st and eng.
func New(st Store, eng *engine.Engine, opts Options) *Committer {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Committers <= 0 {
		opts.Committers = 1
	}
	if opts.MaxGroup <= 0 {
		opts.MaxGroup = 4096
	}
	if opts.ParallelGroup <= 0 {
		opts.ParallelGroup = defaultParallelGroup
	}
	if opts.TimerBatch <= 0 {
		opts.TimerBatch = 256
	}
	if opts.TimerPoll <= 0 {
		opts.TimerPoll = time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.GroupInterval == 0 {
		opts.GroupInterval = defaultGroupInterval
	}
	return &Committer{
		st:    st,
		eng:   eng,
		opts:  opts,
		reqs:  make(chan *request, 1024),
		bulk:  make(chan *request, 64),
		wake:  make(chan struct{}, 1),
		ended: make(chan struct{}, 1),
	}
}

// Submit applies sigs (already validated) as one all-or-nothing unit and returns
// once they are committed, with how many events they produced (0 is common: a
// heartbeat, a second feed.started of a live stream), or with the reason they
// were not committed.
func (p *Committer) Submit(ctx context.Context, sigs []engine.Signal) (events int, err error) {
	out, err := p.SubmitKeyed(ctx, sigs, "")
	return out.Events, err
}

// SubmitKeyed is Submit for a request that carries an Idempotency-Key (key; ""
// for none): within the window, the same key again applies nothing and gets
// the first request's Outcome, marked Replayed.
func (p *Committer) SubmitKeyed(ctx context.Context, sigs []engine.Signal, key string) (Outcome, error) {
	r := &request{sigs: sigs, key: key}
	if err := p.submit(ctx, r); err != nil {
		// Not read: the commit may still be writing it (the caller gave up).
		return Outcome{}, err
	}
	return r.outcome, nil
}

// SubmitEvents stores prepared events (not produced by the engine: thumbnails, test
// events) with their deliveries, like Submit. IDs and CreatedAt are filled in when empty.
func (p *Committer) SubmitEvents(ctx context.Context, evs []store.Event) error {
	return p.submit(ctx, &request{events: evs})
}

// SubmitTest stores test events for every webhook of the account that has their
// type enabled, ignoring filters (POST /api/webhooks/test/{type}). Each event's
// deliveries are written maxTestChunk at a time, a transaction each, committed
// only when no signal waits: an account with many webhooks testing them does
// not hold the writer that everyone's signals need. A test cut short (the
// process stopping) has reached the webhooks of the chunks written.
func (p *Committer) SubmitTest(ctx context.Context, evs []store.Event) error {
	for _, ev := range evs {
		now := p.opts.Now()
		if ev.ID == "" {
			ev.ID = NewEventID(now)
		}
		if ev.CreatedAt.IsZero() {
			ev.CreatedAt = now
		}
		c := &testChunk{}
		for {
			r := &request{events: []store.Event{ev}, everyWebhook: true, chunk: c}
			if err := p.submit(ctx, r); err != nil {
				return err
			}
			if !c.more {
				break
			}
			c = &testChunk{after: c.last, stored: c.stored || c.wrote}
		}
	}
	return nil
}

// WhenIdle runs fn on a commit goroutine once no signal waits to be committed,
// as a test event's chunks are (bulk lane), or itself once maxWait has passed
// without such a moment, so a service that never idles still gets it done.
// The pruner's transactions go through here: a signal then waits for at most
// the one already running, not for the pruner's turn at the writer besides.
func (p *Committer) WhenIdle(ctx context.Context, maxWait time.Duration, fn func()) error {
	r := &request{turn: fn, done: make(chan error, 1)}
	t := time.NewTimer(maxWait)
	defer t.Stop()
	select {
	case p.bulk <- r:
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		fn()
		return nil
	}
	select {
	case err := <-r.done:
		return err
	case <-ctx.Done():
		if r.taken.CompareAndSwap(false, true) {
			return ctx.Err()
		}
		return <-r.done // running: fn may use ctx, but it is the caller's work
	case <-t.C:
		if r.taken.CompareAndSwap(false, true) {
			fn()
			return nil
		}
		return <-r.done
	}
}

// takeTurn runs a WhenIdle request unless its caller has given up on it.
func takeTurn(r *request) {
	if r.taken.CompareAndSwap(false, true) {
		r.turn()
		r.done <- nil
	}
}

func (p *Committer) submit(ctx context.Context, r *request) error {
	r.ctx = ctx
	r.done = make(chan error, 1)
	p.inflight.receive(r, p.opts.Now)
	lane := p.reqs
	if r.chunk != nil {
		lane = p.bulk
	}
	select {
	case lane <- r:
	case <-ctx.Done():
		p.finish(r, ctx.Err()) // never queued: nobody else answers it
		return ctx.Err()
	}
	select {
	case err := <-r.done:
		return err
	case <-ctx.Done():
		// The group may still commit; the caller is gone either way. Like a
		// dropped connection after a commit, the media server may resend.
		return ctx.Err()
	}
}

// Run commits submitted requests and fires timers until ctx is done. Requests
// already taken are finished before it returns; later ones get ErrStopped.
func (p *Committer) Run(ctx context.Context) error {
	p.runMu.Lock()
	defer p.runMu.Unlock()
	var wg sync.WaitGroup
	for range p.opts.Committers {
		wg.Go(func() { p.commitLoop(ctx) })
	}
	wg.Go(func() { p.timerLoop(ctx) })
	wg.Wait()
	for {
		select {
		case r := <-p.reqs:
			p.finish(r, ErrStopped)
		case r := <-p.bulk:
			if r.turn != nil {
				if r.taken.CompareAndSwap(false, true) {
					r.done <- ErrStopped
				}
				continue
			}
			p.finish(r, ErrStopped)
		default:
			return nil
		}
	}
}

// commitLoop commits groups of waiting requests. The bulk lane (a test
// event's chunks, the pruner's turns) is served only when no request waits in
// the other, one chunk or turn a transaction: a signal waits for at most one,
// never for a whole test or prune pass. One commit goroutine at a time gathers
// the next group (it holds lead), so with several committers a request that
// comes while the others commit is not taken alone by whichever is free; the
// gathering is gather's.
func (p *Committer) commitLoop(ctx context.Context) {
	wait := time.NewTimer(time.Hour)
	wait.Stop()
	for {
		p.lead.Lock()
		group := p.gather(ctx, wait)
		commit := group != nil && group[0].turn == nil
		if commit {
			p.running.Add(1) // before the next leader looks
		}
		p.lead.Unlock()
		switch {
		case group == nil:
			return
		case !commit:
			takeTurn(group[0])
		default:
			p.commitGroup(group)
			p.running.Add(-1)
			select { // the leader may be waiting for a commit to end
			case p.ended <- struct{}{}:
			default:
			}
		}
	}
}

// gather takes the next group, a test chunk or a turn (alone), or nil once ctx
// is done. A group takes what is queued and, when recent groups held more than
// one request and the previous one started less than GroupInterval ago, what
// comes until then. While other groups are being committed (several
// committers: PostgreSQL) it also waits, for as long as they run, until
// ParallelGroup signals are in it: another transaction beside them is worth
// its fixed costs (statements, round trips, a WAL flush, whatever it holds)
// only for a group of some size. Without this, with one signal per request,
// four committers each took the one request that had come (3 replicas on one
// database: 1.1 signals a group, 2.8× the transactions of one replica).
// Callers hold lead.
func (p *Committer) gather(ctx context.Context, wait *time.Timer) []*request {
	var first *request
	select {
	case <-ctx.Done():
		return nil
	case first = <-p.reqs:
	default:
		select {
		case <-ctx.Done():
			return nil
		case first = <-p.reqs:
		case first = <-p.bulk:
		}
	}
	if first.turn != nil || first.chunk != nil {
		return []*request{first}
	}
	group := []*request{first}
	n := len(first.sigs) + len(first.events)
	var until <-chan time.Time // nil: no interval to wait for
	if since := time.Since(p.last); p.sizes > 1.25 && since < p.opts.GroupInterval {
		wait.Reset(p.opts.GroupInterval - since)
		until = wait.C
	}
drain:
	for n < p.opts.MaxGroup {
		select {
		case r := <-p.reqs:
			group = append(group, r)
			n += len(r.sigs) + len(r.events)
			continue
		default:
		}
		var ended chan struct{} // nil: not waiting for other commits
		if n < p.opts.ParallelGroup && p.running.Load() > 0 {
			ended = p.ended
		}
		if until == nil && ended == nil {
			break
		}
		select {
		case r := <-p.reqs:
			group = append(group, r)
			n += len(r.sigs) + len(r.events)
		case <-until:
			until = nil
		case <-ended: // one ended: look again at what runs
		case <-ctx.Done():
			break drain
		}
	}
	wait.Stop() // Go 1.23 timers: no stale tick is left in wait.C
	p.last, p.sizes = time.Now(), (p.sizes+float64(len(group)))/2
	return group
}

// commitGroup runs one transaction for the group. Requests whose callers have gone
// are still applied: the caller cannot tell whether they were, and dropping them
// here would make a retry from the media server the only copy.
func (p *Committer) commitGroup(group []*request) {
	start := time.Now()
	var res result
	// A background context: a request's cancellation must not abort a transaction
	// that carries other requests too.
	err := p.st.InTx(context.Background(), func(tx store.Tx) error {
		res = result{}
		return p.applyGroup(context.Background(), tx, group, &res)
	})
	if err != nil {
		err = fmt.Errorf("commit signals: %w", err)
	}
	for _, r := range group {
		if err == nil {
			r.outcome = res.outcomes[r]
		}
		p.finish(r, err)
	}
	if err != nil {
		p.opts.Logger.Error("commit failed", "requests", len(group), "err", err)
		return
	}
	p.after(res, time.Since(start))
}

// finish answers r with err once it is committed or refused, and wakes the timer
// loop for the timers r held back (inflight.go). It runs once per request: done
// has room for the one answer.
func (p *Committer) finish(r *request, err error) {
	if p.inflight.finish(r) {
		select {
		case p.wake <- struct{}{}:
		default:
		}
	}
	r.done <- err
}

// after tells the dispatcher, wakes the timer loop and reports metrics.
func (p *Committer) after(res result, took time.Duration) {
	if len(res.handoff) > 0 && p.opts.Handoff != nil {
		p.opts.Handoff(res.handoff, res.leasedAt)
	}
	if due := res.earliestDue; due > 0 {
		if look := p.lookAt.Load(); look == 0 || due < look {
			select {
			case p.wake <- struct{}{}:
			default:
			}
		}
	}
	if p.opts.Observe != nil {
		p.opts.Observe(res.signals, res.events, res.deliveries, took)
	}
}
