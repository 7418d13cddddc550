package server

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/hookcast/hookcast/webhook"
)

// TestOperationalEvents: a webhook disabled by a 410 makes another webhook
// with isOperationalHooks (and the operator URL) receive webhookDisabled and,
// for the delivery given up, deliveryExhausted; re-enabling it makes
// webhookEnabled. The operational webhook receives nothing about itself.
func TestOperationalEvents(t *testing.T) {
	const operatorSecret = "b3BlcmF0b3Igc2VjcmV0LCAzMiBieXRlcyBsb25nISE="
	operator := newReceiver(t)
	cfg := testConfig(t.TempDir())
	cfg.OperatorWebhookURL, cfg.OperatorWebhookSecret = operator.srv.URL, operatorSecret
	r := start(t, cfg)
	api := r.srv.Firsts.APISecret

	gone := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusGone) }))
	t.Cleanup(gone.Close)
	goneID, _ := createWebhook(t, r, api, gone.URL)
	ops := newReceiver(t)
	code, out := r.call(t, "POST", "/api/webhooks", api, map[string]any{"url": ops.srv.URL, "isFeedHooks": false, "isOperationalHooks": true})
	if code != 200 {
		t.Fatalf("create the operational webhook: %d %v", code, out)
	}
	data := out["data"].(map[string]any)
	opsID, opsSecret := int64(data["id"].(float64)), data["secret"].(string)
	if data["isOperationalHooks"] != true {
		t.Fatalf("isOperationalHooks not kept: %v", data)
	}

	// next decodes the next operational event rc receives, checking both
	// signatures with secret.
	next := func(rc *receiver, secret string) *webhook.OperationalEvent {
		t.Helper()
		got := rc.next(t)
		if err := webhook.Verify(secret, got.body, got.header.Get(webhook.HeaderSignature)); err != nil {
			t.Fatalf("X-Millicast-Signature: %v", err)
		}
		if err := webhook.VerifyStandard(secret, got.header, got.body, time.Now(), 0); err != nil {
			t.Fatalf("webhook-signature: %v", err)
		}
		ev, err := webhook.Decode(got.header, got.body)
		if err != nil {
			t.Fatalf("decode %s: %v", got.body, err)
		}
		op, ok := ev.(*webhook.OperationalEvent)
		if !ok {
			t.Fatalf("got a %T, want an operational event: %s", ev, got.body)
		}
		if op.Data.WebhookID == opsID {
			t.Fatalf("the operational webhook received an event about itself: %s", got.body)
		}
		return op
	}
	// both takes the next n events of the operational webhook and of the
	// operator URL, which must be the same events, by name.
	both := func(n int) map[string]*webhook.OperationalEvent {
		t.Helper()
		byName := map[string]*webhook.OperationalEvent{}
		opByName := map[string]bool{}
		for range n {
			e := next(ops, opsSecret)
			byName[e.EventName()] = e
			opByName[next(operator, operatorSecret).EventName()] = true
		}
		for name := range byName {
			if !opByName[name] {
				t.Fatalf("the operator URL did not get %s (got %v)", name, opByName)
			}
		}
		return byName
	}

	if code, out := r.call(t, "POST", "/api/webhooks/test/Feeds", api, nil); code != 200 {
		t.Fatalf("test event: %d %v", code, out)
	}
	got := both(2)
	dis, exh := got[webhook.WebhookDisabled], got[webhook.DeliveryExhausted]
	if dis == nil || exh == nil {
		t.Fatalf("got %v, want webhookDisabled and deliveryExhausted", got)
	}
	if dis.Data.WebhookID != goneID || dis.Data.URL != gone.URL || dis.Data.Reason != "410 Gone" || dis.Data.Until != "" ||
		dis.Data.AccountID != r.srv.Default {
		t.Fatalf("webhookDisabled data %+v", dis.Data)
	}
	if exh.Data.WebhookID != goneID || exh.Data.DeliveryID == 0 || exh.Data.EventType != "feeds" || exh.Data.EventName != "started" ||
		exh.Data.LastStatus != 410 || exh.Data.Attempts != 1 || exh.Data.LastError == "" {
		t.Fatalf("deliveryExhausted data %+v", exh.Data)
	}

	if code, out := r.call(t, "PUT", fmt.Sprintf("/api/webhooks/%d", goneID), api, map[string]any{"reEnable": true}); code != 200 {
		t.Fatalf("reEnable: %d %v", code, out)
	}
	if en := both(1)[webhook.WebhookEnabled]; en == nil || en.Data.WebhookID != goneID {
		t.Fatalf("after reEnable got %+v, want webhookEnabled of %d", en, goneID)
	}
	ops.none(t, 300*time.Millisecond)
}
