package sqlite_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hookcast/hookcast/internal/store"
	"github.com/hookcast/hookcast/internal/store/sqlite"
	"github.com/hookcast/hookcast/internal/store/storetest"
)

func open(t testing.TB) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	return s
}

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return open(t) })
}

func BenchmarkInTxSignal(b *testing.B) {
	storetest.BenchInTxSignal(b, open(b))
}

func BenchmarkDeliveryCycle(b *testing.B) {
	storetest.BenchDeliveryCycle(b, open(b))
}

func TestOpenCreatesDirAndKeepsData(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "nested", "data")
	s, err := sqlite.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CreateAccount(ctx, store.Account{ID: "A"}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, sqlite.FileName+"-wal")); err != nil {
		t.Fatalf("no write-ahead log next to the database: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, sqlite.FileName)); err != nil {
		t.Fatalf("database file: %v", err)
	}
	s, err = sqlite.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.GetAccount(ctx, "A"); err != nil {
		t.Fatalf("after reopening: %v", err)
	}
}

func TestOpenUnwritableDir(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	ro := filepath.Join(t.TempDir(), "ro")
	if err := os.Mkdir(ro, 0o500); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, dir, want string
	}{
		{"below a file", filepath.Join(file, "data"), "cannot create data directory"},
		{"empty", "", "no data directory"},
	}
	if os.Geteuid() != 0 { // root writes anywhere
		tests = append(tests, struct{ name, dir, want string }{"read-only", ro, "not writable"})
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := sqlite.Open(context.Background(), tc.dir)
			if err == nil {
				s.Close()
				t.Fatalf("Open(%q) succeeded", tc.dir)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Open(%q) = %v, want it to say %q", tc.dir, err, tc.want)
			}
		})
	}
}

// TestReleaseLeases: a lease left by a dead process is freed at start, so the
// delivery can be claimed at once by the new owner.
func TestReleaseLeases(t *testing.T) {
	ctx := context.Background()
	s, err := sqlite.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.CreateAccount(ctx, store.Account{ID: "A", CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	w := store.Webhook{AccountID: "A", URL: "http://x", Secret: "c2VjcmV0", IsFeedHooks: true, RetryPolicy: "none"}
	if err := s.CreateWebhook(ctx, &w); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	if err := s.InTx(ctx, func(tx store.Tx) error {
		_, err := tx.InsertEvents(ctx, []store.NewEvent{{Event: store.Event{ID: "e1", AccountID: "A", Type: "feeds", Event: "started", Body: []byte("{}"), CreatedAt: now},
			Deliveries: []store.Delivery{{WebhookID: w.ID, NextAttemptAt: now}}}})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	claim := func(owner string) int {
		got, err := s.ClaimDeliveries(ctx, store.Claim{Owner: owner, Now: now, Lease: time.Hour, Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		return len(got)
	}
	if claim("dead") != 1 || claim("new") != 0 {
		t.Fatal("want the first claim to lease the delivery and the second to find nothing")
	}
	if n, err := s.ReleaseLeases(ctx); err != nil || n != 1 {
		t.Fatalf("ReleaseLeases = %d, %v", n, err)
	}
	if claim("new") != 1 {
		t.Fatal("a released delivery must be claimable at once")
	}
}

func BenchmarkPrune(b *testing.B) {
	storetest.BenchPrune(b, open(b))
}
