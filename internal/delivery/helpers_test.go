package delivery

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookcast/hookcast/internal/store"
	"github.com/hookcast/hookcast/internal/store/sqlite"
)

const account = "acc1"

// fakeClock is a clock tests move by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock {
	// Real time to start with, as tests that use the real clock share the
	// harness; whole seconds, so times survive the store's precision exactly.
	return &fakeClock{t: time.Now().UTC().Truncate(time.Second)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// countingStore observes the dispatcher's claims and releases.
type countingStore struct {
	store.Store
	claims   atomic.Int64
	claimed  atomic.Int64 // deliveries claimed
	released atomic.Int64 // deliveries given back
}

func (s *countingStore) ClaimDeliveries(ctx context.Context, c store.Claim) ([]store.ClaimedDelivery, error) {
	defer s.claims.Add(1)
	got, err := s.Store.ClaimDeliveries(ctx, c)
	s.claimed.Add(int64(len(got)))
	return got, err
}

func (s *countingStore) ReleaseDeliveries(ctx context.Context, owner string, ids []int64) error {
	s.released.Add(int64(len(ids)))
	return s.Store.ReleaseDeliveries(ctx, owner, ids)
}

// harness is one store, one clock and one dispatcher.
type harness struct {
	t     testing.TB
	st    *countingStore
	clock *fakeClock
	d     *Dispatcher
	seq   int
}

// newHarness opens a fresh SQLite store. opts gets a fast poll, the fake clock
// and, unless the test set its own client, private addresses allowed.
func newHarness(t testing.TB, opts Options) *harness {
	t.Helper()
	ctx := context.Background()
	sq, err := sqlite.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { sq.Close() })
	if err := sq.CreateAccount(ctx, store.Account{ID: account, Name: "Test"}); err != nil {
		t.Fatalf("create account: %v", err)
	}
	h := &harness{t: t, st: &countingStore{Store: sq}, clock: newFakeClock()}
	if opts.Clock == nil {
		opts.Clock = h.clock.Now
	}
	if opts.Client == nil {
		opts.AllowPrivate = true // the receivers are on 127.0.0.1
	}
	if opts.PollInterval == 0 {
		opts.PollInterval = 10 * time.Millisecond
	}
	h.d = New(h.st, opts)
	return h
}

// start runs the dispatcher until the test ends.
func (h *harness) start() {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.d.Run(ctx) }()
	h.t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			h.t.Errorf("Run: %v", err)
		}
	})
}

func newSecret(t testing.TB) string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(b)
}

func (h *harness) webhook(url, policy string) store.Webhook {
	h.t.Helper()
	return h.webhookOf(account, url, policy)
}

// account creates another account.
func (h *harness) account(id string) {
	h.t.Helper()
	if err := h.st.CreateAccount(context.Background(), store.Account{ID: id, Name: id}); err != nil {
		h.t.Fatalf("create account: %v", err)
	}
}

func (h *harness) webhookOf(acct, url, policy string) store.Webhook {
	h.t.Helper()
	w := &store.Webhook{AccountID: acct, URL: url, Secret: newSecret(h.t), IsFeedHooks: true, RetryPolicy: policy}
	if err := h.st.CreateWebhook(context.Background(), w); err != nil {
		h.t.Fatalf("create webhook: %v", err)
	}
	return *w
}

// event stores one event with a delivery to each webhook, due at the clock's
// now plus due, and returns it and the delivery ids: rows for the poller.
func (h *harness) event(due time.Duration, headers map[string]string, whs ...store.Webhook) (store.Event, []int64) {
	h.t.Helper()
	return h.insert(account, due, headers, false, whs...)
}

// handOver is event as the committer does it: the deliveries are inserted leased
// to the dispatcher (as far as its Lease takes them) and handed over.
func (h *harness) handOver(due time.Duration, headers map[string]string, whs ...store.Webhook) (store.Event, []int64) {
	h.t.Helper()
	return h.insert(account, due, headers, true, whs...)
}

// handOverOf is handOver for another account's webhooks.
func (h *harness) handOverOf(acct string, due time.Duration, headers map[string]string, whs ...store.Webhook) (store.Event, []int64) {
	h.t.Helper()
	return h.insert(acct, due, headers, true, whs...)
}

func (h *harness) insert(acct string, due time.Duration, headers map[string]string, leased bool, whs ...store.Webhook) (store.Event, []int64) {
	h.t.Helper()
	h.seq++
	now := h.clock.Now()
	ev := store.Event{
		ID: fmt.Sprintf("evt_%d", h.seq), AccountID: acct, Type: "feeds", Event: "started",
		StreamName: "s", Timestamp: now.UnixMilli(), ContentType: "application/json", Headers: headers,
		Body: fmt.Appendf(nil, `{"type":"feeds","event":"started","timestamp":%d,"data":{"n":%d}}`,
			now.UnixMilli(), h.seq),
		CreatedAt: now,
	}
	ds := make([]store.Delivery, len(whs))
	var owner string
	var until time.Time
	var take func(*store.Webhook) bool
	if leased {
		owner, until, take = h.d.Lease(now)
		whs = slices.Clone(whs)
		for i, w := range whs { // as the committer's transaction reads them
			cur, err := h.st.GetWebhook(context.Background(), w.AccountID, w.ID)
			if err != nil {
				h.t.Fatalf("read webhook: %v", err)
			}
			whs[i] = cur
		}
	}
	for i, w := range whs {
		ds[i] = store.Delivery{WebhookID: w.ID, NextAttemptAt: now.Add(due), CreatedAt: now}
		if leased && take(&w) {
			ds[i].LeaseOwner, ds[i].LeaseUntil = owner, until
		}
	}
	var ids []int64
	err := h.st.InTx(context.Background(), func(tx store.Tx) error {
		got, err := tx.InsertEvents(context.Background(), []store.NewEvent{{Event: ev, Deliveries: ds}})
		if err == nil {
			ids = got[0]
		}
		return err
	})
	if err != nil {
		h.t.Fatalf("insert event: %v", err)
	}
	if leased {
		var cds []store.ClaimedDelivery
		for i, d := range ds {
			if d.LeaseOwner != "" {
				d.ID, d.EventID, d.AccountID, d.State = ids[i], ev.ID, ev.AccountID, store.DeliveryPending
				cds = append(cds, store.ClaimedDelivery{Delivery: d, Event: ev, Webhook: whs[i]})
			}
		}
		h.d.Handoff(cds, now)
	}
	return ev, ids
}

// waitState polls the store until the delivery is in state, and returns it.
func (h *harness) waitState(id int64, state store.DeliveryState) (store.Delivery, []store.Attempt) {
	h.t.Helper()
	return h.waitStateOf(account, id, state)
}

// waitStateOf is waitState for a delivery of another account.
func (h *harness) waitStateOf(acct string, id int64, state store.DeliveryState) (store.Delivery, []store.Attempt) {
	h.t.Helper()
	var (
		d   store.Delivery
		as  []store.Attempt
		err error
	)
	waitFor(h.t, fmt.Sprintf("delivery %d %s", id, state), func() bool {
		d, as, err = h.st.GetDelivery(context.Background(), acct, id)
		return err == nil && d.State == state
	})
	return d, as
}

// waitFor polls cond until it holds or 20 s pass.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// request is what a receiver saw.
type request struct {
	header http.Header
	body   []byte
}

// receiver is a real HTTP server on 127.0.0.1 that records every request and
// answers with respond (n is the 1-based request number).
type receiver struct {
	srv  *httptest.Server
	reqs chan request
	n    atomic.Int64
}

func newReceiver(t *testing.T, respond func(w http.ResponseWriter, r *http.Request, n int64)) *receiver {
	t.Helper()
	rc := &receiver{reqs: make(chan request, 10000)}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		n := rc.n.Add(1)
		rc.reqs <- request{header: r.Header.Clone(), body: body}
		respond(w, r, n)
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

func status(code int) func(http.ResponseWriter, *http.Request, int64) {
	return func(w http.ResponseWriter, _ *http.Request, _ int64) { w.WriteHeader(code) }
}

func (rc *receiver) next(t *testing.T) request {
	t.Helper()
	select {
	case r := <-rc.reqs:
		return r
	case <-time.After(20 * time.Second):
		t.Fatal("timed out waiting for a request")
		return request{}
	}
}

// tick runs the scheduler's timer step now (as its loop does every poll
// interval), so a test that moved the clock sees its effect at once.
func (h *harness) tick() {
	h.d.mu.Lock()
	h.d.wakeDelayed(h.clock.Now())
	h.d.schedule()
	h.d.mu.Unlock()
}
