package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hookcast/hookcast/internal/store"
	"github.com/hookcast/hookcast/internal/store/internal/sqlutil"
)

// GetDelivery implements store.Store.
func (s *Store) GetDelivery(ctx context.Context, accountID string, id int64) (store.Delivery, []store.Attempt, error) {
	d, err := sqlutil.ScanDelivery(s.pool.QueryRow(ctx,
		"SELECT "+sqlutil.DeliveryColumns+" FROM deliveries WHERE account_id = $1 AND id = $2", accountID, id))
	if errors.Is(err, pgx.ErrNoRows) {
		err = fmt.Errorf("delivery %d: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return d, nil, wrap("get delivery", err)
	}
	rows, err := s.pool.Query(ctx, "SELECT "+sqlutil.AttemptColumns+" FROM attempts WHERE delivery_id = $1 ORDER BY n, id", id)
	attempts, err := collect(rows, err, sqlutil.ScanAttempt)
	return d, attempts, wrap("get delivery attempts", err)
}

// ListDeliveries implements store.Store.
func (s *Store) ListDeliveries(ctx context.Context, q store.DeliveryQuery) ([]store.Delivery, error) {
	a := sqlutil.Args{Dollar: true}
	where := sqlutil.DeliveryFilter(&a, q, "")
	rows, err := s.pool.Query(ctx, "SELECT "+sqlutil.DeliveryColumns+" FROM deliveries WHERE "+where+
		" ORDER BY id DESC LIMIT "+a.Add(sqlutil.Limit(q.Limit, false)), a.List...)
	out, err := collect(rows, err, sqlutil.ScanDelivery)
	return out, wrap("list deliveries", err)
}

// Resend implements store.Store. The tests of state and lease outside the
// subquery are evaluated again on the locked row, so a row claimed or resent
// meanwhile by another replica is left alone.
func (s *Store) Resend(ctx context.Context, accountID string, ids []int64, q store.DeliveryQuery, now time.Time) ([]int64, error) {
	us := sqlutil.Micros(now)
	a := sqlutil.Args{Dollar: true, List: []any{us}}
	upd := `UPDATE deliveries SET state = 'pending', next_attempt_at = $1, lease_owner = '', lease_until = 0,
		updated_at = $1 WHERE `
	if len(ids) > 0 {
		upd += "account_id = " + a.Add(accountID) + " AND id = ANY (" + a.Add(ids) + ")" +
			" AND NOT (state = 'pending' AND lease_until > $1)"
	} else {
		q.AccountID = accountID
		upd += "id IN (SELECT id FROM deliveries WHERE " + sqlutil.DeliveryFilter(&a, q, "") +
			" AND state IN ('failed', 'skipped') ORDER BY id DESC LIMIT " + a.Add(sqlutil.Limit(q.Limit, false)) + ")" +
			" AND state IN ('failed', 'skipped')"
	}
	upd += " AND EXISTS (SELECT 1 FROM webhooks w WHERE w.id = deliveries.webhook_id) RETURNING id"
	rows, err := s.pool.Query(ctx, upd, a.List...)
	out, err := collect(rows, err, func(sc sqlutil.Scanner) (int64, error) {
		var id int64
		err := sc.Scan(&id)
		return id, err
	})
	slices.Sort(out)
	return out, wrap("resend", err)
}

// CountDeliveries implements store.Store. Every state is in the map, zero or not.
func (s *Store) CountDeliveries(ctx context.Context) (map[store.DeliveryState]int64, time.Time, error) {
	counts := map[store.DeliveryState]int64{
		store.DeliveryPending: 0, store.DeliverySucceeded: 0, store.DeliveryFailed: 0, store.DeliverySkipped: 0,
	}
	// The deltas kept by triggers (migration 0008), folded first into one row
	// per state (a concurrent fold by another replica takes other rows), not
	// a count of the table.
	if _, err := s.pool.Exec(ctx, `WITH gone AS (DELETE FROM delivery_count_deltas RETURNING state, d)
		INSERT INTO delivery_count_deltas (state, d) SELECT state, sum(d) FROM gone GROUP BY state`); err != nil {
		return nil, time.Time{}, wrap("count deliveries", err)
	}
	rows, err := s.pool.Query(ctx, "SELECT state, sum(d)::bigint FROM delivery_count_deltas GROUP BY state")
	_, err = collect(rows, err, func(sc sqlutil.Scanner) (struct{}, error) {
		var state string
		var n int64
		err := sc.Scan(&state, &n)
		counts[store.DeliveryState(state)] = n
		return struct{}{}, err
	})
	if err != nil {
		return nil, time.Time{}, wrap("count deliveries", err)
	}
	var oldest *int64
	if err := s.pool.QueryRow(ctx, "SELECT (SELECT created_at FROM deliveries WHERE id = (SELECT min(id) FROM deliveries WHERE state = 'pending'))").Scan(&oldest); err != nil {
		return nil, time.Time{}, wrap("count deliveries", err)
	}
	if oldest == nil {
		return counts, time.Time{}, nil
	}
	return counts, sqlutil.Time(*oldest), nil
}
