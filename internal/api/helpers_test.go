package api

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookcast/hookcast/internal/auth"
	"github.com/hookcast/hookcast/internal/httpx"
	"github.com/hookcast/hookcast/internal/store"
	"github.com/hookcast/hookcast/internal/store/sqlite"
)

const testAdminToken = "admin-token-for-tests"

// fakeClock is the only fake: time, moved by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

// bundle is one API over a real SQLite store behind a real HTTP server, with two
// accounts (A and B) and what the lead-provided hooks were called with.
type bundle struct {
	t       testing.TB
	st      store.Store
	api     *API
	srv     *httptest.Server
	clock   *fakeClock
	secretA string
	secretB string

	mu    sync.Mutex
	tests []store.Event // committed by SubmitTest
	wakes int           // Wake calls
}

const (
	acctA = "ZG6NWV"
	acctB = "OTHER1"
)

func setup(t testing.TB, opts ...func(*Deps)) *bundle {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	b := &bundle{t: t, st: st, clock: &fakeClock{t: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)}}
	b.secretA = b.addAccount(acctA)
	b.secretB = b.addAccount(acctB)
	d := Deps{
		Store:      st,
		Secrets:    auth.NewSecrets(st),
		AdminToken: httpx.TokenChecker(testAdminToken),
		Now:        b.clock.Now,
		SubmitTest: func(ctx context.Context, evs []store.Event) error {
			b.mu.Lock()
			defer b.mu.Unlock()
			b.tests = append(b.tests, evs...)
			return nil
		},
		Wake: func() {
			b.mu.Lock()
			defer b.mu.Unlock()
			b.wakes++
		},
	}
	for _, o := range opts {
		o(&d)
	}
	b.api = New(d)
	b.srv = httptest.NewServer(b.api.Handler())
	t.Cleanup(b.srv.Close)
	return b
}

func (b *bundle) addAccount(id string) string {
	b.t.Helper()
	ctx := context.Background()
	if err := b.st.CreateAccount(ctx, store.Account{ID: id, Name: id, CreatedAt: time.Now()}); err != nil {
		b.t.Fatalf("create account: %v", err)
	}
	secret, err := auth.NewSecret()
	if err != nil {
		b.t.Fatal(err)
	}
	if _, err := b.st.AddAPISecret(ctx, id, auth.HashSecret(secret), "test"); err != nil {
		b.t.Fatalf("add secret: %v", err)
	}
	return secret
}

// sent names the test events committed so far: account/type.
func (b *bundle) sent() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	for _, ev := range b.tests {
		out = append(out, ev.AccountID+"/"+ev.Type)
	}
	return out
}

// lastTest is the last test event committed.
func (b *bundle) lastTest() store.Event {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.tests) == 0 {
		b.t.Fatal("no test event committed")
	}
	return b.tests[len(b.tests)-1]
}

// wakeCalls is how many times Wake was called so far.
func (b *bundle) wakeCalls() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.wakes
}

// reply is a decoded answer: any of the three envelopes.
type reply struct {
	code    int
	header  http.Header
	raw     []byte
	Status  string          `json:"status"`
	Data    json.RawMessage `json:"data"`
	Message string          `json:"message"`
	Code    int             `json:"code"`
}

// do sends a request the way Millicast's documented curl does. token "" sends no
// Authorization header.
func (b *bundle) do(method, path, token, body string) reply {
	b.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, b.srv.URL+path, rd)
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("accept", "application/json")
	if token != "" {
		req.Header.Set("authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("content-type", "application/json")
	}
	resp, err := b.srv.Client().Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	r := reply{code: resp.StatusCode, header: resp.Header}
	r.raw, _ = io.ReadAll(resp.Body)
	if err := json.Unmarshal(r.raw, &r); err != nil {
		b.t.Fatalf("%s %s: answer is not JSON (%d): %q", method, path, resp.StatusCode, r.raw)
	}
	b.checkEnvelope(method, path, r)
	return r
}

// checkEnvelope asserts the answer is exactly one of the three envelopes, with the
// status that goes with it.
func (b *bundle) checkEnvelope(method, path string, r reply) {
	b.t.Helper()
	var keys map[string]json.RawMessage
	_ = json.Unmarshal(r.raw, &keys)
	want := map[string][]string{"success": {"data", "status"}, "fail": {"data", "status"},
		"error": {"code", "data", "message", "status"}}[r.Status]
	if want == nil || len(keys) != len(want) {
		b.t.Fatalf("%s %s: not an envelope: %s", method, path, r.raw)
	}
	for _, k := range want {
		if _, ok := keys[k]; !ok {
			b.t.Fatalf("%s %s: envelope without %q: %s", method, path, k, r.raw)
		}
	}
	if r.Status == "error" { // data.message repeats message, for Millicast's clients
		var d httpx.ErrorData
		if err := json.Unmarshal(r.Data, &d); err != nil || d.Message != r.Message {
			b.t.Fatalf("%s %s: error data is not {message}: %s", method, path, r.raw)
		}
	}
	switch {
	case r.Status == "success" && r.code != 200,
		r.Status == "fail" && r.code != 400,
		r.Status == "error" && (r.code != r.Code || r.code < 400 || r.code == 400):
		b.t.Fatalf("%s %s: status %d with envelope %s", method, path, r.code, r.raw)
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		b.t.Fatalf("%s %s: Content-Type %q", method, path, ct)
	}
}

func (r reply) webhook(t testing.TB) webhookJSON {
	t.Helper()
	if r.Status != "success" {
		t.Fatalf("want success, got %d %s", r.code, r.raw)
	}
	var w webhookJSON
	dec := json.NewDecoder(bytes.NewReader(r.Data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&w); err != nil {
		t.Fatalf("data is not a webhook: %v: %s", err, r.Data)
	}
	return w
}

func (r reply) fail(t testing.TB) map[string]string {
	t.Helper()
	if r.code != 400 || r.Status != "fail" {
		t.Fatalf("want 400 fail, got %d %s", r.code, r.raw)
	}
	var m map[string]string
	if err := json.Unmarshal(r.Data, &m); err != nil {
		t.Fatalf("fail data is not field: reason: %s", r.Data)
	}
	// data.message is every reason in one line (for Millicast's clients); the
	// rest names the fields.
	msg, ok := m["message"]
	delete(m, "message")
	if !ok || msg != httpx.FailMessage(m) {
		t.Fatalf("fail data.message %q, want %q", msg, httpx.FailMessage(m))
	}
	return m
}

// createWebhook makes a webhook for the token's account through the API.
func (b *bundle) createWebhook(token, url string) webhookJSON {
	b.t.Helper()
	body, _ := json.Marshal(map[string]any{"url": url, "isFeedHooks": true, "isViewerConnectionHooks": true})
	return b.do("POST", "/api/webhooks", token, string(body)).webhook(b.t)
}

// snapshot is every webhook of both accounts as stored: what a bad request must
// leave untouched.
func (b *bundle) snapshot() []store.Webhook {
	b.t.Helper()
	return b.snapshotT(b.t)
}

// snapshotT is snapshot for a fuzz target, which must report through its own t.
func (b *bundle) snapshotT(t testing.TB) []store.Webhook {
	t.Helper()
	var all []store.Webhook
	for _, acct := range []string{acctA, acctB} {
		ws, err := b.st.ListWebhooks(context.Background(), acct, 0, 1000, false)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, ws...)
	}
	return all
}

func (b *bundle) assertUnchanged(before []store.Webhook, what string) {
	b.t.Helper()
	after := b.snapshot()
	if len(after) != len(before) {
		b.t.Fatalf("%s: %d webhooks before, %d after", what, len(before), len(after))
	}
	for i := range before {
		x, y := before[i], after[i]
		if !x.UpdatedAt.Equal(y.UpdatedAt) || !x.CreatedAt.Equal(y.CreatedAt) {
			b.t.Fatalf("%s: webhook %d was written", what, x.ID)
		}
		x.CreatedAt, x.UpdatedAt, y.CreatedAt, y.UpdatedAt = time.Time{}, time.Time{}, time.Time{}, time.Time{}
		x.DisabledUntil, y.DisabledUntil = x.DisabledUntil.UTC(), y.DisabledUntil.UTC()
		if !reflect.DeepEqual(x, y) {
			b.t.Fatalf("%s: webhook changed:\n before %+v\n after  %+v", what, x, y)
		}
	}
}
