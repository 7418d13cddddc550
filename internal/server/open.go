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
	o, err := openStore(ctx, c)
	if err != nil {
		return nil, err
	}
	return o.Store, nil
}

// opened is a store just opened, and how a starting server frees the delivery
// leases a previous run left: the code that opens a store knows which kind it
// is, so the server need not ask.
type opened struct {
	store.Store
	// freeStale frees the leases a dead run of this process left and returns
	// how many. On SQLite that is all of them: the data directory's lock says
	// no other process serves the file. On PostgreSQL it is those of owner,
	// this replica's name; other replicas' leases are live.
	freeStale func(ctx context.Context, owner string) (int64, error)
}

func openStore(ctx context.Context, c Config) (opened, error) {
	var o opened
	if c.Database != "" {
		pg, err := postgres.Open(ctx, c.Database)
		if err != nil {
			return o, fmt.Errorf("open PostgreSQL database: %w", err)
		}
		o = opened{Store: pg, freeStale: pg.ReleaseOwner}
	} else {
		sl, err := sqlite.Open(ctx, c.DataDir)
		if err != nil {
			return o, fmt.Errorf("open data directory %s: %w", c.DataDir, err)
		}
		o = opened{Store: sl, freeStale: func(ctx context.Context, _ string) (int64, error) { return sl.ReleaseLeases(ctx) }}
	}
	if err := o.Migrate(ctx); err != nil {
		o.Close()
		return opened{}, fmt.Errorf("migrate store: %w", err)
	}
	return o, nil
}

// IsPostgres reports whether the configuration selects PostgreSQL.
func (c Config) IsPostgres() bool { return c.Database != "" }
