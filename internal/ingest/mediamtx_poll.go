package ingest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/hookcast/hookcast/internal/engine"
	"github.com/hookcast/hookcast/internal/thumbnail"
)

// MediaMTXPoller repairs the feeds of MediaMTX whose runOnAvailable or
// runOnUnavailable (runOnOnline, runOnOffline) hook was lost (a curl killed with its path, hookcast restarting while retries
// ran out): every Interval it lists MediaMTX's paths (GET /v3/paths/list of its
// control API) and compares the online ones with hookcast's live feeds whose ids
// start with "mediamtx-". A difference seen in two polls in a row is repaired —
// feed.started for a ready path hookcast does not know, feed.ended for a feed
// MediaMTX no longer has — so a hook on its way is never raced: the signals are
// idempotent (events.md V6), and a difference that lasts a whole Interval is not a
// hook in flight. Viewers are not repaired: hookcast keeps no viewer ids to
// compare. It assumes one MediaMTX per hookcast (another server's "mediamtx-"
// feeds would look stale).
type MediaMTXPoller struct {
	// API is MediaMTX's control API (api: yes in mediamtx.yml), e.g.
	// http://127.0.0.1:9997; credentials, when MediaMTX asks for them, go in the
	// URL (http://user:pass@127.0.0.1:9997).
	API string
	// Interval between polls (default 10s).
	Interval time.Duration
	// Client makes the requests (default: a client with a 10s timeout).
	Client *http.Client
	// LiveFeeds lists hookcast's live feeds (of every account when accountID is
	// empty); thumbnail.FeedsFrom builds one from the stream states.
	LiveFeeds func(ctx context.Context, accountID string) ([]thumbnail.Feed, error)
	// Handler maps paths to streams and commits the repairs.
	Handler *Handler
	Logger  *slog.Logger

	suspects map[string]bool // differences seen by the previous poll
}

// mediamtxPathList is the part of GET /v3/paths/list the poller reads.
type mediamtxPathList struct {
	PageCount int `json:"pageCount"`
	Items     []struct {
		Name   string `json:"name"`
		Ready  bool   `json:"ready"`
		Legacy bool   `json:"sourceReady"` // before MediaMTX 1.0
		// Online is whether a publisher or source provides the stream (v1.19.3+).
		// With alwaysAvailable a path is ready (available) without one, playing
		// its offline segment: that is no feed.
		Online *bool `json:"online"`
		Source *struct {
			Type string `json:"type"`
			ID   string `json:"id"`
		} `json:"source"`
	} `json:"items"`
}

// Run polls until ctx is done. Failures are logged and retried at the next poll.
func (p *MediaMTXPoller) Run(ctx context.Context) error {
	iv := p.Interval
	if iv <= 0 {
		iv = 10 * time.Second
	}
	t := time.NewTicker(iv)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			if _, err := p.Poll(ctx); err != nil && ctx.Err() == nil && p.Logger != nil {
				p.Logger.Warn("mediamtx poll", "err", err)
			}
		}
	}
}

// Poll compares once and commits the repairs of differences also seen by the
// previous Poll; it returns the signals it committed. Not safe for concurrent use
// (Run calls it from one goroutine).
func (p *MediaMTXPoller) Poll(ctx context.Context) ([]engine.Signal, error) {
	ready, err := p.readyFeeds(ctx)
	if err != nil {
		return nil, err
	}
	live, err := p.LiveFeeds(ctx, "")
	if err != nil {
		return nil, fmt.Errorf("list live feeds: %w", err)
	}
	have := map[string]engine.Signal{}
	for _, f := range live {
		if strings.HasPrefix(f.FeedID, "mediamtx-") {
			have[f.AccountID+"/"+f.Name+"/"+f.FeedID] = engine.Signal{Kind: engine.FeedEnded,
				AccountID: f.AccountID, Name: f.Name, FeedID: f.FeedID, Reason: engine.ReasonPublisher}
		}
	}
	diff := map[string]engine.Signal{}
	for k, s := range ready {
		if _, ok := have[k]; !ok {
			diff["+"+k] = s
		}
	}
	for k, s := range have {
		if _, ok := ready[k]; !ok {
			diff["-"+k] = s
		}
	}
	var fix []engine.Signal
	next := map[string]bool{}
	for _, k := range slices.Sorted(maps.Keys(diff)) {
		next[k] = true
		if p.suspects[k] {
			fix = append(fix, diff[k])
		}
	}
	p.suspects = next
	if _, err := p.Handler.commitSignals(ctx, fix); err != nil {
		return nil, fmt.Errorf("repair %d feeds: %w", len(fix), err)
	}
	if len(fix) > 0 && p.Logger != nil {
		p.Logger.Info("mediamtx feeds repaired", "signals", len(fix))
	}
	return fix, nil
}

// readyFeeds lists MediaMTX's ready paths as the feed.started each would send,
// keyed by account/name/feedId. Paths whose names hookcast refuses are skipped.
func (p *MediaMTXPoller) readyFeeds(ctx context.Context) (map[string]engine.Signal, error) {
	out := map[string]engine.Signal{}
	for page := 0; ; page++ {
		var list mediamtxPathList
		if err := p.get(ctx, fmt.Sprintf("/v3/paths/list?itemsPerPage=1000&page=%d", page), &list); err != nil {
			return nil, err
		}
		for _, it := range list.Items {
			if live := it.Ready || it.Legacy; it.Online != nil && !*it.Online || it.Online == nil && !live {
				continue
			}
			key, err := p.Handler.streamFor(ctx, it.Name)
			var bi *badInput
			if errors.As(err, &bi) {
				continue
			}
			if err != nil {
				return nil, err
			}
			src := strings.Trim(it.Name, "/")
			if it.Source != nil && it.Source.ID != "" {
				src = it.Source.ID
			}
			s := engine.Signal{Kind: engine.FeedStarted, AccountID: key.AccountID, Name: key.Name, FeedID: "mediamtx-" + src}
			out[key.AccountID+"/"+key.Name+"/"+s.FeedID] = s
		}
		if page+1 >= list.PageCount {
			return out, nil
		}
	}
}

func (p *MediaMTXPoller) get(ctx context.Context, path string, v any) error {
	u, err := url.Parse(strings.TrimSuffix(p.API, "/") + path)
	if err != nil {
		return fmt.Errorf("mediamtx api: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return fmt.Errorf("mediamtx api: %w", err)
	}
	c := p.Client
	if c == nil {
		c = &http.Client{Timeout: 10 * time.Second}
	}
	resp, err := c.Do(req)
	if err != nil {
		return fmt.Errorf("mediamtx api %s: %w", u.Redacted(), err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
	if err != nil {
		return fmt.Errorf("mediamtx api %s: %w", u.Redacted(), err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("mediamtx api %s: status %d", u.Redacted(), resp.StatusCode)
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("mediamtx api %s: %w", u.Redacted(), err)
	}
	return nil
}
