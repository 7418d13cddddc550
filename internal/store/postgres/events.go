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

// insertEvents writes a group's events and their deliveries in one statement
// (one round trip, one plan, whatever the group's size): every column an array,
// unnest makes the rows, as LockStreams and SaveStreams do. The deliveries of an
// event whose id already exists are not written; the caller then fails the
// transaction. Deliveries are inserted in input order, so their ids, sorted,
// are the input order.
var insertEvents = `WITH e AS (
		INSERT INTO events (` + sqlutil.EventColumns + `)
		SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[],
			$7::text[], $8::text[], $9::bytea[], $10::bigint[])
		ON CONFLICT (id) DO NOTHING RETURNING id
	), d AS (
		INSERT INTO deliveries (` + sqlutil.DeliveryWriteColumns + `)
		SELECT x.event_id, x.account_id, x.webhook_id, x.event_type, x.event_name, x.state, x.attempts,
			x.next_attempt_at, x.last_status, x.last_error, x.created_at, x.updated_at, x.lease_owner, x.lease_until
		FROM unnest($11::text[], $12::text[], $13::bigint[], $14::text[], $15::text[], $16::text[], $17::int[],
			$18::bigint[], $19::int[], $20::text[], $21::bigint[], $22::bigint[], $23::text[], $24::bigint[])
			WITH ORDINALITY AS x(event_id, account_id, webhook_id, event_type, event_name, state, attempts,
				next_attempt_at, last_status, last_error, created_at, updated_at, lease_owner, lease_until, i)
		WHERE x.event_id IN (SELECT id FROM e UNION ALL SELECT id FROM events WHERE id = ANY($25::text[]))
		ORDER BY x.i
		RETURNING id
	)
	SELECT coalesce((SELECT array_agg(id) FROM e), '{}'), coalesce((SELECT array_agg(id ORDER BY id) FROM d), '{}')`

// InsertEvents implements store.Tx: one statement (insertEvents) for the group.
// An id given twice, or one that exists, is a conflict (but for Stored events,
// whose deliveries alone are inserted).
func (t *pgTx) InsertEvents(ctx context.Context, evs []store.NewEvent) ([][]int64, error) {
	if len(evs) == 0 {
		return nil, nil
	}
	now := sqlutil.Now()
	n := 0
	for i := range evs {
		n += len(evs[i].Deliveries)
	}
	var (
		eventIDs, accounts, types, names, states = make([]string, 0, n), make([]string, 0, n), make([]string, 0, n), make([]string, 0, n), make([]string, 0, n)
		lastErrors, owners                       = make([]string, 0, n), make([]string, 0, n)
		webhooks, nexts, created, updated        = make([]int64, 0, n), make([]int64, 0, n), make([]int64, 0, n), make([]int64, 0, n)
		leases                                   = make([]int64, 0, n)
		attempts, statuses                       = make([]int32, 0, n), make([]int32, 0, n)
	)
	e := struct {
		ids, accounts, types, events, streams, contentTypes, headers []string
		timestamps, createdAt                                        []int64
		bodies                                                       [][]byte
	}{}
	seen := make(map[string]bool, len(evs))
	stored := []string{}
	for i := range evs {
		x := evs[i].Event
		if seen[x.ID] {
			return nil, wrap("insert events", fmt.Errorf("event %q twice: %w", x.ID, store.ErrConflict))
		}
		seen[x.ID] = true
		ds := slices.Clone(evs[i].Deliveries)
		sqlutil.PrepareEvent(&x, ds, now)
		for _, d := range ds {
			eventIDs, accounts, webhooks = append(eventIDs, d.EventID), append(accounts, d.AccountID), append(webhooks, d.WebhookID)
			types, names, states = append(types, d.EventType), append(names, d.EventName), append(states, string(d.State))
			attempts, nexts, statuses = append(attempts, int32(d.Attempts)), append(nexts, sqlutil.Micros(d.NextAttemptAt)), append(statuses, int32(d.LastStatus))
			lastErrors, created, updated = append(lastErrors, d.LastError), append(created, sqlutil.Micros(d.CreatedAt)), append(updated, sqlutil.Micros(d.UpdatedAt))
			owners, leases = append(owners, d.LeaseOwner), append(leases, sqlutil.Micros(d.LeaseUntil))
		}
		if evs[i].Stored {
			stored = append(stored, x.ID)
			continue
		}
		h, err := sqlutil.EncodeHeaders(x.Headers)
		if err != nil {
			return nil, wrap("insert events", err)
		}
		body := x.Body
		if body == nil {
			body = []byte{}
		}
		e.ids, e.accounts, e.types, e.events = append(e.ids, x.ID), append(e.accounts, x.AccountID), append(e.types, x.Type), append(e.events, x.Event)
		e.streams, e.contentTypes, e.headers = append(e.streams, x.StreamName), append(e.contentTypes, x.ContentType), append(e.headers, h)
		e.timestamps, e.createdAt, e.bodies = append(e.timestamps, x.Timestamp), append(e.createdAt, sqlutil.Micros(x.CreatedAt)), append(e.bodies, body)
	}
	var inserted []string
	var ids []int64
	err := t.tx.QueryRow(ctx, insertEvents,
		e.ids, e.accounts, e.types, e.events, e.streams, e.timestamps, e.contentTypes, e.headers, e.bodies, e.createdAt,
		eventIDs, accounts, webhooks, types, names, states, attempts, nexts, statuses, lastErrors, created, updated, owners, leases,
		stored,
	).Scan(&inserted, &ids)
	if err != nil {
		return nil, wrap("insert events", err)
	}
	if len(inserted) != len(e.ids) {
		got := make(map[string]bool, len(inserted))
		for _, id := range inserted {
			got[id] = true
		}
		for _, id := range e.ids {
			if !got[id] {
				return nil, wrap("insert events", fmt.Errorf("event %q: %w", id, store.ErrConflict))
			}
		}
	}
	if len(ids) != n {
		if len(stored) > 0 {
			// An event said to be stored is not: its deliveries were left out.
			return nil, wrap("insert events", fmt.Errorf("deliveries of events stored before (%d of %d written): %w",
				len(ids), n, store.ErrNotFound))
		}
		return nil, wrap("insert events", fmt.Errorf("%d delivery ids for %d deliveries", len(ids), n))
	}
	out := make([][]int64, len(evs))
	for i := range evs {
		k := len(evs[i].Deliveries)
		out[i], ids = ids[:k:k], ids[k:]
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
