package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/hookcast/hookcast/internal/store"
)

func TestWrap(t *testing.T) {
	pg := func(code string) error { return fmt.Errorf("query: %w", &pgconn.PgError{Code: code}) }
	tests := []struct {
		name        string
		err         error
		unavailable bool
		conflict    bool
		retry       bool
	}{
		{"admin shutdown", pg("57P01"), true, false, false},
		{"cannot connect now", pg("57P03"), true, false, false},
		{"connection failure", pg("08006"), true, false, false},
		{"too many connections", pg("53300"), true, false, false},
		{"read-only standby", pg("25006"), true, false, false},
		{"network", &net.OpError{Op: "dial", Err: errors.New("refused")}, true, false, false},
		{"eof", io.ErrUnexpectedEOF, true, false, false},
		{"deadline", context.DeadlineExceeded, true, false, false},
		{"unique violation", pg("23505"), false, true, false},
		{"serialization failure", pg("40001"), false, false, true},
		{"deadlock", pg("40P01"), false, false, true},
		{"undefined table", pg("42P01"), false, false, false},
		{"plain", errors.New("boom"), false, false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := wrap("op", tc.err)
			if errors.Is(err, store.ErrUnavailable) != tc.unavailable || errors.Is(err, store.ErrConflict) != tc.conflict {
				t.Fatalf("wrap(%v) = %v: unavailable %v, conflict %v wanted", tc.err, err, tc.unavailable, tc.conflict)
			}
			if !errors.Is(err, tc.err) {
				t.Fatalf("wrap lost the cause: %v", err)
			}
			if retryable(err) != tc.retry {
				t.Fatalf("retryable(%v) = %v", err, !tc.retry)
			}
		})
	}
	if wrap("op", nil) != nil {
		t.Fatal("wrap(nil) != nil")
	}
}
