package dashboard

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookcast/hookcast/internal/store"
)

// portalTokens is a real, if tiny, token keeper with the store's semantics:
// taken once, by hash, until expiry.
type portalTokens struct {
	mu sync.Mutex
	m  map[string]store.PortalToken
}

func (p *portalTokens) add(token string, ro bool, expires time.Time) {
	h := sha256.Sum256([]byte(token))
	p.mu.Lock()
	defer p.mu.Unlock()
	p.m[string(h[:])] = store.PortalToken{Hash: h[:], AccountID: account, ReadOnly: ro, ExpiresAt: expires}
}

func (p *portalTokens) take(_ context.Context, hash []byte, now time.Time) (store.PortalToken, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	t, ok := p.m[string(hash)]
	delete(p.m, string(hash))
	if !ok || !now.Before(t.ExpiresAt) {
		return store.PortalToken{}, store.ErrNotFound
	}
	return t, nil
}

// TestPortal: a portal token opens a session once, read-only when asked, that
// ends when the link expires and whose cookie works in a frame (loopback: a
// secure context); the dashboard may be framed by the configured origins only.
func TestPortal(t *testing.T) {
	t.Parallel()
	toks := &portalTokens{m: map[string]store.PortalToken{}}
	b := setup(t, func(d *Deps) {
		d.TakePortalToken = toks.take
		d.FrameAncestors = []string{"https://console.example.com"}
	})
	expires := b.clock.Now().Add(30 * time.Minute)
	toks.add("tok-ro", true, expires)
	toks.add("tok-old", false, b.clock.Now())

	exchange := func(token string) *http.Response {
		return b.do(t, "POST", "/dashboard/portal", "application/json", `{"token":"`+token+`"}`,
			map[string]string{"Sec-Fetch-Site": "same-origin"})
	}
	res := exchange("tok-ro")
	if res.StatusCode != 200 {
		t.Fatalf("portal: %d %s", res.StatusCode, readAll(t, res))
	}
	var env struct {
		Data sessionInfo `json:"data"`
	}
	if err := json.NewDecoder(res.Body).Decode(&env); err != nil || !env.Data.ReadOnly || !env.Data.Portal || env.Data.AccountID != account {
		t.Fatalf("session info %+v (%v)", env.Data, err)
	}
	c := cookieNamed(res, CookieName)
	if c == nil || c.SameSite != http.SameSiteNoneMode || !c.Secure || !c.Partitioned || !c.HttpOnly ||
		!c.Expires.Equal(expires) {
		t.Fatalf("portal cookie %+v", c)
	}
	req, _ := http.NewRequest("PUT", "/api/x", nil)
	req.AddCookie(&http.Cookie{Name: CookieName, Value: c.Value})
	req.Header.Set(CSRFHeader, env.Data.CSRF)
	if acct, ro, ok := b.d.SessionAccess(req); !ok || !ro || acct != account {
		t.Fatalf("SessionAccess = %q, %v, %v", acct, ro, ok)
	}
	// Not tied to an API secret: revoking secrets leaves it, expiry ends it.
	b.revoke()
	if _, _, ok := b.d.SessionAccess(req); !ok {
		t.Fatal("a portal session ended when API secrets were revoked")
	}
	b.clock.Advance(31 * time.Minute)
	if _, _, ok := b.d.SessionAccess(req); ok {
		t.Fatal("a portal session outlived its link")
	}

	for _, tok := range []string{"tok-ro", "tok-old", "never-made"} {
		if res := exchange(tok); res.StatusCode != 401 || !strings.Contains(readAll(t, res), "already been used or has expired") {
			t.Errorf("token %s: %d", tok, res.StatusCode)
		}
	}
	if res := b.do(t, "POST", "/dashboard/portal", "application/json", `{"token":"x"}`,
		map[string]string{"Sec-Fetch-Site": "cross-site"}); res.StatusCode != 403 {
		t.Errorf("cross-site exchange: %d", res.StatusCode)
	}

	res = b.do(t, "GET", "/", "", "", nil)
	if csp := res.Header.Get("Content-Security-Policy"); !strings.HasSuffix(csp, "frame-ancestors 'self' https://console.example.com") {
		t.Errorf("CSP %q", csp)
	}
	if xfo := res.Header.Get("X-Frame-Options"); xfo != "" {
		t.Errorf("X-Frame-Options %q with frame ancestors set", xfo)
	}
}

func TestParseFrameAncestors(t *testing.T) {
	got, err := ParseFrameAncestors("https://Console.example.com, http://127.0.0.1:9000/")
	if err != nil || strings.Join(got, " ") != "https://console.example.com http://127.0.0.1:9000" {
		t.Fatalf("%v, %v", got, err)
	}
	for _, bad := range []string{"console.example.com", "https://x.com/path", "*", "https://a.com;script-src", "ftp://a.com"} {
		if _, err := ParseFrameAncestors(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
