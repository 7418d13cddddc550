// Package delivery sends webhook deliveries: it claims them from the store's
// outbox, signs and POSTs them, records every attempt, and schedules retries.
// Each endpoint (webhook) has its own queue and concurrency limit, so a slow or
// dead receiver never delays another's deliveries.
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

// Dispatcher delivers what the store's outbox holds. Create it with New, start it
// with Run, and tell it of new deliveries with Notify.
type Dispatcher struct {
	st      store.Store
	opts    Options
	client  *http.Client
	clock   func() time.Time
	targets targetCache

	notifyCh  chan []int64   // fast path: ids committed a moment ago
	handoffCh chan handoff   // faster path: deliveries committed already leased to us
	finishCh  chan finishReq // attempts to record, in groups (recorder.go)
	wake      chan struct{}  // asks the poller to run now
	room      chan struct{}  // tells the poller that parked deliveries have room
	sem       chan struct{}  // global concurrency
	stopCh    chan struct{}  // closed when Run stops taking work
	running   atomic.Bool

	// sendCtx is cancelled when the shutdown grace period is over.
	sendCtx    context.Context
	cancelSend context.CancelFunc
	workers    sync.WaitGroup

	mu        sync.Mutex
	stopping  bool
	endpoints map[int64]*endpoint
	// failingSince is when each failing webhook's current run of failures began,
	// kept beyond its endpoint's queue (which goes when empty) for auto-disable.
	failingSince map[int64]time.Time
	held         map[int64]*item // delivery id -> its latest claim
	queued       int
	parked       int    // ids in the endpoints' parked lists
	seq          uint64 // dispatch sequence number of the last item queued

	dropped atomic.Int64 // claims not taken up (queue full or lease too short)

	failures failureLog // failed attempts at warn, once per webhook per minute
}

// New returns a Dispatcher working on st.
func New(st store.Store, opts Options) *Dispatcher {
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
		notifyCh:     make(chan []int64, 1024),
		handoffCh:    make(chan handoff, 1024),
		finishCh:     make(chan finishReq, 1024),
		wake:         make(chan struct{}, 1),
		room:         make(chan struct{}, 1),
		sem:          make(chan struct{}, opts.Workers),
		stopCh:       make(chan struct{}),
		sendCtx:      ctx,
		cancelSend:   cancel,
		endpoints:    make(map[int64]*endpoint),
		failingSince: make(map[int64]time.Time),
		held:         make(map[int64]*item),
	}
}

// Notify tells the dispatcher of deliveries just committed, so they are sent at
// once instead of at the next poll. It never blocks: when the dispatcher is
// behind, the ids are dropped and the poller finds the rows instead.
func (d *Dispatcher) Notify(ids []int64) {
	if len(ids) == 0 {
		return
	}
	select {
	case d.notifyCh <- append([]int64(nil), ids...):
	default:
		d.pokePoller()
	}
}

// handoff is a group of deliveries inserted already leased to this dispatcher.
type handoff struct {
	claimed []store.ClaimedDelivery
	at      time.Time // when the lease started
}

// Owner is the name this dispatcher leases deliveries under. A committer that
// inserts deliveries leased to it (store.Delivery.LeaseOwner, from when until
// when+Lease) passes them to Handoff.
func (d *Dispatcher) Owner() string { return d.opts.Owner }

// Lease is how long this dispatcher's leases last.
func (d *Dispatcher) Lease() time.Duration { return d.opts.Lease }

// Handoff takes deliveries that were committed already leased to this
// dispatcher (leased at `at`), so they are sent with no claim transaction at all:
// the shortest path from a signal to its webhook. It never blocks: when the
// dispatcher is far behind, the leases are given back for the poller instead.
func (d *Dispatcher) Handoff(claimed []store.ClaimedDelivery, at time.Time) {
	if len(claimed) == 0 {
		return
	}
	select {
	case d.handoffCh <- handoff{claimed: claimed, at: at}:
	default:
		ids := make([]int64, len(claimed))
		for i, cd := range claimed {
			ids[i] = cd.Delivery.ID
		}
		go d.release(ids)
		d.pokePoller()
	}
}

func (d *Dispatcher) pokePoller() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

func (d *Dispatcher) pokeUnpark() {
	select {
	case d.room <- struct{}{}:
	default:
	}
}

// Stats is a snapshot for metrics.
type Stats struct {
	Queued    int   // claimed deliveries waiting in memory
	Parked    int   // leased deliveries waiting for room, by id
	InFlight  int   // attempts under way
	Endpoints int   // webhooks with deliveries queued or in flight (or disabled here lately)
	Dropped   int64 // claims given back to the store since start (queue full or lease too short)
}

// Stats returns a snapshot of the dispatcher's queues.
func (d *Dispatcher) Stats() Stats {
	d.mu.Lock()
	defer d.mu.Unlock()
	return Stats{Queued: d.queued, Parked: d.parked, InFlight: len(d.sem), Endpoints: len(d.endpoints), Dropped: d.dropped.Load()}
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
	loops.Go(func() { d.notifyLoop(ctx) })
	loops.Go(func() { d.pollLoop(ctx) })
	<-ctx.Done()
	loops.Wait()

	d.mu.Lock()
	d.stopping = true
	close(d.stopCh)
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

// notifyLoop is the fast path: it queues what Handoff was given, and claims the
// ids Notify was given, coalescing whatever else is waiting into one claim.
func (d *Dispatcher) notifyLoop(ctx context.Context) {
	const maxBatch = 1024
	for {
		var ids []int64
		select {
		case <-ctx.Done():
			return
		case h := <-d.handoffCh:
			d.dispatch(h.claimed, h.at)
			continue
		case ids = <-d.notifyCh:
		}
	more:
		for len(ids) < maxBatch {
			select {
			case more := <-d.notifyCh:
				ids = append(ids, more...)
			default:
				break more
			}
		}
		now := d.clock()
		claimed, err := d.st.ClaimDeliveries(ctx, store.Claim{
			Owner: d.opts.Owner, Now: now, Lease: d.opts.Lease, Limit: len(ids), IDs: ids,
		})
		if err != nil {
			if ctx.Err() == nil {
				d.opts.Logger.Warn("delivery: claim new deliveries", "err", err, "count", len(ids))
				d.pokePoller()
			}
			continue
		}
		d.dispatch(claimed, now)
	}
}

// pollLoop claims due deliveries every PollInterval, or sooner when poked; told
// of room, it takes back parked deliveries, and searches the outbox only when
// none are left (a search walks every leased row, parked ones included).
func (d *Dispatcher) pollLoop(ctx context.Context) {
	t := time.NewTicker(d.opts.PollInterval)
	defer t.Stop()
	for {
		d.unpark(ctx)
		d.poll(ctx)
		for waiting := true; waiting; {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				waiting = false
			case <-d.wake:
				waiting = false
			case <-d.room:
				waiting = !d.unpark(ctx)
			}
		}
	}
}

// unpark takes parked deliveries back by id, as far as their endpoints' queues
// and the global one have room, and queues them: those with more than half their
// lease left are only read back (no write, no wait for SQLite's writer), the
// others claimed again with their leases renewed. It reports whether none are
// left parked.
func (d *Dispatcher) unpark(ctx context.Context) (empty bool) {
	for ctx.Err() == nil {
		taken := d.takeParked(d.opts.PollBatch)
		if len(taken) == 0 {
			break
		}
		now := d.clock()
		var fresh, stale []int64
		oldest := now.UnixNano()
		for _, p := range taken {
			if time.Duration(now.UnixNano()-p.leasedAt) < d.opts.Lease/2 {
				fresh = append(fresh, p.id)
				oldest = min(oldest, p.leasedAt)
			} else {
				stale = append(stale, p.id)
			}
		}
		if len(fresh) > 0 {
			got, err := d.st.LeasedDeliveries(ctx, d.opts.Owner, fresh)
			if err != nil {
				// Their leases run out and a search claims them then.
				d.opts.Logger.Warn("delivery: read parked deliveries", "err", err, "count", len(fresh))
				break
			}
			d.dispatch(got, time.Unix(0, oldest)) // the lease runs from its start
		}
		if len(stale) > 0 {
			claimed, err := d.st.ClaimDeliveries(ctx, store.Claim{
				Owner: d.opts.Owner, Now: now, Lease: d.opts.Lease, Limit: len(stale), IDs: stale, Reclaim: true,
			})
			if err != nil {
				d.opts.Logger.Warn("delivery: claim parked deliveries", "err", err, "count", len(stale))
				break
			}
			d.dispatch(claimed, now)
		}
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.parked == 0
}

// takeParked removes up to n parked deliveries that have room to be queued,
// oldest first and a fair share from each endpoint: one event's deliveries to
// many webhooks are parked side by side, so a batch taken across the endpoints
// names few events. It leaves out any delivery queued or in flight meanwhile
// (claimed again by a search after its lease ran out: one copy is enough).
func (d *Dispatcher) takeParked(n int) []parkedID {
	d.mu.Lock()
	defer d.mu.Unlock()
	free := min(n, d.opts.MaxQueued-d.queued)
	type source struct {
		ep   *endpoint
		room int
	}
	var srcs []source
	for _, ep := range d.endpoints {
		if room := d.opts.PerEndpointQueue - len(ep.queue); len(ep.parked) > 0 && room > 0 {
			srcs = append(srcs, source{ep, room})
		}
	}
	var out []parkedID
	for taken := 0; taken < free && len(srcs) > 0; {
		share := max(1, (free-taken)/len(srcs))
		more := srcs[:0]
		for _, s := range srcs {
			ep := s.ep
			k := min(len(ep.parked), s.room, share, free-taken)
			for _, p := range ep.parked[:k] {
				if d.held[p.id] == nil {
					out = append(out, p)
				}
			}
			ep.parked = ep.parked[k:]
			if len(ep.parked) == 0 {
				ep.parked = nil
			}
			d.parked -= k
			taken += k
			if s.room -= k; len(ep.parked) > 0 && s.room > 0 && k > 0 {
				more = append(more, s)
			}
		}
		srcs = more
	}
	return out
}

// poll claims batches while they come back full, leaving out the webhooks whose
// queues are full (their rows would crowd out everyone else's retries).
func (d *Dispatcher) poll(ctx context.Context) {
	for ctx.Err() == nil {
		d.mu.Lock()
		free := d.opts.MaxQueued - d.queued
		d.mu.Unlock()
		n := min(free, d.opts.PollBatch)
		if n <= 0 {
			return
		}
		now := d.clock()
		claimed, err := d.st.ClaimDeliveries(ctx, store.Claim{
			Owner: d.opts.Owner, Now: now, Lease: d.opts.Lease, Limit: n,
			ExcludeWebhooks: d.fullEndpoints(),
		})
		if err != nil {
			if ctx.Err() == nil {
				d.opts.Logger.Warn("delivery: claim due deliveries", "err", err)
			}
			return
		}
		d.dispatch(claimed, now)
		if len(claimed) < n {
			return
		}
	}
}
