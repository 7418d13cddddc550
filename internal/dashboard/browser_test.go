//go:build linux

package dashboard_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html"
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

	"github.com/hookcast/hookcast/internal/server"
)

const chromium = "/usr/bin/chromium"

// received is one request the receiver got.
type received struct {
	path   string
	header http.Header
	body   []byte
}

// receiver is a real HTTP endpoint that records every POST and answers 200, or
// 410 Gone under /gone/ (which disables the webhook), or under /bad/ 400 with a
// long JSON body (a refusal, not retried, whose start the log shows).
type receiver struct {
	mu   sync.Mutex
	reqs []received
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	rc.mu.Lock()
	rc.reqs = append(rc.reqs, received{path: r.URL.Path, header: r.Header.Clone(), body: b})
	rc.mu.Unlock()
	if strings.HasPrefix(r.URL.Path, "/gone/") {
		http.Error(w, "gone", http.StatusGone)
		return
	}
	if strings.Contains(r.URL.Path, "/bad/") {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, `{"error":"missing field streamId","detail":"`+strings.Repeat("the receiver explains at length why it refused this event; ", 8)+`"}`)
		return
	}
	io.WriteString(w, "ok")
}

func (rc *receiver) all() []received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]received(nil), rc.reqs...)
}

// browserTestResult is what tests/browser/dashboard.test.mjs leaves in result.json.
type browserTestResult struct {
	WebhookID  int64  `json:"webhookId"`
	Path       string `json:"path"`
	Secret     string `json:"secret"`
	DeliveryID int64  `json:"deliveryId"`
	Resent     bool   `json:"resent"`
	GonePath   string `json:"gonePath"`
}

// skipOrFail skips when the browser tools are missing on a developer machine,
// and fails in CI, where scripts/install-browser-deps.sh must have run.
func skipOrFail(t *testing.T, why string) {
	t.Helper()
	msg := why + " (run scripts/install-browser-deps.sh)"
	if os.Getenv("CI") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// TestBrowser drives the dashboard in real headless Chromium against a real
// hookcast server and a real receiver: sign in, create, toggle, edit the URL,
// renew the secret, send a test, see it in Deliveries and its detail, resend,
// watch streams, delete, sign out (tests/browser/dashboard.test.mjs). Then it
// checks, here, that the receiver got the test event signed with the renewed
// secret, twice (sent and resent), and nothing at URLs that were cancelled.
func TestBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test: skipped with -short")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		skipOrFail(t, "node is not installed")
	}
	if _, err := os.Stat(chromium); err != nil {
		skipOrFail(t, chromium+" is missing")
	}
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	browserDir := filepath.Join(root, "tests", "browser")
	if _, err := os.Stat(filepath.Join(browserDir, "node_modules", "playwright-core")); err != nil {
		skipOrFail(t, "tests/browser/node_modules is missing")
	}
	artifacts := os.Getenv("ARTIFACTS")
	if artifacts == "" {
		artifacts = filepath.Join(root, "test-artifacts", "browser")
	}
	if err := os.MkdirAll(artifacts, 0o755); err != nil {
		t.Fatal(err)
	}
	_ = os.Remove(filepath.Join(artifacts, "result.json"))

	rc := &receiver{}
	recv := httptest.NewServer(rc)
	defer recv.Close()
	// Two pages of other sites that frame a portal link (?src=): the server lets
	// the first frame the dashboard, not the second. The browser maps *.test to
	// 127.0.0.1 (tests/browser/health.test.mjs), so they are other sites.
	embedAllowed := httptest.NewServer(http.HandlerFunc(serveEmbedder))
	defer embedAllowed.Close()
	embedOther := httptest.NewServer(http.HandlerFunc(serveEmbedder))
	defer embedOther.Close()
	allowedOrigin := fmt.Sprintf("http://embed.test:%d", embedAllowed.Listener.Addr().(*net.TCPAddr).Port)
	otherOrigin := fmt.Sprintf("http://other.test:%d", embedOther.Listener.Addr().(*net.TCPAddr).Port)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	const ingestToken = "ingest-token-0123456789"
	const adminToken = "admin-token-0123456789"
	srv, err := server.New(ctx, server.Config{
		Listen: "127.0.0.1:0", DataDir: t.TempDir(),
		AdminToken: adminToken, IngestToken: ingestToken,
		ViewerAttemptInterval: 10 * time.Second, NoViewersDelay: time.Minute,
		AllowPrivateTargets: true, LogLevel: "error",
		PortalFrameAncestors: allowedOrigin,
		// health.test.mjs makes its known outcomes with test events, dozens a
		// minute: beyond serve's default of 10 per account.
		TestEventsPerMinute: 1000,
	}, "test", io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	runErr := make(chan error, 1)
	go func() { runErr <- srv.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-runErr; err != nil {
			t.Errorf("server stopped with: %v", err)
		}
	}()

	env := append(os.Environ(),
		"BASE_URL=http://"+srv.Addr(),
		"API_SECRET="+srv.Firsts.APISecret,
		"ADMIN_TOKEN="+adminToken,
		"RECEIVER_URL="+recv.URL,
		"INGEST_TOKEN="+ingestToken,
		"EMBED_ALLOWED="+allowedOrigin,
		"EMBED_OTHER="+otherOrigin,
		"ARTIFACTS="+artifacts,
		"CHROMIUM="+chromium,
	)
	if os.Getenv("HOOKCAST_UPDATE_DOCS_IMG") != "" {
		env = append(env, "DOCS_IMG="+filepath.Join(root, "docs", "img"))
	}
	// One script at a time: each starts its own Chromium, and the machine is small.
	for _, script := range []string{"dashboard.test.mjs", "health.test.mjs"} {
		runNode(ctx, t, node, browserDir, script, env, artifacts)
	}

	raw, err := os.ReadFile(filepath.Join(artifacts, "result.json"))
	if err != nil {
		t.Fatal(err)
	}
	var res browserTestResult
	if err := json.Unmarshal(raw, &res); err != nil {
		t.Fatal(err)
	}
	if res.Secret == "" || res.Path == "" || !res.Resent || res.GonePath == "" {
		t.Fatalf("incomplete result.json: %s", raw)
	}
	checkReceived(t, rc.all(), res)
}

// runNode runs one script of tests/browser, in its own process group: on a
// timeout the whole group (node and its Chromium) is killed.
func runNode(ctx context.Context, t *testing.T, node, dir, script string, env []string, artifacts string) {
	t.Helper()
	runCtx, stop := context.WithTimeout(ctx, 4*time.Minute)
	defer stop()
	cmd := exec.CommandContext(runCtx, node, "--test-reporter=spec", script)
	cmd.Dir = dir
	cmd.Env = env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	t.Logf("node tests/browser/%s:\n%s", script, out.String())
	if err != nil {
		t.Fatalf("browser test %s failed: %v (screenshots in %s)", script, err, artifacts)
	}
}

// serveEmbedder is a page of another site that shows ?src= in an iframe, as a
// platform's console would show a portal link.
func serveEmbedder(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	fmt.Fprintf(w, `<!doctype html><title>Customer console</title><h1>Customer console</h1>
<iframe id="portal" title="Webhooks" src="%s" width="1200" height="760"></iframe>`, html.EscapeString(r.URL.Query().Get("src")))
}

// checkReceived: the test event reached the edited URL twice (sent and resent),
// signed with the renewed secret, with the same webhook-id both times; the
// thumbnail reached the 410 endpoint twice (sent, and recovered; no retry after
// 410); nothing reached
// the URLs that were cancelled or replaced, nor the filtered-out stream's events.
func checkReceived(t *testing.T, reqs []received, res browserTestResult) {
	t.Helper()
	key, err := base64.StdEncoding.DecodeString(res.Secret)
	if err != nil {
		t.Fatalf("secret %q: %v", res.Secret, err)
	}
	var got, gone []received
	for _, r := range reqs {
		if strings.HasPrefix(r.path, "/health/") {
			continue // health.test.mjs's own account, checked there
		}
		switch r.path {
		case res.Path:
			got = append(got, r)
		case res.GonePath:
			gone = append(gone, r)
		default:
			t.Errorf("the receiver got a POST at %s; only %s was expected", r.path, res.Path)
		}
	}
	// The thumbnail, then once more by "Recover failed since…" (no retry after 410).
	if len(gone) != 2 || gone[0].header.Get("Content-Type") != "image/jpeg" || !bytes.Equal(gone[0].body, gone[1].body) {
		t.Errorf("the 410 endpoint got %d requests, want the thumbnail (image/jpeg) twice: sent and recovered", len(gone))
	}
	if len(got) != 2 {
		t.Fatalf("the receiver got %d requests at %s, want 2 (test event and resend)", len(got), res.Path)
	}
	for i, r := range got {
		var ev struct{ Type, Event string }
		if err := json.Unmarshal(r.body, &ev); err != nil || ev.Type != "feeds" || ev.Event != "started" {
			t.Errorf("request %d: body %s (%v), want a feeds.started event", i, r.body, err)
		}
		m := hmac.New(sha1.New, key)
		m.Write(r.body)
		want := "sha1=" + hex.EncodeToString(m.Sum(nil))
		if sig := r.header.Get("X-Millicast-Signature"); !hmac.Equal([]byte(sig), []byte(want)) {
			t.Errorf("request %d: X-Millicast-Signature %q, want %q (the renewed secret)", i, sig, want)
		}
		// Renewed with an hour's overlap in the dialog: new and old sign.
		if sigs := strings.Fields(r.header.Get("webhook-signature")); len(sigs) != 2 {
			t.Errorf("request %d: webhook-signature %q, want two entries during the overlap", i, sigs)
		}
		if v := r.header.Get("X-Tenant"); v != "studio-7" {
			t.Errorf("request %d: X-Tenant %q, want the custom header set in the dashboard", i, v)
		}
	}
	if a, b := got[0].header.Get("webhook-id"), got[1].header.Get("webhook-id"); a == "" || a != b {
		t.Errorf("webhook-id %q then %q: a resend must carry the same id", a, b)
	}
	if !bytes.Equal(got[0].body, got[1].body) {
		t.Error("the resend's body differs from the first send")
	}
}
