package main

import (
	"bytes"
	"image/jpeg"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hookcast/hookcast/internal/sample"
	"github.com/hookcast/hookcast/webhook"
)

// captured is one request as a receiver saw it.
type captured struct {
	header http.Header
	body   []byte
	method string
}

// captureServer answers status to every request and hands each one over.
func captureServer(t *testing.T, status int) (*httptest.Server, <-chan captured) {
	t.Helper()
	got := make(chan captured, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- captured{header: r.Header.Clone(), body: b, method: r.Method}
		if status == http.StatusTemporaryRedirect {
			w.Header().Set("Location", "/elsewhere")
		}
		w.WriteHeader(status)
		io.WriteString(w, "answer\x07 from receiver\nsecond line")
	}))
	t.Cleanup(srv.Close)
	return srv, got
}

func TestTriggerRequest(t *testing.T) {
	for _, name := range []string{"feeds.started", "thumbnail", "transcoder.deleted"} {
		t.Run(name, func(t *testing.T) {
			srv, got := captureServer(t, http.StatusNoContent)
			var out, errOut bytes.Buffer
			// Flags before the name work as well as after it.
			code := runTrigger([]string{"--secret", listenTestSecret, name, "--url", srv.URL + "/in"}, &out, &errOut)
			if code != 0 || !strings.Contains(out.String(), "→ 204 No Content") {
				t.Fatalf("exit %d, stdout %q, stderr %q", code, out.String(), errOut.String())
			}
			var r captured
			select {
			case r = <-got:
			case <-time.After(10 * time.Second):
				t.Fatal("no request received")
			}
			typ, event, _ := sample.Lookup(name)
			if r.method != http.MethodPost || r.header.Get("User-Agent") != "hookcast/"+version {
				t.Fatalf("method %s, User-Agent %q", r.method, r.header.Get("User-Agent"))
			}
			if err := webhook.Verify(listenTestSecret, r.body, r.header.Get(webhook.HeaderSignature)); err != nil {
				t.Fatalf("X-Millicast-Signature: %v", err)
			}
			if err := webhook.VerifyStandard(listenTestSecret, r.header, r.body, time.Now(), time.Minute); err != nil {
				t.Fatalf("Standard Webhooks headers: %v", err)
			}
			e, err := webhook.Decode(r.header, r.body)
			if err != nil || e.WebhookType() != typ || e.EventName() != event || time.Since(e.When()) > time.Minute {
				t.Fatalf("decoded %v, %v; want %s.%s now", e, err, typ, event)
			}
			if typ == webhook.TypeThumbnail {
				if ct := r.header.Get("Content-Type"); ct != "image/jpeg" {
					t.Fatalf("Content-Type %q", ct)
				}
				if _, err := jpeg.Decode(bytes.NewReader(r.body)); err != nil {
					t.Fatalf("thumbnail is not a JPEG: %v", err)
				}
			} else if ct := r.header.Get("Content-Type"); ct != "application/json" {
				t.Fatalf("Content-Type %q", ct)
			}
		})
	}
}

func TestTriggerAnswers(t *testing.T) {
	tests := []struct {
		status int
		code   int
		out    string
	}{
		{200, 0, "→ 200 OK"},
		{202, 0, "→ 202 Accepted"},
		{307, 1, "→ 307 Temporary Redirect"}, // reported, not followed
		{410, 1, "→ 410 Gone"},
		{500, 1, "→ 500 Internal Server Error\n  answer? from receiver\n"},
	}
	for _, tt := range tests {
		srv, got := captureServer(t, tt.status)
		var out, errOut bytes.Buffer
		code := runTrigger([]string{"media.errored", "--url", srv.URL, "--secret", listenTestSecret}, &out, &errOut)
		if code != tt.code || !strings.Contains(out.String(), tt.out) {
			t.Errorf("answer %d: exit %d, stdout %q; want %d and %q", tt.status, code, out.String(), tt.code, tt.out)
		}
		if n := len(got); n != 1 {
			t.Errorf("answer %d: %d requests received, want 1", tt.status, n)
		}
	}
}

func TestTriggerUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	var out, errOut bytes.Buffer
	code := runTrigger([]string{"feeds.ended", "--url", "http://" + addr + "/", "--secret", listenTestSecret}, &out, &errOut)
	if code != 1 || !strings.Contains(errOut.String(), "connection refused") {
		t.Fatalf("exit %d, stderr %q", code, errOut.String())
	}
}

func TestTriggerEnvironment(t *testing.T) {
	srv, got := captureServer(t, http.StatusOK)
	t.Setenv("HOOKCAST_URL", srv.URL)
	t.Setenv("HOOKCAST_SECRET", otherTestSecret)
	var out, errOut bytes.Buffer
	if code := runTrigger([]string{"viewerConnection.viewerAttempt"}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d, stderr %q", code, errOut.String())
	}
	r := <-got // buffered: the request has been received once runTrigger returned 0
	if err := webhook.Verify(otherTestSecret, r.body, r.header.Get(webhook.HeaderSignature)); err != nil {
		t.Fatalf("not signed with HOOKCAST_SECRET: %v", err)
	}
}

func TestTriggerUsage(t *testing.T) {
	t.Setenv("HOOKCAST_SECRET", "")
	t.Setenv("HOOKCAST_URL", "")
	s := listenTestSecret
	tests := []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"no event", []string{"--secret", s}, 2, "want exactly one TYPE.EVENT, one of: feeds.started"},
		{"two events", []string{"feeds.started", "feeds.ended", "--secret", s}, 2, "want exactly one"},
		{"unknown event", []string{"feeds.paused", "--secret", s}, 2, `unknown event "feeds.paused"; valid: feeds.started, feeds.ended, viewerConnection.viewerAttempt`},
		{"unknown type", []string{"chat.message", "--secret", s}, 2, "thumbnail.captured"},
		{"no secret", []string{"feeds.started"}, 2, "--secret is required"},
		{"bad secret", []string{"feeds.started", "--secret", "sec ret"}, 2, "not standard base64"},
		{"bad url", []string{"feeds.started", "--secret", s, "--url", "ftp://127.0.0.1/"}, 2, "want an http:// or https:// URL"},
		{"url without host", []string{"feeds.started", "--secret", s, "--url", "http:///x"}, 2, "want an http"},
		{"bad timeout", []string{"feeds.started", "--secret", s, "--timeout", "0s"}, 2, "--timeout must be positive"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			if code := runTrigger(tt.args, &out, &errOut); code != tt.code || !strings.Contains(errOut.String(), tt.stderr) {
				t.Fatalf("exit %d, stderr %q; want %d and %q", code, errOut.String(), tt.code, tt.stderr)
			}
			if out.Len() != 0 {
				t.Fatalf("stdout %q", out.String())
			}
		})
	}
}
