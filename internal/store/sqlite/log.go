package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/hookcast/hookcast/internal/store"
	"github.com/hookcast/hookcast/internal/store/internal/sqlutil"
)

// GetDelivery implements store.Store.
func (s *Store) GetDelivery(ctx context.Context, accountID string, id int64) (store.Delivery, []store.Attempt, error) {
	d, err := sqlutil.ScanDelivery(s.read.QueryRowContext(ctx,
		"SELECT "+sqlutil.DeliveryColumns+" FROM deliveries WHERE account_id = ? AND id = ?", accountID, id))
	if errors.Is(err, sql.ErrNoRows) {
		err = fmt.Errorf("delivery %d: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return d, nil, wrap("get delivery", err)
	}
	// The earlier attempts, then the latest, kept in the delivery's row.
	rows, err := s.read.QueryContext(ctx, "SELECT "+sqlutil.AttemptColumns+` FROM (
		SELECT `+sqlutil.AttemptColumns+`, 0 AS latest, rowid AS seq FROM attempts WHERE delivery_id = ?1
		UNION ALL
		SELECT id, last_n, last_at, last_status, last_latency_us, last_error, last_response, 1, 0
		FROM deliveries WHERE id = ?1 AND last_at > 0
	) ORDER BY latest, n, seq`, id)
	attempts, err := collect(rows, err, sqlutil.ScanAttempt)
	return d, attempts, wrap("get delivery attempts", err)
}

// ListDeliveries implements store.Store.
func (s *Store) ListDeliveries(ctx context.Context, q store.DeliveryQuery) ([]store.Delivery, error) {
	var a sqlutil.Args
	where := sqlutil.DeliveryFilter(&a, q, "")
	rows, err := s.read.QueryContext(ctx, "SELECT "+sqlutil.DeliveryColumns+" FROM deliveries WHERE "+where+
		" ORDER BY id DESC LIMIT "+a.Add(sqlutil.Limit(q.Limit, true)), a.List...)
	out, err := collect(rows, err, sqlutil.ScanDelivery)
	return out, wrap("list deliveries", err)
}

// Resend implements store.Store.
func (s *Store) Resend(ctx context.Context, accountID string, ids []int64, q store.DeliveryQuery, now time.Time) ([]int64, error) {
	us := sqlutil.Micros(now)
	a := sqlutil.Args{List: []any{us, us}}
	upd := `UPDATE deliveries SET state = 'pending', next_attempt_at = ?, lease_owner = '', lease_until = 0,
		updated_at = ? WHERE `
	if len(ids) > 0 {
		upd += "account_id = " + a.Add(accountID) + " AND id IN (" + a.AddInts(ids) + ")" +
			" AND NOT (state = 'pending' AND lease_until > " + a.Add(us) + ")"
	} else {
		q.AccountID = accountID
		upd += "id IN (SELECT id FROM deliveries WHERE " + sqlutil.DeliveryFilter(&a, q, "") +
			" AND state IN ('failed', 'skipped') ORDER BY id DESC LIMIT " + a.Add(sqlutil.Limit(q.Limit, true)) + ")" +
			" AND state IN ('failed', 'skipped')"
	}
	upd += " AND EXISTS (SELECT 1 FROM webhooks w WHERE w.id = deliveries.webhook_id) RETURNING id"
	var out []int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, upd, a.List...)
		out, err = collect(rows, err, scanID)
		return err
	})
	slices.Sort(out)
	return out, wrap("resend", err)
}

func scanID(s sqlutil.Scanner) (int64, error) {
	var id int64
	err := s.Scan(&id)
	return id, err
}

// oldestPendingQuery finds the oldest pending delivery's creation time
// through deliveries_pending_id (migration 0018): one index entry, not a walk
// over every pending one. Named, because the planner, knowing nothing of the
// tables' sizes, prefers deliveries_claim, which also covers (state, id).
const oldestPendingQuery = "SELECT (SELECT created_at FROM deliveries WHERE id = (SELECT min(id) FROM deliveries INDEXED BY deliveries_pending_id WHERE state = 'pending'))"

// CountDeliveries implements store.Store. Every state is in the map, zero or not.
func (s *Store) CountDeliveries(ctx context.Context) (map[store.DeliveryState]int64, time.Time, error) {
	counts := map[store.DeliveryState]int64{
		store.DeliveryPending: 0, store.DeliverySucceeded: 0, store.DeliveryFailed: 0, store.DeliverySkipped: 0,
	}
	// The counters kept by triggers (migration 0009), not a count of the table.
	rows, err := s.read.QueryContext(ctx, "SELECT state, n FROM delivery_counts")
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
	var oldest sql.NullInt64
	err = s.read.QueryRowContext(ctx, oldestPendingQuery).Scan(&oldest)
	return counts, sqlutil.Time(oldest.Int64), wrap("count deliveries", err)
}
