package httpx

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestRequireUTF8(t *testing.T) {
	var got string
	h := RequireUTF8(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got = string(b)
		Success(w, nil)
	}))
	big := `{"x":"` + strings.Repeat("a", maxCheckedBody) + "\xff\"}"
	cases := []struct {
		name, target, ct, body string
		code                   int
		field                  string
	}{
		{"clean json", "/api/webhooks", "application/json", `{"url":"https://e.com/é"}`, 200, ""},
		{"json value", "/api/webhooks", "application/json", "{\"isFeedHooks\":true,\"url\":\"https://e.com/\xff\"}", 400, "url"},
		{"json nested", "/api/x", "", "{\"a\":{\"b\":[1,{\"c\":\"ok\"},{\"name\":\"x\xc3\"}]}}", 400, "a.b[2].name"},
		{"json array", "/api/ingest/signals", "application/json", "[{\"kind\":\"feed.started\"},{\"accountId\":\"A\",\"feedId\":\"\xfe\"}]", 400, "[1].feedId"},
		{"json key", "/api/x", "application/json", "{\"ok\":\"1\",\"k\xff\":1}", 400, "k?"},
		{"escaped quote", "/api/x", "application/json", "{\"a\":\"q\\\"\",\"b\":\"\xff\"}", 400, "b"},
		{"form", "/api/ingest/nginx-rtmp", "application/x-www-form-urlencoded", "call=publish&name=%FFcam&app=live", 400, "name"},
		{"form raw byte", "/api/ingest/nginx-rtmp", "application/x-www-form-urlencoded", "call=publish&name=\xffcam", 400, "name"},
		{"query", "/api/webhooks?name=caf%E9", "", "", 400, "name"},
		{"path", "/api/streams/caf%E9", "", "", 400, "path"},
		{"jpeg passes", "/api/ingest/thumbnails", "image/jpeg", "\xff\xd8\xff", 200, ""},
		{"too long to check passes on", "/api/x", "application/json", big, 200, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got = ""
			req := httptest.NewRequest(http.MethodPost, tc.target, strings.NewReader(tc.body))
			if tc.ct != "" {
				req.Header.Set("Content-Type", tc.ct)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tc.code {
				t.Fatalf("%d %s, want %d", rec.Code, rec.Body, tc.code)
			}
			if tc.code == 400 {
				if want := `"` + tc.field + `":"must be UTF-8"`; !strings.Contains(rec.Body.String(), want) {
					t.Fatalf("body %s, want it to contain %s", rec.Body, want)
				}
				if got != "" {
					t.Fatal("the handler ran on a refused request")
				}
			} else if got != tc.body {
				t.Fatalf("handler read %d bytes, want the whole body (%d)", len(got), len(tc.body))
			}
		})
	}
}
