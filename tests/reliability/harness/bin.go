// Package harness runs real `hookcast serve` processes for the end-to-end tests
// of tests/reliability and tests/security: it builds the binary once per
// test binary, starts and kills processes, talks to their API, receives their
// webhooks. PostgreSQL comes from internal/testpg: the shared cluster of the
// test binary, or one a test may stop and start (testpg.NewCluster).
//
// Environment:
//   - HOOKCAST_TEST_BIN: use this hookcast binary instead of building one (for
//     example a release build under test).
//   - HOOKCAST_LONG=1: the long runs (many kill points, minutes of outage).
//   - HOOKCAST_SEED: the seed of the random choices (kill moments, workloads);
//     every test logs the one it used.
package harness

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

// Binary returns the path of a hookcast binary: HOOKCAST_TEST_BIN, or one built
// once per test binary from this module (with -race when the tests are), because
// the promises under test are those of the real process: a kill -9 cannot be
// shown with an in-process server.
func Binary(t testing.TB) string {
	t.Helper()
	binOnce.Do(func() {
		if p := os.Getenv("HOOKCAST_TEST_BIN"); p != "" {
			binPath = p
			return
		}
		// A directory per test process, named after its pid; those of test
		// processes that are gone (killed before they could clean up) are removed
		// here, so runs leave nothing behind for long and never share a binary.
		removeStaleBinaries()
		dir, err := os.MkdirTemp("", fmt.Sprintf("%s%d-", binDirPrefix, os.Getpid()))
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "hookcast")
		args := []string{"build", "-o", binPath}
		if raceEnabled {
			args = append(args, "-race")
		}
		args = append(args, "github.com/hookcast/hookcast/cmd/hookcast")
		start := time.Now()
		out, err := exec.Command("go", args...).CombinedOutput()
		if err != nil {
			binErr = fmt.Errorf("go %v: %v\n%s", args, err, out)
			return
		}
		fmt.Fprintf(os.Stderr, "harness: built %s (race=%v) in %v\n", binPath, raceEnabled, time.Since(start).Round(time.Millisecond))
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

const binDirPrefix = "hookcast-test-bin-"

// removeStaleBinaries removes the binary directories of test processes that no
// longer run (the directory name carries the pid; a pid reused since is at
// worst a directory kept a little longer).
func removeStaleBinaries() {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), binDirPrefix+"*"))
	for _, d := range dirs {
		rest := strings.TrimPrefix(filepath.Base(d), binDirPrefix)
		pid, err := strconv.Atoi(rest[:max(strings.IndexByte(rest, '-'), 0)])
		if err != nil || pid == os.Getpid() {
			continue
		}
		if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
			_ = os.RemoveAll(d)
		}
	}
}

// Long reports whether the long runs were asked for (HOOKCAST_LONG=1).
func Long() bool { return os.Getenv("HOOKCAST_LONG") == "1" }

// Seed returns HOOKCAST_SEED, or a seed from the clock; the test logs it so a
// failing run can be repeated.
func Seed(t testing.TB) uint64 {
	t.Helper()
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("HOOKCAST_SEED"); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("HOOKCAST_SEED=%q: %v", s, err)
		}
		seed = v
	}
	t.Logf("seed %d (repeat with HOOKCAST_SEED=%d)", seed, seed)
	return seed
}
