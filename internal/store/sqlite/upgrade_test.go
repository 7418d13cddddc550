package sqlite_test

import (
	"bytes"
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/hookcast/hookcast/internal/store"
	"github.com/hookcast/hookcast/internal/store/sqlite"
)

// TestUpgradeKeepsAttempts: a database written before migration 0002 (every
// attempt in the attempts table) opens, shows its attempts, and a new attempt
// of an old delivery lands after them.
func TestUpgradeKeepsAttempts(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	init, err := os.ReadFile("migrations/0001_init.sql")
	if err != nil {
		t.Fatal(err)
	}
	raw, err := sql.Open("sqlite", filepath.Join(dir, sqlite.FileName))
	if err != nil {
		t.Fatal(err)
	}
	us := func(d time.Duration) int64 { return time.Unix(1700000000, 0).Add(d).UnixMicro() }
	for _, q := range []string{
		string(init),
		`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`,
		`INSERT INTO schema_migrations VALUES (1, '0001_init.sql', 0)`,
		`INSERT INTO accounts VALUES ('A', '', 0)`,
		`INSERT INTO webhooks (id, account_id, url, secret, is_feed_hooks, retry_policy, created_at, updated_at)
			VALUES (1, 'A', 'http://127.0.0.1:9/', 'c2VjcmV0', 1, 'exponential', 0, 0)`,
		`INSERT INTO events (id, account_id, type, event, timestamp, content_type, body, created_at)
			VALUES ('msg_old', 'A', 'feeds', 'started', 0, 'application/json', x'7b7d', 0)`,
		`INSERT INTO deliveries (id, event_id, account_id, webhook_id, event_type, event_name, state, attempts,
			next_attempt_at, last_status, last_error, created_at, updated_at)
			VALUES (7, 'msg_old', 'A', 1, 'feeds', 'started', 'pending', 1, 0, 503, 'HTTP 503', 0, 0)`,
		`INSERT INTO attempts VALUES (7, 1, ` + strconv.FormatInt(us(0), 10) + `, 503, 1500, 'HTTP 503', x'62757379')`,
	} {
		if _, err := raw.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	raw.Close()

	s, err := sqlite.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	_, attempts, err := s.GetDelivery(ctx, "A", 7)
	if err != nil || len(attempts) != 1 || attempts[0].Status != 503 || !bytes.Equal(attempts[0].Response, []byte("busy")) {
		t.Fatalf("old attempts after the upgrade: %+v, %v", attempts, err)
	}
	if got, err := s.ClaimDeliveries(ctx, store.Claim{Owner: "r1", Now: time.Unix(1700000000, 0).Add(time.Hour),
		Lease: time.Minute, Limit: 10}); err != nil || len(got) != 1 {
		t.Fatalf("claim after the upgrade: %d, %v", len(got), err)
	}
	second := store.Attempt{DeliveryID: 7, N: 2, At: time.Unix(1700000000, 0).Add(time.Hour), Status: 200, Latency: time.Millisecond}
	if err := s.FinishAttempts(ctx, []store.AttemptResult{{Owner: "r1", Attempt: second, State: store.DeliverySucceeded, Success: true}})[0]; err != nil {
		t.Fatal(err)
	}
	_, attempts, err = s.GetDelivery(ctx, "A", 7)
	if err != nil || len(attempts) != 2 || attempts[0].N != 1 || attempts[0].Status != 503 || attempts[1].N != 2 ||
		attempts[1].Status != 200 || attempts[1].Latency != time.Millisecond {
		t.Fatalf("attempts after a new one: %+v, %v", attempts, err)
	}
}
