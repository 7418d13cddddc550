package api

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

// The request of Millicast's webhooks guide (seeds/004), as its curl sends it.
const millicastCurlBody = `
{
  "isThumbnailHooks": true,
  "isRecordingHooks": false,
  "isFeedHooks": false,
  "url": "https://example-webhook.domain.com/path/route"
}
`

func TestCreateWebhookAsMillicastGuide(t *testing.T) {
	t.Parallel()
	b := setup(t)
	r := b.do("POST", "/api/webhooks", b.secretA, millicastCurlBody)
	w := r.webhook(t)
	if w.ID <= 0 || w.URL != "https://example-webhook.domain.com/path/route" {
		t.Fatalf("webhook %+v", w)
	}
	if !w.IsThumbnailHooks || w.IsRecordingHooks || w.IsFeedHooks || w.IsMediaHooks ||
		w.IsTranscoderHooks || w.IsViewerConnectionHooks {
		t.Fatalf("hooks not as asked: %s", r.Data)
	}
	key, err := base64.StdEncoding.DecodeString(w.Secret)
	if err != nil || len(key) != 32 {
		t.Fatalf("secret %q: want standard base64 of 32 bytes (%v)", w.Secret, err)
	}
	if w.RetryPolicy != "exponential" || w.Filter != "" || w.Disabled != nil {
		t.Fatalf("defaults: %s", r.Data)
	}
	// disabled is present and null, so clients can read it without a key check.
	if !strings.Contains(string(r.Data), `"disabled":null`) {
		t.Fatalf("disabled not null: %s", r.Data)
	}
	got := b.do("GET", fmt.Sprintf("/api/webhooks/%d", w.ID), b.secretA, "").webhook(t)
	if !reflect.DeepEqual(got, w) {
		t.Fatalf("GET differs from POST:\n%+v\n%+v", got, w)
	}
}

// The request examples of the reference document, verbatim.
func TestReferenceExamples(t *testing.T) {
	t.Parallel()
	b := setup(t)
	add := `{"url":"https://example-webhook.domain.com/path/route","isFeedHooks":true,"isMediaHooks":true,"isThumbnailHooks":true,"isTranscoderHooks":true,"isViewerConnectionHooks":true}`
	w := b.do("POST", "/api/webhooks", b.secretA, add).webhook(t)
	if !(w.IsFeedHooks && w.IsMediaHooks && w.IsThumbnailHooks && w.IsTranscoderHooks && w.IsViewerConnectionHooks) || w.IsRecordingHooks {
		t.Fatalf("add example: %+v", w)
	}
	upd := `{"url":"https://new-domain.com/other","isFeedHooks":true,"isMediaHooks":false,"isThumbnailHooks":true,"isTranscoderHooks":true,"isViewerConnectionHooks":true}`
	u := b.do("PUT", fmt.Sprintf("/api/webhooks/%d", w.ID), b.secretA, upd).webhook(t)
	if u.URL != "https://new-domain.com/other" || u.IsMediaHooks || !u.IsFeedHooks || u.Secret != w.Secret || u.ID != w.ID {
		t.Fatalf("update example: %+v", u)
	}
	del := b.do("DELETE", fmt.Sprintf("/api/webhooks/%d", w.ID), b.secretA, "")
	if string(del.Data) != "true" {
		t.Fatalf("delete: %s", del.raw)
	}
	if r := b.do("GET", fmt.Sprintf("/api/webhooks/%d", w.ID), b.secretA, ""); r.code != 404 {
		t.Fatalf("after delete: %d %s", r.code, r.raw)
	}
	if r := b.do("DELETE", fmt.Sprintf("/api/webhooks/%d", w.ID), b.secretA, ""); r.code != 404 {
		t.Fatalf("second delete: %d %s", r.code, r.raw)
	}
}

func TestListPaging(t *testing.T) {
	t.Parallel()
	b := setup(t)
	var ids []int64
	for i := range 12 {
		ids = append(ids, b.createWebhook(b.secretA, fmt.Sprintf("https://hooks.example.com/%d", i)).ID)
	}
	b.createWebhook(b.secretB, "https://b.example.com/") // never listed for A
	list := func(query string) []int64 {
		r := b.do("GET", "/api/webhooks/list"+query, b.secretA, "")
		if r.Status != "success" {
			t.Fatalf("list%s: %s", query, r.raw)
		}
		var ws []webhookJSON
		if err := json.Unmarshal(r.Data, &ws); err != nil {
			t.Fatal(err)
		}
		out := []int64{}
		for _, w := range ws {
			out = append(out, w.ID)
		}
		return out
	}
	tests := []struct {
		query string
		want  []int64
	}{
		{"", ids[:10]}, // default itemCount 10, ascending
		{"?itemCount=3", ids[:3]},
		{fmt.Sprintf("?startingId=%d&itemCount=3", ids[3]), ids[3:6]},
		{"?itemCount=2&isDescending=true", []int64{ids[11], ids[10]}},
		{fmt.Sprintf("?startingId=%d&itemCount=3&isDescending=true", ids[5]), []int64{ids[5], ids[4], ids[3]}},
		{"?startingId=&itemCount=&isDescending=", ids[:10]}, // empty = default (nullable)
		{fmt.Sprintf("?startingId=%d", ids[11]+1), []int64{}},
		{"?itemCount=100", ids},
	}
	for _, tc := range tests {
		if got := list(tc.query); fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("list%s = %v, want %v", tc.query, got, tc.want)
		}
	}
	bad := map[string]string{
		"?itemCount=0":       "itemCount",
		"?itemCount=101":     "itemCount",
		"?itemCount=abc":     "itemCount",
		"?itemCount=-1":      "itemCount",
		"?startingId=-5":     "startingId",
		"?startingId=x":      "startingId",
		"?isDescending=nope": "isDescending",
	}
	for q, field := range bad {
		if f := b.do("GET", "/api/webhooks/list"+q, b.secretA, "").fail(t); f[field] == "" {
			t.Errorf("list%s: fail data %v does not name %s", q, f, field)
		}
	}
}

func TestUpdate(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	disable := func(id int64) {
		w, err := b.st.GetWebhook(ctx, acctA, id)
		if err != nil {
			t.Fatal(err)
		}
		w.Disabled, w.DisabledUntil, w.DisabledReason, w.ConsecutiveFailures = true, b.clock.Now().Add(time.Hour), "timeouts", 7
		if err := b.st.UpdateWebhook(ctx, &w); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name      string
		body      string
		disabled  bool // disable before the PUT
		check     func(before, after webhookJSON) string
		failsKept int // ConsecutiveFailures expected after
	}{
		{"refreshSecret", `{"refreshSecret": true}`, false, func(x, y webhookJSON) string {
			if y.Secret == x.Secret {
				return "secret unchanged"
			}
			return ""
		}, 0},
		{"refreshSecret false", `{"refreshSecret": false}`, false, func(x, y webhookJSON) string {
			if !reflect.DeepEqual(y, x) {
				return "changed"
			}
			return ""
		}, 0},
		{"reEnable clears disabled", `{"reEnable": true}`, true, func(x, y webhookJSON) string {
			if x.Disabled == nil || y.Disabled != nil {
				return "not re-enabled"
			}
			return ""
		}, 0},
		{"reenable any case", `{"reenable": true}`, true, func(x, y webhookJSON) string {
			if y.Disabled != nil {
				return "not re-enabled"
			}
			return ""
		}, 0},
		{"new url clears disabled", `{"url": "https://new.example.com/h"}`, true, func(x, y webhookJSON) string {
			if y.Disabled != nil || y.URL != "https://new.example.com/h" {
				return "not re-enabled by url"
			}
			return ""
		}, 0},
		{"same url keeps disabled", `{"url": "https://hooks.example.com/a", "isMediaHooks": true}`, true, func(x, y webhookJSON) string {
			if y.Disabled == nil || !y.IsMediaHooks {
				return "same url must not re-enable"
			}
			return ""
		}, 7},
		{"nulls change nothing", `{"url": null, "isFeedHooks": null, "isClipHooks": null, "retryPolicy": null, "refreshSecret": null}`, false, func(x, y webhookJSON) string {
			if !reflect.DeepEqual(y, x) {
				return "changed"
			}
			return ""
		}, 0},
		{"filter and retry policy", `{"filter": "^live_", "retryPolicy": "none", "isFeedHooks": false}`, false, func(x, y webhookJSON) string {
			if y.Filter != "^live_" || y.RetryPolicy != "none" || y.IsFeedHooks {
				return "not applied"
			}
			return ""
		}, 0},
		{"empty object", `{}`, false, func(x, y webhookJSON) string {
			if !reflect.DeepEqual(y, x) {
				return "changed"
			}
			return ""
		}, 0},
	}
	for _, tc := range tests {
		w := b.createWebhook(b.secretA, "https://hooks.example.com/a")
		if tc.disabled {
			disable(w.ID)
		}
		path := fmt.Sprintf("/api/webhooks/%d", w.ID)
		before := b.do("GET", path, b.secretA, "").webhook(t)
		after := b.do("PUT", path, b.secretA, tc.body).webhook(t)
		if msg := tc.check(before, after); msg != "" {
			t.Errorf("%s: %s\n before %+v\n after  %+v", tc.name, msg, before, after)
		}
		if again := b.do("GET", path, b.secretA, "").webhook(t); !reflect.DeepEqual(again, after) {
			t.Errorf("%s: PUT answer %+v, stored %+v", tc.name, after, again)
		}
		stored, _ := b.st.GetWebhook(ctx, acctA, w.ID)
		if tc.disabled && stored.ConsecutiveFailures != tc.failsKept {
			t.Errorf("%s: ConsecutiveFailures %d, want %d", tc.name, stored.ConsecutiveFailures, tc.failsKept)
		}
	}
}

func TestDisabledPresentation(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	w := b.createWebhook(b.secretA, "https://hooks.example.com/a")
	s, _ := b.st.GetWebhook(ctx, acctA, w.ID)
	s.Disabled, s.DisabledReason = true, "410 Gone"
	if err := b.st.UpdateWebhook(ctx, &s); err != nil {
		t.Fatal(err)
	}
	r := b.do("GET", fmt.Sprintf("/api/webhooks/%d", w.ID), b.secretA, "")
	if !strings.Contains(string(r.Data), `"disabled":{"until":null,"reason":"410 Gone"}`) {
		t.Fatalf("until-re-enabled: %s", r.Data)
	}
	s.DisabledUntil = b.clock.Now().Add(30 * time.Minute)
	_ = b.st.UpdateWebhook(ctx, &s)
	r = b.do("GET", fmt.Sprintf("/api/webhooks/%d", w.ID), b.secretA, "")
	if !strings.Contains(string(r.Data), `"until":"2025-03-01T12:30:00.000Z"`) {
		t.Fatalf("timed disable: %s", r.Data)
	}
	b.clock.Set(b.clock.Now().Add(time.Hour)) // the period is over
	if got := b.do("GET", fmt.Sprintf("/api/webhooks/%d", w.ID), b.secretA, "").webhook(t); got.Disabled != nil {
		t.Fatalf("lapsed disable still shown: %+v", got.Disabled)
	}
}

func TestTestWebhook(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for _, typ := range []string{"Feeds", "viewerconnection", "MEDIA", "Recordings", "transcoder", "Thumbnail", "ViewerConnection"} {
		r := b.do("POST", "/api/webhooks/test/"+typ, b.secretA, "")
		if string(r.Data) != "true" {
			t.Fatalf("test %s: %s", typ, r.raw)
		}
	}
	want := "[ZG6NWV/feeds ZG6NWV/viewerConnection ZG6NWV/media ZG6NWV/recordings ZG6NWV/transcoder ZG6NWV/thumbnail ZG6NWV/viewerConnection]"
	if got := fmt.Sprint(b.sent()); got != want {
		t.Fatalf("test events %s, want %s", got, want)
	}
	if f := b.do("POST", "/api/webhooks/test/Bogus", b.secretA, "").fail(t); f["webhookType"] == "" {
		t.Fatalf("unknown type: %v", f)
	}
	if len(b.sent()) != 7 {
		t.Fatal("a refused test still sent")
	}
	nb := setup(t, func(d *Deps) { d.SubmitTest = nil })
	if r := nb.do("POST", "/api/webhooks/test/Feeds", nb.secretA, ""); r.code != 501 {
		t.Fatalf("nil SubmitTest: %d %s", r.code, r.raw)
	}
}

func TestURLValidation(t *testing.T) {
	t.Parallel()
	strict := setup(t)
	lax := setup(t, func(d *Deps) { d.AllowPrivateTargets = true })
	for _, u := range []string{"http://127.0.0.1:9/hook", "http://localhost/x", "http://10.1.2.3/", "http://[::1]:8080/"} {
		body := fmt.Sprintf(`{"url": %q, "isFeedHooks": true}`, u)
		if f := strict.do("POST", "/api/webhooks", strict.secretA, body).fail(t); f["url"] == "" {
			t.Errorf("%s accepted without AllowPrivateTargets: %v", u, f)
		}
		if w := lax.do("POST", "/api/webhooks", lax.secretA, body).webhook(t); w.URL != u {
			t.Errorf("%s with AllowPrivateTargets: %+v", u, w)
		}
	}
	if n := len(strict.snapshot()); n != 0 {
		t.Fatalf("refused URLs were stored: %d", n)
	}
	// A refused URL in a PUT leaves the webhook as it was.
	w := strict.createWebhook(strict.secretA, "https://hooks.example.com/")
	before := strict.snapshot()
	if f := strict.do("PUT", fmt.Sprintf("/api/webhooks/%d", w.ID), strict.secretA,
		`{"url": "http://192.168.1.1/", "isMediaHooks": true}`).fail(t); f["url"] == "" {
		t.Fatalf("private URL in PUT: %v", f)
	}
	strict.assertUnchanged(before, "PUT private url")
}

// TestRefreshSecretOverlap: refreshSecret replaces the secret at once and keeps
// the old one valid for the account's default overlap or the call's
// secretOverlapSeconds; previousSecretExpiresAt shows it until it is over.
func TestRefreshSecretOverlap(t *testing.T) {
	t.Parallel()
	b := setup(t, func(d *Deps) { d.SecretOverlap = 24 * time.Hour })
	ctx := context.Background()
	now := b.clock.Now()
	tests := []struct {
		name    string
		body    string
		overlap time.Duration // 0: none
	}{
		{"default overlap", `{"refreshSecret": true}`, 24 * time.Hour},
		{"overlap of the call", `{"refreshSecret": true, "secretOverlapSeconds": 3600}`, time.Hour},
		{"no overlap", `{"refreshSecret": true, "secretOverlapSeconds": 0}`, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := b.createWebhook(b.secretA, "https://hooks.example.com/a")
			path := fmt.Sprintf("/api/webhooks/%d", w.ID)
			got := b.do("PUT", path, b.secretA, tc.body).webhook(t)
			stored, err := b.st.GetWebhook(ctx, acctA, w.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Secret == w.Secret || stored.Secret != got.Secret {
				t.Fatalf("secret %q (stored %q), was %q: want a new one, stored", got.Secret, stored.Secret, w.Secret)
			}
			if tc.overlap == 0 {
				if got.PreviousSecretExpiresAt != nil || stored.PreviousSecret != "" {
					t.Fatalf("previousSecretExpiresAt set %v, previous secret kept %v: want no overlap", got.PreviousSecretExpiresAt != nil, stored.PreviousSecret != "")
				}
				return
			}
			want := formatTime(now.Add(tc.overlap))
			if got.PreviousSecretExpiresAt == nil || *got.PreviousSecretExpiresAt != want {
				t.Fatalf("previousSecretExpiresAt %v, want %s", got.PreviousSecretExpiresAt, want)
			}
			if stored.PreviousSecret != w.Secret || stored.PreviousSecretAt(now.Add(tc.overlap-time.Second)) != w.Secret ||
				stored.PreviousSecretAt(now.Add(tc.overlap)) != "" {
				t.Fatalf("stored previous secret valid %v..%v, want the old secret until %s", stored.PreviousSecret == w.Secret, stored.PreviousSecretExpiresAt, want)
			}
			// Renewing again during the overlap keeps only the one just replaced.
			again := b.do("PUT", path, b.secretA, tc.body).webhook(t)
			stored, _ = b.st.GetWebhook(ctx, acctA, w.ID)
			if stored.PreviousSecret != got.Secret || again.Secret == got.Secret {
				t.Fatalf("second renewal: previous is the first secret %v, want the second", stored.PreviousSecret == w.Secret)
			}
		})
	}

	// Once the overlap is over the field is null again.
	w := b.createWebhook(b.secretA, "https://hooks.example.com/a")
	path := fmt.Sprintf("/api/webhooks/%d", w.ID)
	b.do("PUT", path, b.secretA, `{"refreshSecret": true, "secretOverlapSeconds": 60}`)
	b.clock.Set(now.Add(time.Minute))
	if got := b.do("GET", path, b.secretA, "").webhook(t); got.PreviousSecretExpiresAt != nil {
		t.Fatalf("after the overlap previousSecretExpiresAt = %s, want null", *got.PreviousSecretExpiresAt)
	}
	b.clock.Set(now)

	for _, body := range []string{`{"secretOverlapSeconds": 60}`, `{"refreshSecret": false, "secretOverlapSeconds": 60}`,
		`{"refreshSecret": true, "secretOverlapSeconds": -1}`, `{"refreshSecret": true, "secretOverlapSeconds": 2592001}`,
		`{"refreshSecret": true, "secretOverlapSeconds": "60"}`} {
		before, _ := b.st.GetWebhook(ctx, acctA, w.ID)
		if f := b.do("PUT", path, b.secretA, body).fail(t); f["secretOverlapSeconds"] == "" {
			t.Errorf("%s: fail %v does not name secretOverlapSeconds", body, f)
		}
		if after, _ := b.st.GetWebhook(ctx, acctA, w.ID); after.Secret != before.Secret {
			t.Errorf("%s: refused, yet the secret changed", body)
		}
	}
}
