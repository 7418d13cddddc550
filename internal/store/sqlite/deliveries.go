package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"github.com/hookcast/hookcast/internal/store"
	"github.com/hookcast/hookcast/internal/store/internal/sqlutil"
)

// ClaimDeliveries implements store.Store. The search for candidates runs on a
// read connection, so walking the claim index past rows that are leased or
// left out never holds the writer (which every commit needs); the write
// transaction then leases only the candidates still free, checked again in
// its UPDATE, so two claimers never both get a row.
func (s *Store) ClaimDeliveries(ctx context.Context, c store.Claim) ([]store.ClaimedDelivery, error) {
	if c.Owner == "" || c.Lease <= 0 {
		return nil, errors.New("sqlite: claim deliveries: owner and a positive lease are required")
	}
	now, until := sqlutil.Micros(c.Now), sqlutil.Micros(c.Now.Add(c.Lease))
	// Free rows, oldest due first, and rows whose lease ran out, each through
	// its partial index; then the oldest due of both. Placeholders are "?":
	// arguments go in the order the text names them.
	var a sqlutil.Args
	limit := sqlutil.Limit(c.Limit, true)
	part := func(index, cond string, condArgs ...any) string {
		a.List = append(a.List, condArgs...)
		q := `SELECT * FROM (SELECT d.id, w.id IS NULL AS orphan, d.next_attempt_at AS due
			FROM deliveries d INDEXED BY ` + index + ` LEFT JOIN webhooks w ON w.id = d.webhook_id
			WHERE d.state = 'pending' AND ` + cond + " AND d.next_attempt_at <= " + a.Add(now)
		if len(c.ExcludeWebhooks) > 0 {
			q += " AND d.webhook_id NOT IN (" + a.AddInts(c.ExcludeWebhooks) + ")"
		}
		if len(c.ExcludeAccounts) > 0 {
			q += " AND d.account_id NOT IN (" + a.AddStrings(c.ExcludeAccounts) + ")"
		}
		return q + " ORDER BY d.next_attempt_at, d.id LIMIT " + a.Add(limit) + ")"
	}
	q := "SELECT id, orphan FROM (" + part("deliveries_free", "d.lease_until = 0") + " UNION ALL " +
		part("deliveries_leased", "d.lease_until > 0 AND d.lease_until <= ?", now) +
		") ORDER BY due, id LIMIT " + a.Add(limit)
	candidates, orphans, err := pickIDs(s.read.QueryContext(ctx, q, a.List...))
	if err != nil || len(candidates)+len(orphans) == 0 {
		return nil, wrap("claim deliveries", err)
	}
	var out []store.ClaimedDelivery
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		out = nil
		if len(orphans) > 0 {
			a := sqlutil.Args{List: []any{sqlutil.WebhookDeleted, now, now}}
			if _, err := tx.ExecContext(ctx, `UPDATE deliveries SET state = 'failed', last_error = ?,
				lease_owner = '', lease_until = 0, updated_at = ? WHERE state = 'pending' AND lease_until <= ?
				AND id IN (`+a.AddInts(orphans)+")", a.List...); err != nil {
				return err
			}
		}
		if len(candidates) == 0 {
			return nil
		}
		a := sqlutil.Args{List: []any{c.Owner, until, now}}
		rows, err := tx.QueryContext(ctx, `UPDATE deliveries SET lease_owner = ?, lease_until = ?
			WHERE state = 'pending' AND lease_until <= ? AND id IN (`+a.AddInts(candidates)+") RETURNING id", a.List...)
		leased, err := collect(rows, err, scanID)
		if err != nil || len(leased) == 0 {
			return err
		}
		var b sqlutil.Args
		in := b.AddInts(leased)
		out, err = readClaimed(ctx, tx, in, b.List)
		return err
	})
	return out, wrap("claim deliveries", err)
}

// readClaimed reads the deliveries whose ids are in (placeholders in, values
// args), oldest due first, then each event and webhook they name once: a batch
// is often many deliveries of a few events (one event to a hundred webhooks) or
// to a few webhooks, and joined rows would read and decode each event and
// webhook again for every delivery.
func readClaimed(ctx context.Context, tx *sql.Tx, in string, args []any) ([]store.ClaimedDelivery, error) {
	rows, err := tx.QueryContext(ctx, "SELECT "+sqlutil.DeliveryColumns+" FROM deliveries WHERE id IN ("+in+
		") ORDER BY next_attempt_at, id", args...)
	ds, err := collect(rows, err, sqlutil.ScanDelivery)
	if err != nil || len(ds) == 0 {
		return nil, err
	}
	events := make(map[string]store.Event)
	hooks := make(map[int64]store.Webhook)
	var ea, wa sqlutil.Args
	var ein, win []string
	for _, d := range ds {
		if _, ok := events[d.EventID]; !ok {
			events[d.EventID] = store.Event{}
			ein = append(ein, ea.Add(d.EventID))
		}
		if _, ok := hooks[d.WebhookID]; !ok {
			hooks[d.WebhookID] = store.Webhook{}
			win = append(win, wa.Add(d.WebhookID))
		}
	}
	rows, err = tx.QueryContext(ctx, "SELECT "+sqlutil.EventColumns+" FROM events WHERE id IN ("+
		strings.Join(ein, ", ")+")", ea.List...)
	evs, err := collect(rows, err, sqlutil.ScanEvent)
	if err != nil {
		return nil, err
	}
	rows, err = tx.QueryContext(ctx, "SELECT "+sqlutil.WebhookColumns+" FROM webhooks WHERE id IN ("+
		strings.Join(win, ", ")+")", wa.List...)
	whs, err := collect(rows, err, sqlutil.ScanWebhook)
	if err != nil {
		return nil, err
	}
	for _, e := range evs {
		events[e.ID] = e
	}
	for _, w := range whs {
		hooks[w.ID] = w
	}
	out := make([]store.ClaimedDelivery, 0, len(ds))
	for _, d := range ds {
		if e, w := events[d.EventID], hooks[d.WebhookID]; e.ID != "" && w.ID != 0 { // a webhook deleted fails its rows
			out = append(out, store.ClaimedDelivery{Delivery: d, Event: e, Webhook: w})
		}
	}
	return out, nil
}

// pickIDs splits the candidates into those to lease and those whose webhook is gone.
func pickIDs(rows *sql.Rows, err error) (leased, orphans []int64, _ error) {
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var orphan bool
		if err := rows.Scan(&id, &orphan); err != nil {
			return nil, nil, err
		}
		if orphan {
			orphans = append(orphans, id)
		} else {
			leased = append(leased, id)
		}
	}
	return leased, orphans, rows.Err()
}

// ReleaseLeases frees every delivery lease. Only one process serves a SQLite store,
// so at its start any lease belongs to a process that died (kill -9, power cut):
// freeing them sends those deliveries now instead of when the lease runs out.
func (s *Store) ReleaseLeases(ctx context.Context) (int64, error) {
	var n int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, "UPDATE deliveries SET lease_owner = '', lease_until = 0 WHERE state = 'pending' AND lease_owner <> ''")
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return n, wrap("release leases", err)
}

// ReleaseDeliveries implements store.Store.
func (s *Store) ReleaseDeliveries(ctx context.Context, owner string, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		a := sqlutil.Args{List: []any{owner}}
		_, err := tx.ExecContext(ctx, `UPDATE deliveries SET lease_owner = '', lease_until = 0
			WHERE lease_owner = ? AND state = 'pending' AND id IN (`+a.AddInts(ids)+")", a.List...)
		return err
	})
	return wrap("release deliveries", err)
}

// ReleaseOwner implements store.Store.
func (s *Store) ReleaseOwner(ctx context.Context, owner string) (int64, error) {
	var n int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, "UPDATE deliveries SET lease_owner = '', lease_until = 0 WHERE state = 'pending' AND lease_owner = ?", owner)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return n, wrap("release owner", err)
}
