package storetest

import (
	"bytes"
	"testing"
	"time"

	"github.com/hookcast/hookcast/internal/store"
)

// prunePass runs Prune the way the pruner does: batches from AfterID 0 while
// a batch says more may remain.
func prunePass(t *testing.T, s store.Store, p store.PruneBatch) store.PruneResult {
	t.Helper()
	var sum store.PruneResult
	for i := 0; ; i++ {
		if i > 100 {
			t.Fatal("Prune never finished its pass")
		}
		r, err := s.Prune(ctx(t), p)
		must(t, err)
		sum = sum.Add(r)
		if !r.Full {
			return sum
		}
		if r.NextID < p.AfterID {
			t.Fatalf("NextID went back from %d to %d", p.AfterID, r.NextID)
		}
		p.AfterID = r.NextID
	}
}

// finishAt records attempt n of id with state st.
func finishAt(t *testing.T, s store.Store, id int64, n int, at time.Time, st store.DeliveryState) {
	t.Helper()
	claim(t, s, "pruner-test", at, 10, id)
	must(t, finishOne(ctx(t), s, store.AttemptResult{Owner: "pruner-test", State: st, NextAttemptAt: at,
		Success: st == store.DeliverySucceeded, Attempt: store.Attempt{DeliveryID: id, N: n, At: at, Status: 200}}))
}

// testPrune: deliveries and events past retention disappear, in small batches;
// pending deliveries, their events and everything younger stay; old image
// bodies are emptied unless a delivery of theirs is pending.
func testPrune(t *testing.T, s store.Store) {
	c := ctx(t)
	newAccount(t, s, "A")
	w := newWebhook(t, s, "A")
	image := func(offset time.Duration) store.Event {
		ev := newEvent("A", offset)
		ev.Type, ev.Event, ev.ContentType, ev.Body = "thumbnail", "thumbnail", "image/jpeg", []byte("\xff\xd8jpeg")
		return ev
	}
	oldPending := insert(t, s, newEvent("A", 0), t0, w)[0]
	ev1, ev2 := newEvent("A", time.Minute), newEvent("A", 2*time.Minute)
	retried := insert(t, s, ev1, t0, w)[0]
	claim(t, s, "r", t0, 10, retried)
	must(t, finishOne(c, s, store.AttemptResult{Owner: "r", State: store.DeliveryPending, NextAttemptAt: t0,
		Attempt: store.Attempt{DeliveryID: retried, N: 1, At: t0, Status: 500}}))
	finishAt(t, s, retried, 2, t0.Add(time.Minute), store.DeliverySucceeded)
	failed := insert(t, s, ev2, t0, w)[0]
	finishAt(t, s, failed, 1, t0.Add(2*time.Minute), store.DeliveryFailed)
	unwanted := newEvent("A", 3*time.Minute)
	insert(t, s, unwanted, t0)
	imgDone, imgPending := image(90*time.Minute), image(91*time.Minute)
	imgDoneID := insert(t, s, imgDone, t0, w)[0]
	finishAt(t, s, imgDoneID, 1, t0.Add(90*time.Minute), store.DeliverySucceeded)
	insert(t, s, imgPending, t0, w)
	young := newEvent("A", 2*time.Hour)
	youngID := insert(t, s, young, t0, w)[0]
	finishAt(t, s, youngID, 1, t0.Add(2*time.Hour), store.DeliverySucceeded)

	p := store.PruneBatch{Before: t0.Add(time.Hour), ImagesBefore: t0.Add(3 * time.Hour), Limit: 1}
	got := prunePass(t, s, p)
	if got.Deliveries != 2 || got.Events != 3 || got.Images != 1 || got.Attempts < 1 {
		t.Fatalf("pass removed %+v, want 2 deliveries, 3 events, 1 image, some attempts", got)
	}
	for _, id := range []int64{retried, failed} {
		if _, _, err := s.GetDelivery(c, "A", id); err == nil {
			t.Fatalf("delivery %d past retention is still there", id)
		}
	}
	for _, id := range []string{ev1.ID, ev2.ID, unwanted.ID} {
		if _, err := s.GetEvent(c, "A", id); err == nil {
			t.Fatalf("event %s past retention is still there", id)
		}
	}
	d, _, err := s.GetDelivery(c, "A", oldPending)
	must(t, err)
	if d.State != store.DeliveryPending {
		t.Fatalf("old pending delivery is now %s", d.State)
	}
	if _, err := s.GetEvent(c, "A", d.EventID); err != nil {
		t.Fatalf("the event of a pending delivery went: %v", err)
	}
	for _, tc := range []struct {
		ev   store.Event
		body []byte
	}{{imgDone, []byte{}}, {imgPending, imgPending.Body}, {young, young.Body}} {
		got, err := s.GetEvent(c, "A", tc.ev.ID)
		must(t, err)
		if !bytes.Equal(got.Body, tc.body) {
			t.Fatalf("event %s body = %q, want %q", tc.ev.ID, got.Body, tc.body)
		}
	}
	if _, attempts, err := s.GetDelivery(c, "A", youngID); err != nil || len(attempts) != 1 {
		t.Fatalf("young delivery: %v, %d attempts", err, len(attempts))
	}

	// A second pass finds nothing more; nor does one that only empties images.
	if got := prunePass(t, s, p); got != (store.PruneResult{}) {
		t.Fatalf("second pass removed %+v", got)
	}
	if got := prunePass(t, s, store.PruneBatch{ImagesBefore: p.ImagesBefore}); got != (store.PruneResult{}) {
		t.Fatalf("images-only pass removed %+v", got)
	}
	// Resent, the old delivery is pending again and stays.
	if _, err := s.Resend(c, "A", []int64{youngID}, store.DeliveryQuery{}, t0.Add(3*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if got := prunePass(t, s, store.PruneBatch{Before: t0.Add(4 * time.Hour)}); got.Deliveries != 1 {
		// imgDone's delivery goes; young's is pending again and stays (the
		// newest row stays on SQLite anyway, so this is the one to check).
		t.Fatalf("pass after resend removed %+v, want 1 delivery", got)
	}
	if _, _, err := s.GetDelivery(c, "A", youngID); err != nil {
		t.Fatalf("resent delivery: %v", err)
	}
}
