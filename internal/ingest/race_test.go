package ingest_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookcast/hookcast/internal/engine"
	"github.com/hookcast/hookcast/internal/httpx"
	"github.com/hookcast/hookcast/internal/ingest"
	"github.com/hookcast/hookcast/webhook"
)

// engineSubmitter applies what an adapter submits to the real engine, in memory,
// at the time of a test clock: the adapters' translation and the engine's rules
// judged together, as a media server's callbacks would be. It keeps one state per
// stream and fires each stream's timers on its own, as the committer does: events of
// different streams are not interleaved by time, which its users never look at (the
// race tests have one stream; the decode fuzz only encodes each event).
type engineSubmitter struct {
	mu     sync.Mutex
	eng    *engine.Engine
	states map[engine.StreamKey]*engine.State
	now    int64
	evs    []engine.Event
}

func newEngineSubmitter(cfg engine.Config) *engineSubmitter {
	return &engineSubmitter{eng: engine.New(cfg), states: map[engine.StreamKey]*engine.State{}}
}

func (s *engineSubmitter) Submit(_ context.Context, sigs []engine.Signal) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	before := len(s.evs)
	for i := range sigs {
		var st *engine.State
		if sigs[i].Stateful() {
			k := sigs[i].Stream()
			if st = s.states[k]; st == nil {
				st = engine.NewState(k)
				s.states[k] = st
			}
		}
		s.evs = s.eng.AppendApply(s.evs, st, &sigs[i], s.now)
	}
	return len(s.evs) - before, nil
}

// at moves the clock, firing the timers due by then.
func (s *engineSubmitter) at(now int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.now = now
	for _, st := range s.states {
		s.evs = s.eng.AppendFire(s.evs, st, now)
	}
}

// viewerEvents lists the viewerConnection events so far as "at event".
func (s *engineSubmitter) viewerEvents() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, ev := range s.evs {
		if ev.Type == webhook.TypeViewerConnection {
			out = append(out, fmt.Sprintf("%d %s", ev.Timestamp, ev.Event))
		}
	}
	return out
}

// callback is one request of a media server: path and query, content type, body.
type callback struct{ target, ctype, body string }

func mtxHook(hook, form string) callback {
	return callback{"/api/ingest/mediamtx/" + hook + "?token=abc", formType, form}
}

func nginxCall(query, form string) callback {
	return callback{"/api/ingest/nginx-rtmp?token=abc" + query, formType, "app=live&flashver=LNX&tcurl=rtmp://127.0.0.1/live&addr=127.0.0.1&" + form}
}

func srsCall(query, body string) callback {
	return callback{"/api/ingest/srs?token=abc" + query, "application/json", body}
}

// The callbacks of one stream, "show" of the default account, per media server:
// the publisher starts, a reader joins the live stream, the publisher stops (end),
// and the reader's leave (leave), which the server sends on its own when it closes
// its readers with the source.
type serverScript struct {
	name          string
	start, join   callback
	end, leave    callback
	closesReaders bool // the server closes its readers when the source goes
}

func raceScripts() []serverScript {
	const (
		src    = "source_type=rtmpConn&source_id=6c1e3a0e-8d4f-4f0a-b1a8-7d9c2b3e4f50"
		reader = "reader_type=rtspSession&reader_id=0b1d2d9f-5a3c-4e0b-9c55-0a6f8e4f1c2a&query="
	)
	srsBody := func(action, cid string) string {
		return `{"server_id":"vid-0xk989d","action":"` + action + `","client_id":"` + cid +
			`","ip":"127.0.0.1","vhost":"__defaultVhost__","app":"live","tcUrl":"rtmp://127.0.0.1:1935/live","stream":"show","param":""}`
	}
	return []serverScript{
		{name: "MediaMTX runOnAvailable/runOnUnavailable",
			start: mtxHook("available", "path=show&"+src), join: mtxHook("read", "path=show&"+reader),
			end: mtxHook("unavailable", "path=show&"+src), leave: mtxHook("unread", "path=show&"+reader),
			closesReaders: true},
		{name: "MediaMTX before v1.19.3 (runOnReady/runOnNotReady)",
			start: mtxHook("ready", "path=show&"+src), join: mtxHook("read", "path=show&"+reader),
			end: mtxHook("notready", "path=show&"+src), leave: mtxHook("unread", "path=show&"+reader),
			closesReaders: true},
		{name: "MediaMTX alwaysAvailable (runOnOnline/runOnOffline): readers stay on the offline segment",
			start: mtxHook("online", "path=show&"+src), join: mtxHook("read", "path=show&"+reader),
			end: mtxHook("offline", "path=show&"+src), leave: mtxHook("unread", "path=show&"+reader)},
		{name: "nginx-rtmp idle_streams off",
			start:         nginxCall("&idle_streams=off", "clientid=3&call=publish&name=show&type=live"),
			join:          nginxCall("&idle_streams=off", "clientid=1&call=play&name=show&start=0&duration=0&reset=0"),
			end:           nginxCall("&idle_streams=off", "clientid=3&call=publish_done&name=show"),
			leave:         nginxCall("&idle_streams=off", "clientid=1&call=play_done&name=show"),
			closesReaders: true},
		{name: "nginx-rtmp idle_streams on: players wait",
			start: nginxCall("", "clientid=3&call=publish&name=show&type=live"),
			join:  nginxCall("", "clientid=1&call=play&name=show&start=0&duration=0&reset=0"),
			end:   nginxCall("", "clientid=3&call=publish_done&name=show"),
			leave: nginxCall("", "clientid=1&call=play_done&name=show")},
		{name: "SRS with HTTP-FLV players (players=http)",
			start: srsCall("&players=http", srsBody("on_publish", "341w361a")), join: srsCall("&players=http", srsBody("on_play", "5y0s32l8")),
			end: srsCall("&players=http", srsBody("on_unpublish", "341w361a")), leave: srsCall("&players=http", srsBody("on_stop", "5y0s32l8")),
			closesReaders: true},
		{name: "SRS with RTMP players: standby, they wait",
			start: srsCall("", srsBody("on_publish", "341w361a")), join: srsCall("", srsBody("on_play", "5y0s32l8")),
			end: srsCall("", srsBody("on_unpublish", "341w361a")), leave: srsCall("", srsBody("on_stop", "5y0s32l8"))},
	}
}

// newRaceRig returns the ingest routes over the real engine (I 10 s, D 60 s).
func newRaceRig(t *testing.T) (http.Handler, *engineSubmitter) {
	t.Helper()
	sub := newEngineSubmitter(engine.Config{ViewerAttemptInterval: 10 * time.Second, NoViewersDelay: 60 * time.Second})
	h := &ingest.Handler{Token: httpx.TokenChecker(testToken), Submit: sub,
		Accounts: accounts{"DEF": true}, DefaultAccount: "DEF"}
	mux := http.NewServeMux()
	h.Register(mux)
	return mux, sub
}

func (sub *engineSubmitter) send(t *testing.T, h http.Handler, at int64, cb callback) {
	t.Helper()
	sub.at(at)
	if code, body := post(t, h, cb.target, cb.ctype, cb.body); code != http.StatusOK {
		t.Fatalf("%s at %d: status %d %v", cb.target, at, code, body)
	}
}

// TestPublisherStopsUnderAReader is issue 12's fault: when a publisher stops under
// a connected reader, a server that closes its readers sends the reader's leave and
// the publisher's end at once, in either order. Neither order may send a
// viewerAttempt (it would start an encoder for nobody). A server whose readers stay
// connected has a waiting viewer, which still gets viewerAttempt (V1, V2).
func TestPublisherStopsUnderAReader(t *testing.T) {
	t.Parallel()
	for _, sc := range raceScripts() {
		for _, order := range []string{"end first", "leave first"} {
			t.Run(sc.name+"/"+order, func(t *testing.T) {
				t.Parallel()
				h, sub := newRaceRig(t)
				sub.send(t, h, 0, sc.start)
				sub.send(t, h, 1000, sc.join)
				first, second := sc.end, sc.leave
				if order == "leave first" {
					first, second = sc.leave, sc.end
				}
				sub.send(t, h, 20000, first)
				waits := !sc.closesReaders && order == "end first"
				if waits {
					// The reader stays: it waits, with repeats, until it leaves.
					sub.send(t, h, 35000, second)
				} else {
					sub.send(t, h, 20000, second)
				}
				sub.at(200000)
				got := strings.Join(sub.viewerEvents(), ", ")
				want := "1000 firstViewerConnection, 80000 noActiveViewers"
				if waits {
					want = "1000 firstViewerConnection, 20000 viewerAttempt, 30000 viewerAttempt, 95000 noActiveViewers"
				}
				if got != want {
					t.Fatalf("viewer events:\n got  %s\n want %s", got, want)
				}
			})
		}
	}
}

// TestWaitingViewersStillAttempt: the signals that do mean a viewer waiting for
// the stream keep their viewerAttempt on every adapter.
func TestWaitingViewersStillAttempt(t *testing.T) {
	t.Parallel()
	const readRefused = `{"ip":"127.0.0.1","user":"","password":"","token":"","action":"read","path":"show","protocol":"rtsp","id":"0b1d2d9f-5a3c-4e0b-9c55-0a6f8e4f1c2a","query":""}`
	tests := []struct {
		name  string
		steps []callback
		want  string
	}{
		{"MediaMTX refuses a reader of an offline path (authentication request)",
			[]callback{{"/api/ingest/mediamtx/auth?token=abc", "application/json", readRefused}},
			"0 viewerAttempt, 60000 noActiveViewers"},
		{"MediaMTX reader after the stream went unavailable",
			[]callback{mtxHook("available", "path=show&source_id=s1"), mtxHook("read", "path=show&reader_id=r1"),
				mtxHook("unavailable", "path=show&source_id=s1"), mtxHook("unread", "path=show&reader_id=r1"),
				{"/api/ingest/mediamtx/auth?token=abc", "application/json", readRefused}},
			"0 firstViewerConnection, 0 viewerAttempt, 60000 noActiveViewers"},
		{"nginx-rtmp player of a stream not yet live (idle_streams off too)",
			[]callback{nginxCall("&idle_streams=off", "clientid=1&call=play&name=show&start=0&duration=0&reset=0")},
			"0 viewerAttempt, 10000 viewerAttempt, 20000 viewerAttempt"},
		{"SRS player of a stream not yet live (players=http too)",
			[]callback{srsCall("&players=http", `{"action":"on_play","client_id":"c1","app":"live","stream":"show","param":""}`)},
			"0 viewerAttempt, 10000 viewerAttempt, 20000 viewerAttempt"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h, sub := newRaceRig(t)
			for _, cb := range tt.steps {
				sub.send(t, h, 0, cb)
			}
			sub.at(25000)
			if strings.Contains(tt.want, "noActiveViewers") {
				sub.at(200000)
			}
			if got := strings.Join(sub.viewerEvents(), ", "); got != tt.want {
				t.Fatalf("viewer events:\n got  %s\n want %s", got, tt.want)
			}
		})
	}
}
