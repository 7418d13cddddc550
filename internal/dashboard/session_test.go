package dashboard

import (
	"encoding/base64"
	"net/http"
	"strings"
	"testing"
	"time"
)

// tamper returns the cookie value with its payload's account id changed and the
// signature kept.
func tamper(t *testing.T, value string) string {
	t.Helper()
	p64, mac, _ := strings.Cut(value, ".")
	p, err := base64.RawURLEncoding.DecodeString(p64)
	if err != nil {
		t.Fatal(err)
	}
	changed := strings.Replace(string(p), account, "OTHER1", 1)
	if changed == string(p) {
		t.Fatal("account id not found in payload")
	}
	return base64.RawURLEncoding.EncodeToString([]byte(changed)) + "." + mac
}

func TestSessionAccount(t *testing.T) {
	t.Parallel()
	other := New(Deps{Authenticate: nil, SessionKey: []byte("another key, another service....")})

	cases := []struct {
		name   string
		method string
		cookie func(c *http.Cookie, b *bundle) *http.Cookie // nil: no cookie
		hdr    func(csrf, host string) map[string]string
		before func(b *bundle)
		want   bool
	}{
		{name: "GET with a valid cookie", method: "GET", cookie: same, want: true},
		{name: "no cookie", method: "GET", cookie: nil},
		{name: "payload changed, signature kept", method: "GET",
			cookie: func(c *http.Cookie, _ *bundle) *http.Cookie {
				return &http.Cookie{Name: CookieName, Value: tamper(t, c.Value)}
			}},
		{name: "signature changed", method: "GET",
			cookie: func(c *http.Cookie, _ *bundle) *http.Cookie {
				// The first character of the signature: all six bits are data.
				i := strings.IndexByte(c.Value, '.') + 1
				flip := byte('A')
				if c.Value[i] == 'A' {
					flip = 'B'
				}
				return &http.Cookie{Name: CookieName, Value: c.Value[:i] + string(flip) + c.Value[i+1:]}
			}},
		{name: "no signature", method: "GET",
			cookie: func(c *http.Cookie, _ *bundle) *http.Cookie {
				p, _, _ := strings.Cut(c.Value, ".")
				return &http.Cookie{Name: CookieName, Value: p}
			}},
		{name: "signed with another key", method: "GET",
			cookie: func(c *http.Cookie, b *bundle) *http.Cookie {
				s, err := b.d.decode(c.Value)
				if err != nil {
					t.Fatal(err)
				}
				return &http.Cookie{Name: CookieName, Value: other.encode(s)}
			}},
		{name: "garbage", method: "GET",
			cookie: func(*http.Cookie, *bundle) *http.Cookie { return &http.Cookie{Name: CookieName, Value: "x.y"} }},
		{name: "oversized", method: "GET",
			cookie: func(c *http.Cookie, _ *bundle) *http.Cookie {
				return &http.Cookie{Name: CookieName, Value: c.Value + strings.Repeat("A", maxCookieBytes)}
			}},
		{name: "expired", method: "GET", cookie: same,
			before: func(b *bundle) { b.clock.Advance(DefaultSessionTTL) }},
		{name: "one second before expiry", method: "GET", cookie: same, want: true,
			before: func(b *bundle) { b.clock.Advance(DefaultSessionTTL - time.Second) }},
		{name: "API secret revoked", method: "GET", cookie: same,
			before: func(b *bundle) { b.revoke() }},
		{name: "POST without CSRF header", method: "POST", cookie: same},
		{name: "POST with a wrong CSRF header", method: "POST", cookie: same,
			hdr: func(csrf, _ string) map[string]string { return map[string]string{CSRFHeader: csrf[:len(csrf)-1] + "x"} }},
		{name: "DELETE with a wrong CSRF header", method: "DELETE", cookie: same,
			hdr: func(string, string) map[string]string { return map[string]string{CSRFHeader: "nope"} }},
		{name: "POST with the CSRF header", method: "POST", cookie: same, want: true,
			hdr: func(csrf, _ string) map[string]string { return map[string]string{CSRFHeader: csrf} }},
		{name: "PUT same-origin", method: "PUT", cookie: same, want: true,
			hdr: func(csrf, host string) map[string]string {
				return map[string]string{CSRFHeader: csrf, "Origin": "http://" + host, "Sec-Fetch-Site": "same-origin"}
			}},
		{name: "POST from another origin", method: "POST", cookie: same,
			hdr: func(csrf, _ string) map[string]string {
				return map[string]string{CSRFHeader: csrf, "Origin": "https://evil.example"}
			}},
		{name: "POST from another site (fetch metadata)", method: "POST", cookie: same,
			hdr: func(csrf, _ string) map[string]string {
				return map[string]string{CSRFHeader: csrf, "Sec-Fetch-Site": "cross-site"}
			}},
		{name: "POST from a sibling port (same-site, not same-origin)", method: "POST", cookie: same,
			hdr: func(csrf, _ string) map[string]string {
				return map[string]string{CSRFHeader: csrf, "Sec-Fetch-Site": "same-site"}
			}},
		{name: "GET needs no CSRF header", method: "GET", cookie: same, want: true,
			hdr: func(string, string) map[string]string { return map[string]string{"Sec-Fetch-Site": "cross-site"} }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, nil)
			c, csrf := b.login(t)
			if tc.before != nil {
				tc.before(b)
			}
			var cookies []*http.Cookie
			if tc.cookie != nil {
				cookies = append(cookies, tc.cookie(c, b))
			}
			var hdr map[string]string
			if tc.hdr != nil {
				hdr = tc.hdr(csrf, strings.TrimPrefix(b.srv.URL, "http://"))
			}
			res := b.do(t, tc.method, "/api/whoami", "", "", hdr, cookies...)
			got := res.StatusCode == http.StatusOK
			if got != tc.want {
				t.Fatalf("accepted = %v, want %v (status %d)", got, tc.want, res.StatusCode)
			}
			if got && readAll(t, res) != account {
				t.Fatal("wrong account")
			}
		})
	}
}

func same(c *http.Cookie, _ *bundle) *http.Cookie { return c }

func TestLoginCookie(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	res := b.do(t, "POST", "/dashboard/login", "application/json", `{"apiSecret":"`+goodSecret+`"}`, nil)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status %d", res.StatusCode)
	}
	c := cookieNamed(res, CookieName)
	switch {
	case c == nil:
		t.Fatal("no session cookie")
	case !c.HttpOnly, c.SameSite != http.SameSiteStrictMode, c.Path != "/":
		t.Fatalf("cookie attributes: %+v", c)
	case c.Secure:
		t.Fatal("Secure set on a plain-HTTP answer (the browser would drop the cookie)")
	case c.MaxAge != int(DefaultSessionTTL.Seconds()):
		t.Fatalf("Max-Age %d, want %d", c.MaxAge, int(DefaultSessionTTL.Seconds()))
	}
	if got := res.Header.Get("Cache-Control"); got != "no-store" {
		t.Fatalf("Cache-Control %q", got)
	}
}

func TestSessionEndpoint(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	if res := b.do(t, "GET", "/dashboard/session", "", "", nil); res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("no cookie: status %d, want 401", res.StatusCode)
	}
	c, csrf := b.login(t)
	res := b.do(t, "GET", "/dashboard/session", "", "", nil, c)
	body := readAll(t, res)
	if res.StatusCode != http.StatusOK || !strings.Contains(body, `"csrf":"`+csrf+`"`) ||
		!strings.Contains(body, `"accountId":"`+account+`"`) {
		t.Fatalf("session: %d %s", res.StatusCode, body)
	}
}

func TestLogout(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	c, csrf := b.login(t)
	if res := b.do(t, "POST", "/dashboard/logout", "", "", nil, c); res.StatusCode != http.StatusForbidden {
		t.Fatalf("logout without CSRF: status %d, want 403", res.StatusCode)
	} else if cookieNamed(res, CookieName) != nil {
		t.Fatal("a refused logout cleared the cookie")
	}
	res := b.do(t, "POST", "/dashboard/logout", "", "", map[string]string{CSRFHeader: csrf}, c)
	cleared := cookieNamed(res, CookieName)
	if res.StatusCode != http.StatusOK || cleared == nil || cleared.MaxAge >= 0 || cleared.Value != "" {
		t.Fatalf("logout: status %d, cookie %+v", res.StatusCode, cleared)
	}
	// No session at all: nothing to protect, the cookie is just cleared.
	if res := b.do(t, "POST", "/dashboard/logout", "", "", nil); res.StatusCode != http.StatusOK {
		t.Fatalf("logout without a session: status %d", res.StatusCode)
	}
}

// FuzzDecode: no cookie value makes decode panic, and only values this key
// signed are accepted.
func FuzzDecode(f *testing.F) {
	d := New(Deps{SessionKey: []byte("0123456789abcdef0123456789abcdef"), Now: func() time.Time { return time.Unix(1e9, 0) }})
	good := d.encode(session{AccountID: "A", Expiry: 2e9, CSRF: "c"})
	for _, s := range []string{good, "", ".", "a.b", good + "x", "x" + good, strings.Repeat(".", 50)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		s, err := d.decode(v)
		if err != nil {
			return
		}
		if d.encode(s) == "" || s.AccountID == "" {
			t.Fatalf("accepted %q as %+v", v, s)
		}
		p, m, _ := strings.Cut(v, ".")
		payload, _ := base64.RawURLEncoding.DecodeString(p)
		mac, _ := base64.RawURLEncoding.DecodeString(m)
		if string(mac) != string(d.mac(payload)) {
			t.Fatalf("accepted %q without a valid signature", v)
		}
	})
}
