package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"

	"github.com/hookcast/hookcast/internal/store/internal/sqlutil"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrate applies the migrations not yet recorded in schema_migrations, each in
// its own write transaction. BEGIN IMMEDIATE makes a second process wait (up to
// the busy timeout) and then find the work done.
func (s *Store) Migrate(ctx context.Context) error {
	sub, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		return fmt.Errorf("sqlite: migrations: %w", err)
	}
	migrations, err := sqlutil.Migrations(sub)
	if err != nil {
		return fmt.Errorf("sqlite: %w", err)
	}
	for _, m := range migrations {
		err := s.inTx(ctx, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
				version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`); err != nil {
				return err
			}
			var n int
			if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM schema_migrations WHERE version = ?",
				m.Version).Scan(&n); err != nil || n > 0 {
				return err
			}
			if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
				m.Version, m.Name, sqlutil.Micros(sqlutil.Now()))
			return err
		})
		if err != nil {
			return wrap("migrate "+m.Name, err)
		}
	}
	return nil
}
