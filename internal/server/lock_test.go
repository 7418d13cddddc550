package server

import (
	"context"
	"errors"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestOneServePerDataDir starts a real serve, then a second one on the same
// data directory: the second exits at once, with one line naming the directory
// and the first one's process id. After the first is killed (SIGKILL: no
// clean-up of its own), a serve starts on the directory again.
func TestOneServePerDataDir(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs real processes")
	}
	dir := t.TempDir()
	first := startProcess(t, dir)

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	second := exec.CommandContext(ctx, hookcastBinary(t), "serve", "--listen", freePort(t), "--data-dir", dir,
		"--admin-token", testAdmin, "--ingest-token", testIngest)
	var stdout, stderr strings.Builder
	second.Stdout, second.Stderr = &stdout, &stderr
	err := second.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 2 {
		t.Fatalf("second serve: %v (want exit status 2)\nstdout: %s\nstderr: %s", err, &stdout, &stderr)
	}
	msg := stderr.String()
	pid := strconv.Itoa(first.cmd.Process.Pid)
	if strings.Count(msg, "\n") != 1 || !strings.Contains(msg, dir) || !strings.Contains(msg, "process "+pid) {
		t.Fatalf("second serve said %q, want one line naming %s and process %s", msg, dir, pid)
	}
	if stdout.Len() != 0 {
		t.Fatalf("second serve printed a welcome: %q", &stdout)
	}

	if err := first.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = first.cmd.Wait()
	third := startProcess(t, dir) // fails the test unless it serves
	r := &running{base: third.base}
	if code, _ := r.call(t, "GET", "/api/admin/accounts", testAdmin, nil); code != 200 {
		t.Fatalf("serve after the holder's crash: admin accounts %d", code)
	}
}
