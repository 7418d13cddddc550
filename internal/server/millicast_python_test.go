package server

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
)

// pyRequest sends one request as Dolby's Python client (dolbyio-rest-apis,
// aiohttp) builds it: the headers of StreamingHttpContext, the query in the
// client's order, and the body exactly as json.dumps(payload, indent=4) writes
// it. It returns the status and the envelope's data.
func pyRequest(t *testing.T, base, method, pathAndQuery, secret, body string) (int, json.RawMessage) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, base+pathAndQuery, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Authorization", "Bearer "+secret)
	req.Header.Set("User-Agent", "DolbyIoRestApiSdk/5.0.0; Python/3.12.3") // their format; the versions vary
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	// BaseResponse.from_dict(json_response).data: status and, on success, data.
	var env struct {
		Status string          `json:"status"`
		Data   json.RawMessage `json:"data"`
	}
	raw, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(raw, &env); err != nil || env.Status == "" || resp.StatusCode == 200 && env.Data == nil {
		t.Fatalf("%s %s: %d %s is not a BaseResponse", method, pathAndQuery, resp.StatusCode, raw)
	}
	return resp.StatusCode, env.Data
}

// pyWebhook is the Python client's Webhook model (dataclass_json, camel case):
// each member it reads must be there with its JSON type, or from_dict fails.
type pyWebhook struct {
	ID                *int64  `json:"id"`
	URL               *string `json:"url"`
	Secret            *string `json:"secret"`
	IsFeedHooks       *bool   `json:"isFeedHooks"`
	IsRecordingHooks  *bool   `json:"isRecordingHooks"`
	IsThumbnailHooks  *bool   `json:"isThumbnailHooks"`
	IsTranscoderHooks *bool   `json:"isTranscoderHooks"`
	IsClipHooks       *bool   `json:"isClipHooks"`
}

func (w pyWebhook) String() string {
	b, _ := json.Marshal(w)
	return string(b)
}

func decodePyWebhook(t *testing.T, what string, code int, data json.RawMessage) pyWebhook {
	t.Helper()
	var w pyWebhook
	if err := json.Unmarshal(data, &w); err != nil || code != 200 {
		t.Fatalf("%s: %d %s (%v)", what, code, data, err)
	}
	if w.ID == nil || w.URL == nil || w.Secret == nil || w.IsFeedHooks == nil || w.IsRecordingHooks == nil ||
		w.IsThumbnailHooks == nil || w.IsTranscoderHooks == nil || w.IsClipHooks == nil {
		t.Fatalf("%s: %s lacks a member of the Python client's Webhook model", what, data)
	}
	return w
}

// TestMillicastPythonClientRequests sends exactly the requests Dolby's Python
// client builds for each function of its webhooks module, from its source
// (DolbyIO/dolbyio-rest-apis-client-python, client/src/dolbyio_rest_apis/:
// streaming/webhooks.py for the paths, queries and payloads, streaming/models/
// webhooks.py for CreateWebhook's defaults and the Webhook model read back,
// streaming/internal/http_context.py for the headers and json.dumps(indent=4)),
// which cannot be installed here, and checks that each answer is what the
// client reads.
func TestMillicastPythonClientRequests(t *testing.T) {
	r := start(t, testConfig(t.TempDir()))
	secret := r.srv.Firsts.APISecret
	recv := newReceiver(t).srv.URL

	// create(secret, CreateWebhook(url, is_feed_hooks=True, is_recording_hooks=False)):
	// CreateWebhook sets the three optional switches to False, and create()
	// sends every one that is not None, isClipHooks included.
	code, data := pyRequest(t, r.base, "POST", "/api/webhooks", secret, `{
    "url": "`+recv+`/a",
    "isFeedHooks": true,
    "isRecordingHooks": false,
    "isThumbnailHooks": false,
    "isTranscoderHooks": false,
    "isClipHooks": false
}`)
	a := decodePyWebhook(t, "create", code, data)
	if *a.URL != recv+"/a" || !*a.IsFeedHooks || *a.IsRecordingHooks || *a.IsClipHooks {
		t.Fatalf("create: %v", a)
	}
	// The same with the caller's own choices (cw.is_clip_hooks = True, …).
	code, data = pyRequest(t, r.base, "POST", "/api/webhooks", secret, `{
    "url": "`+recv+`/b",
    "isFeedHooks": false,
    "isRecordingHooks": true,
    "isThumbnailHooks": true,
    "isTranscoderHooks": true,
    "isClipHooks": true
}`)
	b := decodePyWebhook(t, "create with isClipHooks", code, data)
	if !*b.IsClipHooks || !*b.IsRecordingHooks || *b.IsFeedHooks {
		t.Fatalf("create with isClipHooks: %v", b)
	}

	// read(secret, id)
	code, data = pyRequest(t, r.base, "GET", fmt.Sprintf("/api/webhooks/%d", *b.ID), secret, "")
	if got := decodePyWebhook(t, "read", code, data); got.String() != b.String() {
		t.Fatalf("read: %v, created %v", got, b)
	}

	// list_webhooks(secret, starting_id, item_count=10, is_descending=False):
	// params {'startingId': str(…), 'item_count': str(…), 'isDescending': str(…)},
	// so Python's False and True.
	lists := []struct {
		query string
		want  []int64
	}{
		{"startingId=0&item_count=10&isDescending=False", []int64{*a.ID, *b.ID}},
		{"startingId=0&item_count=1&isDescending=False", []int64{*a.ID}},
		{"startingId=0&item_count=1&isDescending=True", []int64{*b.ID}},
		{fmt.Sprintf("startingId=%d&item_count=10&isDescending=False", *b.ID), []int64{*b.ID}},
		{fmt.Sprintf("startingId=%d&item_count=10&isDescending=True", *a.ID), []int64{*a.ID}},
	}
	for _, l := range lists {
		code, data = pyRequest(t, r.base, "GET", "/api/webhooks/list?"+l.query, secret, "")
		var items []json.RawMessage
		if err := json.Unmarshal(data, &items); err != nil || code != 200 {
			t.Fatalf("list_webhooks %s: %d %s", l.query, code, data)
		}
		var ids []int64
		for _, it := range items {
			ids = append(ids, *decodePyWebhook(t, "list_webhooks "+l.query, code, it).ID)
		}
		if fmt.Sprint(ids) != fmt.Sprint(l.want) {
			t.Errorf("list_webhooks %s = %v, want %v", l.query, ids, l.want)
		}
	}

	// update(secret, id, UpdateWebhook): only the members set (not None), in the
	// order update() adds them.
	code, data = pyRequest(t, r.base, "PUT", fmt.Sprintf("/api/webhooks/%d", *a.ID), secret, `{
    "url": "`+recv+`/a2",
    "isThumbnailHooks": true,
    "isClipHooks": true
}`)
	u := decodePyWebhook(t, "update", code, data)
	if *u.URL != recv+"/a2" || !*u.IsThumbnailHooks || !*u.IsClipHooks || !*u.IsFeedHooks || *u.Secret != *a.Secret {
		t.Fatalf("update: %v (was %v)", u, a)
	}
	code, data = pyRequest(t, r.base, "PUT", fmt.Sprintf("/api/webhooks/%d", *a.ID), secret, `{
    "refreshSecret": true
}`)
	if s := decodePyWebhook(t, "update refresh_secret", code, data); *s.Secret == *u.Secret {
		t.Fatalf("refresh_secret kept the secret: %v", s)
	}
	// An UpdateWebhook with nothing set: json.dumps({}, indent=4) is "{}".
	code, data = pyRequest(t, r.base, "PUT", fmt.Sprintf("/api/webhooks/%d", *b.ID), secret, `{}`)
	if got := decodePyWebhook(t, "empty update", code, data); got.String() != b.String() {
		t.Fatalf("empty update changed %v into %v", b, got)
	}

	// delete(secret, id), then read gives 404.
	if code, data = pyRequest(t, r.base, "DELETE", fmt.Sprintf("/api/webhooks/%d", *b.ID), secret, ""); code != 200 {
		t.Fatalf("delete: %d %s", code, data)
	}
	if code, data = pyRequest(t, r.base, "GET", fmt.Sprintf("/api/webhooks/%d", *b.ID), secret, ""); code != 404 {
		t.Fatalf("read after delete: %d", code)
	}
	pyError(t, "read after delete", data)

	// Every 4xx goes through the client's _raise_for_status: a 400 (fail), a 401
	// and a 404 (error) must each become its HttpRequestError, not a TypeError.
	code, data = pyRequest(t, r.base, "POST", "/api/webhooks", secret, `{
    "url": "`+recv+`/c",
    "isFeedHooks": "yes"
}`)
	if code != 400 || pyError(t, "create with a bad member", data) == "" {
		t.Fatalf("create with a bad member: %d %s", code, data)
	}
	code, data = pyRequest(t, r.base, "GET", "/api/webhooks/list?startingId=0&item_count=10&isDescending=False", "wrong", "")
	if code != 401 {
		t.Fatalf("list with a wrong secret: %d", code)
	}
	pyError(t, "list with a wrong secret", data)
}

// pyError is what the Python client's _raise_for_status reads of a 4xx answer,
// Error.from_dict(base_response.data): data must be an object with a string
// message (dataclass_json raises TypeError on a missing one, or on data null),
// which becomes the HttpRequestError's error_description. It returns the message.
func pyError(t *testing.T, what string, data json.RawMessage) string {
	t.Helper()
	var e struct {
		Message *string `json:"message"`
	}
	if err := json.Unmarshal(data, &e); err != nil || e.Message == nil || len(data) == 0 || data[0] != '{' {
		t.Fatalf("%s: data %s has no message: the client's Error.from_dict fails", what, data)
	}
	return *e.Message
}

// Routes outside internal/api (ingest) and the OpenAPI document answer with one
// trailing slash too: the wrapper is around the server's whole router.
func TestTrailingSlashEveryRouter(t *testing.T) {
	r := start(t, testConfig(t.TempDir()))
	if code, out := r.call(t, "POST", "/api/ingest/signals/", testIngest,
		json.RawMessage(`{"kind":"feed.started","accountId":"`+r.srv.Default+`","name":"s","feedId":"f"}`)); code != 200 {
		t.Fatalf("POST /api/ingest/signals/: %d %v", code, out)
	}
	if code, out := r.call(t, "POST", "/api/webhooks/", r.srv.Firsts.APISecret,
		map[string]any{"url": "http://127.0.0.1:9/", "isFeedHooks": true}); code != 200 {
		t.Fatalf("POST /api/webhooks/: %d %v", code, out)
	}
	if code, _ := r.call(t, "GET", "/api/openapi.json/", "", nil); code != 200 {
		t.Fatalf("GET /api/openapi.json/: %d", code)
	}
	if code, _ := r.call(t, "GET", "/healthz/", "", nil); code != 404 {
		t.Fatalf("GET /healthz/ (outside /api/): %d, want 404", code)
	}
}
