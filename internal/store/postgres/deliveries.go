package postgres

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/hookcast/hookcast/internal/store"
	"github.com/hookcast/hookcast/internal/store/internal/sqlutil"
)

// claim is one statement, so it commits on its own in one round trip:
//   - c picks the candidates and locks them, skipping rows another claimer has
//     locked right now (FOR UPDATE SKIP LOCKED); the lease columns then keep
//     them from the next claimers until the lease expires;
//   - o fails the candidates whose webhook is gone;
//   - the main UPDATE leases the others and returns them with their event and
//     their webhook as it is now.
//
// $1 now, $2 lease until, $3 owner, $4 limit (NULL: none), $5 the error of an
// orphan, $6 the webhooks and $7 the accounts to leave out.
var claim = `WITH c AS (
		SELECT d.id, d.webhook_id FROM deliveries d
		WHERE d.state = 'pending' AND d.lease_until <= $1 AND d.next_attempt_at <= $1
			AND NOT (d.webhook_id = ANY ($6)) AND NOT (d.account_id = ANY ($7))
		ORDER BY d.next_attempt_at, d.id
		LIMIT $4
		FOR UPDATE SKIP LOCKED
	), o AS (
		UPDATE deliveries d SET state = 'failed', last_error = $5, lease_owner = '', lease_until = 0, updated_at = $1
		FROM c WHERE d.id = c.id AND NOT EXISTS (SELECT 1 FROM webhooks w WHERE w.id = c.webhook_id)
	)
	UPDATE deliveries d SET lease_owner = $3, lease_until = $2
	FROM c, events e, webhooks w
	WHERE d.id = c.id AND e.id = d.event_id AND w.id = c.webhook_id
	RETURNING ` + sqlutil.ClaimedColumns

// ClaimDeliveries implements store.Store.
func (s *Store) ClaimDeliveries(ctx context.Context, c store.Claim) ([]store.ClaimedDelivery, error) {
	if c.Owner == "" || c.Lease <= 0 {
		return nil, errors.New("postgres: claim deliveries: owner and a positive lease are required")
	}
	rows, err := s.pool.Query(ctx, claim, sqlutil.Micros(c.Now), sqlutil.Micros(c.Now.Add(c.Lease)), c.Owner,
		sqlutil.Limit(c.Limit, false), sqlutil.WebhookDeleted, append([]int64{}, c.ExcludeWebhooks...),
		append([]string{}, c.ExcludeAccounts...))
	out, err := collect(rows, err, sqlutil.ScanClaimed)
	if err != nil {
		return nil, wrap("claim deliveries", err)
	}
	slices.SortFunc(out, func(a, b store.ClaimedDelivery) int {
		return cmp.Or(a.Delivery.NextAttemptAt.Compare(b.Delivery.NextAttemptAt), cmp.Compare(a.Delivery.ID, b.Delivery.ID))
	})
	return out, nil
}

// finishDelivery releases the lease if owner holds it and, when an attempt was
// made ($5 > 0), records it; it returns the webhook and account (no row: the
// lease was lost).
// The webhooks' bookkeeping comes after every delivery of the batch, once per
// webhook in id order, so that replicas recording attempts for the same webhooks
// never lock them in opposite orders.
//
// $1 delivery, $2 owner, $3 state, $4 next attempt, $5 n, $6 at, $7 status,
// $8 latency µs, $9 error, $10 response.
const finishDelivery = `WITH d AS (
		UPDATE deliveries SET state = $3, next_attempt_at = $4,
			attempts = attempts + CASE WHEN $5::int > 0 THEN 1 ELSE 0 END,
			last_status = $7, last_error = $9, lease_owner = '', lease_until = 0, updated_at = $6
		WHERE id = $1 AND lease_owner = $2
		RETURNING id, webhook_id, account_id
	), a AS (
		INSERT INTO attempts (` + sqlutil.AttemptColumns + `)
		SELECT d.id, $5, $6, $7, $8, $9, $10 FROM d WHERE $5::int > 0
	)
	SELECT webhook_id, account_id FROM d`

// finishWebhook applies a batch's effect on one webhook: the failure count
// restarts at $3 after a success ($2), else grows by $3; $4 disables it until $5
// for reason $6. A row already as wanted is not touched (nor locked).
const finishWebhook = `UPDATE webhooks SET
		consecutive_failures = CASE WHEN $2::bool THEN $3 ELSE consecutive_failures + $3 END,
		disabled = disabled OR $4::bool,
		disabled_until = CASE WHEN $4::bool THEN $5 ELSE disabled_until END,
		disabled_reason = CASE WHEN $4::bool THEN $6 ELSE disabled_reason END
	WHERE id = $1 AND ($4::bool OR $3 > 0 OR ($2::bool AND consecutive_failures <> 0))`

// FinishAttempt implements store.Store.
func (s *Store) FinishAttempt(ctx context.Context, f store.AttemptResult) error {
	return s.FinishAttempts(ctx, []store.AttemptResult{f})[0]
}

// FinishAttempts implements store.Store: one transaction, retried on a deadlock
// or serialization failure; the deliveries' statements go in one round trip,
// then the webhooks' bookkeeping and the stats rollups (webhook_stats).
func (s *Store) FinishAttempts(ctx context.Context, rs []store.AttemptResult) []error {
	errs, valid := sqlutil.CheckResults("postgres", rs)
	if len(valid) == 0 {
		return errs
	}
	err := s.InTx(ctx, func(stx store.Tx) error {
		tx := stx.(*pgTx).tx
		b := &pgx.Batch{}
		for _, i := range valid {
			f := rs[i]
			a := f.Attempt
			b.Queue(finishDelivery, a.DeliveryID, f.Owner, string(f.State), sqlutil.Micros(f.NextAttemptAt),
				a.N, sqlutil.Micros(sqlutil.AttemptAt(f)), a.Status, a.Latency.Microseconds(), a.Error, a.Response)
		}
		br := tx.SendBatch(ctx, b)
		hooks := sqlutil.WebhookEffects{}
		rollups := sqlutil.Rollups{}
		for _, i := range valid {
			var wh int64
			var acct string
			err := br.QueryRow().Scan(&wh, &acct)
			switch {
			case errors.Is(err, pgx.ErrNoRows):
				errs[i] = fmt.Errorf("delivery %d leased by %q: %w", rs[i].Attempt.DeliveryID, rs[i].Owner, store.ErrNotFound)
			case err != nil:
				br.Close()
				return err
			default:
				errs[i] = nil
				hooks.Add(wh, rs[i])
				rollups.Add(acct, wh, rs[i])
			}
		}
		if err := br.Close(); err != nil {
			return err
		}
		for _, e := range hooks.Sorted() {
			if _, err := tx.Exec(ctx, finishWebhook, e.ID, e.Reset, e.N, e.Disable, sqlutil.Micros(e.Until), e.Reason); err != nil {
				return err
			}
		}
		return writeRollups(ctx, tx, rollups.Sorted())
	})
	return sqlutil.FinishErrors(errs, valid, err, wrap)
}

// ReleaseDeliveries implements store.Store.
func (s *Store) ReleaseDeliveries(ctx context.Context, owner string, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	_, err := s.pool.Exec(ctx, `UPDATE deliveries SET lease_owner = '', lease_until = 0
		WHERE lease_owner = $1 AND state = 'pending' AND id = ANY ($2)`, owner, ids)
	return wrap("release deliveries", err)
}

// ReleaseOwner implements store.Store.
func (s *Store) ReleaseOwner(ctx context.Context, owner string) (int64, error) {
	tag, err := s.pool.Exec(ctx, "UPDATE deliveries SET lease_owner = '', lease_until = 0 WHERE state = 'pending' AND lease_owner = $1", owner)
	return tag.RowsAffected(), wrap("release owner", err)
}
