package ingest

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/hookcast/hookcast/internal/engine"
	"github.com/hookcast/hookcast/internal/httpx"
	"github.com/hookcast/hookcast/internal/thumbnail"
)

// MediaMTX reports to hookcast in two ways (docs/media-servers.md):
//
//   - its HTTP authentication request (authMethod: http, authHTTPAddress), a JSON
//     POST made for every publish and read before MediaMTX decides. A read of a
//     path that has no publisher is refused by MediaMTX, so it is the only place
//     where refused viewers show: it becomes viewer.attempted. The engine ignores
//     attempts while the stream is live, so reads of live paths cost nothing.
//   - its runOnAvailable/runOnUnavailable (runOnReady/runOnNotReady before
//     v1.19.3), runOnOnline/runOnOffline, runOnRead/runOnUnread and
//     runOnRecordSegmentComplete hooks, commands that MediaMTX runs; the
//     documented lines run curl against /api/ingest/mediamtx/{hook} with the
//     hook's environment (MTX_PATH, MTX_SOURCE_ID, MTX_READER_ID, …) as
//     parameters, in the query or a form body.
//
// When a path's stream stops being available, MediaMTX closes every reader of
// the path itself (path.setNotAvailable, HLS sessions with their muxer) and then
// runs runOnUnavailable, while each reader runs its own runOnUnread: the two
// curls race to hookcast. So unavailable (notready) is a feed.ended with
// ViewersClosed: those readers are not waiting for the stream, whichever hook
// lands first. offline is not: with alwaysAvailable, readers stay connected and
// watch the offline segment until a publisher comes back, which is waiting.

// mediamtxAuthRequest is the body of MediaMTX's HTTP authentication request.
// Unknown fields are ignored: newer MediaMTX versions may add some.
type mediamtxAuthRequest struct {
	IP       string  `json:"ip"`
	User     string  `json:"user"`
	Password string  `json:"password"` // never logged nor stored
	Token    string  `json:"token"`    // never logged nor stored
	Action   string  `json:"action"`
	Path     string  `json:"path"`
	Protocol string  `json:"protocol"`
	ID       *string `json:"id"` // the session's UUID; null when MediaMTX has none yet
	Query    string  `json:"query"`
}

// mediamtxAuthTimeout bounds the commit behind an authentication request: MediaMTX
// holds its client until the answer, so hookcast never makes it wait long.
const mediamtxAuthTimeout = 2 * time.Second

// mediamtxAuth serves POST /api/ingest/mediamtx/auth. hookcast is not an
// authentication server: it answers 200 to every well-formed request, whatever
// happens to the signal, so that a hookcast outage never locks viewers out. A
// signal it could not store is logged.
func (h *Handler) mediamtxAuth(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxForm))
	if err != nil {
		h.answer(w, nil, 0, bad("body", "could not read the body: "+err.Error()))
		return
	}
	var req mediamtxAuthRequest
	if err := json.Unmarshal(body, &req); err != nil {
		h.answer(w, nil, 0, bad("body", "not a MediaMTX authentication request: "+err.Error()))
		return
	}
	if req.Action == "" {
		h.answer(w, nil, 0, bad("action", "required (is this a MediaMTX authentication request?)"))
		return
	}
	var events int
	sigs, why, err := h.mediamtxAuthSignals(r.Context(), &req)
	if err == nil && why != "" {
		ignored(w, why)
		return
	}
	if err == nil {
		ctx, cancel := context.WithTimeout(r.Context(), mediamtxAuthTimeout)
		events, err = h.commitSignals(ctx, sigs)
		cancel()
	}
	if err != nil {
		if h.Logger != nil {
			h.Logger.Warn("mediamtx read attempt not recorded", "path", req.Path, "err", err)
		}
		ignored(w, "not recorded: "+err.Error())
		return
	}
	httpx.Success(w, Result{Accepted: len(sigs), Events: events})
}

func (h *Handler) mediamtxAuthSignals(ctx context.Context, req *mediamtxAuthRequest) ([]engine.Signal, string, error) {
	switch req.Action {
	case "read":
	default:
		// publish is reported by runOnAvailable; playback, api, metrics, pprof are
		// not viewers of a live stream.
		return nil, req.Action + " is not reported here", nil
	}
	if hasMarker(req.Query) {
		return nil, "the thumbnail capturer is not a viewer", nil
	}
	key, err := h.streamFor(ctx, req.Path)
	if err != nil {
		return nil, "", err
	}
	sig := engine.Signal{Kind: engine.ViewerAttempted, AccountID: key.AccountID, Name: key.Name}
	if req.ID != nil && *req.ID != "" {
		sig.ViewerID = "mediamtx-" + *req.ID
	}
	return []engine.Signal{sig}, "", nil
}

// mediamtxHook serves POST /api/ingest/mediamtx/{hook} for the runOn* hooks. A
// failed commit answers 503, so `curl --retry` sends it again.
func (h *Handler) mediamtxHook(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, MaxForm)
	if err := r.ParseForm(); err != nil {
		h.answer(w, nil, 0, bad("body", "not a form-encoded body: "+err.Error()))
		return
	}
	hook := r.PathValue("hook")
	var events int
	sigs, why, err := h.mediamtxHookSignals(r.Context(), hook, r.Form)
	if err == nil && why != "" {
		ignored(w, why)
		return
	}
	if err == nil {
		events, err = h.commitSignals(r.Context(), sigs)
	}
	h.logRefused("mediamtx", hook, err)
	h.answer(w, sigs, events, err)
}

// mediamtxHooks maps the last segment of /api/ingest/mediamtx/{hook} to what the
// hook reports.
var mediamtxHooks = map[string]mediamtxHook{
	"available":   hookFeedStart,
	"ready":       hookFeedStart, // runOnReady, before MediaMTX v1.19.3
	"online":      hookFeedStart,
	"unavailable": hookFeedEndClosing,
	"notready":    hookFeedEndClosing, // runOnNotReady, before MediaMTX v1.19.3
	"offline":     hookFeedEnd,
	"read":        hookRead,
	"unread":      hookUnread,
	"segment":     hookSegment,
}

type mediamtxHook int

const (
	hookFeedStart mediamtxHook = iota + 1
	hookFeedEnd
	hookFeedEndClosing // the stream is gone and MediaMTX closed the path's readers
	hookRead
	hookUnread
	hookSegment
)

// mediamtxHookSignals translates one hook call. Parameters: path (MTX_PATH), and
// source_id (MTX_SOURCE_ID) for available/unavailable and online/offline,
// reader_id (MTX_READER_ID) and query (MTX_QUERY) for read/unread, segment_path
// (MTX_SEGMENT_PATH) and duration (MTX_SEGMENT_DURATION) for segment; id stands
// for source_id or reader_id. ready/notready are the names MediaMTX gave
// available/unavailable before v1.19.3.
func (h *Handler) mediamtxHookSignals(ctx context.Context, name string, form url.Values) ([]engine.Signal, string, error) {
	hook, ok := mediamtxHooks[name]
	if !ok {
		return nil, "", bad("hook", "unknown MediaMTX hook "+quote(name)+": want available, unavailable, online, offline, read, unread or segment (ready and notready before MediaMTX v1.19.3)")
	}
	p := form.Get("path")
	if p == "" {
		return nil, "", bad("path", "required (pass path=$MTX_PATH)")
	}
	if (hook == hookRead || hook == hookUnread) && (markedQuery(form.Get("query")) || form.Get(thumbnail.MarkerKey) == thumbnail.MarkerValue) {
		return nil, "the thumbnail capturer is not a viewer", nil
	}
	key, err := h.streamFor(ctx, p)
	if err != nil {
		return nil, "", err
	}
	sig := engine.Signal{AccountID: key.AccountID, Name: key.Name}
	switch hook {
	case hookFeedStart, hookFeedEnd, hookFeedEndClosing:
		// A source without an id (some static sources) is the path's only feed.
		src := firstOf(form, "source_id", "id")
		if src == "" {
			src = strings.Trim(p, "/")
		}
		sig.FeedID = "mediamtx-" + src
		sig.Kind = engine.FeedStarted
		if hook != hookFeedStart {
			sig.Kind, sig.Reason = engine.FeedEnded, engine.ReasonPublisher
			sig.ViewersClosed = hook == hookFeedEndClosing
		}
	case hookRead, hookUnread:
		rid := firstOf(form, "reader_id", "id")
		if rid == "" {
			return nil, "", bad("reader_id", "required (pass reader_id=$MTX_READER_ID)")
		}
		sig.Kind, sig.ViewerID = engine.ViewerConnected, "mediamtx-"+rid
		if hook == hookUnread {
			sig.Kind = engine.ViewerDisconnected
		}
	case hookSegment:
		var start int64
		if d, ok := segmentDuration(form.Get("duration")); ok {
			start = h.now().Add(-d).UnixMilli()
		}
		s, err := recordingSignal(key, form.Get("segment_path"), map[string]string{"duration": form.Get("duration")}, start)
		if err != nil {
			var bi *badInput
			if errors.As(err, &bi) {
				return nil, "", bad("segment_path", "required (pass segment_path=$MTX_SEGMENT_PATH)")
			}
			return nil, "", err
		}
		return []engine.Signal{s}, "", nil
	}
	return []engine.Signal{sig}, "", nil
}

// segmentDuration reads MTX_SEGMENT_DURATION, a Go duration ("1m0.5s") or a number
// of seconds.
func segmentDuration(v string) (time.Duration, bool) {
	if v == "" {
		return 0, false
	}
	if d, err := time.ParseDuration(v); err == nil && d > 0 && d < 24*time.Hour {
		return d, true
	}
	if f, err := strconv.ParseFloat(v, 64); err == nil && f > 0 && f < 86400 {
		return time.Duration(f * float64(time.Second)), true
	}
	return 0, false
}

func firstOf(form url.Values, names ...string) string {
	for _, n := range names {
		if v := form.Get(n); v != "" {
			return v
		}
	}
	return ""
}

// markedQuery reports whether MTX_QUERY carries the capture marker, whether the
// hook line passed it as is or URL-encoded it once more (MediaMTX versions differ
// in whether they escape it).
func markedQuery(q string) bool {
	if hasMarker(q) {
		return true
	}
	u, err := url.QueryUnescape(q)
	return err == nil && u != q && hasMarker(u)
}
