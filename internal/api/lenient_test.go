package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// Every route answers with one trailing slash as without it, through the one
// wrapper the server puts around its whole router; two slashes, and paths
// outside /api/, are left as they are.
func TestTrailingSlash(t *testing.T) {
	t.Parallel()
	a := New(Deps{})
	var reached string
	h := TrailingSlash(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, reached = a.mux.Handler(r)
	}))
	samples := strings.NewReplacer("{webhookId}", "7", "{deliveryId}", "7", "{secretId}", "7",
		"{accountId}", "ZG6NWV", "{webhookType}", "Feeds")
	for _, rt := range a.routes() {
		for _, path := range []string{samples.Replace(rt.path), samples.Replace(rt.path) + "/"} {
			reached = ""
			h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(rt.method, path+"?itemCount=3", nil))
			if want := rt.method + " " + rt.path; reached != want {
				t.Errorf("%s %s reached %q, want %q", rt.method, path, reached, want)
			}
		}
	}
	for path, want := range map[string]string{"/api/webhooks//": "/api/webhooks/", "/api/": "/api/", "/assets/": "/assets/"} {
		var seen string
		TrailingSlash(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { seen = r.URL.Path })).
			ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", path, nil))
		if seen != want {
			t.Errorf("%s reached the router as %s, want %s", path, seen, want)
		}
	}

	// And through HTTP, with the envelope of the route itself.
	b := setup(t)
	srv := httptest.NewServer(TrailingSlash(b.api.Handler()))
	defer srv.Close()
	b.srv = srv
	w := b.do("POST", "/api/webhooks/", b.secretA, `{"url":"https://a.example.com/","isFeedHooks":true}`).webhook(t)
	if got := b.do("GET", fmt.Sprintf("/api/webhooks/%d/", w.ID), b.secretA, "").webhook(t); got.ID != w.ID {
		t.Fatalf("GET with a slash: %+v", got)
	}
	if r := b.do("GET", "/api/webhooks//", b.secretA, ""); r.code != 404 {
		t.Fatalf("two slashes: %d %s", r.code, r.raw)
	}
}

// isClipHooks, which Dolby's clients send on every create and update, is stored
// and returned; a field no Millicast API or client has is still refused.
func TestClipHooks(t *testing.T) {
	t.Parallel()
	b := setup(t)
	w := b.do("POST", "/api/webhooks", b.secretA,
		`{"url":"https://a.example.com/","isFeedHooks":true,"isRecordingHooks":false,"isClipHooks":true}`).webhook(t)
	if !w.IsClipHooks {
		t.Fatalf("created: %+v", w)
	}
	path := fmt.Sprintf("/api/webhooks/%d", w.ID)
	if got := b.do("GET", path, b.secretA, "").webhook(t); !got.IsClipHooks {
		t.Fatalf("read back: %+v", got)
	}
	if got := b.do("PUT", path, b.secretA, `{"isFeedHooks":false}`).webhook(t); !got.IsClipHooks || got.IsFeedHooks {
		t.Fatalf("a PUT without it changed it: %+v", got)
	}
	if got := b.do("PUT", path, b.secretA, `{"iscliphooks":false}`).webhook(t); got.IsClipHooks {
		t.Fatalf("PUT isClipHooks false: %+v", got)
	}
	before := b.snapshot()
	for _, body := range []string{`{"isClipHook":true}`, `{"isClipHooks":"yes"}`, `{"isClipHooks":true,"maxClips":3}`} {
		f := b.do("PUT", path, b.secretA, body).fail(t)
		if len(f) != 1 {
			t.Errorf("PUT %s: fail %v, want one field", body, f)
		}
		b.assertUnchanged(before, body)
	}
	if f := b.do("POST", "/api/webhooks", b.secretA,
		`{"url":"https://a.example.com/","isFeedHooks":true,"isClipHooks":true,"isChatHooks":true}`).fail(t); f["isChatHooks"] != "unknown field" {
		t.Fatalf("unknown field on create: %v", f)
	}
	b.assertUnchanged(before, "unknown field on create")
}

// The list's query as every client writes it: item_count for itemCount (Python),
// and booleans as true/false in any case or 1/0.
func TestListQuerySpellings(t *testing.T) {
	t.Parallel()
	b := setup(t)
	var ids []int64
	for i := range 4 {
		ids = append(ids, b.createWebhook(b.secretA, fmt.Sprintf("https://hooks.example.com/%d", i)).ID)
	}
	asc, desc := fmt.Sprint(ids[:2]), fmt.Sprint([]int64{ids[3], ids[2]})
	tests := []struct{ query, want string }{
		{"itemCount=2", asc},
		{"item_count=2", asc},
		{"ITEMCOUNT=2", asc},
		{"itemCount=2&item_count=2", asc},
		{"item_count=2&isDescending=True", desc},
		{"item_count=2&isDescending=true", desc},
		{"item_count=2&isDescending=TRUE", desc},
		{"item_count=2&isDescending=1", desc},
		{"item_count=2&isDescending=False", asc},
		{"item_count=2&isDescending=false", asc},
		{"item_count=2&isDescending=0", asc},
		{"startingId=0&item_count=2&isDescending=True", desc}, // Python's list_webhooks(secret, 0, 2, True)
		{fmt.Sprintf("startingId=%d&item_count=10&isDescending=False", ids[2]), fmt.Sprint(ids[2:])},
	}
	for _, tc := range tests {
		r := b.do("GET", "/api/webhooks/list?"+tc.query, b.secretA, "")
		var got []int64
		for _, w := range decodeList(t, r) {
			got = append(got, w.ID)
		}
		if fmt.Sprint(got) != tc.want {
			t.Errorf("list?%s = %v, want %s", tc.query, got, tc.want)
		}
	}
	bad := map[string]string{
		"itemCount=2&item_count=3": "itemCount",
		"item_count=0":             "itemCount",
		"item_count=x":             "itemCount",
		"isDescending=t":           "isDescending",
		"isDescending=yes":         "isDescending",
		"isDescending=2":           "isDescending",
	}
	for q, field := range bad {
		if f := b.do("GET", "/api/webhooks/list?"+q, b.secretA, "").fail(t); f[field] == "" {
			t.Errorf("list?%s: fail %v does not name %s", q, f, field)
		}
	}
}

func decodeList(t *testing.T, r reply) []webhookJSON {
	t.Helper()
	if r.Status != "success" {
		t.Fatalf("list: %d %s", r.code, r.raw)
	}
	var ws []webhookJSON
	if err := json.Unmarshal(r.Data, &ws); err != nil {
		t.Fatalf("list data: %v: %s", err, r.Data)
	}
	return ws
}

// filter: null clears the filter (Millicast's client types say so); the other
// members' null still means "leave it".
func TestUpdateFilterNull(t *testing.T) {
	t.Parallel()
	b := setup(t)
	w := b.do("POST", "/api/webhooks", b.secretA,
		`{"url":"https://a.example.com/","isFeedHooks":true,"filter":"^cam"}`).webhook(t)
	path := fmt.Sprintf("/api/webhooks/%d", w.ID)
	if got := b.do("PUT", path, b.secretA, `{"isFeedHooks":null}`).webhook(t); got.Filter != "^cam" || !got.IsFeedHooks {
		t.Fatalf("PUT without filter: %+v", got)
	}
	if got := b.do("PUT", path, b.secretA, `{"filter":null,"isFeedHooks":null}`).webhook(t); got.Filter != "" || !got.IsFeedHooks {
		t.Fatalf("PUT filter null: %+v", got)
	}
	if got := b.do("GET", path, b.secretA, "").webhook(t); got.Filter != "" {
		t.Fatalf("stored after filter null: %+v", got)
	}
}

// The test endpoint names the caller's account (not the docs' ZG6NWV) and the
// stream and transcoder its body gives, as Dolby's Node client sends them.
func TestTestWebhookBody(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ok := []struct {
		path, body, want string
		names            []string // what the sample must name (body or headers)
	}{
		{"/api/webhooks/test/Feeds", `{"streamName":"cam_1"}`, "OTHER1/feeds", []string{`"cam_1"`, `"OTHER1/cam_1"`}},
		{"/api/webhooks/test/Transcoder", `{"streamName":null,"transcoderName":"tx-2"}`, "OTHER1/transcoder", []string{`"tx-2"`}},
		{"/api/webhooks/test/Thumbnail", `{"STREAMNAME":"a.b","transcoderName":"t"}`, "OTHER1/thumbnail", []string{"OTHER1/a.b"}},
		{"/api/webhooks/test/Media", `{}`, "OTHER1/media", []string{`"OTHER1/sample_stream"`}},
		{"/api/webhooks/test/Media", ``, "OTHER1/media", []string{`"OTHER1/sample_stream"`}},
	}
	for i, tc := range ok {
		if r := b.do("POST", tc.path, b.secretB, tc.body); string(r.Data) != "true" {
			t.Fatalf("%s %s: %s", tc.path, tc.body, r.raw)
		}
		if got := b.sent(); len(got) != i+1 || got[i] != tc.want {
			t.Fatalf("%s %s: test events %v, want last %s", tc.path, tc.body, got, tc.want)
		}
		ev := b.lastTest()
		all := string(ev.Body) + fmt.Sprint(ev.Headers)
		for _, n := range tc.names {
			if !strings.Contains(all, n) {
				t.Errorf("%s %s: the sample does not name %s: %s", tc.path, tc.body, n, all)
			}
		}
	}
	bad := []struct{ path, body, field string }{
		{"/api/webhooks/test/Feeds", `{"streamName":"a b"}`, "streamName"},
		{"/api/webhooks/test/Feeds", `{"streamName":"` + strings.Repeat("a", 65) + `"}`, "streamName"},
		{"/api/webhooks/test/Feeds", `{"streamName":7}`, "streamName"},
		{"/api/webhooks/test/Transcoder", `{"transcoderName":""}`, "transcoderName"},
		{"/api/webhooks/test/Feeds", `{"feedId":"x"}`, "feedId"},
		{"/api/webhooks/test/Feeds", `{"streamName":`, "body"},
		{"/api/webhooks/test/Bogus", `{"streamName":"cam"}`, "webhookType"},
	}
	for _, tc := range bad {
		if f := b.do("POST", tc.path, b.secretB, tc.body).fail(t); f[tc.field] == "" {
			t.Errorf("%s %s: fail %v does not name %s", tc.path, tc.body, f, tc.field)
		}
	}
	if n := len(b.sent()); n != len(ok) {
		t.Fatalf("refused tests were sent: %d calls", n)
	}
}
