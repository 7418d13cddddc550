package postgres_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookcast/hookcast/internal/store"
	"github.com/hookcast/hookcast/internal/store/postgres"
	"github.com/hookcast/hookcast/internal/store/storetest"
	"github.com/hookcast/hookcast/internal/testpg"
)

func TestMain(m *testing.M) { testpg.Main(m) }

func openURL(t testing.TB, url string) *postgres.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := postgres.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func open(t testing.TB) *postgres.Store { return openURL(t, testpg.NewDatabase(t)) }

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return open(t) })
}

func BenchmarkInTxSignal(b *testing.B) {
	storetest.BenchInTxSignal(b, open(b))
}

func BenchmarkDeliveryCycle(b *testing.B) {
	storetest.BenchDeliveryCycle(b, open(b))
}

func BenchmarkPrune(b *testing.B) {
	storetest.BenchPrune(b, open(b))
}

// TestOpenConcurrently: replicas starting together against an empty database
// all come up (the advisory lock lets one migrate and the others find it done).
func TestOpenConcurrently(t *testing.T) {
	url := testpg.NewDatabase(t)
	var wg sync.WaitGroup
	stores := make([]*postgres.Store, 4)
	errs := make([]error, len(stores))
	for i := range stores {
		wg.Go(func() {
			stores[i], errs[i] = postgres.Open(context.Background(), url)
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("replica %d: %v", i, err)
		}
		defer stores[i].Close()
	}
	if err := stores[3].CreateAccount(context.Background(), store.Account{ID: "A"}); err != nil {
		t.Fatal(err)
	}
	if _, err := stores[0].GetAccount(context.Background(), "A"); err != nil {
		t.Fatalf("replicas do not share the data: %v", err)
	}
}

// TestOpenUnreachable: nothing listens on port 1, so Open is ErrUnavailable, quickly.
func TestOpenUnreachable(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := postgres.Open(ctx, "postgres://nobody@127.0.0.1:1/none?sslmode=disable&connect_timeout=2")
	if err == nil {
		s.Close()
		t.Fatal("Open succeeded")
	}
	if !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("Open = %v, want ErrUnavailable", err)
	}
	if _, err := postgres.Open(ctx, "postgres://%zz"); err == nil || errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("a malformed URL gave %v, want a plain error", err)
	}
}

// TestDueStreamsSkipsLocked: a timer transaction passes over a stream that a
// signal transaction holds, instead of waiting for it. (SQLite has one writer,
// so there this cannot happen and is not tested.)
func TestDueStreamsSkipsLocked(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	busy := store.StreamKey{AccountID: "A", Name: "busy"}
	free := store.StreamKey{AccountID: "A", Name: "free"}
	if err := s.InTx(ctx, func(tx store.Tx) error {
		for _, k := range []store.StreamKey{busy, free} {
			if err := tx.SaveStreams(ctx, []store.StreamRow{{Key: k, State: []byte("s"), DueAt: 10}}); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	locked, release := make(chan struct{}), make(chan struct{})
	holder := make(chan error, 1)
	go func() {
		holder <- s.InTx(ctx, func(tx store.Tx) error {
			if _, err := tx.LockStreams(ctx, []store.StreamKey{busy}); err != nil {
				return err
			}
			close(locked)
			<-release
			return nil
		})
	}()
	<-locked
	var names []string
	err := s.InTx(ctx, func(tx store.Tx) error {
		rows, err := tx.DueStreams(ctx, 100, 10)
		for _, r := range rows {
			names = append(names, r.Key.Name)
		}
		return err
	})
	close(release)
	if err != nil {
		t.Fatal(err)
	}
	if err := <-holder; err != nil {
		t.Fatal(err)
	}
	if len(names) != 1 || names[0] != "free" {
		t.Fatalf("DueStreams = %v, want only the free stream", names)
	}
}

// TestInTxRetriesDeadlock: two transactions lock two streams in opposite order
// (one LockStreams call each, so the sorted order cannot help); PostgreSQL
// aborts one as a deadlock, InTx runs it again, and both commit.
func TestInTxRetriesDeadlock(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	a := store.StreamKey{AccountID: "A", Name: "a"}
	b := store.StreamKey{AccountID: "A", Name: "b"}
	var calls atomic.Int32
	var both sync.WaitGroup
	both.Add(2)
	run := func(first, second store.StreamKey) error {
		var once sync.Once
		return s.InTx(ctx, func(tx store.Tx) error {
			calls.Add(1)
			if _, err := tx.LockStreams(ctx, []store.StreamKey{first}); err != nil {
				return err
			}
			once.Do(func() { both.Done(); both.Wait() }) // both hold their first lock
			if _, err := tx.LockStreams(ctx, []store.StreamKey{second}); err != nil {
				return err
			}
			return tx.SaveStreams(ctx, []store.StreamRow{{Key: second, State: []byte(first.Name)}})
		})
	}
	errs := make(chan error, 2)
	go func() { errs <- run(a, b) }()
	go func() { errs <- run(b, a) }()
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatalf("InTx = %v, want the deadlock retried", err)
		}
	}
	if n := calls.Load(); n < 3 {
		t.Fatalf("fn ran %d times, want a retry (3 or more)", n)
	}
	rows, err := s.ListStreams(ctx, "A")
	if err != nil || len(rows) != 2 {
		t.Fatalf("ListStreams = %v, %v: want both writes", rows, err)
	}
}

// TestWebhooksForAcrossReplicas: a replica that keeps an account's webhooks in
// memory sees the changes another replica makes (the trigger's version).
func TestWebhooksForAcrossReplicas(t *testing.T) {
	url := testpg.NewDatabase(t)
	a, b := openURL(t, url), openURL(t, url)
	ctx := context.Background()
	if err := a.CreateAccount(ctx, store.Account{ID: "A"}); err != nil {
		t.Fatal(err)
	}
	w := store.Webhook{AccountID: "A", URL: "http://127.0.0.1:9/a", Secret: "c2VjcmV0", IsFeedHooks: true, RetryPolicy: "none"}
	if err := b.CreateWebhook(ctx, &w); err != nil {
		t.Fatal(err)
	}
	urls := func() []string {
		t.Helper()
		var out []string
		err := a.InTx(ctx, func(tx store.Tx) error {
			hs, err := tx.WebhooksFor(ctx, "A", "feeds")
			for _, h := range hs {
				out = append(out, h.URL)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	steps := []struct {
		name string
		edit func() error
		want []string
	}{
		{"created on b", func() error { return nil }, []string{"http://127.0.0.1:9/a"}},
		{"url changed on b", func() error { w.URL = "http://127.0.0.1:9/b"; return b.UpdateWebhook(ctx, &w) }, []string{"http://127.0.0.1:9/b"}},
		{"deleted on b", func() error { return b.DeleteWebhook(ctx, "A", w.ID) }, nil},
	}
	for _, st := range steps {
		if err := st.edit(); err != nil {
			t.Fatal(err)
		}
		if got := urls(); !slices.Equal(got, st.want) {
			t.Fatalf("%s: replica a's WebhooksFor = %v, want %v", st.name, got, st.want)
		}
	}
}
