package storetest

import (
	"testing"
	"time"

	"github.com/hookcast/hookcast/internal/store"
)

// testStats: recording attempts keeps per-webhook, per-minute rollups in the
// same transaction (a lost lease adds nothing), and Stats sums them per step,
// for one account only, one webhook when asked.
func testStats(t *testing.T, s store.Store) {
	c := ctx(t)
	newAccount(t, s, "A")
	newAccount(t, s, "B")
	w1 := newWebhook(t, s, "A")
	w2 := newWebhook(t, s, "A")
	wb := newWebhook(t, s, "B")
	minute := t0.Truncate(time.Minute)

	// One result per delivery: what it ends in, when, and how long it took.
	type result struct {
		w       store.Webhook
		state   store.DeliveryState
		at      time.Duration // after minute
		n       int
		latency time.Duration
	}
	results := []result{
		{w1, store.DeliverySucceeded, 1 * time.Second, 1, 3 * time.Millisecond},   // bucket 0
		{w1, store.DeliverySucceeded, 59 * time.Second, 1, 40 * time.Millisecond}, // bucket 3
		{w1, store.DeliveryFailed, 61 * time.Second, 1, 40 * time.Millisecond},    // next minute, bucket 3
		{w1, store.DeliveryPending, 62 * time.Second, 1, 30 * time.Second},        // retried, last bucket
		{w1, store.DeliverySkipped, 90 * time.Second, 0, 0},                       // no attempt: no latency
		{w2, store.DeliverySucceeded, 5 * time.Minute, 2, 10 * time.Millisecond},  // bucket 1 (bound inclusive)
		{wb, store.DeliverySucceeded, 2 * time.Second, 1, 1 * time.Millisecond},   // account B
		{w2, store.DeliverySucceeded, 2 * time.Hour, 1, 1 * time.Millisecond},     // outside the range asked
	}
	var batch []store.AttemptResult
	for i, r := range results {
		id := insert(t, s, newEvent(r.w.AccountID, time.Duration(i)*time.Millisecond), t0, r.w)[0]
		batch = append(batch, store.AttemptResult{Owner: "r1", State: r.state, Success: r.state == store.DeliverySucceeded,
			NextAttemptAt: minute.Add(time.Hour),
			Attempt:       store.Attempt{DeliveryID: id, N: r.n, At: minute.Add(r.at), Latency: r.latency, Status: 200}})
	}
	claim(t, s, "r1", t0, 100)
	// A result whose lease another owner holds is refused and adds nothing.
	lost := batch[0]
	lost.Owner = "someone-else"
	for i, err := range s.FinishAttempts(c, append(batch, lost)) {
		if (err != nil) != (i == len(batch)) {
			t.Fatalf("result %d: %v", i, err)
		}
	}

	q := store.StatsQuery{AccountID: "A", From: minute, To: minute.Add(time.Hour), Step: time.Minute}
	rows, err := s.Stats(c, q)
	must(t, err)
	lat := func(pairs ...int) (l [store.LatencyBuckets]int64) {
		for i := 0; i < len(pairs); i += 2 {
			l[pairs[i]] = int64(pairs[i+1])
		}
		return l
	}
	want := []store.StatsRow{
		{WebhookID: w1.ID, Start: minute, Succeeded: 2, Latency: lat(0, 1, 3, 1)},
		{WebhookID: w1.ID, Start: minute.Add(time.Minute), Failed: 1, Retried: 1, Skipped: 1, Latency: lat(3, 1, store.LatencyBuckets-1, 1)},
		{WebhookID: w2.ID, Start: minute.Add(5 * time.Minute), Succeeded: 1, Latency: lat(1, 1)},
	}
	checkStats(t, "per minute", rows, want)

	// Steps of 10 minutes from the start: w1's two minutes add up.
	q.Step = 10 * time.Minute
	rows, err = s.Stats(c, q)
	must(t, err)
	checkStats(t, "per 10 minutes", rows, []store.StatsRow{
		{WebhookID: w1.ID, Start: minute, Succeeded: 2, Failed: 1, Retried: 1, Skipped: 1, Latency: lat(0, 1, 3, 2, store.LatencyBuckets-1, 1)},
		{WebhookID: w2.ID, Start: minute, Succeeded: 1, Latency: lat(1, 1)},
	})

	q.Step, q.WebhookID = time.Minute, w2.ID
	rows, err = s.Stats(c, q)
	must(t, err)
	checkStats(t, "webhook 2 only", rows, want[2:])

	// Another account's webhook is not seen, even by id.
	q.WebhookID = wb.ID
	rows, err = s.Stats(c, q)
	must(t, err)
	checkStats(t, "account B's webhook asked as A", rows, nil)

	if _, err := s.Stats(c, store.StatsQuery{AccountID: "A", From: minute, To: minute, Step: time.Second}); err == nil {
		t.Fatal("a step under a minute was accepted")
	}
}

func checkStats(t *testing.T, what string, got, want []store.StatsRow) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d rows %+v, want %d %+v", what, len(got), got, len(want), want)
	}
	for i := range want {
		if g, w := got[i], want[i]; !g.Start.Equal(w.Start) || g.WebhookID != w.WebhookID || g.Succeeded != w.Succeeded ||
			g.Failed != w.Failed || g.Retried != w.Retried || g.Skipped != w.Skipped || g.Latency != w.Latency {
			t.Fatalf("%s: row %d = %+v, want %+v", what, i, g, w)
		}
	}
}

// testBacklog: the pending deliveries of one account, per webhook, with the
// creation time of the oldest.
func testBacklog(t *testing.T, s store.Store) {
	c := ctx(t)
	newAccount(t, s, "A")
	newAccount(t, s, "B")
	w1 := newWebhook(t, s, "A")
	w2 := newWebhook(t, s, "A")
	wb := newWebhook(t, s, "B")
	got, err := s.Backlog(c, "A")
	must(t, err)
	if len(got) != 0 {
		t.Fatalf("empty store: backlog %+v", got)
	}
	a := insert(t, s, newEvent("A", time.Minute), t0, w1, w2)
	insert(t, s, newEvent("A", 2*time.Minute), t0, w1)
	insert(t, s, newEvent("B", 0), t0, wb)
	finish(t, s, a[1], store.DeliverySucceeded) // w2 has none left
	got, err = s.Backlog(c, "A")
	must(t, err)
	if len(got) != 1 || got[0].WebhookID != w1.ID || got[0].Pending != 2 || !got[0].Oldest.Equal(t0.Add(time.Minute)) {
		t.Fatalf("backlog of A = %+v, want webhook %d: 2 pending, oldest %v", got, w1.ID, t0.Add(time.Minute))
	}
}

// testPruneStats: Prune deletes the rollups of minutes before StatsBefore, a
// batch at a time, and no others.
func testPruneStats(t *testing.T, s store.Store) {
	c := ctx(t)
	newAccount(t, s, "A")
	w := newWebhook(t, s, "A")
	minute := t0.Truncate(time.Minute)
	var batch []store.AttemptResult
	for i := range 3 {
		id := insert(t, s, newEvent("A", time.Duration(i)*time.Millisecond), t0, w)[0]
		batch = append(batch, store.AttemptResult{Owner: "r1", State: store.DeliverySucceeded, Success: true,
			Attempt: store.Attempt{DeliveryID: id, N: 1, At: minute.Add(time.Duration(i) * time.Minute), Status: 200}})
	}
	claim(t, s, "r1", t0, 10)
	for _, err := range s.FinishAttempts(c, batch) {
		must(t, err)
	}
	r, err := s.Prune(c, store.PruneBatch{StatsBefore: minute.Add(2 * time.Minute), Limit: 1})
	must(t, err)
	if r.Stats != 1 || !r.Full {
		t.Fatalf("first batch of 1: %+v", r)
	}
	r, err = s.Prune(c, store.PruneBatch{StatsBefore: minute.Add(2 * time.Minute), Limit: 10})
	must(t, err)
	if r.Stats != 1 || r.Full {
		t.Fatalf("second batch: %+v", r)
	}
	rows, err := s.Stats(c, store.StatsQuery{AccountID: "A", From: minute, To: minute.Add(time.Hour), Step: time.Minute})
	must(t, err)
	checkStats(t, "after pruning", rows, []store.StatsRow{{WebhookID: w.ID, Start: minute.Add(2 * time.Minute), Succeeded: 1, Latency: [store.LatencyBuckets]int64{1}}})
}
