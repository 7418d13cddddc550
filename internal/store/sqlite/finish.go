package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"

	"github.com/hookcast/hookcast/internal/store"
	"github.com/hookcast/hookcast/internal/store/internal/sqlutil"
)

// FinishAttempts implements store.Store: one write transaction for the batch and
// a few statements per chunk of results, whatever its size: the results of a
// chunk are one VALUES list, so the deliveries are released row by row inside
// SQLite, without a round trip through database/sql per result (that per-call
// cost was most of the dispatcher's). The statements come in a few fixed sizes,
// prepared once (chunkSizes). The stats rollups (webhook_stats) grow in the
// same transaction, one row per webhook and minute of the batch. An attempt is written in its delivery's row
// (migration 0002); the one it replaces there, if any, moves to attempts. The
// webhooks touched are written at the end, once each, the same way. A result
// whose lease was lost gets ErrNotFound and writes nothing; a database failure
// fails them all.
func (s *Store) FinishAttempts(ctx context.Context, rs []store.AttemptResult) []error {
	errs, valid := sqlutil.CheckResults("sqlite", rs)
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		hooks := sqlutil.WebhookEffects{}
		rollups := sqlutil.Rollups{}
		args := make([]any, 0, finishColumns*chunkSizes[0])
		for _, part := range finishChunks(rs, valid) {
			args = appendResults(args[:0], rs, part)
			if slices.ContainsFunc(part, func(i int) bool { return rs[i].Attempt.N != 1 }) {
				// A first attempt (n 1) has no attempt before it to move.
				mv, err := s.txStmt(ctx, tx, moveLatestAttempts(len(part)))
				if err != nil {
					return err
				}
				if _, err := mv.ExecContext(ctx, args...); err != nil {
					return err
				}
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
				of, ok := webhookOf[rs[i].Attempt.DeliveryID]
				if !ok {
					errs[i] = fmt.Errorf("delivery %d leased by %q: %w", rs[i].Attempt.DeliveryID, rs[i].Owner, store.ErrNotFound)
					continue
				}
				hooks.Add(of.webhook, rs[i])
				rollups.Add(of.account, of.webhook, rs[i])
			}
		}
		effects := hooks.Sorted()
		wargs := make([]any, 0, len(effects)*webhookColumns)
		for _, e := range effects {
			wargs = append(wargs, e.ID, e.Reset, e.N, e.Disable, sqlutil.Micros(e.Until), e.Reason)
		}
		if err := s.execRows(ctx, tx, finishWebhooks, webhookColumns, wargs); err != nil {
			return err
		}
		sorted := rollups.Sorted()
		sargs := make([]any, 0, len(sorted)*sqlutil.StatsWidth)
		for _, r := range sorted {
			sargs = r.Args(sargs)
		}
		return s.execRows(ctx, tx, upsertStats, sqlutil.StatsWidth, sargs)
	})
	return sqlutil.FinishErrors(errs, valid, err, wrap)
}

// execRows runs stmt(size), prepared, over args, cols values a row, in chunks of
// chunkSizes.
func (s *Store) execRows(ctx context.Context, tx *sql.Tx, stmt func(int) string, cols int, args []any) error {
	rows := len(args) / cols
	for _, size := range chunkSizes {
		for ; rows >= size; rows -= size {
			st, err := s.txStmt(ctx, tx, stmt(size))
			if err != nil {
				return err
			}
			if _, err := st.ExecContext(ctx, args[:size*cols]...); err != nil {
				return err
			}
			args = args[size*cols:]
		}
	}
	return nil
}

// chunkSizes are the row counts the multi-row statements of the hot paths
// (FinishAttempts, InsertEvents) are prepared for, largest first: n rows take at
// most n/64 + 9 statements, each prepared once (hotStatements).
var chunkSizes = []int{64, 16, 4, 1}

// finishColumns is the width of a result's row in the VALUES list: delivery id,
// state, next attempt (µs), recorded (0 or 1), status, error, at (µs), n,
// latency (µs), response, owner (column1 … column11).
const finishColumns = 11

// moveLatestAttempts moves the latest attempt kept in the rows of n results'
// deliveries to attempts, before releaseFinished writes theirs there (or, for a
// skip, clears it). It runs first, while the leases still say who holds them:
// only a result's owner writes.
func moveLatestAttempts(n int) string {
	return `INSERT INTO attempts (` + sqlutil.AttemptColumns + `)
		SELECT d.id, d.last_n, d.last_at, d.last_status, d.last_latency_us, d.last_error, d.last_response
		FROM (` + valuesRows(n, finishColumns) + `) v JOIN deliveries d ON d.id = v.column1
		WHERE d.lease_owner = v.column11 AND d.last_at > 0 AND v.column8 <> 1`
}

// releaseFinished writes the outcome of n results on the deliveries whose lease
// the result's owner holds, with the attempt made (none for a skip, n 0), frees
// the lease, and says which rows it wrote.
func releaseFinished(n int) string {
	return `UPDATE deliveries SET state = v.column2, next_attempt_at = v.column3,
		attempts = attempts + v.column4, last_status = v.column5, last_error = v.column6,
		last_n = v.column8, last_at = CASE WHEN v.column8 > 0 THEN v.column7 ELSE 0 END,
		last_latency_us = v.column9, last_response = v.column10,
		lease_owner = '', lease_until = 0, updated_at = v.column7
		FROM (` + valuesRows(n, finishColumns) + `) v WHERE deliveries.id = v.column1 AND deliveries.lease_owner = v.column11
		RETURNING id, webhook_id, account_id`
}

// upsertStats adds n rows of a batch's rollups (sqlutil.Rollup.Args) to
// webhook_stats.
func upsertStats(n int) string {
	return `INSERT INTO webhook_stats (` + sqlutil.StatsColumns + `) ` + valuesRows(n, sqlutil.StatsWidth) +
		` ON CONFLICT (webhook_id, minute) DO UPDATE SET ` + sqlutil.StatsAdd
}

// valuesRows is a VALUES list of n rows of cols placeholders.
func valuesRows(n, cols int) string {
	row := "(" + strings.TrimSuffix(strings.Repeat("?, ", cols), ", ") + ")"
	return "VALUES " + strings.TrimSuffix(strings.Repeat(row+", ", n), ", ")
}

// webhookColumns is the width of a webhook's row in finishWebhooks: id, reset,
// failures, disable, disabled until (µs), reason (column1 … column6).
const webhookColumns = 6

// finishWebhooks applies a batch's effect on n webhooks: the failure count
// restarts at column3 after a success (column2), else grows by column3; column4
// disables it until column5 for reason column6. A row already as wanted is not
// written.
func finishWebhooks(n int) string {
	return `UPDATE webhooks SET
		consecutive_failures = CASE WHEN v.column2 THEN v.column3 ELSE consecutive_failures + v.column3 END,
		disabled = disabled OR v.column4,
		disabled_until = CASE WHEN v.column4 THEN v.column5 ELSE disabled_until END,
		disabled_reason = CASE WHEN v.column4 THEN v.column6 ELSE disabled_reason END
		FROM (` + valuesRows(n, webhookColumns) + `) v
		WHERE webhooks.id = v.column1 AND (v.column4 OR v.column3 > 0 OR (v.column2 AND consecutive_failures <> 0))`
}

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

// releasedRow is the webhook and account of a released delivery.
type releasedRow struct {
	webhook int64
	account string
}

// released reads releaseFinished's rows: delivery id → its webhook and account.
func released(rows *sql.Rows, err error) (map[int64]releasedRow, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make(map[int64]releasedRow)
	for rows.Next() {
		var id int64
		var o releasedRow
		if err := rows.Scan(&id, &o.webhook, &o.account); err != nil {
			return nil, err
		}
		out[id] = o
	}
	return out, rows.Err()
}
