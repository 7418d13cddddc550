package sqlite

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hookcast/hookcast/internal/store"
)

// TestPruneGivesPagesBackInSteps: what a prune batch frees goes back to the
// file system inside the batch's own transaction, at most Limit/vacuumShare
// pages a call, so no call holds the writer for a file-sized vacuum.
func TestPruneGivesPagesBackInSteps(t *testing.T) {
	s, err := Open(t.Context(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const events, limit = 4000, 500
	old := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	body := strings.Repeat("x", 2000)
	tx, err := s.write.BeginTx(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range events {
		if _, err := tx.Exec(`INSERT INTO events (id, account_id, type, event, timestamp, content_type, body, created_at)
			VALUES (?, 'A', 'feed', 'started', 0, 'application/json', ?, ?)`,
			fmt.Sprintf("msg_%06d", i), body, old.UnixMicro()); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	pages := func() int64 {
		var n int64
		if err := s.write.QueryRow("PRAGMA page_count").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	first := pages()
	before, removed := first, int64(0)
	for i := 0; ; i++ {
		if i > events/limit+2 {
			t.Fatal("the pass never ended")
		}
		r, err := s.Prune(t.Context(), store.PruneBatch{Before: old.Add(time.Hour), Limit: limit})
		if err != nil {
			t.Fatal(err)
		}
		removed += r.Events
		now := pages()
		// +1: the file can also lose a pointer-map page (one per ~1,000 pages).
		if gave := before - now; gave > limit/vacuumShare+1 {
			t.Fatalf("one call gave %d pages back, want at most %d", gave, limit/vacuumShare+1)
		}
		before = now
		if !r.Full {
			break
		}
	}
	if removed != events {
		t.Fatalf("removed %d events, want %d", removed, events)
	}
	if before >= first {
		t.Fatalf("the file kept all its %d pages after every event was pruned (now %d)", first, before)
	}
}
