package storetest

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/hookcast/hookcast/internal/store"
)

// testFinishOneAttempt: one result at a time through FinishAttempts, the lease
// it needs, and what the delivery and its attempts read back as.
func testFinishOneAttempt(t *testing.T, s store.Store) {
	c := ctx(t)
	newAccount(t, s, "A")
	w := newWebhook(t, s, "A")
	id := insert(t, s, newEvent("A", 0), t0, w)[0]
	claim(t, s, "r1", t0, 10)

	// A failed attempt, retried later.
	retryAt := t0.Add(10 * time.Second)
	first := store.Attempt{DeliveryID: id, N: 1, At: t0.Add(time.Second), Status: 503, Latency: 1500 * time.Microsecond,
		Error: "HTTP 503", Response: []byte("busy")}
	wantErr(t, finishOne(c, s, store.AttemptResult{Owner: "r2", Attempt: first, State: store.DeliveryPending}), store.ErrNotFound)
	must(t, finishOne(c, s, store.AttemptResult{Owner: "r1", Attempt: first, State: store.DeliveryPending, NextAttemptAt: retryAt}))
	wantErr(t, finishOne(c, s, store.AttemptResult{Owner: "r1", Attempt: first, State: store.DeliveryPending}), store.ErrNotFound)
	d, attempts, err := s.GetDelivery(c, "A", id)
	must(t, err)
	if d.State != store.DeliveryPending || d.Attempts != 1 || !d.NextAttemptAt.Equal(retryAt) || d.LastStatus != 503 ||
		d.LastError != "HTTP 503" || !d.UpdatedAt.Equal(first.At) {
		t.Fatalf("after a failed attempt: %+v", d)
	}
	if len(attempts) != 1 || attempts[0].N != 1 || !attempts[0].At.Equal(first.At) || attempts[0].Status != 503 ||
		attempts[0].Latency != first.Latency || attempts[0].Error != first.Error || !bytes.Equal(attempts[0].Response, first.Response) ||
		attempts[0].DeliveryID != id {
		t.Fatalf("attempts = %+v, want %+v", attempts, first)
	}

	// Not due before retryAt; then a second owner succeeds.
	if got := claim(t, s, "r2", retryAt.Add(-time.Millisecond), 10); len(got) != 0 {
		t.Fatalf("claimed %v before its retry time", claimIDs(got))
	}
	if got := claim(t, s, "r2", retryAt, 10); !slices.Equal(claimIDs(got), []int64{id}) {
		t.Fatalf("retry claim = %v", claimIDs(got))
	}
	second := store.Attempt{DeliveryID: id, N: 2, At: retryAt.Add(time.Second), Status: 204, Latency: time.Millisecond}
	must(t, finishOne(c, s, store.AttemptResult{Owner: "r2", Attempt: second, State: store.DeliverySucceeded, Success: true}))
	d, attempts, err = s.GetDelivery(c, "A", id)
	must(t, err)
	if d.State != store.DeliverySucceeded || d.Attempts != 2 || d.LastStatus != 204 || d.LastError != "" {
		t.Fatalf("after success: %+v", d)
	}
	if len(attempts) != 2 || attempts[0].N != 1 || attempts[1].N != 2 || attempts[1].Response != nil && len(attempts[1].Response) != 0 {
		t.Fatalf("attempts after success = %+v", attempts)
	}

	// Resent, then skipped (N = 0), then resent and sent again: every attempt
	// stays in the log, in order, with all it recorded.
	resend := func(at time.Time) {
		t.Helper()
		got, err := s.Resend(c, "A", []int64{id}, store.DeliveryQuery{}, at)
		must(t, err)
		if !slices.Equal(got, []int64{id}) {
			t.Fatalf("resent %v, want [%d]", got, id)
		}
		claim(t, s, "r3", at, 10, id)
	}
	resend(t0.Add(time.Minute))
	must(t, finishOne(c, s, store.AttemptResult{Owner: "r3", State: store.DeliverySkipped,
		Attempt: store.Attempt{DeliveryID: id, At: t0.Add(time.Minute)}}))
	resend(t0.Add(2 * time.Minute))
	third := store.Attempt{DeliveryID: id, N: 3, At: t0.Add(2*time.Minute + time.Second), Status: 200,
		Latency: 2 * time.Millisecond, Response: []byte("ok")}
	must(t, finishOne(c, s, store.AttemptResult{Owner: "r3", Attempt: third, State: store.DeliverySucceeded, Success: true}))
	d, attempts, err = s.GetDelivery(c, "A", id)
	must(t, err)
	if d.State != store.DeliverySucceeded || d.Attempts != 3 || d.LastStatus != 200 {
		t.Fatalf("after resends: %+v", d)
	}
	for i, want := range []store.Attempt{first, second, third} {
		if i >= len(attempts) || attempts[i].N != want.N || !attempts[i].At.Equal(want.At) || attempts[i].Status != want.Status ||
			attempts[i].Latency != want.Latency || attempts[i].Error != want.Error || !bytes.Equal(attempts[i].Response, want.Response) {
			t.Fatalf("attempts after resends = %+v, want %+v", attempts, []store.Attempt{first, second, third})
		}
	}
	if len(attempts) != 3 {
		t.Fatalf("%d attempts after resends, want 3", len(attempts))
	}

	// N = 0: the state changes, no attempt is recorded.
	skip := insert(t, s, newEvent("A", 0), t0, w)[0]
	claim(t, s, "r1", t0, 10, skip)
	must(t, finishOne(c, s, store.AttemptResult{Owner: "r1", State: store.DeliverySkipped,
		Attempt: store.Attempt{DeliveryID: skip, Error: "webhook disabled"}}))
	d, attempts, err = s.GetDelivery(c, "A", skip)
	must(t, err)
	if d.State != store.DeliverySkipped || d.Attempts != 0 || len(attempts) != 0 || d.LastError != "webhook disabled" {
		t.Fatalf("skipped: %+v with %d attempts", d, len(attempts))
	}
	if err := finishOne(c, s, store.AttemptResult{Owner: "r1", State: "bogus", Attempt: store.Attempt{DeliveryID: skip}}); err == nil {
		t.Fatal("FinishAttempts accepted an unknown state")
	}
}

// testFinishWebhookBookkeeping: failures count up, a success resets them, and
// Disable disables; a skip (N = 0) leaves the counter alone.
func testFinishWebhookBookkeeping(t *testing.T, s store.Store) {
	c := ctx(t)
	newAccount(t, s, "A")
	w := newWebhook(t, s, "A")
	steps := []struct {
		name         string
		n            int
		success      bool
		throttled    bool
		disable      bool
		wantFailures int
		wantDisabled bool
	}{
		{"failure", 1, false, false, false, 1, false},
		{"failure", 1, false, false, false, 2, false},
		{"skip", 0, false, false, false, 2, false},
		{"throttled (429 with Retry-After)", 1, false, true, false, 2, false},
		{"success", 1, true, false, false, 0, false},
		{"throttled after a success", 1, false, true, false, 0, false},
		{"failure", 1, false, false, false, 1, false},
		{"failure and disable", 1, false, false, true, 2, true},
	}
	for i, st := range steps {
		id := insert(t, s, newEvent("A", 0), t0, w)[0]
		if got := claim(t, s, "r1", t0, 10, id); len(got) != 1 {
			t.Fatalf("step %d: claim got %d", i, len(got))
		}
		state := store.DeliveryFailed
		switch {
		case st.success:
			state = store.DeliverySucceeded
		case st.throttled:
			state = store.DeliveryPending
		}
		must(t, finishOne(c, s, store.AttemptResult{Owner: "r1", State: state, Success: st.success, Throttled: st.throttled,
			NextAttemptAt: t0.Add(time.Minute),
			Attempt:       store.Attempt{DeliveryID: id, N: st.n, At: t0},
			Disable:       st.disable, DisableUntil: t0.Add(time.Hour), DisableReason: "too many failures"}))
		got, err := s.GetWebhook(c, "A", w.ID)
		must(t, err)
		if got.ConsecutiveFailures != st.wantFailures || got.Disabled != st.wantDisabled {
			t.Fatalf("step %d (%s): failures %d disabled %v, want %d %v", i, st.name,
				got.ConsecutiveFailures, got.Disabled, st.wantFailures, st.wantDisabled)
		}
		if st.disable && (!got.DisabledUntil.Equal(t0.Add(time.Hour)) || got.DisabledReason != "too many failures") {
			t.Fatalf("disabled webhook = %+v", got)
		}
		// The signal path's copy (WebhooksFor, cached) follows the row.
		if hs := webhooksFor(t, s, "A", "feeds"); len(hs) != 1 || hs[0].ConsecutiveFailures != st.wantFailures ||
			hs[0].Disabled != st.wantDisabled {
			t.Fatalf("step %d (%s): WebhooksFor = %+v, want failures %d disabled %v", i, st.name, hs,
				st.wantFailures, st.wantDisabled)
		}
	}
}

func testListDeliveries(t *testing.T, s store.Store) {
	newAccount(t, s, "A")
	newAccount(t, s, "B")
	w1, w2, wB := newWebhook(t, s, "A"), newWebhook(t, s, "A"), newWebhook(t, s, "B")
	first := insert(t, s, newEvent("A", 0), t0, w1, w2)
	media := newEvent("A", time.Minute)
	media.Type = "media"
	second := insert(t, s, media, t0, w1)
	insert(t, s, newEvent("B", 0), t0, wB)
	claim(t, s, "r1", t0, 10, first[1])
	must(t, finishOne(ctx(t), s, store.AttemptResult{Owner: "r1", State: store.DeliveryFailed,
		Attempt: store.Attempt{DeliveryID: first[1], N: 1, At: t0, Status: 500}}))

	tests := []struct {
		name string
		q    store.DeliveryQuery
		want []int64
	}{
		{"account, newest first", store.DeliveryQuery{AccountID: "A"}, []int64{second[0], first[1], first[0]}},
		{"webhook", store.DeliveryQuery{AccountID: "A", WebhookID: w1.ID}, []int64{second[0], first[0]}},
		{"event type", store.DeliveryQuery{AccountID: "A", EventType: "media"}, []int64{second[0]}},
		{"state", store.DeliveryQuery{AccountID: "A", State: store.DeliveryFailed}, []int64{first[1]}},
		{"since", store.DeliveryQuery{AccountID: "A", Since: t0.Add(time.Second)}, []int64{second[0]}},
		{"page 1", store.DeliveryQuery{AccountID: "A", Limit: 2}, []int64{second[0], first[1]}},
		{"page 2", store.DeliveryQuery{AccountID: "A", Limit: 2, BeforeID: first[1]}, []int64{first[0]}},
		{"another account's webhook", store.DeliveryQuery{AccountID: "A", WebhookID: wB.ID}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.ListDeliveries(ctx(t), tc.q)
			must(t, err)
			if !slices.Equal(deliveryIDs(got), tc.want) {
				t.Fatalf("ListDeliveries(%+v) = %v, want %v", tc.q, deliveryIDs(got), tc.want)
			}
		})
	}
}

// finish claims id (and gives back whatever else was due) and ends it in state.
func finish(t testing.TB, s store.Store, id int64, state store.DeliveryState) {
	t.Helper()
	var others []int64
	for _, cd := range claim(t, s, "fin", t0, 0, id) {
		if cd.Delivery.ID != id {
			others = append(others, cd.Delivery.ID)
		}
	}
	must(t, s.ReleaseDeliveries(ctx(t), "fin", others))
	must(t, finishOne(ctx(t), s, store.AttemptResult{Owner: "fin", State: state, Success: state == store.DeliverySucceeded,
		Attempt: store.Attempt{DeliveryID: id, N: 1, At: t0}}))
}

func testResendIDs(t *testing.T, s store.Store) {
	c := ctx(t)
	newAccount(t, s, "A")
	newAccount(t, s, "B")
	w, gone, wB := newWebhook(t, s, "A"), newWebhook(t, s, "A"), newWebhook(t, s, "B")
	ids := insert(t, s, newEvent("A", 0), t0, w, w, w, gone)
	failed, succeeded, idle, orphan := ids[0], ids[1], ids[2], ids[3]
	other := insert(t, s, newEvent("B", 0), t0, wB)[0]
	finish(t, s, failed, store.DeliveryFailed)
	finish(t, s, succeeded, store.DeliverySucceeded)
	finish(t, s, orphan, store.DeliveryFailed)
	must(t, s.DeleteWebhook(c, "A", gone.ID))
	var leased int64
	must(t, s.InTx(c, func(tx store.Tx) error { // being sent right now
		got, err := insertOne(c, tx, newEvent("A", 0), []store.Delivery{{WebhookID: w.ID, NextAttemptAt: t0,
			LeaseOwner: "busy", LeaseUntil: t0.Add(2 * time.Hour)}})
		if err == nil {
			leased = got[0]
		}
		return err
	}))

	now := t0.Add(time.Hour)
	got, err := s.Resend(c, "A", []int64{succeeded, leased, other, orphan, failed, idle, 99999}, store.DeliveryQuery{}, now)
	must(t, err)
	if want := []int64{failed, succeeded, idle}; !slices.Equal(got, want) {
		t.Fatalf("Resend = %v, want %v (not the leased, the orphan, B's or an unknown id)", got, want)
	}
	for _, id := range got {
		d, _, err := s.GetDelivery(c, "A", id)
		must(t, err)
		if d.State != store.DeliveryPending || !d.NextAttemptAt.Equal(now) || d.Attempts == 0 && id != idle {
			t.Fatalf("resent %d = %+v, want pending due %v, attempts kept", id, d, now)
		}
	}
	if d, _, _ := s.GetDelivery(c, "B", other); d.State != store.DeliveryPending || !d.NextAttemptAt.Equal(t0) {
		t.Fatalf("A's resend touched B's delivery: %+v", d)
	}
	if got := claim(t, s, "r2", now, 10); !slices.Equal(claimIDs(got), []int64{other, failed, succeeded, idle}) {
		t.Fatalf("claim after resend = %v", claimIDs(got))
	}
}

func testResendSince(t *testing.T, s store.Store) {
	c := ctx(t)
	newAccount(t, s, "A")
	w := newWebhook(t, s, "A")
	old := insert(t, s, newEvent("A", 0), t0, w, w)
	recent := insert(t, s, newEvent("A", time.Hour), t0, w, w, w)
	finish(t, s, old[0], store.DeliveryFailed)
	finish(t, s, recent[0], store.DeliveryFailed)
	finish(t, s, recent[1], store.DeliverySucceeded)
	must(t, s.InTx(c, func(tx store.Tx) error {
		_, err := insertOne(c, tx, newEvent("A", 2*time.Hour), []store.Delivery{{WebhookID: w.ID, State: store.DeliverySkipped}})
		return err
	}))
	skipped, err := s.ListDeliveries(c, store.DeliveryQuery{AccountID: "A", State: store.DeliverySkipped})
	must(t, err)

	got, err := s.Resend(c, "A", nil, store.DeliveryQuery{AccountID: "ignored", Since: t0.Add(time.Minute)}, t0.Add(3*time.Hour))
	must(t, err)
	if want := []int64{recent[0], skipped[0].ID}; !slices.Equal(got, want) {
		t.Fatalf("Resend since = %v, want %v (failed and skipped since, not succeeded, pending or older)", got, want)
	}
	got, err = s.Resend(c, "A", nil, store.DeliveryQuery{}, t0.Add(3*time.Hour))
	must(t, err)
	if want := []int64{old[0]}; !slices.Equal(got, want) {
		t.Fatalf("Resend of everything left = %v, want %v", got, want)
	}
}

// testResendRange: since and until make a window (until exclusive), and with
// a webhook only its deliveries in that window are resent; ListDeliveries
// filters the same way.
func testResendRange(t *testing.T, s store.Store) {
	c := ctx(t)
	newAccount(t, s, "A")
	w, other := newWebhook(t, s, "A"), newWebhook(t, s, "A")
	var ids, others []int64 // one failed delivery of each webhook per hour, t0 to t0+4h
	for h := range 5 {
		d := insert(t, s, newEvent("A", time.Duration(h)*time.Hour), t0, w, other)
		finish(t, s, d[0], store.DeliveryFailed)
		finish(t, s, d[1], store.DeliveryFailed)
		ids, others = append(ids, d[0]), append(others, d[1])
	}
	q := store.DeliveryQuery{AccountID: "A", WebhookID: w.ID, Since: t0.Add(time.Hour), Until: t0.Add(3 * time.Hour)}
	listed, err := s.ListDeliveries(c, q)
	must(t, err)
	if got, want := deliveryIDs(listed), []int64{ids[2], ids[1]}; !slices.Equal(got, want) {
		t.Fatalf("ListDeliveries in [1h, 3h) = %v, want %v (newest first)", got, want)
	}
	got, err := s.Resend(c, "A", nil, q, t0.Add(5*time.Hour))
	must(t, err)
	if want := []int64{ids[1], ids[2]}; !slices.Equal(got, want) {
		t.Fatalf("Resend in [1h, 3h) = %v, want %v", got, want)
	}
	// Until alone: everything of the account before it, both webhooks.
	got, err = s.Resend(c, "A", nil, store.DeliveryQuery{Until: t0.Add(time.Hour)}, t0.Add(5*time.Hour))
	must(t, err)
	if want := []int64{ids[0], others[0]}; !slices.Equal(got, want) {
		t.Fatalf("Resend until 1h = %v, want %v", got, want)
	}
}

func testCountDeliveries(t *testing.T, s store.Store) {
	c := ctx(t)
	counts, oldest, err := s.CountDeliveries(c)
	must(t, err)
	if counts[store.DeliveryPending] != 0 || !oldest.IsZero() {
		t.Fatalf("empty store: %v, oldest %v", counts, oldest)
	}
	newAccount(t, s, "A")
	w := newWebhook(t, s, "A")
	a := insert(t, s, newEvent("A", time.Minute), t0, w, w, w)
	insert(t, s, newEvent("A", 2*time.Minute), t0, w)
	finish(t, s, a[0], store.DeliverySucceeded)
	finish(t, s, a[1], store.DeliveryFailed)
	counts, oldest, err = s.CountDeliveries(c)
	must(t, err)
	want := map[store.DeliveryState]int64{store.DeliveryPending: 2, store.DeliverySucceeded: 1, store.DeliveryFailed: 1, store.DeliverySkipped: 0}
	for state, n := range want {
		if counts[state] != n {
			t.Fatalf("counts = %v, want %v", counts, want)
		}
	}
	if !oldest.Equal(t0.Add(time.Minute)) {
		t.Fatalf("oldest pending = %v, want %v", oldest, t0.Add(time.Minute))
	}
	// The counts follow every way a delivery changes state or goes: a resend,
	// a deleted webhook, retention; they always equal the rows.
	matchRows := func(when string) {
		t.Helper()
		counts, _, err := s.CountDeliveries(c)
		must(t, err)
		ds, err := s.ListDeliveries(c, store.DeliveryQuery{})
		must(t, err)
		rows := map[store.DeliveryState]int64{}
		for _, d := range ds {
			rows[d.State]++
		}
		for _, st := range []store.DeliveryState{store.DeliveryPending, store.DeliverySucceeded, store.DeliveryFailed, store.DeliverySkipped} {
			if counts[st] != rows[st] {
				t.Fatalf("%s: counts %v, rows %v", when, counts, rows)
			}
		}
	}
	_, err = s.Resend(c, "A", []int64{a[1]}, store.DeliveryQuery{}, t0.Add(time.Hour))
	must(t, err)
	matchRows("after a resend")
	w2 := newWebhook(t, s, "A")
	insert(t, s, newEvent("A", 3*time.Minute), t0, w2, w2)
	must(t, s.DeleteWebhook(c, "A", w2.ID))
	matchRows("after a webhook was deleted")
	_, err = s.Prune(c, store.PruneBatch{Before: t0.Add(24 * time.Hour)})
	must(t, err)
	matchRows("after pruning")
}

// testFinishAttempts: a batch records every result it holds the lease of; a lost
// lease in the batch is ErrNotFound for that one only.
func testFinishAttempts(t *testing.T, s store.Store) {
	c := ctx(t)
	newAccount(t, s, "A")
	w := newWebhook(t, s, "A")
	var ids []int64
	for i := range 3 {
		ids = append(ids, insert(t, s, newEvent("A", time.Duration(i)*time.Millisecond), t0, w)[0])
	}
	claim(t, s, "r1", t0, 10)
	res := func(id int64, owner string) store.AttemptResult {
		return store.AttemptResult{Owner: owner, Success: true, State: store.DeliverySucceeded,
			Attempt: store.Attempt{DeliveryID: id, N: 1, At: t0.Add(time.Second), Status: 200}}
	}
	errs := s.FinishAttempts(c, []store.AttemptResult{res(ids[0], "r1"), res(ids[1], "someone-else"), res(ids[2], "r1")})
	if len(errs) != 3 || errs[0] != nil || !errors.Is(errs[1], store.ErrNotFound) || errs[2] != nil {
		t.Fatalf("FinishAttempts errors = %v", errs)
	}
	for i, id := range ids {
		d, attempts, err := s.GetDelivery(c, "A", id)
		must(t, err)
		want := store.DeliverySucceeded
		if i == 1 {
			want = store.DeliveryPending
		}
		if d.State != want || (i != 1) != (len(attempts) == 1) {
			t.Fatalf("delivery %d: state %s, %d attempts", i, d.State, len(attempts))
		}
	}
}

// testResendMany: 50,000 failed deliveries are resent by ResendChunks, as the
// API does, in chunks of 2,000: every one is resent exactly once and none is
// left failed.
func testResendMany(t *testing.T, s store.Store) {
	const n = 50000
	// Its own deadline: under the race detector this is minutes of SQLite.
	c, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	newAccount(t, s, "A")
	w := newWebhook(t, s, "A", func(w *store.Webhook) { w.MaxConcurrency, w.MaxPerSecond = 2, 5 })
	for i := 0; i < n; i += 10000 { // a few events with many deliveries: the rows that matter are the deliveries
		ds := make([]store.Delivery, 10000)
		for k := range ds {
			ds[k] = store.Delivery{WebhookID: w.ID, State: store.DeliveryFailed}
		}
		must(t, s.InTx(c, func(tx store.Tx) error { _, err := insertOne(c, tx, newEvent("A", 0), ds); return err }))
	}
	ids, err := store.ResendChunks(c, s, "A", store.DeliveryQuery{}, t0.Add(time.Hour), 2000)
	must(t, err)
	if len(ids) != n || len(slices.Compact(slices.Clone(ids))) != n {
		t.Fatalf("resent %d (%d distinct), want %d", len(ids), len(slices.Compact(slices.Clone(ids))), n)
	}
	counts, _, err := s.CountDeliveries(c)
	must(t, err)
	if counts[store.DeliveryPending] != n || counts[store.DeliveryFailed] != 0 {
		t.Fatalf("counts %v; want all %d pending", counts, n)
	}
	// The claim that follows carries the webhook's limits to the dispatcher.
	got := claim(t, s, "r1", t0.Add(time.Hour), 1)
	if len(got) != 1 || got[0].Webhook.MaxConcurrency != 2 || got[0].Webhook.MaxPerSecond != 5 {
		t.Fatalf("claimed %+v, want the webhook's limits 2 and 5", got)
	}
}
