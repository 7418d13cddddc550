package sqlite

import (
	"database/sql"
	"fmt"
	"net/url"
	"time"
)

// checkpointInterval is how often the WAL is copied back into the database file:
// often, so each checkpoint has little to copy and sync.
const checkpointInterval = 100 * time.Millisecond

// idleCheckpointInterval is how often it looks while nothing is committed: the
// first commits after a quiet spell wait at most this long for their checkpoint
// (the writer's own threshold still bounds the WAL).
const idleCheckpointInterval = time.Second

// checkpointer copies the WAL into the database file from a connection of its
// own, in the background (PASSIVE: it never blocks the writer or the readers).
// SQLite's default is to checkpoint on the commit that fills the WAL past 1,000
// pages, on the writer, fsyncs included. Measured with cmd/hookbench at 1,000
// events/s, signal → webhook p99 was 7–90 ms from run to run that way, 55–65 ms
// with the writer's threshold at 64 MiB alone, and 5–13 ms with this checkpointer
// running every 100 ms beside it. The writer still checkpoints past 64 MiB (see
// dsn), so the WAL stays bounded when this one falls behind.
type checkpointer struct {
	db                  *sql.DB
	version, checkpoint *sql.Stmt // prepared once on db's one connection
	lastVersion         int64
	behind              bool // the last checkpoint left frames in the WAL
	stop                chan struct{}
	done                chan struct{}
}

func startCheckpointer(path string) (*checkpointer, error) {
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyTimeoutMS))
	q.Add("_pragma", "synchronous(NORMAL)")
	db, err := sql.Open("sqlite", path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("sqlite: open checkpoint connection: %w", err)
	}
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	c := &checkpointer{db: db, stop: make(chan struct{}), done: make(chan struct{})}
	if c.version, err = db.Prepare("PRAGMA data_version"); err == nil {
		c.checkpoint, err = db.Prepare("PRAGMA wal_checkpoint(PASSIVE)")
	}
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: prepare checkpoints: %w", err)
	}
	go c.run()
	return c, nil
}

// due reports whether a checkpoint has work: something was committed since the
// last one (PRAGMA data_version, a prepared read of the WAL index, moves when
// another connection commits), or the last one could not copy everything. An
// idle server then costs a read every tick, not a checkpoint (measured with
// hookbench -mode idle: the checkpoints were most of its CPU).
func (c *checkpointer) due() bool {
	var v int64
	if err := c.version.QueryRow().Scan(&v); err != nil {
		return true
	}
	changed := v != c.lastVersion
	c.lastVersion = v
	return changed || c.behind
}

func (c *checkpointer) run() {
	defer close(c.done)
	wait := checkpointInterval
	t := time.NewTimer(wait)
	defer t.Stop()
	for {
		select {
		case <-c.stop:
			return
		case <-t.C:
			// PASSIVE does the work (copying the pages and syncing the file)
			// beside the writer, never blocking it. A failure (the file busy
			// with another process's checkpoint, say) only delays this one to
			// the next tick. While nothing is committed the ticks slow down to
			// idleCheckpointInterval: an idle server wakes once a second.
			if c.due() {
				c.run1()
				wait = checkpointInterval
			} else {
				wait = min(2*wait, idleCheckpointInterval)
			}
			t.Reset(wait)
		}
	}
}

// run1 checkpoints and notes whether frames were left behind (a reader held
// them, or the writer was busy).
func (c *checkpointer) run1() {
	var busy, log, done int64
	err := c.checkpoint.QueryRow().Scan(&busy, &log, &done)
	c.behind = err != nil || busy != 0 || done < log
}

// close stops the checkpointer after a last checkpoint, so a clean stop leaves
// the database file complete.
func (c *checkpointer) close() error {
	close(c.stop)
	<-c.done
	c.run1()
	c.version.Close()
	c.checkpoint.Close()
	return c.db.Close()
}
