package security

import (
	"fmt"
	"testing"

	"github.com/hookcast/hookcast/tests/reliability/harness"
)

// TestSessionNeedsCSRF: a session cookie alone does not authorise a change; the
// session's own CSRF token is needed, from this origin.
func TestSessionNeedsCSRF(t *testing.T) {
	t.Parallel()
	f := newFixture(t, harness.Config{})
	create := fmt.Sprintf(`{"url":%q,"isFeedHooks":true}`, f.rc.URL("/csrf"))
	cases := []struct {
		name   string
		r      request
		status int
	}{
		{"no CSRF token", request{method: "POST", path: "/api/webhooks", body: create, cookie: f.cookieA}, 401},
		{"another session's CSRF token", request{method: "POST", path: "/api/webhooks", body: create, cookie: f.cookieA,
			header: map[string]string{"X-CSRF-Token": f.csrfB}}, 401},
		{"cross-origin", request{method: "POST", path: "/api/webhooks", body: create, cookie: f.cookieA,
			header: map[string]string{"X-CSRF-Token": f.csrfA, "Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}}, 401},
		{"delete without CSRF token", request{method: "DELETE", path: fmt.Sprintf("/api/webhooks/%d", f.hookA.ID), cookie: f.cookieA}, 401},
		{"sign-out without CSRF token", request{method: "POST", path: "/dashboard/logout", cookie: f.cookieA}, 403},
		{"cross-site sign-in", request{method: "POST", path: "/dashboard/login", body: fmt.Sprintf(`{"apiSecret":%q}`, f.secretA),
			header: map[string]string{"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}}, 403},
		{"same origin with the token", request{method: "POST", path: "/api/webhooks", body: create, cookie: f.cookieA,
			header: map[string]string{"X-CSRF-Token": f.csrfA, "Origin": f.p.Base, "Sec-Fetch-Site": "same-origin"}}, 200},
	}
	for _, c := range cases {
		if resp := f.do(t, c.r); resp.StatusCode != c.status {
			t.Errorf("%s: %d, want %d", c.name, resp.StatusCode, c.status)
		}
	}
	// The webhook survived the refused delete.
	if code, _ := harness.Call(t, "GET", fmt.Sprintf("%s/api/webhooks/%d", f.p.Base, f.hookA.ID), f.secretA, nil); code != 200 {
		t.Errorf("webhook after the refused delete: %d", code)
	}
}

// TestRevokedSecretEndsAccess: once an API secret is revoked, neither it nor the
// dashboard sessions signed in with it open anything.
func TestRevokedSecretEndsAccess(t *testing.T) {
	t.Parallel()
	f := newFixture(t, harness.Config{})
	var sec struct {
		ID        int64  `json:"id"`
		APISecret string `json:"apiSecret"`
	}
	harness.Data(t, "POST", f.p.Base+"/api/admin/accounts/SECA/secrets", harness.AdminToken, map[string]any{}, &sec)
	cookie, _ := f.login(t, sec.APISecret)
	for _, r := range []request{
		{method: "GET", path: "/api/webhooks/list", bearer: sec.APISecret},
		{method: "GET", path: "/dashboard/session", cookie: cookie},
		{method: "GET", path: "/api/webhooks/list", cookie: cookie},
	} {
		if resp := f.do(t, r); resp.StatusCode != 200 {
			t.Fatalf("before the revocation: %s %s: %d", r.method, r.path, resp.StatusCode)
		}
	}
	harness.Data(t, "DELETE", fmt.Sprintf("%s/api/admin/accounts/SECA/secrets/%d", f.p.Base, sec.ID), harness.AdminToken, nil, nil)
	for _, c := range []struct {
		name string
		r    request
	}{
		{"the revoked secret", request{method: "GET", path: "/api/webhooks/list", bearer: sec.APISecret}},
		{"a dashboard session signed in with it", request{method: "GET", path: "/dashboard/session", cookie: cookie}},
		{"the API through that session", request{method: "GET", path: "/api/webhooks/list", cookie: cookie}},
		{"sign-in with it", request{method: "POST", path: "/dashboard/login", body: fmt.Sprintf(`{"apiSecret":%q}`, sec.APISecret)}},
	} {
		if resp := f.do(t, c.r); resp.StatusCode != 401 {
			t.Errorf("after the revocation, %s: %d, want 401", c.name, resp.StatusCode)
		}
	}
	// The account's other secret still works.
	if code, _ := harness.Call(t, "GET", f.p.Base+"/api/webhooks/list", f.secretA, nil); code != 200 {
		t.Errorf("the account's other secret after the revocation: %d", code)
	}
}
