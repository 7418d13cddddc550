package security

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"testing"

	"github.com/hookcast/hookcast/internal/sample"
	"github.com/hookcast/hookcast/tests/reliability/harness"
)

// kind is the credential a request of the table carries.
type kind int

const (
	none  kind = iota // no credential
	wrong             // a well-formed credential nobody was given
	other             // a real credential of someone else: account B, or another role
	right             // the credential the route asks for
)

var kindNames = [...]string{"none", "wrong", "other", "right"}

// auth is how a route authenticates.
type auth int

const (
	public      auth = iota // nobody: tokens are ignored
	account                 // bearer API secret: other = account B's
	admin                   // bearer admin token: other = account A's API secret
	ingest                  // bearer ingest token: other = the admin token
	ingestQuery             // ?token= ingest token (media servers that cannot send headers)
	session                 // dashboard session cookie: wrong = a forged one, other = B's
	sessionCSRF             // session cookie and its X-CSRF-Token (unsafe methods)
)

var authNames = [...]string{"public", "account", "admin", "ingest", "ingest ?token=", "session", "session+CSRF"}

// route is one row: a route of the OpenAPI document (or of the dashboard), the
// request aimed at account A's resources, and the status for each kind.
type route struct {
	method, path string // the OpenAPI (or ServeMux) pattern
	auth         auth
	want         [4]int
	req          func(f *fixture, k kind) request
}

func at(method, path string) func(*fixture, kind) request {
	return func(*fixture, kind) request { return request{method: method, path: path} }
}

func withBody(method, path, body string) func(*fixture, kind) request {
	return func(*fixture, kind) request { return request{method: method, path: path, body: body} }
}

const wrongSecret = "w2xS0b0dyWasGivenThisSecret0000000000000000"

var (
	ok4     = [4]int{200, 200, 200, 200}
	acct200 = [4]int{401, 401, 200, 200} // another account acts on its own data
	acct404 = [4]int{401, 401, 404, 200} // another account's resource does not exist for it
	only200 = [4]int{401, 401, 401, 200}
)

func routes(f *fixture) []route {
	hook := fmt.Sprintf("/api/webhooks/%d", f.hookA.ID)
	del := fmt.Sprintf("/api/webhooks/%d", f.delHookA.ID)
	dlv := fmt.Sprintf("/api/deliveries/%d", f.deliveryA)
	signal := `{"kind":"viewer.attempted","accountId":"SECA","name":"show"}`
	nginx := "app=SECA&call=play&name=show&addr=127.0.0.1&clientid=1"
	mtxAuth := `{"ip":"127.0.0.1","user":"","password":"","token":"","action":"read","path":"SECA/show","protocol":"rtsp","id":"0b1d2d9f-5a3c-4e0b-9c55-0a6f8e4f1c2a","query":""}`
	srs := `{"action":"on_play","client_id":"c1","ip":"127.0.0.1","vhost":"__defaultVhost__","app":"SECA","stream":"show","param":""}`
	form := func(path, body string) func(*fixture, kind) request {
		return func(*fixture, kind) request {
			return request{method: "POST", path: path, body: body, contentType: "application/x-www-form-urlencoded"}
		}
	}
	return []route{
		{"GET", "/api/openapi.json", public, ok4, at("GET", "/api/openapi.json")},
		{"GET", "/healthz", public, ok4, at("GET", "/healthz")},
		{"GET", "/readyz", public, ok4, at("GET", "/readyz")},
		{"GET", "/metrics", public, ok4, at("GET", "/metrics")},

		{"GET", "/api/webhooks/list", account, acct200, at("GET", "/api/webhooks/list")},
		{"POST", "/api/webhooks", account, acct200, withBody("POST", "/api/webhooks", fmt.Sprintf(`{"url":%q,"isFeedHooks":true}`, f.rc.URL("/new")))},
		{"GET", "/api/webhooks/{webhookId}", account, acct404, at("GET", hook)},
		{"PUT", "/api/webhooks/{webhookId}", account, acct404, withBody("PUT", hook, `{"isMediaHooks":true}`)},
		{"DELETE", "/api/webhooks/{webhookId}", account, acct404, at("DELETE", del)},
		{"POST", "/api/webhooks/test/{webhookType}", account, acct200, at("POST", "/api/webhooks/test/Feeds")},
		{"GET", "/api/deliveries", account, acct200, at("GET", "/api/deliveries")},
		{"GET", "/api/deliveries/{deliveryId}", account, acct404, at("GET", dlv)},
		{"POST", "/api/deliveries/{deliveryId}/resend", account, acct404, at("POST", dlv+"/resend")},
		{"POST", "/api/deliveries/resend", account, acct200, withBody("POST", "/api/deliveries/resend", `{"since":"2000-01-01T00:00:00Z"}`)},
		{"GET", "/api/streams", account, acct200, at("GET", "/api/streams")},
		{"GET", "/api/stats", account, acct200, at("GET", "/api/stats")},
		// No thumbnail source is configured: 501 once authenticated.
		{"POST", "/api/thumbnails", account, [4]int{401, 401, 501, 501}, withBody("POST", "/api/thumbnails", `{"streamName":"show"}`)},

		{"POST", "/api/admin/accounts", admin, only200, withBody("POST", "/api/admin/accounts", `{}`)},
		{"GET", "/api/admin/accounts", admin, only200, at("GET", "/api/admin/accounts")},
		{"POST", "/api/admin/accounts/{accountId}/secrets", admin, only200, withBody("POST", "/api/admin/accounts/SECA/secrets", `{}`)},
		{"GET", "/api/admin/accounts/{accountId}/secrets", admin, only200, at("GET", "/api/admin/accounts/SECA/secrets")},
		{"POST", "/api/admin/accounts/{accountId}/portal", admin, only200, withBody("POST", "/api/admin/accounts/SECA/portal", `{"readOnly":true}`)},
		{"DELETE", "/api/admin/accounts/{accountId}/secrets/{secretId}", admin, only200,
			at("DELETE", fmt.Sprintf("/api/admin/accounts/SECA/secrets/%d", f.extraSecretA))},

		{"POST", "/api/ingest/signals", ingest, only200, withBody("POST", "/api/ingest/signals", signal)},
		{"POST", "/api/ingest/thumbnails", ingest, only200, func(*fixture, kind) request {
			return request{method: "POST", path: "/api/ingest/thumbnails?accountId=SECA&name=show&feedId=f1",
				body: string(sample.JPEG()), contentType: "image/jpeg"}
		}},
		{"POST", "/api/ingest/nginx-rtmp", ingest, only200, form("/api/ingest/nginx-rtmp", nginx)},
		{"POST", "/api/ingest/nginx-rtmp", ingestQuery, only200, form("/api/ingest/nginx-rtmp", nginx)},
		{"POST", "/api/ingest/mediamtx/auth", ingest, only200, withBody("POST", "/api/ingest/mediamtx/auth", mtxAuth)},
		{"POST", "/api/ingest/mediamtx/auth", ingestQuery, only200, withBody("POST", "/api/ingest/mediamtx/auth", mtxAuth)},
		{"POST", "/api/ingest/mediamtx/{hook}", ingest, only200, form("/api/ingest/mediamtx/ready", "path=SECA/show&source_id=s1")},
		{"POST", "/api/ingest/mediamtx/{hook}", ingestQuery, only200, form("/api/ingest/mediamtx/notready", "path=SECA/show&source_id=s1")},
		{"POST", "/api/ingest/srs", ingest, only200, withBody("POST", "/api/ingest/srs", srs)},
		{"POST", "/api/ingest/srs", ingestQuery, only200, withBody("POST", "/api/ingest/srs", srs)},

		// The dashboard (not in the OpenAPI document).
		{"GET", "/", public, ok4, at("GET", "/")},
		{"GET", "/assets/", public, ok4, at("GET", "/assets/app.css")},
		{"POST", "/dashboard/login", public, [4]int{400, 401, 200, 200}, func(f *fixture, k kind) request {
			secret := [...]string{"", wrongSecret, f.secretB, f.secretA}[k]
			return request{method: "POST", path: "/dashboard/login", body: fmt.Sprintf(`{"apiSecret":%q}`, secret)}
		}},
		{"GET", "/dashboard/session", session, acct200, at("GET", "/dashboard/session")},
		{"GET", "/dashboard/events", session, acct200, at("GET", "/dashboard/events")},
		// Without a valid session there is nothing to protect: the cookie is cleared.
		{"POST", "/dashboard/logout", sessionCSRF, ok4, at("POST", "/dashboard/logout")},
		// The API accepts a session in place of the bearer secret.
		{"GET", "/api/webhooks/list", session, acct200, at("GET", "/api/webhooks/list")},
		{"GET", "/api/webhooks/{webhookId}", session, acct404, at("GET", hook)},
		{"POST", "/api/webhooks", sessionCSRF, acct200, withBody("POST", "/api/webhooks", fmt.Sprintf(`{"url":%q,"isFeedHooks":true}`, f.rc.URL("/new")))},
	}
}

// credential adds the credential of kind k for auth a to r.
func (f *fixture) credential(r request, a auth, k kind) request {
	forged := &http.Cookie{Name: "hookcast_session", Value: "eyJhY2NvdW50SWQiOiJTRUNBIn0.c2lnbmF0dXJl"}
	switch a {
	case public:
		r.bearer = [...]string{"", wrongSecret, f.secretB, f.secretA}[k]
	case account:
		r.bearer = [...]string{"", wrongSecret, f.secretB, f.secretA}[k]
	case admin:
		r.bearer = [...]string{"", wrongSecret, f.secretA, harness.AdminToken}[k]
	case ingest:
		r.bearer = [...]string{"", wrongSecret, harness.AdminToken, harness.IngestToken}[k]
	case ingestQuery:
		if k != none {
			sep := "?"
			if strings.Contains(r.path, "?") {
				sep = "&"
			}
			r.path += sep + "token=" + [...]string{"", wrongSecret, harness.AdminToken, harness.IngestToken}[k]
		}
	case session, sessionCSRF:
		r.cookie = [...]*http.Cookie{nil, forged, f.cookieB, f.cookieA}[k]
		if a == sessionCSRF {
			r.header = map[string]string{"X-CSRF-Token": [...]string{"", "forged-csrf-token", f.csrfB, f.csrfA}[k]}
		}
	}
	return r
}

// TestRouteAuthorization sends every route × (no credential, a wrong one,
// someone else's, the right one) and checks the status. Answers to anyone but
// account A never carry A's id or secrets. Every route of the OpenAPI document
// must have a row: a new route fails this test until it is added.
func TestRouteAuthorization(t *testing.T) {
	t.Parallel()
	f := newFixture(t, harness.Config{})
	table := routes(f)
	covered := map[string]bool{}
	for _, rt := range table {
		covered[rt.method+" "+rt.path] = true
	}
	for _, r := range openAPIRoutes(t, f) {
		if !covered[r] {
			t.Errorf("route %s of the OpenAPI document has no row in the table", r)
		}
	}
	checked := 0
	for _, rt := range table {
		for k := none; k <= right; k++ {
			r := f.credential(rt.req(f, k), rt.auth, k)
			resp := f.do(t, r)
			body, _ := io.ReadAll(resp.Body)
			checked++
			if resp.StatusCode != rt.want[k] {
				t.Errorf("%s %s (%s auth, %s credential): %d %.300s, want %d", rt.method, r.path, authNames[rt.auth], kindNames[k], resp.StatusCode, body, rt.want[k])
			}
			if k == right {
				continue
			}
			for _, s := range append([]string{"SECA"}, f.secretsOfA...) {
				if s != "" && strings.Contains(string(body), s) {
					t.Errorf("%s %s (%s credential): the answer carries account A's %q", rt.method, r.path, kindNames[k], s)
				}
			}
		}
	}
	t.Logf("%d routes × 4 credentials = %d requests checked", len(table), checked)
}

// openAPIRoutes lists "METHOD /path" for every operation of the served document.
func openAPIRoutes(t *testing.T, f *fixture) []string {
	t.Helper()
	resp := f.do(t, request{method: "GET", path: "/api/openapi.json"})
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	var out []string
	for path, ops := range doc.Paths {
		for m := range ops {
			switch m {
			case "get", "put", "post", "delete", "patch", "head":
				out = append(out, strings.ToUpper(m)+" "+path)
			}
		}
	}
	sort.Strings(out)
	if len(out) < 20 {
		t.Fatalf("the OpenAPI document lists only %d operations", len(out))
	}
	return out
}
