// Package dashboard serves hookcast's web pages (plain HTML, CSS and JavaScript
// embedded in the binary) and the browser sessions that let those pages call the
// REST API without handling the API secret after sign-in.
package dashboard

import (
	"context"
	"crypto/rand"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/hookcast/hookcast/internal/engine"
	"github.com/hookcast/hookcast/internal/store"
)

// Defaults of Deps.
const (
	// DefaultSessionTTL is how long a sign-in lasts.
	DefaultSessionTTL = 12 * time.Hour
	// DefaultStreamsInterval is how often /dashboard/events looks at the streams.
	DefaultStreamsInterval = time.Second
	// DefaultStreamWriteTimeout, DefaultMaxStreamsPerSession and
	// DefaultMaxStreamsPerAccount are the defaults of the Deps fields.
	DefaultStreamWriteTimeout   = 10 * time.Second
	DefaultMaxStreamsPerSession = 4
	DefaultMaxStreamsPerAccount = 20
)

// Deps is what the dashboard needs from the rest of the service.
type Deps struct {
	// Authenticate maps an API secret to its account (sign-in; wire it to
	// auth.Secrets.Account). A wrong secret is an error wrapping
	// auth.ErrUnauthorized or store.ErrNotFound (401); one wrapping
	// store.ErrUnavailable is a 503; anything else a 500. Required.
	Authenticate func(ctx context.Context, apiSecret string) (accountID string, err error)
	// SessionKey signs session cookies; the same on every replica, at least 32
	// bytes. Empty: a random key, so sessions end when the process does.
	SessionKey []byte
	// Streams is the live view of an account's streams (for server-sent events).
	// Nil: the Streams page shows none.
	Streams func(ctx context.Context, accountID string) ([]engine.StreamView, error)
	Logger  *slog.Logger

	// AccountBySecretHash, when set, is asked on every request whether the API
	// secret a session was signed in with is still live (by auth.HashSecret), so
	// revoking a secret ends its sessions at once rather than at their expiry.
	// Wire it to auth.Secrets.AccountByHash. Optional.
	AccountBySecretHash func(ctx context.Context, hash []byte) (accountID string, err error)
	// Events, when set, gives the latest events of the account for the Streams
	// page (newest first). Wire it to store.Store.ListEvents. Optional.
	Events func(ctx context.Context, q store.EventQuery) ([]store.Event, error)
	// Now is the clock (default time.Now); tests move it to expire sessions.
	Now func() time.Time
	// SessionTTL is how long a sign-in lasts. Default DefaultSessionTTL (12 h).
	SessionTTL time.Duration
	// StreamsInterval is how often /dashboard/events looks for changes. Default
	// DefaultStreamsInterval (1 s); minimum 50 ms.
	StreamsInterval time.Duration
	// StreamWriteTimeout is how long one message of /dashboard/events may wait
	// for the client to take it before the stream ends (default 10 s).
	StreamWriteTimeout time.Duration
	// MaxStreamsPerSession and MaxStreamsPerAccount cap the open
	// /dashboard/events streams (defaults 4 and 20); more are refused with 429.
	MaxStreamsPerSession int
	MaxStreamsPerAccount int
	// TakePortalToken trades a portal link's token (by its SHA-256) for its
	// account, once (store.Store.TakePortalToken). Nil: portal links do not work.
	TakePortalToken func(ctx context.Context, hash []byte, now time.Time) (store.PortalToken, error)
	// FrameAncestors are the origins that may show the dashboard in a frame
	// (serve --portal-frame-ancestors, checked by ParseFrameAncestors). Empty:
	// no page may frame it.
	FrameAncestors []string
}

// Dashboard serves "/", "/assets/…" and "/dashboard/…". Build it with New; it is
// safe for concurrent use.
type Dashboard struct {
	d       Deps
	log     *slog.Logger
	key     []byte
	limiter *loginLimiter

	stopOnce sync.Once
	stop     chan struct{} // closed by Shutdown: event streams end

	liveMu sync.Mutex
	views  map[string]*liveView // per account, while someone watches
	open   map[string]int       // live streams per "a:"+account and "s:"+session
}

// New returns the dashboard.
func New(d Deps) *Dashboard {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.SessionTTL <= 0 {
		d.SessionTTL = DefaultSessionTTL
	}
	if d.StreamsInterval <= 0 {
		d.StreamsInterval = DefaultStreamsInterval
	}
	d.StreamsInterval = max(d.StreamsInterval, 50*time.Millisecond)
	if d.StreamWriteTimeout <= 0 {
		d.StreamWriteTimeout = DefaultStreamWriteTimeout
	}
	if d.MaxStreamsPerSession <= 0 {
		d.MaxStreamsPerSession = DefaultMaxStreamsPerSession
	}
	if d.MaxStreamsPerAccount <= 0 {
		d.MaxStreamsPerAccount = DefaultMaxStreamsPerAccount
	}
	log := d.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	key := d.SessionKey
	if len(key) == 0 {
		key = make([]byte, 32)
		_, _ = rand.Read(key) // crypto/rand.Read never fails (Go 1.24+)
	}
	return &Dashboard{
		d: d, log: log, key: key,
		limiter: newLoginLimiter(d.Now),
		stop:    make(chan struct{}),
		views:   map[string]*liveView{},
		open:    map[string]int{},
	}
}

// Register adds the dashboard routes to mux.
func (d *Dashboard) Register(mux *http.ServeMux) {
	mux.Handle("GET /{$}", d.secure(http.HandlerFunc(d.serveIndex)))
	mux.Handle("GET /assets/", d.secure(http.HandlerFunc(d.serveAsset)))
	mux.Handle("POST /dashboard/login", d.secure(http.HandlerFunc(d.login)))
	mux.Handle("POST /dashboard/portal", d.secure(http.HandlerFunc(d.portal)))
	mux.Handle("POST /dashboard/logout", d.secure(http.HandlerFunc(d.logout)))
	mux.Handle("GET /dashboard/session", d.secure(http.HandlerFunc(d.session)))
	mux.Handle("GET /dashboard/events", d.secure(http.HandlerFunc(d.events)))
}

// Shutdown ends every open event stream, so that http.Server.Shutdown (which
// waits for handlers to return) is not held up by browsers left on the Streams
// page. Register it with http.Server.RegisterOnShutdown. Safe to call twice.
func (d *Dashboard) Shutdown() {
	d.stopOnce.Do(func() { close(d.stop) })
}

// secure sets the headers every dashboard answer carries: nothing is loaded from
// anywhere but this origin, no page but those of Deps.FrameAncestors may frame
// the dashboard, no sniffing.
func (d *Dashboard) secure(h http.Handler) http.Handler {
	csp := contentSecurityPolicy + "'none'"
	if len(d.d.FrameAncestors) > 0 {
		csp = contentSecurityPolicy + "'self' " + strings.Join(d.d.FrameAncestors, " ")
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", csp)
		if len(d.d.FrameAncestors) == 0 {
			// For browsers without CSP frame-ancestors; it cannot list origins.
			hd.Set("X-Frame-Options", "DENY")
		}
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "same-origin")
		hd.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.ServeHTTP(w, r)
	})
}

// contentSecurityPolicy allows this origin only; the frame-ancestors sources
// follow (secure). Images may also be data: URLs: the delivery detail shows a
// thumbnail event's JPEG that way.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; " +
	"img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; " +
	"base-uri 'none'; form-action 'self'; frame-ancestors "
