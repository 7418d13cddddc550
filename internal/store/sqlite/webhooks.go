package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hookcast/hookcast/internal/store"
	"github.com/hookcast/hookcast/internal/store/internal/sqlutil"
)

var webhookPlaceholders = strings.TrimSuffix(strings.Repeat("?, ", strings.Count(sqlutil.WebhookWriteColumns, ",")+1), ", ")

// CreateWebhook implements store.Store. The account must exist (checked in the
// INSERT itself, so no foreign-key error needs decoding).
func (s *Store) CreateWebhook(ctx context.Context, w *store.Webhook) error {
	now := sqlutil.Now()
	args := append(sqlutil.WebhookValues(w), w.AccountID, sqlutil.Micros(now), sqlutil.Micros(now), w.AccountID)
	res, err := s.write.ExecContext(ctx, "INSERT INTO webhooks ("+sqlutil.WebhookWriteColumns+
		", account_id, created_at, updated_at) SELECT "+webhookPlaceholders+
		", ?, ?, ? WHERE EXISTS (SELECT 1 FROM accounts WHERE id = ?)", args...)
	if err == nil {
		err = mustAffect(res, fmt.Errorf("account %q: %w", w.AccountID, store.ErrNotFound))
	}
	var id int64
	if err == nil {
		id, err = res.LastInsertId()
	}
	if err != nil {
		return wrap("create webhook", err)
	}
	w.ID, w.CreatedAt, w.UpdatedAt = id, now, now
	return nil
}

// GetWebhook implements store.Store.
func (s *Store) GetWebhook(ctx context.Context, accountID string, id int64) (store.Webhook, error) {
	w, err := sqlutil.ScanWebhook(s.read.QueryRowContext(ctx,
		"SELECT "+sqlutil.WebhookColumns+" FROM webhooks WHERE account_id = ? AND id = ?", accountID, id))
	if errors.Is(err, sql.ErrNoRows) {
		err = fmt.Errorf("webhook %d: %w", id, store.ErrNotFound)
	}
	return w, wrap("get webhook", err)
}

// ListWebhooks implements store.Store.
func (s *Store) ListWebhooks(ctx context.Context, accountID string, startingID int64, limit int, descending bool) ([]store.Webhook, error) {
	q := "SELECT " + sqlutil.WebhookColumns + " FROM webhooks WHERE account_id = ? AND id >= ? ORDER BY id LIMIT ?"
	if descending {
		if startingID <= 0 {
			startingID = 1<<63 - 1
		}
		q = "SELECT " + sqlutil.WebhookColumns + " FROM webhooks WHERE account_id = ? AND id <= ? ORDER BY id DESC LIMIT ?"
	}
	rows, err := s.read.QueryContext(ctx, q, accountID, startingID, sqlutil.Limit(limit, true))
	out, err := collect(rows, err, sqlutil.ScanWebhook)
	return out, wrap("list webhooks", err)
}

// UpdateWebhook implements store.Store.
func (s *Store) UpdateWebhook(ctx context.Context, w *store.Webhook) error {
	now := sqlutil.Now()
	cols := strings.Split(sqlutil.WebhookWriteColumns, ", ")
	for i, c := range cols {
		cols[i] = c + " = ?"
	}
	args := append(sqlutil.WebhookValues(w), sqlutil.Micros(now), w.AccountID, w.ID)
	var created int64
	err := s.write.QueryRowContext(ctx, "UPDATE webhooks SET "+strings.Join(cols, ", ")+
		", updated_at = ? WHERE account_id = ? AND id = ? RETURNING created_at", args...).Scan(&created)
	if errors.Is(err, sql.ErrNoRows) {
		err = fmt.Errorf("webhook %d: %w", w.ID, store.ErrNotFound)
	}
	if err != nil {
		return wrap("update webhook", err)
	}
	w.CreatedAt, w.UpdatedAt = sqlutil.Time(created), now
	return nil
}

// DeleteWebhook implements store.Store.
func (s *Store) DeleteWebhook(ctx context.Context, accountID string, id int64) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, "DELETE FROM webhooks WHERE account_id = ? AND id = ?", accountID, id)
		if err != nil {
			return err
		}
		if err := mustAffect(res, fmt.Errorf("webhook %d: %w", id, store.ErrNotFound)); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE deliveries SET state = 'failed', last_error = ?, updated_at = ?
			WHERE webhook_id = ? AND state = 'pending'`, sqlutil.WebhookDeleted, sqlutil.Micros(sqlutil.Now()), id)
		return err
	})
	return wrap("delete webhook", err)
}

// ClaimExpiringSecrets implements store.Store.
func (s *Store) ClaimExpiringSecrets(ctx context.Context, now, before time.Time) ([]store.Webhook, error) {
	rows, err := s.write.QueryContext(ctx, `UPDATE webhooks SET secret_expiring_sent = previous_secret_expires_at
		WHERE previous_secret <> '' AND previous_secret_expires_at > ? AND previous_secret_expires_at <= ?
		AND secret_expiring_sent <> previous_secret_expires_at RETURNING `+sqlutil.WebhookColumns,
		sqlutil.Micros(now), sqlutil.Micros(before))
	out, err := collect(rows, err, sqlutil.ScanWebhook)
	return out, wrap("claim expiring secrets", err)
}
