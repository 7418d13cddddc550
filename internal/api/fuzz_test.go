package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/hookcast/hookcast/internal/netguard"
)

var fuzzSeeds = []string{
	millicastCurlBody,
	`{"url":"https://example-webhook.domain.com/path/route","isFeedHooks":true,"isMediaHooks":true,"isThumbnailHooks":true,"isTranscoderHooks":true,"isViewerConnectionHooks":true}`,
	`{"url":"https://new-domain.com/other","isFeedHooks":true,"isMediaHooks":false,"refreshSecret":true,"reEnable":true}`,
	`{"url":"https://a.example.com/","isFeedHooks":true,"filter":"^live_[0-9]+$","retryPolicy":"none"}`,
	`{"url":"http://127.0.0.1/","isFeedHooks":"yes"}`,
	`{"URL":"https://a.example.com/","url":"https://b.example.com/","isfeedhooks":true}`,
	`{"url":null,"isFeedHooks":null,"filter":"((("}`,
	`[1,2,3]`, `null`, `"x"`, `{"a":{"b":[{}]}}`, `{"url":"\ud800","isFeedHooks":true}`, ``, `{`,
}

// checkWebhook asserts an accepted webhook holds only what validation lets through.
func checkWebhook(t *testing.T, raw []byte) int64 {
	var env struct {
		Data webhookJSON `json:"data"`
	}
	if err := json.Unmarshal(raw, &env); err != nil {
		t.Fatalf("200 without a webhook: %s", raw)
	}
	w := env.Data
	if err := netguard.CheckURL(w.URL, false); err != nil {
		t.Fatalf("stored url %q: %v", w.URL, err)
	}
	if _, err := regexp.Compile(w.Filter); err != nil || len(w.Filter) > maxFilterBytes {
		t.Fatalf("stored filter %q", w.Filter)
	}
	if w.RetryPolicy != RetryNone && w.RetryPolicy != RetryExponential {
		t.Fatalf("stored retry policy %q", w.RetryPolicy)
	}
	return w.ID
}

func serve(b *bundle, method, path, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+b.secretA)
	rec := httptest.NewRecorder()
	b.api.Handler().ServeHTTP(rec, req)
	return rec
}

func FuzzCreateWebhook(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	b := setup(f)
	// lastID is the newest webhook's id: it moves exactly when one is created.
	lastID := func(t *testing.T) int64 {
		ws, err := b.st.ListWebhooks(t.Context(), acctA, 0, 1, true)
		if err != nil {
			t.Fatal(err)
		}
		if len(ws) == 0 {
			return 0
		}
		return ws[0].ID
	}
	f.Fuzz(func(t *testing.T, body string) {
		before := lastID(t)
		rec := serve(b, "POST", "/api/webhooks", body)
		if rec.Code >= 500 || !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("%d %s", rec.Code, rec.Body)
		}
		after := lastID(t)
		if rec.Code == http.StatusOK {
			if id := checkWebhook(t, rec.Body.Bytes()); after != id || id <= before {
				t.Fatalf("created %d, but the newest id went %d → %d", id, before, after)
			}
		} else if after != before {
			t.Fatalf("refused with %d, but webhook %d was created", rec.Code, after)
		}
	})
}

func FuzzUpdateWebhook(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	b := setup(f)
	w := b.createWebhook(b.secretA, "https://hooks.example.com/")
	path := fmt.Sprintf("/api/webhooks/%d", w.ID)
	f.Fuzz(func(t *testing.T, body string) {
		before := b.snapshotT(t)
		rec := serve(b, "PUT", path, body)
		if rec.Code >= 500 || !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("%d %s", rec.Code, rec.Body)
		}
		if rec.Code == http.StatusOK {
			checkWebhook(t, rec.Body.Bytes())
			return
		}
		if after := b.snapshotT(t); !reflect.DeepEqual(before, after) {
			t.Fatalf("refused with %d, but the webhook changed", rec.Code)
		}
	})
}
