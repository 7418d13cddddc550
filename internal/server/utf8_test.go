package server

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestInvalidUTF8Refused: bytes that are not UTF-8 in a signal, a media
// server's form, a webhook's URL, an account name or a query are refused with
// 400 naming the field, and nothing changes.
func TestInvalidUTF8Refused(t *testing.T) {
	r := start(t, testConfig(t.TempDir()))
	acc, secret := r.srv.Default, r.srv.Firsts.APISecret
	cases := []struct {
		name, method, path, token, ct, body, field string
	}{
		{"signal feedId", "POST", "/api/ingest/signals", testIngest, "application/json",
			`[{"kind":"feed.started","accountId":"` + acc + "\",\"name\":\"cam\",\"feedId\":\"f\xff1\"}]", "[0].feedId"},
		{"nginx-rtmp name", "POST", "/api/ingest/nginx-rtmp?token=" + testIngest, "", "application/x-www-form-urlencoded",
			"call=publish&app=live&name=cam%FF&clientid=1", "name"},
		{"webhook url", "POST", "/api/webhooks", secret, "application/json",
			"{\"url\":\"https://example.com/\xe9\",\"isFeedHooks\":true}", "url"},
		{"account name", "POST", "/api/admin/accounts", testAdmin, "application/json",
			"{\"name\":\"caf\xe9\"}", "name"},
		{"query", "GET", "/api/webhooks?itemCount=1&startingId=%C3", secret, "", "", "startingId"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var body io.Reader
			if c.body != "" {
				body = strings.NewReader(c.body)
			}
			req, _ := http.NewRequest(c.method, r.base+c.path, body)
			if c.token != "" {
				req.Header.Set("Authorization", "Bearer "+c.token)
			}
			if c.ct != "" {
				req.Header.Set("Content-Type", c.ct)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 400 || !strings.Contains(string(b), `"`+c.field+`":"must be UTF-8"`) {
				t.Fatalf("%d %s, want 400 naming %q", resp.StatusCode, b, c.field)
			}
		})
	}
	ctx := context.Background()
	if views, err := r.srv.pipe.Streams(ctx, acc); err != nil || len(views) != 0 {
		t.Fatalf("refused signals changed streams: %v %v", views, err)
	}
	if hooks, err := r.srv.st.ListWebhooks(ctx, acc, 0, 0, false); err != nil || len(hooks) != 0 {
		t.Fatalf("refused webhook stored: %v %v", hooks, err)
	}
	if accts, err := r.srv.st.ListAccounts(ctx); err != nil || len(accts) != 1 {
		t.Fatalf("accounts after a refused create: %v %v", accts, err)
	}
}
