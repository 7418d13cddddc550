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

// nginxOptions are the query parameters of the notification URL, which describe
// the nginx server rather than the call.
type nginxOptions struct {
	// server names the nginx instance, so that the client ids of several nginx
	// servers (which each count from 1) make distinct feed and viewer ids.
	server string
	// closesPlayers is idle_streams=off: the application has `idle_streams off`,
	// so nginx closes every player of a stream when its publisher leaves
	// (ngx_rtmp_live_close_stream finalizes their sessions) and their play_done
	// races the publish_done. Those players are not waiting for the stream.
	closesPlayers bool
}

func nginxOptionsFrom(q url.Values) (nginxOptions, error) {
	o := nginxOptions{server: q.Get("server")}
	if o.server != "" && !validName(o.server) {
		return o, bad("server", "must be 1-64 characters of letters, digits, _ - .")
	}
	switch q.Get("idle_streams") {
	case "", "on":
	case "off":
		o.closesPlayers = true
	default:
		return o, bad("idle_streams", "must be on or off, as in the application's idle_streams directive")
	}
	return o, nil
}

// nginxRTMP serves POST /api/ingest/nginx-rtmp. The optional query parameters
// server and idle_streams describe the nginx server (nginxOptions).
func (h *Handler) nginxRTMP(w http.ResponseWriter, r *http.Request) {
	form, err := readForm(w, r)
	if err != nil {
		h.answer(w, nil, 0, err)
		return
	}
	var events int
	sigs, why, err := h.nginxSignals(r.Context(), form, r.URL.Query())
	if err == nil && why != "" {
		ignored(w, why)
		return
	}
	if err == nil {
		events, err = h.commitSignals(r.Context(), sigs)
	}
	h.logRefused("nginx-rtmp", form.Get("call"), err)
	h.answer(w, sigs, events, err)
}

// nginxSignals translates one notification. It returns the signals, or a reason
// the call is ignored, or an error (*badInput for bad input).
func (h *Handler) nginxSignals(ctx context.Context, form url.Values, query url.Values) ([]engine.Signal, string, error) {
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
	opt, err := nginxOptionsFrom(query)
	if err != nil {
		return nil, "", err
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
	if opt.server != "" {
		id = "nginx-" + opt.server + "-" + cid
	}
	sig := engine.Signal{AccountID: key.AccountID, Name: key.Name}
	switch call {
	case "publish":
		sig.Kind, sig.FeedID = engine.FeedStarted, id
	case "publish_done":
		sig.Kind, sig.FeedID, sig.Reason = engine.FeedEnded, id, engine.ReasonPublisher
		sig.ViewersClosed = opt.closesPlayers
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
