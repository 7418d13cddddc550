package commit

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookcast/hookcast/internal/engine"
	"github.com/hookcast/hookcast/internal/store"
	"github.com/hookcast/hookcast/internal/store/sqlite"
)

// faultStore fails every InTx while fail is set: the fault the committer must
// report without applying anything.
type faultStore struct {
	store.Store
	fail atomic.Bool
	hold atomic.Pointer[gate] // when set, the next InTx waits for it to open
}

// gate holds a transaction: entered is closed when it is reached, and it goes
// on when open is closed.
type gate struct{ entered, open chan struct{} }

func newGate() *gate { return &gate{entered: make(chan struct{}), open: make(chan struct{})} }

func (f *faultStore) InTx(ctx context.Context, fn func(store.Tx) error) error {
	if g := f.hold.Swap(nil); g != nil {
		close(g.entered)
		<-g.open
	}
	if f.fail.Load() {
		return fmt.Errorf("injected: %w", store.ErrUnavailable)
	}
	return f.Store.InTx(ctx, fn)
}

type bundle struct {
	st      *faultStore
	p       *Committer
	mu      sync.Mutex
	handoff []store.ClaimedDelivery
	room    map[int64]int // per webhook, what the dispatcher takes per transaction (absent: any)
}

func setup(t *testing.T) *bundle { return setupWith(t, Options{}) }

// setupWith is setup with opts (its Lease and Handoff are the bundle's).
func setupWith(t *testing.T, opts Options) *bundle {
	t.Helper()
	sl, err := sqlite.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sl.Close() })
	return setupOn(t, sl, opts)
}

// setupOn is setupWith on a given store, with account A created.
func setupOn(t testing.TB, sl store.Store, opts Options) *bundle {
	t.Helper()
	ctx := context.Background()
	if err := sl.CreateAccount(ctx, store.Account{ID: "A", CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	b := &bundle{st: &faultStore{Store: sl}, room: map[int64]int{}}
	opts.Lease = func(at time.Time) (string, time.Time, func(*store.Webhook) bool) {
		b.mu.Lock()
		room := maps.Clone(b.room)
		b.mu.Unlock()
		return "test", at.Add(time.Minute), func(w *store.Webhook) bool {
			n, ok := room[w.ID]
			room[w.ID] = n - 1
			return !ok || n > 0
		}
	}
	opts.Handoff = func(cs []store.ClaimedDelivery, _ time.Time) {
		b.mu.Lock()
		b.handoff = append(b.handoff, cs...)
		b.mu.Unlock()
	}
	b.p = New(b.st, engine.New(engine.DefaultConfig()), opts)
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { _ = b.p.Run(runCtx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return b
}

func (b *bundle) webhook(t testing.TB, edit func(*store.Webhook)) store.Webhook {
	t.Helper()
	w := store.Webhook{AccountID: "A", URL: "https://example.com/h", Secret: "c2VjcmV0", IsFeedHooks: true, RetryPolicy: "none"}
	if edit != nil {
		edit(&w)
	}
	if err := b.st.CreateWebhook(context.Background(), &w); err != nil {
		t.Fatal(err)
	}
	return w
}

func feedStarted(name, feed string) engine.Signal {
	return engine.Signal{Kind: engine.FeedStarted, AccountID: "A", Name: name, FeedID: feed}
}

// TestWhoGetsWhat: events.md §2 — type enabled, filter matched; a disabled webhook's
// delivery is recorded as skipped; pending ones are handed over leased, with their
// event and webhook, as far as the dispatcher has room; the others are left free.
func TestWhoGetsWhat(t *testing.T) {
	b := setup(t)
	all := b.webhook(t, nil)
	cams := b.webhook(t, func(w *store.Webhook) { w.Filter = "^cam" })
	off := b.webhook(t, func(w *store.Webhook) { w.Disabled, w.DisabledReason = true, "test" })
	viewersOnly := b.webhook(t, func(w *store.Webhook) { w.IsFeedHooks, w.IsViewerConnectionHooks = false, true })
	b.mu.Lock()
	b.room[all.ID] = 1 // of its two deliveries, one is left for the poller
	b.mu.Unlock()
	if _, err := b.p.Submit(context.Background(), []engine.Signal{feedStarted("cam1", "f1"), feedStarted("show", "f2")}); err != nil {
		t.Fatal(err)
	}
	ds, err := b.st.ListDeliveries(context.Background(), store.DeliveryQuery{AccountID: "A"})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]store.DeliveryState{}
	for _, d := range ds {
		ev, err := b.st.GetEvent(context.Background(), "A", d.EventID)
		if err != nil {
			t.Fatal(err)
		}
		got[fmt.Sprintf("%s→%d", ev.StreamName, d.WebhookID)] = d.State
	}
	want := map[string]store.DeliveryState{
		fmt.Sprintf("cam1→%d", all.ID): store.DeliveryPending, fmt.Sprintf("cam1→%d", cams.ID): store.DeliveryPending,
		fmt.Sprintf("cam1→%d", off.ID): store.DeliverySkipped,
		fmt.Sprintf("show→%d", all.ID): store.DeliveryPending, fmt.Sprintf("show→%d", off.ID): store.DeliverySkipped,
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("deliveries %v\nwant       %v (webhook %d wants no feeds)", got, want, viewersOnly.ID)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.handoff) != 2 {
		t.Fatalf("%d deliveries handed off, want 2 of the 3 pending ones", len(b.handoff))
	}
	for _, cd := range b.handoff {
		if cd.Delivery.ID == 0 || len(cd.Event.Body) == 0 || cd.Webhook.ID != cd.Delivery.WebhookID {
			t.Fatalf("handed off without what sending needs: %+v", cd.Delivery)
		}
	}
	// Leased to the committer: nobody else can claim them; the one refused can.
	cs, err := b.st.ClaimDeliveries(context.Background(), store.Claim{Owner: "other", Now: time.Now(), Lease: time.Minute, Limit: 10})
	if err != nil || len(cs) != 1 || cs[0].Webhook.ID != all.ID {
		t.Fatalf("claimed %d deliveries (%v), want only the one refused", len(cs), err)
	}
}

// TestCommitFailure: when the transaction fails, every request of the group gets
// the error and nothing is applied.
func TestCommitFailure(t *testing.T) {
	b := setup(t)
	b.st.fail.Store(true)
	_, err := b.p.Submit(context.Background(), []engine.Signal{feedStarted("cam1", "f1")})
	b.st.fail.Store(false)
	if err == nil || !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("Submit = %v, want ErrUnavailable", err)
	}
	views, err := b.p.Streams(context.Background(), "A")
	if err != nil || len(views) != 0 {
		t.Fatalf("a failed commit left state: %v %v", views, err)
	}
}

// TestConcurrentSubmits: requests from many goroutines on one stream are all
// applied, each exactly once (group commit merges them, the lock orders them).
func TestConcurrentSubmits(t *testing.T) {
	b := setup(t)
	const n = 64
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			_, err := b.p.Submit(context.Background(), []engine.Signal{{Kind: engine.ViewerConnected, AccountID: "A", Name: "show",
				ViewerID: fmt.Sprintf("v%d", i)}})
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	views, err := b.p.Streams(context.Background(), "A")
	if err != nil || len(views) != 1 || views[0].Viewers != n {
		t.Fatalf("views %+v (%v), want one stream with %d viewers", views, err, n)
	}
}

// TestUnwantedEvents: an event no webhook wants changes stream state but is not
// stored, unless KeepUnwanted asks for it.
func TestUnwantedEvents(t *testing.T) {
	for _, keep := range []bool{false, true} {
		t.Run(fmt.Sprint("keep=", keep), func(t *testing.T) {
			b := setupWith(t, Options{KeepUnwanted: keep})
			b.webhook(t, func(w *store.Webhook) { w.IsFeedHooks, w.IsViewerConnectionHooks = false, true })
			if _, err := b.p.Submit(context.Background(), []engine.Signal{feedStarted("cam1", "f1")}); err != nil {
				t.Fatal(err)
			}
			evs, err := b.st.ListEvents(context.Background(), store.EventQuery{AccountID: "A"})
			if err != nil {
				t.Fatal(err)
			}
			if want := map[bool]int{false: 0, true: 1}[keep]; len(evs) != want {
				t.Fatalf("%d events stored, want %d", len(evs), want)
			}
			streams, err := b.p.Streams(context.Background(), "A")
			if err != nil {
				t.Fatal(err)
			}
			if len(streams) != 1 || streams[0].Name != "cam1" {
				t.Fatalf("streams = %+v, want cam1 live", streams)
			}
		})
	}
}

// TestSubmitCountsEvents: Submit says how many events the signals produced,
// with or without a webhook to send them to; a second feed.started of a live
// stream produces none, and a batch counts every signal's events.
func TestSubmitCountsEvents(t *testing.T) {
	b := setup(t)
	b.webhook(t, nil)
	ended := engine.Signal{Kind: engine.FeedEnded, AccountID: "A", Name: "show", FeedID: "f1"}
	steps := []struct {
		name string
		sigs []engine.Signal
		want int
	}{
		{"first feed.started", []engine.Signal{feedStarted("show", "f1")}, 1},
		{"same feed again, stream live", []engine.Signal{feedStarted("show", "f1")}, 0},
		{"a stream nobody's webhook filters out", []engine.Signal{feedStarted("other", "f9")}, 1},
		{"batch: end, start again", []engine.Signal{ended, feedStarted("show", "f1")}, 2},
	}
	for _, s := range steps {
		n, err := b.p.Submit(context.Background(), s.sigs)
		if err != nil || n != s.want {
			t.Fatalf("%s: %d events (err %v), want %d", s.name, n, err, s.want)
		}
	}
}

// TestGroupInterval: a lone client's requests are committed at once however
// long the interval (an hour here); once groups held more than one request
// (requests come concurrently), the next group waits for the interval or for a
// full group.
func TestGroupInterval(t *testing.T) {
	groups := make(chan int, 8)
	hold := make(chan struct{})
	var holding atomic.Bool
	b := setupWith(t, Options{GroupInterval: time.Hour, MaxGroup: 3,
		Observe: func(signals, _, _ int, _ time.Duration) {
			groups <- signals
			if holding.CompareAndSwap(true, false) {
				<-hold // the commit loop stops here, after the group's answers
			}
		}})
	send := func(name string) error {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, err := b.p.Submit(ctx, []engine.Signal{feedStarted(name, "f0")})
		return err
	}
	submit := func(name string) {
		if err := send(name); err != nil {
			t.Error(err)
		}
	}
	for i := range 3 { // one after another, each answered before the next
		if err := send(fmt.Sprint("solo", i)); err != nil {
			t.Fatalf("lone request %d waited: %v", i, err)
		}
		if g := <-groups; g != 1 {
			t.Fatalf("lone request %d: a group of %d", i, g)
		}
	}
	// Two requests queued while the loop is held go together.
	holding.Store(true)
	submit("a")
	<-groups
	var wg sync.WaitGroup
	wg.Go(func() { submit("b") })
	wg.Go(func() { submit("c") })
	waitFor(t, "b and c to queue", func() bool { return len(b.p.reqs) >= 2 })
	close(hold)
	wg.Wait()
	if g := <-groups; g != 2 {
		t.Fatalf("b and c: a group of %d, want 2", g)
	}
	// After it (the groups' mean: 1.47 requests), the next requests wait for each other.
	for i := range 3 {
		wg.Go(func() { submit(fmt.Sprint("cam", i)) })
	}
	wg.Wait()
	if g := <-groups; g != 3 {
		t.Fatalf("after a group of two: a group of %d, want 3 (waiting for each other)", g)
	}
}

// waitFor polls cond until it holds, failing the test after 20 s.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond) // polling with a deadline
	}
}

// TestParallelGroup: with several committers, a request that comes while a
// group is being committed is not committed alone beside it: it waits until
// ParallelGroup signals are there (then they go beside it) or until it ends.
// Each follower here comes while the first group is held in its transaction.
func TestParallelGroup(t *testing.T) {
	for _, tc := range []struct {
		name      string
		parallel  int
		followers int
		open      int   // groups seen before the held one may end
		want      []int // the groups' signals, in commit order
	}{
		{"enough signals: committed beside it", 3, 3, 1, []int{3, 1}},
		{"too few: after it", 10, 2, 0, []int{1, 2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			groups := make(chan int, 8)
			b := setupWith(t, Options{Committers: 2, ParallelGroup: tc.parallel, GroupInterval: -1,
				TimerPoll: time.Hour, Observe: func(signals, _, _ int, _ time.Duration) { groups <- signals }})
			// The gate is for the first signal's transaction, not the timer
			// loop's first look (TestWhenIdleYieldsToSignals).
			waitFor(t, "the timer loop's first pass", func() bool { return b.p.lookAt.Load() != 0 })
			g := newGate()
			b.st.hold.Store(g)
			errs := make(chan error, 1+tc.followers)
			submit := func(name string) {
				go func() {
					_, err := b.p.Submit(context.Background(), []engine.Signal{feedStarted(name, "f")})
					errs <- err
				}()
			}
			submit("held")
			<-g.entered
			for i := range tc.followers {
				submit(fmt.Sprint("follower", i))
			}
			// All taken by the committer gathering the next group (or
			// committed already, a group seen).
			waitFor(t, "the followers to be taken", func() bool {
				b.p.inflight.mu.Lock()
				n := b.p.inflight.reqs.Len()
				b.p.inflight.mu.Unlock()
				return len(b.p.reqs) == 0 && (n == 1+tc.followers || len(groups) > 0)
			})
			var got []int
			for range tc.open {
				got = append(got, <-groups)
			}
			close(g.open)
			for range 1 + tc.followers {
				if err := <-errs; err != nil {
					t.Fatal(err)
				}
			}
			for len(got) < len(tc.want) {
				got = append(got, <-groups)
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Fatalf("groups %v, want %v", got, tc.want)
			}
		})
	}
}
