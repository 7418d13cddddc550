package ingest

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"

	"github.com/hookcast/hookcast/internal/engine"
	"github.com/hookcast/hookcast/internal/thumbnail"
)

// nginx-rtmp's notifications (its notify module, docs/media-servers.md): a
// form-encoded POST with the session (app, flashver, swfurl, tcurl, pageurl, addr,
// clientid), then call and the call's own fields, then the client's own URL
// arguments. nginx's fields come first, so url.Values.Get (the first value) never
// lets a client's argument override them.
//
// nginx reads only the status: a non-2xx answer to publish or play refuses the
// client; the answers to the *_done calls are ignored.

// nginx calls that carry nothing hookcast reports; they are answered 200.
var nginxIgnored = map[string]string{
	"connect":     "connect is not reported",
	"disconnect":  "disconnect is not reported",
	"done":        "done duplicates publish_done and play_done",
	"update":      "update of an unknown session kind",
	"update_play": "player updates are not reported",
}

// nginxRTMP serves POST /api/ingest/nginx-rtmp. The optional query parameter
// server names the nginx instance, so that the client ids of several nginx
// servers (which each count from 1) make distinct feed and viewer ids.
func (h *Handler) nginxRTMP(w http.ResponseWriter, r *http.Request) {
	form, err := readForm(w, r)
	if err != nil {
		h.answer(w, nil, err)
		return
	}
	sigs, why, err := h.nginxSignals(r.Context(), form, r.URL.Query().Get("server"))
	if err == nil && why != "" {
		ignored(w, why)
		return
	}
	if err == nil {
		err = h.commitSignals(r.Context(), sigs)
	}
	h.logRefused("nginx-rtmp", form.Get("call"), err)
	h.answer(w, sigs, err)
}

// nginxSignals translates one notification. It returns the signals, or a reason
// the call is ignored, or an error (*badInput for bad input).
func (h *Handler) nginxSignals(ctx context.Context, form url.Values, server string) ([]engine.Signal, string, error) {
	call := form.Get("call")
	switch call {
	case "":
		return nil, "", bad("call", "required (is this an nginx-rtmp notification?)")
	case "publish", "publish_done", "update_publish", "play", "play_done", "record_done":
	default:
		if why, ok := nginxIgnored[call]; ok {
			return nil, why, nil
		}
		return nil, "", bad("call", "unknown nginx-rtmp call "+quote(call))
	}
	if server != "" && !validName(server) {
		return nil, "", bad("server", "must be 1-64 characters of letters, digits, _ - .")
	}
	if (call == "play" || call == "play_done") && form.Get(thumbnail.MarkerKey) == thumbnail.MarkerValue {
		return nil, "the thumbnail capturer is not a viewer", nil
	}
	key, err := h.streamFor(ctx, form.Get("app")+"/"+form.Get("name"))
	if err != nil {
		return nil, "", err
	}
	if call == "record_done" {
		sig, err := recordingSignal(key, form.Get("path"), map[string]string{"recorder": form.Get("recorder")}, 0)
		if err != nil {
			return nil, "", err
		}
		return []engine.Signal{sig}, "", nil
	}
	cid := form.Get("clientid")
	if cid == "" {
		return nil, "", bad("clientid", "required")
	}
	id := "nginx-" + cid
	if server != "" {
		id = "nginx-" + server + "-" + cid
	}
	sig := engine.Signal{AccountID: key.AccountID, Name: key.Name}
	switch call {
	case "publish":
		sig.Kind, sig.FeedID = engine.FeedStarted, id
	case "publish_done":
		sig.Kind, sig.FeedID, sig.Reason = engine.FeedEnded, id, engine.ReasonPublisher
	case "update_publish":
		sig.Kind, sig.FeedID = engine.FeedHeartbeat, id
	case "play":
		// A player of a stream that is not live is a waiting viewer (nginx keeps it
		// with idle_streams on): the engine counts it as an attempt (events.md §3.2).
		sig.Kind, sig.ViewerID = engine.ViewerConnected, id
	case "play_done":
		sig.Kind, sig.ViewerID = engine.ViewerDisconnected, id
	}
	return []engine.Signal{sig}, "", nil
}

// logRefused tells the operator why a media server's callback was refused: the
// media server itself only logs the status code. Only the reason is logged, never
// the body (it carries the clients' URL arguments, often stream keys).
func (h *Handler) logRefused(adapter, call string, err error) {
	if err == nil || h.Logger == nil {
		return
	}
	var bi *badInput
	if errors.As(err, &bi) {
		h.Logger.Warn("media server callback refused", "adapter", adapter, "call", call, "reason", err.Error())
	}
}

func quote(s string) string {
	if len(s) > 64 {
		s = s[:64] + "…"
	}
	return strconv.Quote(s)
}
