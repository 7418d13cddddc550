package storetest

import (
	"bytes"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/hookcast/hookcast/internal/store"
)

// claim claims what is due at now, and fails the test unless that includes
// every one of want.
func claim(t testing.TB, s store.Store, owner string, now time.Time, limit int, want ...int64) []store.ClaimedDelivery {
	t.Helper()
	got, err := s.ClaimDeliveries(ctx(t), store.Claim{Owner: owner, Now: now, Lease: 30 * time.Second, Limit: limit})
	must(t, err)
	for _, id := range want {
		if !slices.Contains(claimIDs(got), id) {
			t.Fatalf("claim at %v by %s = %v, want %d among them", now, owner, claimIDs(got), id)
		}
	}
	return got
}

// testClaim: only pending, due, unleased rows are claimed, oldest due first, up
// to the limit, with their event and webhook.
func testClaim(t *testing.T, s store.Store) {
	newAccount(t, s, "A")
	w := newWebhook(t, s, "A")
	ev := newEvent("A", 0)
	late := insert(t, s, ev, t0.Add(2*time.Second), w)[0]
	early := insert(t, s, newEvent("A", 0), t0.Add(time.Second), w)[0]
	future := insert(t, s, newEvent("A", 0), t0.Add(time.Hour), w)[0]
	must(t, s.InTx(ctx(t), func(tx store.Tx) error { // never claimed: not pending
		_, err := insertOne(ctx(t), tx, newEvent("A", 0), []store.Delivery{{WebhookID: w.ID, State: store.DeliverySkipped}})
		return err
	}))
	if got := claim(t, s, "r1", t0, 10); len(got) != 0 {
		t.Fatalf("claimed %v before anything was due", claimIDs(got))
	}
	got := claim(t, s, "r1", t0.Add(5*time.Second), 1)
	if !slices.Equal(claimIDs(got), []int64{early}) {
		t.Fatalf("limit 1 claimed %v, want the earliest due %d", claimIDs(got), early)
	}
	got = claim(t, s, "r1", t0.Add(5*time.Second), 10)
	if !slices.Equal(claimIDs(got), []int64{late}) {
		t.Fatalf("claimed %v, want only %d (not the leased %d, not the future %d)", claimIDs(got), late, early, future)
	}
	c := got[0]
	if c.Delivery.EventID != ev.ID || c.Delivery.State != store.DeliveryPending || c.Delivery.WebhookID != w.ID {
		t.Fatalf("claimed delivery = %+v", c.Delivery)
	}
	if c.Event.ID != ev.ID || !bytes.Equal(c.Event.Body, ev.Body) || c.Event.Headers["X-Test"] != "1" || c.Event.ContentType != ev.ContentType {
		t.Fatalf("claimed event = %+v", c.Event)
	}
	if !reflect.DeepEqual(c.Webhook, w) {
		t.Fatalf("claimed webhook =\n%+v\nwant\n%+v", c.Webhook, w)
	}
	for _, bad := range []store.Claim{
		{Owner: "", Now: t0, Lease: time.Second, Limit: 1},
		{Owner: "r1", Now: t0, Lease: 0, Limit: 1},
	} {
		if _, err := s.ClaimDeliveries(ctx(t), bad); err == nil {
			t.Fatalf("claim %+v accepted", bad)
		}
	}
}

// testClaimLease: a second claimer gets nothing until the lease expires; then
// the row is taken over and the first owner can no longer finish it.
func testClaimLease(t *testing.T, s store.Store) {
	newAccount(t, s, "A")
	w := newWebhook(t, s, "A")
	id := insert(t, s, newEvent("A", 0), t0, w)[0]
	if got := claim(t, s, "r1", t0, 10); len(got) != 1 {
		t.Fatalf("first claim got %d rows", len(got))
	}
	for _, at := range []time.Duration{0, time.Second, 29 * time.Second} {
		if got := claim(t, s, "r2", t0.Add(at), 10); len(got) != 0 {
			t.Fatalf("r2 took a leased row at +%v", at)
		}
	}
	if got := claim(t, s, "r2", t0.Add(31*time.Second), 10); !slices.Equal(claimIDs(got), []int64{id}) {
		t.Fatalf("after the lease expired r2 got %v, want %d", claimIDs(got), id)
	}
	err := finishOne(ctx(t), s, store.AttemptResult{Owner: "r1", State: store.DeliverySucceeded, Success: true,
		Attempt: store.Attempt{DeliveryID: id, N: 1, At: t0.Add(32 * time.Second), Status: 200}})
	wantErr(t, err, store.ErrNotFound)
	must(t, finishOne(ctx(t), s, store.AttemptResult{Owner: "r2", State: store.DeliverySucceeded, Success: true,
		Attempt: store.Attempt{DeliveryID: id, N: 1, At: t0.Add(32 * time.Second), Status: 200}}))
	d, attempts, err := s.GetDelivery(ctx(t), "A", id)
	must(t, err)
	if d.State != store.DeliverySucceeded || d.Attempts != 1 || len(attempts) != 1 {
		t.Fatalf("after the takeover: %+v with %d attempts, want succeeded with exactly 1", d, len(attempts))
	}
	if got := claim(t, s, "r3", t0.Add(time.Hour), 10); len(got) != 0 {
		t.Fatalf("claimed a succeeded delivery: %v", claimIDs(got))
	}
}

// testClaimCurrentWebhook: the claim carries the webhook as it is now.
func testClaimCurrentWebhook(t *testing.T, s store.Store) {
	newAccount(t, s, "A")
	w := newWebhook(t, s, "A")
	insert(t, s, newEvent("A", 0), t0, w)
	w.PreviousSecret, w.PreviousSecretExpiresAt = w.Secret, t0.Add(time.Hour) // a rotation with an overlap
	w.Headers = map[string]string{"X-Api-Key": "k"}
	w.URL, w.Secret, w.RetryPolicy = "http://127.0.0.1:9/moved", "bmV3", "none"
	must(t, s.UpdateWebhook(ctx(t), &w))
	got := claim(t, s, "r1", t0, 10)
	if len(got) != 1 || !reflect.DeepEqual(got[0].Webhook, w) {
		t.Fatalf("claimed %+v, want the updated webhook %+v", got, w)
	}
}

// testClaimDeletedWebhook: deleting a webhook fails its pending deliveries, and
// a pending delivery whose webhook is gone anyway is failed, not claimed.
func testClaimDeletedWebhook(t *testing.T, s store.Store) {
	c := ctx(t)
	newAccount(t, s, "A")
	gone, kept := newWebhook(t, s, "A"), newWebhook(t, s, "A")
	ids := insert(t, s, newEvent("A", 0), t0, gone, kept)
	must(t, s.DeleteWebhook(c, "A", gone.ID))
	d, _, err := s.GetDelivery(c, "A", ids[0])
	must(t, err)
	if d.State != store.DeliveryFailed || d.LastError != "webhook deleted" {
		t.Fatalf("delivery of a deleted webhook = %+v, want failed", d)
	}
	// A delivery written for the webhook after its deletion (a race the
	// transaction that read the webhook list can lose).
	late := insert(t, s, newEvent("A", 0), t0, gone)[0]
	if got := claim(t, s, "r1", t0, 10); !slices.Equal(claimIDs(got), []int64{ids[1]}) {
		t.Fatalf("claimed %v, want only %d", claimIDs(got), ids[1])
	}
	d, _, err = s.GetDelivery(c, "A", late)
	must(t, err)
	if d.State != store.DeliveryFailed || d.LastError != "webhook deleted" {
		t.Fatalf("orphan delivery after a claim = %+v, want failed", d)
	}
	if _, err := s.GetEvent(c, "A", d.EventID); err != nil {
		t.Fatalf("the log lost the event of a deleted webhook: %v", err)
	}
}

// testClaimConcurrent: claimers racing from several goroutines never get the same row.
func testClaimConcurrent(t *testing.T, s store.Store) {
	const rows, claimers = 200, 8
	newAccount(t, s, "A")
	w := newWebhook(t, s, "A")
	must(t, s.InTx(ctx(t), func(tx store.Tx) error {
		for range rows {
			if _, err := insertOne(ctx(t), tx, newEvent("A", 0), []store.Delivery{{WebhookID: w.ID, NextAttemptAt: t0}}); err != nil {
				return err
			}
		}
		return nil
	}))
	var mu sync.Mutex
	seen := map[int64]string{}
	var wg sync.WaitGroup
	errs := make(chan error, rows+claimers)
	for i := range claimers {
		owner := fmt.Sprintf("r%d", i)
		wg.Go(func() {
			for {
				got, err := s.ClaimDeliveries(ctx(t), store.Claim{Owner: owner, Now: t0, Lease: time.Minute, Limit: 7})
				if err != nil {
					errs <- err
					return
				}
				if len(got) == 0 {
					return
				}
				mu.Lock()
				dup := false
				for _, c := range got {
					if prev, ok := seen[c.Delivery.ID]; ok {
						errs <- fmt.Errorf("delivery %d claimed by %s and %s", c.Delivery.ID, prev, owner)
						dup = true
					}
					seen[c.Delivery.ID] = owner
				}
				mu.Unlock()
				if dup { // a broken lease would hand the same rows out forever
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if len(seen) != rows {
		t.Fatalf("%d rows claimed, want %d", len(seen), rows)
	}
}

// testReleaseAndExclude: a released lease can be claimed again at once (only the
// owner's, only pending rows), and a due claim leaves out excluded webhooks.
func testReleaseAndExclude(t *testing.T, s store.Store) {
	c := ctx(t)
	newAccount(t, s, "A")
	w1, w2 := newWebhook(t, s, "A"), newWebhook(t, s, "A")
	ids := insert(t, s, newEvent("A", 0), t0, w1, w2) // one delivery each
	got := claimIDs(claim(t, s, "r1", t0, 10))
	if len(got) != 2 {
		t.Fatalf("claimed %v", got)
	}
	must(t, s.ReleaseDeliveries(c, "someone-else", ids))
	if n, err := s.ReleaseOwner(c, "someone-else"); err != nil || n != 0 {
		t.Fatalf("ReleaseOwner of another owner = %d, %v", n, err)
	}
	if got := claim(t, s, "r2", t0, 10); len(got) != 0 {
		t.Fatalf("another owner's release freed %v", claimIDs(got))
	}
	must(t, s.ReleaseDeliveries(c, "r1", ids[:1]))
	if got := claim(t, s, "r2", t0, 10); len(got) != 1 || got[0].Delivery.ID != ids[0] {
		t.Fatalf("ReleaseDeliveries of one freed %v", claimIDs(got))
	}
	must(t, s.ReleaseDeliveries(c, "r2", ids[:1]))
	claim(t, s, "r1", t0, 10) // r1 holds both again
	if n, err := s.ReleaseOwner(c, "r1"); err != nil || n != 2 {
		t.Fatalf("ReleaseOwner = %d, %v; want 2", n, err)
	}
	cs, err := s.ClaimDeliveries(c, store.Claim{Owner: "r2", Now: t0, Lease: time.Minute, Limit: 10, ExcludeWebhooks: []int64{w1.ID}})
	must(t, err)
	if len(cs) != 1 || cs[0].Webhook.ID != w2.ID {
		t.Fatalf("claim excluding webhook %d got %v", w1.ID, claimIDs(cs))
	}
	if got := claim(t, s, "r3", t0, 10); len(got) != 1 || got[0].Webhook.ID != w1.ID {
		t.Fatalf("the excluded webhook's delivery should still be free: %v", claimIDs(got))
	}
	for _, o := range []string{"r2", "r3"} {
		if _, err := s.ReleaseOwner(c, o); err != nil {
			t.Fatal(err)
		}
	}
	newAccount(t, s, "B")
	wB := newWebhook(t, s, "B")
	idB := insert(t, s, newEvent("B", 0), t0, wB)[0]
	cs, err = s.ClaimDeliveries(c, store.Claim{Owner: "r4", Now: t0, Lease: time.Minute, Limit: 10,
		ExcludeAccounts: []string{"A"}, ExcludeWebhooks: []int64{w1.ID}})
	must(t, err)
	if !slices.Equal(claimIDs(cs), []int64{idB}) {
		t.Fatalf("claim excluding account A got %v, want only B's %d", claimIDs(cs), idB)
	}
}

// testInsertLeased: a delivery inserted already leased is not claimed by anyone
// else until its lease ends, and its owner can record its attempt.
func testInsertLeased(t *testing.T, s store.Store) {
	c := ctx(t)
	newAccount(t, s, "A")
	w := newWebhook(t, s, "A")
	var ids []int64
	must(t, s.InTx(c, func(tx store.Tx) error {
		var err error
		ids, err = insertOne(c, tx, newEvent("A", 0), []store.Delivery{{WebhookID: w.ID, NextAttemptAt: t0,
			LeaseOwner: "committer", LeaseUntil: t0.Add(time.Minute)}})
		return err
	}))
	if got := claim(t, s, "other", t0.Add(30*time.Second), 10); len(got) != 0 {
		t.Fatalf("a delivery leased at insert was claimed: %v", claimIDs(got))
	}
	must(t, finishOne(c, s, store.AttemptResult{Owner: "committer", State: store.DeliverySucceeded, Success: true,
		Attempt: store.Attempt{DeliveryID: ids[0], N: 1, At: t0, Status: 200}}))
	d, _, err := s.GetDelivery(c, "A", ids[0])
	must(t, err)
	if d.State != store.DeliverySucceeded {
		t.Fatalf("state %s", d.State)
	}
}
