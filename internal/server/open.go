package server

import (
	"context"
	"fmt"

	"github.com/hookcast/hookcast/internal/store"
	"github.com/hookcast/hookcast/internal/store/postgres"
	"github.com/hookcast/hookcast/internal/store/sqlite"
)

// OpenStore opens the store the configuration names and applies its migrations.
func OpenStore(ctx context.Context, c Config) (store.Store, error) {
	var st store.Store
	if c.Database != "" {
		pg, err := postgres.Open(ctx, c.Database)
		if err != nil {
			return nil, fmt.Errorf("open PostgreSQL database: %w", err)
		}
		st = pg
	} else {
		sl, err := sqlite.Open(ctx, c.DataDir)
		if err != nil {
			return nil, fmt.Errorf("open data directory %s: %w", c.DataDir, err)
		}
		st = sl
	}
	if err := st.Migrate(ctx); err != nil {
		st.Close()
		return nil, fmt.Errorf("migrate store: %w", err)
	}
	return st, nil
}

// IsPostgres reports whether the configuration selects PostgreSQL.
func (c Config) IsPostgres() bool { return c.Database != "" }
