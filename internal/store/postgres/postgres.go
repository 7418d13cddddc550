// Package postgres is the store for several hookcast processes sharing one
// PostgreSQL database (pgx/v5). Work on one stream is serialized by row locks
// plus a transaction-scoped advisory lock per stream key (which also covers
// streams that do not exist yet); deliveries and timers are claimed with
// FOR UPDATE SKIP LOCKED, deliveries with a lease, so any replica can stop at any
// moment without losing or doubling work.
//
// The pool takes its settings from the URL (pool_max_conns and the like, see
// pgxpool.ParseConfig); the transactions run at READ COMMITTED and rely on the
// explicit locks above.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hookcast/hookcast/internal/store"
	"github.com/hookcast/hookcast/internal/store/internal/sqlutil"
)

// Store is the PostgreSQL implementation of store.Store.
type Store struct {
	pool  *pgxpool.Pool
	hooks sqlutil.HookCache // the signal path's webhooks (WebhooksFor)
}

var _ store.Store = (*Store)(nil)

// txAttempts is how often InTx runs fn when PostgreSQL aborts it with a
// serialization failure or a deadlock.
const txAttempts = 5

// Open connects to the database at url (postgres://user:pass@host:port/db) and
// applies the migrations. An unreachable database is store.ErrUnavailable.
func Open(ctx context.Context, url string) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres: invalid database URL: %w", err)
	}
	if cfg.ConnConfig.ConnectTimeout == 0 {
		cfg.ConnConfig.ConnectTimeout = 10 * time.Second
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	s := &Store{pool: pool}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, wrap(fmt.Sprintf("connect to %s:%d", cfg.ConnConfig.Host, cfg.ConnConfig.Port), err)
	}
	if err := s.Migrate(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return s, nil
}

// Ping implements store.Store.
func (s *Store) Ping(ctx context.Context) error {
	return wrap("ping", s.pool.Ping(ctx))
}

// Close waits for the connections in use to be returned and closes them all.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// InTx implements store.Store: fn runs again, with a short random pause, when
// PostgreSQL reports a serialization failure or a deadlock.
func (s *Store) InTx(ctx context.Context, fn func(tx store.Tx) error) error {
	for attempt := 1; ; attempt++ {
		err := s.inTx(ctx, fn)
		if err == nil || attempt == txAttempts || !retryable(err) {
			return wrap("transaction", err)
		}
		pause := time.Duration(rand.Int64N(int64(attempt) * int64(5*time.Millisecond)))
		select {
		case <-ctx.Done():
			return wrap("transaction", errors.Join(err, ctx.Err()))
		case <-time.After(pause):
		}
	}
}

// inTx runs fn in one transaction (lazyTx) on a connection of the pool.
func (s *Store) inTx(ctx context.Context, fn func(tx store.Tx) error) error {
	c, err := s.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer c.Release() // a connection left in a transaction is destroyed, not reused
	t := &lazyTx{conn: c}
	if err := fn(&pgTx{s: s, tx: t}); err != nil {
		t.rollback()
		return err
	}
	if err := t.commit(ctx); err != nil {
		t.rollback()
		return err
	}
	return nil
}

// pgTx is the signal path's transaction.
type pgTx struct {
	s  *Store
	tx *lazyTx
}

func retryable(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "40001" || pe.Code == "40P01")
}

// wrap adds the store and operation to err, marks "the database cannot do this
// now" as store.ErrUnavailable, and a unique violation as store.ErrConflict.
func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	if unavailable(err) {
		return fmt.Errorf("postgres: %s: %w: %w", op, store.ErrUnavailable, err)
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "23505" {
		return fmt.Errorf("postgres: %s: %w: %w", op, store.ErrConflict, err)
	}
	return fmt.Errorf("postgres: %s: %w", op, err)
}

func unavailable(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case strings.HasPrefix(pe.Code, "08"), // connection exception
			strings.HasPrefix(pe.Code, "53"),                           // insufficient resources, too many connections
			pe.Code == "57P01", pe.Code == "57P02", pe.Code == "57P03", // shutting down, cannot connect now
			pe.Code == "25006": // read-only transaction: a standby after a failover
			return true
		}
		return false
	}
	var ce *pgconn.ConnectError
	var ne net.Error
	return errors.As(err, &ce) || errors.As(err, &ne) || pgconn.SafeToRetry(err) || pgconn.Timeout(err) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
}
