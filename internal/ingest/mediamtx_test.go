package ingest_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/hookcast/hookcast/internal/engine"
	"github.com/hookcast/hookcast/internal/httpx"
	"github.com/hookcast/hookcast/internal/ingest"
)

func TestMediaMTXAuthFixtures(t *testing.T) {
	t.Parallel()
	h, rec := setup(t)
	want := [][]engine.Signal{
		{{Kind: engine.ViewerAttempted, AccountID: "DEF", Name: "mystream", ViewerID: "mediamtx-0b1d2d9f-5a3c-4e0b-9c55-0a6f8e4f1c2a"}},
		{{Kind: engine.ViewerAttempted, AccountID: "ABC123", Name: "show"}}, // id null: no viewerId
		nil, // publish: runOnReady reports the feed
		nil, // the thumbnail capturer
		nil, // api
		nil, // playback of recordings
	}
	fx := readFixtures(t, "mediamtx-auth.txt")
	if len(fx) != len(want) {
		t.Fatalf("%d fixtures, %d expectations", len(fx), len(want))
	}
	for i, f := range fx {
		code, body := post(t, h, f.target, "application/json", f.body)
		if code != http.StatusOK {
			t.Fatalf("line %d: status %d %v", i+1, code, body)
		}
		sameSignals(t, fmt.Sprintf("line %d", i+1), rec.take(), want[i])
	}
}

// hookcast is not an authentication server: whatever happens to the signal, a
// well-formed request is allowed, so a hookcast outage never locks viewers out.
func TestMediaMTXAuthAlwaysAllows(t *testing.T) {
	t.Parallel()
	h, rec := setup(t)
	read := `{"ip":"127.0.0.1","action":"read","path":"%s","protocol":"rtsp","id":null,"query":""}`
	rec.fail = errors.New("store down")
	if code, body := post(t, h, "/api/ingest/mediamtx/auth?token=abc", "application/json", fmt.Sprintf(read, "cam")); code != http.StatusOK {
		t.Fatalf("outage: status %d %v", code, body)
	}
	rec.fail = nil
	code, body := post(t, h, "/api/ingest/mediamtx/auth?token=abc", "application/json", fmt.Sprintf(read, "bad name"))
	if code != http.StatusOK || !strings.Contains(fmt.Sprint(body), "name") {
		t.Fatalf("bad name: status %d %v", code, body)
	}
	if got := rec.take(); len(got) != 0 {
		t.Fatalf("submitted %v", got)
	}
	// Not a MediaMTX request at all: 400 (MediaMTX never sends one).
	for _, b := range []string{"", "{", `{"action":""}`, `[1]`, `{"action":"read","path":7}`} {
		if code, _ := post(t, h, "/api/ingest/mediamtx/auth?token=abc", "application/json", b); code != http.StatusBadRequest {
			t.Errorf("body %q: status %d, want 400", b, code)
		}
	}
}

func TestMediaMTXHookFixtures(t *testing.T) {
	t.Parallel()
	now := time.UnixMilli(1714557660500)
	h, rec := setupWith(t, func(h *ingest.Handler) { h.Now = func() time.Time { return now } })
	want := [][]engine.Signal{
		{{Kind: engine.FeedStarted, AccountID: "DEF", Name: "mystream", FeedID: "mediamtx-6c1e3a0e-8d4f-4f0a-b1a8-7d9c2b3e4f50"}},
		{{Kind: engine.ViewerConnected, AccountID: "DEF", Name: "mystream", ViewerID: "mediamtx-0b1d2d9f-5a3c-4e0b-9c55-0a6f8e4f1c2a"}},
		nil, // the thumbnail capturer reading
		{{Kind: engine.ViewerDisconnected, AccountID: "DEF", Name: "mystream", ViewerID: "mediamtx-0b1d2d9f-5a3c-4e0b-9c55-0a6f8e4f1c2a"}},
		// MediaMTX closed the path's readers with the stream: they are not waiting.
		{{Kind: engine.FeedEnded, AccountID: "DEF", Name: "mystream", FeedID: "mediamtx-6c1e3a0e-8d4f-4f0a-b1a8-7d9c2b3e4f50", Reason: "publisher", ViewersClosed: true}},
		{{Kind: engine.MediaUpdated, AccountID: "ABC123", Event: "completed", MediaAssetID: "2024-05-01_10-00-00-000000.mp4",
			Type: "recording", StreamName: "show", StartTime: now.Add(-60500 * time.Millisecond).UnixMilli()}},
		{{Kind: engine.FeedStarted, AccountID: "ABC123", Name: "show", FeedID: "mediamtx-9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a"}},
		nil, // the capturer leaving, its query escaped twice
		{{Kind: engine.FeedStarted, AccountID: "DEF", Name: "mystream", FeedID: "mediamtx-2a3b4c5d-6e7f-4a8b-9c0d-1e2f3a4b5c6d"}},
		{{Kind: engine.FeedEnded, AccountID: "DEF", Name: "mystream", FeedID: "mediamtx-2a3b4c5d-6e7f-4a8b-9c0d-1e2f3a4b5c6d", Reason: "publisher", ViewersClosed: true}},
		{{Kind: engine.FeedStarted, AccountID: "ABC123", Name: "lobby", FeedID: "mediamtx-3b4c5d6e-7f8a-4b9c-8d0e-2f3a4b5c6d7e"}},
		// alwaysAvailable: the readers stay, on the offline segment; they wait.
		{{Kind: engine.FeedEnded, AccountID: "ABC123", Name: "lobby", FeedID: "mediamtx-3b4c5d6e-7f8a-4b9c-8d0e-2f3a4b5c6d7e", Reason: "publisher"}},
	}
	fx := readFixtures(t, "mediamtx-hooks.txt")
	if len(fx) != len(want) {
		t.Fatalf("%d fixtures, %d expectations", len(fx), len(want))
	}
	for i, f := range fx {
		code, body := post(t, h, f.target, formType, f.body)
		if code != http.StatusOK {
			t.Fatalf("line %d: status %d %v", i+1, code, body)
		}
		got := rec.take()
		sameSignals(t, fmt.Sprintf("line %d", i+1), got, want[i])
		if len(got) == 1 && got[0].Kind == engine.MediaUpdated {
			const m = `{"duration":"60.5","path":"./recordings/ABC123/show/2024-05-01_10-00-00-000000.mp4"}`
			if string(got[0].Metadata) != m {
				t.Errorf("segment metadata %s", got[0].Metadata)
			}
		}
	}
}

func TestMediaMTXHookBadInput(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, target, form, field string }{
		{"unknown hook", "/api/ingest/mediamtx/explode?token=abc", "path=x", "hook"},
		{"no path", "/api/ingest/mediamtx/ready?token=abc", "source_id=1", "path"},
		{"path ending in a slash", "/api/ingest/mediamtx/ready?token=abc", "path=cam/", "name"},
		{"invalid name", "/api/ingest/mediamtx/read?token=abc", "path=caf%C3%A9&reader_id=1", "name"},
		{"read without reader", "/api/ingest/mediamtx/read?token=abc", "path=cam", "reader_id"},
		{"segment without file", "/api/ingest/mediamtx/segment?token=abc", "path=cam", "segment_path"},
		{"garbage form", "/api/ingest/mediamtx/ready?token=abc", "path=%%", "body"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h, rec := setup(t)
			code, body := post(t, h, tt.target, formType, tt.form)
			data, _ := body["data"].(map[string]any)
			if _, ok := data[tt.field]; code != http.StatusBadRequest || !ok {
				t.Fatalf("status %d %v, want 400 naming %q", code, body, tt.field)
			}
			if got := rec.take(); len(got) != 0 {
				t.Errorf("submitted %v", got)
			}
		})
	}
	// A store outage answers 503, so `curl --retry` sends the hook again.
	h, rec := setup(t)
	rec.fail = errors.New("store down")
	if code, _ := post(t, h, "/api/ingest/mediamtx/ready?token=abc", formType, "path=cam&source_id=1"); code != http.StatusServiceUnavailable {
		t.Fatalf("outage: status %d", code)
	}
}

func FuzzMediaMTX(f *testing.F) {
	for _, fx := range readFixtures(f, "mediamtx-auth.txt") {
		f.Add("auth", fx.body)
	}
	for _, fx := range readFixtures(f, "mediamtx-hooks.txt") {
		hook, q, _ := strings.Cut(strings.TrimPrefix(fx.target, "/api/ingest/mediamtx/"), "?")
		f.Add(hook, strings.TrimPrefix(q, "token=abc&")+"&"+fx.body)
	}
	h, rec := setup(f)
	f.Fuzz(func(t *testing.T, hook, body string) {
		if hook == "" || hook == "." || hook == ".." || strings.Contains(hook, "/") {
			return // not one path segment: the mux cleans, redirects or 404s it before the adapter
		}
		ct := formType
		if hook == "auth" {
			ct = "application/json"
		}
		code, _ := post(t, h, "/api/ingest/mediamtx/"+url.PathEscape(hook)+"?token=abc", ct, body)
		if code != http.StatusOK && code != http.StatusBadRequest && code != http.StatusNotFound {
			t.Fatalf("hook %q body %q: status %d", hook, body, code)
		}
		for _, s := range rec.take() {
			if err := s.Validate(); err != nil || code != http.StatusOK {
				t.Fatalf("submitted %+v (valid: %v) with status %d", s, err, code)
			}
		}
	})
}

// setupWith is setup with a change to the handler before its routes are made.
func setupWith(t testing.TB, change func(*ingest.Handler)) (http.Handler, *recorder) {
	t.Helper()
	rec := &recorder{}
	h := &ingest.Handler{
		Token:          httpx.TokenChecker(testToken),
		Submit:         rec,
		Events:         rec,
		Accounts:       accounts{"DEF": true, "ABC123": true},
		DefaultAccount: "DEF",
	}
	change(h)
	mux := http.NewServeMux()
	h.Register(mux)
	return mux, rec
}
