package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// lazyTx is InTx's transaction on one pooled connection, in fewer round trips
// than pgx.Tx takes: BEGIN goes with the transaction's first batch (LockStreams,
// FinishAttempts' first statements), and the writes nobody reads a result of
// (SaveStreams, FinishAttempts' bookkeeping and rollups: later) go with the
// next batch or with the COMMIT. The statements run in the order the caller
// issued them, as before; only the round trips are fewer. Why: with one signal
// per request a group commit holds a few signals, and each round trip costs
// both processes a write, a read and a wake-up: a group commit took six, an
// attempts' record four (3 replicas on one database: docs/PERFORMANCE.md).
// An error of a deferred write is reported by the call that sent it (the next
// statement or the commit), wrapped with the write's name.
type lazyTx struct {
	conn    *pgxpool.Conn
	begun   bool     // BEGIN sent (or queued in the batch being sent)
	pending []query  // deferred writes, not sent yet
	ops     []string // what each pending write is, for its error
}

// later queues q to go with the next statement or the commit.
func (t *lazyTx) later(op string, qs ...query) {
	for _, q := range qs {
		t.pending, t.ops = append(t.pending, q), append(t.ops, op)
	}
}

// prefix takes what must be sent before the next statement: BEGIN, unless
// sent, and the deferred writes.
func (t *lazyTx) prefix() (qs []query, ops []string) {
	if !t.begun {
		t.begun = true
		qs, ops = append(qs, query{"BEGIN", nil}), append(ops, "begin")
	}
	qs, ops = append(qs, t.pending...), append(ops, t.ops...)
	t.pending, t.ops = nil, nil
	return qs, ops
}

// sendPrefix sends qs and then b in one round trip and returns the results of
// b's statements, or an error of one of qs for all of them.
func (t *lazyTx) sendPrefix(ctx context.Context, qs []query, ops []string, b *pgx.Batch) pgx.BatchResults {
	all := batchOf(qs...)
	if b != nil {
		for _, q := range b.QueuedQueries {
			all.Queue(q.SQL, q.Arguments...)
		}
	}
	br := t.conn.SendBatch(ctx, all)
	for i := range qs {
		if _, err := br.Exec(); err != nil {
			_ = br.Close()
			return failedResults{fmt.Errorf("%s: %w", ops[i], err)}
		}
	}
	return br
}

// flush sends what prefix holds, alone: before a statement that is not a
// batch (rare on the hot paths, which begin with a batch).
func (t *lazyTx) flush(ctx context.Context) error {
	qs, ops := t.prefix()
	if len(qs) == 0 {
		return nil
	}
	return t.sendPrefix(ctx, qs, ops, nil).Close()
}

// SendBatch sends the prefix and b in one round trip; the results are b's.
func (t *lazyTx) SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults {
	for _, q := range b.QueuedQueries {
		if q.Fn != nil { // callbacks run by Close: not carried over
			if err := t.flush(ctx); err != nil {
				return failedResults{err}
			}
			return t.conn.SendBatch(ctx, b)
		}
	}
	qs, ops := t.prefix()
	if len(qs) == 0 {
		return t.conn.SendBatch(ctx, b)
	}
	return t.sendPrefix(ctx, qs, ops, b)
}

func (t *lazyTx) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	if err := t.flush(ctx); err != nil {
		return pgconn.CommandTag{}, err
	}
	return t.conn.Exec(ctx, sql, args...)
}

func (t *lazyTx) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	if err := t.flush(ctx); err != nil {
		return nil, err
	}
	return t.conn.Query(ctx, sql, args...)
}

func (t *lazyTx) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	if err := t.flush(ctx); err != nil {
		return failedRow{err}
	}
	return t.conn.QueryRow(ctx, sql, args...)
}

// commit sends the deferred writes and COMMIT in one round trip (nothing at
// all when nothing was sent or deferred). A transaction PostgreSQL had
// aborted answers COMMIT with ROLLBACK: that is an error.
func (t *lazyTx) commit(ctx context.Context) error {
	if !t.begun && len(t.pending) == 0 {
		return nil
	}
	t.later("commit", query{"COMMIT", nil})
	qs, ops := t.prefix()
	last := len(qs) - 1
	br := t.sendPrefix(ctx, qs[:last], ops[:last], batchOf(qs[last]))
	tag, err := br.Exec()
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	if err == nil && tag.String() == "ROLLBACK" {
		err = pgx.ErrTxCommitRollback
	}
	return err
}

// rollback ends a transaction that failed. Should it fail too, the connection
// is left in its transaction and the pool destroys it on release.
func (t *lazyTx) rollback() {
	if !t.begun {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, _ = t.conn.Exec(ctx, "ROLLBACK")
}

// failedResults are the results of a batch that was not run: err for each.
type failedResults struct{ err error }

func (f failedResults) Exec() (pgconn.CommandTag, error) { return pgconn.CommandTag{}, f.err }
func (f failedResults) Query() (pgx.Rows, error)         { return nil, f.err }
func (f failedResults) QueryRow() pgx.Row                { return failedRow(f) }
func (f failedResults) Close() error                     { return f.err }
func (f failedResults) Tx() pgx.Tx                       { return nil }

type failedRow struct{ err error }

func (f failedRow) Scan(...any) error { return f.err }
