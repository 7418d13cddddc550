package delivery

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hookcast/hookcast/webhook"
)

// TestRotationOverlap: while a renewed webhook's previous secret is valid, its
// deliveries carry two webhook-signature entries and verify with either
// secret; afterwards only with the new one. X-Millicast-Signature always uses
// the new secret.
func TestRotationOverlap(t *testing.T) {
	t.Parallel()
	h := newHarness(t, Options{})
	rc := newReceiver(t, status(http.StatusOK))
	wh := h.webhook(rc.srv.URL, PolicyExponential)
	oldSecret, newSecret := wh.Secret, newSecret(t)
	wh.Secret, wh.PreviousSecret, wh.PreviousSecretExpiresAt = newSecret, oldSecret, h.clock.Now().Add(time.Hour)
	if err := h.st.UpdateWebhook(context.Background(), &wh); err != nil {
		t.Fatal(err)
	}
	h.start()

	check := func(when string, oldValid bool) {
		t.Helper()
		got := rc.next(t)
		now := h.clock.Now()
		if err := webhook.Verify(newSecret, got.body, got.header.Get(webhook.HeaderSignature)); err != nil {
			t.Errorf("%s: X-Millicast-Signature with the new secret: %v", when, err)
		}
		if err := webhook.Verify(oldSecret, got.body, got.header.Get(webhook.HeaderSignature)); !errors.Is(err, webhook.ErrSignatureMismatch) {
			t.Errorf("%s: X-Millicast-Signature with the old secret: %v, want a mismatch", when, err)
		}
		if err := webhook.VerifyStandard(newSecret, got.header, got.body, now, 0); err != nil {
			t.Errorf("%s: webhook-signature with the new secret: %v", when, err)
		}
		err := webhook.VerifyStandard(oldSecret, got.header, got.body, now, 0)
		if oldValid && err != nil || !oldValid && !errors.Is(err, webhook.ErrSignatureMismatch) {
			t.Errorf("%s: webhook-signature with the old secret: %v (want valid: %v)", when, err, oldValid)
		}
		want := 1
		if oldValid {
			want = 2
		}
		if sigs := strings.Fields(got.header.Get(webhook.HeaderWebhookSignature)); len(sigs) != want {
			t.Errorf("%s: webhook-signature %q, want %d entries", when, sigs, want)
		}
	}
	h.event(0, nil, wh)
	check("during the overlap", true)

	h.clock.Advance(time.Hour) // the overlap ends at its expiry, exclusive
	h.event(0, nil, wh)
	check("after the overlap", false)
}
