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
// orphan, $6 in claimIDs the ids, in claimDue the webhooks to leave out.
const claim = `WITH c AS (
		SELECT d.id, d.webhook_id FROM deliveries d
		WHERE d.state = 'pending' AND d.lease_until <= $1 AND %s
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
	RETURNING `

// Two statements rather than one with a CASE, so that each gets a plan that
// uses its index.
var (
	claimDue = fmt.Sprintf(claim, "d.next_attempt_at <= $1 AND NOT (d.webhook_id = ANY ($6))") + sqlutil.ClaimedColumns
	claimIDs = fmt.Sprintf(claim, "d.id = ANY ($6)") + sqlutil.ClaimedColumns
)

// ClaimDeliveries implements store.Store.
func (s *Store) ClaimDeliveries(ctx context.Context, c store.Claim) ([]store.ClaimedDelivery, error) {
	if c.Owner == "" || c.Lease <= 0 {
		return nil, errors.New("postgres: claim deliveries: owner and a positive lease are required")
	}
	q, args := claimDue, []any{sqlutil.Micros(c.Now), sqlutil.Micros(c.Now.Add(c.Lease)), c.Owner,
		sqlutil.Limit(c.Limit, false), sqlutil.WebhookDeleted}
	if len(c.IDs) > 0 {
		q, args = claimIDs, append(args, c.IDs)
	} else {
		args = append(args, append([]int64{}, c.ExcludeWebhooks...))
	}
	rows, err := s.pool.Query(ctx, q, args...)
	out, err := collect(rows, err, sqlutil.ScanClaimed)
	if err != nil {
		return nil, wrap("claim deliveries", err)
	}
	slices.SortFunc(out, func(a, b store.ClaimedDelivery) int {
		return cmp.Or(a.Delivery.NextAttemptAt.Compare(b.Delivery.NextAttemptAt), cmp.Compare(a.Delivery.ID, b.Delivery.ID))
	})
	return out, nil
}

// finish is FinishAttempt in one statement: d releases the lease if owner holds
// it, and only then a records the attempt (when $5 > 0) and w does the
// webhook's bookkeeping.
//
// $1 delivery, $2 owner, $3 state, $4 next attempt, $5 n, $6 at, $7 status,
// $8 latency µs, $9 error, $10 response, $11 success, $12 disable,
// $13 disable until, $14 disable reason.
const finish = `WITH d AS (
		UPDATE deliveries SET state = $3, next_attempt_at = $4,
			attempts = attempts + CASE WHEN $5::int > 0 THEN 1 ELSE 0 END,
			last_status = $7, last_error = $9, lease_owner = '', lease_until = 0, updated_at = $6
		WHERE id = $1 AND lease_owner = $2
		RETURNING id, webhook_id
	), a AS (
		INSERT INTO attempts (` + sqlutil.AttemptColumns + `)
		SELECT d.id, $5, $6, $7, $8, $9, $10 FROM d WHERE $5::int > 0
	), w AS (
		UPDATE webhooks SET
			consecutive_failures = CASE WHEN $5::int = 0 THEN consecutive_failures
				WHEN $11::bool THEN 0 ELSE consecutive_failures + 1 END,
			disabled = disabled OR $12::bool,
			disabled_until = CASE WHEN $12::bool THEN $13 ELSE disabled_until END,
			disabled_reason = CASE WHEN $12::bool THEN $14 ELSE disabled_reason END
		FROM d WHERE webhooks.id = d.webhook_id AND ($5::int > 0 OR $12::bool)
	)
	SELECT count(*) FROM d`

// FinishAttempt implements store.Store.
func (s *Store) FinishAttempt(ctx context.Context, f store.AttemptResult) error {
	return s.FinishAttempts(ctx, []store.AttemptResult{f})[0]
}

// FinishAttempts implements store.Store: every result's statement goes in one
// round trip, which PostgreSQL runs as one implicit transaction. A lost lease
// matches no row and undoes nothing; any other failure undoes the whole batch, so
// every result then reports it.
func (s *Store) FinishAttempts(ctx context.Context, rs []store.AttemptResult) []error {
	errs := make([]error, len(rs))
	b := &pgx.Batch{}
	var sent []int
	for i, f := range rs {
		if f.Owner == "" || !sqlutil.ValidState(f.State) {
			errs[i] = fmt.Errorf("postgres: finish attempt: need an owner and a valid state (got %q)", f.State)
			continue
		}
		a := f.Attempt
		at := a.At
		if at.IsZero() {
			at = sqlutil.Now()
		}
		b.Queue(finish, a.DeliveryID, f.Owner, string(f.State), sqlutil.Micros(f.NextAttemptAt),
			a.N, sqlutil.Micros(at), a.Status, a.Latency.Microseconds(), a.Error, a.Response,
			f.Success, f.Disable, sqlutil.Micros(f.DisableUntil), f.DisableReason)
		sent = append(sent, i)
	}
	if len(sent) == 0 {
		return errs
	}
	br := s.pool.SendBatch(ctx, b)
	for _, i := range sent {
		var n int
		err := br.QueryRow().Scan(&n)
		if err == nil && n == 0 {
			err = fmt.Errorf("delivery %d leased by %q: %w", rs[i].Attempt.DeliveryID, rs[i].Owner, store.ErrNotFound)
		}
		errs[i] = wrap("finish attempt", err)
	}
	failed := br.Close()
	for _, i := range sent {
		if failed == nil && errs[i] != nil && !errors.Is(errs[i], store.ErrNotFound) {
			failed = errs[i]
		}
	}
	if failed != nil {
		for _, i := range sent {
			errs[i] = wrap("finish attempt", failed)
		}
	}
	return errs
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
