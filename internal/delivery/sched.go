package delivery

import (
	"time"

	"github.com/hookcast/hookcast/internal/store"
)

// sched is the dispatcher's scheduler state, guarded by Dispatcher.mu.
//
// Fairness is round robin (deficit round robin with every attempt costing one):
// ring holds the accounts that may start an attempt now, each account holds its
// webhooks that may start one now (ready), and every start moves both to the
// back. An account holds at most share() workers: an account whose receivers
// hang fills its share and waits, and the workers beyond it serve everyone else
// at once.
type sched struct {
	endpoints map[int64]*endpoint
	accounts  map[string]*tenant
	ring      []*tenant               // accounts with a ready webhook and room under their share, in turn
	delayed   map[*endpoint]time.Time // webhooks waiting for their rate limit or a Retry-After, until when
	queued    int                     // items in every endpoint's queue
	inflight  int                     // attempts under way
	busy      int                     // accounts with items queued or in flight
	rescan    bool                    // share() grew: accounts held back may start again
	pops      int                     // items taken since the poller was last asked to look (backlog)
	expired   []int64                 // items popped too late for their leases, to give back together
}

func newSched() sched {
	return sched{
		endpoints: make(map[int64]*endpoint),
		accounts:  make(map[string]*tenant),
		delayed:   make(map[*endpoint]time.Time),
	}
}

// tenant is one account's part of the scheduler.
type tenant struct {
	id        string
	ready     []*endpoint // its webhooks that may start an attempt now, in turn
	inRing    bool
	queued    int
	inflight  int
	endpoints int // endpoints pointing here; the account goes with the last
}

// reserve is how many workers no account may take while another has work: an
// account that has none gets its first attempts started at once.
func (d *Dispatcher) reserve() int { return max(1, d.opts.Workers/16) }

// share is how many attempts one account may have in flight: the workers less
// the reserve, split between the accounts with work.
func (d *Dispatcher) share() int {
	return max(1, (d.opts.Workers-d.reserve())/max(1, d.busy))
}

// adjust changes an account's (and the totals') queued and in-flight counts,
// keeping track of how many accounts have work.
func (d *Dispatcher) adjust(a *tenant, queued, inflight int) {
	was := a.queued+a.inflight > 0
	a.queued += queued
	a.inflight += inflight
	d.queued += queued
	d.inflight += inflight
	if is := a.queued+a.inflight > 0; is != was {
		if is {
			d.busy++
		} else {
			d.busy--
			d.rescan = true
		}
	}
}

// endpoint returns the endpoint of w, set up (or its limits updated) from the
// row just read, and linked to its account.
func (d *Dispatcher) endpoint(w *store.Webhook, now time.Time) *endpoint {
	ep := d.endpoints[w.ID]
	if ep == nil {
		ep = &endpoint{id: w.ID, failures: w.ConsecutiveFailures, progress: time.Now()}
		if _, ok := d.failingSince[ep.id]; !ok && ep.failures > 0 {
			d.failingSince[ep.id] = now // as far as this process knows
		}
		d.endpoints[ep.id] = ep
	}
	ep.setLimits(w.MaxConcurrency, w.MaxPerSecond, d.opts.PerEndpointConcurrency)
	if ep.acct == nil {
		a := d.accounts[w.AccountID]
		if a == nil {
			a = &tenant{id: w.AccountID}
			d.accounts[a.id] = a
		}
		a.endpoints++
		ep.acct = a
	}
	return ep
}

// capacity is how many items ep may have queued: PerEndpointQueue, less for a
// webhook that could not start them all before their leases run short (a rate
// limit, or slow answers: a webhook whose receiver hangs holds a handful). How
// many it gets through in that time is the larger of what its concurrency and
// latency allow and what it did in the last second: the latency of a fast
// receiver's answers, measured on a busy machine, counts time spent waiting
// for the CPU, and alone it kept a burst to one webhook a third in memory and
// the rest for the poller's claims (hookbench -mode throughput).
func (d *Dispatcher) capacity(ep *endpoint) int {
	c := d.opts.PerEndpointQueue
	window := d.opts.Lease - d.opts.AttemptTimeout - leaseMargin // how long an item may wait
	if ep.perSecond > 0 {
		c = min(c, int(float64(ep.perSecond)*window.Seconds()/2))
	}
	now := time.Now()
	if slow := ep.slowness(now); slow > 0 {
		byLatency := int(float64(ep.maxConc) * float64(window) / float64(slow) / 2)
		byRate := int(float64(ep.rate(now)) * window.Seconds()) // measured: no margin
		c = min(c, max(byLatency, byRate))
	}
	return max(c, ep.maxConc)
}

// endpointRoom is how many more items w's endpoint takes now.
func (d *Dispatcher) endpointRoom(w *store.Webhook, now time.Time) int {
	ep := d.endpoints[w.ID]
	if ep == nil {
		probe := endpoint{}
		probe.setLimits(w.MaxConcurrency, w.MaxPerSecond, d.opts.PerEndpointConcurrency)
		return d.capacity(&probe)
	}
	if ep.pausedUntil.After(now) {
		return 0
	}
	return d.capacity(ep) - len(ep.queue)
}

// accountRoom is how many more items the account may have queued: at most
// MaxQueuedPerAccount, so that one account's backlog leaves room in memory for
// the others'.
func (d *Dispatcher) accountRoom(id string) int {
	n := d.opts.MaxQueuedPerAccount
	if a := d.accounts[id]; a != nil {
		n -= a.queued
	}
	return n
}

// exclusions lists the webhooks and accounts that have no room now, for the
// poller's claims to leave out.
func (d *Dispatcher) exclusions(now time.Time) (webhooks []int64, accounts []string) {
	for id, ep := range d.endpoints {
		if ep.pausedUntil.After(now) || len(ep.queue) >= d.capacity(ep) {
			webhooks = append(webhooks, id)
		}
	}
	for id, a := range d.accounts {
		if a.queued >= d.opts.MaxQueuedPerAccount {
			accounts = append(accounts, id)
		}
	}
	return webhooks, accounts
}

// accept is the one way in: it queues deliveries leased to this dispatcher on
// their webhooks' endpoints and starts what the limits allow. What finds no room
// (a full queue, a paused webhook, an account at its bound, or the dispatcher
// stopping) is given back to the store, where the poller claims it again when
// there is room.
func (d *Dispatcher) accept(claimed []store.ClaimedDelivery, claimedAt time.Time) {
	if len(claimed) == 0 {
		return
	}
	var back []int64
	var ev *store.Event
	hooks := make(map[int64]*store.Webhook)
	d.mu.Lock()
	now := d.clock()
	for i := range claimed {
		cd := &claimed[i]
		if d.stopping {
			back = append(back, cd.Delivery.ID)
			continue
		}
		ep := d.endpoint(&cd.Webhook, now)
		a := ep.acct
		if ep.pausedUntil.After(now) || len(ep.queue) >= d.capacity(ep) ||
			a.queued >= d.opts.MaxQueuedPerAccount || d.queued >= d.opts.MaxQueued {
			back = append(back, cd.Delivery.ID)
			continue
		}
		d.seq++
		// One copy of each event and webhook for the items taken in here: a
		// batch lists an event's deliveries together.
		if ev == nil || ev.ID != cd.Event.ID {
			ev = &store.Event{}
			*ev = cd.Event
		}
		wh := hooks[cd.Webhook.ID]
		if wh == nil {
			wh = &store.Webhook{}
			*wh = cd.Webhook
			hooks[wh.ID] = wh
		}
		it := &item{d: cd.Delivery, ev: ev, wh: wh, claimedAt: claimedAt, seq: d.seq}
		if old := d.held[cd.Delivery.ID]; old != nil {
			old.stale = true
		}
		d.held[cd.Delivery.ID] = it
		ep.queue = append(ep.queue, it)
		d.adjust(a, 1, 0)
		d.refresh(ep, now)
	}
	d.schedule()
	d.mu.Unlock()
	if len(back) > 0 {
		d.dropped.Add(int64(len(back)))
		d.backlog.Store(true)
		go d.release(back)
	}
}

// refresh puts ep among its account's ready webhooks when it can start an
// attempt now, or among the delayed when only time stands in the way.
func (d *Dispatcher) refresh(ep *endpoint, now time.Time) {
	if ep.ready || len(ep.queue) == 0 || ep.active >= ep.maxConc || d.stopping {
		return
	}
	if at := ep.nextStart(); at.After(now) {
		if cur, ok := d.delayed[ep]; !ok || at.Before(cur) {
			d.delayed[ep] = at
			d.pokeTimer()
		}
		return
	}
	ep.ready = true
	a := ep.acct
	a.ready = append(a.ready, ep)
	d.offer(a)
}

// offer puts a in the ring when it has a ready webhook and room under its share.
func (d *Dispatcher) offer(a *tenant) {
	if !a.inRing && len(a.ready) > 0 && a.inflight < d.share() {
		a.inRing = true
		d.ring = append(d.ring, a)
	}
}

// schedule starts attempts while workers are free: the next account in the
// ring, its next ready webhook, that webhook's oldest item.
func (d *Dispatcher) schedule() { d.start(false) }

// start is schedule; with own, the first attempt it starts is returned for the
// calling worker to make rather than given a goroutine of its own: a worker
// whose attempt ended goes on with the next one, with no goroutine to start
// and wake (with one webhook and four attempts in flight, that hand-off was
// part of every attempt's time).
func (d *Dispatcher) start(own bool) (ownEp *endpoint, ownIt *item) {
	if d.stopping {
		return nil, nil
	}
	if d.rescan {
		d.rescan = false
		for _, a := range d.accounts {
			d.offer(a)
		}
	}
	now := d.clock()
	share := d.share()
	for d.inflight < d.opts.Workers && len(d.ring) > 0 {
		a := d.ring[0]
		d.ring[0] = nil
		d.ring = d.ring[1:]
		a.inRing = false
		if a.inflight >= share || len(a.ready) == 0 {
			continue // offered again when one of its attempts ends
		}
		ep := a.ready[0]
		a.ready[0] = nil
		a.ready = a.ready[1:]
		ep.ready = false
		if ep.active < ep.maxConc && !ep.nextStart().After(now) {
			if it := d.pop(ep, now); it != nil {
				ep.active++
				ep.noteStart(now)
				d.adjust(a, 0, 1)
				if own && ownEp == nil {
					ownEp, ownIt = ep, it
				} else {
					d.workers.Add(1)
					go d.run(ep, it)
				}
			}
		}
		d.refresh(ep, now)
		d.offer(a)
	}
	if len(d.ring) == 0 {
		d.ring = nil // let the backing array go
	}
	if len(d.expired) > 0 {
		ids := d.expired
		d.expired = nil
		d.dropped.Add(int64(len(ids)))
		d.backlog.Store(true)
		go d.release(ids)
	}
	return ownEp, ownIt
}

// pop takes ep's oldest live item off its queue (nil when none is left),
// counting it out of the queued totals. An item claimed again since (stale) is
// dropped: one copy is enough; one whose lease is too short now is given back.
func (d *Dispatcher) pop(ep *endpoint, now time.Time) *item {
	for len(ep.queue) > 0 {
		it := ep.queue[0]
		ep.queue[0] = nil
		ep.queue = ep.queue[1:]
		if len(ep.queue) == 0 {
			ep.queue = nil
		}
		d.adjust(ep.acct, -1, 0)
		if d.backlog.Load() {
			// Room appears as items leave: let the poller look once there is
			// room for a whole batch (a claim beyond the room would be given
			// back at once).
			if d.pops++; d.pops >= d.opts.PollBatch {
				d.pops = 0
				d.pokePoller()
			}
		}
		if it.stale {
			continue
		}
		if d.late(it, now) {
			// Its lease would end before it could be sent and recorded:
			// given back (schedule), the poller claims it anew.
			if d.held[it.d.ID] == it {
				delete(d.held, it.d.ID)
			}
			d.expired = append(d.expired, it.d.ID)
			continue
		}
		return it
	}
	return nil
}

// run makes one attempt, then the next one the scheduler picks, until it
// picks none.
func (d *Dispatcher) run(ep *endpoint, it *item) {
	defer d.workers.Done()
	for ep != nil {
		d.handle(ep, it)
		d.mu.Lock()
		if d.held[it.d.ID] == it {
			delete(d.held, it.d.ID)
		}
		ep.active--
		ep.progress = time.Now()
		ep.noteEnded(ep.progress)
		d.adjust(ep.acct, 0, -1)
		now := d.clock()
		d.refresh(ep, now)
		d.offer(ep.acct)
		d.retire(ep, now)
		ep, it = d.start(true)
		d.mu.Unlock()
	}
}

// wakeDelayed makes ready the delayed webhooks whose time has come, and returns
// the earliest time still awaited (zero: none), and whether a webhook paused by
// Retry-After resumed.
func (d *Dispatcher) wakeDelayed(now time.Time) (next time.Time, resumed bool) {
	for ep, at := range d.delayed {
		if at.After(now) {
			if next.IsZero() || at.Before(next) {
				next = at
			}
			continue
		}
		delete(d.delayed, ep)
		if !ep.pausedUntil.IsZero() && !ep.pausedUntil.After(now) {
			ep.pausedUntil = time.Time{}
			resumed = true
		}
		d.refresh(ep, now)
	}
	return next, resumed
}

// retire forgets ep once nothing needs it: no items, no attempts, no pause or
// rate window to respect, no disable of this process's to remember.
func (d *Dispatcher) retire(ep *endpoint, now time.Time) {
	if len(ep.queue) > 0 || ep.active > 0 || ep.ready || ep.pausedUntil.After(now) ||
		(ep.perSecond > 0 && now.Sub(ep.lastStart) < time.Second) {
		return
	}
	if ep.disabledSeq > 0 && (ep.disabledUntil.IsZero() || now.Before(ep.disabledUntil)) {
		return
	}
	delete(d.endpoints, ep.id)
	delete(d.delayed, ep)
	if a := ep.acct; a != nil {
		ep.acct = nil
		if a.endpoints--; a.endpoints == 0 && a.queued+a.inflight == 0 {
			delete(d.accounts, a.id)
		}
	}
}

// sweep retires the endpoints that went idle while a rate window or pause
// kept them (run retires the others as their last attempt ends).
func (d *Dispatcher) sweep(now time.Time) {
	for _, ep := range d.endpoints {
		d.retire(ep, now)
	}
}

// dropQueued empties every queue when the dispatcher stops: those leases run
// out and the rows are claimed again (here after a restart, or by another
// replica).
func (d *Dispatcher) dropQueued() {
	for _, ep := range d.endpoints {
		for _, it := range ep.queue {
			if d.held[it.d.ID] == it {
				delete(d.held, it.d.ID)
			}
		}
		if n := len(ep.queue); n > 0 && ep.acct != nil {
			d.adjust(ep.acct, -n, 0)
		}
		ep.queue = nil
	}
	d.ring = nil
}
