package ingest_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/hookcast/hookcast/internal/engine"
	"github.com/hookcast/hookcast/internal/store"
)

// The real notifications captured from nginx-rtmp 1.2.2: a player waiting on an
// unpublished stream, a publisher with record all, the player leaving.
func TestNginxRTMPCapturedFixtures(t *testing.T) {
	t.Parallel()
	h, rec := setup(t)
	want := [][]engine.Signal{
		{{Kind: engine.ViewerConnected, AccountID: "DEF", Name: "show", ViewerID: "nginx-1"}},
		{{Kind: engine.FeedStarted, AccountID: "DEF", Name: "show", FeedID: "nginx-3"}},
		{{Kind: engine.FeedEnded, AccountID: "DEF", Name: "show", FeedID: "nginx-3", Reason: "publisher"}},
		{{Kind: engine.MediaUpdated, AccountID: "DEF", Event: "completed", MediaAssetID: "show.flv", Type: "recording", StreamName: "show"}},
		{{Kind: engine.ViewerDisconnected, AccountID: "DEF", Name: "show", ViewerID: "nginx-1"}},
	}
	fx := readFixtures(t, "nginx-rtmp-callbacks.txt")
	if len(fx) != len(want) {
		t.Fatalf("%d fixtures, %d expectations", len(fx), len(want))
	}
	for i, f := range fx {
		code, body := post(t, h, f.target, formType, f.body)
		if code != http.StatusOK {
			t.Fatalf("line %d: status %d %v", i+1, code, body)
		}
		got := rec.take()
		sameSignals(t, fmt.Sprintf("line %d", i+1), got, want[i])
		if want[i][0].Kind == engine.MediaUpdated && len(got) == 1 {
			if m := string(got[0].Metadata); m != `{"path":"/var/rec/show.flv"}` {
				t.Errorf("record_done metadata = %s", m)
			}
		}
	}
}

func TestNginxRTMPCalls(t *testing.T) {
	t.Parallel()
	base := "app=live&flashver=LNX%209,0,124,2&tcurl=rtmp://127.0.0.1/live&addr=127.0.0.1&clientid=7"
	tests := []struct {
		name, query, form string
		want              []engine.Signal
	}{
		{"app names an existing account", "", "app=ABC123&clientid=9&call=publish&name=show&type=live",
			[]engine.Signal{{Kind: engine.FeedStarted, AccountID: "ABC123", Name: "show", FeedID: "nginx-9"}}},
		{"server label makes ids distinct", "&server=edge-1", base + "&call=publish&name=show",
			[]engine.Signal{{Kind: engine.FeedStarted, AccountID: "DEF", Name: "show", FeedID: "nginx-edge-1-7"}}},
		{"update of a publisher is a heartbeat", "", base + "&call=update_publish&time=30&timestamp=30000&name=show",
			[]engine.Signal{{Kind: engine.FeedHeartbeat, AccountID: "DEF", Name: "show", FeedID: "nginx-7"}}},
		{"client arguments never override nginx's fields", "", base + "&call=play&name=show&start=0&duration=0&reset=0&name=other&clientid=99",
			[]engine.Signal{{Kind: engine.ViewerConnected, AccountID: "DEF", Name: "show", ViewerID: "nginx-7"}}},
		{"record_unique file names give the start time", "", base + "&call=record_done&recorder=rec1&name=show&path=/rec/show-1700000000.flv",
			[]engine.Signal{{Kind: engine.MediaUpdated, AccountID: "DEF", Event: "completed", MediaAssetID: "show-1700000000.flv",
				Type: "recording", StreamName: "show", StartTime: 1700000000000}}},
		{"the thumbnail capturer is not a viewer", "", base + "&call=play&name=show&start=0&hookcast=thumbnail", nil},
		{"its leaving neither", "", base + "&call=play_done&name=show&hookcast=thumbnail", nil},
		{"done is ignored", "", base + "&call=done&name=show", nil},
		{"update_play is ignored", "", base + "&call=update_play&name=show", nil},
		{"connect is ignored", "", "app=live&call=connect&epoch=1", nil},
		{"publish_done with idle_streams on: players wait", "&idle_streams=on", base + "&call=publish_done&name=show",
			[]engine.Signal{{Kind: engine.FeedEnded, AccountID: "DEF", Name: "show", FeedID: "nginx-7", Reason: "publisher"}}},
		{"publish_done with idle_streams off: nginx closed the players", "&idle_streams=off", base + "&call=publish_done&name=show",
			[]engine.Signal{{Kind: engine.FeedEnded, AccountID: "DEF", Name: "show", FeedID: "nginx-7", Reason: "publisher", ViewersClosed: true}}},
		{"a player with idle_streams off is still a viewer", "&idle_streams=off", base + "&call=play&name=show&start=0",
			[]engine.Signal{{Kind: engine.ViewerConnected, AccountID: "DEF", Name: "show", ViewerID: "nginx-7"}}},
		{"a client's own idle_streams argument changes nothing", "", base + "&call=publish_done&name=show&idle_streams=off",
			[]engine.Signal{{Kind: engine.FeedEnded, AccountID: "DEF", Name: "show", FeedID: "nginx-7", Reason: "publisher"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h, rec := setup(t)
			code, body := post(t, h, "/api/ingest/nginx-rtmp?token=abc"+tt.query, formType, tt.form)
			if code != http.StatusOK {
				t.Fatalf("status %d %v", code, body)
			}
			sameSignals(t, tt.name, rec.take(), tt.want)
		})
	}
}

// Bad input: a clear 400 naming the field, nothing submitted. nginx refuses the
// publisher or player, and the operator sees why in hookcast's log.
func TestNginxRTMPBadInput(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, query, form, field string
	}{
		{"garbage body", "", "call=publish&name=%zz&clientid=1", "body"},
		{"no call", "", "app=live&name=show&clientid=1", "call"},
		{"unknown call", "", "app=live&call=explode&name=show&clientid=1", "call"},
		{"missing name", "", "app=live&call=publish&clientid=1", "name"},
		{"name with a space", "", "app=live&call=publish&name=my+show&clientid=1", "name"},
		{"name with a slash", "", "app=live&call=play&name=a%2Fb%2F&clientid=1", "name"},
		{"name too long", "", "app=live&call=publish&clientid=1&name=" + strings.Repeat("x", 65), "name"},
		{"unicode name", "", "app=live&call=publish&clientid=1&name=%C3%A9t%C3%A9", "name"},
		{"missing clientid", "", "app=live&call=publish&name=show", "clientid"},
		{"record_done without path", "", "app=live&call=record_done&name=show&clientid=1", "path"},
		{"bad server label", "&server=a%20b", "app=live&call=publish&name=show&clientid=1", "server"},
		{"idle_streams neither on nor off", "&idle_streams=no", "app=live&call=publish&name=show&clientid=1", "idle_streams"},
		{"client id too long", "", "app=live&call=publish&name=show&clientid=" + strings.Repeat("9", 300), "feedId"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h, rec := setup(t)
			code, body := post(t, h, "/api/ingest/nginx-rtmp?token=abc"+tt.query, formType, tt.form)
			if code != http.StatusBadRequest {
				t.Fatalf("status %d %v, want 400", code, body)
			}
			data, _ := body["data"].(map[string]any)
			if _, ok := data[tt.field]; !ok || body["status"] != "fail" {
				t.Errorf("answer %v does not name field %q", body, tt.field)
			}
			if got := rec.take(); len(got) != 0 {
				t.Errorf("submitted %v", got)
			}
		})
	}
}

func TestAdaptersAuthAndOutage(t *testing.T) {
	t.Parallel()
	form := "app=live&call=publish&name=show&clientid=1"
	h, rec := setup(t)
	for _, target := range []string{"/api/ingest/nginx-rtmp", "/api/ingest/nginx-rtmp?token=wrong", "/api/ingest/srs?token=", "/api/ingest/mediamtx/ready?token=ab"} {
		if code, _ := post(t, h, target, formType, form); code != http.StatusUnauthorized {
			t.Errorf("%s: status %d, want 401", target, code)
		}
	}
	if got := rec.take(); len(got) != 0 {
		t.Fatalf("submitted without a token: %v", got)
	}
	// A bearer header works as well as the query parameter.
	req := requestWithBearer("/api/ingest/nginx-rtmp", form)
	if code := serve(h, req); code != http.StatusOK {
		t.Fatalf("bearer: status %d", code)
	}
	rec.take()

	// The store is down: nginx must hear an error (it drops the publisher, the
	// honest answer: nothing was recorded), with Retry-After.
	rec.fail = fmt.Errorf("commit: %w", store.ErrUnavailable)
	req = httptestRequest("/api/ingest/nginx-rtmp?token=abc", form)
	w := serveRecorder(h, req)
	if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") == "" {
		t.Fatalf("outage: status %d Retry-After %q", w.Code, w.Header().Get("Retry-After"))
	}
	if !strings.Contains(w.Body.String(), "database unavailable") {
		t.Errorf("outage body %q", w.Body.String())
	}
	rec.fail = errors.New("committer stopped")
	if code, _ := post(t, h, "/api/ingest/nginx-rtmp?token=abc", formType, form); code != http.StatusServiceUnavailable {
		t.Errorf("committer stopped: status %d", code)
	}
}

func FuzzNginxRTMP(f *testing.F) {
	for _, fx := range readFixtures(f, "nginx-rtmp-callbacks.txt") {
		f.Add(fx.body, "")
	}
	f.Add("app=ABC123&call=record_done&name=x&path=%2Fa%2Fb-1700000000.flv", "edge")
	f.Add("call=update_publish&name=a.b&clientid=%00", "")
	h, rec := setup(f)
	f.Fuzz(func(t *testing.T, form, server string) {
		target := "/api/ingest/nginx-rtmp?token=abc&server=" + url.QueryEscape(server)
		code, _ := post(t, h, target, formType, form)
		if code != http.StatusOK && code != http.StatusBadRequest {
			t.Fatalf("status %d for %q", code, form)
		}
		for _, s := range rec.take() {
			if err := s.Validate(); err != nil {
				t.Fatalf("submitted an invalid signal %+v: %v", s, err)
			}
			if code != http.StatusOK {
				t.Fatalf("submitted %+v but answered %d", s, code)
			}
		}
	})
}

// BenchmarkNginxRTMPPlay measures the adapter alone (routing, auth, form parsing,
// account lookup, validation) for one play notification, the most frequent call;
// the commit is the recorder's.
func BenchmarkNginxRTMPPlay(b *testing.B) {
	h, rec := setup(b)
	body := readFixtures(b, "nginx-rtmp-callbacks.txt")[0].body
	b.ReportAllocs()
	for b.Loop() {
		w := serveRecorder(h, httptestRequest("/api/ingest/nginx-rtmp?token=abc", body))
		if w.Code != http.StatusOK {
			b.Fatal(w.Code)
		}
		rec.take()
	}
}
