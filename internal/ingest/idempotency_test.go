package ingest_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hookcast/hookcast/internal/commit"
	"github.com/hookcast/hookcast/internal/engine"
	"github.com/hookcast/hookcast/internal/httpx"
	"github.com/hookcast/hookcast/internal/ingest"
	"github.com/hookcast/hookcast/internal/store"
	"github.com/hookcast/hookcast/internal/store/sqlite"
)

type knownAccounts map[string]bool

func (k knownAccounts) AccountExists(_ context.Context, id string) (bool, error) { return k[id], nil }

// TestIdempotencyKeyHeader: POST /api/ingest/signals with an Idempotency-Key
// answers a replay as the first time (marked Idempotent-Replayed) and applies
// nothing; a key that is not printable ASCII is refused with 400, naming the
// header, and changes nothing.
func TestIdempotencyKeyHeader(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.CreateAccount(ctx, store.Account{ID: "A"}); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateWebhook(ctx, &store.Webhook{AccountID: "A", URL: "https://example.com/h", Secret: "c2VjcmV0",
		IsFeedHooks: true, RetryPolicy: "none"}); err != nil {
		t.Fatal(err)
	}
	pipe := commit.New(st, engine.New(engine.DefaultConfig()), commit.Options{IdempotencyWindow: time.Hour})
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { _ = pipe.Run(runCtx); close(done) }()
	t.Cleanup(func() { stop(); <-done })
	mux := http.NewServeMux()
	(&ingest.Handler{Token: httpx.TokenChecker(testToken), Submit: pipe, Keyed: pipe, Accounts: knownAccounts{"A": true}}).Register(mux)

	post := func(key *string, body string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodPost, "/api/ingest/signals", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+testToken)
		if key != nil {
			req.Header.Set("Idempotency-Key", *key)
		}
		return serveRecorder(mux, req)
	}
	events := func() int {
		evs, err := st.ListEvents(ctx, store.EventQuery{AccountID: "A"})
		if err != nil {
			t.Fatal(err)
		}
		return len(evs)
	}
	key := "7c0a-retry"
	first := post(&key, `[{"kind":"feed.started","accountId":"A","name":"cam1","feedId":"f1"},
		{"kind":"feed.started","accountId":"A","name":"cam2","feedId":"f2"}]`)
	if first.Code != 200 || first.Header().Get("Idempotent-Replayed") != "" {
		t.Fatalf("first: %d %s", first.Code, first.Body)
	}
	again := post(&key, `{"kind":"feed.started","accountId":"A","name":"cam3","feedId":"f3"}`)
	if again.Code != 200 || again.Body.String() != first.Body.String() || again.Header().Get("Idempotent-Replayed") != "true" {
		t.Fatalf("replay: %d %s (replayed %q), want 200 %s", again.Code, again.Body, again.Header().Get("Idempotent-Replayed"), first.Body)
	}
	if !strings.Contains(first.Body.String(), `"accepted":2`) || !strings.Contains(first.Body.String(), `"events":2`) {
		t.Fatalf("first answer %s, want accepted 2 and events 2", first.Body)
	}
	if n := events(); n != 2 {
		t.Fatalf("%d events after the replay, want 2", n)
	}
	for _, bad := range []string{"", "caf\u00e9", strings.Repeat("k", 256), "tab\there"} {
		res := post(&bad, `{"kind":"feed.started","accountId":"A","name":"cam4","feedId":"f4"}`)
		if res.Code != 400 || !strings.Contains(res.Body.String(), "Idempotency-Key") {
			t.Fatalf("key %q: %d %s, want 400 naming Idempotency-Key", bad, res.Code, res.Body)
		}
	}
	if n := events(); n != 2 {
		t.Fatalf("%d events after refused keys, want 2", n)
	}
}
