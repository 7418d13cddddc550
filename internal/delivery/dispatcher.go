// Package delivery sends webhook deliveries: it takes them in, signs and POSTs
// them, records every attempt, and schedules retries.
//
// Deliveries come in one way, accept: the committer hands over what it inserted
// leased to this dispatcher (Handoff), and the poller hands over what it claims
// from the store (retries, rows nobody had room for, resends, a dead process's
// rows). Work that does not fit goes back one way: to the store, unleased, where
// the poller claims it when there is room. The dispatcher owns leasing: a
// committer asks it (Lease) whether, and under what lease, each new delivery is
// inserted.
//
// Worker time is shared fairly (sched.go): round robin over the accounts with
// work, then over each account's webhooks; an account never holds more than its
// share of the workers while another has work, and a few workers are always
// kept for an account that has none. Each webhook has its own limits: attempts
// in flight (MaxConcurrency), attempts started per second (MaxPerSecond), and a
// pause when it answers 429 or 503 with Retry-After.
//
// Delivery is at least once: a process that dies between a receiver's answer and
// the recording of the attempt sends that delivery again after its lease runs
// out, with the same webhook-id, so receivers can drop the duplicate.
package delivery

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hookcast/hookcast/internal/store"
)

// Outbox is the part of the store the dispatcher works on: the delivery rows it
// claims, gives back and finishes. store.Store implements it; the methods keep
// the contracts documented there. Declaring only these three here says what a
// dispatcher can do to the store (nothing to webhooks, events or streams
// beyond what finishing an attempt records).
type Outbox interface {
	ClaimDeliveries(ctx context.Context, c store.Claim) ([]store.ClaimedDelivery, error)
	ReleaseDeliveries(ctx context.Context, owner string, ids []int64) error
	FinishAttempts(ctx context.Context, rs []store.AttemptResult) []error
}

// Dispatcher delivers what the store's outbox holds. Create it with New, start it
// with Run; committers use Lease and Handoff, and Wake asks it to look in the
// store now (after a resend).
type Dispatcher struct {
	st      Outbox
	opts    Options
	client  *http.Client
	clock   func() time.Time
	targets targetCache

	finishCh  chan finishReq // attempts to record, in groups (recorder.go)
	wake      chan struct{}  // asks the poller to run now
	timerWake chan struct{}  // asks the timer loop to look at the delayed webhooks again
	running   atomic.Bool
	// backlog is set when the store may hold due work this dispatcher left
	// there for want of room; the poller is then asked to look as room appears.
	backlog atomic.Bool

	// sendCtx is cancelled when the shutdown grace period is over.
	sendCtx    context.Context
	cancelSend context.CancelFunc
	workers    sync.WaitGroup

	mu sync.Mutex
	sched
	stopping bool
	// failingSince is when each failing webhook's current run of failures began,
	// kept beyond its endpoint (which goes when idle) for auto-disable.
	failingSince map[int64]time.Time
	held         map[int64]*item // delivery id -> its latest claim
	seq          uint64          // dispatch sequence number of the last item queued

	dropped atomic.Int64 // deliveries given back to the store (no room, or lease too short)

	failures failureLog // failed attempts at warn, once per webhook per minute
}

// New returns a Dispatcher working on the outbox st.
func New(st Outbox, opts Options) *Dispatcher {
	opts.setDefaults()
	// Each attempt carries its deadline (AttemptTimeout) in its context; the
	// client's own Timeout would set up a second timer per request for it.
	client := *opts.Client
	client.Timeout = 0
	ctx, cancel := context.WithCancel(context.Background())
	return &Dispatcher{
		st:           st,
		opts:         opts,
		client:       &client,
		clock:        opts.Clock,
		finishCh:     make(chan finishReq, 1024),
		wake:         make(chan struct{}, 1),
		timerWake:    make(chan struct{}, 1),
		sendCtx:      ctx,
		cancelSend:   cancel,
		sched:        newSched(),
		failingSince: make(map[int64]time.Time),
		held:         make(map[int64]*item),
	}
}

// Lease is what a committer asks, once per transaction, before it inserts new
// deliveries: the owner and end of the lease (from at) they are inserted under,
// and take, which says of each new delivery whether this dispatcher has room for
// it. A delivery taken is inserted leased and handed over (Handoff) after the
// commit, with no claim; one refused is inserted free, and the poller claims it
// when there is room. take is for one transaction: not safe for concurrent use.
func (d *Dispatcher) Lease(at time.Time) (owner string, until time.Time, take func(w *store.Webhook) bool) {
	g := &grant{d: d, eps: make(map[int64]int), accts: make(map[string]int), total: -1}
	return d.opts.Owner, at.Add(d.opts.Lease), g.take
}

// grant counts, within one transaction, the room Lease's take hands out.
type grant struct {
	d     *Dispatcher
	eps   map[int64]int
	accts map[string]int
	total int // -1 until first asked
}

func (g *grant) take(w *store.Webhook) bool {
	ep, ok := g.eps[w.ID]
	acct, aok := g.accts[w.AccountID]
	if !ok || !aok || g.total < 0 {
		g.d.mu.Lock()
		if !ok {
			ep = g.d.endpointRoom(w, g.d.clock())
		}
		if !aok {
			acct = g.d.accountRoom(w.AccountID)
		}
		if g.total < 0 {
			g.total = g.d.opts.MaxQueued - g.d.queued
		}
		if g.d.stopping {
			g.total = 0
		}
		g.d.mu.Unlock()
	}
	if ep <= 0 || acct <= 0 || g.total <= 0 {
		g.eps[w.ID], g.accts[w.AccountID] = ep, acct
		g.d.backlog.Store(true)
		return false
	}
	g.eps[w.ID], g.accts[w.AccountID] = ep-1, acct-1
	g.total--
	return true
}

// Handoff takes deliveries that were committed leased to this dispatcher (under
// a Lease asked at `at`), with their event and webhook, so they are sent with no
// claim transaction at all: the shortest path from a signal to its webhook. It
// never blocks on the store: what finds no room after all is given back.
func (d *Dispatcher) Handoff(claimed []store.ClaimedDelivery, at time.Time) {
	d.accept(claimed, at)
}

// Wake asks the poller to look for due deliveries now rather than at its next
// tick: an API resend has just made some due.
func (d *Dispatcher) Wake() { d.pokePoller() }

func (d *Dispatcher) pokePoller() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

func (d *Dispatcher) pokeTimer() {
	select {
	case d.timerWake <- struct{}{}:
	default:
	}
}

// Stats is a snapshot for metrics.
type Stats struct {
	Queued    int   // deliveries waiting in memory for their attempt
	InFlight  int   // attempts under way
	Endpoints int   // webhooks with deliveries queued or in flight (or paused, or disabled here lately)
	Accounts  int   // accounts with deliveries queued or in flight
	Dropped   int64 // deliveries given back to the store since start (no room, or lease too short)
}

// Stats returns a snapshot of the dispatcher's queues.
func (d *Dispatcher) Stats() Stats {
	d.mu.Lock()
	defer d.mu.Unlock()
	return Stats{Queued: d.queued, InFlight: d.inflight, Endpoints: len(d.endpoints), Accounts: d.busy,
		Dropped: d.dropped.Load()}
}

// Run delivers until ctx is done. Then it stops claiming, drops what is queued
// (those leases run out and the rows are claimed again, here after a restart or
// by another replica), and waits for attempts in flight, at most ShutdownGrace,
// before cutting them off unrecorded. It returns nil after a clean stop.
func (d *Dispatcher) Run(ctx context.Context) error {
	if !d.running.CompareAndSwap(false, true) {
		return errors.New("delivery: Run called twice")
	}
	recorded := make(chan struct{})
	go func() { d.recordLoop(); close(recorded) }()
	defer func() { close(d.finishCh); <-recorded }() // after every worker is done
	var loops sync.WaitGroup
	loops.Go(func() { d.pollLoop(ctx) })
	loops.Go(func() { d.timerLoop(ctx) })
	<-ctx.Done()
	loops.Wait()

	d.mu.Lock()
	d.stopping = true
	d.dropQueued()
	d.mu.Unlock()

	done := make(chan struct{})
	go func() { d.workers.Wait(); close(done) }()
	grace := time.NewTimer(d.opts.ShutdownGrace)
	defer grace.Stop()
	select {
	case <-done:
	case <-grace.C:
		d.opts.Logger.Warn("delivery: shutdown grace period over, cutting off attempts in flight")
		d.cancelSend()
		<-done
	}
	d.cancelSend()
	return nil
}

// pollLoop claims due deliveries every PollInterval, or sooner when poked, and
// forgets idle webhooks.
func (d *Dispatcher) pollLoop(ctx context.Context) {
	t := time.NewTicker(d.opts.PollInterval)
	defer t.Stop()
	for {
		d.poll(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			d.mu.Lock()
			d.sweep(d.clock())
			d.mu.Unlock()
		case <-d.wake:
		}
	}
}

// poll claims batches while they come back full, leaving out the webhooks and
// accounts that have no room (their rows would crowd out everyone else's).
func (d *Dispatcher) poll(ctx context.Context) {
	for ctx.Err() == nil {
		now := d.clock()
		d.mu.Lock()
		n := min(d.opts.MaxQueued-d.queued, d.opts.PollBatch)
		webhooks, accounts := d.exclusions(now)
		d.mu.Unlock()
		if n <= 0 {
			d.backlog.Store(true)
			return
		}
		claimed, err := d.st.ClaimDeliveries(ctx, store.Claim{
			Owner: d.opts.Owner, Now: now, Lease: d.opts.Lease, Limit: n,
			ExcludeWebhooks: webhooks, ExcludeAccounts: accounts,
		})
		if err != nil {
			if ctx.Err() == nil {
				d.opts.Logger.Warn("delivery: claim due deliveries", "err", err)
			}
			return
		}
		d.accept(claimed, now)
		if len(claimed) < n {
			d.backlog.Store(len(webhooks)+len(accounts) > 0)
			return
		}
	}
}

// timerLoop wakes the webhooks that waited for their rate limit or a
// Retry-After once their time has come.
func (d *Dispatcher) timerLoop(ctx context.Context) {
	t := time.NewTimer(time.Hour)
	defer t.Stop()
	for {
		d.mu.Lock()
		next, resumed := d.wakeDelayed(d.clock())
		d.schedule()
		d.mu.Unlock()
		if resumed {
			d.pokePoller() // their rows left in the store while they were paused
		}
		wait := d.opts.PollInterval
		if !next.IsZero() {
			wait = min(wait, max(next.Sub(d.clock()), time.Millisecond))
		}
		t.Reset(wait)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-d.timerWake:
		}
	}
}
