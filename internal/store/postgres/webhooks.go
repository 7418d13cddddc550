package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hookcast/hookcast/internal/store"
	"github.com/hookcast/hookcast/internal/store/internal/sqlutil"
)

var (
	webhookWriteCount = len(strings.Split(sqlutil.WebhookWriteColumns, ", "))

	// $1…$n are the write columns, then account, created, updated.
	createWebhook = "INSERT INTO webhooks (" + sqlutil.WebhookWriteColumns + ", account_id, created_at, updated_at) SELECT " +
		dollars(1, webhookWriteCount+3) + " WHERE EXISTS (SELECT 1 FROM accounts WHERE id = $" +
		strconv.Itoa(webhookWriteCount+1) + ") RETURNING id"

	updateWebhook = func() string {
		cols := strings.Split(sqlutil.WebhookWriteColumns, ", ")
		for i, c := range cols {
			cols[i] = c + " = $" + strconv.Itoa(i+1)
		}
		n := len(cols)
		return "UPDATE webhooks SET " + strings.Join(cols, ", ") + ", updated_at = $" + strconv.Itoa(n+1) +
			" WHERE account_id = $" + strconv.Itoa(n+2) + " AND id = $" + strconv.Itoa(n+3) + " RETURNING created_at"
	}()
)

// dollars is "$from, …, $to".
func dollars(from, to int) string {
	var b strings.Builder
	for i := from; i <= to; i++ {
		if i > from {
			b.WriteString(", ")
		}
		b.WriteString("$" + strconv.Itoa(i))
	}
	return b.String()
}

// CreateWebhook implements store.Store.
func (s *Store) CreateWebhook(ctx context.Context, w *store.Webhook) error {
	now := sqlutil.Now()
	args := append(sqlutil.WebhookValues(w), w.AccountID, sqlutil.Micros(now), sqlutil.Micros(now))
	var id int64
	err := s.pool.QueryRow(ctx, createWebhook, args...).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		err = fmt.Errorf("account %q: %w", w.AccountID, store.ErrNotFound)
	}
	if err != nil {
		return wrap("create webhook", err)
	}
	w.ID, w.CreatedAt, w.UpdatedAt = id, now, now
	return nil
}

// GetWebhook implements store.Store.
func (s *Store) GetWebhook(ctx context.Context, accountID string, id int64) (store.Webhook, error) {
	w, err := sqlutil.ScanWebhook(s.pool.QueryRow(ctx,
		"SELECT "+sqlutil.WebhookColumns+" FROM webhooks WHERE account_id = $1 AND id = $2", accountID, id))
	if errors.Is(err, pgx.ErrNoRows) {
		err = fmt.Errorf("webhook %d: %w", id, store.ErrNotFound)
	}
	return w, wrap("get webhook", err)
}

// ListWebhooks implements store.Store.
func (s *Store) ListWebhooks(ctx context.Context, accountID string, startingID int64, limit int, descending bool) ([]store.Webhook, error) {
	q := "SELECT " + sqlutil.WebhookColumns + " FROM webhooks WHERE account_id = $1 AND id >= $2 ORDER BY id LIMIT $3"
	if descending {
		if startingID <= 0 {
			startingID = 1<<63 - 1
		}
		q = "SELECT " + sqlutil.WebhookColumns + " FROM webhooks WHERE account_id = $1 AND id <= $2 ORDER BY id DESC LIMIT $3"
	}
	rows, err := s.pool.Query(ctx, q, accountID, startingID, sqlutil.Limit(limit, false))
	out, err := collect(rows, err, sqlutil.ScanWebhook)
	return out, wrap("list webhooks", err)
}

// UpdateWebhook implements store.Store.
func (s *Store) UpdateWebhook(ctx context.Context, w *store.Webhook) error {
	now := sqlutil.Now()
	args := append(sqlutil.WebhookValues(w), sqlutil.Micros(now), w.AccountID, w.ID)
	var created int64
	err := s.pool.QueryRow(ctx, updateWebhook, args...).Scan(&created)
	if errors.Is(err, pgx.ErrNoRows) {
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
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, "DELETE FROM webhooks WHERE account_id = $1 AND id = $2", accountID, id)
		if err != nil {
			return err
		}
		if err := mustAffect(tag, fmt.Errorf("webhook %d: %w", id, store.ErrNotFound)); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE deliveries SET state = 'failed', last_error = $1, updated_at = $2
			WHERE webhook_id = $3 AND state = 'pending'`, sqlutil.WebhookDeleted, sqlutil.Micros(sqlutil.Now()), id)
		return err
	})
	return wrap("delete webhook", err)
}

// ClaimExpiringSecrets implements store.Store.
func (s *Store) ClaimExpiringSecrets(ctx context.Context, now, before time.Time) ([]store.Webhook, error) {
	rows, err := s.pool.Query(ctx, `UPDATE webhooks SET secret_expiring_sent = previous_secret_expires_at
		WHERE previous_secret <> '' AND previous_secret_expires_at > $1 AND previous_secret_expires_at <= $2
		AND secret_expiring_sent <> previous_secret_expires_at RETURNING `+sqlutil.WebhookColumns,
		sqlutil.Micros(now), sqlutil.Micros(before))
	out, err := collect(rows, err, sqlutil.ScanWebhook)
	return out, wrap("claim expiring secrets", err)
}
