package commit

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/hookcast/hookcast/internal/engine"
	"github.com/hookcast/hookcast/internal/store"
)

// result is what one transaction produced, reported after the commit.
type result struct {
	signals, events, deliveries int
	handoff                     []store.ClaimedDelivery // deliveries inserted leased, for Handoff
	// The lease asked of the dispatcher at leasedAt (take nil: not asked yet).
	leasedAt    time.Time
	leaseOwner  string
	leaseUntil  time.Time
	take        func(w *store.Webhook) bool
	earliestDue int64
	// What each request did (its answer), which were replays of a request seen
	// before (applied not again), and which replay one earlier in this group.
	outcomes map[*request]Outcome
	replayed map[*request]bool
	sameAs   map[*request]*request
}

// streams holds the states loaded in one transaction, and the rows they were
// decoded from (absent: no row), so that only what changed is written back.
type streams struct {
	rows   map[engine.StreamKey]*engine.State
	loaded map[engine.StreamKey]store.StreamRow
}

func newStreams(n int) streams {
	return streams{rows: make(map[engine.StreamKey]*engine.State, n), loaded: make(map[engine.StreamKey]store.StreamRow, n)}
}

// add decodes row (State nil: no row) as the state of k.
func (ss streams) add(k store.StreamKey, row store.StreamRow) (*engine.State, error) {
	st, err := decodeState(k, row)
	if err != nil {
		return nil, err
	}
	ek := engine.StreamKey{AccountID: k.AccountID, Name: k.Name}
	ss.rows[ek] = st
	if row.State != nil {
		ss.loaded[ek] = row
	}
	return st, nil
}

func (p *Committer) applyGroup(ctx context.Context, tx store.Tx, group []*request, res *result) error {
	// Lock every stream the group touches in one call (the store takes the locks
	// in a fixed order, so concurrent transactions cannot deadlock), then apply
	// the signals in the order received.
	res.outcomes, res.sameAs = map[*request]Outcome{}, map[*request]*request{}
	skip, err := p.dedup(ctx, tx, group, res)
	if err != nil {
		return err
	}
	var keys []store.StreamKey
	seen := map[store.StreamKey]bool{}
	for _, r := range group {
		if res.replayed[r] {
			continue
		}
		for i := range r.sigs {
			if skip[r] != nil && skip[r][i] {
				continue
			}
			if r.sigs[i].Stateful() {
				k := r.sigs[i].Stream()
				sk := store.StreamKey{AccountID: k.AccountID, Name: k.Name}
				if !seen[sk] {
					seen[sk] = true
					keys = append(keys, sk)
				}
			}
		}
	}
	ss := newStreams(len(keys))
	if len(keys) > 0 {
		rows, err := tx.LockStreams(ctx, keys)
		if err != nil {
			return fmt.Errorf("lock streams: %w", err)
		}
		for _, k := range keys {
			if _, err := ss.add(k, rows[k]); err != nil {
				return err
			}
		}
		if err := loadViewers(ctx, tx, group, skip, res, ss.rows); err != nil {
			return err
		}
	}
	w := writer{p: p, tx: tx, res: res, hooks: map[hookKey][]store.Webhook{}}
	for _, r := range group {
		if res.replayed[r] {
			continue
		}
		out := Outcome{Accepted: len(r.sigs) + len(r.events)}
		w.everyWebhook = false
		for i := range r.sigs {
			if skip[r] != nil && skip[r][i] {
				continue // a repeat of a signal already applied
			}
			sig := r.sigs[i]
			now := signalTime(sig.At, r.receipt)
			var st *engine.State
			if sig.Stateful() {
				st = ss.rows[sig.Stream()]
			}
			evs := p.eng.Apply(st, sig, now)
			for _, ev := range evs {
				if err := w.engineEvent(ctx, ev, r.receipt); err != nil {
					return err
				}
			}
			out.Events += len(evs)
			res.signals++
		}
		w.everyWebhook, w.chunk = r.everyWebhook, r.chunk
		for _, ev := range r.events {
			if err := w.event(ctx, ev, r.receipt); err != nil {
				return err
			}
		}
		out.Events += len(r.events)
		res.outcomes[r] = out
	}
	if err := w.flush(ctx); err != nil {
		return err
	}
	if err := saveStates(ctx, tx, ss, p.opts.Now().UnixMilli(), res); err != nil {
		return err
	}
	return p.finishOutcomes(ctx, tx, group, res)
}

// loadViewers tells each state about the viewers the group's signals name that it
// does not know: a state keeps only the count of its viewers, their ids are the
// store's rows (store.Tx.Viewers), so only those named are read, in one call.
func loadViewers(ctx context.Context, tx store.Tx, group []*request, skip map[*request][]bool,
	res *result, states map[engine.StreamKey]*engine.State) error {
	var keys []store.ViewerKey
	asked := map[store.ViewerKey]bool{}
	for _, r := range group {
		if res.replayed[r] {
			continue
		}
		for i := range r.sigs {
			id := r.sigs[i].Member()
			if id == "" || skip[r] != nil && skip[r][i] {
				continue
			}
			k := r.sigs[i].Stream()
			vk := store.ViewerKey{AccountID: k.AccountID, Name: k.Name, ViewerID: id}
			if !asked[vk] && !states[k].ViewerKnown(id) {
				asked[vk] = true
				keys = append(keys, vk)
			}
		}
	}
	if len(keys) == 0 {
		return nil
	}
	held, err := tx.Viewers(ctx, keys)
	if err != nil {
		return fmt.Errorf("load viewers: %w", err)
	}
	for _, k := range keys {
		states[engine.StreamKey{AccountID: k.AccountID, Name: k.Name}].KnowViewer(k.ViewerID, held[k])
	}
	return nil
}

// signalTime is when a signal happened: the media server's `at` when given and not
// in the future, else the time it was received.
func signalTime(at int64, receipt time.Time) int64 {
	r := receipt.UnixMilli()
	if at > 0 && at <= r {
		return at
	}
	return r
}

func decodeState(k store.StreamKey, row store.StreamRow) (*engine.State, error) {
	st := engine.NewState(engine.StreamKey{AccountID: k.AccountID, Name: k.Name})
	if row.State == nil {
		return st, nil
	}
	if err := st.UnmarshalBinary(row.State); err != nil {
		return nil, fmt.Errorf("decode state of %s/%s: %w", k.AccountID, k.Name, err)
	}
	return st, nil
}

// saveStates writes back the states the transaction held that changed, and the
// changes of their viewers (kept apart, one row each): idle ones are deleted so
// a stream nobody watches or publishes costs nothing (an idle state has no viewer
// left). A stream at rest is idle only once its clock is forgotten
// (engine.Config.ForgetAfter): until then its row stays, due when it is, so a
// signal received before it came to rest and committed after (queued here, or on
// another replica while that one fired the timer) is moved forward by the engine
// instead of applied at its older time to a fresh state.
//
// A row's due time may be earlier than the state's (keepDue): then the timer
// loop looks at the stream early, fires nothing and writes the true one. That
// keeps the due index still while a stream's next timer comes and goes (its last
// viewer leaves, another joins: noActiveViewers due, then not), which otherwise
// moved an index entry with nearly every signal of a large, thinly watched set of
// streams. now is the time of the transaction (the timer loop's horizon when
// firing): a due time at or before it is always replaced, so the loop never
// finds the same stream due again.
func saveStates(ctx context.Context, tx store.Tx, ss streams, now int64, res *result) error {
	rows := make([]store.StreamRow, 0, len(ss.rows))
	var viewers store.ViewerChanges
	for k, st := range ss.rows {
		row := store.StreamRow{Key: store.StreamKey{AccountID: k.AccountID, Name: k.Name}}
		addViewerChanges(&viewers, row.Key, st.ViewerChanges())
		old, existed := ss.loaded[k]
		if st.Idle() {
			if existed {
				rows = append(rows, row) // deleted
			}
			continue
		}
		b, err := st.MarshalBinary()
		if err != nil {
			return fmt.Errorf("encode state of %s/%s: %w", k.AccountID, k.Name, err)
		}
		row.State, row.DueAt = b, keepDue(old.DueAt, st.NextDue(), now)
		if existed && row.DueAt == old.DueAt {
			if bytes.Equal(b, old.State) {
				continue // nothing to write
			}
			row.SameDue = true
		} else if row.DueAt > 0 && (res.earliestDue == 0 || row.DueAt < res.earliestDue) {
			res.earliestDue = row.DueAt
		}
		rows = append(rows, row)
	}
	if err := tx.SaveStreams(ctx, rows); err != nil {
		return fmt.Errorf("save %d streams: %w", len(rows), err)
	}
	if !viewers.Empty() {
		if err := tx.SaveViewers(ctx, viewers); err != nil {
			return fmt.Errorf("save viewers of %d streams: %w", len(rows), err)
		}
	}
	return nil
}

// keepDue is the due time to store for a state due at due (0: never) whose row
// holds stored (0: none or no row): stored while it is still ahead of now and not
// later than due, else due. See saveStates.
func keepDue(stored, due, now int64) int64 {
	if stored > now && (due == 0 || stored < due) {
		return stored
	}
	return due
}

// addViewerChanges adds a stream's viewer changes to those of the transaction.
func addViewerChanges(all *store.ViewerChanges, k store.StreamKey, c engine.ViewerChanges) {
	if c.Cleared {
		all.Clear = append(all.Clear, k)
	}
	for _, id := range c.Removed {
		all.Remove = append(all.Remove, store.ViewerKey{AccountID: k.AccountID, Name: k.Name, ViewerID: id})
	}
	for _, id := range c.Added {
		all.Add = append(all.Add, store.ViewerKey{AccountID: k.AccountID, Name: k.Name, ViewerID: id})
	}
}
