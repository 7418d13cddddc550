package sqlite

import (
	"context"
	"database/sql"
	"strings"

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

// chunk bounds how many rows one statement reads or writes: few statements for a
// big group commit (each costs a parse), well under SQLite's variable limit.
const chunk = 250

// LockStreams implements store.Tx.
func (t *sqlTx) LockStreams(ctx context.Context, keys []store.StreamKey) (map[store.StreamKey]store.StreamRow, error) {
	keys = sqlutil.SortKeys(keys)
	out := make(map[store.StreamKey]store.StreamRow, len(keys))
	for len(keys) > 0 {
		n := min(len(keys), chunk)
		q, args := keysIn("SELECT "+sqlutil.StreamColumns+" FROM streams WHERE (account_id, name) IN (VALUES ", keys[:n])
		rows, err := t.tx.QueryContext(ctx, q, args...)
		list, err := collect(rows, err, sqlutil.ScanStream)
		if err != nil {
			return nil, wrap("lock streams", err)
		}
		for _, r := range list {
			out[r.Key] = r
		}
		keys = keys[n:]
	}
	return out, nil
}

// keysIn appends "(?, ?), …)" for keys to prefix and returns the arguments.
func keysIn(prefix string, keys []store.StreamKey) (string, []any) {
	var b strings.Builder
	b.WriteString(prefix)
	args := make([]any, 0, 2*len(keys))
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("(?, ?)")
		args = append(args, k.AccountID, k.Name)
	}
	b.WriteByte(')')
	return b.String(), args
}

// SaveStreams implements store.Tx: one multi-row upsert and one delete per chunk.
func (t *sqlTx) SaveStreams(ctx context.Context, rows []store.StreamRow) error {
	var del []store.StreamKey
	var up []store.StreamRow
	for _, r := range rows {
		if r.State == nil {
			del = append(del, r.Key)
		} else {
			up = append(up, r)
		}
	}
	for len(del) > 0 {
		n := min(len(del), chunk)
		q, args := keysIn("DELETE FROM streams WHERE (account_id, name) IN (VALUES ", del[:n])
		if _, err := t.tx.ExecContext(ctx, q, args...); err != nil {
			return wrap("save streams", err)
		}
		del = del[n:]
	}
	for len(up) > 0 {
		n := min(len(up), chunk)
		var b strings.Builder
		b.WriteString("INSERT INTO streams (account_id, name, state, due_at) VALUES ")
		args := make([]any, 0, 4*n)
		for i, r := range up[:n] {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString("(?, ?, ?, ?)")
			args = append(args, r.Key.AccountID, r.Key.Name, r.State, r.DueAt)
		}
		b.WriteString(" ON CONFLICT (account_id, name) DO UPDATE SET state = excluded.state, due_at = excluded.due_at")
		if _, err := t.tx.ExecContext(ctx, b.String(), args...); err != nil {
			return wrap("save streams", err)
		}
		up = up[n:]
	}
	return nil
}

// DueStreams implements store.Tx.
func (t *sqlTx) DueStreams(ctx context.Context, now int64, limit int) ([]store.StreamRow, error) {
	rows, err := t.tx.QueryContext(ctx, "SELECT "+sqlutil.StreamColumns+
		" FROM streams WHERE due_at > 0 AND due_at <= ? ORDER BY due_at LIMIT ?", now, sqlutil.Limit(limit, true))
	out, err := collect(rows, err, sqlutil.ScanStream)
	return out, wrap("due streams", err)
}

// SaveStream implements store.Tx.
func (t *sqlTx) SaveStream(ctx context.Context, row store.StreamRow) error {
	var err error
	if row.State == nil {
		_, err = t.tx.ExecContext(ctx, "DELETE FROM streams WHERE account_id = ? AND name = ?",
			row.Key.AccountID, row.Key.Name)
	} else {
		_, err = t.tx.ExecContext(ctx, `INSERT INTO streams (account_id, name, state, due_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (account_id, name) DO UPDATE SET state = excluded.state, due_at = excluded.due_at`,
			row.Key.AccountID, row.Key.Name, row.State, row.DueAt)
	}
	return wrap("save stream", err)
}

// WebhooksFor implements store.Tx.
func (t *sqlTx) WebhooksFor(ctx context.Context, accountID, typ string) ([]store.Webhook, error) {
	col, err := sqlutil.HookColumn(typ)
	if err != nil {
		return nil, wrap("webhooks for", err)
	}
	rows, err := t.tx.QueryContext(ctx, "SELECT "+sqlutil.WebhookColumns+
		" FROM webhooks WHERE account_id = ? AND "+col+" ORDER BY id", accountID)
	out, err := collect(rows, err, sqlutil.ScanWebhook)
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
