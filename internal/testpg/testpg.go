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
// A test that stops and starts its database, to see what a client does while it
// is gone, takes a cluster of its own instead (NewCluster), removed when the
// test ends.
//
// The server binaries (initdb, postgres) are looked up under
// /usr/lib/postgresql/*/bin and then in PATH. Without them the tests are
// skipped, unless the environment sets CI or HOOKCAST_REQUIRE_PG=1, in which
// case they fail: `make deps` installs them.
package testpg

import (
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"testing"
)

var (
	mainCalled atomic.Bool
	startOnce  sync.Once
	shared     *Cluster
	startErr   error
	dbSeq      atomic.Int64 // numbers the databases of all clusters of the test binary
)

// Main runs the tests of a package and stops the shared cluster afterwards, if
// a test started one. Call it from the package's TestMain.
func Main(m *testing.M) {
	mainCalled.Store(true)
	code := m.Run()
	if shared != nil {
		if err := shared.close(); err != nil {
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

// NewDatabase creates an empty database in the test binary's shared cluster
// (starting it on the first call) and returns its URL. The database is dropped
// when the test ends; close what uses it first (t.Cleanup runs last-registered
// first).
func NewDatabase(t testing.TB) string {
	t.Helper()
	if !mainCalled.Load() {
		t.Fatal("testpg: the package must call testpg.Main(m) from TestMain, so the cluster is stopped after the tests")
	}
	startOnce.Do(func() { shared, startErr = newCluster(false) })
	if startErr != nil {
		skipOrFail(t, startErr)
	}
	return shared.NewDatabase(t)
}
