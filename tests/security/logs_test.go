package security

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hookcast/hookcast/tests/reliability/harness"
)

// TestSecretsNeverLogged runs serve at --log-level debug, exercises every kind
// of request (sign-in right and wrong, every route with right and wrong
// credentials, the ingest token as a query parameter, a MediaMTX password,
// webhook URLs with a token in their query, failing and hanging deliveries, a
// refreshed webhook secret, revoked API secrets, malformed bodies), stops it,
// and looks for every secret in everything it wrote: the log (stderr) and
// stdout after the welcome text (which shows the secrets it generated, once,
// by design).
func TestSecretsNeverLogged(t *testing.T) {
	t.Parallel()
	f := newFixture(t, harness.Config{LogLevel: "debug"})
	base := f.p.Base
	secrets := append([]string{harness.AdminToken, harness.IngestToken, f.secretB, wrongSecret, f.cookieB.Value, f.csrfB}, f.secretsOfA...)

	// The whole table, every credential (also revokes a secret, deletes a webhook).
	for _, rt := range routes(f) {
		for k := none; k <= right; k++ {
			f.do(t, f.credential(rt.req(f, k), rt.auth, k))
		}
	}
	// A webhook whose URL carries a token, answering 500, and one that hangs.
	queryToken := "url-query-token-6f1d0c9e"
	secrets = append(secrets, queryToken)
	f.rc.SetFault(func(path, _ string, n int) harness.Action {
		switch path {
		case "/A/fails":
			return harness.Action{Status: 500}
		case "/A/hangs":
			return harness.Action{Hang: n == 1}
		}
		return harness.Action{}
	})
	for _, path := range []string{"/A/fails", "/A/hangs"} {
		wh := harness.CreateWebhook(t, base, f.secretA, map[string]any{"url": f.rc.URL(path) + "?key=" + queryToken})
		f.rc.SetSecret(path, wh.Secret)
		secrets = append(secrets, wh.Secret)
		var again harness.Webhook
		harness.Data(t, "PUT", fmt.Sprintf("%s/api/webhooks/%d", base, wh.ID), f.secretA, map[string]any{"refreshSecret": true}, &again)
		f.rc.SetSecret(path, again.Secret)
		secrets = append(secrets, again.Secret)
	}
	harness.Data(t, "POST", base+"/api/webhooks/test/Feeds", f.secretA, nil, nil)
	// MediaMTX sends the viewer's credentials to its auth hook.
	password := "mediamtx-viewer-password-31337"
	secrets = append(secrets, password)
	f.do(t, request{method: "POST", path: "/api/ingest/mediamtx/auth?token=" + harness.IngestToken,
		body: fmt.Sprintf(`{"ip":"127.0.0.1","user":"viewer","password":%q,"token":%q,"action":"read","path":"SECA/show","protocol":"rtsp","id":null,"query":"pass=%s"}`, password, password, password)})
	// Malformed and refused requests of every kind.
	for _, r := range []request{
		{method: "POST", path: "/api/webhooks", body: `{"url":`, bearer: f.secretA},
		{method: "POST", path: "/api/webhooks", body: `{"url":"http://x.example","secret":"` + f.secretA + `"}`, bearer: f.secretA},
		{method: "POST", path: "/api/ingest/signals", body: `[{"kind":"nope"}]`, bearer: harness.IngestToken},
		{method: "POST", path: "/api/ingest/nginx-rtmp?token=" + wrongSecret, body: "call=play&name=x", contentType: "application/x-www-form-urlencoded"},
		{method: "POST", path: "/dashboard/login", body: `{"apiSecret":"` + wrongSecret + `"}`},
		{method: "GET", path: "/api/webhooks/list", header: map[string]string{"Authorization": "Basic " + f.secretA}},
		{method: "GET", path: "/api/webhooks/list", cookie: &http.Cookie{Name: "hookcast_session", Value: f.cookieA.Value + "x"}},
	} {
		f.do(t, r)
	}
	// Let the deliveries fail, retry and time out (15 s), then stop gracefully.
	if err := f.rc.Await(40*time.Second, func(h []harness.Hit) bool {
		return len(harness.Accepted(h, "/A/hangs")) > 0
	}); err != nil {
		t.Errorf("the hanging endpoint never got its retry")
	}
	f.p.Stop()

	out := f.p.Stderr()
	stdout := f.p.Stdout()
	if i := strings.Index(stdout, "copy them now."); i >= 0 {
		stdout = stdout[i:] // after the welcome text
	}
	lines := strings.Count(out, "\n")
	if !strings.Contains(out, `"msg":"serving"`) || !strings.Contains(out, `"msg":"stopped"`) {
		t.Fatalf("the log was not captured (%d lines): the test would prove nothing", lines)
	}
	for _, s := range secrets {
		enc, _ := json.Marshal(s)
		for _, form := range []string{s, strings.Trim(string(enc), `"`)} {
			if i := strings.Index(out, form); i >= 0 {
				t.Errorf("secret %.12s… in the log: …%s…", s, out[max(0, i-200):min(len(out), i+len(form)+50)])
			}
			if strings.Contains(stdout, form) {
				t.Errorf("secret %.12s… on stdout after the welcome text", s)
			}
		}
	}
	t.Logf("%d secrets looked for in %d log lines", len(secrets), lines)
}
