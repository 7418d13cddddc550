package main

import (
	"errors"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestReadmeQuickStart runs the README's quick start as a new user would paste
// it: the commands are read from the README itself (between its quickstart
// markers), and run by bash in a copy of the module with a fresh HOME and data
// directory and nothing on the PATH but Go and the system's tools. It passes
// when `hookcast listen`, started by those commands, prints the event, and the
// ingest answers say what the signals did.
//
// The one change made to the commands: the addresses 127.0.0.1:8080 and
// 127.0.0.1:9000 become free ports, as other tests may hold those.
func TestReadmeQuickStart(t *testing.T) {
	if testing.Short() {
		t.Skip("builds hookcast and runs the README's commands")
	}
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Fatal("bash is needed: ", err)
	}
	if _, err := exec.LookPath("curl"); err != nil {
		t.Fatal("curl is needed (scripts/install-test-deps.sh installs it): ", err)
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	script := quickStart(t, string(readme))
	if !strings.Contains(script, "go build -o hookcast ./cmd/hookcast") {
		t.Fatalf("the quick start does not say how to get the binary:\n%s", script)
	}
	script = strings.ReplaceAll(script, "127.0.0.1:8080", freeAddr(t))
	script = strings.ReplaceAll(script, "127.0.0.1:9000", freeAddr(t))

	dir := t.TempDir()
	repo, home := filepath.Join(dir, "hookcast"), filepath.Join(dir, "home")
	copyModule(t, "../..", repo)
	if err := os.MkdirAll(home, 0o755); err != nil {
		t.Fatal(err)
	}
	goEnv := func(name string) string {
		out, err := exec.Command(goBin, "env", name).Output()
		if err != nil {
			t.Fatalf("go env %s: %v", name, err)
		}
		return strings.TrimSpace(string(out))
	}
	outPath := filepath.Join(dir, "terminal.txt")
	out, err := os.Create(outPath)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	cmd := exec.Command(bash, "-e", "-c", script)
	cmd.Dir = repo
	cmd.Env = []string{
		"HOME=" + home,
		"PATH=" + filepath.Dir(goBin) + ":/usr/local/bin:/usr/bin:/bin",
		"LANG=C.UTF-8",
		// The build cache and the modules this test was built with: nothing is
		// downloaded (GOPROXY=off), and a warm cache keeps the build short.
		"GOCACHE=" + goEnv("GOCACHE"),
		"GOMODCACHE=" + goEnv("GOMODCACHE"),
		"GOPROXY=off",
		"GOTOOLCHAIN=local",
	}
	cmd.Stdout, cmd.Stderr = out, out // a file: the background jobs keep writing after bash exits
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pgid := cmd.Process.Pid
	t.Cleanup(func() { stopGroup(t, pgid) })
	terminal := func() string { b, _ := os.ReadFile(outPath); return string(b) }

	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("the quick start failed (%v); the terminal showed:\n%s", err, terminal())
		}
	case <-time.After(10 * time.Minute): // a build from a cold cache on a busy machine
		t.Fatalf("the quick start did not finish in 10 minutes; the terminal showed:\n%s", terminal())
	}

	printed := regexp.MustCompile(`feeds started stream=[A-Za-z0-9]+/show feedId=enc1 delivery=msg_`)
	deadline := time.Now().Add(2 * time.Minute) // the delivery is retried if listen was not up yet
	for !printed.MatchString(terminal()) {
		if time.Now().After(deadline) {
			t.Fatalf("listen printed no feeds started event; the terminal showed:\n%s", terminal())
		}
		time.Sleep(50 * time.Millisecond) // polling a file with a deadline
	}
	got := terminal()
	first, second := strings.Index(got, `{"accepted":1,"events":1}`), strings.LastIndex(got, `{"accepted":1,"events":0}`)
	if first < 0 || second < first {
		t.Fatalf(`the ingest answers are not {"accepted":1,"events":1} then {"accepted":1,"events":0}:`+"\n%s", got)
	}
}

// quickStart returns the shell commands of the README's quick start: the ```sh
// block between <!-- quickstart:begin and <!-- quickstart:end.
func quickStart(t *testing.T, readme string) string {
	t.Helper()
	_, rest, ok := strings.Cut(readme, "<!-- quickstart:begin")
	block, _, ok2 := strings.Cut(rest, "<!-- quickstart:end")
	if !ok || !ok2 {
		t.Fatal("README.md has no quickstart:begin / quickstart:end markers")
	}
	_, code, ok := strings.Cut(block, "```sh\n")
	code, _, ok2 = strings.Cut(code, "```")
	if !ok || !ok2 {
		t.Fatal("README.md's quick start has no ```sh block")
	}
	return code
}

// copyModule copies what building hookcast needs (go.mod, go.sum and the
// packages' sources and embedded files) from root to dst.
func copyModule(t *testing.T, root, dst string) {
	t.Helper()
	if err := os.MkdirAll(dst, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"go.mod", "go.sum", "cmd", "internal", "webhook"} {
		err := filepath.WalkDir(filepath.Join(root, name), func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && (d.Name() == "node_modules" || d.Name() == "testdata") {
				return filepath.SkipDir
			}
			if !d.Type().IsRegular() && !d.IsDir() || strings.HasSuffix(path, "_test.go") {
				return nil
			}
			rel, err := filepath.Rel(root, path)
			if err != nil {
				return err
			}
			target := filepath.Join(dst, rel)
			if d.IsDir() {
				return os.MkdirAll(target, 0o755)
			}
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			return os.WriteFile(target, b, 0o644)
		})
		if err != nil {
			t.Fatalf("copy the module: %v", err)
		}
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// stopGroup ends the process group the quick start ran in (bash's background
// jobs, serve and listen) and waits until it is gone, so the temporary
// directory can be removed.
func stopGroup(t *testing.T, pgid int) {
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
	deadline := time.Now().Add(30 * time.Second)
	for !errors.Is(syscall.Kill(-pgid, 0), syscall.ESRCH) {
		if time.Now().After(deadline) {
			t.Errorf("processes of group %d still running", pgid)
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}
