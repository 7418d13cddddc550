//go:build devharness

// TEMPORARY: a stand-in server for UI work until internal/server builds. Delete.
package dashboard

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/hookcast/hookcast/internal/api"
	"github.com/hookcast/hookcast/internal/engine"
	"github.com/hookcast/hookcast/internal/pipeline"
	"github.com/hookcast/hookcast/internal/sample"
	"github.com/hookcast/hookcast/internal/store"
	"github.com/hookcast/hookcast/internal/store/sqlite"
)

func TestDevHarness(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	secret := "dev-secret-0123456789"
	st.CreateAccount(ctx, store.Account{ID: "DEV123", Name: "dev"})
	st.AddAPISecret(ctx, "DEV123", api.HashSecret(secret), "dev")
	eng := engine.New(engine.Config{})
	pipe := pipeline.New(st, eng, pipeline.Options{})
	go pipe.Run(ctx)
	a := api.New(api.Deps{Store: st, AllowPrivateTargets: true,
		SendTest: func(ctx context.Context, acct, typ string) error {
			name := map[string]string{"feeds": "started", "viewerConnection": "viewerAttempt", "media": "completed", "recordings": "completed", "transcoder": "ACTIVE"}[typ]
			ct, body, hdr, err := sample.Event(typ, name, time.Now())
			if err != nil {
				return err
			}
			return pipe.SubmitTest(ctx, []store.Event{{AccountID: acct, Type: typ, Event: name, Timestamp: time.Now().UnixMilli(), ContentType: ct, Headers: hdr, Body: body}})
		},
		Streams: func(ctx context.Context, acct string) (any, error) { return pipe.Streams(ctx, acct) }})
	d := New(Deps{
		Authenticate: func(ctx context.Context, s string) (string, error) {
			return st.AccountBySecretHash(ctx, api.HashSecret(s))
		},
		AccountBySecretHash: st.AccountBySecretHash,
		Streams:             func(ctx context.Context, acct string) (any, error) { return pipe.Streams(ctx, acct) },
		Events:              st.ListEvents,
	})
	mux := http.NewServeMux()
	d.Register(mux)
	apiH := a.Handler()
	mux.Handle("/api/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") == "" {
			if _, ok := d.SessionAccount(r); ok {
				r.Header.Set("Authorization", "Bearer "+secret)
			}
		}
		apiH.ServeHTTP(w, r)
	}))
	// Receiver.
	mux.HandleFunc("POST /receiver/", func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Write([]byte("thanks"))
	})
	mux.HandleFunc("POST /receiver500", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "database is down", 503)
	})
	// Toy dispatcher.
	go func() {
		for {
			time.Sleep(200 * time.Millisecond)
			cl, err := st.ClaimDeliveries(ctx, store.Claim{Owner: "dev", Now: time.Now(), Lease: time.Minute, Limit: 10})
			if err != nil {
				continue
			}
			for _, c := range cl {
				t0 := time.Now()
				res, err := http.Post(c.Webhook.URL, c.Event.ContentType, bytes.NewReader(c.Event.Body))
				at := store.Attempt{DeliveryID: c.Delivery.ID, N: c.Delivery.Attempts + 1, At: t0, Latency: time.Since(t0)}
				state := store.DeliveryFailed
				if err != nil {
					at.Error = err.Error()
				} else {
					b, _ := io.ReadAll(res.Body)
					res.Body.Close()
					at.Status, at.Response = res.StatusCode, b
					if res.StatusCode < 300 {
						state = store.DeliverySucceeded
					} else {
						at.Error = fmt.Sprintf("HTTP %d", res.StatusCode)
					}
				}
				if err := st.FinishAttempt(ctx, store.AttemptResult{Owner: "dev", Attempt: at, State: state, Success: state == store.DeliverySucceeded}); err != nil {
					t.Log(err)
				}
			}
		}
	}()
	// Streams.
	one := 1.0
	pipe.Submit(ctx, []engine.Signal{
		{Kind: engine.FeedStarted, AccountID: "DEV123", Name: "studio-a", FeedID: "feed-7f3a", Priority: &one, SourceID: "main"},
		{Kind: engine.FeedStarted, AccountID: "DEV123", Name: "studio-a", FeedID: "feed-91bc", SourceID: "backup"},
		{Kind: engine.ViewerConnected, AccountID: "DEV123", Name: "studio-a", ViewerID: "v1"},
		{Kind: engine.ViewerConnected, AccountID: "DEV123", Name: "studio-a", ViewerID: "v2"},
		{Kind: engine.ViewerAttempted, AccountID: "DEV123", Name: "lobby-cam"},
	})
	srv := &http.Server{Addr: "127.0.0.1:8765", Handler: mux}
	fmt.Fprintln(os.Stderr, "dev harness on http://127.0.0.1:8765 secret", secret)
	go func() {
		for i := 0; ; i++ {
			time.Sleep(3 * time.Second)
			k := engine.ViewerConnected
			if i%2 == 1 {
				k = engine.ViewerDisconnected
			}
			pipe.Submit(ctx, []engine.Signal{{Kind: k, AccountID: "DEV123", Name: "studio-a", ViewerID: "v3"}})
		}
	}()
	t.Fatal(srv.ListenAndServe())
}
