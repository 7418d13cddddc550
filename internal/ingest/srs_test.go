package ingest_test

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/hookcast/hookcast/internal/engine"
)

func TestSRSFixtures(t *testing.T) {
	t.Parallel()
	h, rec := setup(t)
	feed, viewer := "srs-vid-0xk989d-341w361a", "srs-vid-0xk989d-5y0s32l8"
	want := [][]engine.Signal{
		{{Kind: engine.FeedStarted, AccountID: "DEF", Name: "livestream", FeedID: feed}},
		{{Kind: engine.ViewerConnected, AccountID: "DEF", Name: "livestream", ViewerID: viewer}},
		{{Kind: engine.ViewerDisconnected, AccountID: "DEF", Name: "livestream", ViewerID: viewer}},
		{{Kind: engine.FeedEnded, AccountID: "DEF", Name: "livestream", FeedID: feed, Reason: "publisher"}},
		{{Kind: engine.MediaUpdated, AccountID: "DEF", Event: "completed", MediaAssetID: "livestream.1420254068776.flv",
			Type: "recording", StreamName: "livestream", StartTime: 1420254068776}},
		{{Kind: engine.FeedStarted, AccountID: "ABC123", Name: "show", FeedID: "srs-1985"}}, // SRS 3: numeric client_id
		nil, // on_connect
		nil, // the thumbnail capturer
	}
	fx := readFixtures(t, "srs-callbacks.txt")
	if len(fx) != len(want) {
		t.Fatalf("%d fixtures, %d expectations", len(fx), len(want))
	}
	for i, f := range fx {
		code, body := post(t, h, f.target, "application/json", f.body)
		if code != http.StatusOK || body["code"] != float64(0) {
			t.Fatalf("line %d: status %d %v, want 200 {\"code\":0}", i+1, code, body)
		}
		got := rec.take()
		sameSignals(t, fmt.Sprintf("line %d", i+1), got, want[i])
		if len(got) == 1 && got[0].Kind == engine.MediaUpdated {
			// A relative file is resolved against SRS's working directory.
			if m := string(got[0].Metadata); m != `{"path":"/usr/local/srs/objs/nginx/html/live/livestream.1420254068776.flv"}` {
				t.Errorf("on_dvr metadata %s", m)
			}
		}
	}
}

// Failures: a non-zero code and a non-200 status, so every SRS version refuses
// the client (on_publish, on_play) instead of letting it in unrecorded.
// TestSRSPlayers: SRS keeps RTMP players waiting when the publisher leaves, but
// disconnects HTTP-FLV/TS players (6.0.152+); players=http on the URL says which.
func TestSRSPlayers(t *testing.T) {
	t.Parallel()
	const unpublish = `{"server_id":"vid-1","action":"on_unpublish","client_id":"c1","app":"live","stream":"s","param":""}`
	ended := engine.Signal{Kind: engine.FeedEnded, AccountID: "DEF", Name: "s", FeedID: "srs-vid-1-c1", Reason: "publisher"}
	closing := ended
	closing.ViewersClosed = true
	for _, tt := range []struct {
		query string
		want  engine.Signal
	}{{"", ended}, {"&players=rtmp", ended}, {"&players=http", closing}} {
		h, rec := setup(t)
		if code, body := post(t, h, "/api/ingest/srs?token=abc"+tt.query, "application/json", unpublish); code != http.StatusOK {
			t.Fatalf("%q: status %d %v", tt.query, code, body)
		}
		sameSignals(t, tt.query, rec.take(), []engine.Signal{tt.want})
	}
}

func TestSRSBadInput(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, body string }{
		{"not JSON", "action=on_publish"},
		{"no action", `{"client_id":"1","app":"live","stream":"s"}`},
		{"unknown action", `{"action":"on_explode","client_id":"1","app":"live","stream":"s"}`},
		{"no stream", `{"action":"on_publish","client_id":"1","app":"live"}`},
		{"invalid stream", `{"action":"on_publish","client_id":"1","app":"live","stream":"a b"}`},
		{"no client id", `{"action":"on_play","app":"live","stream":"s"}`},
		{"null client id", `{"action":"on_play","client_id":null,"app":"live","stream":"s"}`},
		{"object client id", `{"action":"on_play","client_id":{},"app":"live","stream":"s"}`},
		{"on_dvr without file", `{"action":"on_dvr","client_id":"1","app":"live","stream":"s"}`},
		{"client id with a control character", `{"action":"on_play","client_id":"a\u0000b","app":"live","stream":"s"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h, rec := setup(t)
			code, body := post(t, h, "/api/ingest/srs?token=abc", "application/json", tt.body)
			if code != http.StatusBadRequest || body["code"] == float64(0) || body["msg"] == "" {
				t.Fatalf("status %d %v, want 400 with a non-zero code and a message", code, body)
			}
			if got := rec.take(); len(got) != 0 {
				t.Errorf("submitted %v", got)
			}
		})
	}
	h, rec := setup(t)
	const unpublish = `{"action":"on_unpublish","client_id":"1","app":"live","stream":"s"}`
	if code, body := post(t, h, "/api/ingest/srs?token=abc&players=flv", "application/json", unpublish); code != http.StatusBadRequest || !strings.Contains(fmt.Sprint(body["msg"]), "players") {
		t.Fatalf("players=flv: status %d %v, want 400 naming players", code, body)
	}
	if got := rec.take(); len(got) != 0 {
		t.Errorf("submitted %v", got)
	}
	rec.fail = errors.New("store down")
	code, body := post(t, h, "/api/ingest/srs?token=abc", "application/json",
		`{"action":"on_publish","client_id":"1","app":"live","stream":"s"}`)
	if code != http.StatusServiceUnavailable || body["code"] == float64(0) {
		t.Fatalf("outage: status %d %v", code, body)
	}
}

func FuzzSRS(f *testing.F) {
	for _, fx := range readFixtures(f, "srs-callbacks.txt") {
		f.Add(fx.body)
	}
	h, rec := setup(f)
	f.Fuzz(func(t *testing.T, body string) {
		code, resp := post(t, h, "/api/ingest/srs?token=abc", "application/json", body)
		if code != http.StatusOK && code != http.StatusBadRequest {
			t.Fatalf("body %q: status %d", body, code)
		}
		if (code == http.StatusOK) != (resp["code"] == float64(0)) {
			t.Fatalf("status %d but code %v", code, resp["code"])
		}
		for _, s := range rec.take() {
			if err := s.Validate(); err != nil || code != http.StatusOK {
				t.Fatalf("submitted %+v (valid: %v) with status %d", s, err, code)
			}
			if strings.ContainsRune(s.Name, '/') {
				t.Fatalf("stream name with a slash: %+v", s)
			}
		}
	})
}
