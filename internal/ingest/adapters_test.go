package ingest_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/hookcast/hookcast/internal/engine"
	"github.com/hookcast/hookcast/internal/ingest"
	"github.com/hookcast/hookcast/internal/store"
)

// recorder is the fake Submitter of the translation tests: it keeps what it is
// given and fails with fail when set. Everything else in these tests is real (the
// handler, its routes, HTTP on 127.0.0.1 or a recorder of the response).
type recorder struct {
	mu     sync.Mutex
	sigs   [][]engine.Signal
	events []store.Event
	fail   error
}

func (r *recorder) Submit(_ context.Context, sigs []engine.Signal) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail != nil {
		return 0, r.fail
	}
	r.sigs = append(r.sigs, append([]engine.Signal(nil), sigs...))
	return 0, nil
}

func (r *recorder) SubmitEvents(_ context.Context, evs []store.Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail != nil {
		return r.fail
	}
	r.events = append(r.events, evs...)
	return nil
}

// take returns and forgets what was submitted since the last call.
func (r *recorder) take() []engine.Signal {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []engine.Signal
	for _, s := range r.sigs {
		out = append(out, s...)
	}
	r.sigs = nil
	return out
}

// accounts is the set of existing accounts.
type accounts map[string]bool

func (a accounts) AccountExists(_ context.Context, id string) (bool, error) { return a[id], nil }

const testToken = "abc"

// setup returns the ingest routes over a recorder; the default account is DEF and
// account ABC123 exists too.
func setup(t testing.TB) (http.Handler, *recorder) {
	t.Helper()
	return setupWith(t, func(*ingest.Handler) {})
}

// fixture is one request of a testdata file: "PATH[?QUERY] [BODY]" per line, # for
// comments.
type fixture struct{ target, body string }

func readFixtures(t testing.TB, name string) []fixture {
	t.Helper()
	f, err := os.Open("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []fixture
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		target, body, _ := strings.Cut(line, " ")
		out = append(out, fixture{target, body})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// post sends one request to the handler and returns the status and decoded body.
func post(t testing.TB, h http.Handler, target, contentType, body string) (int, map[string]any) {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, target, strings.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	raw, _ := io.ReadAll(w.Body)
	var m map[string]any
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatalf("%s: answer is not JSON: %q", target, raw)
		}
	}
	return w.Code, m
}

const formType = "application/x-www-form-urlencoded"

// sameSignals compares submitted signals with the expected ones, ignoring
// metadata, which is compared separately where it matters.
func sameSignals(t *testing.T, what string, got, want []engine.Signal) {
	t.Helper()
	strip := func(s []engine.Signal) string {
		c := make([]engine.Signal, len(s))
		copy(c, s)
		for i := range c {
			c[i].Metadata = nil
		}
		b, _ := json.Marshal(c) // every field by its Go name, ViewersClosed included
		return string(b)
	}
	if g, w := strip(got), strip(want); g != w {
		t.Errorf("%s:\n got  %s\n want %s", what, g, w)
	}
}
