package delivery

import (
	"context"
	"fmt"
	"time"

	"github.com/hookcast/hookcast/internal/store"
)

// leaseMargin is kept free at the end of a lease for recording the attempt.
const leaseMargin = 5 * time.Second

// endpoint is the in-memory queue of one webhook, with its limits.
type endpoint struct {
	id    int64
	acct  *tenant
	queue []*item
	ready bool // in acct.ready
	// active counts attempts in flight; maxConc bounds them (the webhook's
	// MaxConcurrency, or the dispatcher's default).
	active  int
	maxConc int
	// perSecond bounds the attempts started in any second (0: no bound): starts
	// holds the last perSecond start times, a ring from head.
	perSecond int
	starts    []time.Time
	head      int
	lastStart time.Time
	// pausedUntil is when a Retry-After of the receiver's ends.
	pausedUntil time.Time
	// latency is a moving average of the attempts' durations, and progress when
	// the last one ended (real time): together, how slow the receiver is.
	latency  time.Duration
	progress time.Time
	// ended counts the attempts ended in the second that began at endedSince
	// (real time), endedLast those of the second before: how many it gets
	// through a second, whatever holds it back (its receiver, or the
	// dispatcher's CPU when it shares it with many others).
	endedSince       time.Time
	ended, endedLast int
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

// setLimits applies the webhook's limits as last read (0 concurrency: def).
func (ep *endpoint) setLimits(maxConc, perSecond, def int) {
	if maxConc <= 0 {
		maxConc = def
	}
	ep.maxConc = maxConc
	if perSecond < 0 {
		perSecond = 0
	}
	if perSecond != ep.perSecond {
		ep.perSecond, ep.starts, ep.head = perSecond, nil, 0
	}
}

// nextStart is the earliest time ep may start an attempt: after its pause, and
// a second after the oldest of its last perSecond starts.
func (ep *endpoint) nextStart() time.Time {
	t := ep.pausedUntil
	if ep.perSecond > 0 && len(ep.starts) == ep.perSecond {
		if w := ep.starts[ep.head].Add(time.Second); w.After(t) {
			t = w
		}
	}
	return t
}

// noteStart records an attempt started at now.
func (ep *endpoint) noteStart(now time.Time) {
	ep.lastStart = now
	if ep.perSecond <= 0 {
		return
	}
	if len(ep.starts) < ep.perSecond {
		ep.starts = append(ep.starts, now)
		return
	}
	ep.starts[ep.head] = now
	ep.head = (ep.head + 1) % ep.perSecond
}

// noteLatency folds one attempt's duration into the moving average.
func (ep *endpoint) noteLatency(l time.Duration) {
	if ep.latency == 0 {
		ep.latency = l
		return
	}
	ep.latency += (l - ep.latency) / 4
}

// noteEnded counts an attempt that ended at now (real time).
func (ep *endpoint) noteEnded(now time.Time) {
	if since := now.Sub(ep.endedSince); since >= time.Second {
		ep.endedLast = 0
		if since < 2*time.Second {
			ep.endedLast = ep.ended
		}
		ep.ended, ep.endedSince = 0, now
	}
	ep.ended++
}

// rate is how many attempts of ep ended in the last whole second.
func (ep *endpoint) rate(now time.Time) int {
	switch since := now.Sub(ep.endedSince); {
	case since >= 2*time.Second:
		return 0
	case since >= time.Second:
		return ep.ended
	}
	return ep.endedLast
}

// slowness is how long an attempt of ep takes: the moving average, or longer
// while attempts are out and none has ended for longer than that (a receiver
// that stopped answering shows before its first timeout).
func (ep *endpoint) slowness(now time.Time) time.Duration {
	s := ep.latency
	if ep.active > 0 {
		s = max(s, now.Sub(ep.progress))
	}
	return s
}

// item is one claimed delivery waiting for or under its attempt. Its event
// and webhook are shared with the other items of the same event and webhook
// taken in together (a third of the memory of a whole ClaimedDelivery each):
// a burst that fits in memory is sent with no claim, a write, to bring it back.
type item struct {
	d         store.Delivery
	ev        *store.Event
	wh        *store.Webhook
	claimedAt time.Time // the Now of the claim: the lease runs from here
	seq       uint64    // dispatch order
	stale     bool      // the row was claimed again since; this copy is not sent
}

// late reports whether it can no longer be sent and recorded within its lease.
func (d *Dispatcher) late(it *item, now time.Time) bool {
	return now.After(it.claimedAt.Add(d.opts.Lease - d.opts.AttemptTimeout - leaseMargin))
}

// handle makes (or skips) one delivery's attempt and records it.
func (d *Dispatcher) handle(ep *endpoint, it *item) {
	cd := &store.ClaimedDelivery{Delivery: it.d, Event: *it.ev, Webhook: *it.wh}
	now := d.clock()
	if d.late(it, now) {
		// Too late to finish within the lease (pop gives most such back in
		// batches; this one aged between pop and here): give it back.
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
	ctx, cancel := context.WithTimeout(d.sendCtx, d.opts.AttemptTimeout)
	att, resp := d.send(ctx, cd, now)
	cancel()
	if resp.Err != nil && d.sendCtx.Err() != nil {
		return // cut off by shutdown: not the receiver's fault, not recorded
	}
	end := d.clock()
	dec := d.opts.Retry.Decide(cd.Webhook.RetryPolicy, resp, att.N, cd.Delivery.CreatedAt, end)
	res := store.AttemptResult{
		Owner: d.opts.Owner, Attempt: att,
		State: dec.State, NextAttemptAt: dec.NextAttemptAt,
		Success: dec.State == store.DeliverySucceeded, Throttled: dec.Throttle > 0,
		Disable: dec.Disable, DisableReason: dec.Reason,
	}
	var back []int64
	d.mu.Lock()
	ep.noteLatency(att.Latency)
	if dec.Throttle > 0 {
		back = d.pause(ep, end.Add(dec.Throttle))
	}
	if ep.disabledSeq > 0 && it.seq > ep.disabledSeq && !cd.Webhook.Disabled {
		// Re-enabled by hand since this dispatcher disabled it: start afresh.
		ep.disabledSeq, ep.disabledUntil = 0, time.Time{}
		ep.failures = cd.Webhook.ConsecutiveFailures
	}
	if res.Success {
		ep.failures = 0
		delete(d.failingSince, ep.id)
	} else if dec.Throttle == 0 { // a receiver asking for less is not failing
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
	if len(back) > 0 {
		d.dropped.Add(int64(len(back)))
		d.backlog.Store(true)
		d.release(back)
	}
	outcome := string(dec.State)
	if dec.State == store.DeliveryPending {
		outcome = "retry"
	}
	var then func()
	exhausted := dec.State == store.DeliveryFailed && d.opts.Reports != nil
	if res.Disable || exhausted {
		then = func() {
			if res.Disable {
				d.mu.Lock()
				ep.disabledSeq, ep.disabledUntil = d.seq, res.DisableUntil
				d.mu.Unlock()
				d.opts.Logger.Info("delivery: webhook disabled", "webhook", cd.Webhook.ID,
					"account", cd.Webhook.AccountID, "reason", res.DisableReason, "until", res.DisableUntil)
				if d.opts.Reports != nil {
					d.opts.Reports.WebhookDisabled(cd.Webhook, res.DisableReason, res.DisableUntil)
				}
			}
			if exhausted {
				d.opts.Reports.DeliveryExhausted(*cd, att)
			}
		}
	}
	d.finish(res, outcome, att.Latency, then)
}

// pause stops ep from starting attempts until `until` (a Retry-After), and
// takes off its queue, to give back, the items whose leases would be too short
// by then; the poller leaves the webhook's rows alone while it is paused.
func (d *Dispatcher) pause(ep *endpoint, until time.Time) (back []int64) {
	if until.After(ep.pausedUntil) {
		ep.pausedUntil = until
	}
	if cur, ok := d.delayed[ep]; !ok || until.After(cur) {
		d.delayed[ep] = until
		d.pokeTimer()
	}
	kept := ep.queue[:0]
	for _, it := range ep.queue {
		if it.stale || it.claimedAt.Add(d.opts.Lease-d.opts.AttemptTimeout-leaseMargin).Before(until) {
			if !it.stale {
				back = append(back, it.d.ID)
			}
			if d.held[it.d.ID] == it {
				delete(d.held, it.d.ID)
			}
			continue
		}
		kept = append(kept, it)
	}
	if n := len(ep.queue) - len(kept); n > 0 {
		clear(ep.queue[len(kept):])
		ep.queue = kept
		d.adjust(ep.acct, -n, 0)
	}
	return back
}

// skip reports whether the delivery's webhook is disabled now, as the claimed row
// says or as this dispatcher decided after the row was read.
func (d *Dispatcher) skip(ep *endpoint, it *item, now time.Time) bool {
	wh := it.wh
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
