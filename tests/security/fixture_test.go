package security

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hookcast/hookcast/tests/reliability/harness"
)

// fixture is a server with two accounts: A, whose resources the requests aim at,
// and B, the other account.
type fixture struct {
	p                *harness.Proc
	rc               *harness.Receiver
	secretA, secretB string
	hookA, delHookA  harness.Webhook
	deliveryA        int64
	extraSecretA     int64 // an API secret of A that the admin route revokes
	cookieA, cookieB *http.Cookie
	csrfA, csrfB     string
	secretsOfA       []string // must never appear in an answer to anyone but A
}

const (
	accountA = "SECA"
	accountB = "SECB"
)

func newFixture(t *testing.T, cfg harness.Config) *fixture {
	t.Helper()
	if cfg.DataDir == "" && cfg.Database == "" {
		cfg.DataDir = t.TempDir()
	}
	f := &fixture{p: harness.Start(t, cfg), rc: harness.NewReceiver(t)}
	base := f.p.Base
	_, f.secretA = harness.CreateAccount(t, base, accountA)
	_, f.secretB = harness.CreateAccount(t, base, accountB)
	f.hookA = harness.CreateWebhook(t, base, f.secretA, map[string]any{"url": f.rc.URL("/A/hook")})
	f.delHookA = harness.CreateWebhook(t, base, f.secretA, map[string]any{"url": f.rc.URL("/A/deleted")})
	hookB := harness.CreateWebhook(t, base, f.secretB, map[string]any{"url": f.rc.URL("/B/hook")})
	f.rc.SetSecret("/A/hook", f.hookA.Secret)
	f.rc.SetSecret("/A/deleted", f.delHookA.Secret)
	f.rc.SetSecret("/B/hook", hookB.Secret)
	harness.Data(t, "POST", base+"/api/webhooks/test/Feeds", f.secretA, nil, nil)
	deadline := time.Now().Add(20 * time.Second)
	for f.deliveryA == 0 {
		for _, d := range harness.Deliveries(t, base, f.secretA, "") {
			if d.State == "succeeded" && d.WebhookID == f.hookA.ID {
				f.deliveryA = d.ID
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("the test event of account A was not delivered")
		}
		time.Sleep(50 * time.Millisecond) // polling the log, with a deadline
	}
	var sec struct {
		ID        int64  `json:"id"`
		APISecret string `json:"apiSecret"`
	}
	harness.Data(t, "POST", base+"/api/admin/accounts/"+accountA+"/secrets", harness.AdminToken, map[string]any{"label": "to revoke"}, &sec)
	f.extraSecretA = sec.ID
	f.cookieA, f.csrfA = f.login(t, f.secretA)
	f.cookieB, f.csrfB = f.login(t, f.secretB)
	f.secretsOfA = []string{f.secretA, sec.APISecret, f.hookA.Secret, f.delHookA.Secret, f.cookieA.Value, f.csrfA}
	return f
}

// login signs in to the dashboard and returns the session cookie and CSRF token.
func (f *fixture) login(t *testing.T, secret string) (*http.Cookie, string) {
	t.Helper()
	resp := f.do(t, request{method: "POST", path: "/dashboard/login", body: fmt.Sprintf(`{"apiSecret":%q}`, secret)})
	defer resp.Body.Close()
	var env struct {
		Data struct {
			CSRF string `json:"csrf"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&env); err != nil || resp.StatusCode != 200 {
		t.Fatalf("sign-in: %d %v", resp.StatusCode, err)
	}
	for _, c := range resp.Cookies() {
		if c.Name == "hookcast_session" {
			return c, env.Data.CSRF
		}
	}
	t.Fatal("sign-in set no session cookie")
	return nil, ""
}

// request is one HTTP request of the table.
type request struct {
	method, path, body, contentType string
	bearer                          string
	cookie                          *http.Cookie
	header                          map[string]string
}

func (f *fixture) do(t *testing.T, r request) *http.Response {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	var body io.Reader
	if r.body != "" {
		body = strings.NewReader(r.body)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, f.p.Base+r.path, body)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	ct := r.contentType
	if ct == "" && r.body != "" {
		ct = "application/json"
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	if r.bearer != "" {
		req.Header.Set("Authorization", "Bearer "+r.bearer)
	}
	if r.cookie != nil {
		req.AddCookie(r.cookie)
	}
	for k, v := range r.header {
		req.Header.Set(k, v)
	}
	resp, err := harness.Client.Do(req)
	if err != nil {
		cancel()
		t.Fatalf("%s %s: %v", r.method, r.path, err)
	}
	// The event stream never ends by itself: read what came, then cancel.
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		buf := make([]byte, 4096)
		n, _ := io.ReadAtLeast(resp.Body, buf, 1)
		resp.Body.Close()
		cancel()
		resp.Body = io.NopCloser(bytes.NewReader(buf[:n]))
		return resp
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	cancel()
	resp.Body = io.NopCloser(bytes.NewReader(b))
	return resp
}
