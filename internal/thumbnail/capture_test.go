package thumbnail_test

import (
	"bytes"
	"context"
	"errors"
	"image/jpeg"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookcast/hookcast/internal/commit"
	"github.com/hookcast/hookcast/internal/engine"
	"github.com/hookcast/hookcast/internal/store"
	"github.com/hookcast/hookcast/internal/store/sqlite"
	"github.com/hookcast/hookcast/internal/thumbnail"
)

func TestNewRefusesBadOptions(t *testing.T) {
	t.Parallel()
	feeds := func(context.Context, string) ([]thumbnail.Feed, error) { return nil, nil }
	sink := sinkFunc(func(context.Context, []store.Event) error { return nil })
	for _, src := range []string{"", "rtmp://127.0.0.1/live/show", "file:///tmp/{name}.ts", "rtmp:///live/{name}", "%zz{name}"} {
		if _, err := thumbnail.New(thumbnail.Options{Source: src, LiveFeeds: feeds, Sink: sink}); err == nil {
			t.Errorf("source %q accepted", src)
		}
	}
	if _, err := thumbnail.New(thumbnail.Options{Source: "rtmp://h/live/{name}", Sink: sink}); err == nil {
		t.Error("no LiveFeeds accepted")
	}
	if _, err := thumbnail.New(thumbnail.Options{Source: "rtmp://h/live/{name}", LiveFeeds: feeds, Sink: sink, Interval: time.Millisecond}); err == nil {
		t.Error("1ms interval accepted")
	}
}

func TestSourceURLIsMarked(t *testing.T) {
	t.Parallel()
	feeds := func(context.Context, string) ([]thumbnail.Feed, error) { return nil, nil }
	sink := sinkFunc(func(context.Context, []store.Event) error { return nil })
	tests := []struct{ src, want string }{
		{"rtmp://127.0.0.1:1935/live/{name}", "rtmp://127.0.0.1:1935/live/cam?hookcast=thumbnail"},
		{"rtsp://127.0.0.1:8554/{account}/{name}?tcp=1", "rtsp://127.0.0.1:8554/ACC/cam?tcp=1&hookcast=thumbnail"},
		{"http://127.0.0.1/{name}.m3u8?hookcast=thumbnail", "http://127.0.0.1/cam.m3u8?hookcast=thumbnail"},
		{"srt://127.0.0.1:8890?streamid=read:{name}", "srt://127.0.0.1:8890?streamid=read:cam"},
	}
	for _, tt := range tests {
		c, err := thumbnail.New(thumbnail.Options{Source: tt.src, LiveFeeds: feeds, Sink: sink})
		if err != nil {
			t.Fatalf("%s: %v", tt.src, err)
		}
		if got := c.SourceURL("ACC", "cam"); got != tt.want {
			t.Errorf("%s: %s, want %s", tt.src, got, tt.want)
		}
	}
}

type sinkFunc func(context.Context, []store.Event) error

func (f sinkFunc) SubmitEvents(ctx context.Context, evs []store.Event) error { return f(ctx, evs) }

// requireFFmpeg skips the test without ffmpeg, except in CI where it must be there
// (scripts/install-media-deps.sh installs it).
func requireFFmpeg(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("ffmpeg is missing: run scripts/install-media-deps.sh")
		}
		t.Skip("ffmpeg is missing: run scripts/install-media-deps.sh")
	}
}

// world is a real store and committer with one account (ACC) whose webhook wants
// thumbnails, and a live stream ACC/cam with two feeds, f-old then f-new.
type world struct {
	st   *sqlite.Store
	pipe *commit.Committer
}

func newWorld(t *testing.T) *world {
	t.Helper()
	ctx := t.Context()
	st, err := sqlite.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.CreateAccount(ctx, store.Account{ID: "ACC"}); err != nil {
		t.Fatal(err)
	}
	wh := &store.Webhook{AccountID: "ACC", URL: "http://127.0.0.1:9/hook", Secret: "c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0MTI=",
		IsFeedHooks: true, IsThumbnailHooks: true, RetryPolicy: "none"}
	if err := st.CreateWebhook(ctx, wh); err != nil {
		t.Fatal(err)
	}
	pipe := commit.New(st, engine.New(engine.Config{}), commit.Options{})
	runCtx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = pipe.Run(runCtx); close(done) }()
	t.Cleanup(func() { stop(); <-done })
	for _, s := range []engine.Signal{
		{Kind: engine.FeedStarted, AccountID: "ACC", Name: "cam", FeedID: "f-old", At: 1000},
		{Kind: engine.FeedStarted, AccountID: "ACC", Name: "cam", FeedID: "f-new", At: 2000},
	} {
		if _, err := pipe.Submit(ctx, []engine.Signal{s}); err != nil {
			t.Fatal(err)
		}
	}
	return &world{st: st, pipe: pipe}
}

func (w *world) thumbnails(t *testing.T) []store.Event {
	t.Helper()
	evs, err := w.st.ListEvents(t.Context(), store.EventQuery{AccountID: "ACC", Type: "thumbnail"})
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

// videoServer serves a short MPEG-TS test pattern at /ACC/cam.ts (made by ffmpeg)
// and records the queries it was asked with; /slow/cam.ts never answers.
func videoServer(t *testing.T) (*httptest.Server, func() []string) {
	t.Helper()
	file := filepath.Join(t.TempDir(), "cam.ts")
	out, err := exec.CommandContext(t.Context(), "ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin",
		"-f", "lavfi", "-i", "testsrc=size=320x240:rate=25", "-t", "1", "-c:v", "mpeg2video", "-f", "mpegts", file).CombinedOutput()
	if err != nil {
		t.Fatalf("make test video: %v: %s", err, out)
	}
	var (
		mu      sync.Mutex
		queries []string
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		queries = append(queries, r.URL.RawQuery)
		mu.Unlock()
		switch r.URL.Path {
		case "/ACC/cam.ts":
			http.ServeFile(w, r, file)
		case "/slow/cam.ts":
			<-r.Context().Done()
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv, func() []string { mu.Lock(); defer mu.Unlock(); return append([]string(nil), queries...) }
}

func TestCaptureWithFFmpeg(t *testing.T) {
	requireFFmpeg(t)
	t.Parallel()
	w := newWorld(t)
	srv, queries := videoServer(t)
	now := time.UnixMilli(1_700_000_000_000)
	var clockMu sync.Mutex
	clock := func() time.Time { clockMu.Lock(); defer clockMu.Unlock(); return now }
	c, err := thumbnail.New(thumbnail.Options{
		Source:    srv.URL + "/{account}/{name}.ts",
		LiveFeeds: thumbnail.FeedsFrom(w.st, w.pipe.Streams),
		Sink:      w.pipe,
		Now:       clock,
	})
	if err != nil {
		t.Fatal(err)
	}

	// Periodic: one thumbnail for the stream, named after its oldest feed.
	n, err := c.Tick(t.Context())
	if err != nil || n != 1 {
		t.Fatalf("Tick = %d, %v; want 1, nil", n, err)
	}
	evs := w.thumbnails(t)
	if len(evs) != 1 {
		t.Fatalf("%d thumbnail events", len(evs))
	}
	e := evs[0]
	cfg, err := jpeg.DecodeConfig(bytes.NewReader(e.Body))
	if err != nil || cfg.Width != 320 || cfg.Height != 240 {
		t.Fatalf("stored image: %v %dx%d", err, cfg.Width, cfg.Height)
	}
	if e.Headers["X-Millicast-Feed-Id"] != "f-old" || e.Headers["X-Millicast-Stream-Id"] != "ACC/cam" ||
		e.Headers["X-Millicast-Timestamp"] != "1700000000000" || e.StreamName != "cam" {
		t.Errorf("event %+v headers %v", e, e.Headers)
	}
	if q := queries(); len(q) == 0 || q[0] != "hookcast=thumbnail" {
		t.Errorf("ffmpeg asked with queries %q, want the capture marker", q)
	}

	// On demand: six per minute per stream, with the token id.
	for i := range thumbnail.OnDemandLimit {
		if err := c.OnDemand(t.Context(), "ACC", "cam", "tok-1"); err != nil {
			t.Fatalf("on-demand %d: %v", i+1, err)
		}
	}
	err = c.OnDemand(t.Context(), "ACC", "cam", "tok-1")
	if !errors.Is(err, thumbnail.ErrRateLimited) || !strings.Contains(err.Error(), "retry in 1m0s") {
		t.Fatalf("7th on-demand: %v, want ErrRateLimited", err)
	}
	if got := len(w.thumbnails(t)); got != 1+thumbnail.OnDemandLimit {
		t.Fatalf("%d thumbnails stored, want %d", got, 1+thumbnail.OnDemandLimit)
	}
	if evs := w.thumbnails(t); evs[0].Headers["X-Millicast-Token-Id"] != "tok-1" {
		t.Errorf("on-demand headers %v", evs[0].Headers)
	}
	clockMu.Lock()
	now = now.Add(thumbnail.OnDemandWindow)
	clockMu.Unlock()
	if err := c.OnDemand(t.Context(), "ACC", "cam", ""); err != nil {
		t.Fatalf("a window later: %v", err)
	}

	// A stream that is not live: ErrNotLive, which the API shows as 404.
	err = c.OnDemand(t.Context(), "ACC", "nobody", "")
	if !errors.Is(err, thumbnail.ErrNotLive) || !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("not live: %v", err)
	}
}

func TestCaptureFailures(t *testing.T) {
	requireFFmpeg(t)
	t.Parallel()
	w := newWorld(t)
	srv, _ := videoServer(t)
	for _, tt := range []struct{ name, src string }{
		{"the stream is not there", srv.URL + "/missing/{name}.ts"},
		{"the source never answers", srv.URL + "/slow/{name}.ts"},
	} {
		c, err := thumbnail.New(thumbnail.Options{Source: tt.src, Timeout: 2 * time.Second,
			LiveFeeds: thumbnail.FeedsFrom(w.st, w.pipe.Streams), Sink: w.pipe})
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		n, err := c.Tick(t.Context())
		if n != 0 || err == nil || !strings.Contains(err.Error(), "ACC/cam") {
			t.Errorf("%s: Tick = %d, %v; want 0 and an error naming the stream", tt.name, n, err)
		}
		if took := time.Since(start); took > 8*time.Second {
			t.Errorf("%s: took %v, beyond the timeout", tt.name, took)
		}
	}
	if evs := w.thumbnails(t); len(evs) != 0 {
		t.Fatalf("stored %d thumbnails from failed captures", len(evs))
	}
	c, err := thumbnail.New(thumbnail.Options{Source: srv.URL + "/{account}/{name}.ts", FFmpeg: "/nonexistent/ffmpeg",
		LiveFeeds: thumbnail.FeedsFrom(w.st, w.pipe.Streams), Sink: w.pipe})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Tick(t.Context()); err == nil || !strings.Contains(err.Error(), "ffmpeg not found") {
		t.Errorf("missing ffmpeg: %v", err)
	}
}
