package delivery

import (
	"context"
	"net/http"
	"testing"

	"github.com/hookcast/hookcast/webhook"
)

// TestWebhookHeaders: a webhook's own headers arrive with every delivery, and
// none of them can replace a signature or the Content-Type, even one the API
// would have refused.
func TestWebhookHeaders(t *testing.T) {
	t.Parallel()
	h := newHarness(t, Options{})
	rc := newReceiver(t, status(http.StatusOK))
	wh := h.webhook(rc.srv.URL, PolicyExponential)
	wh.Headers = map[string]string{
		"Authorization": "Bearer gateway-token", "x-tenant": "t-42",
		"X-Millicast-Signature": "sha1=forged", "Webhook-Signature": "v1,forged", "webhook-id": "forged",
		"Content-Type": "text/plain", "Host": "evil.example", "X-Bad": "line\nbreak",
	}
	if err := h.st.UpdateWebhook(context.Background(), &wh); err != nil {
		t.Fatal(err)
	}
	h.start()
	ev, _ := h.event(0, nil, wh)
	got := rc.next(t)
	for name, want := range map[string]string{
		"Authorization": "Bearer gateway-token", "X-Tenant": "t-42",
		"Content-Type": "application/json", "Webhook-Id": ev.ID, "X-Bad": "",
	} {
		if v := got.header.Get(name); v != want {
			t.Errorf("header %s = %q, want %q", name, v, want)
		}
	}
	if err := webhook.Verify(wh.Secret, got.body, got.header.Get(webhook.HeaderSignature)); err != nil {
		t.Errorf("X-Millicast-Signature: %v", err)
	}
	if err := webhook.VerifyStandard(wh.Secret, got.header, got.body, h.clock.Now(), 0); err != nil {
		t.Errorf("webhook-signature: %v", err)
	}
	if n := len(got.header.Values(webhook.HeaderSignature)); n != 1 {
		t.Errorf("%d X-Millicast-Signature headers, want 1", n)
	}
}
