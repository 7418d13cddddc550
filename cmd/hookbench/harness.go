package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/hookcast/hookcast/internal/server"
)

const (
	ingestToken = "bench-ingest-token-0123456789"
	adminToken  = "bench-admin-token-0123456789"
)

// service is a `serve` with its account's secret: in this process
// (startService) or in one of its own (startServeProcess).
type service struct {
	base, secret, account string
	dir                   string    // the SQLite data directory
	proc                  *roleProc // the serve process; nil when in this process
	stop                  func()
}

func startService(ctx context.Context, o options) (*service, error) {
	dir, err := os.MkdirTemp("", "hookbench-")
	if err != nil {
		return nil, err
	}
	database, dropDatabase := "", func() error { return nil }
	if o.replicaOf != "" {
		database = o.replicaOf // created, and dropped, by whoever started the replicas
	} else if o.database != "" {
		database, dropDatabase, err = freshDatabase(ctx, o.database)
		if err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
	}
	cfg := server.Config{
		Listen: "127.0.0.1:0", DataDir: dir, Database: database,
		AdminToken: adminToken, IngestToken: ingestToken,
		ViewerAttemptInterval: 10 * time.Second, NoViewersDelay: time.Minute,
		AllowPrivateTargets: true, LogLevel: "error",
		// The noisy neighbour's account has 400 webhooks and a test event a second.
		MaxWebhooksPerAccount: max(100, o.noisy), TestEventsPerMinute: 120,
		Retention: o.retention, ThumbnailRetention: 24 * time.Hour, IdempotencyWindow: 24 * time.Hour,
	}
	srv, err := server.New(ctx, cfg, "bench", io.Discard)
	if err != nil {
		os.RemoveAll(dir)
		_ = dropDatabase()
		return nil, err
	}
	secret := srv.Firsts.APISecret
	if secret == "" && o.replicaOf == "" {
		// Cannot happen on the fresh database above; the load needs the secret.
		return nil, fmt.Errorf("the default account's secret is only known on first start, and this was not one")
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { _ = srv.Run(runCtx); close(done) }()
	return &service{
		base: "http://" + srv.Addr(), secret: secret, account: srv.Default, dir: dir,
		stop: func() {
			if fi, err := os.Stat(filepath.Join(dir, "hookcast.db-wal")); err == nil {
				fmt.Printf("  (SQLite WAL at the end of the run: %.1f MiB)\n", float64(fi.Size())/(1<<20))
			}
			cancel()
			<-done
			os.RemoveAll(dir)
			if err := dropDatabase(); err != nil {
				fmt.Fprintf(os.Stderr, "hookbench: %v\n", err)
			}
		},
	}, nil
}

// startServeProcess runs startService in a process of its own (this binary in
// runRole's serve role), so its memory and CPU are its own.
func startServeProcess(ctx context.Context, o options) (*service, error) {
	p, err := startRole(ctx, "serve", serveSpec{Database: o.database, Retention: o.retention, Noisy: o.noisy,
		CPUProfile: o.profile, MemProfile: o.memprof})
	if err != nil {
		return nil, err
	}
	var h serveHello
	if err := p.read(&h); err != nil {
		p.close()
		return nil, fmt.Errorf("serve: %w", err)
	}
	return &service{base: h.Base, secret: h.Secret, account: h.Account, dir: h.Dir, proc: p,
		stop: func() { p.closeInto(os.Stdout) }}, nil
}

var client = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 512, MaxIdleConns: 1024}, Timeout: 30 * time.Second}

func (s *service) post(path, bearer string, body []byte) ([]byte, error) {
	req, _ := http.NewRequest("POST", s.base+path, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+bearer)
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		return b, fmt.Errorf("%s: %d %s", path, resp.StatusCode, b)
	}
	return b, nil
}

func (s *service) createWebhook(url string, feeds, viewers bool) error {
	body, _ := json.Marshal(map[string]any{"url": url, "isFeedHooks": feeds, "isViewerConnectionHooks": viewers, "retryPolicy": "none"})
	_, err := s.post("/api/webhooks", s.secret, body)
	return err
}

// receiver is a local webhook endpoint; onBody sees every request's path, body
// and headers.
type receiver struct {
	url  string
	srv  *http.Server
	done chan struct{}
}

func startReceiver(onBody func(path string, body []byte, h http.Header)) (*receiver, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	r := &receiver{url: "http://" + ln.Addr().String(), done: make(chan struct{})}
	r.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		onBody(req.URL.Path, b, req.Header)
	})}
	go func() { _ = r.srv.Serve(ln); close(r.done) }()
	return r, nil
}

func (r *receiver) close() { _ = r.srv.Close(); <-r.done }

// latencies collects durations from many goroutines.
type latencies struct {
	mu sync.Mutex
	d  []time.Duration
}

func (l *latencies) add(d time.Duration) { l.mu.Lock(); l.d = append(l.d, d); l.mu.Unlock() }

func (l *latencies) summary() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.d) == 0 {
		return "no samples"
	}
	slices.Sort(l.d)
	q := func(p float64) time.Duration { return l.d[min(len(l.d)-1, int(p*float64(len(l.d))))] }
	return fmt.Sprintf("p50 %v  p99 %v  max %v  (n=%d)", round(q(0.50)), round(q(0.99)), round(l.d[len(l.d)-1]), len(l.d))
}

// quantile is the p quantile of the samples (0 when there are none).
func (l *latencies) quantile(p float64) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.d) == 0 {
		return 0
	}
	slices.Sort(l.d)
	return l.d[min(len(l.d)-1, int(p*float64(len(l.d))))]
}

func round(d time.Duration) time.Duration {
	if d < time.Millisecond {
		return d.Round(time.Microsecond)
	}
	return d.Round(10 * time.Microsecond)
}
