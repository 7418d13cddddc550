package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/hookcast/hookcast/internal/store"
)

// GetMeta implements store.Store.
func (s *Store) GetMeta(ctx context.Context, key string) (string, error) {
	var v string
	err := s.pool.QueryRow(ctx, "SELECT value FROM meta WHERE key = $1", key).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		err = fmt.Errorf("meta %q: %w", key, store.ErrNotFound)
	}
	return v, wrap("get meta", err)
}

// SetMetaIfAbsent implements store.Store. The no-op update makes RETURNING give
// the stored row in the same statement, whichever replica inserted it.
func (s *Store) SetMetaIfAbsent(ctx context.Context, key, value string) (string, error) {
	var stored string
	err := s.pool.QueryRow(ctx, `INSERT INTO meta (key, value) VALUES ($1, $2)
		ON CONFLICT (key) DO UPDATE SET value = meta.value RETURNING value`, key, value).Scan(&stored)
	return stored, wrap("set meta", err)
}

// SetMeta implements store.Store.
func (s *Store) SetMeta(ctx context.Context, key, value string) error {
	_, err := s.pool.Exec(ctx,
		"INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value", key, value)
	return wrap("set meta", err)
}
