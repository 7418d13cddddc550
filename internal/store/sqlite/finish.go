package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/hookcast/hookcast/internal/store"
	"github.com/hookcast/hookcast/internal/store/internal/sqlutil"
)

// FinishAttempts implements store.Store: one write transaction for the batch and
// a few statements per chunk of results, whatever its size: the results of a
// chunk are one VALUES list, so the attempts are inserted and the deliveries
// released row by row inside SQLite, without a round trip through database/sql
// per result (that per-call cost was most of the dispatcher's). The statements
// come in a few fixed sizes, prepared once (chunkSizes). Each webhook touched is
// written once at the end. A result whose lease was lost gets ErrNotFound and
// writes nothing; a database failure fails them all.
func (s *Store) FinishAttempts(ctx context.Context, rs []store.AttemptResult) []error {
	errs, valid := sqlutil.CheckResults("sqlite", rs)
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		hooks := sqlutil.WebhookEffects{}
		args := make([]any, 0, finishColumns*chunkSizes[0])
		for _, part := range finishChunks(rs, valid) {
			args = appendResults(args[:0], rs, part)
			ins, err := s.txStmt(ctx, tx, insertAttempts(len(part)))
			if err != nil {
				return err
			}
			if _, err := ins.ExecContext(ctx, args...); err != nil {
				return err
			}
			upd, err := s.txStmt(ctx, tx, releaseFinished(len(part)))
			if err != nil {
				return err
			}
			webhookOf, err := released(upd.QueryContext(ctx, args...))
			if err != nil {
				return err
			}
			for _, i := range part {
				wh, ok := webhookOf[rs[i].Attempt.DeliveryID]
				if !ok {
					errs[i] = fmt.Errorf("delivery %d leased by %q: %w", rs[i].Attempt.DeliveryID, rs[i].Owner, store.ErrNotFound)
					continue
				}
				hooks.Add(wh, rs[i])
			}
		}
		fw, err := s.txStmt(ctx, tx, finishWebhook)
		if err != nil {
			return err
		}
		for _, e := range hooks.Sorted() {
			if _, err := fw.ExecContext(ctx, e.ID, e.Reset, e.N, e.Disable, sqlutil.Micros(e.Until), e.Reason); err != nil {
				return err
			}
		}
		return nil
	})
	return sqlutil.FinishErrors(errs, valid, err, wrap)
}

// chunkSizes are the row counts the multi-row statements of the hot paths
// (FinishAttempts, InsertEvents) are prepared for, largest first: n rows take at
// most n/64 + 9 statements, each prepared once (hotStatements).
var chunkSizes = []int{64, 16, 4, 1}

// finishColumns is the width of a result's row in the VALUES list: delivery id,
// state, next attempt (µs), recorded (0 or 1), status, error, at (µs), n,
// latency (µs), response, owner (column1 … column11).
const finishColumns = 11

// insertAttempts records the attempts of n results. It runs first, while the
// leases still say who holds them: an attempt is recorded only with its owner's
// lease, and only when one was made (n > 0; a skipped delivery has none).
func insertAttempts(n int) string {
	return `INSERT INTO attempts (` + sqlutil.AttemptColumns + `)
		SELECT d.id, v.column8, v.column7, v.column5, v.column9, v.column6, v.column10
		FROM (` + valuesRows(n, finishColumns) + `) v JOIN deliveries d ON d.id = v.column1
		WHERE d.lease_owner = v.column11 AND v.column8 > 0`
}

// releaseFinished writes the outcome of n results on the deliveries whose lease
// the result's owner holds, frees the lease, and says which rows it wrote.
func releaseFinished(n int) string {
	return `UPDATE deliveries SET state = v.column2, next_attempt_at = v.column3,
		attempts = attempts + v.column4, last_status = v.column5, last_error = v.column6,
		lease_owner = '', lease_until = 0, updated_at = v.column7
		FROM (` + valuesRows(n, finishColumns) + `) v WHERE deliveries.id = v.column1 AND deliveries.lease_owner = v.column11
		RETURNING id, webhook_id`
}

// valuesRows is a VALUES list of n rows of cols placeholders.
func valuesRows(n, cols int) string {
	row := "(" + strings.TrimSuffix(strings.Repeat("?, ", cols), ", ") + ")"
	return "VALUES " + strings.TrimSuffix(strings.Repeat(row+", ", n), ", ")
}

// finishWebhook applies a batch's effect on one webhook: the failure count
// restarts at ?3 after a success (?2), else grows by ?3; ?4 disables it until ?5
// for reason ?6. A row already as wanted is not written.
const finishWebhook = `UPDATE webhooks SET
		consecutive_failures = CASE WHEN ?2 THEN ?3 ELSE consecutive_failures + ?3 END,
		disabled = disabled OR ?4,
		disabled_until = CASE WHEN ?4 THEN ?5 ELSE disabled_until END,
		disabled_reason = CASE WHEN ?4 THEN ?6 ELSE disabled_reason END
	WHERE id = ?1 AND (?4 OR ?3 > 0 OR (?2 AND consecutive_failures <> 0))`

// finishChunks splits the valid results into chunks of chunkSizes in batch
// order, also starting a new chunk where a delivery comes again: within one
// statement, its second result must see what the first one wrote (the lease
// gone), as it would if they were recorded one after the other.
func finishChunks(rs []store.AttemptResult, valid []int) [][]int {
	var runs [][]int
	seen := map[int64]bool{}
	start := 0
	for k, i := range valid {
		if id := rs[i].Attempt.DeliveryID; seen[id] {
			runs = append(runs, valid[start:k])
			start = k
			clear(seen)
		}
		seen[rs[i].Attempt.DeliveryID] = true
	}
	runs = append(runs, valid[start:])
	var out [][]int
	for _, run := range runs {
		for _, size := range chunkSizes {
			for len(run) >= size {
				out = append(out, run[:size])
				run = run[size:]
			}
		}
	}
	return out
}

// appendResults appends the rows of rs[idx…] (finishColumns each).
func appendResults(args []any, rs []store.AttemptResult, idx []int) []any {
	for _, i := range idx {
		f := &rs[i]
		a := &f.Attempt
		recorded := 0
		if a.N > 0 {
			recorded = 1
		}
		args = append(args, a.DeliveryID, string(f.State), sqlutil.Micros(f.NextAttemptAt), recorded, a.Status,
			a.Error, sqlutil.Micros(sqlutil.AttemptAt(*f)), a.N, a.Latency.Microseconds(), a.Response, f.Owner)
	}
	return args
}

// released reads releaseFinished's rows: delivery id → its webhook.
func released(rows *sql.Rows, err error) (map[int64]int64, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make(map[int64]int64)
	for rows.Next() {
		var id, wh int64
		if err := rows.Scan(&id, &wh); err != nil {
			return nil, err
		}
		out[id] = wh
	}
	return out, rows.Err()
}
