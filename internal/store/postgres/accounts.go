package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/hookcast/hookcast/internal/store"
	"github.com/hookcast/hookcast/internal/store/internal/sqlutil"
)

// CreateAccount implements store.Store.
func (s *Store) CreateAccount(ctx context.Context, a store.Account) error {
	if a.ID == "" {
		return errors.New("postgres: create account: empty id")
	}
	if a.CreatedAt.IsZero() {
		a.CreatedAt = sqlutil.Now()
	}
	tag, err := s.pool.Exec(ctx, "INSERT INTO accounts (id, name, created_at) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING",
		a.ID, a.Name, sqlutil.Micros(a.CreatedAt))
	if err == nil {
		err = mustAffect(tag, fmt.Errorf("account %q: %w", a.ID, store.ErrConflict))
	}
	return wrap("create account", err)
}

// GetAccount implements store.Store.
func (s *Store) GetAccount(ctx context.Context, id string) (store.Account, error) {
	a, err := sqlutil.ScanAccount(s.pool.QueryRow(ctx, "SELECT "+sqlutil.AccountColumns+" FROM accounts WHERE id = $1", id))
	if errors.Is(err, pgx.ErrNoRows) {
		err = fmt.Errorf("account %q: %w", id, store.ErrNotFound)
	}
	return a, wrap("get account", err)
}

// ListAccounts implements store.Store.
func (s *Store) ListAccounts(ctx context.Context) ([]store.Account, error) {
	rows, err := s.pool.Query(ctx, "SELECT "+sqlutil.AccountColumns+" FROM accounts ORDER BY id")
	out, err := collect(rows, err, sqlutil.ScanAccount)
	return out, wrap("list accounts", err)
}

// AddAPISecret implements store.Store. The account check and the insert are one
// statement: no row means the account is missing or the hash taken, and a
// second look tells which.
func (s *Store) AddAPISecret(ctx context.Context, accountID string, hash []byte, label string) (store.APISecret, error) {
	sec := store.APISecret{AccountID: accountID, Label: label, CreatedAt: sqlutil.Now()}
	if len(hash) == 0 {
		return sec, errors.New("postgres: add api secret: empty hash")
	}
	err := s.pool.QueryRow(ctx, `INSERT INTO api_secrets (account_id, hash, label, created_at)
		SELECT $1, $2, $3, $4 WHERE EXISTS (SELECT 1 FROM accounts WHERE id = $1)
		ON CONFLICT (hash) DO NOTHING RETURNING id`, accountID, hash, label, sqlutil.Micros(sec.CreatedAt)).Scan(&sec.ID)
	if errors.Is(err, pgx.ErrNoRows) {
		err = fmt.Errorf("api secret: %w", store.ErrConflict)
		if _, gerr := s.GetAccount(ctx, accountID); errors.Is(gerr, store.ErrNotFound) {
			err = fmt.Errorf("account %q: %w", accountID, store.ErrNotFound)
		}
	}
	return sec, wrap("add api secret", err)
}

// ListAPISecrets implements store.Store.
func (s *Store) ListAPISecrets(ctx context.Context, accountID string) ([]store.APISecret, error) {
	rows, err := s.pool.Query(ctx, "SELECT "+sqlutil.SecretColumns+" FROM api_secrets WHERE account_id = $1 ORDER BY id", accountID)
	out, err := collect(rows, err, sqlutil.ScanSecret)
	return out, wrap("list api secrets", err)
}

// RevokeAPISecret implements store.Store.
func (s *Store) RevokeAPISecret(ctx context.Context, accountID string, secretID int64) error {
	tag, err := s.pool.Exec(ctx, `UPDATE api_secrets
		SET revoked_at = CASE WHEN revoked_at = 0 THEN $1 ELSE revoked_at END
		WHERE account_id = $2 AND id = $3`, sqlutil.Micros(sqlutil.Now()), accountID, secretID)
	if err == nil {
		err = mustAffect(tag, fmt.Errorf("api secret %d: %w", secretID, store.ErrNotFound))
	}
	return wrap("revoke api secret", err)
}

// AccountBySecretHash implements store.Store.
func (s *Store) AccountBySecretHash(ctx context.Context, hash []byte) (string, error) {
	var id string
	err := s.pool.QueryRow(ctx, "SELECT account_id FROM api_secrets WHERE hash = $1 AND revoked_at = 0", hash).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		err = fmt.Errorf("api secret: %w", store.ErrNotFound)
	}
	return id, wrap("account by secret", err)
}

// mustAffect returns notFound when the statement changed no row.
func mustAffect(tag pgconn.CommandTag, notFound error) error {
	if tag.RowsAffected() == 0 {
		return notFound
	}
	return nil
}

// collect scans every row with scan and closes rows; err is the query's error.
func collect[T any](rows pgx.Rows, err error, scan func(sqlutil.Scanner) (T, error)) ([]T, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
