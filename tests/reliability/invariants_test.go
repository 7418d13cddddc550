package reliability

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/hookcast/hookcast/tests/reliability/harness"
)

// reporter is the part of testing.TB the checks use, so their own test can
// catch what they report.
type reporter interface {
	Helper()
	Errorf(format string, args ...any)
}

// event is one distinct event (by webhook-id) a receiver accepted.
type event struct {
	id, typ, name, canon string
	ts                   int64
	data                 map[string]any
}

// distinctEvents returns the events accepted at path, one per webhook-id, and
// how many requests repeated an id already accepted (at-least-once delivery).
func distinctEvents(t *testing.T, hits []harness.Hit, path string) (map[string]event, int) {
	t.Helper()
	out := map[string]event{}
	repeats := 0
	for _, h := range hits {
		if h.Path != path || !h.Verified || h.Status/100 != 2 {
			continue
		}
		if _, ok := out[h.ID]; ok {
			repeats++
			continue
		}
		var env struct {
			Type      string         `json:"type"`
			Event     string         `json:"event"`
			Timestamp int64          `json:"timestamp"`
			Data      map[string]any `json:"data"`
		}
		if err := json.Unmarshal(h.Body, &env); err != nil {
			t.Fatalf("event %s: %v: %s", h.ID, err, h.Body)
		}
		c, _ := canonical(h.Body)
		name, _ := env.Data["name"].(string)
		out[h.ID] = event{id: h.ID, typ: env.Type + "." + env.Event, name: name, canon: c, ts: env.Timestamp, data: env.Data}
	}
	return out, repeats
}

// checkWorkload checks the events against what the workload had acknowledged:
// no transition twice (two event ids with the same content), every acknowledged
// feed started and ended exactly once, at times its signals allow, and every
// viewer stream's events in the order the rules allow, ending with
// noActiveViewers (its timer was not lost). It returns how many events it checked.
func checkWorkload(t reporter, w *workload, evs map[string]event) int {
	t.Helper()
	byContent := map[string]string{}
	for id, ev := range evs {
		if other, ok := byContent[ev.canon]; ok {
			t.Errorf("state transition duplicated: events %s and %s are both %s", other, id, ev.canon)
		}
		byContent[ev.canon] = id
	}
	feedEvents := map[string][]event{}
	viewerEvents := map[string][]event{}
	for _, ev := range evs {
		switch ev.typ {
		case "feeds.started", "feeds.ended":
			fid, _ := ev.data["feedId"].(string)
			feedEvents[fid] = append(feedEvents[fid], ev)
		case "viewerConnection.viewerAttempt", "viewerConnection.noActiveViewers":
			viewerEvents[ev.name] = append(viewerEvents[ev.name], ev)
		default:
			t.Errorf("unexpected event %s", ev.canon)
		}
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	for fid := range feedEvents {
		if w.feeds[fid] == nil {
			t.Errorf("events for feed %s, which was never acknowledged as started", fid)
		}
	}
	slack := int64(2) // ms: rounding of the server's clock to ms on both ends
	timeout := w.cfg.feedTimeout.Milliseconds()
	for fid, fs := range w.feeds {
		var started, ended []event
		for _, ev := range feedEvents[fid] {
			if ev.typ == "feeds.started" {
				started = append(started, ev)
			} else {
				ended = append(ended, ev)
			}
		}
		byTime := func(a, b event) int { return int(a.ts - b.ts) }
		slices.SortFunc(started, byTime)
		slices.SortFunc(ended, byTime)
		if len(started) != len(ended) || len(started) == 0 {
			t.Errorf("feed %s: %d started and %d ended events, want exactly 1 each: started %v, ended %v; feed.started first sent %d, acknowledged %d",
				fid, len(started), len(ended), stamps(started), stamps(ended), fs.firstSend.UnixMilli(), fs.startAck.UnixMilli())
			continue
		}
		// A feed.started committed whose answer a kill lost is sent again until
		// acknowledged. When the retries outlast the feed timeout, the committed
		// start times out (no sign of life for T, events.md §3.1) and a later
		// attempt starts the feed again, a new start. Such an earlier life lies
		// within the sending of feed.started and ends exactly T after it began;
		// the last life is the feed's story.
		last := len(started) - 1
		for i := range last {
			s, e := started[i].ts, ended[i].ts
			if s < fs.firstSend.UnixMilli()-slack || e != s+timeout || e > fs.startAck.UnixMilli()+slack || e > started[i+1].ts {
				t.Errorf("feed %s: started at %d and ended at %d, not a start timed out while feed.started was sent again (%d..%d, T = %d): started %v, ended %v",
					fid, s, e, fs.firstSend.UnixMilli(), fs.startAck.UnixMilli(), timeout, stamps(started), stamps(ended))
			}
		}
		s, e := started[last].ts, ended[last].ts
		if s < fs.firstSend.UnixMilli()-slack || s > fs.startAck.UnixMilli()+slack {
			t.Errorf("feed %s: started at %d, outside its signal's sending %d..%d", fid, s, fs.firstSend.UnixMilli(), fs.startAck.UnixMilli())
		}
		switch {
		case e < s:
			t.Errorf("feed %s ended (%d) before it started (%d)", fid, e, s)
		case !fs.endAck.IsZero() && e > fs.endAck.UnixMilli()+slack:
			t.Errorf("feed %s: ended at %d, after feed.ended was acknowledged at %d", fid, e, fs.endAck.UnixMilli())
		case fs.endAck.IsZero() && e > fs.lifeEnd.UnixMilli()+timeout+slack:
			t.Errorf("feed %s fell silent: timed out at %d, later than its last sign of life (by %d) + %d ms", fid, e, fs.lifeEnd.UnixMilli(), timeout)
		case fs.endAck.IsZero():
			// Every sign of life acknowledged before the end pushed the timeout
			// to at least its sending + T (one acknowledged after the end found
			// the feed gone, and changed nothing).
			for _, l := range fs.lives {
				if l.acked.UnixMilli() < e && e < l.sent.UnixMilli()+timeout-slack {
					t.Errorf("feed %s fell silent: timed out at %d, before %d (a sign of life sent at %d, acknowledged at %d, + %d ms)",
						fid, e, l.sent.UnixMilli()+timeout, l.sent.UnixMilli(), l.acked.UnixMilli(), timeout)
				}
			}
		}
	}
	for stream := range w.viewers {
		if len(viewerEvents[stream]) == 0 {
			t.Errorf("viewer stream %s: acknowledged signals but no event", stream)
		}
	}
	for stream, list := range viewerEvents {
		checkViewerSequence(t, stream, list, w.cfg)
	}
	return len(evs)
}

// stamps lists the timestamps of evs, for messages.
func stamps(evs []event) []int64 {
	var ts []int64
	for _, ev := range evs {
		ts = append(ts, ev.ts)
	}
	return ts
}

// checkViewerSequence: a stream that is never live goes through periods of
// interest, each one or more viewerAttempt (at least I apart: V1, V2) then
// exactly one noActiveViewers (at least D after the last attempt event: V5).
func checkViewerSequence(t reporter, stream string, list []event, cfg durations) {
	t.Helper()
	sort.Slice(list, func(a, b int) bool {
		if list[a].ts != list[b].ts {
			return list[a].ts < list[b].ts
		}
		// A timer due at an input's instant fires first: noActiveViewers, then the attempt.
		return list[a].typ == "viewerConnection.noActiveViewers" && list[b].typ != list[a].typ
	})
	iv, d := cfg.interval.Milliseconds(), cfg.delay.Milliseconds()
	var seq []string
	lastAttempt := int64(-1)
	wantAttempt := true
	for _, ev := range list {
		seq = append(seq, fmt.Sprintf("%s@%d", ev.typ[len("viewerConnection."):], ev.ts))
		switch ev.typ {
		case "viewerConnection.viewerAttempt":
			if lastAttempt >= 0 && ev.ts-lastAttempt < iv {
				t.Errorf("stream %s: viewerAttempt %d ms after the previous one (I = %d): %v", stream, ev.ts-lastAttempt, iv, seq)
			}
			lastAttempt, wantAttempt = ev.ts, false
		case "viewerConnection.noActiveViewers":
			if wantAttempt {
				t.Errorf("stream %s: noActiveViewers without a viewerAttempt before it: %v", stream, seq)
			} else if ev.ts-lastAttempt < d {
				t.Errorf("stream %s: noActiveViewers %d ms after the last viewerAttempt (D = %d): %v", stream, ev.ts-lastAttempt, d, seq)
			}
			wantAttempt = true
		}
	}
	if !wantAttempt {
		t.Errorf("stream %s: the last period has no noActiveViewers (a timer was lost): %v", stream, seq)
	}
}

// checkLog: every delivery in the log succeeded and its event was received, and
// every event received is in the log.
func checkLog(t *testing.T, logs []harness.Delivery, evs map[string]event) {
	t.Helper()
	inLog := map[string]bool{}
	for _, d := range logs {
		inLog[d.EventID] = true
		if d.State != "succeeded" {
			t.Errorf("delivery %d (%s.%s): %s after %d attempts: %s", d.ID, d.EventType, d.EventName, d.State, d.AttemptCount, d.LastError)
		}
		if _, ok := evs[d.EventID]; !ok {
			t.Errorf("delivery %d: event %s in the log was never received", d.ID, d.EventID)
		}
	}
	for id := range evs {
		if !inLog[id] {
			t.Errorf("event %s received but not in the delivery log", id)
		}
	}
}

// settleAfter waits for every timer the workload could have set to fall due.
func settleAfter(cfg durations) {
	time.Sleep(cfg.feedTimeout + cfg.delay + cfg.interval + time.Second) // timers fall due; then the log is polled
}
