package main

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
	"unicode"

	"github.com/hookcast/hookcast/internal/cliflag"
	"github.com/hookcast/hookcast/webhook"
)

// listenConfig is what `hookcast listen` runs with once its flags are parsed.
type listenConfig struct {
	secret string // webhook secret, base64
	addr   string // host:port to listen on
}

const listenUsage = `usage: hookcast listen --secret SECRET[,OLD_SECRET] [--listen ADDR]

A local receiver for people writing webhook consumers: it verifies each
request's signatures (X-Millicast-Signature, and the Standard Webhooks headers
when present), prints one line per event on stdout and answers 200; a bad
signature or body is answered 400 and reported on stderr. POST to any path.
Stop with Ctrl-C.

During a secret rotation give both secrets, comma separated: a request signed
with either is accepted (after a renewal hookcast signs with both until the
webhook's previousSecretExpiresAt).

flags:
`

func runListen(args []string, stdout, stderr io.Writer) int {
	fs := cliflag.New("listen")
	secret := fs.String("secret", "", "the webhook's `secret` (standard base64), as its creation answered;\nseveral, comma separated, are all accepted (a rotation's new and old)")
	addr := fs.String("listen", "127.0.0.1:9000", "`host:port` to receive webhooks on")
	env := map[string]string{"secret": "HOOKCAST_SECRET"}
	if code, ok := parseFlags(fs, args, listenUsage, env, stdout, stderr); !ok {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "hookcast listen: unexpected argument %q (see `hookcast listen -h`)\n", fs.Arg(0))
		return 2
	}
	cfg := listenConfig{secret: *secret, addr: *addr}
	if cfg.secret == "" {
		cfg.secret = os.Getenv("HOOKCAST_SECRET")
	}
	if cfg.secret == "" {
		fmt.Fprintln(stderr, "hookcast listen: --secret is required (the webhook's secret, or set HOOKCAST_SECRET)")
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return listen(ctx, cfg, stdout, stderr, nil)
}

// listen serves until ctx is done, then shuts down gracefully and returns 0.
// When ready is not nil it receives the bound address once requests can be
// served (tests listen on port 0).
func listen(ctx context.Context, cfg listenConfig, stdout, stderr io.Writer, ready chan<- string) int {
	var mu sync.Mutex // one line at a time from concurrent requests
	printf := func(w io.Writer, format string, a ...any) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(w, format, a...)
	}
	h, err := webhook.NewHandler(cfg.secret,
		func(ctx context.Context, e webhook.Event) error {
			printf(stdout, "%s\n", formatEvent(e, webhook.DeliveryID(ctx)))
			return nil
		},
		webhook.WithErrorFunc(func(r *http.Request, status int, err error) {
			printf(stderr, "%s rejected %s %s from %s: %d %v\n", stamp(time.Now()), r.Method, r.URL.Path,
				r.RemoteAddr, status, err)
		}))
	if err != nil {
		fmt.Fprintf(stderr, "hookcast listen: --secret: %v\n", err)
		return 2
	}
	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		fmt.Fprintf(stderr, "hookcast listen: %v\n", err)
		return 1
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       time.Minute,
		IdleTimeout:       2 * time.Minute,
	}
	printf(stderr, "hookcast listen: receiving webhooks on http://%s/ (any path); Ctrl-C to stop\n", ln.Addr())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	if ready != nil {
		ready <- ln.Addr().String()
	}
	select {
	case err := <-served:
		fmt.Fprintf(stderr, "hookcast listen: %v\n", err)
		return 1
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		fmt.Fprintf(stderr, "hookcast listen: stop: %v\n", err)
		return 1
	}
	<-served // http.ErrServerClosed
	return 0
}

// formatEvent renders one event on one line: time (UTC, ms), type, event, and
// the fields that identify what it is about.
func formatEvent(e webhook.Event, deliveryID string) string {
	var b strings.Builder
	b.WriteString(stamp(e.When()))
	b.WriteString(" " + e.WebhookType() + " " + quote(e.EventName()))
	kv := func(k, v string) {
		if v != "" {
			b.WriteString(" " + k + "=" + quote(v))
		}
	}
	switch e := e.(type) {
	case *webhook.FeedsEvent:
		kv("stream", e.Data.StreamID)
		kv("feedId", e.Data.FeedID)
		kv("sourceId", e.Data.SourceID)
		kv("simulcastId", e.Data.SimulcastID)
		if e.Data.Priority != nil {
			kv("priority", strconv.FormatFloat(*e.Data.Priority, 'g', -1, 64))
		}
	case *webhook.ViewerConnectionEvent:
		kv("stream", e.Data.StreamID)
	case *webhook.MediaEvent:
		kv("stream", cmp.Or(e.Data.StreamID, e.Data.StreamName))
		kv("asset", e.Data.MediaAssetID)
		kv("type", e.Data.Type)
	case *webhook.RecordingsEvent:
		kv("stream", e.Data.StreamName)
		kv("recordFileId", e.Data.RecordFileID)
	case *webhook.TranscoderEvent:
		kv("transcoder", e.Data.TranscoderName)
		kv("id", e.Data.TranscoderID)
		kv("cluster", e.Data.Cluster)
		kv("status", e.Data.Status)
	case *webhook.OperationalEvent:
		kv("webhook", strconv.FormatInt(e.Data.WebhookID, 10))
		kv("reason", e.Data.Reason)
		if e.Data.DeliveryID != 0 {
			kv("deliveryId", strconv.FormatInt(e.Data.DeliveryID, 10))
		}
		kv("lastError", e.Data.LastError)
		kv("expiresAt", e.Data.ExpiresAt)
	case *webhook.ThumbnailEvent:
		b.WriteString(" " + strconv.Itoa(len(e.Image)) + " bytes")
		kv("stream", e.StreamID)
		kv("feedId", e.FeedID)
	}
	kv("delivery", deliveryID)
	return b.String()
}

func stamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z07:00") }

// quote keeps a value on one line and the terminal safe: values with spaces,
// quotes or control characters are printed as Go strings.
func quote(s string) string {
	if s == "" || strings.ContainsFunc(s, func(r rune) bool {
		return r == ' ' || r == '"' || r == '=' || !unicode.IsPrint(r)
	}) {
		return strconv.Quote(s)
	}
	return s
}
