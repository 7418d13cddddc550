// Package api is hookcast's REST API: the Millicast-compatible /api/webhooks, the
// delivery log, the admin API and the OpenAPI document that describes them.
//
// Where Millicast's reference leaves room, this package decides:
//   - Request members match case-insensitively (ASP.NET does); null means absent.
//   - A webhook's "disabled" is always present: null, or {until, reason}.
//   - A path id that is not a positive integer names nothing: 404, like a missing row.
//   - itemCount is 1 to 100 (default 10); anything else is a 400, never a silent cap.
//   - The delivery log pages newest first by beforeId; its data carries nextBeforeId.
//   - Every request is validated whole before anything is written.
//
// It is lenient only where Millicast's own clients need it (docs/millicast-clients.md):
// one trailing slash on any /api/ path, isClipHooks kept, item_count for itemCount,
// query booleans True/False/1/0, filter null clearing the filter, and the test
// endpoint's streamName/transcoderName. Any other unknown member is still a 400.
package api

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/hookcast/hookcast/internal/auth"
	"github.com/hookcast/hookcast/internal/engine"
	"github.com/hookcast/hookcast/internal/store"
)

// Deps is what the API needs from the rest of the service.
type Deps struct {
	// Store keeps accounts, secrets, webhooks and the delivery log. Required.
	Store Store
	// Secrets maps an API secret to its account (the dashboard's sign-in asks
	// the same one). Required.
	Secrets *auth.Secrets
	// AdminToken checks the bearer token of /api/admin/* (in constant time: see
	// httpx.TokenChecker). Nil: the admin API refuses everyone.
	AdminToken func(presented string) bool
	// AllowPrivateTargets lets webhooks point at loopback and private addresses
	// (local development and tests). Off, such URLs are refused when saved.
	AllowPrivateTargets bool
	// WebhookEnabled, when set, is told of a disabled webhook re-enabled by an
	// update (reEnable, or a new URL), once stored: operational events.
	WebhookEnabled func(w store.Webhook)
	// SecretOverlap is how long a secret replaced by refreshSecret stays valid
	// (its deliveries carry a second webhook-signature entry) unless the call
	// gives secretOverlapSeconds. 0: none (serve's --secret-overlap, default 24h).
	SecretOverlap time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Logger receives server-side failures (default: discarded). Never secrets.
	Logger *slog.Logger

	// SubmitTest commits test events (POST /api/webhooks/test/{type}) with one
	// delivery for every webhook of the event's account that has its type
	// enabled, whatever their filters (commit.Committer.SubmitTest). Nil: that route
	// answers 501.
	SubmitTest func(ctx context.Context, evs []store.Event) error
	// Streams returns the live view of the account's streams, the data of GET
	// /api/streams. Nil: 501.
	Streams func(ctx context.Context, accountID string) ([]engine.StreamView, error)
	// Wake is called after a resend made deliveries due, so that the
	// dispatcher's poller claims them at once rather than at its next tick (the
	// poller is their one way in). May be nil.
	Wake func()
	// MaxWebhooks bounds the webhooks of one account (0: 100); creating one
	// more is a 409 that says so.
	MaxWebhooks int
	// TestsPerMinute bounds the test event calls of one account in any minute
	// (0: 10); one more is a 429 with Retry-After.
	TestsPerMinute int
	// Thumbnail asks for an on-demand thumbnail of a live stream. It may fail with
	// store.ErrNotFound (no such live stream: 404) or ErrRateLimited (429). Nil: 501.
	Thumbnail func(ctx context.Context, accountID, streamName, tokenID string) error
	// Session, when set, authenticates a request without a bearer token by its
	// dashboard session (cookie, and the CSRF header for unsafe methods). A
	// read-only session (a read-only portal link) may only read: anything else
	// is a 403.
	Session func(r *http.Request) (accountID string, readOnly, ok bool)
	// SessionRefusal, when set, says why a request without a bearer token that
	// Session refused is refused, when the answer may say so (a session cookie
	// without the CSRF token): 401 with that text. Empty: the generic 401.
	SessionRefusal func(r *http.Request) string
}

// API serves the REST API. Build it with New; it is safe for concurrent use.
type API struct {
	d   Deps
	log *slog.Logger
	mux *http.ServeMux
	// createMu makes counting an account's webhooks and creating one a single
	// step within this process (quota.go).
	createMu sync.Mutex
	tests    windowLimiter
}

// access says who may call a route.
type access int

const (
	authNone    access = iota // public (the OpenAPI document)
	authAccount               // an account's API secret
	authAdmin                 // the admin token
)

// handler answers one request of an authenticated account (empty for admin and
// public routes) with the data of a success envelope, or an error.
type handler func(r *http.Request, accountID string) (any, error)

type route struct {
	method, path string
	auth         access
	h            handler
	raw          http.HandlerFunc // instead of h, for answers that are not envelopes
}

// routes is every route of the API. The OpenAPI test checks it against the document.
func (a *API) routes() []route {
	return []route{
		{method: "GET", path: "/api/openapi.json", auth: authNone, raw: serveOpenAPI},

		{method: "GET", path: "/api/webhooks/list", auth: authAccount, h: a.listWebhooks},
		{method: "POST", path: "/api/webhooks", auth: authAccount, h: a.createWebhook},
		{method: "GET", path: "/api/webhooks/{webhookId}", auth: authAccount, h: a.getWebhook},
		{method: "PUT", path: "/api/webhooks/{webhookId}", auth: authAccount, h: a.updateWebhook},
		{method: "DELETE", path: "/api/webhooks/{webhookId}", auth: authAccount, h: a.deleteWebhook},
		{method: "POST", path: "/api/webhooks/test/{webhookType}", auth: authAccount, h: a.testWebhook},

		{method: "GET", path: "/api/deliveries", auth: authAccount, h: a.listDeliveries},
		{method: "GET", path: "/api/deliveries/{deliveryId}", auth: authAccount, h: a.getDelivery},
		{method: "POST", path: "/api/deliveries/{deliveryId}/resend", auth: authAccount, h: a.resendOne},
		{method: "POST", path: "/api/deliveries/resend", auth: authAccount, h: a.resendMany},
		{method: "GET", path: "/api/stats", auth: authAccount, h: a.getStats},
		{method: "GET", path: "/api/streams", auth: authAccount, h: a.streams},
		{method: "POST", path: "/api/thumbnails", auth: authAccount, h: a.thumbnail},

		{method: "POST", path: "/api/admin/accounts", auth: authAdmin, h: a.createAccount},
		{method: "GET", path: "/api/admin/accounts", auth: authAdmin, h: a.listAccounts},
		{method: "POST", path: "/api/admin/accounts/{accountId}/secrets", auth: authAdmin, h: a.addSecret},
		{method: "GET", path: "/api/admin/accounts/{accountId}/secrets", auth: authAdmin, h: a.listSecrets},
		{method: "DELETE", path: "/api/admin/accounts/{accountId}/secrets/{secretId}", auth: authAdmin, h: a.revokeSecret},
		{method: "POST", path: "/api/admin/accounts/{accountId}/portal", auth: authAdmin, h: a.createPortal},
	}
}

// New builds the API.
func New(d Deps) *API {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.MaxWebhooks <= 0 {
		d.MaxWebhooks = 100
	}
	if d.TestsPerMinute <= 0 {
		d.TestsPerMinute = 10
	}
	log := d.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	a := &API{d: d, log: log, mux: http.NewServeMux(), tests: windowLimiter{n: d.TestsPerMinute, per: time.Minute}}
	for _, rt := range a.routes() {
		a.mux.Handle(rt.method+" "+rt.path, a.wrap(rt))
	}
	return a
}

// Handler serves every route under /api/ that this package owns. Unknown paths
// and wrong methods get the error envelope (404, 405 with Allow) too.
func (a *API) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h, pattern := a.mux.Handler(r)
		if pattern == "" {
			// The mux's own 404/405 (or a redirect): keep its status and headers,
			// replace its plain-text body with the envelope.
			h.ServeHTTP(&envelopeWriter{ResponseWriter: w, r: r}, r)
			return
		}
		a.mux.ServeHTTP(w, r)
	})
}

func (a *API) wrap(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, maxBody)
		var acct string
		switch rt.auth {
		case authAccount:
			id, err := a.Authenticate(r)
			if err != nil {
				a.writeErr(w, r, err)
				return
			}
			acct = id
		case authAdmin:
			if err := a.authenticateAdmin(r); err != nil {
				a.writeErr(w, r, err)
				return
			}
		}
		if rt.raw != nil {
			rt.raw(w, r)
			return
		}
		data, err := rt.h(r, acct)
		if err != nil {
			a.writeErr(w, r, err)
			return
		}
		writeSuccess(w, data)
	})
}

// envelopeWriter turns the mux's plain-text errors into error envelopes.
type envelopeWriter struct {
	http.ResponseWriter
	r        *http.Request
	written  bool
	replaced bool
}

func (e *envelopeWriter) WriteHeader(code int) {
	if e.written {
		return
	}
	e.written = true
	if code < 400 {
		e.ResponseWriter.WriteHeader(code)
		return
	}
	e.replaced = true
	msg := http.StatusText(code)
	switch code {
	case http.StatusNotFound:
		msg = "no such route: " + e.r.Method + " " + e.r.URL.Path
	case http.StatusMethodNotAllowed:
		msg = "method " + e.r.Method + " not allowed here; allowed: " + e.Header().Get("Allow")
	}
	writeErrorCode(e.ResponseWriter, code, msg)
}

func (e *envelopeWriter) Write(b []byte) (int, error) {
	if !e.written {
		e.WriteHeader(http.StatusOK)
	}
	if e.replaced {
		return len(b), nil // the mux's plain-text error body, already replaced
	}
	return e.ResponseWriter.Write(b)
}

// TrailingSlash lets every /api/... route answer with or without one trailing
// slash: Dolby's Node client adds webhooks with POST /api/webhooks/, and
// Millicast's ASP.NET routing ignores the slash. It wraps the whole router (the
// ingest routes are under /api/ too), so no route needs a second pattern. Only
// one slash is taken off: /api/webhooks// still names nothing.
func TrailingSlash(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		if len(p) > len("/api/") && strings.HasPrefix(p, "/api/") && strings.HasSuffix(p, "/") {
			u := *r.URL
			u.Path = p[:len(p)-1]
			u.RawPath = strings.TrimSuffix(u.RawPath, "/")
			r = r.WithContext(r.Context()) // a shallow copy, so the caller's request is left alone
			r.URL = &u
		}
		next.ServeHTTP(w, r)
	})
}
