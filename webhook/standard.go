package webhook

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// DefaultTolerance is how far webhook-timestamp may be from the receiver's
// clock, as in the Standard Webhooks libraries: wide enough for clock skew,
// narrow enough that a captured request cannot be replayed later.
const DefaultTolerance = 5 * time.Minute

// SignStandard returns the Standard Webhooks signature ("v1," + base64
// HMAC-SHA256 of id "." timestamp "." body) with the base64-decoded secret;
// timestamp is in Unix seconds.
func SignStandard(secret, id string, timestamp int64, body []byte) (string, error) {
	st, err := newState(secret, sha256.New)
	if err != nil {
		return "", err
	}
	return st.standardString(id, timestamp, body), nil
}

// VerifyStandard checks the Standard Webhooks headers (webhook-id,
// webhook-timestamp, webhook-signature) of a request against body. The
// signature header may list several space-separated signatures (during a secret
// rotation): one "v1" match is enough. A timestamp further than tolerance from
// now, either way, is ErrTimestampTolerance; tolerance <= 0 means
// DefaultTolerance. The secret may carry the "whsec_" prefix.
func VerifyStandard(secret string, h http.Header, body []byte, now time.Time, tolerance time.Duration) error {
	st, err := newState(secret, sha256.New)
	if err != nil {
		return err
	}
	return st.verifyStandard(h, body, now, tolerance)
}

// VerifyStandard is the function VerifyStandard with the secret of s.
func (s *Signer) VerifyStandard(h http.Header, body []byte, now time.Time, tolerance time.Duration) error {
	st := s.sha256Pool.Get().(*macState)
	defer s.sha256Pool.Put(st)
	return st.verifyStandard(h, body, now, tolerance)
}

func (st *macState) verifyStandard(h http.Header, body []byte, now time.Time, tolerance time.Duration) error {
	id := headerValue(h, canonicalWebhookID)
	ts := headerValue(h, canonicalWebhookTimestamp)
	sigs := headerValue(h, canonicalWebhookSignature)
	switch {
	case sigs == "":
		return fmt.Errorf("%w: no %s header", ErrMissingSignature, HeaderWebhookSignature)
	case id == "":
		return fmt.Errorf("%w: no %s header", ErrMissingSignature, HeaderWebhookID)
	case ts == "":
		return fmt.Errorf("%w: no %s header", ErrMissingSignature, HeaderWebhookTimestamp)
	}
	sec, err := parseUnixSeconds(ts)
	if err != nil {
		return err
	}
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return fmt.Errorf("%w: %s from now, tolerance %s", ErrTimestampTolerance, -d.Round(time.Second), tolerance)
	}

	var want [44]byte // base64 of the expected MAC, compared as text: no allocation
	base64.StdEncoding.Encode(want[:], st.standard(id, []byte(ts), body))

	sawV1, sawWellFormed := false, false
	for rest := sigs; rest != ""; {
		var entry string
		entry, rest, _ = strings.Cut(strings.TrimLeft(rest, " "), " ")
		value, ok := strings.CutPrefix(entry, standardPrefix)
		if !ok {
			continue // another scheme (e.g. "v1a," asymmetric): not ours to check
		}
		sawV1 = true
		if constantTimeEqual(want[:], value) {
			return nil
		}
		if raw, err := base64.StdEncoding.DecodeString(value); err == nil && len(raw) == sha256.Size {
			sawWellFormed = true
		}
	}
	switch {
	case !sawV1:
		return fmt.Errorf("%w: no %q entry in %s", ErrSignaturePrefix, standardPrefix, HeaderWebhookSignature)
	case !sawWellFormed:
		return fmt.Errorf("%w: %s entry is not base64 of 32 bytes", ErrMalformedSignature, HeaderWebhookSignature)
	}
	return ErrSignatureMismatch
}

// constantTimeEqual compares a and b in time that depends only on their
// lengths, like hmac.Equal, without converting b to a []byte.
func constantTimeEqual(a []byte, b string) bool {
	if len(a) != len(b) {
		return false
	}
	var v byte
	for i := range a {
		v |= a[i] ^ b[i]
	}
	return v == 0
}

// parseUnixSeconds accepts only decimal digits, so the bytes that were signed
// and the number that is checked against the clock cannot disagree.
func parseUnixSeconds(ts string) (int64, error) {
	if len(ts) > 18 || strings.TrimLeft(ts, "0123456789") != "" {
		return 0, fmt.Errorf("%w: %q is not Unix seconds", ErrInvalidTimestamp, ts)
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%w: %w", ErrInvalidTimestamp, err)
	}
	return sec, nil
}

// Canonical forms of the Standard Webhooks header names: http.Header.Get with
// these needs no canonicalisation, hence no allocation.
const (
	canonicalWebhookID        = "Webhook-Id"
	canonicalWebhookTimestamp = "Webhook-Timestamp"
	canonicalWebhookSignature = "Webhook-Signature"
)

// headerValue reads a header whether h was filled by net/http (canonical keys)
// or built by hand with other letter case (the Standard Webhooks spec writes
// its names in lower case).
func headerValue(h http.Header, name string) string {
	if v := h.Get(name); v != "" {
		return v
	}
	for k, v := range h { // a miss: look for a non-canonical key, without allocating
		if len(v) > 0 && v[0] != "" && strings.EqualFold(k, name) {
			return v[0]
		}
	}
	return ""
}
