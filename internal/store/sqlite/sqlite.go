// Package sqlite is the embedded store: one file, dir/hookcast.db, for one
// hookcast process, on modernc.org/sqlite (pure Go, no cgo).
//
// SQLite has one writer at a time. Every write therefore goes through a single
// connection, so concurrent writers queue in Go instead of failing with
// SQLITE_BUSY, and transactions start with BEGIN IMMEDIATE so they hold the write
// lock from their first statement (no deadlock between two readers upgrading).
// Reads use their own pool: in WAL mode they run beside the writer.
//
// Durability: journal_mode=WAL with synchronous=NORMAL. A commit survives a crash
// of the process; a power cut or kernel crash can lose the last transactions
// before the next WAL checkpoint, but never corrupts the database. That trade
// saves an fsync per commit on the ingest path; a deployment that cannot accept
// it runs on PostgreSQL.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	sqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/hookcast/hookcast/internal/store"
	"github.com/hookcast/hookcast/internal/store/internal/sqlutil"
)

// FileName is the database file inside the data directory.
const FileName = "hookcast.db"

// busyTimeoutMS is how long a connection waits for a lock another process holds
// (the offline `hookcast accounts` commands) before the work is refused.
const busyTimeoutMS = 5000

// Store is the SQLite implementation of store.Store.
type Store struct {
	path  string
	write *sql.DB // exactly one connection: the only writer
	read  *sql.DB // a pool of query_only connections
	ckpt  *checkpointer
	stmts map[string]*sql.Stmt // hotStatements, prepared on the write connection
	hooks sqlutil.HookCache    // the signal path's webhooks (WebhooksFor)
}

var _ store.Store = (*Store)(nil)

// Open opens (creating if needed) dir and dir/hookcast.db and applies the
// migrations. The directory must be writable.
func Open(ctx context.Context, dir string) (*Store, error) {
	if dir == "" {
		return nil, errors.New("sqlite: no data directory given")
	}
	if strings.Contains(dir, "?") {
		return nil, fmt.Errorf("sqlite: data directory %q: '?' is not allowed in the path", dir)
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("sqlite: cannot create data directory %s: %w", dir, err)
	}
	if err := checkWritable(dir); err != nil {
		return nil, err
	}
	s := &Store{path: filepath.Join(dir, FileName)}
	var err error
	if s.write, err = sql.Open("sqlite", dsn(s.path, true)); err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", s.path, err)
	}
	s.write.SetMaxOpenConns(1)
	s.write.SetMaxIdleConns(1)
	s.write.SetConnMaxLifetime(0)
	s.write.SetConnMaxIdleTime(0)
	// The write connection goes first: it switches the file to WAL, which the
	// read connections then find already set.
	if err := s.write.PingContext(ctx); err != nil {
		s.write.Close()
		return nil, wrap("open "+s.path, err)
	}
	if s.read, err = sql.Open("sqlite", dsn(s.path, false)); err != nil {
		s.write.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", s.path, err)
	}
	n := max(4, runtime.GOMAXPROCS(0))
	s.read.SetMaxOpenConns(n)
	s.read.SetMaxIdleConns(n)
	// A reader idle for a minute is closed, and its page cache with it.
	s.read.SetConnMaxIdleTime(time.Minute)
	if err := s.Migrate(ctx); err != nil {
		s.Close()
		return nil, err
	}
	if err := s.prepareHot(ctx); err != nil {
		s.Close()
		return nil, err
	}
	if s.ckpt, err = startCheckpointer(s.path); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// checkWritable creates and removes a file in dir, so that a read-only data
// directory is reported as such at start-up rather than at the first write.
func checkWritable(dir string) error {
	f, err := os.CreateTemp(dir, ".hookcast-write-check-*")
	if err != nil {
		return fmt.Errorf("sqlite: data directory %s is not writable: %w", dir, err)
	}
	name := f.Name()
	f.Close()
	if err := os.Remove(name); err != nil {
		return fmt.Errorf("sqlite: data directory %s: %w", dir, err)
	}
	return nil
}

func dsn(path string, write bool) string {
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyTimeoutMS))
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous(NORMAL)")
	// The writer's page cache is 16 MiB (default 2 MiB): the group commit reads
	// and rewrites thousands of stream rows per transaction. It takes twice
	// that resident (the driver's allocator gives each 4 KiB page an 8 KiB
	// slot), so at 32 MiB it was 68 MB of serve's 208 MB RSS in the retention
	// soak; the pages it misses are in the OS's cache, and the soak's
	// throughput did not change measurably (docs/PERFORMANCE.md). Readers (API,
	// dashboard, metrics) get 4 MiB each: pages they read stay cached until the
	// connection closes, and six connections of 64 MiB let an idle serve grow
	// from 20 to 68 MB after a few listings.
	if write {
		q.Add("_pragma", "cache_size(-16384)")
	} else {
		q.Add("_pragma", "cache_size(-4096)")
	}
	q.Add("_pragma", "temp_store(MEMORY)")
	if write {
		// Before any table exists (a new file) this makes the pruner's
		// incremental vacuum possible (prune.go); on an older file it does nothing.
		q.Add("_pragma", "auto_vacuum(INCREMENTAL)")
		q.Add("_pragma", "journal_mode(WAL)")
		// Checkpoints are the checkpointer's, beside the writer, so their fsyncs
		// do not stall commits (checkpoint.go). The writer still checkpoints
		// when the WAL passes 64 MiB (the checkpointer fell behind: the WAL
		// stays bounded), and the WAL file is cut back to 64 MiB after a reset.
		q.Add("_pragma", "wal_autocheckpoint(16384)")
		q.Add("_pragma", "journal_size_limit(67108864)")
		q.Set("_txlock", "immediate")
	} else {
		q.Add("_pragma", "query_only(1)")
	}
	return path + "?" + q.Encode()
}

// Ping reads the schema page, so it fails when the file is gone or unreadable.
func (s *Store) Ping(ctx context.Context) error {
	var n int
	err := s.read.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_master").Scan(&n)
	return wrap("ping", err)
}

// Close closes both pools.
func (s *Store) Close() error {
	var errs []error
	if s.ckpt != nil {
		errs = append(errs, s.ckpt.close())
	}
	if s.read != nil {
		errs = append(errs, s.read.Close())
	}
	for _, st := range s.stmts {
		errs = append(errs, st.Close())
	}
	errs = append(errs, s.write.Close())
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("sqlite: close: %w", err)
	}
	return nil
}

// inTx runs fn in a write transaction (BEGIN IMMEDIATE on the one write
// connection) and commits when it returns nil.
func (s *Store) inTx(ctx context.Context, fn func(tx *sql.Tx) error) (err error) {
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer func() {
		if p := recover(); p != nil {
			_ = tx.Rollback()
			panic(p)
		}
	}()
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// InTx implements store.Store. SQLite never reports a serialization failure to a
// transaction that holds the write lock, so fn runs exactly once.
func (s *Store) InTx(ctx context.Context, fn func(tx store.Tx) error) error {
	return wrap("transaction", s.inTx(ctx, func(tx *sql.Tx) error { return fn(&sqlTx{s: s, tx: tx}) }))
}

// isConstraint reports whether err is SQLite's refusal of a row that breaks a
// constraint (a duplicate key, say).
func isConstraint(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && se.Code()&0xff == sqlite3.SQLITE_CONSTRAINT
}

// wrap adds the store and operation to err and marks errors that mean "the
// database cannot do this now" (locked by another process, disk full, I/O error,
// file gone) as store.ErrUnavailable.
func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_NOMEM, sqlite3.SQLITE_READONLY,
			sqlite3.SQLITE_IOERR, sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_FULL, sqlite3.SQLITE_CANTOPEN,
			sqlite3.SQLITE_PROTOCOL, sqlite3.SQLITE_NOTADB:
			return fmt.Errorf("sqlite: %s: %w: %w", op, store.ErrUnavailable, err)
		}
	}
	if errors.Is(err, sql.ErrConnDone) {
		return fmt.Errorf("sqlite: %s: %w: %w", op, store.ErrUnavailable, err)
	}
	return fmt.Errorf("sqlite: %s: %w", op, err)
}
