package thumbnail

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/hookcast/hookcast/internal/store"
)

// Feed is one live feed of a stream, as the capturer learns it.
type Feed struct {
	AccountID string
	Name      string // stream name
	FeedID    string
	Started   int64 // epoch ms; a stream's oldest feed names its thumbnails
}

// Sink stores prepared events and returns once they are committed; the committer
// implements it.
type Sink interface {
	SubmitEvents(ctx context.Context, evs []store.Event) error
}

// Options configure a Capturer. Zero values take the defaults noted.
type Options struct {
	// Source is the URL template a stream is read from: {account} and {name} are
	// replaced by the stream's account id and name, e.g.
	// rtmp://127.0.0.1/live/{name}. Required. The capturer adds the query
	// parameter hookcast=thumbnail (except to srt:// URLs) so that the adapters
	// do not count it as a viewer.
	Source string
	// Interval between two periodic thumbnails of a live stream (default 30s, as
	// Millicast; minimum 100ms).
	Interval time.Duration
	// Timeout of one capture (default 15s).
	Timeout time.Duration
	// FFmpeg is the ffmpeg binary (default "ffmpeg", looked up in PATH).
	FFmpeg string
	// Parallel is how many captures run at once (default 2).
	Parallel int
	// LiveFeeds lists the live feeds of an account, or of every account when
	// accountID is empty. Required; FeedsFrom builds one from the stream states.
	LiveFeeds func(ctx context.Context, accountID string) ([]Feed, error)
	// Sink stores the thumbnail events. Required.
	Sink Sink
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Grab captures one JPEG frame from a URL (default: ffmpeg). Tests replace it.
	Grab func(ctx context.Context, src string) ([]byte, error)
	// Logger receives capture failures (default: discarded).
	Logger *slog.Logger
}

// MarkerKey=MarkerValue is the query parameter the capturer adds to the URLs it
// reads; the ingest adapters ignore players that carry it, so a capture is never
// counted as a viewer.
const (
	MarkerKey   = "hookcast"
	MarkerValue = "thumbnail"
)

// OnDemandLimit and OnDemandWindow are the on-demand rate limit per stream.
const (
	OnDemandLimit  = 6
	OnDemandWindow = time.Minute
)

// Errors of OnDemand.
var (
	// ErrRateLimited: the stream had OnDemandLimit on-demand thumbnails within the
	// last OnDemandWindow.
	ErrRateLimited = errors.New("thumbnail: rate limited")
	// ErrNotLive: the stream has no live feed. It wraps store.ErrNotFound.
	ErrNotLive = fmt.Errorf("thumbnail: stream is not live: %w", store.ErrNotFound)
)

// Capturer takes thumbnails of live streams. Build it with New.
type Capturer struct {
	o   Options
	lim *Limiter
}

// New checks the options and returns a capturer; Run starts the periodic captures.
func New(o Options) (*Capturer, error) {
	if err := CheckSource(o.Source); err != nil {
		return nil, err
	}
	if o.LiveFeeds == nil || o.Sink == nil {
		return nil, errors.New("thumbnail: LiveFeeds and Sink are required")
	}
	if o.Interval == 0 {
		o.Interval = 30 * time.Second
	}
	if o.Interval < 100*time.Millisecond {
		return nil, fmt.Errorf("thumbnail: interval %v is below the minimum of 100ms", o.Interval)
	}
	if o.Timeout <= 0 {
		o.Timeout = 15 * time.Second
	}
	if o.FFmpeg == "" {
		o.FFmpeg = "ffmpeg"
	}
	if o.Parallel <= 0 {
		o.Parallel = 2
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Grab == nil {
		o.Grab = FFmpegGrab(o.FFmpeg)
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return &Capturer{o: o, lim: NewLimiter(OnDemandLimit, OnDemandWindow)}, nil
}

// CheckSource validates a Source template: it must name the stream ({name}) and
// expand to a URL of a scheme ffmpeg reads live streams from.
func CheckSource(src string) error {
	if src == "" {
		return errors.New("thumbnail source: empty (want a URL template such as rtmp://127.0.0.1/live/{name})")
	}
	if !strings.Contains(src, "{name}") {
		return fmt.Errorf("thumbnail source %q: must contain {name}", src)
	}
	u, err := url.Parse(expand(src, "ACCOUNT", "name"))
	if err != nil {
		return fmt.Errorf("thumbnail source %q: %w", src, err)
	}
	switch u.Scheme {
	case "rtmp", "rtmps", "rtsp", "rtsps", "srt", "http", "https":
	default:
		return fmt.Errorf("thumbnail source %q: scheme must be rtmp, rtmps, rtsp, rtsps, srt, http or https", src)
	}
	if u.Host == "" {
		return fmt.Errorf("thumbnail source %q: no host", src)
	}
	return nil
}

func expand(src, account, name string) string {
	return strings.NewReplacer("{account}", account, "{name}", name).Replace(src)
}

// SourceURL is the URL the capturer reads a stream from, marked with
// hookcast=thumbnail. Account ids and stream names use a URL-safe alphabet, so
// they need no escaping.
func (c *Capturer) SourceURL(accountID, name string) string {
	s := expand(c.o.Source, accountID, name)
	u, err := url.Parse(s)
	if err != nil || u.Scheme == "srt" || u.Query().Has(MarkerKey) {
		return s
	}
	if u.RawQuery != "" {
		u.RawQuery += "&"
	}
	u.RawQuery += MarkerKey + "=" + MarkerValue
	return u.String()
}

// Run takes a thumbnail of every live stream each Interval until ctx is done.
// Failures are logged, never fatal: a stream that cannot be read now may be
// readable at the next tick.
func (c *Capturer) Run(ctx context.Context) error {
	t := time.NewTicker(c.o.Interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			if _, err := c.Tick(ctx); err != nil && ctx.Err() == nil {
				c.o.Logger.Warn("thumbnails", "err", err)
			}
		}
	}
}

// Tick captures and stores one thumbnail of every live stream now, at most
// Parallel at a time, and returns how many were stored. A stream with several
// feeds (redundant ingest) gets one thumbnail, attributed to its oldest feed: the
// source URL names the stream, not a feed.
func (c *Capturer) Tick(ctx context.Context) (int, error) {
	feeds, err := c.o.LiveFeeds(ctx, "")
	if err != nil {
		return 0, fmt.Errorf("list live feeds: %w", err)
	}
	streams := primaryFeeds(feeds)
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		n    int
		errs []error
		sem  = make(chan struct{}, c.o.Parallel)
	)
	for _, f := range streams {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			wg.Wait()
			return n, ctx.Err()
		}
		wg.Go(func() {
			defer func() { <-sem }()
			err := c.capture(ctx, f, "")
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
				return
			}
			n++
		})
	}
	wg.Wait()
	return n, errors.Join(errs...)
}

// primaryFeeds keeps one feed per stream, the oldest, in a stable order.
func primaryFeeds(feeds []Feed) []Feed {
	best := map[string]Feed{}
	for _, f := range feeds {
		k := f.AccountID + "/" + f.Name
		b, ok := best[k]
		if !ok || f.Started < b.Started || f.Started == b.Started && f.FeedID < b.FeedID {
			best[k] = f
		}
	}
	out := make([]Feed, 0, len(best))
	for _, f := range best {
		out = append(out, f)
	}
	slices.SortFunc(out, func(a, b Feed) int {
		return strings.Compare(a.AccountID+"/"+a.Name, b.AccountID+"/"+b.Name)
	})
	return out
}

// OnDemand captures and stores one thumbnail of a live stream now (POST
// /api/thumbnails), at most OnDemandLimit per stream in any OnDemandWindow. It
// fails with ErrNotLive when the stream has no live feed and ErrRateLimited
// (wrapped, saying when to retry) over the limit; a failed capture still counts
// against the limit, so a broken stream cannot keep ffmpeg busy.
func (c *Capturer) OnDemand(ctx context.Context, accountID, streamName, tokenID string) error {
	feeds, err := c.o.LiveFeeds(ctx, accountID)
	if err != nil {
		return fmt.Errorf("list live feeds: %w", err)
	}
	var mine []Feed
	for _, f := range feeds {
		if f.AccountID == accountID && f.Name == streamName {
			mine = append(mine, f)
		}
	}
	if len(mine) == 0 {
		return fmt.Errorf("%w: %s/%s", ErrNotLive, accountID, streamName)
	}
	if ok, retry := c.lim.Allow(accountID+"/"+streamName, c.o.Now()); !ok {
		return fmt.Errorf("%w: %d thumbnails per %v per stream; retry in %v",
			ErrRateLimited, OnDemandLimit, OnDemandWindow, retry.Round(time.Second))
	}
	return c.capture(ctx, primaryFeeds(mine)[0], tokenID)
}

// capture grabs one frame of f's stream, checks it and stores it as an event.
func (c *Capturer) capture(ctx context.Context, f Feed, tokenID string) error {
	gctx, cancel := context.WithTimeout(ctx, c.o.Timeout)
	defer cancel()
	at := c.o.Now()
	img, err := c.o.Grab(gctx, c.SourceURL(f.AccountID, f.Name))
	if err != nil {
		return fmt.Errorf("capture %s/%s: %w", f.AccountID, f.Name, err)
	}
	if err := Check(img); err != nil {
		return fmt.Errorf("capture %s/%s: %w", f.AccountID, f.Name, err)
	}
	shot := Shot{AccountID: f.AccountID, Name: f.Name, FeedID: f.FeedID, TokenID: tokenID, At: at, JPEG: img}
	if err := c.o.Sink.SubmitEvents(ctx, []store.Event{shot.Event()}); err != nil {
		return fmt.Errorf("store thumbnail of %s/%s: %w", f.AccountID, f.Name, err)
	}
	return nil
}
