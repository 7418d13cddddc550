package webhook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
	"unicode"
)

// DefaultMaxBodyBytes bounds a request body. Thumbnails are whole JPEG frames at
// the stream's resolution (a 4K intra frame is a few MiB), so the default is
// well above any JSON event while still refusing unbounded uploads.
const DefaultMaxBodyBytes = 8 << 20

// StandardMode says what the Handler does with Standard Webhooks headers.
//
// When they are checked, a valid webhook-signature authenticates the request by
// itself: it covers the webhook-id, the timestamp and the body, more than
// X-Millicast-Signature does, and during a secret rotation it is the one that
// still carries a signature made with the old secret (hookcast signs
// X-Millicast-Signature with the new secret at once, as Millicast does). When
// they are not checked, X-Millicast-Signature must verify.
type StandardMode int

const (
	// StandardIfPresent (the default) verifies webhook-id, webhook-timestamp and
	// webhook-signature when the request has any of them, which adds replay
	// protection (the timestamp) with hookcast, and still accepts senders that do
	// not send them (Millicast itself), by X-Millicast-Signature.
	StandardIfPresent StandardMode = iota
	// StandardRequired refuses requests without valid Standard Webhooks headers.
	StandardRequired
	// StandardIgnored checks X-Millicast-Signature only. During a rotation's
	// overlap that header is signed with the new secret only, so a receiver in
	// this mode must be given the new secret at once.
	StandardIgnored
)

// Option configures a Handler.
type Option func(*Handler)

// WithMaxBodyBytes sets the largest body accepted (default DefaultMaxBodyBytes);
// a larger one is answered 413. n <= 0 keeps the default.
func WithMaxBodyBytes(n int64) Option {
	return func(h *Handler) {
		if n > 0 {
			h.maxBody = n
		}
	}
}

// WithStandardWebhooks sets how Standard Webhooks headers are checked (default
// StandardIfPresent).
func WithStandardWebhooks(mode StandardMode) Option {
	return func(h *Handler) { h.mode = mode }
}

// WithTolerance sets how far webhook-timestamp may be from the clock (default
// DefaultTolerance).
func WithTolerance(d time.Duration) Option {
	return func(h *Handler) { h.tolerance = d }
}

// WithClock replaces time.Now for the timestamp check (tests, simulations).
func WithClock(now func() time.Time) Option {
	return func(h *Handler) { h.now = now }
}

// WithSecrets adds secrets that the Handler also accepts: a request signed with
// any of its secrets is authentic. During a rotation give it the new secret and
// the old one, in any order, until the old one's overlap is over (the webhook's
// previousSecretExpiresAt). NewHandler reports a secret that is not base64.
func WithSecrets(secrets ...string) Option {
	return func(h *Handler) { h.extra = append(h.extra, secrets...) }
}

// WithErrorFunc is called for every request not answered 200, with the status
// sent and the reason: a bad signature, a malformed body, or the error your
// function returned. Use it to log; the default does nothing.
func WithErrorFunc(fn func(r *http.Request, status int, err error)) Option {
	return func(h *Handler) { h.onError = fn }
}

// Handler is an http.Handler that verifies, decodes and hands each webhook to a
// function. Answers: 405 to anything but POST, 413 to a body over the limit,
// 400 with a one-line plain-text reason to a bad signature or body, 500 when the
// function returns an error (its text is not sent), 200 otherwise.
type Handler struct {
	signers   []*Signer // one per secret, in the order given
	extra     []string  // WithSecrets, decoded by NewHandler
	fn        func(context.Context, Event) error
	maxBody   int64
	mode      StandardMode
	tolerance time.Duration
	now       func() time.Time
	onError   func(*http.Request, int, error)
}

// NewHandler returns a Handler for a webhook's secret. fn gets the request's
// context (see DeliveryID) and the decoded event; returning an error answers
// 500, which makes hookcast retry the delivery. A secret that is not base64 is
// ErrInvalidSecret, reported here rather than on every request.
//
// secret may list several secrets separated by spaces or commas (base64 has
// neither), as may WithSecrets: during a secret rotation the receiver accepts
// the old and the new secret, so a rotation can be done by changing one
// environment variable, WEBHOOK_SECRET="new old", and later "new".
func NewHandler(secret string, fn func(ctx context.Context, e Event) error, opts ...Option) (*Handler, error) {
	if fn == nil {
		return nil, errors.New("webhook: NewHandler needs a function")
	}
	h := &Handler{fn: fn, maxBody: DefaultMaxBodyBytes, tolerance: DefaultTolerance, now: time.Now}
	for _, o := range opts {
		o(h)
	}
	secrets := splitSecrets(secret)
	for _, s := range h.extra {
		secrets = append(secrets, splitSecrets(s)...)
	}
	h.extra = nil
	if len(secrets) == 0 {
		return nil, fmt.Errorf("%w: empty", ErrInvalidSecret)
	}
	for i, sec := range secrets {
		s, err := NewSigner(sec)
		if err != nil {
			if len(secrets) > 1 {
				return nil, fmt.Errorf("secret %d of %d: %w", i+1, len(secrets), err)
			}
			return nil, err
		}
		h.signers = append(h.signers, s)
	}
	return h, nil
}

// splitSecrets splits a list of secrets separated by spaces or commas.
func splitSecrets(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || unicode.IsSpace(r) })
}

type deliveryIDKey struct{}

// DeliveryID returns the webhook-id of the request being handled when its
// Standard Webhooks signature was verified (it covers the id), else "". The id
// is the same on every retry of an event: use it to drop duplicates.
func DeliveryID(ctx context.Context) string {
	id, _ := ctx.Value(deliveryIDKey{}).(string)
	return id
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		h.fail(w, r, http.StatusMethodNotAllowed, fmt.Errorf("webhook: method %s not allowed, use POST", r.Method))
		return
	}
	body, err := h.readBody(w, r)
	if err != nil {
		status := http.StatusBadRequest
		if errors.As(err, new(*http.MaxBytesError)) {
			status = http.StatusRequestEntityTooLarge
		}
		h.fail(w, r, status, err)
		return
	}
	ctx := r.Context()
	if h.checkStandard(r.Header) {
		if err := h.verifyStandard(r.Header, body); err != nil {
			h.fail(w, r, http.StatusBadRequest, err)
			return
		}
		ctx = context.WithValue(ctx, deliveryIDKey{}, headerValue(r.Header, canonicalWebhookID))
	} else if err := h.verifyMillicast(r.Header.Get(HeaderSignature), body); err != nil {
		h.fail(w, r, http.StatusBadRequest, fmt.Errorf("%s: %w", HeaderSignature, err))
		return
	}
	ev, err := Decode(r.Header, body)
	if err != nil {
		h.fail(w, r, http.StatusBadRequest, err)
		return
	}
	if err := h.fn(ctx, ev); err != nil {
		h.fail(w, r, http.StatusInternalServerError, err)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// verifyMillicast accepts an X-Millicast-Signature made with any of the secrets.
func (h *Handler) verifyMillicast(sig string, body []byte) error {
	var err error
	for _, s := range h.signers {
		if err = s.VerifyMillicast(body, sig); !errors.Is(err, ErrSignatureMismatch) {
			return err // nil, or a problem no other secret can fix
		}
	}
	return err
}

// verifyStandard accepts a webhook-signature entry made with any of the secrets.
func (h *Handler) verifyStandard(hd http.Header, body []byte) error {
	now := h.now()
	var err error
	for _, s := range h.signers {
		if err = s.VerifyStandard(hd, body, now, h.tolerance); !errors.Is(err, ErrSignatureMismatch) {
			return err
		}
	}
	return err
}

func (h *Handler) checkStandard(hd http.Header) bool {
	switch h.mode {
	case StandardRequired:
		return true
	case StandardIgnored:
		return false
	}
	return headerValue(hd, canonicalWebhookSignature) != "" || headerValue(hd, canonicalWebhookID) != "" ||
		headerValue(hd, canonicalWebhookTimestamp) != ""
}

func (h *Handler) readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	if r.ContentLength > h.maxBody {
		return nil, fmt.Errorf("webhook: body of %d bytes: %w", r.ContentLength, &http.MaxBytesError{Limit: h.maxBody})
	}
	var buf bytes.Buffer
	if r.ContentLength > 0 {
		buf.Grow(int(r.ContentLength))
	}
	if _, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, h.maxBody)); err != nil {
		return nil, fmt.Errorf("webhook: read body: %w", err)
	}
	return buf.Bytes(), nil
}

// fail answers status with a one-line reason. The function's own error stays
// private (it may hold internals); the caller's mistakes are explained.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, status int, err error) {
	if h.onError != nil {
		h.onError(r, status, err)
	}
	msg := err.Error()
	if status == http.StatusInternalServerError {
		msg = "webhook receiver failed"
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	io.WriteString(w, msg+"\n")
}
