package postgres

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hookcast/hookcast/internal/store"
	"github.com/hookcast/hookcast/internal/store/internal/sqlutil"
	"github.com/hookcast/hookcast/internal/testpg"
)

// TestLazyTx: the writes InTx defers (lazyTx.later) run in the order issued,
// with the next statement or with the COMMIT; a failing one, or a failing
// statement of the batch that carries BEGIN, leaves nothing of the
// transaction behind, and the error names the write.
func TestLazyTx(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	s, err := Open(ctx, testpg.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.pool.Exec(ctx, "CREATE TABLE lazy (n int PRIMARY KEY)"); err != nil {
		t.Fatal(err)
	}
	insert := func(n int) query { return query{"INSERT INTO lazy VALUES ($1)", []any{n}} }
	tests := []struct {
		name    string
		fn      func(tx *lazyTx) error
		want    []int  // rows of lazy afterwards
		wantErr error  // nil: committed
		wantIn  string // in the error's text
	}{
		{"deferred write goes with the commit", func(tx *lazyTx) error {
			tx.later("one", insert(1))
			return nil
		}, []int{1}, nil, ""},
		{"deferred write runs before the next statement", func(tx *lazyTx) error {
			tx.later("two", insert(2))
			var n int
			if err := tx.QueryRow(ctx, "SELECT count(*) FROM lazy WHERE n = 2").Scan(&n); err != nil || n != 1 {
				return errors.Join(errors.New("the deferred row is not there"), err)
			}
			return nil
		}, []int{1, 2}, nil, ""},
		{"deferred write goes with the next batch", func(tx *lazyTx) error {
			tx.later("three", insert(3))
			br := tx.SendBatch(ctx, batchOf(query{"SELECT count(*) FROM lazy WHERE n = 3", nil}))
			defer br.Close()
			var n int
			if err := br.QueryRow().Scan(&n); err != nil || n != 1 {
				return errors.Join(errors.New("the deferred row is not there"), err)
			}
			return br.Close()
		}, []int{1, 2, 3}, nil, ""},
		{"failing deferred write: nothing committed", func(tx *lazyTx) error {
			tx.later("four", insert(4))
			tx.later("four again", insert(4))
			return nil
		}, []int{1, 2, 3}, store.ErrConflict, "four again"},
		{"failing statement beside BEGIN: nothing committed", func(tx *lazyTx) error {
			br := tx.SendBatch(ctx, batchOf(insert(5), insert(1)))
			return br.Close()
		}, []int{1, 2, 3}, store.ErrConflict, ""},
		{"caller's error: deferred writes dropped", func(tx *lazyTx) error {
			tx.later("six", insert(6))
			if _, err := tx.Exec(ctx, "INSERT INTO lazy VALUES (7)"); err != nil {
				return err
			}
			return errNo
		}, []int{1, 2, 3}, errNo, "no"},
		{"nothing sent: nothing to commit", func(tx *lazyTx) error { return nil }, []int{1, 2, 3}, nil, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := s.InTx(ctx, func(stx store.Tx) error { return tc.fn(stx.(*pgTx).tx) })
			if tc.wantErr == nil && err != nil || tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
				t.Fatalf("InTx: %v, want %v", err, tc.wantErr)
			}
			if err != nil && !strings.Contains(err.Error(), tc.wantIn) {
				t.Fatalf("InTx: %v, want it to name %q", err, tc.wantIn)
			}
			rows, err := s.pool.Query(ctx, "SELECT n FROM lazy ORDER BY n")
			got, err := collect(rows, err, func(r sqlutil.Scanner) (int, error) {
				var n int
				err := r.Scan(&n)
				return n, err
			})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("rows %v, want %v", got, tc.want)
			}
		})
	}
}

var errNo = errors.New("no")
