package server

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hookcast/hookcast/webhook"
)

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

// hookcastBinary builds cmd/hookcast once per test run: the crash tests kill a
// real process, which an in-process server cannot show.
func hookcastBinary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "hookcast-bin-")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "hookcast")
		out, err := exec.Command("go", "build", "-o", binPath, "../../cmd/hookcast").CombinedOutput()
		if err != nil {
			binErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// process is a `hookcast serve` subprocess.
type process struct {
	cmd    *exec.Cmd
	base   string
	secret string // the API secret, printed on first start only
}

func startProcess(t *testing.T, dataDir string) *process {
	t.Helper()
	addr := freePort(t)
	cmd := exec.Command(hookcastBinary(t), "serve", "--listen", addr, "--data-dir", dataDir,
		"--admin-token", testAdmin, "--ingest-token", testIngest, "--allow-private-targets", "--log-level", "error")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &process{cmd: cmd, base: "http://" + addr}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	// The welcome text comes after the listener is bound: read it to the end.
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		line := sc.Text()
		if f := strings.Fields(line); len(f) >= 3 && f[0] == "API" && f[1] == "secret:" {
			p.secret = f[2]
		}
		if strings.Contains(line, "Secrets were shown") || strings.Contains(line, "shown once") {
			break
		}
	}
	go io.Copy(io.Discard, out)
	return p
}

// TestCrashBetweenCommitAndSend kills the process (SIGKILL) while every committed
// delivery is still in flight to a receiver that has not answered; after a restart
// on the same data directory every one of them arrives, with its original
// webhook-id.
func TestCrashBetweenCommitAndSend(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills a real process")
	}
	dir := t.TempDir()
	p := startProcess(t, dir)
	if p.secret == "" {
		t.Fatal("first start printed no API secret")
	}

	var mu sync.Mutex
	up := false
	hung := make(chan struct{}, 100)
	release := make(chan struct{})
	delivered := map[string]bool{} // webhook-id → verified
	var whSecret string
	rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		ok := up
		mu.Unlock()
		if !ok {
			hung <- struct{}{}
			<-release // hold the attempt until the process is dead
			return
		}
		if webhook.Verify(whSecret, body, r.Header.Get(webhook.HeaderSignature)) != nil {
			http.Error(w, "bad signature", 400)
			return
		}
		mu.Lock()
		delivered[r.Header.Get(webhook.HeaderWebhookID)] = true
		mu.Unlock()
	}))
	defer rc.Close()
	defer close(release)

	r := &running{base: p.base}
	_, whSecret = createWebhook(t, r, p.secret, rc.URL)
	// The default account is the only one: find it through the admin API.
	code, out := r.call(t, "GET", "/api/admin/accounts", testAdmin, nil)
	if code != 200 {
		t.Fatalf("admin accounts: %d %v", code, out)
	}
	acc := out["data"].([]any)[0].(map[string]any)["accountId"].(string)

	// Fewer than the dispatcher's per-endpoint concurrency (4), so every one of
	// them is in flight, unanswered, when the process dies.
	const n = 3
	var sigs []string
	for i := range n {
		sigs = append(sigs, fmt.Sprintf(`{"kind":"feed.started","accountId":%q,"name":"s%d","feedId":"f%d"}`, acc, i, i))
	}
	r.signals(t, "["+strings.Join(sigs, ",")+"]") // answered: committed
	for range n {
		select {
		case <-hung:
		case <-time.After(10 * time.Second):
			t.Fatal("deliveries did not start")
		}
	}
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = p.cmd.Wait()
	mu.Lock()
	up = true
	mu.Unlock()

	startProcess(t, dir)
	deadline := time.Now().Add(20 * time.Second)
	for {
		mu.Lock()
		got := len(delivered)
		mu.Unlock()
		if got == n {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after restart %d of %d committed deliveries arrived", got, n)
		}
		time.Sleep(20 * time.Millisecond) // polling the receiver with a deadline
	}
	// The ids are the events' ids: each delivery arrived under its own.
	mu.Lock()
	defer mu.Unlock()
	for id := range delivered {
		if !strings.HasPrefix(id, "msg_") {
			t.Fatalf("webhook-id %q", id)
		}
	}
}
