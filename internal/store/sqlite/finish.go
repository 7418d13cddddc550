package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/hookcast/hookcast/internal/store"
	"github.com/hookcast/hookcast/internal/store/internal/sqlutil"
)

// FinishAttempts implements store.Store: one write transaction for the batch,
// with a few statements per chunk of results rather than a few per result (their
// parsing was most of the dispatcher's cost). A result whose lease was lost gets
// ErrNotFound and writes nothing; a database failure fails them all.
func (s *Store) FinishAttempts(ctx context.Context, rs []store.AttemptResult) []error {
	errs := make([]error, len(rs))
	var valid []int
	for i, f := range rs {
		if f.Owner == "" || !sqlutil.ValidState(f.State) {
			errs[i] = fmt.Errorf("sqlite: finish attempt: need an owner and a valid state (got %q)", f.State)
			continue
		}
		valid = append(valid, i)
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		for _, i := range valid {
			errs[i] = nil
		}
		for start := 0; start < len(valid); start += finishChunk {
			if err := finishChunkTx(ctx, tx, rs, valid[start:min(start+finishChunk, len(valid))], errs); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		for _, i := range valid {
			errs[i] = wrap("finish attempt", err)
		}
	}
	return errs
}

// finishChunk results per statement: 8 variables each, well under SQLite's limit.
const finishChunk = 100

// finishChunkTx records rs[idx…]: one UPDATE of the deliveries whose lease their
// owner holds, one INSERT of their attempts, then the webhooks' bookkeeping with
// one statement per webhook touched, following the results in order.
func finishChunkTx(ctx context.Context, tx *sql.Tx, rs []store.AttemptResult, idx []int, errs []error) error {
	webhookOf, err := releaseFinished(ctx, tx, rs, idx)
	if err != nil {
		return err
	}
	var ins sqlutil.Args
	var ib strings.Builder
	type counter struct {
		reset bool // a success in the chunk: the count restarts after it
		n     int
	}
	counters := map[int64]*counter{}
	var order []int64
	for _, i := range idx {
		f := rs[i]
		wh, ok := webhookOf[f.Attempt.DeliveryID]
		if !ok {
			errs[i] = fmt.Errorf("delivery %d leased by %q: %w", f.Attempt.DeliveryID, f.Owner, store.ErrNotFound)
			continue
		}
		if at := f.Attempt; at.N > 0 {
			if ins.List == nil {
				ib.WriteString("INSERT INTO attempts (" + sqlutil.AttemptColumns + ") VALUES ")
			} else {
				ib.WriteByte(',')
			}
			fmt.Fprintf(&ib, "(%s, %s, %s, %s, %s, %s, %s)", ins.Add(at.DeliveryID), ins.Add(at.N), ins.Add(sqlutil.Micros(attemptAt(f))),
				ins.Add(at.Status), ins.Add(at.Latency.Microseconds()), ins.Add(at.Error), ins.Add(at.Response))
			c := counters[wh]
			if c == nil {
				c = &counter{}
				counters[wh] = c
				order = append(order, wh)
			}
			if f.Success {
				c.reset, c.n = true, 0
			} else {
				c.n++
			}
		}
		if f.Disable {
			if _, err := tx.ExecContext(ctx, "UPDATE webhooks SET disabled = 1, disabled_until = ?, disabled_reason = ? WHERE id = ?",
				sqlutil.Micros(f.DisableUntil), f.DisableReason, wh); err != nil {
				return err
			}
		}
	}
	if ins.List != nil {
		if _, err := tx.ExecContext(ctx, ib.String(), ins.List...); err != nil {
			return err
		}
	}
	for _, wh := range order {
		c := counters[wh]
		if _, err := tx.ExecContext(ctx, `UPDATE webhooks SET consecutive_failures =
			CASE WHEN ? THEN ? ELSE consecutive_failures + ? END WHERE id = ?`, c.reset, c.n, c.n, wh); err != nil {
			return err
		}
	}
	return nil
}

// releaseFinished writes the new state of every delivery of idx whose lease its
// owner still holds, and returns those deliveries' webhooks by delivery id.
func releaseFinished(ctx context.Context, tx *sql.Tx, rs []store.AttemptResult, idx []int) (map[int64]int64, error) {
	var a sqlutil.Args
	var b strings.Builder
	b.WriteString("WITH v(id, owner, state, next, rec, status, err, at) AS (VALUES ")
	for k, i := range idx {
		f := rs[i]
		if k > 0 {
			b.WriteByte(',')
		}
		rec := 0
		if f.Attempt.N > 0 {
			rec = 1
		}
		fmt.Fprintf(&b, "(%s, %s, %s, %s, %s, %s, %s, %s)", a.Add(f.Attempt.DeliveryID), a.Add(f.Owner), a.Add(string(f.State)),
			a.Add(sqlutil.Micros(f.NextAttemptAt)), a.Add(rec), a.Add(f.Attempt.Status), a.Add(f.Attempt.Error),
			a.Add(sqlutil.Micros(attemptAt(f))))
	}
	b.WriteString(`) UPDATE deliveries SET state = v.state, next_attempt_at = v.next, attempts = attempts + v.rec,
		last_status = v.status, last_error = v.err, lease_owner = '', lease_until = 0, updated_at = v.at
		FROM v WHERE deliveries.id = v.id AND deliveries.lease_owner = v.owner
		RETURNING deliveries.id, deliveries.webhook_id`)
	rows, err := tx.QueryContext(ctx, b.String(), a.List...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make(map[int64]int64, len(idx))
	for rows.Next() {
		var id, wh int64
		if err := rows.Scan(&id, &wh); err != nil {
			return nil, err
		}
		out[id] = wh
	}
	return out, rows.Err()
}

func attemptAt(f store.AttemptResult) time.Time {
	if f.Attempt.At.IsZero() {
		return sqlutil.Now()
	}
	return f.Attempt.At
}
