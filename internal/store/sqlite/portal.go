package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/hookcast/hookcast/internal/store"
	"github.com/hookcast/hookcast/internal/store/internal/sqlutil"
)

// CreatePortalToken implements store.Store.
func (s *Store) CreatePortalToken(ctx context.Context, t store.PortalToken) error {
	if len(t.Hash) == 0 || t.ExpiresAt.IsZero() {
		return errors.New("sqlite: create portal token: a hash and an expiry are required")
	}
	if t.CreatedAt.IsZero() {
		t.CreatedAt = sqlutil.Now()
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if err := accountExists(ctx, tx, t.AccountID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM portal_tokens WHERE expires_at < ?", sqlutil.Micros(t.CreatedAt)); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO portal_tokens (hash, account_id, read_only, created_at, expires_at)
			VALUES (?, ?, ?, ?, ?) ON CONFLICT (hash) DO NOTHING`,
			t.Hash, t.AccountID, t.ReadOnly, sqlutil.Micros(t.CreatedAt), sqlutil.Micros(t.ExpiresAt))
		if err != nil {
			return err
		}
		return mustAffect(res, fmt.Errorf("portal token: %w", store.ErrConflict))
	})
	return wrap("create portal token", err)
}

// TakePortalToken implements store.Store: one DELETE … RETURNING, so a token
// is handed out once.
func (s *Store) TakePortalToken(ctx context.Context, hash []byte, now time.Time) (store.PortalToken, error) {
	var t store.PortalToken
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var created, expires int64
		err := tx.QueryRowContext(ctx, `DELETE FROM portal_tokens WHERE hash = ?
			RETURNING hash, account_id, read_only, created_at, expires_at`, hash).
			Scan(&t.Hash, &t.AccountID, &t.ReadOnly, &created, &expires)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("portal token: %w", store.ErrNotFound)
		}
		t.CreatedAt, t.ExpiresAt = sqlutil.Time(created), sqlutil.Time(expires)
		return err
	})
	if err == nil && !now.Before(t.ExpiresAt) {
		return store.PortalToken{}, fmt.Errorf("sqlite: take portal token: expired: %w", store.ErrNotFound)
	}
	return t, wrap("take portal token", err)
}
