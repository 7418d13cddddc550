package reliability

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// recorder collects what a check reports.
type recorder struct{ errs []string }

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

// TestChecksCatchViolations feeds the crash tests' checks with event histories
// that break the rules, and good ones: a check that reports nothing proves
// nothing.
func TestChecksCatchViolations(t *testing.T) {
	t.Parallel()
	ev := func(id, typ string, ts int64) event {
		name := "v0"
		data := map[string]any{"name": name}
		if strings.HasPrefix(typ, "feeds.") {
			name = "f0"
			data = map[string]any{"name": name, "feedId": "w0-0"}
		}
		return event{id: id, typ: typ, name: name, ts: ts, data: data, canon: fmt.Sprint(typ, ts, data)}
	}
	a := func(id string, ts int64) event { return ev(id, "viewerConnection.viewerAttempt", ts) }
	n := func(id string, ts int64) event { return ev(id, "viewerConnection.noActiveViewers", ts) }
	cfg := durations{interval: 300 * time.Millisecond, delay: time.Second, feedTimeout: 1500 * time.Millisecond}
	sequences := []struct {
		name   string
		events []event
		want   string // "" when the history is fine
	}{
		{"two periods", []event{a("1", 0), a("2", 300), n("3", 1300), a("4", 1300), n("5", 2400)}, ""},
		{"timer fired twice", []event{a("1", 0), a("2", 300), a("3", 300), n("4", 1300)}, "after the previous one"},
		{"timer lost", []event{a("1", 0), a("2", 300)}, "no noActiveViewers"},
		{"noActiveViewers twice", []event{a("1", 0), n("2", 1000), n("3", 2000)}, "without a viewerAttempt"},
		{"noActiveViewers early", []event{a("1", 0), n("2", 999)}, "after the last viewerAttempt"},
	}
	for _, c := range sequences {
		r := &recorder{}
		checkViewerSequence(r, "v0", c.events, cfg)
		switch {
		case c.want == "" && len(r.errs) > 0:
			t.Errorf("%s: reported %v", c.name, r.errs)
		case c.want != "" && (len(r.errs) == 0 || !strings.Contains(r.errs[0], c.want)):
			t.Errorf("%s: reported %v, want %q", c.name, r.errs, c.want)
		}
	}

	now := time.UnixMilli(10_000)
	feeds := []struct {
		name   string
		events []event
		want   string
		silent bool  // the feed fell silent (no feed.ended acknowledged)
		sent   int64 // when feed.started was first sent (0: 10_000, when it was acknowledged)
	}{
		{"started and ended", []event{ev("1", "feeds.started", 10_000), ev("2", "feeds.ended", 10_500)}, "", false, 0},
		{"started twice", []event{ev("1", "feeds.started", 10_000), ev("2", "feeds.started", 10_001), ev("3", "feeds.ended", 10_500)}, "exactly 1 each", false, 0},
		{"never ended", []event{ev("1", "feeds.started", 10_000)}, "exactly 1 each", false, 0},
		{"same transition, two ids", []event{ev("1", "feeds.started", 10_000), ev("2", "feeds.started", 10_000), ev("3", "feeds.ended", 10_500)}, "duplicated", false, 0},
		{"ended after feed.ended was acknowledged", []event{ev("1", "feeds.started", 10_000), ev("2", "feeds.ended", 12_000)}, "after feed.ended", false, 0},
		{"timed out on time", []event{ev("1", "feeds.started", 10_000), ev("2", "feeds.ended", 11_500)}, "", true, 0},
		{"timed out early", []event{ev("1", "feeds.started", 10_000), ev("2", "feeds.ended", 11_000)}, "before", true, 0},
		{"timed out late", []event{ev("1", "feeds.started", 10_000), ev("2", "feeds.ended", 12_000)}, "later than", true, 0},
		{"started again by a retry after a timeout", []event{ev("1", "feeds.started", 7_500), ev("2", "feeds.ended", 9_000),
			ev("3", "feeds.started", 9_800), ev("4", "feeds.ended", 10_500)}, "", false, 7_000},
		{"an earlier life not a timeout", []event{ev("1", "feeds.started", 7_500), ev("2", "feeds.ended", 8_000),
			ev("3", "feeds.started", 9_800), ev("4", "feeds.ended", 10_500)}, "not a start timed out", false, 7_000},
		{"an earlier life before feed.started was sent", []event{ev("1", "feeds.started", 6_000), ev("2", "feeds.ended", 7_500),
			ev("3", "feeds.started", 9_800), ev("4", "feeds.ended", 10_500)}, "not a start timed out", false, 7_000},
		{"an earlier life timed out after the acknowledgement", []event{ev("1", "feeds.started", 9_000), ev("2", "feeds.ended", 10_500),
			ev("3", "feeds.started", 9_800), ev("4", "feeds.ended", 10_600)}, "not a start timed out", false, 7_000},
	}
	for _, c := range feeds {
		w := newWorkload(nil, "X", cfg, nil)
		sent := now
		if c.sent != 0 {
			sent = time.UnixMilli(c.sent)
		}
		fs := &feedStory{stream: "f0", id: "w0-0", firstSend: sent, startAck: now, lives: []span{{sent, now}}, lifeEnd: now, endAck: now.Add(time.Second)}
		if c.silent {
			fs.endAck = time.Time{}
		}
		w.feeds["w0-0"] = fs
		evs := map[string]event{}
		for _, e := range c.events {
			evs[e.id] = e
		}
		r := &recorder{}
		checkWorkload(r, w, evs)
		switch {
		case c.want == "" && len(r.errs) > 0:
			t.Errorf("%s: reported %v", c.name, r.errs)
		case c.want != "" && !strings.Contains(strings.Join(r.errs, "\n"), c.want):
			t.Errorf("%s: reported %v, want %q", c.name, r.errs, c.want)
		}
	}
}
