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
	tx *sql.Tx
}

// LockStreams implements store.Tx.
func (t *sqlTx) LockStreams(ctx context.Context, keys []store.StreamKey) (map[store.StreamKey]store.StreamRow, error) {
	out := make(map[store.StreamKey]store.StreamRow, len(keys))
	for _, k := range sqlutil.SortKeys(keys) {
		r, err := sqlutil.ScanStream(t.tx.QueryRowContext(ctx,
			"SELECT "+sqlutil.StreamColumns+" FROM streams WHERE account_id = ? AND name = ?", k.AccountID, k.Name))
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return nil, wrap("lock streams", err)
		}
		out[k] = r
	}
	return out, nil
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
