package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookcast/hookcast/internal/netguard/proxytest"
	"github.com/hookcast/hookcast/webhook"
)

const (
	testAdmin  = "admin-token-0123456789"
	testIngest = "ingest-token-0123456789"
)

// received is one webhook request as the receiver saw it.
type received struct {
	header http.Header
	body   []byte
}

// receiver is a real HTTP endpoint that records what it is sent.
type receiver struct {
	srv *httptest.Server
	ch  chan received
}

func newReceiver(t *testing.T) *receiver {
	rc := &receiver{ch: make(chan received, 100)}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		rc.ch <- received{r.Header.Clone(), b}
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

// next waits for the next request (with a deadline, never a sleep).
func (rc *receiver) next(t *testing.T) received {
	t.Helper()
	select {
	case r := <-rc.ch:
		return r
	case <-time.After(10 * time.Second):
		t.Fatal("no webhook received within 10s")
		return received{}
	}
}

// none asserts nothing more arrives for a short while (used after the last expected event).
func (rc *receiver) none(t *testing.T, d time.Duration) {
	t.Helper()
	select {
	case r := <-rc.ch:
		t.Fatalf("unexpected webhook: %s", r.body)
	case <-time.After(d):
	}
}

type running struct {
	srv    *Server
	base   string
	cancel context.CancelFunc
	done   chan error
}

func testConfig(dir string) Config {
	return Config{
		Listen: "127.0.0.1:0", DataDir: dir, AdminToken: testAdmin, IngestToken: testIngest,
		ViewerAttemptInterval: 10 * time.Second, NoViewersDelay: 300 * time.Millisecond,
		AllowPrivateTargets: true, LogLevel: "error",
	}
}

func start(t *testing.T, cfg Config) *running {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := New(ctx, cfg, "test", io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	r := &running{srv: srv, base: "http://" + srv.Addr(), cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- srv.Run(ctx) }()
	t.Cleanup(r.stop)
	return r
}

var stopOnce sync.Map

func (r *running) stop() {
	if _, loaded := stopOnce.LoadOrStore(r, true); loaded {
		return
	}
	r.cancel()
	<-r.done
}

func (r *running) call(t *testing.T, method, path, bearer string, body any) (int, map[string]any) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, r.base+path, rd)
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

func (r *running) signals(t *testing.T, sigs string) {
	t.Helper()
	code, out := r.call(t, "POST", "/api/ingest/signals", testIngest, json.RawMessage(sigs))
	if code != 200 {
		t.Fatalf("ingest: %d %v", code, out)
	}
}

func createWebhook(t *testing.T, r *running, secret, url string) (int64, string) {
	t.Helper()
	code, out := r.call(t, "POST", "/api/webhooks", secret, map[string]any{
		"url": url, "isFeedHooks": true, "isViewerConnectionHooks": true,
	})
	if code != 200 {
		t.Fatalf("create webhook: %d %v", code, out)
	}
	data := out["data"].(map[string]any)
	return int64(data["id"].(float64)), data["secret"].(string)
}

func decode(t *testing.T, secret string, r received) webhook.Envelope {
	t.Helper()
	if err := webhook.Verify(secret, r.body, r.header.Get(webhook.HeaderSignature)); err != nil {
		t.Fatalf("signature: %v", err)
	}
	var env webhook.Envelope
	if err := json.Unmarshal(r.body, &env); err != nil {
		t.Fatalf("body: %v", err)
	}
	return env
}

// TestSignalsToWebhooks drives a whole viewer/feed cycle through a real serve and
// checks every webhook that arrives, signed, in order of the rules.
func TestSignalsToWebhooks(t *testing.T) {
	r := start(t, testConfig(t.TempDir()))
	acc, secret := r.srv.Default, r.srv.Firsts.APISecret
	if acc == "" || secret == "" {
		t.Fatalf("first start must create a default account and secret: %+v", r.srv.Firsts)
	}
	rc := newReceiver(t)
	_, whSecret := createWebhook(t, r, secret, rc.srv.URL)

	r.signals(t, fmt.Sprintf(`{"kind":"viewer.connected","accountId":%q,"name":"show","viewerId":"v1"}`, acc))
	if env := decode(t, whSecret, rc.next(t)); env.Type != "viewerConnection" || env.Event != "viewerAttempt" {
		t.Fatalf("got %s.%s, want viewerConnection.viewerAttempt", env.Type, env.Event)
	}
	r.signals(t, fmt.Sprintf(`[{"kind":"feed.started","accountId":%q,"name":"show","feedId":"f1"}]`, acc))
	got := map[string]bool{}
	for range 2 {
		env := decode(t, whSecret, rc.next(t))
		got[env.Type+"."+env.Event] = true
	}
	if !got["feeds.started"] || !got["viewerConnection.firstViewerConnection"] {
		t.Fatalf("after feed.started got %v", got)
	}
	r.signals(t, fmt.Sprintf(`{"kind":"viewer.disconnected","accountId":%q,"name":"show","viewerId":"v1"}`, acc))
	if env := decode(t, whSecret, rc.next(t)); env.Event != "noActiveViewers" {
		t.Fatalf("got %s, want noActiveViewers from the timer", env.Event)
	}
	rc.none(t, 200*time.Millisecond)
}

// TestTimerSurvivesRestart stops the service while a no-viewers timer is pending:
// the next start fires it exactly once.
func TestTimerSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig(dir)
	cfg.NoViewersDelay = 2 * time.Second
	r := start(t, cfg)
	acc, secret := r.srv.Default, r.srv.Firsts.APISecret
	rc := newReceiver(t)
	_, whSecret := createWebhook(t, r, secret, rc.srv.URL)
	r.signals(t, fmt.Sprintf(`{"kind":"viewer.attempted","accountId":%q,"name":"late"}`, acc))
	if env := decode(t, whSecret, rc.next(t)); env.Event != "viewerAttempt" {
		t.Fatalf("got %s", env.Event)
	}
	r.stop()

	r2 := start(t, cfg)
	if r2.srv.Firsts.APISecret != "" || r2.srv.Default != acc {
		t.Fatal("a restart must keep the default account and not print new secrets")
	}
	if env := decode(t, whSecret, rc.next(t)); env.Event != "noActiveViewers" {
		t.Fatalf("got %s after restart, want noActiveViewers", env.Event)
	}
	rc.none(t, 300*time.Millisecond)
}

func TestIngestRefusesBadInput(t *testing.T) {
	r := start(t, testConfig(t.TempDir()))
	acc := r.srv.Default
	cases := []struct {
		name, token, body string
		code              int
	}{
		{"no token", "", `{"kind":"viewer.attempted","accountId":"` + acc + `","name":"x"}`, 401},
		{"wrong token", "nope-nope-nope-nope", `{"kind":"viewer.attempted","accountId":"` + acc + `","name":"x"}`, 401},
		{"malformed", testIngest, `{"kind":`, 400},
		{"unknown field", testIngest, `{"kind":"viewer.attempted","accountId":"` + acc + `","name":"x","bogus":1}`, 400},
		{"bad name", testIngest, `{"kind":"viewer.attempted","accountId":"` + acc + `","name":"a b"}`, 400},
		{"unknown account", testIngest, `{"kind":"viewer.attempted","accountId":"NOPE00","name":"x"}`, 400},
		{"one bad in batch", testIngest, `[{"kind":"viewer.attempted","accountId":"` + acc + `","name":"x"},{"kind":"nope"}]`, 400},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, out := r.call(t, "POST", "/api/ingest/signals", c.token, json.RawMessage(c.body))
			if code != c.code {
				t.Fatalf("code %d, want %d (%v)", code, c.code, out)
			}
		})
	}
	// Nothing was applied: the stream view is empty.
	views, err := r.srv.pipe.Streams(context.Background(), acc)
	if err != nil || len(views) != 0 {
		t.Fatalf("bad requests changed state: %v %v", views, err)
	}
	big := `[` + strings.Repeat(`{"kind":"viewer.attempted","accountId":"`+acc+`","name":"x"},`, 20000) + `{}]`
	code, _ := r.call(t, "POST", "/api/ingest/signals", testIngest, json.RawMessage(big))
	if code != http.StatusRequestEntityTooLarge {
		t.Fatalf("oversized body: %d", code)
	}
}

func TestTestEndpointSends(t *testing.T) {
	r := start(t, testConfig(t.TempDir()))
	rc := newReceiver(t)
	_, whSecret := createWebhook(t, r, r.srv.Firsts.APISecret, rc.srv.URL)
	code, out := r.call(t, "POST", "/api/webhooks/test/Feeds", r.srv.Firsts.APISecret, nil)
	if code != 200 {
		t.Fatalf("test endpoint: %d %v", code, out)
	}
	if env := decode(t, whSecret, rc.next(t)); env.Type != "feeds" {
		t.Fatalf("got %s", env.Type)
	}
}

func TestHealthAndMetrics(t *testing.T) {
	r := start(t, testConfig(t.TempDir()))
	for _, p := range []string{"/healthz", "/readyz", "/metrics"} {
		resp, err := http.Get(r.base + p)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d", p, resp.StatusCode)
		}
		if p == "/metrics" && !bytes.Contains(b, []byte("hookcast_deliveries{state=\"pending\"}")) {
			t.Fatalf("metrics lack the delivery queue: %s", b[:min(len(b), 500)])
		}
	}
}

// TestEgressProxy: with --egress-proxy every delivery goes through the proxy.
func TestEgressProxy(t *testing.T) {
	p := proxytest.New(t)
	cfg := testConfig(t.TempDir())
	cfg.EgressProxy = p.URL
	r := start(t, cfg)
	rc := newReceiver(t)
	_, whSecret := createWebhook(t, r, r.srv.Firsts.APISecret, rc.srv.URL)
	const n = 3
	for range n {
		if code, out := r.call(t, "POST", "/api/webhooks/test/Feeds", r.srv.Firsts.APISecret, nil); code != 200 {
			t.Fatalf("test endpoint: %d %v", code, out)
		}
		decode(t, whSecret, rc.next(t))
	}
	target := strings.TrimPrefix(rc.srv.URL, "http://")
	got := p.Targets()
	if len(got) != n {
		t.Fatalf("the proxy carried %d requests (%v), want %d", len(got), got, n)
	}
	for _, tg := range got {
		if tg != target {
			t.Fatalf("the proxy carried a request to %s, want %s", tg, target)
		}
	}
}
