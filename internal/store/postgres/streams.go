package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"

	"github.com/hookcast/hookcast/internal/store"
	"github.com/hookcast/hookcast/internal/store/internal/sqlutil"
)

// streamLockClass is the first key of the (int4, int4) advisory locks on stream
// keys ("hk"); the second is hashtext(account/name). A hash collision only makes
// two streams wait for each other, never breaks anything.
const streamLockClass int32 = 0x686b

// LockStreams implements store.Tx. An advisory lock per key, taken in sorted
// order, serializes transactions on a stream even before its row exists (two
// transactions never both create it) and cannot deadlock; the row locks make
// DueStreams skip these streams. Both statements go in one round trip.
func (t *pgTx) LockStreams(ctx context.Context, keys []store.StreamKey) (map[store.StreamKey]store.StreamRow, error) {
	sorted := sqlutil.SortKeys(keys)
	accounts, names := make([]string, len(sorted)), make([]string, len(sorted))
	for i, k := range sorted {
		accounts[i], names[i] = k.AccountID, k.Name
	}
	br := t.tx.SendBatch(ctx, batchOf(
		query{`SELECT pg_advisory_xact_lock($1::int4, hashtext(k.a || '/' || k.n))
			FROM unnest($2::text[], $3::text[]) WITH ORDINALITY AS k(a, n, i) ORDER BY k.i`,
			[]any{streamLockClass, accounts, names}},
		query{"SELECT " + sqlutil.StreamColumns + ` FROM streams
			WHERE (account_id, name) IN (SELECT * FROM unnest($1::text[], $2::text[]))
			ORDER BY account_id, name FOR UPDATE`, []any{accounts, names}},
	))
	defer br.Close()
	if _, err := br.Exec(); err != nil {
		return nil, wrap("lock streams", err)
	}
	rows, err := br.Query()
	list, err := collect(rows, err, sqlutil.ScanStream)
	if err != nil {
		return nil, wrap("lock streams", err)
	}
	out := make(map[store.StreamKey]store.StreamRow, len(list))
	for _, r := range list {
		out[r.Key] = r
	}
	return out, wrap("lock streams", br.Close())
}

// DueStreams implements store.Tx. It takes the row lock (skipping rows another
// transaction holds) and then tries the stream's advisory lock, leaving out the
// streams whose lock a LockStreams holds but whose row it has not locked yet.
func (t *pgTx) DueStreams(ctx context.Context, now int64, limit int) ([]store.StreamRow, error) {
	rows, err := t.tx.Query(ctx, "SELECT "+sqlutil.StreamColumns+" FROM (SELECT "+sqlutil.StreamColumns+
		` FROM streams WHERE due_at > 0 AND due_at <= $1 ORDER BY due_at LIMIT $2 FOR UPDATE SKIP LOCKED) s
		WHERE pg_try_advisory_xact_lock($3::int4, hashtext(s.account_id || '/' || s.name))
		ORDER BY due_at`, now, sqlutil.Limit(limit, false), streamLockClass)
	out, err := collect(rows, err, sqlutil.ScanStream)
	return out, wrap("due streams", err)
}

// SaveStreams implements store.Tx: one upsert and one delete over arrays, sent
// with the transaction's next statement or its commit (lazyTx.later).
// SameDue needs nothing here: an update that leaves an indexed column's value
// as it was does not touch that index (PostgreSQL compares, and the update can
// stay on its heap page).
func (t *pgTx) SaveStreams(ctx context.Context, rows []store.StreamRow) error {
	var da, dn, ua, un []string
	var us [][]byte
	var ud []int64
	for _, r := range rows {
		if r.State == nil {
			da, dn = append(da, r.Key.AccountID), append(dn, r.Key.Name)
		} else {
			ua, un = append(ua, r.Key.AccountID), append(un, r.Key.Name)
			us, ud = append(us, r.State), append(ud, r.DueAt)
		}
	}
	if len(da) > 0 {
		t.tx.later("save streams", query{`DELETE FROM streams WHERE (account_id, name) IN
			(SELECT * FROM unnest($1::text[], $2::text[]))`, []any{da, dn}})
	}
	if len(ua) > 0 {
		t.tx.later("save streams", query{`INSERT INTO streams (account_id, name, state, due_at)
			SELECT * FROM unnest($1::text[], $2::text[], $3::bytea[], $4::bigint[])
			ON CONFLICT (account_id, name) DO UPDATE SET state = excluded.state, due_at = excluded.due_at`,
			[]any{ua, un, us, ud}})
	}
	return nil
}

// WebhooksFor implements store.Tx: from the store's HookCache while the
// account's webhooks_version has not moved (a trigger moves it on every write
// to webhooks, from any replica).
func (t *pgTx) WebhooksFor(ctx context.Context, accountID, typ string) ([]store.Webhook, error) {
	if _, err := sqlutil.HookColumn(typ); err != nil {
		return nil, wrap("webhooks for", err)
	}
	var version int64
	switch err := t.tx.QueryRow(ctx, "SELECT webhooks_version FROM accounts WHERE id = $1", accountID).Scan(&version); {
	case errors.Is(err, pgx.ErrNoRows):
		return nil, nil // no account yet, so no webhooks
	case err != nil:
		return nil, wrap("webhooks for", err)
	}
	if hooks, ok, err := t.s.hooks.Get(accountID, version, typ); ok || err != nil {
		return hooks, wrap("webhooks for", err)
	}
	// Read committed: the rows may be newer than version, never older, so
	// what is kept is read again at the next move.
	rows, err := t.tx.Query(ctx, "SELECT "+sqlutil.WebhookColumns+" FROM webhooks WHERE account_id = $1 ORDER BY id", accountID)
	all, err := collect(rows, err, sqlutil.ScanWebhook)
	if err != nil {
		return nil, wrap("webhooks for", err)
	}
	t.s.hooks.Put(accountID, version, all)
	out, err := sqlutil.HooksOfType(all, typ)
	return out, wrap("webhooks for", err)
}

// ListStreams implements store.Store.
func (s *Store) ListStreams(ctx context.Context, accountID string) ([]store.StreamRow, error) {
	rows, err := s.pool.Query(ctx, "SELECT "+sqlutil.StreamColumns+" FROM streams WHERE account_id = $1 ORDER BY name", accountID)
	out, err := collect(rows, err, sqlutil.ScanStream)
	return out, wrap("list streams", err)
}

// NextDue implements store.Store.
func (s *Store) NextDue(ctx context.Context) (int64, error) {
	var due *int64
	err := s.pool.QueryRow(ctx, "SELECT min(due_at) FROM streams WHERE due_at > 0").Scan(&due)
	if err != nil || due == nil {
		return 0, wrap("next due", err)
	}
	return *due, nil
}
