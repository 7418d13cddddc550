package dashboard

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hookcast/hookcast/internal/store"
)

func TestLogin(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, contentType, body string
		hdr                     map[string]string
		authErr                 error // what Authenticate answers for any secret
		wantStatus              int
		wantBody                string // a substring of the answer
		wantCookie              bool
	}{
		{name: "JSON, right secret", contentType: "application/json", body: `{"apiSecret":"` + goodSecret + `"}`,
			wantStatus: 200, wantBody: `"accountId":"ACC123"`, wantCookie: true},
		{name: "form, right secret", contentType: "application/x-www-form-urlencoded", body: "apiSecret=" + goodSecret,
			wantStatus: 303, wantCookie: true},
		{name: "wrong secret", contentType: "application/json", body: `{"apiSecret":"wrong"}`,
			wantStatus: 401, wantBody: "That API secret is not valid"},
		{name: "empty secret", contentType: "application/json", body: `{"apiSecret":"  "}`,
			wantStatus: 400, wantBody: `"apiSecret":"required`},
		{name: "unknown field", contentType: "application/json", body: `{"apiSecret":"x","admin":true}`,
			wantStatus: 400, wantBody: `"status":"fail"`},
		{name: "not JSON", contentType: "application/json", body: `apiSecret=x`,
			wantStatus: 400, wantBody: `"status":"fail"`},
		{name: "other content type", contentType: "text/plain", body: goodSecret,
			wantStatus: 400, wantBody: "send JSON or a form"},
		{name: "from another site", contentType: "application/json", body: `{"apiSecret":"` + goodSecret + `"}`,
			hdr: map[string]string{"Origin": "https://evil.example"}, wantStatus: 403},
		{name: "store down", contentType: "application/json", body: `{"apiSecret":"x"}`,
			authErr: fmt.Errorf("lookup: %w", store.ErrUnavailable), wantStatus: 503, wantBody: "storage"},
		{name: "internal error", contentType: "application/json", body: `{"apiSecret":"x"}`,
			authErr: errors.New("boom"), wantStatus: 500, wantBody: "internal error"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, func(d *Deps) {
				if tc.authErr != nil {
					d.Authenticate = func(context.Context, string) (string, error) { return "", tc.authErr }
				}
			})
			res := b.do(t, "POST", "/dashboard/login", tc.contentType, tc.body, tc.hdr)
			body := readAll(t, res)
			if res.StatusCode != tc.wantStatus || !strings.Contains(body, tc.wantBody) {
				t.Fatalf("status %d body %s; want %d containing %q", res.StatusCode, body, tc.wantStatus, tc.wantBody)
			}
			if got := cookieNamed(res, CookieName) != nil; got != tc.wantCookie {
				t.Fatalf("cookie set = %v, want %v", got, tc.wantCookie)
			}
			if strings.Contains(body, goodSecret) {
				t.Fatal("the answer repeats the secret")
			}
		})
	}
}

func TestLoginRateLimit(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	wrong := func() *http.Response {
		return b.do(t, "POST", "/dashboard/login", "application/json", `{"apiSecret":"wrong"}`, nil)
	}
	for i := range loginBurst {
		if res := wrong(); res.StatusCode != http.StatusUnauthorized {
			t.Fatalf("attempt %d: status %d, want 401", i+1, res.StatusCode)
		}
	}
	res := wrong()
	if res.StatusCode != http.StatusTooManyRequests || res.Header.Get("Retry-After") != "3" {
		t.Fatalf("attempt %d: status %d Retry-After %q, want 429 and 3", loginBurst+1, res.StatusCode, res.Header.Get("Retry-After"))
	}
	// Even the right secret waits: the bucket is per address, not per secret.
	if res := b.do(t, "POST", "/dashboard/login", "application/json", `{"apiSecret":"`+goodSecret+`"}`, nil); res.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("right secret while limited: status %d, want 429", res.StatusCode)
	}
	b.clock.Advance(loginRefill)
	b.login(t) // one attempt refilled, and a success gives it back
	if res := wrong(); res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("after refill and a success: status %d, want 401", res.StatusCode)
	}
	if res := wrong(); res.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("bucket empty again: status %d, want 429", res.StatusCode)
	}
}

func TestLimiterForgetsIdlePeers(t *testing.T) {
	t.Parallel()
	clock := &fakeClock{t: time.Unix(1e9, 0)}
	l := newLoginLimiter(clock.Now)
	for i := range maxLoginPeers {
		l.take(fmt.Sprint(i))
	}
	clock.Advance(loginRefill) // every bucket is full again
	l.take("new")
	if len(l.m) != 1 {
		t.Fatalf("%d peers remembered after pruning, want 1", len(l.m))
	}
}

func TestStaticHeaders(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	cases := []struct {
		path, wantType string
		wantStatus     int
	}{
		{"/", "text/html; charset=utf-8", 200},
		{"/assets/js/app.js", "text/javascript; charset=utf-8", 200},
		{"/assets/app.css", "text/css; charset=utf-8", 200},
		{"/assets/favicon.svg", "image/svg+xml", 200},
		{"/assets/index.html", "", 404},
		{"/assets/js/", "", 404},
		{"/assets/nope.js", "", 404},
	}
	for _, tc := range cases {
		res := b.do(t, "GET", tc.path, "", "", nil)
		if res.StatusCode != tc.wantStatus {
			t.Errorf("%s: status %d, want %d", tc.path, res.StatusCode, tc.wantStatus)
			continue
		}
		if tc.wantStatus != 200 {
			continue
		}
		if got := res.Header.Get("Content-Type"); got != tc.wantType {
			t.Errorf("%s: Content-Type %q, want %q", tc.path, got, tc.wantType)
		}
		if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") ||
			!strings.Contains(csp, "frame-ancestors 'none'") || strings.Contains(csp, "unsafe") {
			t.Errorf("%s: CSP %q", tc.path, csp)
		}
		if got := res.Header.Get("X-Frame-Options"); got != "DENY" {
			t.Errorf("%s: X-Frame-Options %q", tc.path, got)
		}
		etag := res.Header.Get("ETag")
		if etag == "" {
			t.Errorf("%s: no ETag", tc.path)
			continue
		}
		if again := b.do(t, "GET", tc.path, "", "", map[string]string{"If-None-Match": etag}); again.StatusCode != http.StatusNotModified {
			t.Errorf("%s: revalidation status %d, want 304", tc.path, again.StatusCode)
		}
	}
}

// TestAssetsLoadNothingFromElsewhere: the page works offline and under the CSP:
// nothing loaded from another origin, no inline scripts or styles, no
// string-to-HTML assignment (which would let a webhook URL or an event body run).
func TestAssetsLoadNothingFromElsewhere(t *testing.T) {
	t.Parallel()
	bad := []string{`src="http`, `href="http`, `url(http`, `url("http`, `from 'http`, `from "http`,
		`fetch('http`, `EventSource('http`, "@import", "innerHTML", "outerHTML", "insertAdjacentHTML",
		"document.write", "eval(", "new Function", ` style="`, "setAttribute('style'", "<script>"}
	for name := range etags {
		b, err := assets.ReadFile("assets/" + name)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range bad {
			if strings.Contains(string(b), p) {
				t.Errorf("%s contains %q", name, p)
			}
		}
	}
}

// TestScriptModules: a page imports only shared modules, never another page
// (what two pages share lives in a module of its own), so only the router
// (app.js) knows the pages; format.js, the words and numbers every page shows,
// imports nothing and builds no DOM; every import names an embedded file.
func TestScriptModules(t *testing.T) {
	t.Parallel()
	importRe := regexp.MustCompile(`(?m)^import .* from '\./([\w-]+\.js)';$`)
	pageRe := regexp.MustCompile(`(?m)^export function \w+Page\(`)
	src := map[string]string{}
	for name := range etags {
		if strings.HasPrefix(name, "js/") {
			b, err := assets.ReadFile("assets/" + name)
			if err != nil {
				t.Fatal(err)
			}
			src[strings.TrimPrefix(name, "js/")] = string(b)
		}
	}
	isPage := func(f string) bool { return pageRe.MatchString(src[f]) }
	if !isPage("deliveries.js") || !isPage("delivery.js") || isPage("dom.js") {
		t.Fatal("the test's notion of a page is wrong")
	}
	for f, s := range src {
		for _, m := range importRe.FindAllStringSubmatch(s, -1) {
			dep := m[1]
			if _, ok := src[dep]; !ok {
				t.Errorf("%s imports %s, which is not embedded", f, dep)
			}
			if isPage(dep) && f != "app.js" {
				t.Errorf("%s imports the page %s: move what they share into a shared module", f, dep)
			}
		}
	}
	if f := src["format.js"]; strings.Contains(f, "import ") || strings.Contains(f, "document.") {
		t.Error("format.js imports or builds DOM: it is formatting only")
	}
}
