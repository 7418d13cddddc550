package main

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
)

var freshSeq atomic.Int64

// freshDatabase creates an empty database on the PostgreSQL server of serverURL
// and returns its URL with a drop that removes it. Every service hookbench starts
// needs an empty database: the default account's secret, which the load posts
// with, is only shown on first start, and rows left by an earlier run would
// change what the next one measures (throughput starts one service per
// endpoint count, `-mode all` one per mode).
func freshDatabase(ctx context.Context, serverURL string) (string, func() error, error) {
	u, err := url.Parse(serverURL)
	if err != nil {
		return "", nil, fmt.Errorf("-database: %w", err)
	}
	name := fmt.Sprintf("hookbench_%d_%d_%d", os.Getpid(), time.Now().UnixNano(), freshSeq.Add(1))
	admin := func(sql string) error {
		c, err := pgx.Connect(ctx, serverURL)
		if err != nil {
			return err
		}
		defer c.Close(context.Background())
		_, err = c.Exec(ctx, sql)
		return err
	}
	if err := admin("CREATE DATABASE " + pgx.Identifier{name}.Sanitize()); err != nil {
		return "", nil, fmt.Errorf("create a fresh database on %s: %w", u.Redacted(), err)
	}
	u.Path = "/" + name
	drop := func() error {
		if err := admin("DROP DATABASE " + pgx.Identifier{name}.Sanitize() + " WITH (FORCE)"); err != nil {
			return fmt.Errorf("drop database %s: %w", name, err)
		}
		return nil
	}
	return u.String(), drop, nil
}
