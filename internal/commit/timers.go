package commit

import (
	"context"
	"fmt"
	"time"

	"github.com/hookcast/hookcast/internal/store"
)

// timerLoop fires due stream timers through the same transaction path as signals.
// It sleeps until the earliest due time the store knows of, at most TimerPoll (so
// timers saved by other replicas are found), and wakes early when a commit saved a
// timer. Firing is idempotent by construction: the state and its due time are
// rewritten in the transaction that fires, so a crash before the commit fires again
// after restart and a crash after it does not. Timers held back for a queued
// signal (inflight.go) are not polled for: the end of that signal's request wakes
// the loop.
func (p *Committer) timerLoop(ctx context.Context) {
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-p.wake:
		}
		p.lookAt.Store(0) // looking now: every commit with a due time wakes the next pass
		if _, err := p.FireDue(ctx); err != nil && ctx.Err() == nil {
			p.opts.Logger.Error("fire timers", "err", err)
		}
		wait := p.opts.TimerPoll
		look := p.opts.Now().Add(wait).UnixMilli()
		if due, err := p.st.NextDue(ctx); err == nil && due > 0 {
			if d := time.Until(time.UnixMilli(due)); d < wait && (d > 0 || !p.inflight.hold(due)) {
				wait = max(d, time.Millisecond)
				look = due
			}
		}
		p.lookAt.Store(look)
		if !t.Stop() {
			select {
			case <-t.C:
			default:
			}
		}
		t.Reset(wait)
	}
}

// FireDue fires every timer due now, in batches, and returns how many streams it
// handled. Exported for tests and for a clean stop. A timer due after the receipt
// of a request still on its way to a commit is left for later (inflight.go).
func (p *Committer) FireDue(ctx context.Context) (int, error) {
	total := 0
	for {
		now, upTo := p.inflight.horizon(p.opts.Now)
		start := time.Now()
		var res result
		var n int
		err := p.st.InTx(ctx, func(tx store.Tx) error {
			res, n = result{}, 0
			rows, err := tx.DueStreams(ctx, upTo.UnixMilli(), p.opts.TimerBatch)
			if err != nil {
				return fmt.Errorf("due streams: %w", err)
			}
			n = len(rows)
			ss := newStreams(len(rows))
			w := writer{p: p, tx: tx, res: &res, hooks: map[hookKey][]store.Webhook{}}
			for _, row := range rows {
				st, err := ss.add(row.Key, row)
				if err != nil {
					return err
				}
				for _, ev := range p.eng.Fire(st, upTo.UnixMilli()) {
					if err := w.engineEvent(ctx, ev, now); err != nil {
						return err
					}
				}
			}
			if err := w.flush(ctx); err != nil {
				return err
			}
			return saveStates(ctx, tx, ss, upTo.UnixMilli(), &res)
		})
		if err != nil {
			return total, fmt.Errorf("fire timers: %w", err)
		}
		total += n
		if n > 0 {
			p.after(res, time.Since(start))
		}
		if n < p.opts.TimerBatch {
			return total, nil
		}
	}
}
