package dashboard

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookcast/hookcast/internal/auth"
	"github.com/hookcast/hookcast/internal/store"
)

const (
	goodSecret = "good-secret-0123456789abcdefghijklmnopqrstu"
	account    = "ACC123"
)

// fakeClock is the only fake: time, moved by the test.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// bundle is what setup returns: the dashboard, a real HTTP server in front of
// it, and the clock.
type bundle struct {
	d     *Dashboard
	srv   *httptest.Server
	clock *fakeClock
	// revoked makes AccountBySecretHash answer "not found".
	mu      sync.Mutex
	revoked bool
	// eventsDone receives when a /dashboard/events handler returns.
	eventsDone chan struct{}
}

func setup(t *testing.T, mutate func(*Deps)) *bundle {
	t.Helper()
	b := &bundle{clock: &fakeClock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}, eventsDone: make(chan struct{}, 8)}
	deps := Deps{
		Authenticate: func(_ context.Context, secret string) (string, error) {
			if secret == goodSecret {
				return account, nil
			}
			return "", auth.ErrUnauthorized
		},
		AccountBySecretHash: func(context.Context, []byte) (string, error) {
			b.mu.Lock()
			defer b.mu.Unlock()
			if b.revoked {
				return "", store.ErrNotFound
			}
			return account, nil
		},
		SessionKey: []byte("0123456789abcdef0123456789abcdef"),
		Now:        b.clock.Now,
	}
	if mutate != nil {
		mutate(&deps)
	}
	b.d = New(deps)
	mux := http.NewServeMux()
	b.d.Register(mux)
	// A stand-in for the API's use of SessionAccount: 200 with the account, or 401.
	mux.HandleFunc("/api/whoami", func(w http.ResponseWriter, r *http.Request) {
		acct, ok := b.d.SessionAccount(r)
		if !ok {
			http.Error(w, "no", http.StatusUnauthorized)
			return
		}
		io.WriteString(w, acct)
	})
	b.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mux.ServeHTTP(w, r)
		if r.URL.Path == "/dashboard/events" {
			select {
			case b.eventsDone <- struct{}{}:
			default:
			}
		}
	}))
	t.Cleanup(func() {
		b.d.Shutdown()
		b.srv.Close()
	})
	return b
}

func (b *bundle) revoke() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.revoked = true
}

// do sends a request to the test server; body "" sends none.
func (b *bundle) do(t *testing.T, method, path, contentType, body string, hdr map[string]string, cookies ...*http.Cookie) *http.Response {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, b.srv.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	for _, c := range cookies {
		req.AddCookie(c)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { res.Body.Close() })
	return res
}

// login signs in with goodSecret and returns the cookie and the CSRF token.
func (b *bundle) login(t *testing.T) (*http.Cookie, string) {
	t.Helper()
	res := b.do(t, "POST", "/dashboard/login", "application/json", `{"apiSecret":"`+goodSecret+`"}`, nil)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("login: %d %s", res.StatusCode, readAll(t, res))
	}
	var env struct {
		Data sessionInfo `json:"data"`
	}
	if err := json.NewDecoder(res.Body).Decode(&env); err != nil {
		t.Fatal(err)
	}
	c := cookieNamed(res, CookieName)
	if c == nil || env.Data.CSRF == "" || env.Data.AccountID != account {
		t.Fatalf("login gave cookie %v, data %+v", c, env.Data)
	}
	return c, env.Data.CSRF
}

func cookieNamed(res *http.Response, name string) *http.Cookie {
	for _, c := range res.Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

func readAll(t *testing.T, res *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
