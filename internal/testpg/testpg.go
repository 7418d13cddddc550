// Package testpg gives tests a throwaway PostgreSQL: one cluster per test binary,
// started on first use in a temporary directory on a free 127.0.0.1 port (never
// a server already running on the machine), and a fresh database per test.
//
//	func TestMain(m *testing.M) { testpg.Main(m) }
//
//	func TestSomething(t *testing.T) {
//		url := testpg.NewDatabase(t)
//		…
//	}
//
// The server binaries (initdb, postgres) are looked up under
// /usr/lib/postgresql/*/bin and then in PATH. Without them the tests are
// skipped, unless the environment sets CI or HOOKCAST_REQUIRE_PG=1, in which
// case they fail: `make deps` installs them.
package testpg

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

var (
	mainCalled atomic.Bool
	startOnce  sync.Once
	running    *cluster
	startErr   error
	dbSeq      atomic.Int64
)

// Main runs the tests of a package and stops the cluster afterwards, if a test
// started one. Call it from the package's TestMain.
func Main(m *testing.M) {
	mainCalled.Store(true)
	code := m.Run()
	if running != nil {
		if err := running.stop(); err != nil {
			fmt.Fprintln(os.Stderr, "testpg:", err)
		}
	}
	os.Exit(code)
}

// Required reports whether a missing PostgreSQL fails the tests rather than
// skipping them: in CI, or with HOOKCAST_REQUIRE_PG=1.
func Required() bool {
	return os.Getenv("CI") != "" || os.Getenv("HOOKCAST_REQUIRE_PG") == "1"
}

// NewDatabase creates an empty database in the test binary's cluster (starting
// it on the first call) and returns its URL. The database is dropped when the
// test ends; close what uses it first (t.Cleanup runs last-registered first).
func NewDatabase(t testing.TB) string {
	t.Helper()
	if !mainCalled.Load() {
		t.Fatal("testpg: the package must call testpg.Main(m) from TestMain, so the cluster is stopped after the tests")
	}
	startOnce.Do(func() { running, startErr = start() })
	if startErr != nil {
		if errors.Is(startErr, errNoBinaries) && !Required() {
			t.Skipf("testpg: %v; run `make deps` to install PostgreSQL", startErr)
		}
		t.Fatalf("testpg: %v", startErr)
	}
	name := fmt.Sprintf("test_%d", dbSeq.Add(1))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := running.admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("testpg: create database %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := running.admin.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("testpg: drop database %s: %v", name, err)
		}
	})
	return running.url(name)
}
