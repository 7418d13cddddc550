package dashboard

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookcast/hookcast/internal/engine"
	"github.com/hookcast/hookcast/internal/store"
)

// readState reads server-sent events until a "state" event and decodes it.
func readState(t *testing.T, rd *bufio.Reader) streamState {
	t.Helper()
	var st streamState
	if err := json.Unmarshal(readEvent(t, rd, "state"), &st); err != nil {
		t.Fatal(err)
	}
	return st
}

// readChanges reads server-sent events until a "changes" event and decodes it.
func readChanges(t *testing.T, rd *bufio.Reader) changes {
	t.Helper()
	var c changes
	if err := json.Unmarshal(readEvent(t, rd, "changes"), &c); err != nil {
		t.Fatal(err)
	}
	return c
}

// readEvent reads server-sent events until one named want and returns its data.
func readEvent(t *testing.T, rd *bufio.Reader, want string) []byte {
	t.Helper()
	event := ""
	for {
		line, err := rd.ReadString('\n')
		if err != nil {
			t.Fatalf("reading the event stream: %v", err)
		}
		line = strings.TrimRight(line, "\n")
		switch {
		case strings.HasPrefix(line, "event: "):
			event = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: ") && event == want:
			return []byte(strings.TrimPrefix(line, "data: "))
		}
	}
}

func TestEvents(t *testing.T) {
	t.Parallel()
	var viewers atomic.Int64
	var calls atomic.Int64
	b := setup(t, func(d *Deps) {
		d.StreamsInterval = 50 * time.Millisecond
		d.Streams = func(_ context.Context, acct string) ([]engine.StreamView, error) {
			calls.Add(1)
			return []engine.StreamView{{Name: "cam1", AccountID: acct, Viewers: int(viewers.Load())}}, nil
		}
		d.Events = func(_ context.Context, q store.EventQuery) ([]store.Event, error) {
			if q.AccountID != account || q.Limit != latestEvents {
				t.Errorf("event query %+v", q)
			}
			return []store.Event{{ID: "e1", Type: "feeds", Event: "started", StreamName: "cam1", Timestamp: 42, Body: []byte("secret body")}}, nil
		}
	})
	handlerDone := b.eventsDone
	if res := b.do(t, "GET", "/dashboard/events", "", "", nil); res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("without a session: status %d, want 401", res.StatusCode)
	}
	<-handlerDone
	c, _ := b.login(t)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", b.srv.URL+"/dashboard/events", nil)
	req.AddCookie(c)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if ct := res.Header.Get("Content-Type"); res.StatusCode != 200 || ct != "text/event-stream" {
		t.Fatalf("status %d, Content-Type %q", res.StatusCode, ct)
	}
	rd := bufio.NewReader(res.Body)
	st := readState(t, rd)
	if len(st.Events) != 1 || st.Events[0].ID != "e1" || st.Events[0].StreamName != "cam1" {
		t.Fatalf("first state: %+v", st)
	}
	if !strings.Contains(mustJSON(t, st.Streams), `"viewers":0`) {
		t.Fatalf("first streams: %s", mustJSON(t, st.Streams))
	}

	viewers.Store(3)
	ch := readChanges(t, rd) // sent because it changed: that stream only
	if len(ch.Streams) != 1 || !strings.Contains(string(ch.Streams[0]), `"viewers":3`) || len(ch.Removed) != 0 || ch.Events != nil {
		t.Fatalf("after the change: %s", mustJSON(t, ch))
	}

	cancel() // the browser leaves the page
	select {
	case <-handlerDone:
	case <-time.After(5 * time.Second):
		t.Fatal("the events handler kept running after the client went")
	}
	if calls.Load() < 2 {
		t.Fatalf("streams read %d times, want at least 2", calls.Load())
	}
}

func TestEventsEndOnShutdown(t *testing.T) {
	t.Parallel()
	b := setup(t, func(d *Deps) { d.StreamsInterval = 50 * time.Millisecond })
	c, _ := b.login(t)
	req, _ := http.NewRequest("GET", b.srv.URL+"/dashboard/events", nil)
	req.AddCookie(c)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	rd := bufio.NewReader(res.Body)
	if st := readState(t, rd); st.Streams == nil || st.Events == nil {
		t.Fatalf("state without lists: %+v", st)
	}
	b.d.Shutdown()
	done := make(chan error, 1)
	go func() {
		for {
			if _, err := rd.ReadString('\n'); err != nil {
				done <- err
				return
			}
		}
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("the stream stayed open after Shutdown")
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestEventsOutliveServerTimeouts: a server's ReadTimeout and WriteTimeout,
// meant for ordinary requests, must not cut the stream.
func TestEventsOutliveServerTimeouts(t *testing.T) {
	t.Parallel()
	const timeout = 200 * time.Millisecond
	var n atomic.Int64
	b := setup(t, func(d *Deps) {
		d.StreamsInterval = 50 * time.Millisecond
		d.Streams = func(context.Context, string) ([]engine.StreamView, error) { // changes every time
			return []engine.StreamView{{Name: "cam", Viewers: int(n.Add(1))}}, nil
		}
	})
	c, _ := b.login(t)
	srv := httptest.NewUnstartedServer(b.srv.Config.Handler)
	srv.Config.ReadTimeout, srv.Config.WriteTimeout = timeout, timeout
	srv.Start()
	defer srv.Close()
	req, _ := http.NewRequest("GET", srv.URL+"/dashboard/events", nil)
	req.AddCookie(c)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	rd := bufio.NewReader(res.Body)
	start := time.Now()
	readState(t, rd)
	for time.Since(start) < 4*timeout {
		readChanges(t, rd) // fails the test if the stream ends
	}
}
