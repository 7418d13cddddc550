// Package server runs hookcast: it opens the store, wires ingest → commit →
// delivery and the API behind one HTTP server, and stops gracefully.
package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/hookcast/hookcast/internal/api"
	"github.com/hookcast/hookcast/internal/auth"
	"github.com/hookcast/hookcast/internal/commit"
	"github.com/hookcast/hookcast/internal/dashboard"
	"github.com/hookcast/hookcast/internal/delivery"
	"github.com/hookcast/hookcast/internal/engine"
	"github.com/hookcast/hookcast/internal/httpx"
	"github.com/hookcast/hookcast/internal/ingest"
	"github.com/hookcast/hookcast/internal/netguard"
	"github.com/hookcast/hookcast/internal/operational"
	"github.com/hookcast/hookcast/internal/retention"
	"github.com/hookcast/hookcast/internal/store"
	"github.com/hookcast/hookcast/internal/thumbnail"
)

// Server is one running hookcast process.
type Server struct {
	cfg      Config
	st       store.Store
	log      *slog.Logger
	pipe     *commit.Committer
	disp     *delivery.Dispatcher
	handler  http.Handler
	mux      *http.ServeMux
	dash     *dashboard.Dashboard
	ingest   *ingest.Handler
	metrics  *metrics
	Firsts   Firsts // what this start generated (shown once)
	Default  string // the default account
	version  string
	listener net.Listener
	lock     *dirLock // the SQLite data directory's (nil on PostgreSQL)
	owner    string   // this replica's name on the delivery leases it takes
	// background work besides the committer and the dispatcher (thumbnail
	// capturer, MediaMTX poller), run by Run.
	workers []func(context.Context) error
}

// New opens the store and builds every part; nothing runs until Run.
func New(ctx context.Context, cfg Config, version string, logw io.Writer) (*Server, error) {
	s := &Server{cfg: cfg, log: newLogger(cfg.LogLevel, logw), version: version}
	if err := s.openStore(ctx); err != nil {
		return nil, err
	}
	built := false
	defer func() {
		if !built {
			s.listener.Close()
			s.st.Close()
			s.lock.release()
		}
	}()
	firsts, def, adminTok, ingestTok, err := bootstrap(ctx, s.st, cfg, time.Now())
	if err != nil {
		return nil, err
	}
	s.Firsts, s.Default = firsts, def
	if s.metrics, err = newMetrics(ctx, s.st); err != nil {
		return nil, err
	}
	s.workers = append(s.workers, s.metrics.run)
	ops, err := s.buildDelivery()
	if err != nil {
		return nil, err
	}
	if err := s.buildHTTP(ctx, ops, adminTok, ingestTok); err != nil {
		return nil, err
	}
	built = true
	return s, nil
}

// openStore binds the listener, opens the store (locking a SQLite data
// directory first) and frees the delivery leases a previous run left. On
// failure nothing stays open.
func (s *Server) openStore(ctx context.Context) error {
	// Bind first: a port in use must not leave a new data directory behind.
	ln, err := net.Listen("tcp", s.cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", s.cfg.Listen, err)
	}
	var lock *dirLock
	if !s.cfg.IsPostgres() {
		if lock, err = lockDataDir(s.cfg.DataDir); err != nil {
			ln.Close()
			return err
		}
	}
	o, err := openStore(ctx, s.cfg)
	if err != nil {
		ln.Close()
		lock.release()
		return err
	}
	// A stable name per replica (host and address), so that a restarted
	// replica frees the leases its previous run left rather than wait for them
	// to run out (60 s).
	owner := hostname() + "@" + ln.Addr().String()
	n, err := o.freeStale(ctx, owner)
	if err != nil {
		ln.Close()
		o.Close()
		lock.release()
		return fmt.Errorf("release leases of a previous run: %w", err)
	}
	if n > 0 {
		s.log.Info("released deliveries leased by a previous run", "count", n)
	}
	s.listener, s.lock, s.st, s.owner = ln, lock, o.Store, owner
	return nil
}

// buildDelivery builds what turns signals into committed events and sends
// them: the engine and committer, the dispatcher, operational events and the
// pruner.
func (s *Server) buildDelivery() (*operational.Notifier, error) {
	cfg, log := s.cfg, s.log
	eng := engine.New(engine.Config{
		ViewerAttemptInterval: cfg.ViewerAttemptInterval,
		NoViewersDelay:        cfg.NoViewersDelay,
		FeedTimeout:           cfg.FeedTimeout,
	})
	proxy, err := cfg.EgressProxyURL()
	if err != nil {
		return nil, err
	}
	ops, err := operational.New(s.st, operational.Options{
		OperatorURL:    cfg.OperatorWebhookURL,
		OperatorSecret: cfg.OperatorWebhookSecret,
		Wake:           func() { s.disp.Wake() }, // the dispatcher reports to ops: built next
		Logger:         log.With("part", "operational"),
		Count:          func(ev string) { s.metrics.operational.WithLabelValues(ev).Inc() },
	})
	if err != nil {
		return nil, err
	}
	s.workers = append(s.workers, ops.Run)
	s.disp = delivery.New(s.st, delivery.Options{
		Owner: s.owner,
		// Idle connections per host up to the dispatcher's global worker limit:
		// many webhooks often share one host (paths of one customer's backend),
		// and fewer idle slots than attempts in flight means a new TCP (and TLS)
		// connection for most attempts.
		Client: netguard.NewClient(netguard.ClientOptions{AllowPrivate: cfg.AllowPrivateTargets, MaxIdleConnsPerHost: 256,
			Proxy: proxy, ProxyFromEnvironment: true}),
		UserAgent:      "hookcast/" + s.version,
		Logger:         log.With("part", "delivery"),
		Metrics:        s.metrics,
		Reports:        ops,
		RecordInterval: recordInterval(cfg.IsPostgres()),
	})
	committers := 1
	if cfg.IsPostgres() {
		committers = 4
	}
	s.pipe = commit.New(s.st, eng, commit.Options{
		Lease:             s.disp.Lease,
		Handoff:           s.disp.Handoff,
		Committers:        committers,
		Logger:            log.With("part", "commit"),
		Observe:           s.metrics.commitObserved,
		KeepUnwanted:      cfg.KeepUnwantedEvents,
		IdempotencyWindow: cfg.IdempotencyWindow,
	})
	pruner := retention.New(s.st, retention.Options{
		Retention:      cfg.Retention,
		ImageRetention: cfg.ThumbnailRetention,
		KeyWindow:      cfg.IdempotencyWindow,
		Observe:        s.metrics.pruneObserved,
		Turn:           s.pipe.WhenIdle,
		Logger:         log.With("part", "retention"),
	})
	s.workers = append(s.workers, pruner.Run)
	return ops, nil
}

// buildHTTP builds the HTTP surface: the dashboard, the REST API and ingest,
// which all authenticate through one auth.Secrets, plus the thumbnail
// capturer and MediaMTX poller they feed.
func (s *Server) buildHTTP(ctx context.Context, ops *operational.Notifier, adminTok, ingestTok auth.Token) error {
	cfg, log, st := s.cfg, s.log, s.st
	key, err := sessionKey(ctx, st)
	if err != nil {
		return err
	}
	ancestors, err := dashboard.ParseFrameAncestors(cfg.PortalFrameAncestors)
	if err != nil {
		return err
	}
	feeds := thumbnail.FeedsFrom(st, s.pipe.Streams)
	var onDemand func(ctx context.Context, accountID, streamName, tokenID string) error
	if cfg.ThumbnailSource != "" {
		capt, err := thumbnail.New(thumbnail.Options{Source: cfg.ThumbnailSource, Interval: cfg.ThumbnailInterval,
			LiveFeeds: feeds, Sink: s.pipe, Logger: log.With("part", "thumbnails")})
		if err != nil {
			return err
		}
		s.workers = append(s.workers, capt.Run)
		onDemand = func(ctx context.Context, accountID, streamName, tokenID string) error {
			err := capt.OnDemand(ctx, accountID, streamName, tokenID)
			if errors.Is(err, thumbnail.ErrRateLimited) {
				return fmt.Errorf("%w: %w", api.ErrRateLimited, err)
			}
			return err
		}
	}
	secrets := auth.NewSecrets(st)
	dash := dashboard.New(dashboard.Deps{
		Authenticate:        secrets.Account,
		SessionKey:          key,
		Streams:             s.pipe.Streams,
		AccountBySecretHash: secrets.AccountByHash, // revoking an API secret ends its sessions at once
		Events:              st.ListEvents,         // "Latest events" on the Streams page
		Logger:              log.With("part", "dashboard"),
		TakePortalToken:     st.TakePortalToken, // portal links work once
		FrameAncestors:      ancestors,
	})
	a := api.New(api.Deps{
		Store:               st,
		Secrets:             secrets,
		AdminToken:          adminTok.Check(),
		AllowPrivateTargets: cfg.AllowPrivateTargets,
		SecretOverlap:       cfg.SecretOverlap,
		Now:                 time.Now,
		Logger:              log.With("part", "api"),
		SubmitTest:          s.pipe.SubmitTest,
		Streams:             s.pipe.Streams,
		Wake:                s.disp.Wake,
		WebhookEnabled:      ops.WebhookEnabled,
		MaxWebhooks:         cfg.MaxWebhooksPerAccount,
		TestsPerMinute:      cfg.TestEventsPerMinute,
		Session:             dash.SessionAccess, // the API accepts the dashboard's sessions
		SessionRefusal:      dash.SessionRefusal,
		Thumbnail:           onDemand,
	})
	ing := &ingest.Handler{
		Token:          ingestTok.Check(),
		Submit:         s.pipe,
		Keyed:          s.pipe,
		Accounts:       ingest.NewAccountCache(st),
		DefaultAccount: s.Default,
		Logger:         log.With("part", "ingest"),
		Events:         s.pipe,
	}
	if cfg.MediaMTXAPI != "" {
		poller := &ingest.MediaMTXPoller{API: cfg.MediaMTXAPI, LiveFeeds: feeds, Handler: ing, Logger: log.With("part", "mediamtx")}
		s.workers = append(s.workers, poller.Run)
	}

	mux := http.NewServeMux()
	dash.Register(mux)
	mux.Handle("/api/", a.Handler())
	ing.Register(mux)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok\n") })
	mux.HandleFunc("GET /readyz", s.ready)
	mux.Handle("GET /metrics", s.metrics.handler())
	s.mux, s.ingest, s.dash = mux, ing, dash
	// Bytes that are not UTF-8 are refused before any handler decodes them.
	s.handler = s.metrics.instrument(httpx.RequireUTF8(api.TrailingSlash(mux)))
	return nil
}

func (s *Server) ready(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.st.Ping(ctx); err != nil {
		http.Error(w, "store unavailable", http.StatusServiceUnavailable)
		return
	}
	io.WriteString(w, "ok\n")
}

// Handler is the whole HTTP surface (for tests that want no listener).
func (s *Server) Handler() http.Handler { return s.handler }

// Addr is the bound address (New binds it, so that a port in use fails before
// anything is written; with port 0 this tells which port was chosen).
func (s *Server) Addr() string { return s.listener.Addr().String() }

// Run serves until ctx is done, then stops accepting, lets in-flight requests and
// commits finish, hands back undelivered work (leases expire) and closes the store.
func (s *Server) Run(ctx context.Context) error {
	srv := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	// Live-update streams of the dashboard end on shutdown instead of holding it.
	srv.RegisterOnShutdown(s.dash.Shutdown)
	workCtx, stopWork := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { _ = s.pipe.Run(workCtx) })
	wg.Go(func() { _ = s.disp.Run(workCtx) })
	for _, w := range s.workers {
		wg.Go(func() { _ = w(workCtx) })
	}

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(s.listener) }()
	s.log.Info("serving", "addr", s.Addr(), "store", s.storeName(), "version", s.version)

	var err error
	select {
	case <-ctx.Done():
	case err = <-errc:
	}
	s.log.Info("stopping")
	shutCtx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if e := srv.Shutdown(shutCtx); e != nil && err == nil {
		err = e
	}
	stopWork()
	wg.Wait()
	if e := s.st.Close(); e != nil && err == nil {
		err = e
	}
	s.lock.release()
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	s.log.Info("stopped")
	return err
}

func (s *Server) storeName() string {
	if s.cfg.IsPostgres() {
		return "postgres"
	}
	return "sqlite:" + s.cfg.DataDir
}

func newLogger(level string, w io.Writer) *slog.Logger {
	var l slog.Level
	_ = l.UnmarshalText([]byte(level))
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l}))
}

func hostname() string {
	h, err := os.Hostname()
	if err != nil || h == "" {
		return "hookcast"
	}
	return h
}

// recordIntervalPostgres is delivery.Options.RecordInterval on PostgreSQL.
// There a transaction recording attempts costs a WAL flush and its round trips
// whatever it holds, and each replica's recorder commits on its own, every
// 5 ms plus its transaction by default: with 3 replicas on one database and
// one signal per request, 2.3× the recording transactions of one replica (5.5
// attempts each), which also all upsert the webhook's row of webhook_stats for
// the minute and wait on each other for it. At 50 ms, over six alternated
// pairs, 3 replicas delivered +3 to +49 %, one replica −1 to +28 %, with 25–30 %
// fewer transactions a delivery (docs/PERFORMANCE.md, "Three replicas on one
// database"). What waits is the delivery log and the lease, not the sending.
const recordIntervalPostgres = 50 * time.Millisecond

// recordInterval is the dispatcher's RecordInterval: its default on SQLite,
// whose commits are cheap and measured level at 25 ms.
func recordInterval(postgres bool) time.Duration {
	if postgres {
		return recordIntervalPostgres
	}
	return 0
}
