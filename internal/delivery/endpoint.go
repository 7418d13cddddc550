package delivery

import (
	"context"
	"fmt"
	"time"

	"github.com/hookcast/hookcast/internal/store"
)

// leaseMargin is kept free at the end of a lease for recording the attempt.
const leaseMargin = 5 * time.Second

// endpoint is the in-memory queue of one webhook, with its own workers, so its
// speed affects no other webhook.
type endpoint struct {
	id    int64
	queue []*item
	// parked are deliveries still leased to this dispatcher that found the queue
	// full: only their ids are kept, and unpark takes them back by id when
	// there is room (no release, no search through the outbox).
	parked []parkedID
	active int // workers running for this endpoint
	// failures counts consecutive failed attempts, seeded from the store's
	// counter when the endpoint is set up; exact within this process even with
	// several attempts in flight, whose webhook rows were all read before.
	failures int
	// disabledSeq is the dispatch sequence number at which this dispatcher
	// disabled the webhook: deliveries queued up to then carry a webhook row read
	// before the disable and are skipped while it lasts (disabledUntil, or for
	// good when zero).
	disabledSeq   uint64
	disabledUntil time.Time
}

// parkedID is a parked delivery and when its lease began (Unix ns).
type parkedID struct{ id, leasedAt int64 }

// item is one claimed delivery waiting for or under its attempt.
type item struct {
	cd        store.ClaimedDelivery
	claimedAt time.Time // the Now of the claim: the lease runs from here
	seq       uint64    // dispatch order
	stale     bool      // the row was claimed again since; this copy is not sent
}

// dispatch queues claimed deliveries on their endpoints and starts workers as
// the per-endpoint limit allows. A delivery that finds its endpoint's queue or
// the global one full is parked (its id kept, its lease held) for unpark; past
// MaxParked it is given back to the store at once (its lease released), to be
// claimed again when there is room.
func (d *Dispatcher) dispatch(claimed []store.ClaimedDelivery, claimedAt time.Time) {
	var back []int64
	defer func() { d.release(back) }()
	d.mu.Lock()
	defer d.mu.Unlock()
	accepted := 0
	for _, cd := range claimed {
		if d.stopping {
			break
		}
		ep := d.endpoints[cd.Webhook.ID]
		if ep == nil {
			ep = &endpoint{id: cd.Webhook.ID, failures: cd.Webhook.ConsecutiveFailures}
			if _, ok := d.failingSince[ep.id]; !ok && ep.failures > 0 {
				d.failingSince[ep.id] = claimedAt // as far as this process knows
			}
			d.endpoints[ep.id] = ep
		}
		if len(ep.queue) >= d.opts.PerEndpointQueue || d.queued >= d.opts.MaxQueued {
			if d.parked < d.opts.MaxParked {
				ep.parked = append(ep.parked, parkedID{cd.Delivery.ID, claimedAt.UnixNano()})
				d.parked++
				accepted++
			} else {
				back = append(back, cd.Delivery.ID)
			}
			continue
		}
		d.seq++
		it := &item{cd: cd, claimedAt: claimedAt, seq: d.seq}
		if old := d.held[cd.Delivery.ID]; old != nil {
			old.stale = true
		}
		d.held[cd.Delivery.ID] = it
		ep.queue = append(ep.queue, it)
		d.queued++
		accepted++
		if ep.active < d.opts.PerEndpointConcurrency {
			ep.active++
			d.workers.Add(1)
			go d.work(ep)
		}
	}
	d.dropped.Add(int64(len(claimed) - accepted))
}

// work runs attempts for one endpoint until its queue is empty.
func (d *Dispatcher) work(ep *endpoint) {
	defer d.workers.Done()
	for {
		it := d.next(ep)
		if it == nil {
			return
		}
		d.handle(ep, it)
		d.mu.Lock()
		if d.held[it.cd.Delivery.ID] == it {
			delete(d.held, it.cd.Delivery.ID)
		}
		d.mu.Unlock()
	}
}

// next pops the endpoint's next live item, or retires the worker.
func (d *Dispatcher) next(ep *endpoint) *item {
	d.mu.Lock()
	defer d.mu.Unlock()
	for len(ep.queue) > 0 && !d.stopping {
		it := ep.queue[0]
		ep.queue[0] = nil
		ep.queue = ep.queue[1:]
		d.queued--
		if len(ep.queue) == d.opts.PerEndpointQueue/2 || d.queued == d.opts.MaxQueued/2 {
			if d.parked > 0 {
				d.pokeUnpark()
			} else {
				d.pokePoller() // rows may have been left out of claims while it was full
			}
		}
		if !it.stale {
			return it
		}
	}
	for _, it := range ep.queue { // stopping: leave the rest to their leases
		if d.held[it.cd.Delivery.ID] == it {
			delete(d.held, it.cd.Delivery.ID)
		}
	}
	d.queued -= len(ep.queue)
	ep.queue = nil
	ep.active--
	remember := ep.disabledSeq > 0 && (ep.disabledUntil.IsZero() || d.clock().Before(ep.disabledUntil))
	if ep.active == 0 && !remember && len(ep.parked) == 0 {
		delete(d.endpoints, ep.id)
	}
	return nil
}

// handle makes (or skips) one delivery's attempt and records it.
func (d *Dispatcher) handle(ep *endpoint, it *item) {
	cd := &it.cd
	now := d.clock()
	if now.After(it.claimedAt.Add(d.opts.Lease - d.opts.AttemptTimeout - leaseMargin)) {
		// Too late to finish within the lease: give it back for a new claim.
		d.dropped.Add(1)
		d.release([]int64{cd.Delivery.ID})
		return
	}
	if d.skip(ep, it, now) {
		d.finish(store.AttemptResult{
			Owner:   d.opts.Owner,
			Attempt: store.Attempt{DeliveryID: cd.Delivery.ID, At: now},
			State:   store.DeliverySkipped,
		}, "skipped", 0, nil)
		return
	}
	select {
	case d.sem <- struct{}{}:
	case <-d.stopCh:
		return
	}
	ctx, cancel := context.WithTimeout(d.sendCtx, d.opts.AttemptTimeout)
	att, resp := d.send(ctx, cd, now)
	cancel()
	<-d.sem
	if resp.Err != nil && d.sendCtx.Err() != nil {
		return // cut off by shutdown: not the receiver's fault, not recorded
	}
	end := d.clock()
	dec := d.opts.Retry.Decide(cd.Webhook.RetryPolicy, resp, att.N, cd.Delivery.CreatedAt, end)
	res := store.AttemptResult{
		Owner: d.opts.Owner, Attempt: att,
		State: dec.State, NextAttemptAt: dec.NextAttemptAt,
		Success: dec.State == store.DeliverySucceeded,
		Disable: dec.Disable, DisableReason: dec.Reason,
	}
	d.mu.Lock()
	if ep.disabledSeq > 0 && it.seq > ep.disabledSeq && !cd.Webhook.Disabled {
		// Re-enabled by hand since this dispatcher disabled it: start afresh.
		ep.disabledSeq, ep.disabledUntil = 0, time.Time{}
		ep.failures = cd.Webhook.ConsecutiveFailures
	}
	if res.Success {
		ep.failures = 0
		delete(d.failingSince, ep.id)
	} else {
		since, ok := d.failingSince[ep.id]
		if !ok || ep.failures == 0 {
			since = end
			d.failingSince[ep.id] = since
		}
		ep.failures++
		if !res.Disable && d.opts.AutoDisableAfter > 0 && ep.failures >= d.opts.AutoDisableAfter &&
			end.Sub(since) >= d.opts.AutoDisableWindow {
			res.Disable = true
			res.DisableUntil = end.Add(d.opts.AutoDisableFor)
			res.DisableReason = fmt.Sprintf("%d consecutive failed deliveries over %s (last: %s)",
				ep.failures, end.Sub(since).Round(time.Second), dec.Reason)
		}
	}
	d.mu.Unlock()
	if !res.Success {
		d.failures.failed(d.opts.Logger, &cd.Webhook, att.N, dec, end)
	}
	outcome := string(dec.State)
	if dec.State == store.DeliveryPending {
		outcome = "retry"
	}
	var then func()
	if res.Disable {
		then = func() {
			d.mu.Lock()
			ep.disabledSeq, ep.disabledUntil = d.seq, res.DisableUntil
			d.mu.Unlock()
			d.opts.Logger.Info("delivery: webhook disabled", "webhook", cd.Webhook.ID,
				"account", cd.Webhook.AccountID, "reason", res.DisableReason, "until", res.DisableUntil)
		}
	}
	d.finish(res, outcome, att.Latency, then)
}

// skip reports whether the delivery's webhook is disabled now, as the claimed row
// says or as this dispatcher decided after the row was read.
func (d *Dispatcher) skip(ep *endpoint, it *item, now time.Time) bool {
	wh := &it.cd.Webhook
	if wh.Disabled && (wh.DisabledUntil.IsZero() || now.Before(wh.DisabledUntil)) {
		return true
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return it.seq <= ep.disabledSeq && (ep.disabledUntil.IsZero() || now.Before(ep.disabledUntil))
}

// finish hands an attempt to the recorder and returns at once: the endpoint's
// worker is free for its next delivery while the attempt is written with others in
// one transaction. The lease stays held until then, so nothing else sends it.
// then, when set, runs once the store has taken the attempt.
func (d *Dispatcher) finish(res store.AttemptResult, outcome string, latency time.Duration, then func()) {
	d.finishCh <- finishReq{res: res, outcome: outcome, latency: latency, then: then}
}

// release gives leases back to the store so the deliveries can be claimed again
// now; should it fail, the leases simply run out.
func (d *Dispatcher) release(ids []int64) {
	if len(ids) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := d.st.ReleaseDeliveries(ctx, d.opts.Owner, ids); err != nil {
		d.opts.Logger.Warn("delivery: release leases", "err", err, "count", len(ids))
	}
}

// fullEndpoints lists the webhooks whose queues are full, for claims to leave out.
func (d *Dispatcher) fullEndpoints() []int64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []int64
	for id, ep := range d.endpoints {
		if len(ep.queue) >= d.opts.PerEndpointQueue {
			out = append(out, id)
		}
	}
	return out
}
