package commit

import (
	"container/list"
	"context"
	"fmt"
	"regexp"
	"slices"
	"sync"
	"time"

	"github.com/hookcast/hookcast/internal/engine"
	"github.com/hookcast/hookcast/internal/store"
)

// writer stores the events of one transaction with their deliveries. It keeps
// them until flush, so the store inserts the whole group in a few statements.
type writer struct {
	p     *Committer
	tx    store.Tx
	res   *result
	hooks map[hookKey][]store.Webhook // per transaction: webhooks change rarely, events often
	// everyWebhook ignores filters (test events); chunk, when set, limits the
	// webhooks to one chunk of a test event's.
	everyWebhook bool
	chunk        *testChunk
	evs          []store.NewEvent
	webhooks     [][]store.Webhook // the webhook of each of evs' deliveries
}

type hookKey struct{ account, typ string }

func (w *writer) engineEvent(ctx context.Context, ev engine.Event, receipt time.Time) error {
	body, err := ev.Body()
	if err != nil {
		return fmt.Errorf("encode %s.%s event: %w", ev.Type, ev.Event, err)
	}
	return w.event(ctx, store.Event{
		AccountID:   ev.AccountID,
		Type:        ev.Type,
		Event:       ev.Event,
		StreamName:  ev.Name,
		Timestamp:   ev.Timestamp,
		ContentType: "application/json",
		Body:        body,
	}, receipt)
}

// event adds ev, with one delivery per webhook of the account that wants it
// (events.md §2), to what flush inserts: pending when the webhook is enabled,
// skipped while it is disabled.
func (w *writer) event(ctx context.Context, ev store.Event, receipt time.Time) error {
	if ev.ID == "" {
		ev.ID = NewEventID(receipt)
	}
	if ev.CreatedAt.IsZero() {
		ev.CreatedAt = receipt
	}
	k := hookKey{ev.AccountID, ev.Type}
	hooks, ok := w.hooks[k]
	if !ok {
		var err error
		hooks, err = w.tx.WebhooksFor(ctx, ev.AccountID, ev.Type)
		if err != nil {
			return fmt.Errorf("webhooks of %s for %s: %w", ev.AccountID, ev.Type, err)
		}
		w.hooks[k] = hooks
	}
	var ds []store.Delivery
	var ws []store.Webhook
	if w.p.opts.Lease != nil && w.res.take == nil {
		w.res.leasedAt = w.p.opts.Now()
		w.res.leaseOwner, w.res.leaseUntil, w.res.take = w.p.opts.Lease(w.res.leasedAt)
	}
	stored := false
	if c := w.chunk; c != nil {
		hooks = c.take(hooks)
		stored = c.stored
		if len(hooks) == 0 && stored {
			return nil // its webhooks are gone since the last chunk
		}
	}
	for _, h := range hooks {
		if !w.everyWebhook && !w.p.match.matches(h.Filter, ev.StreamName) {
			continue
		}
		state := store.DeliveryPending
		if disabledAt(h, receipt) {
			state = store.DeliverySkipped
		}
		d := store.Delivery{
			AccountID:     ev.AccountID,
			EventID:       ev.ID,
			WebhookID:     h.ID,
			EventType:     ev.Type,
			EventName:     ev.Event,
			State:         state,
			NextAttemptAt: receipt,
			CreatedAt:     receipt,
			UpdatedAt:     receipt,
		}
		if state == store.DeliveryPending && w.res.take != nil && w.res.take(&h) {
			d.LeaseOwner, d.LeaseUntil = w.res.leaseOwner, w.res.leaseUntil
		}
		ds = append(ds, d)
		ws = append(ws, h)
	}
	if len(ds) == 0 && !w.p.opts.KeepUnwanted {
		return nil
	}
	w.evs = append(w.evs, store.NewEvent{Event: ev, Deliveries: ds, Stored: stored})
	if w.chunk != nil {
		w.chunk.wrote = !stored
	}
	w.webhooks = append(w.webhooks, ws)
	return nil
}

// take returns this chunk's part of hooks (by id, as WebhooksFor lists them)
// and notes where it stopped.
func (c *testChunk) take(hooks []store.Webhook) []store.Webhook {
	i := 0
	for i < len(hooks) && hooks[i].ID <= c.after {
		i++
	}
	hooks = hooks[i:]
	c.more = len(hooks) > maxTestChunk
	hooks = hooks[:min(len(hooks), maxTestChunk)]
	c.last = c.after
	if len(hooks) > 0 {
		c.last = hooks[len(hooks)-1].ID
	}
	return hooks
}

// flush inserts the events kept so far and lists the deliveries leased to the
// dispatcher, for Handoff.
func (w *writer) flush(ctx context.Context) error {
	if len(w.evs) == 0 {
		return nil
	}
	ids, err := w.tx.InsertEvents(ctx, w.evs)
	if err != nil {
		return fmt.Errorf("insert %d events: %w", len(w.evs), err)
	}
	n := 0
	for i := range ids {
		n += len(ids[i])
	}
	w.res.handoff = slices.Grow(w.res.handoff, n)
	for i, e := range w.evs {
		w.res.events++
		w.res.deliveries += len(ids[i])
		for k, id := range ids[i] {
			d := e.Deliveries[k]
			if d.State != store.DeliveryPending || d.LeaseOwner == "" {
				continue
			}
			d.ID = id
			w.res.handoff = append(w.res.handoff, store.ClaimedDelivery{Delivery: d, Event: e.Event, Webhook: w.webhooks[i][k]})
		}
	}
	w.evs, w.webhooks = nil, nil
	return nil
}

// disabledAt reports whether h is disabled at t (a disable with an end lifts by itself).
func disabledAt(h store.Webhook, t time.Time) bool {
	return h.Disabled && (h.DisabledUntil.IsZero() || t.Before(h.DisabledUntil))
}

// maxFilters is how many compiled filters the matcher keeps (a compiled
// filter takes up to ~45 KB): the filters of the webhooks in use fit, and
// accounts that make many distinct ones cannot grow the process without end.
const maxFilters = 1024

// matcher caches compiled webhook filters, the least recently used going first
// once maxFilters are kept. The API validates filters when they are saved; one
// that no longer compiles matches nothing rather than everything.
type matcher struct {
	mu    sync.Mutex
	max   int                      // 0: maxFilters
	order list.List                // of *filterEntry, most recently used first
	byKey map[string]*list.Element // filter → its element in order
}

type filterEntry struct {
	filter string
	re     *regexp.Regexp // nil when invalid
}

func (m *matcher) matches(filter, name string) bool {
	if filter == "" {
		return true
	}
	re := m.compiled(filter)
	return re != nil && re.MatchString(name)
}

func (m *matcher) compiled(filter string) *regexp.Regexp {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.byKey == nil {
		m.byKey = map[string]*list.Element{}
	}
	if e, ok := m.byKey[filter]; ok {
		m.order.MoveToFront(e)
		return e.Value.(*filterEntry).re
	}
	re, err := regexp.Compile(filter)
	if err != nil {
		re = nil
	}
	m.byKey[filter] = m.order.PushFront(&filterEntry{filter: filter, re: re})
	limit := m.max
	if limit <= 0 {
		limit = maxFilters
	}
	for m.order.Len() > limit {
		last := m.order.Back()
		m.order.Remove(last)
		delete(m.byKey, last.Value.(*filterEntry).filter)
	}
	return re
}

// size is how many filters are kept (for tests).
func (m *matcher) size() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.order.Len()
}
