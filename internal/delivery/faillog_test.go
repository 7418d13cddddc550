package delivery

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookcast/hookcast/internal/store"
)

// logBuf collects JSON log lines, safe for concurrent writers.
type logBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// lines returns the records whose msg is msg.
func (l *logBuf) lines(t *testing.T, msg string) []map[string]any {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(l.b.String()), "\n") {
		if line == "" {
			continue
		}
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		if rec["msg"] == msg {
			out = append(out, rec)
		}
	}
	return out
}

const failedMsg = "delivery: attempt failed"

// TestFailureLogOncePerMinute: a failing webhook is logged at warn once per
// minute, with the reason and how many failures were left out; each webhook
// on its own.
func TestFailureLogOncePerMinute(t *testing.T) {
	var buf logBuf
	log := slog.New(slog.NewJSONHandler(&buf, nil))
	var l failureLog
	t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	a := &store.Webhook{ID: 1, AccountID: "acc1"}
	b := &store.Webhook{ID: 2, AccountID: "acc2"}
	retry := Decision{State: store.DeliveryPending, NextAttemptAt: t0.Add(time.Hour), Reason: "HTTP 503"}
	l.failed(log, a, 1, retry, t0)
	l.failed(log, a, 2, retry, t0.Add(10*time.Second))
	l.failed(log, b, 1, Decision{State: store.DeliveryFailed, Reason: "connection refused"}, t0.Add(20*time.Second))
	l.failed(log, a, 3, retry, t0.Add(59*time.Second))
	l.failed(log, a, 4, retry, t0.Add(61*time.Second))
	got := buf.lines(t, failedMsg)
	if len(got) != 3 {
		t.Fatalf("%d lines, want 3: %v", len(got), got)
	}
	want := []struct {
		webhook   float64
		reason    string
		notLogged float64
		then      string
	}{{1, "HTTP 503", 0, "retry at"}, {2, "connection refused", 0, "given up"}, {1, "HTTP 503", 2, "retry at"}}
	for i, w := range want {
		g := got[i]
		if g["level"] != "WARN" || g["webhook"] != w.webhook || g["reason"] != w.reason ||
			g["failuresNotLogged"] != w.notLogged || !strings.HasPrefix(g["then"].(string), w.then) {
			t.Errorf("line %d: %v, want webhook %v, reason %q, %v not logged, then %q", i, g, w.webhook, w.reason, w.notLogged, w.then)
		}
	}
}

// TestFailureLogBounded: with failLogMax webhooks remembered, failures of
// others are counted in one line per minute and nothing more is kept; once the
// remembered lines are a minute old they are swept and webhooks are logged one
// by one again.
func TestFailureLogBounded(t *testing.T) {
	var buf logBuf
	log := slog.New(slog.NewJSONHandler(&buf, nil))
	var l failureLog
	t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	dec := Decision{State: store.DeliveryFailed, Reason: "timeout"}
	for i := range failLogMax {
		l.failed(log, &store.Webhook{ID: int64(i)}, 1, dec, t0)
	}
	for i := range 5 {
		l.failed(log, &store.Webhook{ID: int64(failLogMax + i)}, 1, dec, t0.Add(2*time.Second))
	}
	if n := len(l.hooks); n != failLogMax {
		t.Fatalf("%d webhooks remembered, want the bound %d", n, failLogMax)
	}
	others := buf.lines(t, "delivery: attempts failing at more webhooks than are logged one by one")
	if len(others) != 1 || others[0]["failures"] != 1.0 {
		t.Fatalf("lines for the others: %v, want one (for the first)", others)
	}
	l.failed(log, &store.Webhook{ID: -1}, 1, dec, t0.Add(time.Minute+time.Second))
	if n := len(l.hooks); n != 1 {
		t.Fatalf("%d webhooks remembered after the sweep, want 1", n)
	}
	if n := len(buf.lines(t, failedMsg)); n != failLogMax+1 {
		t.Fatalf("%d lines, want %d", n, failLogMax+1)
	}
}

// TestFailedDeliveryLogged: through the dispatcher, a delivery the receiver
// refuses is logged at warn with the webhook and the reason.
func TestFailedDeliveryLogged(t *testing.T) {
	t.Parallel()
	var buf logBuf
	h := newHarness(t, Options{Logger: slog.New(slog.NewJSONHandler(&buf, nil))})
	rc := newReceiver(t, status(http.StatusInternalServerError))
	wh := h.webhook(rc.srv.URL, PolicyNone)
	_, ids := h.handOver(0, nil, wh)
	h.start()
	h.waitState(ids[0], store.DeliveryFailed)
	var got []map[string]any
	waitFor(t, "the warn line", func() bool { got = buf.lines(t, failedMsg); return len(got) > 0 })
	if g := got[0]; len(got) != 1 || g["webhook"] != float64(wh.ID) || g["account"] != account || g["reason"] != "HTTP 500" || g["then"] != "given up" {
		t.Fatalf("logged %v", got)
	}
}
