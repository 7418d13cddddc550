package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hookcast/hookcast/internal/store"
	"github.com/hookcast/hookcast/internal/store/internal/sqlutil"
)

// CreatePortalToken implements store.Store.
func (s *Store) CreatePortalToken(ctx context.Context, t store.PortalToken) error {
	if len(t.Hash) == 0 || t.ExpiresAt.IsZero() {
		return errors.New("postgres: create portal token: a hash and an expiry are required")
	}
	if t.CreatedAt.IsZero() {
		t.CreatedAt = sqlutil.Now()
	}
	br := s.pool.SendBatch(ctx, batchOf(
		query{"DELETE FROM portal_tokens WHERE expires_at < $1", []any{sqlutil.Micros(t.CreatedAt)}},
		query{`INSERT INTO portal_tokens (hash, account_id, read_only, created_at, expires_at)
			SELECT $1, $2, $3, $4, $5 WHERE EXISTS (SELECT 1 FROM accounts WHERE id = $2)
			ON CONFLICT (hash) DO NOTHING`,
			[]any{t.Hash, t.AccountID, t.ReadOnly, sqlutil.Micros(t.CreatedAt), sqlutil.Micros(t.ExpiresAt)}}))
	_, err := br.Exec()
	var tag interface{ RowsAffected() int64 }
	if err == nil {
		tag, err = br.Exec()
	}
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	if err == nil && tag.RowsAffected() == 0 {
		err = fmt.Errorf("portal token: %w", store.ErrConflict)
		if _, gerr := s.GetAccount(ctx, t.AccountID); errors.Is(gerr, store.ErrNotFound) {
			err = fmt.Errorf("account %q: %w", t.AccountID, store.ErrNotFound)
		}
	}
	return wrap("create portal token", err)
}

// TakePortalToken implements store.Store: one DELETE … RETURNING, so a token
// is handed out once.
func (s *Store) TakePortalToken(ctx context.Context, hash []byte, now time.Time) (store.PortalToken, error) {
	var t store.PortalToken
	var created, expires int64
	err := s.pool.QueryRow(ctx, `DELETE FROM portal_tokens WHERE hash = $1
		RETURNING hash, account_id, read_only, created_at, expires_at`, hash).
		Scan(&t.Hash, &t.AccountID, &t.ReadOnly, &created, &expires)
	if errors.Is(err, pgx.ErrNoRows) {
		return t, fmt.Errorf("postgres: take portal token: %w", store.ErrNotFound)
	}
	if err != nil {
		return store.PortalToken{}, wrap("take portal token", err)
	}
	t.CreatedAt, t.ExpiresAt = sqlutil.Time(created), sqlutil.Time(expires)
	if !now.Before(t.ExpiresAt) {
		return store.PortalToken{}, fmt.Errorf("postgres: take portal token: expired: %w", store.ErrNotFound)
	}
	return t, nil
}
