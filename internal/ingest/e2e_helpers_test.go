package ingest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookcast/hookcast/webhook"
)

// Helpers of the end-to-end tests: background ffmpeg processes, the verifying
// webhook receiver, and clients of hookcast's REST API and thumbnail ingest.

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// proc is a background ffmpeg.
type proc struct {
	name string
	cmd  *exec.Cmd
	out  *bytes.Buffer
	done chan error
}

func ffmpeg(ctx context.Context, t *testing.T, name string, args ...string) *proc {
	t.Helper()
	args = append([]string{"-hide_banner", "-loglevel", "error", "-nostdin"}, args...)
	cmd := exec.CommandContext(ctx, "ffmpeg", args...)
	p := &proc{name: name, cmd: cmd, out: &bytes.Buffer{}, done: make(chan error, 1)}
	cmd.Stdout, cmd.Stderr = p.out, p.out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() { p.done <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-p.done
		if t.Failed() {
			t.Logf("%s output: %s", name, p.out.String())
		}
	})
	return p
}

func (p *proc) wait(d time.Duration) error {
	select {
	case err := <-p.done:
		p.done <- err // for the cleanup
		if err != nil {
			return fmt.Errorf("%w: %s", err, p.out.String())
		}
		return nil
	case <-time.After(d):
		return fmt.Errorf("%s still running after %v", p.name, d)
	}
}

// stop ends a publisher the way an encoder does: ffmpeg closes the RTMP session
// on SIGINT.
func (p *proc) stop(t *testing.T) {
	t.Helper()
	_ = p.cmd.Process.Signal(os.Interrupt)
	select {
	case err := <-p.done:
		p.done <- err
	case <-time.After(10 * time.Second):
		t.Fatalf("%s did not stop", p.name)
	}
}

// received is one verified, decoded webhook.
type received struct {
	typ, event string
	ts         int64
	ev         webhook.Event
	taken      bool // returned by expect already
}

// receiver is the webhook endpoint: it verifies every delivery with the SDK (a
// bad signature fails the test) and hands the decoded events to the test.
type receiver struct {
	*httptest.Server
	t      *testing.T
	mu     sync.Mutex
	secret string
	seen   []received
	ch     chan received
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{t: t, ch: make(chan received, 1024)}
	r.Server = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) setSecret(s string) { r.mu.Lock(); r.secret = s; r.mu.Unlock() }

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(req.Body)
	if err != nil {
		http.Error(w, "read", http.StatusBadRequest)
		return
	}
	r.mu.Lock()
	secret := r.secret
	r.mu.Unlock()
	if err := webhook.Verify(secret, body, req.Header.Get(webhook.HeaderSignature)); err != nil {
		r.t.Errorf("delivery with a bad signature: %v", err)
		http.Error(w, "bad signature", http.StatusBadRequest)
		return
	}
	ev, err := webhook.Decode(req.Header, body)
	if err != nil {
		r.t.Errorf("undecodable delivery: %v: %.200s", err, body)
		http.Error(w, "bad event", http.StatusBadRequest)
		return
	}
	ts := ev.When().UnixMilli()
	r.ch <- received{typ: ev.WebhookType(), event: ev.EventName(), ts: ts, ev: ev}
}

// expect returns the first event of that type and name not returned yet, waiting
// for it up to d.
func (r *receiver) expect(t *testing.T, typ, event string, d time.Duration) received {
	t.Helper()
	deadline := time.After(d)
	for {
		r.mu.Lock()
		for i, e := range r.seen {
			if e.typ == typ && e.event == event && !e.taken {
				r.seen[i].taken = true
				r.mu.Unlock()
				return e
			}
		}
		r.mu.Unlock()
		select {
		case e := <-r.ch:
			r.mu.Lock()
			r.seen = append(r.seen, e)
			r.mu.Unlock()
		case <-deadline:
			t.Fatalf("no %s %s within %v; received %s", typ, event, d, r.summary())
		}
	}
}

// count is how many events of that type and name were received so far.
func (r *receiver) count(typ, event string) int {
	for {
		select {
		case e := <-r.ch:
			r.mu.Lock()
			r.seen = append(r.seen, e)
			r.mu.Unlock()
			continue
		default:
		}
		break
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, e := range r.seen {
		if e.typ == typ && e.event == event {
			n++
		}
	}
	return n
}

func (r *receiver) summary() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var b strings.Builder
	for _, e := range r.seen {
		fmt.Fprintf(&b, "%s.%s ", e.typ, e.event)
	}
	return b.String()
}

// apiClient calls the REST API with the account's secret.
type apiClient struct{ base, secret string }

func (a *apiClient) do(t testing.TB, method, path string, in, out any) {
	t.Helper()
	if err := a.call(context.Background(), method, path, in, out); err != nil {
		t.Fatal(err)
	}
}

func (a *apiClient) call(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, _ := json.Marshal(in)
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.base+path, body)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+a.secret)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, raw)
	}
	var env struct {
		Data json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(raw, &env); err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	if out != nil {
		return json.Unmarshal(env.Data, out)
	}
	return nil
}
