package api

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookcast/hookcast/internal/auth"
)

// TestPortalLink: the admin token makes a one-time link whose token is kept
// only as a hash, taken once, until its expiry; bad input changes nothing.
func TestPortalLink(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	path := "/api/admin/accounts/" + acctA + "/portal"
	if r := b.do("POST", path, b.secretA, `{}`); r.code != 401 {
		t.Fatalf("an account secret made a portal link: %d", r.code)
	}
	if r := b.do("POST", "/api/admin/accounts/NOPE/portal", testAdminToken, `{}`); r.code != 404 {
		t.Fatalf("unknown account: %d %s", r.code, r.raw)
	}
	if f := b.do("POST", path, testAdminToken, `{"ttlSeconds": 5, "readOnly": "yes", "x": 1}`).fail(t); len(f) != 3 {
		t.Fatalf("fail: %v", f)
	}
	r := b.do("POST", path, testAdminToken, `{"readOnly": true}`)
	var link portalJSON
	if err := json.Unmarshal(r.Data, &link); err != nil || r.code != 200 {
		t.Fatalf("%d %s", r.code, r.raw)
	}
	tok, ok := strings.CutPrefix(link.Path, PortalPath)
	if !ok || len(tok) < 43 || link.URL != b.srv.URL+link.Path || !link.ReadOnly ||
		link.ExpiresAt != formatTime(b.clock.Now().Add(time.Hour)) {
		t.Fatalf("link: %+v", link)
	}
	got, err := b.st.TakePortalToken(ctx, auth.HashSecret(tok), b.clock.Now())
	if err != nil || got.AccountID != acctA || !got.ReadOnly {
		t.Fatalf("the token as stored: %+v, %v", got, err)
	}
	if _, err := b.st.TakePortalToken(ctx, auth.HashSecret(tok), b.clock.Now()); err == nil {
		t.Fatal("a portal token was taken twice")
	}
}

// TestReadOnlySession: a read-only session reads, and every change is a 403
// that changes nothing.
func TestReadOnlySession(t *testing.T) {
	t.Parallel()
	var readOnly atomic.Bool
	b := setup(t, func(d *Deps) {
		d.Session = func(r *http.Request) (string, bool, bool) {
			return acctA, readOnly.Load(), r.Header.Get("Cookie") == "s=1"
		}
	})
	w := b.createWebhook(b.secretA, "https://hooks.example.com/a")
	call := func(method, path, body string) int {
		req, _ := http.NewRequest(method, b.srv.URL+path, strings.NewReader(body))
		req.Header.Set("Cookie", "s=1")
		resp, err := b.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	readOnly.Store(true)
	before := b.snapshot()
	if c := call("GET", "/api/webhooks/list", ""); c != 200 {
		t.Fatalf("read-only GET: %d", c)
	}
	for _, m := range []struct{ method, path, body string }{
		{"PUT", "/api/webhooks/" + strconv.FormatInt(w.ID, 10), `{"url": "https://hooks.example.com/changed"}`},
		{"DELETE", "/api/webhooks/" + strconv.FormatInt(w.ID, 10), ""},
		{"POST", "/api/webhooks", `{"url": "https://hooks.example.com/new"}`},
		{"POST", "/api/webhooks/test/Feeds", ""},
		{"POST", "/api/deliveries/resend", `{}`},
	} {
		if c := call(m.method, m.path, m.body); c != 403 {
			t.Errorf("read-only %s %s: %d, want 403", m.method, m.path, c)
		}
	}
	b.assertUnchanged(before, "read-only session")
	if len(b.sent()) != 0 {
		t.Fatal("a read-only session sent a test event")
	}
	readOnly.Store(false)
	if c := call("DELETE", "/api/webhooks/"+strconv.FormatInt(w.ID, 10), ""); c != 200 {
		t.Fatalf("a full session could not delete: %d", c)
	}
}
