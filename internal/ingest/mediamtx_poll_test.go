package ingest_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"

	"github.com/hookcast/hookcast/internal/engine"
	"github.com/hookcast/hookcast/internal/httpx"
	"github.com/hookcast/hookcast/internal/ingest"
	"github.com/hookcast/hookcast/internal/thumbnail"
)

// fakeMediaMTX serves GET /v3/paths/list from its paths, two per page, in the
// shape of MediaMTX's control API.
type fakeMediaMTX struct {
	mu    sync.Mutex
	paths []map[string]any
	fail  bool
}

func (m *fakeMediaMTX) set(paths ...map[string]any) { m.mu.Lock(); m.paths = paths; m.mu.Unlock() }

func (m *fakeMediaMTX) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail || r.URL.Path != "/v3/paths/list" {
		http.Error(w, `{"status":"error","error":"boom"}`, http.StatusInternalServerError)
		return
	}
	page, _ := strconv.Atoi(r.URL.Query().Get("page"))
	const per = 2
	items := []map[string]any{}
	for i := page * per; i < len(m.paths) && i < (page+1)*per; i++ {
		items = append(items, m.paths[i])
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"pageCount": (len(m.paths) + per - 1) / per, "itemCount": len(m.paths), "items": items})
}

func readyPath(name, id string) map[string]any {
	return map[string]any{"name": name, "confName": "all_others", "ready": true, "readyTime": "2024-05-01T10:00:00Z",
		"source": map[string]any{"type": "rtmpConn", "id": id}, "tracks": []string{"H264"}, "readers": []any{}}
}

func TestMediaMTXPollerRepairsLostHooks(t *testing.T) {
	t.Parallel()
	mtx := &fakeMediaMTX{}
	api := httptest.NewServer(mtx)
	defer api.Close()
	rec := &recorder{}
	h := &ingest.Handler{Token: httpx.TokenChecker(testToken), Submit: rec,
		Accounts: accounts{"DEF": true, "ABC123": true}, DefaultAccount: "DEF"}
	var (
		mu   sync.Mutex
		live []thumbnail.Feed
	)
	setLive := func(f ...thumbnail.Feed) { mu.Lock(); live = f; mu.Unlock() }
	p := &ingest.MediaMTXPoller{API: api.URL, Handler: h,
		LiveFeeds: func(context.Context, string) ([]thumbnail.Feed, error) {
			mu.Lock()
			defer mu.Unlock()
			return append([]thumbnail.Feed(nil), live...), nil
		}}
	poll := func(step string, want []engine.Signal) {
		t.Helper()
		got, err := p.Poll(t.Context())
		if err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		sameSignals(t, step, got, want)
		sameSignals(t, step+" (submitted)", rec.take(), want)
	}

	// MediaMTX: two ready paths, one not ready, one hookcast cannot name.
	mtx.set(readyPath("mystream", "s1"), readyPath("ABC123/show", "s2"),
		map[string]any{"name": "idle", "ready": false, "source": nil}, readyPath("bad name", "s3"))
	// hookcast: s1 live, a feed whose notready was lost, and an nginx feed.
	setLive(thumbnail.Feed{AccountID: "DEF", Name: "mystream", FeedID: "mediamtx-s1"},
		thumbnail.Feed{AccountID: "DEF", Name: "gone", FeedID: "mediamtx-old"},
		thumbnail.Feed{AccountID: "DEF", Name: "x", FeedID: "nginx-1"})
	poll("first sighting", nil)
	poll("second sighting", []engine.Signal{
		{Kind: engine.FeedStarted, AccountID: "ABC123", Name: "show", FeedID: "mediamtx-s2"},
		{Kind: engine.FeedEnded, AccountID: "DEF", Name: "gone", FeedID: "mediamtx-old", Reason: "publisher"},
	})
	setLive(thumbnail.Feed{AccountID: "DEF", Name: "mystream", FeedID: "mediamtx-s1"},
		thumbnail.Feed{AccountID: "ABC123", Name: "show", FeedID: "mediamtx-s2"})
	poll("in sync", nil)

	// A hook in flight: MediaMTX is ahead for one poll only.
	mtx.set(readyPath("mystream", "s1"), readyPath("ABC123/show", "s2"), readyPath("new", "s4"))
	poll("hook in flight", nil)
	setLive(thumbnail.Feed{AccountID: "DEF", Name: "mystream", FeedID: "mediamtx-s1"},
		thumbnail.Feed{AccountID: "ABC123", Name: "show", FeedID: "mediamtx-s2"},
		thumbnail.Feed{AccountID: "DEF", Name: "new", FeedID: "mediamtx-s4"})
	poll("hook landed", nil)

	// MediaMTX unreachable: an error, nothing changed.
	mtx.mu.Lock()
	mtx.fail = true
	mtx.mu.Unlock()
	if _, err := p.Poll(t.Context()); err == nil {
		t.Fatal("a failing API gave no error")
	}
	if got := rec.take(); len(got) != 0 {
		t.Fatalf("submitted %v", got)
	}
}

// An alwaysAvailable path is ready (available) without a publisher, playing its
// offline segment: the poller goes by online (MediaMTX v1.19.3+), so it neither
// starts a feed for it nor keeps one that runOnOffline ended.
func TestMediaMTXPollerAlwaysAvailable(t *testing.T) {
	t.Parallel()
	mtx := &fakeMediaMTX{}
	api := httptest.NewServer(mtx)
	defer api.Close()
	rec := &recorder{}
	h := &ingest.Handler{Token: httpx.TokenChecker(testToken), Submit: rec,
		Accounts: accounts{"DEF": true}, DefaultAccount: "DEF"}
	var live []thumbnail.Feed
	p := &ingest.MediaMTXPoller{API: api.URL, Handler: h,
		LiveFeeds: func(context.Context, string) ([]thumbnail.Feed, error) { return live, nil }}
	offline := map[string]any{"name": "lobby", "ready": true, "available": true, "online": false, "source": nil}
	online := readyPath("stage", "s9")
	online["available"], online["online"] = true, true
	mtx.set(offline, online)
	live = []thumbnail.Feed{{AccountID: "DEF", Name: "lobby", FeedID: "mediamtx-s8"}} // its offline hook was lost
	for _, step := range []string{"first", "second"} {
		if _, err := p.Poll(t.Context()); err != nil {
			t.Fatalf("%s poll: %v", step, err)
		}
	}
	sameSignals(t, "repairs", rec.take(), []engine.Signal{
		{Kind: engine.FeedStarted, AccountID: "DEF", Name: "stage", FeedID: "mediamtx-s9"},
		{Kind: engine.FeedEnded, AccountID: "DEF", Name: "lobby", FeedID: "mediamtx-s8", Reason: "publisher"},
	})
}
