package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/hookcast/hookcast/internal/store"
	"github.com/hookcast/hookcast/internal/store/internal/sqlutil"
)

// vacuumShare is how many pages one Prune call may hand back to the file system
// for each row its batch may remove (PruneBatch.Limit): a delivery with its
// event and attempt takes about 600 bytes, so a full batch frees about a
// seventh of a page a row, and handing back an eighth keeps the giving back in
// step with the freeing. It runs in the batch's own transaction, so the time
// it takes is in PruneResult.Held and the pruner's halving of slow batches
// bounds it too. (Run as a statement of its own after the batch, 1,024 pages
// at a time, it held the writer for 830 ms in the retention soak, uncounted.)
const vacuumShare = 8

// Prune implements store.Store in one write transaction. Delivery ids here come
// from the largest id in the table (InsertEvents), so the newest delivery is
// never deleted: ids are not given twice even when everything else is gone.
// Deleted rows leave free pages that later inserts reuse, so the file stops
// growing; on databases created with auto_vacuum=INCREMENTAL (every one since
// retention came) the free pages beyond a quarter of the file also go back to
// the file system, a little per call (vacuumShare).
func (s *Store) Prune(ctx context.Context, p store.PruneBatch) (store.PruneResult, error) {
	if p.Limit <= 0 {
		p.Limit = store.DefaultPruneLimit
	}
	res := store.PruneResult{NextID: p.AfterID}
	var began time.Time
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		began = time.Now()
		res = store.PruneResult{NextID: p.AfterID}
		if p.Before.IsZero() {
			return pruneThenVacuum(ctx, tx, p, &res)
		}
		before := sqlutil.Micros(p.Before)
		rows, err := tx.QueryContext(ctx, `SELECT id, created_at < ?1 AND state <> 'pending'
				AND id < (SELECT max(id) FROM deliveries), created_at < ?1
			FROM deliveries WHERE id > ?2 ORDER BY id LIMIT ?3`, before, p.AfterID, p.Limit)
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
			if err := pruneDeliveries(ctx, tx, p.AfterID, res.NextID, before, &res); err != nil {
				return err
			}
		}
		if res.Full {
			return vacuum(ctx, tx, p.Limit, res)
		}
		r, err := tx.ExecContext(ctx, `DELETE FROM events WHERE id IN (SELECT id FROM events e WHERE created_at < ?
			AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = e.id) ORDER BY created_at LIMIT ?)`, before, p.Limit)
		if err != nil {
			return fmt.Errorf("events without deliveries: %w", err)
		}
		k, _ := r.RowsAffected()
		res.Events += k
		res.Full = res.Full || k == int64(p.Limit)
		return pruneThenVacuum(ctx, tx, p, &res)
	})
	if !began.IsZero() {
		res.Held = time.Since(began)
	}
	return res, wrap("prune", err)
}

// pruneThenVacuum removes the rest (pruneRest), then gives pages back.
func pruneThenVacuum(ctx context.Context, tx *sql.Tx, p store.PruneBatch, res *store.PruneResult) error {
	if err := pruneRest(ctx, tx, p, res); err != nil {
		return err
	}
	return vacuum(ctx, tx, p.Limit, *res)
}

// The statements that delete a batch's deliveries: ?1 and ?2 bound the ids the
// batch read, ?3 is the retention cut. They name a range rather than list the
// ids, so they parse the same whatever the batch's size, and each walks its
// tables and indexes in order; the predicate is PickPrunable's (the query in
// Prune), checked again row by row, so a delivery resent meanwhile (pending
// again) stays.
const (
	prunableRange = `id > ?1 AND id <= ?2 AND created_at < ?3 AND state <> 'pending'
		AND id < (SELECT max(id) FROM deliveries)`
	pruneAttempts     = `DELETE FROM attempts WHERE delivery_id IN (SELECT id FROM deliveries WHERE ` + prunableRange + `)`
	pruneDeliveryRows = `DELETE FROM deliveries WHERE ` + prunableRange + ` RETURNING event_id, state`
	// uncount takes deleted deliveries off delivery_counts (migration 0020: no
	// trigger does).
	uncount = `UPDATE delivery_counts SET n = n - ?2 WHERE state = ?1`
	// pruneEvents deletes the events in ?1 (a JSON array of ids: one parameter,
	// however many) that no delivery is left for.
	pruneEvents = `DELETE FROM events WHERE id IN (SELECT value FROM json_each(?1))
		AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = events.id)`
)

// pruneDeliveries deletes the prunable deliveries with ids in (after, upto] and
// their attempts, then their events left without any.
func pruneDeliveries(ctx context.Context, tx *sql.Tx, after, upto, before int64, res *store.PruneResult) error {
	r, err := tx.ExecContext(ctx, pruneAttempts, after, upto, before)
	if err != nil {
		return fmt.Errorf("attempts: %w", err)
	}
	res.Attempts, _ = r.RowsAffected()
	rows, err := tx.QueryContext(ctx, pruneDeliveryRows, after, upto, before)
	if err != nil {
		return fmt.Errorf("deliveries: %w", err)
	}
	var events []string
	gone := map[string]int64{}
	for rows.Next() {
		var id, state string
		if err := rows.Scan(&id, &state); err != nil {
			rows.Close()
			return fmt.Errorf("deliveries: %w", err)
		}
		if len(events) == 0 || events[len(events)-1] != id {
			events = append(events, id)
		}
		gone[state]++
	}
	if err := rows.Close(); err != nil {
		return fmt.Errorf("deliveries: %w", err)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("deliveries: %w", err)
	}
	for state, n := range gone {
		res.Deliveries += n
		if _, err := tx.ExecContext(ctx, uncount, state, n); err != nil {
			return fmt.Errorf("delivery counts: %w", err)
		}
	}
	if len(events) == 0 {
		return nil
	}
	list, err := json.Marshal(events)
	if err != nil {
		return fmt.Errorf("events: %w", err)
	}
	r, err = tx.ExecContext(ctx, pruneEvents, string(list)) // text: a BLOB would be read as JSONB
	if err != nil {
		return fmt.Errorf("events: %w", err)
	}
	res.Events, _ = r.RowsAffected()
	return nil
}

// pruneRest empties the bodies of old image events (events_images) and
// deletes idempotency keys past their window and old stats rollups
// (webhook_stats_minute).
func pruneRest(ctx context.Context, tx *sql.Tx, p store.PruneBatch, res *store.PruneResult) error {
	if !p.StatsBefore.IsZero() {
		r, err := tx.ExecContext(ctx, `DELETE FROM webhook_stats WHERE (webhook_id, minute) IN (SELECT webhook_id, minute
			FROM webhook_stats WHERE minute < ? ORDER BY minute LIMIT ?)`, sqlutil.Minute(p.StatsBefore), p.Limit)
		if err != nil {
			return fmt.Errorf("stats rollups: %w", err)
		}
		res.Stats, _ = r.RowsAffected()
		res.Full = res.Full || res.Stats == int64(p.Limit)
	}
	if !p.KeysBefore.IsZero() {
		r, err := tx.ExecContext(ctx, `DELETE FROM idempotency_keys WHERE key IN (SELECT key FROM idempotency_keys
			WHERE created_at < ? ORDER BY created_at LIMIT ?)`, sqlutil.Micros(p.KeysBefore), p.Limit)
		if err != nil {
			return fmt.Errorf("idempotency keys: %w", err)
		}
		res.Keys, _ = r.RowsAffected()
		res.Full = res.Full || res.Keys == int64(p.Limit)
	}
	if p.ImagesBefore.IsZero() {
		return nil
	}
	r, err := tx.ExecContext(ctx, `UPDATE events SET body = x'' WHERE id IN (SELECT id FROM events e
		WHERE content_type = 'image/jpeg' AND length(body) > 0 AND created_at < ?
		AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = e.id AND d.state = 'pending')
		ORDER BY created_at LIMIT ?)`, sqlutil.Micros(p.ImagesBefore), p.Limit)
	if err != nil {
		return fmt.Errorf("images: %w", err)
	}
	res.Images, _ = r.RowsAffected()
	res.Full = res.Full || res.Images == int64(p.Limit)
	return nil
}

// vacuum gives free pages beyond a quarter of the file back to the file
// system, at most limit/vacuumShare of them, when res removed anything: the
// rest stays for the inserts to come.
func vacuum(ctx context.Context, tx *sql.Tx, limit int, res store.PruneResult) error {
	if res.Deliveries+res.Events+res.Images+res.Keys+res.Stats == 0 {
		return nil
	}
	var mode, free, total int64
	if err := tx.QueryRowContext(ctx, `SELECT a.auto_vacuum, f.freelist_count, p.page_count
		FROM pragma_auto_vacuum a, pragma_freelist_count f, pragma_page_count p`).Scan(&mode, &free, &total); err != nil {
		return fmt.Errorf("vacuum: %w", err)
	}
	excess := min(free-total/4, int64(max(limit/vacuumShare, 1)))
	if mode != 2 || excess <= 0 { // 2: INCREMENTAL
		return nil
	}
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA incremental_vacuum(%d)", excess)); err != nil {
		return fmt.Errorf("vacuum: %w", err)
	}
	return nil
}
