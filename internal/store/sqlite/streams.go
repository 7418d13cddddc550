package sqlite

import (
	"context"
	"database/sql"
	"errors"

	"github.com/hookcast/hookcast/internal/store"
	"github.com/hookcast/hookcast/internal/store/internal/sqlutil"
)

// sqlTx is the signal path's transaction. It holds SQLite's write lock from its
// first statement (BEGIN IMMEDIATE), which already keeps every stream from other
// transactions: LockStreams and DueStreams need no locks of their own.
type sqlTx struct {
	s  *Store
	tx *sql.Tx
}

// keySizes are the key counts LockStreams and the deletes of SaveStreams are
// prepared for (hotStatements): a group's keys go in the smallest that holds
// them, the last key repeated to fill it (a key twice in an IN list is read or
// deleted once), so a group of up to 256 streams is one statement, never parsed.
var keySizes = []int{1, 4, 16, 64, 256}

// keysChunk returns how many of n keys the next statement takes and its size.
func keysChunk(n int) (take, size int) {
	for _, size := range keySizes {
		if n <= size {
			return n, size
		}
	}
	last := keySizes[len(keySizes)-1]
	return last, last
}

func lockStreamRows(n int) string {
	return "SELECT " + sqlutil.StreamColumns + " FROM streams WHERE (account_id, name) IN (" + valuesRows(n, 2) + ")"
}

func deleteStreamRows(n int) string {
	return "DELETE FROM streams WHERE (account_id, name) IN (" + valuesRows(n, 2) + ")"
}

func upsertStreamRows(n int) string {
	return "INSERT INTO streams (account_id, name, state, due_at) " + valuesRows(n, 4) +
		" ON CONFLICT (account_id, name) DO UPDATE SET state = excluded.state, due_at = excluded.due_at"
}

// upsertStreamStates is upsertStreamRows for rows whose due_at is as stored
// (StreamRow.SameDue): an UPDATE that names due_at moves its index entry even
// when the value is the same, so these leave it out.
func upsertStreamStates(n int) string {
	return "INSERT INTO streams (account_id, name, state, due_at) " + valuesRows(n, 4) +
		" ON CONFLICT (account_id, name) DO UPDATE SET state = excluded.state"
}

const (
	dueStreams = "SELECT " + sqlutil.StreamColumns +
		" FROM streams WHERE due_at > 0 AND due_at <= ? ORDER BY due_at LIMIT ?"
	webhooksVersion = "SELECT webhooks_version FROM accounts WHERE id = ?"
	accountWebhooks = "SELECT " + sqlutil.WebhookColumns + " FROM webhooks WHERE account_id = ? ORDER BY id"
)

// eachRow calls fn with each row scanned, as collect without the slice.
func eachRow[T any](rows *sql.Rows, err error, scan func(sqlutil.Scanner) (T, error), fn func(T)) error {
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return err
		}
		fn(v)
	}
	return rows.Err()
}

// keyArgs appends the arguments of keys[:size], the last key repeated past len(keys).
func keyArgs(args []any, keys []store.StreamKey, size int) []any {
	for i := range size {
		k := keys[min(i, len(keys)-1)]
		args = append(args, k.AccountID, k.Name)
	}
	return args
}

// LockStreams implements store.Tx.
func (t *sqlTx) LockStreams(ctx context.Context, keys []store.StreamKey) (map[store.StreamKey]store.StreamRow, error) {
	keys = sqlutil.SortKeys(keys)
	out := make(map[store.StreamKey]store.StreamRow, len(keys))
	var args []any
	for len(keys) > 0 {
		n, size := keysChunk(len(keys))
		st, err := t.s.txStmt(ctx, t.tx, lockStreamRows(size))
		if err != nil {
			return nil, wrap("lock streams", err)
		}
		args = keyArgs(args[:0], keys[:n], size)
		rows, err := st.QueryContext(ctx, args...)
		err = eachRow(rows, err, sqlutil.ScanStream, func(r store.StreamRow) { out[r.Key] = r })
		if err != nil {
			return nil, wrap("lock streams", err)
		}
		keys = keys[n:]
	}
	return out, nil
}

// SaveStreams implements store.Tx: the deletes as LockStreams reads, the rest
// in multi-row upserts of chunkSizes, every statement prepared once; rows with
// SameDue in upserts that leave due_at be.
func (t *sqlTx) SaveStreams(ctx context.Context, rows []store.StreamRow) error {
	var del []store.StreamKey
	up := make([]any, 0, 4*len(rows))
	var same []any
	for _, r := range rows {
		switch {
		case r.State == nil:
			del = append(del, r.Key)
		case r.SameDue:
			same = append(same, r.Key.AccountID, r.Key.Name, r.State, r.DueAt)
		default:
			up = append(up, r.Key.AccountID, r.Key.Name, r.State, r.DueAt)
		}
	}
	var args []any
	for len(del) > 0 {
		n, size := keysChunk(len(del))
		st, err := t.s.txStmt(ctx, t.tx, deleteStreamRows(size))
		if err != nil {
			return wrap("save streams", err)
		}
		args = keyArgs(args[:0], del[:n], size)
		if _, err := st.ExecContext(ctx, args...); err != nil {
			return wrap("save streams", err)
		}
		del = del[n:]
	}
	if err := t.s.execRows(ctx, t.tx, upsertStreamStates, 4, same); err != nil {
		return wrap("save streams", err)
	}
	return wrap("save streams", t.s.execRows(ctx, t.tx, upsertStreamRows, 4, up))
}

// DueStreams implements store.Tx.
func (t *sqlTx) DueStreams(ctx context.Context, now int64, limit int) ([]store.StreamRow, error) {
	st, err := t.s.txStmt(ctx, t.tx, dueStreams)
	if err != nil {
		return nil, wrap("due streams", err)
	}
	rows, err := st.QueryContext(ctx, now, sqlutil.Limit(limit, true))
	out, err := collect(rows, err, sqlutil.ScanStream)
	return out, wrap("due streams", err)
}

// WebhooksFor implements store.Tx: from the store's HookCache while the
// account's webhooks_version has not moved.
func (t *sqlTx) WebhooksFor(ctx context.Context, accountID, typ string) ([]store.Webhook, error) {
	if _, err := sqlutil.HookColumn(typ); err != nil {
		return nil, wrap("webhooks for", err)
	}
	vst, err := t.s.txStmt(ctx, t.tx, webhooksVersion)
	if err != nil {
		return nil, wrap("webhooks for", err)
	}
	var version int64
	switch err := vst.QueryRowContext(ctx, accountID).Scan(&version); {
	case errors.Is(err, sql.ErrNoRows):
		return nil, nil // no account yet, so no webhooks
	case err != nil:
		return nil, wrap("webhooks for", err)
	}
	if hooks, ok, err := t.s.hooks.Get(accountID, version, typ); ok || err != nil {
		return hooks, wrap("webhooks for", err)
	}
	hst, err := t.s.txStmt(ctx, t.tx, accountWebhooks)
	if err != nil {
		return nil, wrap("webhooks for", err)
	}
	rows, err := hst.QueryContext(ctx, accountID)
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
	rows, err := s.read.QueryContext(ctx, "SELECT "+sqlutil.StreamColumns+
		" FROM streams WHERE account_id = ? ORDER BY name", accountID)
	out, err := collect(rows, err, sqlutil.ScanStream)
	return out, wrap("list streams", err)
}

// NextDue implements store.Store.
func (s *Store) NextDue(ctx context.Context) (int64, error) {
	var due sql.NullInt64
	err := s.read.QueryRowContext(ctx, "SELECT min(due_at) FROM streams WHERE due_at > 0").Scan(&due)
	return due.Int64, wrap("next due", err)
}
