package api

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

func TestUnauthorized(t *testing.T) {
	t.Parallel()
	b := setup(t)
	w := b.createWebhook(b.secretA, "https://hooks.example.com/")
	revoked := b.addAccount("REVOKD")
	secs, _ := b.st.ListAPISecrets(context.Background(), "REVOKD")
	if err := b.st.RevokeAPISecret(context.Background(), "REVOKD", secs[0].ID); err != nil {
		t.Fatal(err)
	}
	headers := map[string]string{
		"none":           "",
		"empty bearer":   "Bearer ",
		"wrong scheme":   "Basic " + b.secretA,
		"wrong secret":   "Bearer not-a-secret",
		"revoked secret": "Bearer " + revoked,
		"admin token":    "Bearer " + testAdminToken,
		"secret only":    b.secretA,
	}
	routes := []struct{ method, path, body string }{
		{"GET", "/api/webhooks/list", ""},
		{"POST", "/api/webhooks", `{"url":"https://x.example.com/","isFeedHooks":true}`},
		{"GET", fmt.Sprintf("/api/webhooks/%d", w.ID), ""},
		{"PUT", fmt.Sprintf("/api/webhooks/%d", w.ID), `{"refreshSecret":true}`},
		{"DELETE", fmt.Sprintf("/api/webhooks/%d", w.ID), ""},
		{"POST", "/api/webhooks/test/Feeds", ""},
		{"GET", "/api/deliveries", ""},
		{"GET", "/api/streams", ""},
	}
	before := b.snapshot()
	for name, h := range headers {
		for _, rt := range routes {
			req, _ := http.NewRequest(rt.method, b.srv.URL+rt.path, strings.NewReader(rt.body))
			if h != "" {
				req.Header.Set("Authorization", h)
			}
			resp, err := b.srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != 401 || resp.Header.Get("WWW-Authenticate") == "" {
				t.Errorf("%s: %s %s = %d", name, rt.method, rt.path, resp.StatusCode)
			}
		}
	}
	b.assertUnchanged(before, "unauthorized requests")
	if len(b.sent()) != 0 {
		t.Fatal("an unauthorized test request was sent")
	}
	r := b.do("GET", "/api/webhooks/list", "wrong", "")
	if r.code != 401 || r.Code != 401 || r.Status != "error" || r.Message == "" {
		t.Fatalf("401 envelope: %s", r.raw)
	}
	// The scheme is case-insensitive.
	req, _ := http.NewRequest("GET", b.srv.URL+"/api/webhooks/list", nil)
	req.Header.Set("Authorization", "bearer "+b.secretA)
	if resp, err := b.srv.Client().Do(req); err != nil || resp.StatusCode != 200 {
		t.Fatalf("lower-case bearer: %v %v", resp.StatusCode, err)
	}
}

// Account B cannot tell A's webhook from a missing one, nor touch it.
func TestAccountIsolation(t *testing.T) {
	t.Parallel()
	b := setup(t)
	w := b.createWebhook(b.secretA, "https://hooks.example.com/")
	before := b.snapshot()
	missing := fmt.Sprintf("/api/webhooks/%d", w.ID+1000)
	theirs := fmt.Sprintf("/api/webhooks/%d", w.ID)
	for _, m := range []struct{ method, body string }{
		{"GET", ""}, {"PUT", `{"url":"https://evil.example.com/","reEnable":true}`}, {"DELETE", ""},
	} {
		r1 := b.do(m.method, theirs, b.secretB, m.body)
		r2 := b.do(m.method, missing, b.secretB, m.body)
		if r1.code != 404 || string(r1.raw) != string(r2.raw) {
			t.Errorf("%s: another account's webhook answers %d %s; a missing one %d %s",
				m.method, r1.code, r1.raw, r2.code, r2.raw)
		}
	}
	if r := b.do("GET", "/api/webhooks/list", b.secretB, ""); string(r.Data) != "[]" {
		t.Errorf("B lists %s", r.Data)
	}
	b.assertUnchanged(before, "another account's requests")
}

// Every refused request answers 400 (or 413/404) naming the problem and changes nothing.
func TestBadInputChangesNothing(t *testing.T) {
	t.Parallel()
	b := setup(t)
	w := b.createWebhook(b.secretA, "https://hooks.example.com/")
	put := fmt.Sprintf("/api/webhooks/%d", w.ID)
	big := `{"url":"https://hooks.example.com/","isFeedHooks":true,"filter":"` + strings.Repeat("a", 70<<10) + `"}`
	tests := []struct {
		name, method, path, body string
		code                     int
		field                    string // named in the fail data
	}{
		{"unknown field", "POST", "/api/webhooks", `{"url":"https://a.example.com/","isFeedHooks":true,"colour":"red"}`, 400, "colour"},
		{"unknown field put", "PUT", put, `{"isFeedHooks":false,"secret":"AAAA"}`, 400, "secret"},
		{"malformed", "POST", "/api/webhooks", `{"url":"https://a.example.com/",`, 400, "body"},
		{"malformed put", "PUT", put, `{"url" "x"}`, 400, "body"},
		{"not an object", "POST", "/api/webhooks", `["url"]`, 400, "body"},
		{"null body", "PUT", put, `null`, 400, "body"},
		{"empty body", "POST", "/api/webhooks", ``, 400, "body"},
		{"trailing data", "PUT", put, `{"isFeedHooks":false} {"isFeedHooks":true}`, 400, "body"},
		{"bool as string", "POST", "/api/webhooks", `{"url":"https://a.example.com/","isFeedHooks":"yes"}`, 400, "isFeedHooks"},
		{"bool as number put", "PUT", put, `{"isMediaHooks":1}`, 400, "isMediaHooks"},
		{"url as number", "POST", "/api/webhooks", `{"url":5,"isFeedHooks":true}`, 400, "url"},
		{"missing url", "POST", "/api/webhooks", `{"isFeedHooks":true}`, 400, "url"},
		{"empty url", "POST", "/api/webhooks", `{"url":"","isFeedHooks":true}`, 400, "url"},
		{"empty url put", "PUT", put, `{"url":""}`, 400, "url"},
		{"missing isFeedHooks", "POST", "/api/webhooks", `{"url":"https://a.example.com/"}`, 400, "isFeedHooks"},
		{"null isFeedHooks", "POST", "/api/webhooks", `{"url":"https://a.example.com/","isFeedHooks":null}`, 400, "isFeedHooks"},
		{"ftp url", "POST", "/api/webhooks", `{"url":"ftp://a.example.com/","isFeedHooks":true}`, 400, "url"},
		{"credentials", "PUT", put, `{"url":"https://u:p@a.example.com/"}`, 400, "url"},
		{"bad filter", "POST", "/api/webhooks", `{"url":"https://a.example.com/","isFeedHooks":true,"filter":"(["}`, 400, "filter"},
		{"long filter", "PUT", put, `{"filter":"` + strings.Repeat("a", 2000) + `"}`, 400, "filter"},
		{"bad retry policy", "PUT", put, `{"retryPolicy":"forever"}`, 400, "retryPolicy"},
		{"refreshSecret string", "PUT", put, `{"refreshSecret":"true"}`, 400, "refreshSecret"},
		{"duplicate by case", "PUT", put, `{"url":"https://b.example.com/","URL":"https://c.example.com/"}`, 400, "url"},
		{"good and bad together", "PUT", put, `{"isMediaHooks":true,"refreshSecret":true,"filter":"("}`, 400, "filter"},
		{"too large", "POST", "/api/webhooks", big, 413, ""},
		{"too large put", "PUT", put, big, 413, ""},
		{"id not a number", "PUT", "/api/webhooks/abc", `{"isFeedHooks":false}`, 404, ""},
		{"id zero", "DELETE", "/api/webhooks/0", "", 404, ""},
		{"id negative", "DELETE", "/api/webhooks/-1", "", 404, ""},
		{"id plus", "DELETE", fmt.Sprintf("/api/webhooks/+%d", w.ID), "", 404, ""},
		{"id overflow", "GET", "/api/webhooks/99999999999999999999", "", 404, ""},
		{"wrong method", "PATCH", put, `{"isFeedHooks":false}`, 405, ""},
		{"wrong method list", "POST", "/api/webhooks/list", "", 405, ""},
		{"unknown route", "GET", "/api/webhookz", "", 404, ""},
	}
	before := b.snapshot()
	for _, tc := range tests {
		r := b.do(tc.method, tc.path, b.secretA, tc.body)
		if r.code != tc.code {
			t.Errorf("%s: %d %s, want %d", tc.name, r.code, r.raw, tc.code)
			continue
		}
		if tc.field != "" {
			if f := r.fail(t); f[tc.field] == "" {
				t.Errorf("%s: fail data %v does not name %q", tc.name, f, tc.field)
			}
		}
		b.assertUnchanged(before, tc.name)
	}
	r := b.do("PATCH", put, b.secretA, "")
	if allow := r.header.Get("Allow"); !strings.Contains(allow, "PUT") || !strings.Contains(r.Message, "PATCH") {
		t.Errorf("405: Allow %q message %q", allow, r.Message)
	}
}
