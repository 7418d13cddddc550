// Package ingest is where signals enter hookcast: the generic signal API and one
// adapter per media server, each turning callbacks into engine signals that the
// committer (internal/commit) commits before the media server gets its answer.
package ingest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/hookcast/hookcast/internal/commit"
	"github.com/hookcast/hookcast/internal/engine"
	"github.com/hookcast/hookcast/internal/httpx"
	"github.com/hookcast/hookcast/internal/store"
)

// MaxBody caps a signal request (a batch of MaxBatch signals fits well within it).
const MaxBody = 1 << 20

// Submitter commits signals and says how many events they produced; the
// committer implements it.
type Submitter interface {
	Submit(ctx context.Context, sigs []engine.Signal) (events int, err error)
}

// Result is the data of every ingest answer: how many signals were accepted and
// how many events (webhooks to send) they produced. Events 0 with signals
// accepted is no error: a heartbeat, a second feed.started for a stream already
// live. Ignored says why a media server's callback carried nothing to report.
type Result struct {
	Accepted int    `json:"accepted"`
	Events   int    `json:"events"`
	Ignored  string `json:"ignored,omitempty"`
}

// KeyedSubmitter commits signals under a request's Idempotency-Key; the
// committer implements it.
type KeyedSubmitter interface {
	SubmitKeyed(ctx context.Context, sigs []engine.Signal, key string) (commit.Outcome, error)
}

// maxIdempotencyKey bounds the Idempotency-Key header.
const maxIdempotencyKey = 255

// Accounts tells whether an account exists, so a signal for an account nobody
// created is refused instead of producing events nobody can receive.
type Accounts interface {
	AccountExists(ctx context.Context, id string) (bool, error)
}

// Handler serves the ingest routes under /api/ingest/.
type Handler struct {
	// Token checks a presented ingest token (in constant time).
	Token  func(presented string) bool
	Submit Submitter
	// Keyed commits a POST /api/ingest/signals that carries an Idempotency-Key.
	// Nil: the header is refused rather than ignored (a client relying on it must
	// know that a retry would not be recognised).
	Keyed    KeyedSubmitter
	Accounts Accounts
	// DefaultAccount is used by adapters for media-server paths without an account.
	DefaultAccount string
	Logger         *slog.Logger
	// Events stores prepared events (POST /api/ingest/thumbnails). Nil: that
	// route answers 501.
	Events EventSubmitter
	// Now is the clock of the adapters (default time.Now).
	Now func() time.Time
}

// Register adds the ingest routes to mux, all behind the ingest token.
func (h *Handler) Register(mux *http.ServeMux) {
	for pattern, fn := range h.routes() {
		mux.Handle(pattern, h.auth(http.HandlerFunc(fn)))
	}
}

// Routes lists the patterns Register serves (the OpenAPI document is checked
// against it).
func (h *Handler) Routes() []string {
	var out []string
	for pattern := range h.routes() {
		out = append(out, pattern)
	}
	return out
}

func (h *Handler) routes() map[string]http.HandlerFunc {
	return map[string]http.HandlerFunc{
		"POST /api/ingest/signals":         h.signals,
		"POST /api/ingest/nginx-rtmp":      h.nginxRTMP,
		"POST /api/ingest/mediamtx/auth":   h.mediamtxAuth,
		"POST /api/ingest/mediamtx/{hook}": h.mediamtxHook,
		"POST /api/ingest/srs":             h.srs,
		"POST /api/ingest/thumbnails":      h.thumbnails,
	}
}

// auth accepts the ingest token as a bearer header or, for media servers that
// cannot send headers (nginx-rtmp), as a `token` query parameter.
func (h *Handler) auth(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok := httpx.BearerToken(r)
		if tok == "" {
			tok = r.URL.Query().Get("token")
		}
		if tok == "" || !h.Token(tok) {
			httpx.Error(w, http.StatusUnauthorized, "missing or wrong ingest token (serve prints it on its first start; --ingest-token sets it)")
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (h *Handler) signals(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			httpx.Error(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("body larger than %d bytes", MaxBody))
			return
		}
		httpx.Error(w, http.StatusBadRequest, "could not read body")
		return
	}
	key := r.Header.Get("Idempotency-Key")
	keyed := h.Keyed != nil
	if _, given := r.Header["Idempotency-Key"]; given && (!validKey(key) || !keyed) {
		httpx.Fail(w, map[string]string{"Idempotency-Key": fmt.Sprintf(
			"must be 1 to %d printable ASCII characters", maxIdempotencyKey)})
		return
	}
	sigs, err := DecodeSignals(body)
	if err != nil {
		httpx.Fail(w, signalFail(err))
		return
	}
	if err := h.checkAccounts(r.Context(), sigs); err != nil {
		if errors.Is(err, errUnknownAccount) {
			httpx.Fail(w, map[string]string{"signals": err.Error()})
			return
		}
		h.unavailable(w, err)
		return
	}
	if keyed {
		out, err := h.Keyed.SubmitKeyed(r.Context(), sigs, key)
		if err != nil {
			h.unavailable(w, err)
			return
		}
		if out.Replayed {
			w.Header().Set("Idempotent-Replayed", "true")
		}
		httpx.Success(w, Result{Accepted: out.Accepted, Events: out.Events})
		return
	}
	events, err := h.Submit.Submit(r.Context(), sigs)
	if err != nil {
		h.unavailable(w, err)
		return
	}
	httpx.Success(w, Result{Accepted: len(sigs), Events: events})
}

// validKey accepts what RFC 9110 allows in a header value that is also safe
// to show: printable ASCII, no more than maxIdempotencyKey of it.
func validKey(k string) bool {
	if k == "" || len(k) > maxIdempotencyKey {
		return false
	}
	for i := 0; i < len(k); i++ {
		if k[i] < 0x20 || k[i] > 0x7e {
			return false
		}
	}
	return true
}

var errUnknownAccount = errors.New("no such account")

func (h *Handler) checkAccounts(ctx context.Context, sigs []engine.Signal) error {
	seen := map[string]bool{}
	for i := range sigs {
		id := sigs[i].AccountID
		if seen[id] {
			continue
		}
		ok, err := h.Accounts.AccountExists(ctx, id)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("signal %d: accountId: %w: %q", i, errUnknownAccount, id)
		}
		seen[id] = true
	}
	return nil
}

// unavailable answers 503 so a media server sees an error, never a false OK, when
// nothing was committed.
func (h *Handler) unavailable(w http.ResponseWriter, err error) {
	if h.Logger != nil {
		h.Logger.Error("ingest not committed", "err", err)
	}
	msg := "signals not stored, try again"
	if errors.Is(err, store.ErrUnavailable) {
		msg = "database unavailable, try again"
	}
	w.Header().Set("Retry-After", "1")
	httpx.Error(w, http.StatusServiceUnavailable, msg)
}

// signalFail turns a decoding error into the fail envelope's {field: reason}, the
// field written as a path into the body: "signals[3].name".
func signalFail(err error) map[string]string {
	var se *DecodeError
	if !errors.As(err, &se) {
		return map[string]string{"signals": err.Error()}
	}
	key := "signals"
	if se.Index >= 0 {
		key += fmt.Sprintf("[%d]", se.Index)
	}
	if se.Field != "" {
		key += "." + se.Field
	}
	return map[string]string{key: se.Reason}
}
