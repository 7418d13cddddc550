package api

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// TestWebhookHeaders: custom headers are stored canonically, shown masked,
// replaced as a whole on update (a masked value sent back keeps the stored
// one), and refused with a reason when they would touch what hookcast sets.
func TestWebhookHeaders(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	created := b.do("POST", "/api/webhooks", b.secretA,
		`{"url":"https://hooks.example.com/a","isFeedHooks":true,"headers":{"authorization":"Bearer 0123456789abcdef","X-Tenant":"t1"}}`).webhook(t)
	wantShown := map[string]string{"Authorization": "••••••••cdef", "X-Tenant": "••••••••"}
	if !reflect.DeepEqual(created.Headers, wantShown) {
		t.Fatalf("created headers shown %v, want %v", created.Headers, wantShown)
	}
	path := fmt.Sprintf("/api/webhooks/%d", created.ID)
	if got := b.do("GET", path, b.secretA, "").webhook(t); !reflect.DeepEqual(got.Headers, wantShown) {
		t.Fatalf("GET shows %v, want %v", got.Headers, wantShown)
	}
	stored, _ := b.st.GetWebhook(ctx, acctA, created.ID)
	if want := map[string]string{"Authorization": "Bearer 0123456789abcdef", "X-Tenant": "t1"}; !reflect.DeepEqual(stored.Headers, want) {
		t.Fatalf("stored %v, want %v", stored.Headers, want)
	}

	// What GET showed, sent back with one change: the masked value is kept.
	b.do("PUT", path, b.secretA, `{"headers":{"Authorization":"••••••••cdef","X-Tenant":"t2"}}`).webhook(t)
	stored, _ = b.st.GetWebhook(ctx, acctA, created.ID)
	if stored.Headers["Authorization"] != "Bearer 0123456789abcdef" || stored.Headers["X-Tenant"] != "t2" || len(stored.Headers) != 2 {
		t.Fatalf("after a PUT of the masked value: %v", stored.Headers)
	}
	// Absent or null: unchanged; {} removes them all.
	b.do("PUT", path, b.secretA, `{"headers":null,"isMediaHooks":true}`).webhook(t)
	if s, _ := b.st.GetWebhook(ctx, acctA, created.ID); len(s.Headers) != 2 {
		t.Fatalf("null headers changed them: %v", s.Headers)
	}
	if got := b.do("PUT", path, b.secretA, `{"headers":{}}`).webhook(t); len(got.Headers) != 0 || got.Headers == nil {
		t.Fatalf("after {} headers shown %v, want {}", got.Headers)
	}
	if s, _ := b.st.GetWebhook(ctx, acctA, created.ID); s.Headers != nil {
		t.Fatalf("after {} stored %v", s.Headers)
	}

	many := make([]string, 11)
	for i := range many {
		many[i] = fmt.Sprintf(`"X-H%d":"v"`, i)
	}
	for _, tc := range []struct{ headers, reason string }{
		{`{"X-Millicast-Signature":"sha1=00"}`, "cannot be replaced"},
		{`{"webhook-signature":"v1,AA"}`, "cannot be replaced"},
		{`{"Webhook-Id":"x"}`, "cannot be replaced"},
		{`{"webhook-timestamp":"1"}`, "cannot be replaced"},
		{`{"content-type":"text/plain"}`, "cannot be replaced"},
		{`{"Host":"internal"}`, "cannot be replaced"},
		{`{"X-Millicast-Feed-Id":"f"}`, "cannot be replaced"},
		{`{"Bad Name":"v"}`, "not a valid header name"},
		{`{"":"v"}`, "not a valid header name"},
		{`{"X-A":"line\nbreak"}`, "control characters"},
		{`{"X-A":1}`, "must be a string"},
		{`{"X-A":"a","x-a":"b"}`, "given twice"},
		{`["X-A"]`, "must be an object"},
		{"{" + strings.Join(many, ",") + "}", "at most 10"},
	} {
		before := b.snapshot()
		f := b.do("PUT", path, b.secretA, `{"isFeedHooks":false,"headers":`+tc.headers+`}`).fail(t)
		if !strings.Contains(f["headers"], tc.reason) {
			t.Errorf("headers %s: fail %v, want a reason with %q", tc.headers, f, tc.reason)
		}
		b.assertUnchanged(before, "refused headers "+tc.headers)
		f = b.do("POST", "/api/webhooks", b.secretA, `{"url":"https://h.example.com/","isFeedHooks":true,"headers":`+tc.headers+`}`).fail(t)
		if !strings.Contains(f["headers"], tc.reason) {
			t.Errorf("create with headers %s: fail %v, want %q", tc.headers, f, tc.reason)
		}
	}
}
