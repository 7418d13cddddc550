package delivery

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"syscall"
	"testing"
	"time"

	"github.com/hookcast/hookcast/internal/netguard"
	"github.com/hookcast/hookcast/internal/store"
)

func TestDecide(t *testing.T) {
	t.Parallel()
	created := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	now := created.Add(time.Minute)
	half := func() float64 { return 0.5 }
	p := RetryPolicy{Rand: half} // equal jitter with 0.5: 3/4 of the backoff
	full := RetryPolicy{Rand: half, Jitter: FullJitter}
	timeoutErr := &net.OpError{Op: "dial", Err: context.DeadlineExceeded}
	refused := &net.OpError{Op: "dial", Err: syscall.ECONNREFUSED}
	ssrf := fmt.Errorf("dial: %w", netguard.ErrRefused)

	tests := []struct {
		name    string
		p       RetryPolicy
		policy  string
		r       Response
		attempt int
		now     time.Time
		want    Decision
	}{
		{"200 succeeds", p, PolicyExponential, Response{Status: 200}, 1, now,
			Decision{State: store.DeliverySucceeded}},
		{"204 succeeds on none", p, PolicyNone, Response{Status: 204}, 1, now,
			Decision{State: store.DeliverySucceeded}},
		{"500 retries after 0.75 s", p, PolicyExponential, Response{Status: 500}, 1, now,
			Decision{State: store.DeliveryPending, NextAttemptAt: now.Add(750 * time.Millisecond), Reason: "HTTP 500"}},
		{"empty policy is exponential", p, "", Response{Status: 503}, 1, now,
			Decision{State: store.DeliveryPending, NextAttemptAt: now.Add(750 * time.Millisecond), Reason: "HTTP 503"}},
		{"429 retries, doubling", p, PolicyExponential, Response{Status: 429}, 3, now,
			Decision{State: store.DeliveryPending, NextAttemptAt: now.Add(3 * time.Second), Reason: "HTTP 429"}},
		{"full jitter", full, PolicyExponential, Response{Status: 502}, 4, now,
			Decision{State: store.DeliveryPending, NextAttemptAt: now.Add(4 * time.Second), Reason: "HTTP 502"}},
		{"backoff capped at 1 h", p, PolicyExponential, Response{Status: 500}, 30, now,
			Decision{State: store.DeliveryPending, NextAttemptAt: now.Add(45 * time.Minute), Reason: "HTTP 500"}},
		{"huge attempt number does not overflow", p, PolicyExponential, Response{Status: 500}, 1000, now,
			Decision{State: store.DeliveryPending, NextAttemptAt: now.Add(45 * time.Minute), Reason: "HTTP 500"}},
		{"none does not retry 500", p, PolicyNone, Response{Status: 500}, 1, now,
			Decision{State: store.DeliveryFailed, Reason: "HTTP 500"}},
		{"none does not retry timeouts", p, PolicyNone, Response{Err: timeoutErr}, 1, now,
			Decision{State: store.DeliveryFailed, Reason: "timeout"}},
		{"timeout retries", p, PolicyExponential, Response{Err: timeoutErr}, 1, now,
			Decision{State: store.DeliveryPending, NextAttemptAt: now.Add(750 * time.Millisecond), Reason: "timeout"}},
		{"connection refused retries", p, PolicyExponential, Response{Err: refused}, 2, now,
			Decision{State: store.DeliveryPending, NextAttemptAt: now.Add(1500 * time.Millisecond), Reason: "connection refused"}},
		{"other connection errors retry", p, PolicyExponential, Response{Err: errors.New("EOF")}, 1, now,
			Decision{State: store.DeliveryPending, NextAttemptAt: now.Add(750 * time.Millisecond), Reason: "connection error"}},
		{"private address does not retry", p, PolicyExponential, Response{Err: ssrf}, 1, now,
			Decision{State: store.DeliveryFailed, Reason: netguard.ErrRefused.Error()}},
		{"bad secret does not retry", p, PolicyExponential, Response{Err: permanentError{errors.New("invalid webhook secret")}}, 1, now,
			Decision{State: store.DeliveryFailed, Reason: "invalid webhook secret"}},
		{"410 fails and disables", p, PolicyExponential, Response{Status: 410}, 1, now,
			Decision{State: store.DeliveryFailed, Disable: true, Reason: "410 Gone"}},
		{"410 disables on none too", p, PolicyNone, Response{Status: 410}, 1, now,
			Decision{State: store.DeliveryFailed, Disable: true, Reason: "410 Gone"}},
		{"400 fails at once", p, PolicyExponential, Response{Status: 400}, 1, now,
			Decision{State: store.DeliveryFailed, Reason: "HTTP 400"}},
		{"404 fails at once", p, PolicyExponential, Response{Status: 404}, 1, now,
			Decision{State: store.DeliveryFailed, Reason: "HTTP 404"}},
		{"302 fails at once", p, PolicyExponential, Response{Status: 302}, 1, now,
			Decision{State: store.DeliveryFailed, Reason: "HTTP 302"}},
		{"Retry-After seconds", p, PolicyExponential, Response{Status: 503, RetryAfter: "120"}, 1, now,
			Decision{State: store.DeliveryPending, NextAttemptAt: now.Add(120 * time.Second), Reason: "HTTP 503", Throttle: 120 * time.Second}},
		{"Retry-After HTTP date", p, PolicyExponential,
			Response{Status: 429, RetryAfter: now.Add(90 * time.Second).Format(http.TimeFormat)}, 1, now,
			Decision{State: store.DeliveryPending, NextAttemptAt: now.Add(90 * time.Second), Reason: "HTTP 429", Throttle: 90 * time.Second}},
		{"Retry-After shorter than backoff pauses the webhook only", p, PolicyExponential, Response{Status: 503, RetryAfter: "1"}, 5, now,
			Decision{State: store.DeliveryPending, NextAttemptAt: now.Add(12 * time.Second), Reason: "HTTP 503", Throttle: time.Second}},
		{"Retry-After keeps a delivery of policy none", p, PolicyNone, Response{Status: 429, RetryAfter: "30"}, 1, now,
			Decision{State: store.DeliveryPending, NextAttemptAt: now.Add(30 * time.Second), Reason: "HTTP 429", Throttle: 30 * time.Second}},
		{"429 without Retry-After fails policy none", p, PolicyNone, Response{Status: 429}, 1, now,
			Decision{State: store.DeliveryFailed, Reason: "HTTP 429"}},
		{"Retry-After capped at 1 h", p, PolicyExponential, Response{Status: 503, RetryAfter: "99999999999999999"}, 1, now,
			Decision{State: store.DeliveryPending, NextAttemptAt: now.Add(time.Hour), Reason: "HTTP 503", Throttle: time.Hour}},
		{"Retry-After garbage ignored", p, PolicyExponential, Response{Status: 503, RetryAfter: "soon"}, 1, now,
			Decision{State: store.DeliveryPending, NextAttemptAt: now.Add(750 * time.Millisecond), Reason: "HTTP 503"}},
		{"Retry-After negative ignored", p, PolicyExponential, Response{Status: 503, RetryAfter: "-5"}, 1, now,
			Decision{State: store.DeliveryPending, NextAttemptAt: now.Add(750 * time.Millisecond), Reason: "HTTP 503"}},
		{"Retry-After on 400 does not make it retry", p, PolicyExponential, Response{Status: 400, RetryAfter: "5"}, 1, now,
			Decision{State: store.DeliveryFailed, Reason: "HTTP 400"}},
		{"gives up past 24 h", p, PolicyExponential, Response{Status: 500}, 20,
			created.Add(23*time.Hour + 30*time.Minute),
			Decision{State: store.DeliveryFailed, Reason: "HTTP 500"}},
		{"still retries just inside 24 h", p, PolicyExponential, Response{Status: 500}, 2,
			created.Add(23*time.Hour + 59*time.Minute),
			Decision{State: store.DeliveryPending, NextAttemptAt: created.Add(23*time.Hour + 59*time.Minute + 1500*time.Millisecond), Reason: "HTTP 500"}},
		{"Retry-After past 24 h gives up", p, PolicyExponential, Response{Status: 503, RetryAfter: "3600"}, 1,
			created.Add(23*time.Hour + 30*time.Minute),
			Decision{State: store.DeliveryFailed, Reason: "HTTP 503"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.p.Decide(tt.policy, tt.r, tt.attempt, created, tt.now)
			if got != tt.want {
				t.Fatalf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

// TestBackoffBounds checks the jitter ranges with the extreme random values.
func TestBackoffBounds(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		jitter   Jitter
		r        float64
		attempt  int
		min, max time.Duration
	}{
		{EqualJitter, 0, 1, 500 * time.Millisecond, 500 * time.Millisecond},
		{EqualJitter, 0.999999, 1, 999 * time.Millisecond, time.Second},
		{FullJitter, 0, 3, 0, 0},
		{FullJitter, 0.999999, 3, 3999 * time.Millisecond, 4 * time.Second},
		{EqualJitter, 0.999999, 13, 59 * time.Minute, time.Hour},
	} {
		p := RetryPolicy{Jitter: tt.jitter, Rand: func() float64 { return tt.r }}
		p.setDefaults()
		if got := p.backoff(tt.attempt); got < tt.min || got > tt.max {
			t.Errorf("jitter %d rand %v attempt %d: %v not in [%v, %v]", tt.jitter, tt.r, tt.attempt, got, tt.min, tt.max)
		}
	}
}

// FuzzRetryAfter checks that any Retry-After value gives a delay within
// [0, MaxRetryAfter] or is ignored.
func FuzzRetryAfter(f *testing.F) {
	for _, s := range []string{"120", "0", "-1", "Wed, 21 Oct 2015 07:28:00 GMT", "99999999999999999999", " 5 ", "1e3"} {
		f.Add(s)
	}
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	p := RetryPolicy{}
	p.setDefaults()
	f.Fuzz(func(t *testing.T, v string) {
		d, ok := p.retryAfter(v, now)
		if ok && (d < 0 || d > p.MaxRetryAfter) {
			t.Fatalf("retryAfter(%q) = %v", v, d)
		}
		if !ok && d != 0 {
			t.Fatalf("retryAfter(%q) ignored but returned %v", v, d)
		}
	})
}
