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
// dispatcher's cost), and each webhook touched written once at the end. A result
// whose lease was lost gets ErrNotFound and writes nothing; a database failure
// fails them all.
func (s *Store) FinishAttempts(ctx context.Context, rs []store.AttemptResult) []error {
	errs, valid := sqlutil.CheckResults("sqlite", rs)
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		release, err := tx.PrepareContext(ctx, `UPDATE deliveries SET state = ?, next_attempt_at = ?,
			attempts = attempts + ?, last_status = ?, last_error = ?, lease_owner = '', lease_until = 0, updated_at = ?
			WHERE id = ? AND lease_owner = ? RETURNING webhook_id`)
		if err != nil {
			return err
		}
		defer release.Close()
		attempt, err := tx.PrepareContext(ctx, "INSERT INTO attempts ("+sqlutil.AttemptColumns+") VALUES (?, ?, ?, ?, ?, ?, ?)")
		if err != nil {
			return err
		}
		defer attempt.Close()
		hooks := sqlutil.WebhookEffects{}
		for _, i := range valid {
			wh, err := finishOne(ctx, release, attempt, rs[i])
			if errors.Is(err, store.ErrNotFound) {
				errs[i] = err
				continue
			}
			if err != nil {
				return err
			}
			errs[i] = nil
			hooks.Add(wh, rs[i])
		}
		for _, e := range hooks.Sorted() {
			if _, err := tx.ExecContext(ctx, finishWebhook, e.ID, e.Reset, e.N, e.Disable, sqlutil.Micros(e.Until), e.Reason); err != nil {
				return err
			}
		}
		return nil
	})
	return sqlutil.FinishErrors(errs, valid, err, wrap)
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

// finishOne writes one result's delivery state if f.Owner holds its lease, and
// its attempt, and returns the delivery's webhook.
func finishOne(ctx context.Context, release, attempt *sql.Stmt, f store.AttemptResult) (int64, error) {
	a := f.Attempt
	at := sqlutil.Micros(sqlutil.AttemptAt(f))
	recorded := 0
	if a.N > 0 {
		recorded = 1
	}
	var webhookID int64
	err := release.QueryRowContext(ctx, string(f.State), sqlutil.Micros(f.NextAttemptAt), recorded, a.Status, a.Error,
		at, a.DeliveryID, f.Owner).Scan(&webhookID)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("delivery %d leased by %q: %w", a.DeliveryID, f.Owner, store.ErrNotFound)
	}
	if err != nil {
		return 0, err
	}
	if a.N > 0 {
		if _, err := attempt.ExecContext(ctx, a.DeliveryID, a.N, at, a.Status, a.Latency.Microseconds(), a.Error, a.Response); err != nil {
			return 0, err
		}
	}
	return webhookID, nil
}
