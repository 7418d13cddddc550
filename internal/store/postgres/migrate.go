package postgres

import (
	"context"
	"embed"
	"fmt"
	"io/fs"

	"github.com/jackc/pgx/v5"

	"github.com/hookcast/hookcast/internal/store/internal/sqlutil"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrateLock is the advisory lock key ("hook" "cast" in ASCII) that makes
// replicas starting together apply the migrations one after the other.
const migrateLock int64 = 0x686f6f6b_63617374

// Migrate applies, in one transaction under an advisory lock, the migrations
// not yet recorded in schema_migrations. PostgreSQL DDL is transactional, so a
// failed migration leaves nothing behind. (A future migration that cannot run in
// a transaction, such as CREATE INDEX CONCURRENTLY, will need its own path.)
func (s *Store) Migrate(ctx context.Context) error {
	sub, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		return fmt.Errorf("postgres: migrations: %w", err)
	}
	migrations, err := sqlutil.Migrations(sub)
	if err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", migrateLock); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version integer PRIMARY KEY, name text NOT NULL, applied_at bigint NOT NULL)`); err != nil {
			return err
		}
		for _, m := range migrations {
			var n int
			if err := tx.QueryRow(ctx, "SELECT count(*) FROM schema_migrations WHERE version = $1", m.Version).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				continue
			}
			if _, err := tx.Exec(ctx, m.SQL); err != nil {
				return fmt.Errorf("%s: %w", m.Name, err)
			}
			if _, err := tx.Exec(ctx, "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
				m.Version, m.Name, sqlutil.Micros(sqlutil.Now())); err != nil {
				return err
			}
		}
		return nil
	})
	return wrap("migrate", err)
}
