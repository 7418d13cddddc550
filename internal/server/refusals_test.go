package server

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"testing"
)

// TestRefusalsNameTheirCause: a refusal says what to change. A private webhook
// URL names --allow-private-targets; a dashboard session without the CSRF token
// is told about the CSRF token, not about the API secret.
func TestRefusalsNameTheirCause(t *testing.T) {
	cfg := testConfig(t.TempDir())
	cfg.AllowPrivateTargets = false
	r := start(t, cfg)
	secret := r.srv.Firsts.APISecret

	code, out := r.call(t, "POST", "/api/webhooks", secret, map[string]any{"url": "http://127.0.0.1:9000/", "isFeedHooks": true})
	if data, _ := out["data"].(map[string]any); code != 400 || !strings.Contains(data["url"].(string), "--allow-private-targets") {
		t.Fatalf("private URL: %d %v, want 400 naming --allow-private-targets", code, out)
	}

	for _, c := range []struct{ path, bearer, setting string }{
		{"/api/ingest/signals", "wrong-token-0123456789", "--ingest-token"},
		{"/api/admin/accounts", "wrong-token-0123456789", "--admin-token"},
	} {
		code, out := r.call(t, "POST", c.path, c.bearer, map[string]any{})
		if msg, _ := out["message"].(string); code != 401 || !strings.Contains(msg, c.setting) {
			t.Errorf("%s with a wrong token: %d %v, want 401 naming %s", c.path, code, out, c.setting)
		}
	}

	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	post := func(path, body string, header map[string]string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest("POST", r.base+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		for k, v := range header {
			req.Header.Set(k, v)
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	code, body := post("/dashboard/login", `{"apiSecret":"`+secret+`"}`, nil)
	if code != 200 {
		t.Fatalf("login: %d %s", code, body)
	}
	var login struct {
		Data struct {
			CSRF string `json:"csrf"`
		} `json:"data"`
	}
	if err := json.Unmarshal([]byte(body), &login); err != nil || login.Data.CSRF == "" {
		t.Fatalf("login answer %s", body)
	}
	hook := `{"url":"https://example.com/hooks","isFeedHooks":true}`
	code, body = post("/api/webhooks", hook, nil)
	if code != 401 || !strings.Contains(body, "CSRF token") || strings.Contains(body, "API secret\"") {
		t.Fatalf("session without CSRF token: %d %s, want 401 about the CSRF token", code, body)
	}
	code, body = post("/api/webhooks", hook, map[string]string{"X-CSRF-Token": login.Data.CSRF})
	if code != 200 {
		t.Fatalf("session with CSRF token: %d %s", code, body)
	}
	c.Jar = nil // no session cookie at all
	code, body = post("/api/webhooks", hook, nil)
	if code != 401 || !strings.Contains(body, "missing or invalid API secret") {
		t.Fatalf("no session, no secret: %d %s", code, body)
	}
}
