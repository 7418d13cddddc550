package delivery

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/hookcast/hookcast/internal/store"
)

// TestSignedDelivery checks one delivery end to end on the fast path: the
// delivery is due in an hour, so only Handoff can have sent it now.
func TestSignedDelivery(t *testing.T) {
	t.Parallel()
	h := newHarness(t, Options{PollInterval: time.Hour, UserAgent: "hookcast/test"})
	rc := newReceiver(t, func(w http.ResponseWriter, _ *http.Request, _ int64) {
		w.Write([]byte("thanks"))
	})
	wh := h.webhook(rc.srv.URL+"/hook?token=x", PolicyExponential)
	ev, ids := h.handOver(time.Hour, map[string]string{"X-Millicast-Feed-Id": "feed-1", "Host": "evil"}, wh)
	h.start()

	got := rc.next(t)
	if !bytes.Equal(got.body, ev.Body) {
		t.Fatalf("body %q, want %q", got.body, ev.Body)
	}
	key, _ := base64.StdEncoding.DecodeString(wh.Secret)
	m := hmac.New(sha1.New, key)
	m.Write(ev.Body)
	ts := strconv.FormatInt(h.clock.Now().Unix(), 10)
	s := hmac.New(sha256.New, key)
	s.Write([]byte(ev.ID + "." + ts + "."))
	s.Write(ev.Body)
	for name, want := range map[string]string{
		"Content-Type":          "application/json",
		"User-Agent":            "hookcast/test",
		"X-Millicast-Signature": "sha1=" + hex.EncodeToString(m.Sum(nil)),
		"Webhook-Id":            ev.ID,
		"Webhook-Timestamp":     ts,
		"Webhook-Signature":     "v1," + base64.StdEncoding.EncodeToString(s.Sum(nil)),
		"X-Millicast-Feed-Id":   "feed-1",
	} {
		if v := got.header.Get(name); v != want {
			t.Errorf("header %s = %q, want %q", name, v, want)
		}
	}
	d, as := h.waitState(ids[0], store.DeliverySucceeded)
	if d.Attempts != 1 || len(as) != 1 {
		t.Fatalf("attempts %d/%d, want 1", d.Attempts, len(as))
	}
	a := as[0]
	if a.N != 1 || a.Status != 200 || string(a.Response) != "thanks" || a.Error != "" || a.Latency <= 0 {
		t.Fatalf("attempt %+v", a)
	}
	if !a.At.Equal(h.clock.Now()) {
		t.Fatalf("attempt at %v, want %v", a.At, h.clock.Now())
	}
}

// TestResponseBodyCapped checks that only the first 4 KB of a response is kept.
func TestResponseBodyCapped(t *testing.T) {
	t.Parallel()
	h := newHarness(t, Options{})
	rc := newReceiver(t, func(w http.ResponseWriter, _ *http.Request, _ int64) {
		w.Write(bytes.Repeat([]byte("a"), 100<<10))
	})
	wh := h.webhook(rc.srv.URL, PolicyExponential)
	_, ids := h.handOver(0, nil, wh)
	h.start()
	_, as := h.waitState(ids[0], store.DeliverySucceeded)
	if len(as) != 1 || len(as[0].Response) != maxResponseKept {
		t.Fatalf("kept %d bytes, want %d", len(as[0].Response), maxResponseKept)
	}
}

// TestRetriesUntilSuccess: an endpoint that fails twice gets the same event
// (same webhook-id, same body) a third time and the delivery succeeds.
func TestRetriesUntilSuccess(t *testing.T) {
	t.Parallel()
	h := newHarness(t, Options{Clock: time.Now, Retry: RetryPolicy{Base: time.Millisecond}})
	rc := newReceiver(t, func(w http.ResponseWriter, _ *http.Request, n int64) {
		if n <= 2 {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	})
	wh := h.webhook(rc.srv.URL, PolicyExponential)
	ev, ids := h.handOver(0, nil, wh)
	h.start()
	for i := 0; i < 3; i++ {
		r := rc.next(t)
		if r.header.Get("Webhook-Id") != ev.ID || !bytes.Equal(r.body, ev.Body) {
			t.Fatalf("request %d: id %q body %q", i+1, r.header.Get("Webhook-Id"), r.body)
		}
	}
	d, as := h.waitState(ids[0], store.DeliverySucceeded)
	if d.Attempts != 3 || len(as) != 3 {
		t.Fatalf("attempts %d/%d, want 3", d.Attempts, len(as))
	}
	for i, want := range []int{503, 503, 200} {
		if as[i].Status != want || as[i].N != i+1 {
			t.Errorf("attempt %d: n %d status %d, want %d", i+1, as[i].N, as[i].Status, want)
		}
	}
}

// TestPolicyNoneOneAttempt: with policy none a 500 ends the delivery.
func TestPolicyNoneOneAttempt(t *testing.T) {
	t.Parallel()
	h := newHarness(t, Options{})
	rc := newReceiver(t, status(http.StatusInternalServerError))
	wh := h.webhook(rc.srv.URL, PolicyNone)
	_, ids := h.handOver(0, nil, wh)
	h.start()
	d, as := h.waitState(ids[0], store.DeliveryFailed)
	if d.Attempts != 1 || len(as) != 1 || as[0].Status != 500 || rc.n.Load() != 1 {
		t.Fatalf("attempts %d/%d status %v requests %d, want exactly one 500", d.Attempts, len(as), as, rc.n.Load())
	}
}

// TestRetryAfterHonoured: a 503 with Retry-After: 120 is not retried before the
// (fake) clock has moved 120 s, and is retried once it has.
func TestRetryAfterHonoured(t *testing.T) {
	t.Parallel()
	h := newHarness(t, Options{})
	rc := newReceiver(t, func(w http.ResponseWriter, _ *http.Request, n int64) {
		if n == 1 {
			w.Header().Set("Retry-After", "120")
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	})
	wh := h.webhook(rc.srv.URL, PolicyExponential)
	_, ids := h.handOver(0, nil, wh)
	start := h.clock.Now()
	h.start()
	var d store.Delivery
	waitFor(t, "first attempt recorded", func() bool {
		d, _, _ = h.st.GetDelivery(context.Background(), account, ids[0])
		return d.Attempts == 1
	})
	if d.State != store.DeliveryPending || !d.NextAttemptAt.Equal(start.Add(120*time.Second)) {
		t.Fatalf("state %s next %v, want pending at %v", d.State, d.NextAttemptAt, start.Add(120*time.Second))
	}
	h.clock.Advance(119 * time.Second)
	polls := h.st.claims.Load()
	waitFor(t, "three more polls", func() bool { return h.st.claims.Load() >= polls+3 })
	if n := rc.n.Load(); n != 1 {
		t.Fatalf("%d requests before Retry-After elapsed, want 1", n)
	}
	h.clock.Advance(time.Second)
	d, _ = h.waitState(ids[0], store.DeliverySucceeded)
	if d.Attempts != 2 {
		t.Fatalf("attempts %d, want 2", d.Attempts)
	}
}

// Test410Disables: a 410 fails the delivery and disables the webhook for good;
// the next delivery to it is skipped without a request.
func Test410Disables(t *testing.T) {
	t.Parallel()
	h := newHarness(t, Options{})
	rc := newReceiver(t, status(http.StatusGone))
	wh := h.webhook(rc.srv.URL, PolicyExponential)
	_, ids := h.handOver(0, nil, wh)
	h.start()
	h.waitState(ids[0], store.DeliveryFailed)
	got, err := h.st.GetWebhook(context.Background(), account, wh.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Disabled || !got.DisabledUntil.IsZero() || got.DisabledReason != "410 Gone" {
		t.Fatalf("webhook disabled=%v until=%v reason=%q, want disabled for good by 410 Gone",
			got.Disabled, got.DisabledUntil, got.DisabledReason)
	}
	_, ids2 := h.handOver(0, nil, wh)
	d, as := h.waitState(ids2[0], store.DeliverySkipped)
	if d.Attempts != 0 || len(as) != 0 || rc.n.Load() != 1 {
		t.Fatalf("skipped delivery: attempts %d/%d, requests %d", d.Attempts, len(as), rc.n.Load())
	}
}

// TestInvalidSecretFails: a webhook whose secret is not base64 fails without a
// request and without retries.
func TestInvalidSecretFails(t *testing.T) {
	t.Parallel()
	h := newHarness(t, Options{})
	rc := newReceiver(t, status(200))
	w := &store.Webhook{AccountID: account, URL: rc.srv.URL, Secret: "not base64!", IsFeedHooks: true}
	if err := h.st.CreateWebhook(context.Background(), w); err != nil {
		t.Fatal(err)
	}
	_, ids := h.handOver(0, nil, *w)
	h.start()
	_, as := h.waitState(ids[0], store.DeliveryFailed)
	if len(as) != 1 || as[0].Error != "invalid webhook secret" || rc.n.Load() != 0 {
		t.Fatalf("attempts %+v, requests %d", as, rc.n.Load())
	}
}
