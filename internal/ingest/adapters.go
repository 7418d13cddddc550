package ingest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/hookcast/hookcast/internal/engine"
	"github.com/hookcast/hookcast/internal/httpx"
	"github.com/hookcast/hookcast/internal/store"
	"github.com/hookcast/hookcast/internal/thumbnail"
)

// EventSubmitter stores prepared events (thumbnails) with their deliveries and
// returns once they are committed; the committer implements it.
type EventSubmitter interface {
	SubmitEvents(ctx context.Context, evs []store.Event) error
}

// MaxForm caps a media server's callback body: the largest real one (nginx-rtmp
// with long URLs and publisher arguments) is a few KB.
const MaxForm = 64 << 10

// badInput is a callback that cannot become a signal: a missing field, a stream
// name outside the allowed alphabet. The adapter answers 400 with its reason and
// submits nothing.
type badInput struct{ field, reason string }

func (e *badInput) Error() string { return e.field + ": " + e.reason }

func bad(field, reason string) error { return &badInput{field, reason} }

// errNoDefault means the handler was built without a default account, so a path
// whose prefix names no account has nowhere to go (a wiring mistake: 503).
var errNoDefault = errors.New("ingest: no default account configured")

// streamFor maps a media server's stream path to an account and a stream name: the
// last segment of path is the stream name, and the segment before it (nginx's and
// SRS's application, MediaMTX's path prefix) names the account when such an
// account exists; otherwise the stream belongs to the default account. So
// rtmp://host/live/show is the default account's "show", and
// rtmp://host/ABC123/show is account ABC123's "show" once ABC123 is created.
func (h *Handler) streamFor(ctx context.Context, p string) (engine.StreamKey, error) {
	p = strings.TrimPrefix(p, "/")
	group, name := "", p
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		group, name = p[:i], p[i+1:]
		if j := strings.LastIndexByte(group, '/'); j >= 0 {
			group = group[j+1:]
		}
	}
	if name == "" {
		return engine.StreamKey{}, bad("name", "required")
	}
	if !validName(name) {
		return engine.StreamKey{}, bad("name", quote(name)+": stream names must be 1-64 characters of letters, digits, _ - .")
	}
	if group != "" && validName(group) {
		ok, err := h.Accounts.AccountExists(ctx, group)
		if err != nil {
			return engine.StreamKey{}, fmt.Errorf("look up account %q: %w", group, err)
		}
		if ok {
			return engine.StreamKey{AccountID: group, Name: name}, nil
		}
	}
	if h.DefaultAccount == "" {
		return engine.StreamKey{}, errNoDefault
	}
	return engine.StreamKey{AccountID: h.DefaultAccount, Name: name}, nil
}

// validName is the rule of interfaces.md §3 for account ids and stream names.
func validName(v string) bool {
	if len(v) == 0 || len(v) > engine.MaxNameLen {
		return false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// validID is the rule for free-form ids (tokenId): 1-256 bytes of UTF-8 without
// control characters.
func validID(v string) bool {
	if len(v) == 0 || len(v) > engine.MaxIDLen || !utf8.ValidString(v) {
		return false
	}
	for _, r := range v {
		if unicode.IsControl(r) {
			return false
		}
	}
	return true
}

// commitSignals validates sigs (an adapter bug or an odd client id shows as a clear
// 400, not as a failed transaction) and submits them, returning how many events
// they produced. A *badInput error means nothing was submitted because of the
// input; any other error is the store's.
func (h *Handler) commitSignals(ctx context.Context, sigs []engine.Signal) (events int, err error) {
	if len(sigs) == 0 {
		return 0, nil
	}
	for i := range sigs {
		if err := sigs[i].Validate(); err != nil {
			var se *engine.SignalError
			if errors.As(err, &se) {
				return 0, bad(se.Field, se.Reason)
			}
			return 0, bad("signal", err.Error())
		}
	}
	events, err = h.Submit.Submit(ctx, sigs)
	if err != nil {
		return 0, fmt.Errorf("submit %s: %w", sigs[0].Kind, err)
	}
	return events, nil
}

// answer writes the outcome of an adapter request in the ingest API's envelopes:
// 200 with how many signals were accepted and how many events they produced,
// 400 naming the bad field, 503 (with Retry-After) when nothing could be stored.
func (h *Handler) answer(w http.ResponseWriter, sigs []engine.Signal, events int, err error) {
	var bi *badInput
	switch {
	case err == nil:
		httpx.Success(w, Result{Accepted: len(sigs), Events: events})
	case errors.As(err, &bi):
		httpx.Fail(w, map[string]string{bi.field: bi.reason})
	default:
		h.unavailable(w, err)
	}
}

// ignored answers 200 for a callback that carries nothing hookcast reports (a
// connect, a capture of the thumbnail capturer): refusing it would make the media
// server refuse its client.
func ignored(w http.ResponseWriter, why string) {
	httpx.Success(w, Result{Ignored: why})
}

// readForm parses a form-encoded body (at most MaxForm bytes) without looking at
// the query string, where the ingest token travels.
func readForm(w http.ResponseWriter, r *http.Request) (url.Values, error) {
	r.Body = http.MaxBytesReader(w, r.Body, MaxForm)
	if err := r.ParseForm(); err != nil {
		return nil, bad("body", "not a form-encoded body: "+err.Error())
	}
	return r.PostForm, nil
}

// hasMarker reports whether a query string (with or without its leading '?')
// carries the thumbnail capturer's marker (thumbnail.MarkerKey=MarkerValue): a
// capture is not a viewer, it would otherwise fire firstViewerConnection and hold
// off noActiveViewers.
func hasMarker(query string) bool {
	q, err := url.ParseQuery(strings.TrimPrefix(query, "?"))
	return err == nil && q.Get(thumbnail.MarkerKey) == thumbnail.MarkerValue
}

// recordingSignal builds the media.updated of a finished recording file. The file's
// base name is its mediaAssetId (unique when the media server names files uniquely,
// which the docs recommend); the full path goes into metadata so a receiver can
// fetch it. startTime comes from a Unix time in the file name when there is one
// (nginx-rtmp's record_unique, SRS's [timestamp]); otherwise the engine uses the
// time of the signal.
func recordingSignal(key engine.StreamKey, file string, extra map[string]string, start int64) (engine.Signal, error) {
	if file == "" {
		return engine.Signal{}, bad("path", "required")
	}
	base := path.Base(strings.ReplaceAll(file, `\`, "/"))
	meta := map[string]string{"path": file}
	for k, v := range extra {
		if v != "" {
			meta[k] = v
		}
	}
	if start == 0 {
		start = timeInName(base)
	}
	m, err := jsonObject(meta)
	if err != nil {
		return engine.Signal{}, err
	}
	return engine.Signal{
		Kind: engine.MediaUpdated, AccountID: key.AccountID, Event: "completed",
		MediaAssetID: base, Type: "recording", StreamName: key.Name, StartTime: start, Metadata: m,
	}, nil
}

// timeInName finds a Unix time (seconds, 10 digits, or milliseconds, 13) in a file
// name such as show-1700000000.flv or livestream.1420254068776.flv and returns it
// in epoch milliseconds, or 0.
func timeInName(base string) int64 {
	base = strings.TrimSuffix(base, path.Ext(base))
	// The last run of digits in the name.
	end := len(base)
	for end > 0 && !isDigit(base[end-1]) {
		end--
	}
	start := end
	for start > 0 && isDigit(base[start-1]) {
		start--
	}
	n, err := strconv.ParseInt(base[start:end], 10, 64)
	if err != nil {
		return 0
	}
	lo, hi := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)
	switch end - start {
	case 10:
		n *= 1000
	case 13:
	default:
		return 0
	}
	if n < lo.UnixMilli() || n >= hi.UnixMilli() {
		return 0
	}
	return n
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// jsonObject encodes a metadata object.
func jsonObject(m map[string]string) (json.RawMessage, error) {
	b, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("encode metadata: %w", err)
	}
	return b, nil
}

// now is the handler's clock.
func (h *Handler) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}
