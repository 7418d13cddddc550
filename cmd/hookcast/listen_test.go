package main

import (
	"bytes"
	"context"
	"net"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookcast/hookcast/internal/sample"
)

const (
	listenTestSecret = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
	otherTestSecret  = "YW5vdGhlciB3ZWJob29rIHNlY3JldCwgMzIgYnl0ZXM="
)

// listenBuf is an io.Writer safe to read while listen's handlers write to it.
type listenBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (w *listenBuf) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (w *listenBuf) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

func (w *listenBuf) lines() []string {
	s := strings.TrimSuffix(w.String(), "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// startListen runs listen on a free port and returns its address, its outputs,
// and a stop function that waits for it to end and returns its exit status.
func startListen(t *testing.T, secret string) (addr string, stdout, stderr *listenBuf, stop func() int) {
	t.Helper()
	stdout, stderr = &listenBuf{}, &listenBuf{}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan int, 1)
	go func() { done <- listen(ctx, listenConfig{secret: secret, addr: "127.0.0.1:0"}, stdout, stderr, ready) }()
	select {
	case addr = <-ready:
	case code := <-done:
		cancel()
		t.Fatalf("listen exited with %d before serving: %s", code, stderr)
	case <-time.After(10 * time.Second):
		cancel()
		t.Fatal("listen did not start within 10s")
	}
	var once sync.Once
	code := -1
	stop = func() int {
		once.Do(func() {
			cancel()
			select {
			case code = <-done:
			case <-time.After(10 * time.Second):
				t.Error("listen did not stop within 10s of cancel")
			}
		})
		return code
	}
	t.Cleanup(func() { stop() })
	return addr, stdout, stderr, stop
}

// wantLine describes what listen must print for each sample.
var wantLine = map[string]string{
	"feeds":            `stream=ZG6NWV/sample_stream feedId=` + sample.FeedID,
	"viewerConnection": `stream=ZG6NWV/sample_stream`,
	"media":            `stream=ZG6NWV/sample_stream asset=` + sample.MediaAssetID + ` type=recording`,
	"recordings":       `stream=sample_stream recordFileId=` + sample.RecordFileID,
	"transcoder":       `transcoder=test_webhooks id=` + sample.TranscoderID + ` cluster=lon-1 status=`,
	"thumbnail":        `bytes stream=ZG6NWV/sample_stream feedId=` + sample.FeedID,
}

var linePrefix = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (\S+) (\S+) (.*) delivery=msg_[A-Z2-7]{26}$`)

// TestListenTriggerEveryEvent is the end-to-end check of both commands: every
// sample goes through trigger, is verified by listen (both signatures) and
// printed on one line.
func TestListenTriggerEveryEvent(t *testing.T) {
	addr, stdout, stderr, stop := startListen(t, listenTestSecret)
	names := append(sample.Names(), "thumbnail", "FEEDS.STARTED")
	for i, name := range names {
		var out, errOut bytes.Buffer
		code := runTrigger([]string{name, "--url", "http://" + addr + "/hooks", "--secret", listenTestSecret}, &out, &errOut)
		if code != 0 || !strings.Contains(out.String(), "→ 200 OK") {
			t.Fatalf("trigger %s: exit %d, stdout %q, stderr %q", name, code, out.String(), errOut.String())
		}
		lines := stdout.lines()
		if len(lines) != i+1 {
			t.Fatalf("after %s listen printed %d lines, want %d:\n%s", name, len(lines), i+1, stdout)
		}
		m := linePrefix.FindStringSubmatch(lines[i])
		typ, event, _ := sample.Lookup(name)
		if m == nil || m[1] != typ || m[2] != event || !strings.Contains(m[3], wantLine[typ]) {
			t.Fatalf("trigger %s: listen printed %q; want %s %s ... %s", name, lines[i], typ, event, wantLine[typ])
		}
	}
	if s := stderr.String(); strings.Contains(s, "rejected") {
		t.Fatalf("listen rejected a sample: %s", s)
	}
	if code := stop(); code != 0 {
		t.Fatalf("listen exit %d after cancel", code)
	}
}

func TestListenRejectsWrongSecret(t *testing.T) {
	addr, stdout, stderr, stop := startListen(t, listenTestSecret)
	var out, errOut bytes.Buffer
	code := runTrigger([]string{"feeds.started", "--url", "http://" + addr + "/", "--secret", otherTestSecret}, &out, &errOut)
	if code != 1 || !strings.Contains(out.String(), "→ 400 Bad Request") || !strings.Contains(out.String(), "does not match") {
		t.Fatalf("trigger with the wrong secret: exit %d, stdout %q, stderr %q", code, out.String(), errOut.String())
	}
	if lines := stdout.lines(); len(lines) != 0 {
		t.Fatalf("listen printed a forged event: %q", lines)
	}
	if s := stderr.String(); !strings.Contains(s, "rejected POST / from 127.0.0.1:") || !strings.Contains(s, "400") {
		t.Fatalf("listen stderr %q does not report the rejection", s)
	}
	if strings.Contains(stderr.String(), listenTestSecret) || strings.Contains(stderr.String(), otherTestSecret) {
		t.Fatal("a secret was printed")
	}
	if code := stop(); code != 0 {
		t.Fatalf("listen exit %d", code)
	}
}

func TestRunListenUsage(t *testing.T) {
	t.Setenv("HOOKCAST_SECRET", "")
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	tests := []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"no secret", nil, 2, "--secret is required"},
		{"secret not base64", []string{"--secret", "not base64!"}, 2, "not standard base64"},
		{"stray argument", []string{"--secret", listenTestSecret, "extra"}, 2, `unexpected argument "extra"`},
		{"address in use", []string{"--secret", listenTestSecret, "--listen", busy.Addr().String()}, 1, "address already in use"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			if code := runListen(tt.args, &out, &errOut); code != tt.code || !strings.Contains(errOut.String(), tt.stderr) {
				t.Fatalf("exit %d, stderr %q; want %d and %q", code, errOut.String(), tt.code, tt.stderr)
			}
			if out.Len() != 0 {
				t.Fatalf("stdout %q", out.String())
			}
		})
	}
}

func TestQuote(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"ZG6NWV/sample_stream": "ZG6NWV/sample_stream",
		"café-演唱会":             "café-演唱会",
		"two words":            `"two words"`,
		"esc\x1b[2J":           `"esc\x1b[2J"`,
		"a=b":                  `"a=b"`,
		"":                     `""`,
	} {
		if got := quote(in); got != want {
			t.Errorf("quote(%q) = %s, want %s", in, got, want)
		}
	}
}

// TestListenRotation: given a rotation's two secrets, listen accepts events
// signed with either and still refuses any other.
func TestListenRotation(t *testing.T) {
	const thirdSecret = "dGhlIHRoaXJkIHNlY3JldCwgbm90IGdpdmVuIHRvIGl0IQ=="
	addr, stdout, _, stop := startListen(t, listenTestSecret+","+otherTestSecret)
	for i, tc := range []struct {
		secret string
		want   string
	}{{otherTestSecret, "→ 200 OK"}, {listenTestSecret, "→ 200 OK"}, {thirdSecret, "→ 400 Bad Request"}} {
		var out, errOut bytes.Buffer
		runTrigger([]string{"feeds.started", "--url", "http://" + addr + "/", "--secret", tc.secret}, &out, &errOut)
		if !strings.Contains(out.String(), tc.want) {
			t.Fatalf("trigger with secret %d: stdout %q, stderr %q; want %s", i+1, out.String(), errOut.String(), tc.want)
		}
	}
	if lines := stdout.lines(); len(lines) != 2 {
		t.Fatalf("listen printed %d events, want 2: %q", len(lines), lines)
	}
	if code := stop(); code != 0 {
		t.Fatalf("listen exit %d", code)
	}
}
