package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hookcast/hookcast/internal/store"
	"github.com/hookcast/hookcast/internal/store/internal/sqlutil"
)

// Prune implements store.Store in one transaction of a few statements over at
// most Limit rows each, so row locks are held briefly and replicas inserting
// meanwhile do not wait. Deleted rows become dead tuples that autovacuum
// reclaims for later inserts, so the tables stop growing once retention starts.
// Identity ids are never given twice, so even the newest delivery may go.
func (s *Store) Prune(ctx context.Context, p store.PruneBatch) (store.PruneResult, error) {
	if p.Limit <= 0 {
		p.Limit = store.DefaultPruneLimit
	}
	var res store.PruneResult
	var began time.Time
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		began = time.Now()
		res = store.PruneResult{NextID: p.AfterID}
		if p.Before.IsZero() {
			return pgPruneRest(ctx, tx, p, &res)
		}
		before := sqlutil.Micros(p.Before)
		rows, err := tx.Query(ctx, `SELECT id, created_at < $1 AND state <> 'pending', created_at < $1
			FROM deliveries WHERE id > $2 ORDER BY id LIMIT $3`, before, p.AfterID, p.Limit)
		if err != nil {
			return err
		}
		ids, err := sqlutil.PickPrunable(rows, p.Limit, &res)
		rows.Close()
		if err == nil {
			err = rows.Err()
		}
		if err != nil {
			return err
		}
		if len(ids) > 0 {
			if err := pgPruneDeliveries(ctx, tx, ids, &res); err != nil {
				return err
			}
		}
		if res.Full {
			return nil
		}
		tag, err := tx.Exec(ctx, `DELETE FROM events WHERE id IN (SELECT id FROM events e WHERE created_at < $1
			AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = e.id) ORDER BY created_at LIMIT $2)`, before, p.Limit)
		if err != nil {
			return fmt.Errorf("events without deliveries: %w", err)
		}
		res.Events += tag.RowsAffected()
		res.Full = res.Full || tag.RowsAffected() == int64(p.Limit)
		return pgPruneRest(ctx, tx, p, &res)
	})
	if !began.IsZero() {
		res.Held = time.Since(began)
	}
	return res, wrap("prune", err)
}

// pgPruneDeliveries deletes ids (rechecked: a delivery resent meanwhile is
// pending again; FOR UPDATE waits for a FinishAttempts in flight) with their
// attempts, then their events left without any.
func pgPruneDeliveries(ctx context.Context, tx pgx.Tx, ids []int64, res *store.PruneResult) error {
	rows, err := tx.Query(ctx, `SELECT id FROM deliveries WHERE id = ANY($1) AND state <> 'pending'
		ORDER BY id FOR UPDATE`, ids)
	ids, err = collect(rows, err, func(sc sqlutil.Scanner) (int64, error) {
		var id int64
		err := sc.Scan(&id)
		return id, err
	})
	if err != nil || len(ids) == 0 {
		return err
	}
	tag, err := tx.Exec(ctx, "DELETE FROM attempts WHERE delivery_id = ANY($1)", ids)
	if err != nil {
		return fmt.Errorf("attempts: %w", err)
	}
	res.Attempts = tag.RowsAffected()
	var events []string
	if err := tx.QueryRow(ctx, `WITH d AS (DELETE FROM deliveries WHERE id = ANY($1) RETURNING event_id)
		SELECT coalesce(array_agg(DISTINCT event_id), '{}') FROM d`, ids).Scan(&events); err != nil {
		return fmt.Errorf("deliveries: %w", err)
	}
	res.Deliveries = int64(len(ids))
	tag, err = tx.Exec(ctx, `DELETE FROM events e WHERE id = ANY($1)
		AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = e.id)`, events)
	if err != nil {
		return fmt.Errorf("events: %w", err)
	}
	res.Events = tag.RowsAffected()
	return nil
}

// pgPruneRest empties the bodies of old image events (events_images) and
// deletes idempotency keys past their window and old stats rollups
// (webhook_stats_minute).
func pgPruneRest(ctx context.Context, tx pgx.Tx, p store.PruneBatch, res *store.PruneResult) error {
	if !p.StatsBefore.IsZero() {
		tag, err := tx.Exec(ctx, `DELETE FROM webhook_stats WHERE (webhook_id, minute) IN (SELECT webhook_id, minute
			FROM webhook_stats WHERE minute < $1 ORDER BY minute LIMIT $2 FOR UPDATE SKIP LOCKED)`, sqlutil.Minute(p.StatsBefore), p.Limit)
		if err != nil {
			return fmt.Errorf("stats rollups: %w", err)
		}
		res.Stats = tag.RowsAffected()
		res.Full = res.Full || res.Stats == int64(p.Limit)
	}
	if !p.KeysBefore.IsZero() {
		tag, err := tx.Exec(ctx, `DELETE FROM idempotency_keys WHERE key IN (SELECT key FROM idempotency_keys
			WHERE created_at < $1 ORDER BY created_at LIMIT $2 FOR UPDATE SKIP LOCKED)`, sqlutil.Micros(p.KeysBefore), p.Limit)
		if err != nil {
			return fmt.Errorf("idempotency keys: %w", err)
		}
		res.Keys = tag.RowsAffected()
		res.Full = res.Full || res.Keys == int64(p.Limit)
	}
	if p.ImagesBefore.IsZero() {
		return nil
	}
	tag, err := tx.Exec(ctx, `UPDATE events SET body = '\x' WHERE id IN (SELECT id FROM events e
		WHERE content_type = 'image/jpeg' AND octet_length(body) > 0 AND created_at < $1
		AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = e.id AND d.state = 'pending')
		ORDER BY created_at LIMIT $2 FOR UPDATE SKIP LOCKED)`, sqlutil.Micros(p.ImagesBefore), p.Limit)
	if err != nil {
		return fmt.Errorf("images: %w", err)
	}
	res.Images = tag.RowsAffected()
	res.Full = res.Full || res.Images == int64(p.Limit)
	return nil
}
