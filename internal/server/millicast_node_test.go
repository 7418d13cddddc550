package server

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
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

// millicastHost is the only host Dolby's Node client speaks to (https, port 443).
const millicastHost = "api.millicast.com"

// skipOrFailCI skips when a tool the test needs is missing on a developer's
// machine, and fails in CI, where scripts/install-test-deps.sh must have run.
func skipOrFailCI(t *testing.T, why string) {
	t.Helper()
	msg := why + " (run scripts/install-test-deps.sh)"
	if os.Getenv("CI") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// frontRequest is one request as the TLS front saw it.
type frontRequest struct {
	serverName, host, userAgent, method, path string
}

// tlsFront is https://api.millicast.com:443 for the test: a TLS listener on a
// random loopback address (so that concurrent runs on one machine do not meet
// on 127.0.0.1:443), with a throwaway self-signed certificate for the name,
// proxying to a hookcast serve and recording what it forwards.
type tlsFront struct {
	ip     string // what api.millicast.com resolves to for the client
	caFile string // the certificate, PEM, for NODE_EXTRA_CA_CERTS

	mu   sync.Mutex
	reqs []frontRequest
}

func newTLSFront(t *testing.T, backend string) *tlsFront {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(mrand.Int64N(1<<62) + 1),
		Subject:               pkix.Name{CommonName: millicastHost},
		DNSNames:              []string{millicastHost},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true, // its own root: it is the one certificate Node is told to trust
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	f := &tlsFront{caFile: filepath.Join(t.TempDir(), "front.pem")}
	if err := os.WriteFile(f.caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}

	var ln net.Listener
	for range 20 {
		ip := fmt.Sprintf("127.%d.%d.%d", 1+mrand.IntN(254), mrand.IntN(256), 1+mrand.IntN(254))
		l, err := net.Listen("tcp", ip+":443")
		if errors.Is(err, syscall.EACCES) {
			skipOrFailCI(t, "port 443 needs root or CAP_NET_BIND_SERVICE: "+err.Error())
		}
		if err == nil {
			ln, f.ip = l, ip
			break
		}
	}
	if ln == nil {
		t.Fatal("no loopback address with port 443 free")
	}

	target, err := url.Parse(backend)
	if err != nil {
		t.Fatal(err)
	}
	proxy := &httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) { pr.SetURL(target) }}
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			f.mu.Lock()
			f.reqs = append(f.reqs, frontRequest{r.TLS.ServerName, r.Host, r.UserAgent(), r.Method, r.URL.Path})
			f.mu.Unlock()
			proxy.ServeHTTP(w, r)
		}),
		TLSConfig: &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}},
	}
	go srv.ServeTLS(ln, "", "")
	t.Cleanup(func() { srv.Close() })
	return f
}

func (f *tlsFront) requests() []frontRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]frontRequest(nil), f.reqs...)
}

// pathReceiver is a webhook endpoint that records each request with its path.
type pathReceiver struct {
	srv *httptest.Server
	ch  chan receivedAt
}

type receivedAt struct {
	path string
	received
}

func newPathReceiver(t *testing.T) *pathReceiver {
	rc := &pathReceiver{ch: make(chan receivedAt, 100)}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		rc.ch <- receivedAt{r.URL.Path, received{r.Header.Clone(), b}}
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

// TestMillicastNodeClient drives Dolby's official Node REST client, installed
// from npm unchanged (tests/millicast-node), against a real `hookcast serve`
// behind a TLS front that is api.millicast.com:443 for the Node process: every
// function of its webhooks module (tests/millicast-node/webhooks.test.cjs).
// Then it checks, here, that the client reached the service under Millicast's
// name, added webhooks with POST /api/webhooks/ (trailing slash), and that the
// test event it asked for arrived signed with the secret it renewed, naming its
// stream and this account.
func TestMillicastNodeClient(t *testing.T) {
	if testing.Short() {
		t.Skip("Node client test: skipped with -short")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		skipOrFailCI(t, "node is not installed")
	}
	dir, err := filepath.Abs(filepath.Join("..", "..", "tests", "millicast-node"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "@dolbyio", "dolbyio-rest-apis-client")); err != nil {
		skipOrFailCI(t, "tests/millicast-node/node_modules is missing")
	}

	p := startProcess(t, t.TempDir())
	if p.secret == "" {
		t.Fatal("first start printed no API secret")
	}
	r := &running{base: p.base}
	code, out := r.call(t, "GET", "/api/admin/accounts", testAdmin, nil)
	if code != 200 {
		t.Fatalf("admin accounts: %d %v", code, out)
	}
	account := out["data"].([]any)[0].(map[string]any)["accountId"].(string)
	front := newTLSFront(t, p.base)
	rc := newPathReceiver(t)

	result := filepath.Join(t.TempDir(), "result.json")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "--require", filepath.Join(dir, "resolve.cjs"),
		"--test-reporter=spec", "webhooks.test.cjs")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"HOOKCAST_RESOLVE="+millicastHost+"="+front.ip,
		"NODE_EXTRA_CA_CERTS="+front.caFile,
		"API_SECRET="+p.secret,
		"RECEIVER_URL="+rc.srv.URL,
		"RESULT="+result,
	)
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	err = cmd.Run()
	t.Logf("node tests/millicast-node/webhooks.test.cjs:\n%s", logs.String())
	if err != nil {
		t.Fatalf("Dolby's Node client failed against hookcast: %v", err)
	}

	// The client spoke to api.millicast.com, as itself, through the front.
	reqs := front.requests()
	addedWithSlash := false
	for _, fr := range reqs {
		if fr.serverName != millicastHost || fr.host != millicastHost || !strings.HasPrefix(fr.userAgent, "DolbyIoRestApiSdk/") {
			t.Errorf("request %s %s: SNI %q, Host %q, User-Agent %q", fr.method, fr.path, fr.serverName, fr.host, fr.userAgent)
		}
		addedWithSlash = addedWithSlash || fr.method == "POST" && fr.path == "/api/webhooks/"
	}
	if len(reqs) < 10 || !addedWithSlash {
		t.Fatalf("the front saw %d requests (POST /api/webhooks/ among them: %v): %+v", len(reqs), addedWithSlash, reqs)
	}

	raw, err := os.ReadFile(result)
	if err != nil {
		t.Fatal(err)
	}
	var res struct {
		WebhookID  int64  `json:"webhookId"`
		Secret     string `json:"secret"`
		Path       string `json:"path"`
		StreamName string `json:"streamName"`
	}
	if err := json.Unmarshal(raw, &res); err != nil || res.Secret == "" || res.Path == "" || res.StreamName == "" {
		t.Fatalf("result.json %s: %v", raw, err)
	}

	// The test event it asked for: at the updated URL, signed with the renewed
	// secret, naming its stream and this account (not the docs' ZG6NWV).
	var got receivedAt
	select {
	case got = <-rc.ch:
	case <-time.After(20 * time.Second):
		t.Fatal("the test event did not arrive within 20s")
	}
	if got.path != res.Path {
		t.Fatalf("the test event arrived at %s, want %s (the updated URL)", got.path, res.Path)
	}
	env := decode(t, res.Secret, got.received)
	var feed webhook.FeedData
	if err := json.Unmarshal(env.Data, &feed); err != nil {
		t.Fatal(err)
	}
	if env.Type != "feeds" || env.Event != "started" || feed.Name != res.StreamName || feed.AccountID != account ||
		feed.StreamID != account+"/"+res.StreamName {
		t.Fatalf("test event %s.%s with data %+v; want feeds.started for %s/%s", env.Type, env.Event, feed, account, res.StreamName)
	}
	select {
	case extra := <-rc.ch:
		t.Fatalf("a second request reached the receiver at %s: %s", extra.path, extra.body)
	default:
	}
}
