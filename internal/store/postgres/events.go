package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/hookcast/hookcast/internal/store"
	"github.com/hookcast/hookcast/internal/store/internal/sqlutil"
)

// insertEvent writes the event and its deliveries in one statement (one round
// trip). The deliveries come from the event insert's RETURNING, so when the
// event id already exists nothing at all is written. Deliveries are inserted in
// input order, so their ids, sorted, are the input order.
var insertEvent = `WITH e AS (
		INSERT INTO events (` + sqlutil.EventColumns + `) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
		ON CONFLICT (id) DO NOTHING RETURNING id, account_id
	), d AS (
		INSERT INTO deliveries (` + sqlutil.DeliveryWriteColumns + `)
		SELECT e.id, e.account_id, x.webhook_id, x.event_type, x.event_name, x.state, x.attempts,
			x.next_attempt_at, x.last_status, x.last_error, x.created_at, x.updated_at, x.lease_owner, x.lease_until
		FROM e, unnest($11::bigint[], $12::text[], $13::text[], $14::text[], $15::int[], $16::bigint[],
			$17::int[], $18::text[], $19::bigint[], $20::bigint[], $21::text[], $22::bigint[]) WITH ORDINALITY
			AS x(webhook_id, event_type, event_name, state, attempts, next_attempt_at, last_status, last_error,
				created_at, updated_at, lease_owner, lease_until, i)
		ORDER BY x.i
		RETURNING id
	)
	SELECT (SELECT count(*) FROM e), coalesce((SELECT array_agg(id ORDER BY id) FROM d), '{}')`

// InsertEvent implements store.Tx.
func (t *pgTx) InsertEvent(ctx context.Context, ev store.Event, deliveries []store.Delivery) ([]int64, error) {
	ds := slices.Clone(deliveries)
	sqlutil.PrepareEvent(&ev, ds, sqlutil.Now())
	args, err := sqlutil.EventValues(&ev)
	if err != nil {
		return nil, wrap("insert event", err)
	}
	n := len(ds)
	var (
		webhooks, nexts, created, updated = make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n)
		types, names, states, lastErrors  = make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		attempts, statuses                = make([]int32, n), make([]int32, n)
		owners, leases                    = make([]string, n), make([]int64, n)
	)
	for i, d := range ds {
		webhooks[i], nexts[i], created[i], updated[i] = d.WebhookID, sqlutil.Micros(d.NextAttemptAt), sqlutil.Micros(d.CreatedAt), sqlutil.Micros(d.UpdatedAt)
		types[i], names[i], states[i], lastErrors[i] = d.EventType, d.EventName, string(d.State), d.LastError
		attempts[i], statuses[i] = int32(d.Attempts), int32(d.LastStatus)
		owners[i], leases[i] = d.LeaseOwner, sqlutil.Micros(d.LeaseUntil)
	}
	args = append(args, webhooks, types, names, states, attempts, nexts, statuses, lastErrors, created, updated, owners, leases)
	var inserted int
	var ids []int64
	if err := t.tx.QueryRow(ctx, insertEvent, args...).Scan(&inserted, &ids); err != nil {
		return nil, wrap("insert event", err)
	}
	if inserted == 0 {
		return nil, wrap("insert event", fmt.Errorf("event %q: %w", ev.ID, store.ErrConflict))
	}
	if len(ids) != n {
		return nil, wrap("insert event", fmt.Errorf("%d delivery ids for %d deliveries", len(ids), n))
	}
	return ids, nil
}

// InsertEvents implements store.Tx: one InsertEvent each, a round trip per
// event (its deliveries go in the same statement). An id given twice is a
// conflict of the second InsertEvent.
func (t *pgTx) InsertEvents(ctx context.Context, evs []store.NewEvent) ([][]int64, error) {
	out := make([][]int64, len(evs))
	for i, e := range evs {
		ids, err := t.InsertEvent(ctx, e.Event, e.Deliveries)
		if err != nil {
			return nil, err
		}
		out[i] = ids
	}
	return out, nil
}

// GetEvent implements store.Store.
func (s *Store) GetEvent(ctx context.Context, accountID, eventID string) (store.Event, error) {
	e, err := sqlutil.ScanEvent(s.pool.QueryRow(ctx,
		"SELECT "+sqlutil.EventColumns+" FROM events WHERE account_id = $1 AND id = $2", accountID, eventID))
	if errors.Is(err, pgx.ErrNoRows) {
		err = fmt.Errorf("event %q: %w", eventID, store.ErrNotFound)
	}
	return e, wrap("get event", err)
}

// ListEvents implements store.Store.
func (s *Store) ListEvents(ctx context.Context, q store.EventQuery) ([]store.Event, error) {
	a := sqlutil.Args{Dollar: true}
	where := "TRUE"
	if q.AccountID != "" {
		where += " AND account_id = " + a.Add(q.AccountID)
	}
	if q.StreamName != "" {
		where += " AND stream_name = " + a.Add(q.StreamName)
	}
	if q.Type != "" {
		where += " AND type = " + a.Add(q.Type)
	}
	rows, err := s.pool.Query(ctx, "SELECT "+sqlutil.EventColumns+" FROM events WHERE "+where+
		" ORDER BY created_at DESC, id DESC LIMIT "+a.Add(sqlutil.Limit(q.Limit, false)), a.List...)
	out, err := collect(rows, err, sqlutil.ScanEvent)
	return out, wrap("list events", err)
}
