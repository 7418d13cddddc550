// Package retention runs the pruner: a background loop that deletes what is
// older than the retention settings, a small batch at a time, so the database
// stays the same size however long hookcast runs and the signal path never
// waits on it for long.
package retention

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/hookcast/hookcast/internal/store"
)

// Store is what the pruner needs of the store.
type Store interface {
	Prune(ctx context.Context, p store.PruneBatch) (store.PruneResult, error)
}

// StatsKeep is the least time stats rollups are kept, however short the
// retention: the dashboard's longest chart (a week) and a day.
const StatsKeep = 8 * 24 * time.Hour

// Options configure a Pruner. Zero values take the defaults noted.
type Options struct {
	// Retention is how long events, deliveries and attempts are kept (0:
	// forever); stats rollups are kept as long, and at least StatsKeep.
	Retention time.Duration
	// ImageRetention is how long image bodies (thumbnails) are kept (0: as long
	// as their event).
	ImageRetention time.Duration
	// KeyWindow is how long idempotency keys are kept (0: forever).
	KeyWindow time.Duration
	// Interval is the time between two passes (default: a twentieth of the
	// shorter retention, between 1s and 5m).
	Interval time.Duration
	// Batch is how many rows one transaction removes at first (default
	// store.DefaultPruneLimit). A pass adapts it to its transactions' time:
	// twice as many while one takes under HoldTarget/4 (up to MaxBatch), half
	// as many when one takes over HoldTarget, so it keeps up with a busy
	// service without holding the writer long.
	Batch, MaxBatch int
	// HoldTarget is the longest a prune transaction should run (default 20ms,
	// about one group commit of a saturated SQLite store): a signal that comes
	// while one runs waits for it. Shorter, and the batches' fixed costs add
	// up; a pruner that took its turns behind every commit fell behind the
	// inserts in the soak with 500-row batches.
	HoldTarget time.Duration
	// Pause is the rest between two batches of a pass, so the writer is free
	// for the signal path in between (default 2ms). Resting in proportion to
	// what a batch held (twice as long: a third of the writer) spread the work
	// but let the pruner fall behind on a loaded machine, where a batch's time
	// includes waiting for a CPU: the file grew 1.66× in a 600,000-delivery
	// soak (docs/PERFORMANCE.md).
	Pause time.Duration
	// Turn runs one batch's transaction (fn) when the writer may take it; the
	// server passes the committer's WhenIdle, so a batch starts only when no
	// signal waits to be committed (or after TurnWait without such a moment).
	// Default: at once.
	Turn     func(ctx context.Context, maxWait time.Duration, fn func()) error
	TurnWait time.Duration    // default 100ms
	Now      func() time.Time // default time.Now
	// Observe, when set, is told what each pass removed (for metrics).
	Observe func(store.PruneResult, time.Duration)
	Logger  *slog.Logger
}

// Pruner deletes what is past retention.
type Pruner struct {
	st   Store
	opts Options
}

// New returns a pruner over st.
func New(st Store, opts Options) *Pruner {
	if opts.Interval <= 0 {
		shortest := opts.Retention
		for _, d := range []time.Duration{opts.ImageRetention, opts.KeyWindow} {
			if d > 0 && (shortest == 0 || d < shortest) {
				shortest = d
			}
		}
		opts.Interval = min(max(shortest/20, time.Second), 5*time.Minute)
	}
	if opts.Batch <= 0 {
		opts.Batch = store.DefaultPruneLimit
	}
	if opts.MaxBatch < opts.Batch {
		opts.MaxBatch = max(opts.Batch, 20000)
	}
	if opts.HoldTarget <= 0 {
		opts.HoldTarget = 20 * time.Millisecond
	}
	if opts.Pause <= 0 {
		opts.Pause = 2 * time.Millisecond
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Turn == nil {
		opts.Turn = func(_ context.Context, _ time.Duration, fn func()) error { fn(); return nil }
	}
	if opts.TurnWait <= 0 {
		opts.TurnWait = 100 * time.Millisecond
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Pruner{st: st, opts: opts}
}

// Enabled reports whether there is anything to prune.
func (p *Pruner) Enabled() bool {
	return p.opts.Retention > 0 || p.opts.ImageRetention > 0 || p.opts.KeyWindow > 0
}

// Run prunes every Interval until ctx is done. A failed pass is logged and
// tried again at the next one.
func (p *Pruner) Run(ctx context.Context) error {
	if !p.Enabled() {
		<-ctx.Done()
		return nil
	}
	t := time.NewTicker(p.opts.Interval)
	defer t.Stop()
	for {
		if _, err := p.Pass(ctx); err != nil && ctx.Err() == nil {
			p.opts.Logger.Error("prune failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// Pass removes everything past retention now, batch after batch, and returns
// what it removed.
func (p *Pruner) Pass(ctx context.Context) (store.PruneResult, error) {
	start := time.Now()
	now := p.opts.Now()
	b := store.PruneBatch{Limit: p.opts.Batch}
	if p.opts.Retention > 0 {
		b.Before = now.Add(-p.opts.Retention)
	}
	if p.opts.ImageRetention > 0 && (p.opts.Retention == 0 || p.opts.ImageRetention < p.opts.Retention) {
		b.ImagesBefore = now.Add(-p.opts.ImageRetention)
	}
	if p.opts.KeyWindow > 0 {
		b.KeysBefore = now.Add(-p.opts.KeyWindow)
	}
	if p.opts.Retention > 0 {
		b.StatsBefore = now.Add(-max(p.opts.Retention, StatsKeep))
	}
	var sum store.PruneResult
	for first := true; ; first = false {
		if !first {
			if err := sleep(ctx, p.opts.Pause); err != nil {
				return sum, err
			}
		}
		var r store.PruneResult
		var err error
		if terr := p.opts.Turn(ctx, p.opts.TurnWait, func() { r, err = p.st.Prune(ctx, b) }); terr != nil {
			return sum, fmt.Errorf("prune: wait for the writer: %w", terr)
		}
		if err != nil {
			return sum, fmt.Errorf("prune: %w", err)
		}
		sum = sum.Add(r)
		if !r.Full {
			break
		}
		b.AfterID = r.NextID
		switch {
		case r.Held > p.opts.HoldTarget:
			b.Limit = max(b.Limit/2, min(p.opts.Batch, 50))
		case r.Held < p.opts.HoldTarget/4:
			b.Limit = min(b.Limit*2, p.opts.MaxBatch)
		}
	}
	if p.opts.Observe != nil {
		p.opts.Observe(sum, time.Since(start))
	}
	if sum.Deliveries+sum.Events+sum.Images+sum.Keys+sum.Stats > 0 {
		p.opts.Logger.Debug("pruned", "deliveries", sum.Deliveries, "attempts", sum.Attempts,
			"events", sum.Events, "images", sum.Images, "keys", sum.Keys, "stats", sum.Stats, "took", time.Since(start))
	}
	return sum, nil
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
