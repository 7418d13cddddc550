package engine

import (
	"bytes"
	"errors"
	"testing"

	"github.com/hookcast/hookcast/webhook"
)

func TestFeedsPerFeed(t *testing.T) {
	t.Parallel()
	runRules(t, []rule{
		{name: "two encoders, two feeds, no viewer events",
			steps: []step{{0, start("f1")}, {1000, start("f2")}, {2000, end("f1")}, {3000, end("f2")}}, until: 100000,
			want: []string{"0 started f1", "1000 started f2", "2000 ended f1", "3000 ended f2"}},
		{name: "live until the last feed ends",
			steps: []step{{0, start("f1")}, {1000, start("f2")}, {2000, conn("v1")}, {3000, end("f1")}, {4000, end("f2")}}, until: 4000,
			want: []string{"0 started f1", "1000 started f2", "2000 firstViewerConnection", "3000 ended f1", "4000 ended f2", "4000 viewerAttempt"}},
		{name: "a feed id can start again after it ended",
			steps: []step{{0, start("f1")}, {1000, end("f1")}, {2000, start("f1")}}, until: 3000,
			want: []string{"0 started f1", "1000 ended f1", "2000 started f1"}},
	})
}

func TestFeedTimeout(t *testing.T) {
	t.Parallel()
	ft := Config{FeedTimeout: ms(15000)}
	runRules(t, []rule{
		{name: "ends at the last sign of life plus the timeout", cfg: ft,
			steps: []step{{0, start("f1")}, {10000, beat("f1")}}, until: 60000,
			want: []string{"0 started f1", "25000 ended f1"}},
		{name: "heartbeats keep it alive", cfg: ft,
			steps: []step{{0, start("f1")}, {14999, beat("f1")}, {29998, beat("f1")}}, until: 44997,
			want: []string{"0 started f1"}},
		{name: "a repeated started is a sign of life", cfg: ft,
			steps: []step{{0, start("f1")}, {10000, start("f1")}}, until: 60000,
			want: []string{"0 started f1", "25000 ended f1"}},
		{name: "per feed: one times out, the other stays", cfg: ft,
			steps: []step{{0, start("f1")}, {0, start("f2")}, {10000, beat("f2")}, {20000, beat("f2")}}, until: 30000,
			want: []string{"0 started f1", "0 started f2", "15000 ended f1"}},
		{name: "the last feed timing out leaves viewers waiting", cfg: ft,
			steps: []step{{0, start("f1")}, {1000, conn("v1")}}, until: 25000,
			want: []string{"0 started f1", "1000 firstViewerConnection", "15000 ended f1", "15000 viewerAttempt", "25000 viewerAttempt"}},
		{name: "a heartbeat for an unknown feed changes nothing", cfg: ft,
			steps: []step{{0, beat("f1")}}, until: 60000,
			want: nil},
		{name: "a heartbeat due at its instant comes too late", cfg: ft,
			steps: []step{{0, start("f1")}, {15000, beat("f1")}}, until: 60000,
			want: []string{"0 started f1", "15000 ended f1"}},
		{name: "off by default",
			steps: []step{{0, start("f1")}}, until: 10_000_000,
			want: []string{"0 started f1"}},
	})
}

func TestFeedEventData(t *testing.T) {
	t.Parallel()
	e := New(Config{FeedTimeout: ms(1000)})
	st := NewState(StreamKey{acc, stream})
	p := 2.5
	sig := start("f1")
	sig.Priority, sig.SourceID, sig.SimulcastID = &p, "cam", "high"
	evs := e.Apply(st, sig, 100)
	p = 9 // the engine keeps its own copy
	evs = append(evs, e.Apply(st, Signal{Kind: FeedEnded, AccountID: acc, Name: stream, FeedID: "f1", Reason: ReasonPublisher}, 500)...)
	evs = append(evs, e.Apply(st, start("f2"), 600)...)
	evs = append(evs, e.Fire(st, 5000)...)
	want := []string{
		`{"type":"feeds","event":"started","timestamp":100,"data":{"feedId":"f1","accountId":"ACC","name":"show","streamId":"ACC/show","started":100,"active":true,"priority":2.5,"sourceId":"cam","simulcastId":"high"}}`,
		`{"type":"feeds","event":"ended","timestamp":500,"data":{"feedId":"f1","accountId":"ACC","name":"show","streamId":"ACC/show","started":100,"active":false,"ended":500,"priority":2.5,"sourceId":"cam","simulcastId":"high"}}`,
		`{"type":"feeds","event":"started","timestamp":600,"data":{"feedId":"f2","accountId":"ACC","name":"show","streamId":"ACC/show","started":600,"active":true}}`,
		`{"type":"feeds","event":"ended","timestamp":1600,"data":{"feedId":"f2","accountId":"ACC","name":"show","streamId":"ACC/show","started":600,"active":false,"ended":1600}}`,
	}
	if len(evs) != len(want) {
		t.Fatalf("got %d events, want %d", len(evs), len(want))
	}
	for i, ev := range evs {
		b, err := ev.Body()
		if err != nil {
			t.Fatal(err)
		}
		if string(b) != want[i] {
			t.Errorf("event %d:\n got  %s\n want %s", i, b, want[i])
		}
		if bytes.Contains(b, []byte("reason")) {
			t.Errorf("event %d carries a reason: %s", i, b)
		}
		if ev.AccountID != acc || ev.Name != stream || ev.Type != webhook.TypeFeeds {
			t.Errorf("event %d: account %q name %q type %q", i, ev.AccountID, ev.Name, ev.Type)
		}
	}
	if !st.AtRest() || st.Idle() {
		t.Errorf("state with every feed ended and no viewer: at rest %v, idle %v; want true, false (its clock is kept)", st.AtRest(), st.Idle())
	}
}

// closedEnd is the feed.ended of an adapter whose media server closed the stream's
// viewers with the feed (MediaMTX's runOnUnavailable, nginx-rtmp idle_streams off).
func closedEnd(f string) Signal {
	s := end(f)
	s.ViewersClosed = true
	return s
}

// TestFeedEndedViewersClosed is the race of issue 12: the server closes its readers
// when the publisher goes, and the readers' disconnects and the feed's end arrive in
// either order. Neither order is a waiting viewer; the plain feed.ended (a server
// that keeps its players, the conformance scenario stream-down-with-viewers) still is.
func TestFeedEndedViewersClosed(t *testing.T) {
	t.Parallel()
	runRules(t, []rule{
		{name: "feed end first, then the closed reader's disconnect",
			steps: []step{{0, start("f1")}, {1000, conn("v1")}, {20000, closedEnd("f1")}, {20000, disc("v1")}}, until: 200000,
			want: []string{"0 started f1", "1000 firstViewerConnection", "20000 ended f1", "80000 noActiveViewers"}},
		{name: "the closed reader's disconnect first, then the feed end",
			steps: []step{{0, start("f1")}, {1000, conn("v1")}, {20000, disc("v1")}, {20000, closedEnd("f1")}}, until: 200000,
			want: []string{"0 started f1", "1000 firstViewerConnection", "20000 ended f1", "80000 noActiveViewers"}},
		{name: "the disconnect arriving late changes nothing",
			steps: []step{{0, start("f1")}, {1000, conn("v1")}, {1000, conn("v2")}, {20000, closedEnd("f1")}, {25000, disc("v2")}, {26000, disc("v1")}}, until: 200000,
			want: []string{"0 started f1", "1000 firstViewerConnection", "20000 ended f1", "80000 noActiveViewers"}},
		{name: "a viewer that asks again after the close is a genuine attempt",
			steps: []step{{0, start("f1")}, {1000, conn("v1")}, {20000, closedEnd("f1")}, {22000, att()}}, until: 200000,
			want: []string{"0 started f1", "1000 firstViewerConnection", "20000 ended f1", "22000 viewerAttempt", "82000 noActiveViewers"}},
		{name: "a viewer connecting after the close waits",
			steps: []step{{0, start("f1")}, {1000, conn("v1")}, {20000, closedEnd("f1")}, {23000, conn("v2")}}, until: 33000,
			want: []string{"0 started f1", "1000 firstViewerConnection", "20000 ended f1", "23000 viewerAttempt", "33000 viewerAttempt"}},
		{name: "while another feed keeps the stream live, viewers stay",
			steps: []step{{0, start("f1")}, {0, start("f2")}, {1000, conn("v1")}, {20000, closedEnd("f1")}, {30000, end("f2")}}, until: 30000,
			want: []string{"0 started f1", "0 started f2", "1000 firstViewerConnection", "20000 ended f1", "30000 ended f2", "30000 viewerAttempt"}},
		{name: "without viewers it is a plain feed end",
			steps: []step{{0, start("f1")}, {20000, closedEnd("f1")}}, until: 200000,
			want: []string{"0 started f1", "20000 ended f1"}},
		{name: "the next live session has no viewer until one connects",
			steps: []step{{0, start("f1")}, {1000, conn("v1")}, {20000, closedEnd("f1")}, {21000, start("f2")}, {22000, conn("v2")}}, until: 30000,
			want: []string{"0 started f1", "1000 firstViewerConnection", "20000 ended f1", "21000 started f2", "22000 firstViewerConnection"}},
	})
}

func TestViewersClosedOnlyForFeedEnded(t *testing.T) {
	t.Parallel()
	for _, s := range []Signal{start("f1"), beat("f1"), conn("v1"), disc("v1"), att()} {
		s.ViewersClosed = true
		err := s.Validate()
		var se *SignalError
		if !errors.As(err, &se) || se.Field != "viewersClosed" {
			t.Errorf("%s with ViewersClosed: got %v, want a viewersClosed error", s.Kind, err)
		}
	}
	if s := closedEnd("f1"); s.Validate() != nil {
		err := s.Validate()
		t.Errorf("feed.ended with ViewersClosed: %v", err)
	}
}
