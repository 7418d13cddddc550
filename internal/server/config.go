package server

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/hookcast/hookcast/internal/cliflag"
	"github.com/hookcast/hookcast/internal/dashboard"
	"github.com/hookcast/hookcast/internal/thumbnail"
	"github.com/hookcast/hookcast/webhook"
)

// Config is everything `hookcast serve` can be told. Each flag can also be set from
// the environment as HOOKCAST_<NAME> (dashes become underscores); a flag given on
// the command line wins.
type Config struct {
	// Listen is the address of the HTTP server (API, ingest, dashboard). Default 127.0.0.1:8080.
	Listen string
	// DataDir holds the embedded SQLite store when Database is empty. Default ./hookcast-data.
	DataDir string
	// Database, when set to a postgres:// URL, selects PostgreSQL; several serve
	// processes may share one database.
	Database string
	// AdminToken and IngestToken are the bearer tokens of the admin and ingest APIs.
	// Empty: generated on first start, printed once, and kept (hashed) in the store.
	AdminToken  string
	IngestToken string
	// ViewerAttemptInterval is I of events.md (default 10s, minimum 1ms).
	ViewerAttemptInterval time.Duration
	// NoViewersDelay is D of events.md (default 60s, minimum 1ms).
	NoViewersDelay time.Duration
	// FeedTimeout ends a feed with no sign of life for this long (default 0: off).
	FeedTimeout time.Duration
	// AllowPrivateTargets lets webhooks point at loopback and private addresses
	// (local development and tests). Off, such targets are refused when saved and
	// again at dial time.
	AllowPrivateTargets bool
	// LogLevel is debug, info, warn or error (default info).
	LogLevel string
	// ThumbnailSource, when set, turns the built-in thumbnail capturer on: a URL
	// template ffmpeg reads a live stream from, with {name} (and optionally
	// {account}), e.g. rtmp://127.0.0.1/live/{name}. Needs ffmpeg on the PATH.
	ThumbnailSource string
	// ThumbnailInterval is the time between two thumbnails of a live stream
	// (default 30s, minimum 100ms).
	ThumbnailInterval time.Duration
	// MaxWebhooksPerAccount bounds the webhooks of one account (default 100);
	// creating one more is refused with a 409 that says so.
	MaxWebhooksPerAccount int
	// TestEventsPerMinute bounds POST /api/webhooks/test/{type} per account
	// (default 10); one more within the minute is a 429 with Retry-After.
	TestEventsPerMinute int
	// MediaMTXAPI, when set, is MediaMTX's control API (e.g. http://127.0.0.1:9997),
	// polled to repair feeds whose hooks were missed.
	MediaMTXAPI string
	// Retention is how long events, deliveries and attempts are kept (default
	// 720h; 0 keeps them forever). Pending deliveries are kept whatever their age.
	Retention time.Duration
	// ThumbnailRetention is how long image bodies (thumbnails) are kept (default
	// 24h; 0: as long as their event).
	ThumbnailRetention time.Duration
	// KeepUnwantedEvents stores events that no webhook wants (off: they are
	// applied to stream state but not written).
	KeepUnwantedEvents bool
	// PortalFrameAncestors are the origins (scheme://host[:port], comma
	// separated) whose pages may show the dashboard in a frame, for portal links
	// (POST /api/admin/accounts/{id}/portal). Empty: no page may frame it.
	PortalFrameAncestors string
	// IdempotencyWindow is how long signal ids, media and transcoder signals'
	// content and Idempotency-Key headers are remembered (default 24h; 0: not).
	IdempotencyWindow time.Duration
	// SecretOverlap is how long a webhook secret replaced by refreshSecret stays
	// valid, its signature sent beside the new one's in webhook-signature
	// (default 24h; 0: it stops at once; a call's secretOverlapSeconds wins).
	SecretOverlap time.Duration
	// EgressProxy, an http://, https:// or socks5:// URL, sends every delivery
	// through that forward proxy, so receivers can allow one address. Empty:
	// HTTPS_PROXY / HTTP_PROXY / NO_PROXY from the environment, if set. Unless
	// AllowPrivateTargets, targets are still checked (resolved, public only)
	// before they are handed to the proxy; the proxy must refuse private
	// destinations itself too (docs/webhooks-in-production.md).
	EgressProxy string
	// OperatorWebhookURL, when set, receives every operational event
	// (webhookDisabled, webhookEnabled, deliveryExhausted, secretExpiring) of
	// every account, signed with OperatorWebhookSecret (standard base64).
	OperatorWebhookURL    string
	OperatorWebhookSecret string
}

// ErrUsage marks configuration errors: the command prints them and exits with 2.
var ErrUsage = errors.New("usage")

// ErrHelp is returned by ParseConfig for -h and --help: print Usage, exit 0.
var ErrHelp = flag.ErrHelp

// serveSynopsis heads `hookcast serve -h`.
const serveSynopsis = `usage: hookcast serve [flags]

Runs hookcast: the REST API (/api/webhooks, Millicast's), the ingest API that
media servers call (/api/ingest/...), the dashboard, and the delivery of
webhooks. The first start creates the data directory and a default account and
prints the secrets you need, once.

Every flag can also be set in the environment, as the HOOKCAST_ variable shown
with it (e.g. HOOKCAST_ALLOW_PRIVATE_TARGETS=true); a flag on the command line
wins. Durations take a unit: 500ms, 10s, 2m, 1h.

flags:
`

// Usage writes the help of `hookcast serve`: synopsis, then every flag with its
// environment variable.
func Usage(w io.Writer) {
	var c Config
	io.WriteString(w, serveSynopsis)
	cliflag.PrintFlags(w, flags(&c), cliflag.EnvName)
}

// flags binds every serve flag to a field of c, with its default.
func flags(c *Config) *flag.FlagSet {
	fs := cliflag.New("serve")
	fs.StringVar(&c.Listen, "listen", "127.0.0.1:8080", "`host:port` of the HTTP server (REST API, ingest, dashboard)")
	fs.StringVar(&c.DataDir, "data-dir", "./hookcast-data", "`directory` of the embedded SQLite store (one serve per directory)")
	fs.StringVar(&c.Database, "database", "", "a postgres:// `URL`: use PostgreSQL instead of SQLite (several serve processes may share it)")
	fs.StringVar(&c.AdminToken, "admin-token", "", "bearer `token` of the admin API, at least 16 characters (default: generated on first start)")
	fs.StringVar(&c.IngestToken, "ingest-token", "", "bearer `token` of the ingest API, at least 16 characters (default: generated on first start)")
	cliflag.Duration(fs, &c.ViewerAttemptInterval, "viewer-attempt-interval", 10*time.Second, "at most one viewerAttempt webhook per stream in this time")
	cliflag.Duration(fs, &c.NoViewersDelay, "no-viewers-delay", 60*time.Second, "send noActiveViewers this long after the last viewer left")
	cliflag.Duration(fs, &c.FeedTimeout, "feed-timeout", 0, "end a feed that shows no sign of life for this long (0: never)")
	fs.BoolVar(&c.AllowPrivateTargets, "allow-private-targets", false, "let webhooks point at loopback and private addresses, e.g. http://127.0.0.1:9000/\n(local development and tests; off, such URLs are refused)")
	fs.StringVar(&c.LogLevel, "log-level", "info", "`level` of the log on stderr: debug, info, warn or error")
	fs.StringVar(&c.ThumbnailSource, "thumbnail-source", "", "`URL` template ffmpeg captures thumbnails from, e.g. rtmp://127.0.0.1/live/{name} (empty: off)")
	cliflag.Duration(fs, &c.ThumbnailInterval, "thumbnail-interval", 30*time.Second, "time between two thumbnails of a live stream")
	fs.IntVar(&c.MaxWebhooksPerAccount, "max-webhooks-per-account", 100, "webhooks one account may have")
	fs.IntVar(&c.TestEventsPerMinute, "test-events-per-minute", 10, "test event calls (POST /api/webhooks/test/{type}) one account may make a minute")
	fs.StringVar(&c.MediaMTXAPI, "mediamtx-api", "", "MediaMTX control API `URL` to poll for missed feeds, e.g. http://127.0.0.1:9997 (empty: off)")
	cliflag.Duration(fs, &c.Retention, "retention", 720*time.Hour, "keep events, deliveries and attempts this long (0: forever; pending deliveries always stay)")
	cliflag.Duration(fs, &c.ThumbnailRetention, "thumbnail-retention", 24*time.Hour, "keep thumbnail images this long (0: as long as their event)")
	cliflag.Duration(fs, &c.IdempotencyWindow, "idempotency-window", 24*time.Hour, "a signal id or Idempotency-Key seen again within this changes nothing (0: off)")
	cliflag.Duration(fs, &c.SecretOverlap, "secret-overlap", 24*time.Hour, "after a secret is renewed, the old one stays valid (a second webhook-signature) this long (0: not at all)")
	fs.StringVar(&c.EgressProxy, "egress-proxy", "", "forward proxy `URL` every delivery goes through, e.g. http://egress.internal:3128\n(empty: HTTPS_PROXY/HTTP_PROXY/NO_PROXY from the environment, if set)")
	fs.StringVar(&c.OperatorWebhookURL, "operator-webhook-url", "", "`URL` that receives every account's operational events (webhook disabled or re-enabled,\ndelivery given up, secret expiring), signed with --operator-webhook-secret (empty: none)")
	fs.StringVar(&c.OperatorWebhookSecret, "operator-webhook-secret", "", "`secret` (standard base64) the operator webhook's events are signed with")
	fs.BoolVar(&c.KeepUnwantedEvents, "keep-unwanted-events", false, "store events that no webhook wants (until retention removes them)")
	fs.StringVar(&c.PortalFrameAncestors, "portal-frame-ancestors", "", "`origins` whose pages may show the dashboard in a frame (portal links), comma separated,\ne.g. https://console.example.com (empty: none)")
	return fs
}

// ParseConfig reads flags from args and HOOKCAST_* variables from env. Its
// errors wrap ErrUsage and are one line; -h gives ErrHelp.
func ParseConfig(args []string, getenv func(string) string) (Config, error) {
	var c Config
	fs := flags(&c)
	// Environment first, so that flags on the command line override it.
	var envErr error
	fs.VisitAll(func(f *flag.Flag) {
		name := cliflag.EnvName(f.Name)
		if v := getenv(name); v != "" && envErr == nil {
			if err := f.Value.Set(v); err != nil {
				envErr = fmt.Errorf("%w: %s=%q: %v", ErrUsage, name, v, err)
			}
		}
	})
	if envErr != nil {
		return c, envErr
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return c, err
		}
		return c, fmt.Errorf("%w: %s", ErrUsage, cliflag.Message(err))
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("%w: unexpected argument %q", ErrUsage, fs.Arg(0))
	}
	return c, c.validate()
}

func (c Config) validate() error {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrUsage}, a...)...)
	}
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		return bad("--listen %q: want host:port (e.g. 127.0.0.1:8080)", c.Listen)
	}
	if c.Database != "" && !strings.HasPrefix(c.Database, "postgres://") && !strings.HasPrefix(c.Database, "postgresql://") {
		return bad("--database: want a postgres:// URL (leave it empty for the embedded SQLite store)")
	}
	if c.Database == "" && c.DataDir == "" {
		return bad("--data-dir must not be empty")
	}
	if c.ViewerAttemptInterval < time.Millisecond {
		return bad("--viewer-attempt-interval must be at least 1ms")
	}
	if c.NoViewersDelay < time.Millisecond {
		return bad("--no-viewers-delay must be at least 1ms")
	}
	if c.FeedTimeout < 0 {
		return bad("--feed-timeout must not be negative")
	}
	if c.MaxWebhooksPerAccount < 1 {
		return bad("--max-webhooks-per-account must be at least 1")
	}
	if c.TestEventsPerMinute < 1 {
		return bad("--test-events-per-minute must be at least 1")
	}
	if c.Retention < 0 || c.ThumbnailRetention < 0 || c.IdempotencyWindow < 0 {
		return bad("--retention, --thumbnail-retention and --idempotency-window must not be negative")
	}
	if c.SecretOverlap < 0 || c.SecretOverlap > 30*24*time.Hour {
		return bad("--secret-overlap must be from 0 to 720h")
	}
	if c.ThumbnailSource != "" {
		if err := thumbnail.CheckSource(c.ThumbnailSource); err != nil {
			return bad("--thumbnail-source: %v", err)
		}
		if c.ThumbnailInterval < 100*time.Millisecond {
			return bad("--thumbnail-interval must be at least 100ms")
		}
	}
	if c.MediaMTXAPI != "" {
		if u, err := url.Parse(c.MediaMTXAPI); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return bad("--mediamtx-api %q: want an http:// URL such as http://127.0.0.1:9997", c.MediaMTXAPI)
		}
	}
	if c.OperatorWebhookURL != "" {
		if u, err := url.Parse(c.OperatorWebhookURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return bad("--operator-webhook-url %q: want an http:// or https:// URL", c.OperatorWebhookURL)
		}
		if _, err := webhook.NewSigner(c.OperatorWebhookSecret); err != nil {
			return bad("--operator-webhook-secret: required with --operator-webhook-url, standard base64 (e.g. openssl rand -base64 32)")
		}
	}
	if _, err := c.EgressProxyURL(); err != nil {
		return bad("--egress-proxy: %v", err)
	}
	if _, err := dashboard.ParseFrameAncestors(c.PortalFrameAncestors); err != nil {
		return bad("--portal-frame-ancestors: %v", err)
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return bad("--log-level %q: want debug, info, warn or error", c.LogLevel)
	}
	for _, t := range []struct{ name, v string }{{"--admin-token", c.AdminToken}, {"--ingest-token", c.IngestToken}} {
		if t.v != "" && len(t.v) < 16 {
			return bad("%s must be at least 16 characters", t.name)
		}
	}
	return nil
}

// EgressProxyURL is EgressProxy parsed; nil when empty.
func (c Config) EgressProxyURL() (*url.URL, error) {
	if c.EgressProxy == "" {
		return nil, nil
	}
	u, err := url.Parse(c.EgressProxy)
	if err != nil || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
		return nil, fmt.Errorf("want a proxy URL such as http://egress.internal:3128")
	}
	switch u.Scheme {
	case "http", "https", "socks5", "socks5h":
	default:
		return nil, fmt.Errorf("scheme %q: want http, https or socks5", u.Scheme)
	}
	return u, nil
}

// Getenv is os.Getenv, named for callers of ParseConfig.
var Getenv = os.Getenv
