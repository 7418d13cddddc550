package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/hookcast/hookcast/internal/store"
	"github.com/hookcast/hookcast/internal/store/internal/sqlutil"
)

// CreateAccount implements store.Store.
func (s *Store) CreateAccount(ctx context.Context, a store.Account) error {
	if a.ID == "" {
		return errors.New("sqlite: create account: empty id")
	}
	if a.CreatedAt.IsZero() {
		a.CreatedAt = sqlutil.Now()
	}
	res, err := s.write.ExecContext(ctx,
		"INSERT INTO accounts (id, name, created_at) VALUES (?, ?, ?) ON CONFLICT (id) DO NOTHING",
		a.ID, a.Name, sqlutil.Micros(a.CreatedAt))
	if err == nil {
		err = mustAffect(res, fmt.Errorf("account %q: %w", a.ID, store.ErrConflict))
	}
	return wrap("create account", err)
}

// GetAccount implements store.Store.
func (s *Store) GetAccount(ctx context.Context, id string) (store.Account, error) {
	a, err := sqlutil.ScanAccount(s.read.QueryRowContext(ctx,
		"SELECT "+sqlutil.AccountColumns+" FROM accounts WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		err = fmt.Errorf("account %q: %w", id, store.ErrNotFound)
	}
	return a, wrap("get account", err)
}

// ListAccounts implements store.Store.
func (s *Store) ListAccounts(ctx context.Context) ([]store.Account, error) {
	rows, err := s.read.QueryContext(ctx, "SELECT "+sqlutil.AccountColumns+" FROM accounts ORDER BY id")
	out, err := collect(rows, err, sqlutil.ScanAccount)
	return out, wrap("list accounts", err)
}

// AddAPISecret implements store.Store.
func (s *Store) AddAPISecret(ctx context.Context, accountID string, hash []byte, label string) (store.APISecret, error) {
	sec := store.APISecret{AccountID: accountID, Label: label, CreatedAt: sqlutil.Now()}
	if len(hash) == 0 {
		return sec, errors.New("sqlite: add api secret: empty hash")
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if err := accountExists(ctx, tx, accountID); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO api_secrets (account_id, hash, label, created_at)
			VALUES (?, ?, ?, ?) ON CONFLICT (hash) DO NOTHING`, accountID, hash, label, sqlutil.Micros(sec.CreatedAt))
		if err != nil {
			return err
		}
		if err := mustAffect(res, fmt.Errorf("api secret: %w", store.ErrConflict)); err != nil {
			return err
		}
		sec.ID, err = res.LastInsertId()
		return err
	})
	return sec, wrap("add api secret", err)
}

// ListAPISecrets implements store.Store.
func (s *Store) ListAPISecrets(ctx context.Context, accountID string) ([]store.APISecret, error) {
	rows, err := s.read.QueryContext(ctx,
		"SELECT "+sqlutil.SecretColumns+" FROM api_secrets WHERE account_id = ? ORDER BY id", accountID)
	out, err := collect(rows, err, sqlutil.ScanSecret)
	return out, wrap("list api secrets", err)
}

// RevokeAPISecret implements store.Store.
func (s *Store) RevokeAPISecret(ctx context.Context, accountID string, secretID int64) error {
	res, err := s.write.ExecContext(ctx, `UPDATE api_secrets
		SET revoked_at = CASE WHEN revoked_at = 0 THEN ? ELSE revoked_at END
		WHERE account_id = ? AND id = ?`, sqlutil.Micros(sqlutil.Now()), accountID, secretID)
	if err == nil {
		err = mustAffect(res, fmt.Errorf("api secret %d: %w", secretID, store.ErrNotFound))
	}
	return wrap("revoke api secret", err)
}

// AccountBySecretHash implements store.Store.
func (s *Store) AccountBySecretHash(ctx context.Context, hash []byte) (string, error) {
	var id string
	err := s.read.QueryRowContext(ctx,
		"SELECT account_id FROM api_secrets WHERE hash = ? AND revoked_at = 0", hash).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		err = fmt.Errorf("api secret: %w", store.ErrNotFound)
	}
	return id, wrap("account by secret", err)
}

func accountExists(ctx context.Context, tx *sql.Tx, id string) error {
	var n int
	if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM accounts WHERE id = ?", id).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("account %q: %w", id, store.ErrNotFound)
	}
	return nil
}

// mustAffect returns notFound when res changed no row.
func mustAffect(res sql.Result, notFound error) error {
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return notFound
	}
	return nil
}

// collect scans every row with scan and closes rows; err is the query's error.
func collect[T any](rows *sql.Rows, err error, scan func(sqlutil.Scanner) (T, error)) ([]T, error) {
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
