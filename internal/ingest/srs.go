package ingest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/hookcast/hookcast/internal/engine"
	"github.com/hookcast/hookcast/internal/httpx"
)

// SRS's HTTP callbacks (http_hooks in a vhost, docs/media-servers.md): a JSON POST
// per event with action, client_id (a number before SRS 4, a string since),
// server_id (SRS 5+), ip, vhost, app, stream, param, and for on_dvr cwd and file.
// SRS wants HTTP 200 and {"code":0} (or the bare number 0); anything else makes it
// refuse the client (on_publish, on_play).

// srsCallback is the part of an SRS callback body hookcast reads. Unknown fields
// are ignored: SRS adds fields between versions.
type srsCallback struct {
	Action   string          `json:"action"`
	ClientID json.RawMessage `json:"client_id"`
	ServerID string          `json:"server_id"`
	App      string          `json:"app"`
	Stream   string          `json:"stream"`
	Param    string          `json:"param"`
	Cwd      string          `json:"cwd"`
	File     string          `json:"file"`
}

// SRS actions that carry nothing hookcast reports; they are answered {"code":0}.
var srsIgnored = map[string]string{
	"on_connect":    "on_connect is not reported",
	"on_close":      "on_close is not reported",
	"on_hls":        "on_hls segments are not reported",
	"on_hls_notify": "on_hls_notify is not reported",
}

// srs serves POST /api/ingest/srs.
func (h *Handler) srs(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxForm))
	if err != nil {
		srsAnswer(w, h, nil, 0, bad("body", "could not read the body: "+err.Error()))
		return
	}
	var cb srsCallback
	if err := json.Unmarshal(body, &cb); err != nil {
		srsAnswer(w, h, nil, 0, bad("body", "not an SRS callback: "+err.Error()))
		return
	}
	var events int
	sigs, why, err := h.srsSignals(r.Context(), &cb, r.URL.Query())
	if err == nil && why != "" {
		httpx.WriteJSON(w, http.StatusOK, map[string]any{"code": 0, "msg": "ignored: " + why})
		return
	}
	if err == nil {
		events, err = h.commitSignals(r.Context(), sigs)
	}
	h.logRefused("srs", cb.Action, err)
	srsAnswer(w, h, sigs, events, err)
}

// srsAnswer writes SRS's answer: 200 {"code":0} when committed; otherwise the HTTP
// status says why (400 bad input, 503 store) and code repeats it, non-zero, so
// every SRS version sees a failure.
func srsAnswer(w http.ResponseWriter, h *Handler, sigs []engine.Signal, events int, err error) {
	var bi *badInput
	switch {
	case err == nil:
		httpx.WriteJSON(w, http.StatusOK, map[string]any{"code": 0, "accepted": len(sigs), "events": events})
	case errors.As(err, &bi):
		httpx.WriteJSON(w, http.StatusBadRequest, map[string]any{"code": http.StatusBadRequest, "msg": bi.Error()})
	default:
		if h.Logger != nil {
			h.Logger.Error("ingest not committed", "adapter", "srs", "err", err)
		}
		w.Header().Set("Retry-After", "1")
		httpx.WriteJSON(w, http.StatusServiceUnavailable, map[string]any{"code": http.StatusServiceUnavailable, "msg": "signals not stored, try again"})
	}
}

// srsClosesPlayers reads the query parameter players of the callback URL. SRS
// keeps an RTMP player of a stream whose publisher left, waiting for the next one
// (its "standby" mode): a waiting viewer. But since 6.0.152 it disconnects
// HTTP-FLV and HTTP-TS players when the publisher leaves (http_unmount expires
// them), and their on_stop races the on_unpublish; the callbacks do not say which
// protocol a player used (SRS builds an rtmp:// tcUrl for both). players=http says
// that every player of this vhost is such an HTTP player, so an on_unpublish also
// closes them; players=rtmp (or nothing) keeps the waiting.
func srsClosesPlayers(q url.Values) (bool, error) {
	switch q.Get("players") {
	case "", "rtmp":
		return false, nil
	case "http":
		return true, nil
	}
	return false, bad("players", "must be http (SRS closes them when the publisher leaves) or rtmp (they wait)")
}

func (h *Handler) srsSignals(ctx context.Context, cb *srsCallback, query url.Values) ([]engine.Signal, string, error) {
	switch cb.Action {
	case "on_publish", "on_unpublish", "on_play", "on_stop", "on_dvr":
	case "":
		return nil, "", bad("action", "required (is this an SRS callback?)")
	default:
		if why, ok := srsIgnored[cb.Action]; ok {
			return nil, why, nil
		}
		return nil, "", bad("action", "unknown SRS action "+quote(cb.Action))
	}
	closesPlayers, err := srsClosesPlayers(query)
	if err != nil {
		return nil, "", err
	}
	if (cb.Action == "on_play" || cb.Action == "on_stop") && hasMarker(cb.Param) {
		return nil, "the thumbnail capturer is not a viewer", nil
	}
	key, err := h.streamFor(ctx, cb.App+"/"+cb.Stream)
	if err != nil {
		return nil, "", err
	}
	if cb.Action == "on_dvr" {
		file := cb.File
		if file != "" && !strings.HasPrefix(file, "/") && cb.Cwd != "" {
			file = strings.TrimSuffix(cb.Cwd, "/") + "/" + strings.TrimPrefix(file, "./")
		}
		sig, err := recordingSignal(key, file, nil, 0)
		if err != nil {
			return nil, "", bad("file", "required")
		}
		return []engine.Signal{sig}, "", nil
	}
	cid, err := srsClientID(cb.ClientID)
	if err != nil {
		return nil, "", err
	}
	id := "srs-" + cid
	if cb.ServerID != "" {
		id = "srs-" + cb.ServerID + "-" + cid
	}
	sig := engine.Signal{AccountID: key.AccountID, Name: key.Name}
	switch cb.Action {
	case "on_publish":
		sig.Kind, sig.FeedID = engine.FeedStarted, id
	case "on_unpublish":
		sig.Kind, sig.FeedID, sig.Reason = engine.FeedEnded, id, engine.ReasonPublisher
		sig.ViewersClosed = closesPlayers
	case "on_play":
		// SRS keeps a player of a stream nobody publishes waiting: a waiting viewer.
		sig.Kind, sig.ViewerID = engine.ViewerConnected, id
	case "on_stop":
		sig.Kind, sig.ViewerID = engine.ViewerDisconnected, id
	}
	return []engine.Signal{sig}, "", nil
}

// srsClientID reads client_id, a JSON number (SRS 3) or string (SRS 4+).
func srsClientID(raw json.RawMessage) (string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return "", bad("client_id", "required")
	}
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil || s == "" {
			return "", bad("client_id", "must be a non-empty string or a number")
		}
		return s, nil
	}
	var n json.Number
	if err := json.Unmarshal(raw, &n); err != nil {
		return "", bad("client_id", "must be a non-empty string or a number")
	}
	return n.String(), nil
}
