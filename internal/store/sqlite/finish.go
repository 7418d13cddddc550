package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/hookcast/hookcast/internal/store"
	"github.com/hookcast/hookcast/internal/store/internal/sqlutil"
)

// FinishAttempts implements store.Store: one write transaction for the batch, its
// statements prepared once and run per result (parsing them was most of the
// dispatcher's cost). A result whose lease was lost gets ErrNotFound and writes
// nothing; a database failure fails them all.
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
		st, err := prepareFinish(ctx, tx)
		if err != nil {
			return err
		}
		defer st.close()
		for _, i := range valid {
			errs[i] = st.finish(ctx, rs[i])
			if errs[i] != nil && !errors.Is(errs[i], store.ErrNotFound) {
				return errs[i]
			}
		}
		return st.flushFailures(ctx)
	})
	for _, i := range valid {
		if err != nil {
			errs[i] = wrap("finish attempt", err)
		} else if errs[i] != nil {
			errs[i] = wrap("finish attempt", errs[i])
		}
	}
	return errs
}

// finishStmts are FinishAttempt's statements, prepared once per transaction.
type finishStmts struct {
	release, attempt, failures, disable *sql.Stmt
	// counters is each webhook's failure count change, in result order, written
	// once per webhook at the end rather than once per result.
	counters map[int64]*failureCount
	order    []int64
}

// failureCount: after a success the count restarts (reset) from the failures
// that followed it; without one, it grows by n.
type failureCount struct {
	reset bool
	n     int
}

func prepareFinish(ctx context.Context, tx *sql.Tx) (*finishStmts, error) {
	var st finishStmts
	for _, p := range []struct {
		s **sql.Stmt
		q string
	}{
		{&st.release, `UPDATE deliveries SET state = ?, next_attempt_at = ?, attempts = attempts + ?,
			last_status = ?, last_error = ?, lease_owner = '', lease_until = 0, updated_at = ?
			WHERE id = ? AND lease_owner = ? RETURNING webhook_id`},
		{&st.attempt, "INSERT INTO attempts (" + sqlutil.AttemptColumns + ") VALUES (?, ?, ?, ?, ?, ?, ?)"},
		// A success on a webhook with no failures changes nothing: no write.
		{&st.failures, `UPDATE webhooks SET consecutive_failures =
			CASE WHEN ?1 THEN ?2 ELSE consecutive_failures + ?2 END
			WHERE id = ?3 AND NOT (?1 AND consecutive_failures = ?2)`},
		{&st.disable, "UPDATE webhooks SET disabled = 1, disabled_until = ?, disabled_reason = ? WHERE id = ?"},
	} {
		var err error
		if *p.s, err = tx.PrepareContext(ctx, p.q); err != nil {
			st.close()
			return nil, err
		}
	}
	return &st, nil
}

func (st *finishStmts) close() {
	for _, s := range []*sql.Stmt{st.release, st.attempt, st.failures, st.disable} {
		if s != nil {
			s.Close()
		}
	}
}

// finish records one result: the delivery's new state if f.Owner holds its
// lease, then the attempt and the webhook's bookkeeping.
func (st *finishStmts) finish(ctx context.Context, f store.AttemptResult) error {
	a := f.Attempt
	at := a.At
	if at.IsZero() {
		at = sqlutil.Now()
	}
	recorded := 0
	if a.N > 0 {
		recorded = 1
	}
	var webhookID int64
	err := st.release.QueryRowContext(ctx, string(f.State), sqlutil.Micros(f.NextAttemptAt), recorded, a.Status, a.Error,
		sqlutil.Micros(at), a.DeliveryID, f.Owner).Scan(&webhookID)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("delivery %d leased by %q: %w", a.DeliveryID, f.Owner, store.ErrNotFound)
	}
	if err != nil {
		return err
	}
	if a.N > 0 {
		if _, err := st.attempt.ExecContext(ctx, a.DeliveryID, a.N, sqlutil.Micros(at), a.Status,
			a.Latency.Microseconds(), a.Error, a.Response); err != nil {
			return err
		}
		c := st.counters[webhookID]
		if c == nil {
			if st.counters == nil {
				st.counters = map[int64]*failureCount{}
			}
			c = &failureCount{}
			st.counters[webhookID] = c
			st.order = append(st.order, webhookID)
		}
		if f.Success {
			c.reset, c.n = true, 0
		} else {
			c.n++
		}
	}
	if f.Disable {
		_, err := st.disable.ExecContext(ctx, sqlutil.Micros(f.DisableUntil), f.DisableReason, webhookID)
		return err
	}
	return nil
}

// flushFailures writes the webhooks' failure counters.
func (st *finishStmts) flushFailures(ctx context.Context) error {
	for _, id := range st.order {
		c := st.counters[id]
		if _, err := st.failures.ExecContext(ctx, c.reset, c.n, id); err != nil {
			return err
		}
	}
	return nil
}
