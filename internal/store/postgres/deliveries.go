package postgres

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"

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

// finishDeliveries releases the leases that their owners hold and, where an
// attempt was made (n > 0), records it, for every result of a run in one
// statement: each column an array, as insertEvents. It returns the position (1
// up) of each result it wrote, with its webhook and account (a result missing:
// its lease was lost). A delivery must not come twice in one run (an UPDATE
// writes a row once): finishRuns splits the batch there. The "id = ANY" lets
// the planner look the rows up by primary key (see finishRun).
// The webhooks' bookkeeping comes after every delivery of the batch, once per
// webhook in id order, so that replicas recording attempts for the same webhooks
// never lock them in opposite orders.
const finishDeliveries = `WITH v AS (
		SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bigint[], $5::int[], $6::bigint[],
			$7::int[], $8::bigint[], $9::text[], $10::bytea[])
			WITH ORDINALITY AS v(id, owner, state, next_attempt_at, n, at, status, latency_us, error, response, i)
	), d AS (
		UPDATE deliveries SET state = v.state, next_attempt_at = v.next_attempt_at,
			attempts = attempts + CASE WHEN v.n > 0 THEN 1 ELSE 0 END,
			last_status = v.status, last_error = v.error, lease_owner = '', lease_until = 0, updated_at = v.at
		FROM v WHERE deliveries.id = ANY ($1) AND deliveries.id = v.id AND deliveries.lease_owner = v.owner
		RETURNING v.i, deliveries.webhook_id, deliveries.account_id
	), a AS (
		INSERT INTO attempts (` + sqlutil.AttemptColumns + `)
		SELECT v.id, v.n, v.at, v.status, v.latency_us, v.error, v.response FROM d JOIN v ON v.i = d.i WHERE v.n > 0
	)
	SELECT i, webhook_id, account_id FROM d`

// finishRuns splits valid (indexes into rs) where a delivery comes again, so
// that its second result sees what the first wrote (the lease gone), as it
// would if they were recorded one after the other.
func finishRuns(rs []store.AttemptResult, valid []int) [][]int {
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
	return append(runs, valid[start:])
}

// finishWebhook applies a batch's effect on one webhook: the failure count
// restarts at $3 after a success ($2), else grows by $3; $4 disables it until $5
// for reason $6. A row already as wanted is not touched (nor locked).
const finishWebhook = `UPDATE webhooks SET
		consecutive_failures = CASE WHEN $2::bool THEN $3 ELSE consecutive_failures + $3 END,
		disabled = disabled OR $4::bool,
		disabled_until = CASE WHEN $4::bool THEN $5 ELSE disabled_until END,
		disabled_reason = CASE WHEN $4::bool THEN $6 ELSE disabled_reason END
	WHERE id = $1 AND ($4::bool OR $3 > 0 OR ($2::bool AND consecutive_failures <> 0))`

// FinishAttempts implements store.Store: one transaction, retried on a deadlock
// or serialization failure; BEGIN and the deliveries' statements go in one
// round trip, then the webhooks' bookkeeping and the stats rollups
// (webhook_stats) with the COMMIT.
func (s *Store) FinishAttempts(ctx context.Context, rs []store.AttemptResult) []error {
	errs, valid := sqlutil.CheckResults("postgres", rs)
	if len(valid) == 0 {
		return errs
	}
	err := s.InTx(ctx, func(stx store.Tx) error {
		tx := stx.(*pgTx).tx
		hooks := sqlutil.WebhookEffects{}
		rollups := sqlutil.Rollups{}
		for _, run := range finishRuns(rs, valid) {
			if err := finishRun(ctx, tx, rs, run, errs, hooks, rollups); err != nil {
				return err
			}
		}
		// The webhooks' bookkeeping and the rollups, in the COMMIT's round trip.
		var qs []query
		for _, e := range hooks.Sorted() {
			qs = append(qs, query{finishWebhook, []any{e.ID, e.Reset, e.N, e.Disable, sqlutil.Micros(e.Until), e.Reason}})
		}
		if q, ok := rollupsQuery(rollups.Sorted()); ok {
			qs = append(qs, q)
		}
		tx.later("finish attempts: webhooks and rollups", qs...) // sent with the COMMIT
		return nil
	})
	return sqlutil.FinishErrors(errs, valid, err, wrap)
}

// finishRun writes the results rs[run…] (finishDeliveries), setting errs[i]
// to nil for each one written and ErrNotFound for each whose lease was lost.
func finishRun(ctx context.Context, tx *lazyTx, rs []store.AttemptResult, run []int, errs []error,
	hooks sqlutil.WebhookEffects, rollups sqlutil.Rollups) error {
	n := len(run)
	var (
		ids, nexts, ats, latencies = make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n)
		owners, states, es         = make([]string, n), make([]string, n), make([]string, n)
		resps                      = make([][]byte, n)
		attemptNs, statuses        = make([]int32, n), make([]int32, n)
	)
	for k, i := range run {
		f := &rs[i]
		a := &f.Attempt
		ids[k], owners[k], states[k], nexts[k] = a.DeliveryID, f.Owner, string(f.State), sqlutil.Micros(f.NextAttemptAt)
		attemptNs[k], ats[k], statuses[k], latencies[k] = int32(a.N), sqlutil.Micros(sqlutil.AttemptAt(*f)), int32(a.Status), a.Latency.Microseconds()
		es[k], resps[k] = a.Error, a.Response
	}
	// The planner, on a table it thinks small (statistics lag behind the
	// outbox's churn), would rather scan deliveries than look 64 ids up: it
	// scanned 10,000 rows per batch in BenchmarkDeliveryCycle. Both go in one
	// round trip; the setting lasts until the transaction ends.
	br := tx.SendBatch(ctx, batchOf(query{"SET LOCAL enable_seqscan = off", nil},
		query{finishDeliveries, []any{ids, owners, states, nexts, attemptNs, ats, statuses, latencies, es, resps}}))
	defer br.Close()
	if _, err := br.Exec(); err != nil {
		return err
	}
	rows, err := br.Query()
	if err != nil {
		return err
	}
	defer rows.Close()
	written := make([]bool, n)
	for rows.Next() {
		var pos int64
		var wh int64
		var acct string
		if err := rows.Scan(&pos, &wh, &acct); err != nil {
			return err
		}
		i := run[pos-1]
		written[pos-1] = true
		errs[i] = nil
		hooks.Add(wh, rs[i])
		rollups.Add(acct, wh, rs[i])
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for k, i := range run {
		if !written[k] {
			errs[i] = fmt.Errorf("delivery %d leased by %q: %w", rs[i].Attempt.DeliveryID, rs[i].Owner, store.ErrNotFound)
		}
	}
	return nil
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
