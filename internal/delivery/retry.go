package delivery

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/hookcast/hookcast/internal/netguard"
	"github.com/hookcast/hookcast/internal/store"
)

// Retry policies a webhook can have (store.Webhook.RetryPolicy).
const (
	// PolicyNone makes one attempt, as Millicast itself does.
	PolicyNone = "none"
	// PolicyExponential retries transient failures with backoff; it is the
	// default, also for an empty or unknown policy name.
	PolicyExponential = "exponential"
)

// Jitter chooses how a backoff delay d is randomised, so that many deliveries
// failing together do not all come back at the same instant.
type Jitter int

const (
	// EqualJitter waits d/2 plus a random part of d/2: never less than half.
	EqualJitter Jitter = iota
	// FullJitter waits a random duration in [0, d).
	FullJitter
)

// RetryPolicy computes what happens to a delivery after an attempt. Zero fields
// take the defaults given per field.
type RetryPolicy struct {
	// Base is the delay after the first failed attempt; it doubles with every
	// further attempt. Default 1 s.
	Base time.Duration
	// Max caps the backoff delay. Default 1 h.
	Max time.Duration
	// MaxAge is how long after its creation a delivery is retried; an attempt that
	// would fall later is not made and the delivery fails. Default 24 h.
	MaxAge time.Duration
	// MaxRetryAfter caps a receiver's Retry-After. Default 1 h.
	MaxRetryAfter time.Duration
	// Jitter is the randomisation. Default EqualJitter.
	Jitter Jitter
	// Rand returns a number in [0, 1); tests inject a fixed one. Default math/rand/v2.
	Rand func() float64
}

func (p *RetryPolicy) setDefaults() {
	if p.Base <= 0 {
		p.Base = time.Second
	}
	if p.Max <= 0 {
		p.Max = time.Hour
	}
	if p.MaxAge <= 0 {
		p.MaxAge = 24 * time.Hour
	}
	if p.MaxRetryAfter <= 0 {
		p.MaxRetryAfter = time.Hour
	}
	if p.Rand == nil {
		p.Rand = rand.Float64
	}
}

// Response is what one attempt produced.
type Response struct {
	Status     int    // HTTP status; 0 when no response was received
	Err        error  // why there was no response
	RetryAfter string // the Retry-After header, if any
}

// Decision is the delivery's fate after an attempt.
type Decision struct {
	State         store.DeliveryState
	NextAttemptAt time.Time // set when State is pending
	// Disable is set on 410 Gone: the webhook is disabled until re-enabled by hand.
	Disable bool
	// Reason says shortly why the attempt failed ("HTTP 503", "timeout",
	// "410 Gone", ...); empty on success.
	Reason string
	// Throttle is set when the receiver answered 429 or 503 with a Retry-After:
	// the webhook waits that long before its next attempt, and the delivery is
	// retried then whatever its policy (it did not fail, it was asked to wait).
	Throttle time.Duration
}

// permanentError marks a failure that no retry can fix (a bad secret or URL).
type permanentError struct{ err error }

func (e permanentError) Error() string { return e.err.Error() }
func (e permanentError) Unwrap() error { return e.err }

// Decide returns the fate of a delivery created at created whose attempt number
// attempt (1-based) ended at now with r, under the webhook's policy name.
func (p RetryPolicy) Decide(policy string, r Response, attempt int, created, now time.Time) Decision {
	p.setDefaults()
	var reason string
	retryable := false
	switch {
	case r.Status >= 200 && r.Status < 300:
		return Decision{State: store.DeliverySucceeded}
	case r.Status == http.StatusGone:
		return Decision{State: store.DeliveryFailed, Disable: true, Reason: "410 Gone"}
	case r.Status == http.StatusTooManyRequests || r.Status == http.StatusServiceUnavailable:
		reason, retryable = fmt.Sprintf("HTTP %d", r.Status), true
		if ra, ok := p.retryAfter(r.RetryAfter, now); ok && ra > 0 {
			next := now.Add(ra)
			if policy != PolicyNone {
				next = now.Add(max(ra, p.backoff(attempt)))
			}
			if next.After(created.Add(p.MaxAge)) {
				return Decision{State: store.DeliveryFailed, Reason: reason}
			}
			return Decision{State: store.DeliveryPending, NextAttemptAt: next, Reason: reason, Throttle: ra}
		}
	case r.Status >= 500:
		reason, retryable = fmt.Sprintf("HTTP %d", r.Status), true
	case r.Status != 0:
		reason = fmt.Sprintf("HTTP %d", r.Status)
	default:
		reason, retryable = classify(r.Err)
	}
	failed := Decision{State: store.DeliveryFailed, Reason: reason}
	if !retryable || policy == PolicyNone {
		return failed
	}
	delay := p.backoff(attempt)
	if ra, ok := p.retryAfter(r.RetryAfter, now); ok && ra > delay {
		delay = ra
	}
	next := now.Add(delay)
	if next.After(created.Add(p.MaxAge)) {
		return failed
	}
	return Decision{State: store.DeliveryPending, NextAttemptAt: next, Reason: reason}
}

// backoff is Base·2^(attempt-1), capped at Max, with jitter.
func (p RetryPolicy) backoff(attempt int) time.Duration {
	d := p.Max
	if n := attempt - 1; n >= 0 && n < 40 {
		if b := p.Base << n; b > 0 && b < p.Max {
			d = b
		}
	}
	if p.Jitter == FullJitter {
		return time.Duration(p.Rand() * float64(d))
	}
	return d/2 + time.Duration(p.Rand()*float64(d/2))
}

// retryAfter parses a Retry-After value (delay in seconds or an HTTP date),
// capped at MaxRetryAfter.
func (p RetryPolicy) retryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	var d time.Duration
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n < 0 {
			return 0, false
		}
		d = p.MaxRetryAfter
		if n < int64(p.MaxRetryAfter/time.Second) {
			d = time.Duration(n) * time.Second
		}
	} else if t, err := http.ParseTime(v); err == nil {
		d = max(t.Sub(now), 0)
	} else {
		return 0, false
	}
	return min(d, p.MaxRetryAfter), true
}

// classify names a transport error and says whether a retry may help.
func classify(err error) (reason string, retryable bool) {
	var (
		pe   permanentError
		ne   net.Error
		cert *tls.CertificateVerificationError
	)
	switch {
	case err == nil:
		return "no response", true
	case errors.As(err, &pe):
		return pe.Error(), false
	case errors.Is(err, netguard.ErrRefused):
		return netguard.ErrRefused.Error(), false // names the setting that allows it
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return "timeout", true
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused", true
	case errors.As(err, &cert):
		return "TLS certificate error", true
	default:
		return "connection error", true
	}
}
