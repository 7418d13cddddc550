package delivery

import (
	"context"
	"errors"
	"time"

	"github.com/hookcast/hookcast/internal/store"
)

// finishReq is one attempt waiting to be recorded.
type finishReq struct {
	res     store.AttemptResult
	outcome string
	latency time.Duration
	then    func() // run once recorded; may be nil
}

// maxRecordBatch bounds one FinishAttempts call.
const maxRecordBatch = 256

// recordInterval is Options.RecordInterval's default: the least time between
// the starts of two FinishAttempts calls while attempts keep coming. A
// transaction costs far more than a row in it (on SQLite a commit writes every
// page it touched to the WAL), so under load the attempts of a few
// milliseconds share one. An attempt after a quiet spell
// is recorded at once. Nothing waits for the record but the delivery log; the
// lease is held until then.
const recordInterval = 5 * time.Millisecond

// recordLoop records attempts in groups: every attempt that finished while the
// previous group was being written goes into the next one, so under load one
// transaction records many attempts (on SQLite, one write per attempt was the
// dispatcher's ceiling). It returns when finishCh is closed and drained.
func (d *Dispatcher) recordLoop() {
	batch := make([]finishReq, 0, maxRecordBatch)
	results := make([]store.AttemptResult, 0, maxRecordBatch)
	wait := time.NewTimer(0)
	<-wait.C
	var last time.Time
	for first := range d.finishCh {
		batch = append(batch[:0], first)
		var until <-chan time.Time // nil: take what is waiting, no more
		if since := time.Since(last); since < d.opts.RecordInterval {
			wait.Reset(d.opts.RecordInterval - since)
			until = wait.C
		}
	more:
		for len(batch) < maxRecordBatch {
			select {
			case r, ok := <-d.finishCh:
				if !ok {
					break more
				}
				batch = append(batch, r)
				continue
			default:
			}
			if until == nil {
				break
			}
			select {
			case r, ok := <-d.finishCh:
				if !ok {
					break more
				}
				batch = append(batch, r)
			case <-until:
				until = nil
			}
		}
		wait.Stop() // Go 1.23 timers: no stale tick is left in wait.C
		last = time.Now()
		results = results[:0]
		for _, r := range batch {
			results = append(results, r.res)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		errs := d.st.FinishAttempts(ctx, results)
		cancel()
		for i, r := range batch {
			d.recorded(r, errs[i])
		}
	}
}

func (d *Dispatcher) recorded(r finishReq, err error) {
	if d.opts.Metrics != nil {
		d.opts.Metrics.OnAttempt(r.outcome, r.latency)
	}
	switch {
	case err == nil:
		if r.then != nil {
			r.then()
		}
	case errors.Is(err, store.ErrNotFound):
		d.opts.Logger.Debug("delivery: lease lost before the attempt was recorded", "delivery", r.res.Attempt.DeliveryID)
	default:
		// The lease runs out and the delivery is sent again: at least once.
		d.opts.Logger.Warn("delivery: record attempt", "delivery", r.res.Attempt.DeliveryID, "err", err)
	}
}
