package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"testing"

	"github.com/hookcast/hookcast/internal/store"
)

var errBoom = errors.New("boom")

// testInTxRollback: when fn fails, nothing it wrote is kept and its error comes back.
func testInTxRollback(t *testing.T, s store.Store) {
	c := ctx(t)
	newAccount(t, s, "A")
	w := newWebhook(t, s, "A")
	ev := newEvent("A", 0)
	err := s.InTx(c, func(tx store.Tx) error {
		if err := tx.SaveStreams(c, []store.StreamRow{{Key: store.StreamKey{AccountID: "A", Name: "cam1"}, State: []byte("x"), DueAt: 5}}); err != nil {
			return err
		}
		if _, err := insertOne(c, tx, ev, []store.Delivery{{WebhookID: w.ID}}); err != nil {
			return err
		}
		return fmt.Errorf("engine: %w", errBoom)
	})
	wantErr(t, err, errBoom)
	streams, err := s.ListStreams(c, "A")
	must(t, err)
	if len(streams) != 0 {
		t.Fatalf("rolled-back stream kept: %+v", streams)
	}
	_, err = s.GetEvent(c, "A", ev.ID)
	wantErr(t, err, store.ErrNotFound)
	ds, err := s.ListDeliveries(c, store.DeliveryQuery{AccountID: "A"})
	must(t, err)
	if len(ds) != 0 {
		t.Fatalf("rolled-back deliveries kept: %d", len(ds))
	}
	if due, err := s.NextDue(c); err != nil || due != 0 {
		t.Fatalf("NextDue = %d, %v: want 0 after rollback", due, err)
	}
	// The store still works after a rollback, and the same event can now be inserted.
	insert(t, s, ev, t0, w)
}

func testStreams(t *testing.T, s store.Store) {
	c := ctx(t)
	k1 := store.StreamKey{AccountID: "A", Name: "cam1"}
	k2 := store.StreamKey{AccountID: "A", Name: "cam2"}
	kB := store.StreamKey{AccountID: "B", Name: "cam1"}
	must(t, s.InTx(c, func(tx store.Tx) error {
		got, err := tx.LockStreams(c, []store.StreamKey{k2, k1, k1})
		if err != nil {
			return err
		}
		if len(got) != 0 {
			return fmt.Errorf("LockStreams of absent keys = %v, want empty", got)
		}
		return tx.SaveStreams(c, []store.StreamRow{
			{Key: k1, State: []byte("one"), DueAt: 2000},
			{Key: k2, State: []byte{}, DueAt: 0},
			{Key: kB, State: []byte("bee"), DueAt: 1000},
		})
	}))
	must(t, s.InTx(c, func(tx store.Tx) error {
		got, err := tx.LockStreams(c, []store.StreamKey{k1, k2, {AccountID: "A", Name: "absent"}})
		if err != nil {
			return err
		}
		if len(got) != 2 || string(got[k1].State) != "one" || got[k1].DueAt != 2000 || got[k1].Key != k1 ||
			got[k2].State == nil || len(got[k2].State) != 0 {
			return fmt.Errorf("LockStreams = %+v", got)
		}
		return tx.SaveStreams(c, []store.StreamRow{{Key: k1, State: []byte("one+"), DueAt: 3000}})
	}))
	list, err := s.ListStreams(c, "A")
	must(t, err)
	if len(list) != 2 || list[0].Key != k1 || string(list[0].State) != "one+" || list[0].DueAt != 3000 || list[1].Key != k2 {
		t.Fatalf("ListStreams(A) = %+v", list)
	}
	due, err := s.NextDue(c)
	must(t, err)
	if due != 1000 {
		t.Fatalf("NextDue = %d, want 1000 (B's timer)", due)
	}
	// A nil State deletes.
	must(t, s.InTx(c, func(tx store.Tx) error {
		if err := tx.SaveStreams(c, []store.StreamRow{{Key: kB}}); err != nil {
			return err
		}
		return tx.SaveStreams(c, []store.StreamRow{{Key: k2}}) // deleting twice is fine
	}))
	must(t, s.InTx(c, func(tx store.Tx) error { return tx.SaveStreams(c, []store.StreamRow{{Key: k2}}) }))
	if list, err := s.ListStreams(c, "B"); err != nil || len(list) != 0 {
		t.Fatalf("ListStreams(B) after delete = %+v, %v", list, err)
	}
	if due, err := s.NextDue(c); err != nil || due != 3000 {
		t.Fatalf("NextDue = %d, %v, want 3000", due, err)
	}
}

func testDueStreams(t *testing.T, s store.Store) {
	c := ctx(t)
	rows := []store.StreamRow{
		{Key: store.StreamKey{AccountID: "A", Name: "late"}, State: []byte("1"), DueAt: 300},
		{Key: store.StreamKey{AccountID: "A", Name: "early"}, State: []byte("2"), DueAt: 100},
		{Key: store.StreamKey{AccountID: "B", Name: "mid"}, State: []byte("3"), DueAt: 200},
		{Key: store.StreamKey{AccountID: "B", Name: "future"}, State: []byte("4"), DueAt: 900},
		{Key: store.StreamKey{AccountID: "B", Name: "none"}, State: []byte("5"), DueAt: 0},
	}
	must(t, s.InTx(c, func(tx store.Tx) error { return tx.SaveStreams(c, rows) }))
	tests := []struct {
		now   int64
		limit int
		want  []string
	}{
		{99, 10, nil},
		{100, 10, []string{"early"}},
		{300, 10, []string{"early", "mid", "late"}},
		{300, 2, []string{"early", "mid"}},
		{1 << 50, 0, []string{"early", "mid", "late", "future"}},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("now=%d,limit=%d", tc.now, tc.limit), func(t *testing.T) {
			var names []string
			must(t, s.InTx(ctx(t), func(tx store.Tx) error {
				due, err := tx.DueStreams(ctx(t), tc.now, tc.limit)
				for _, r := range due {
					names = append(names, r.Key.Name)
				}
				return err
			}))
			if !slices.Equal(names, tc.want) {
				t.Fatalf("DueStreams = %v, want %v", names, tc.want)
			}
		})
	}
}

func testWebhooksFor(t *testing.T, s store.Store) {
	newAccount(t, s, "A")
	newAccount(t, s, "B")
	feeds := newWebhook(t, s, "A", func(w *store.Webhook) {
		*w = store.Webhook{AccountID: "A", URL: w.URL, IsFeedHooks: true}
	})
	media := newWebhook(t, s, "A", func(w *store.Webhook) {
		*w = store.Webhook{AccountID: "A", URL: w.URL, IsMediaHooks: true, IsRecordingHooks: true, Disabled: true}
	})
	all := newWebhook(t, s, "A")
	ops := newWebhook(t, s, "A", func(w *store.Webhook) {
		*w = store.Webhook{AccountID: "A", URL: w.URL, IsOperationalHooks: true}
	})
	newWebhook(t, s, "B", func(w *store.Webhook) { w.IsOperationalHooks = true }) // B's never shows up for A
	tests := []struct {
		typ  string
		want []int64
	}{
		{"feeds", []int64{feeds.ID, all.ID}},
		{"media", []int64{media.ID, all.ID}}, // disabled ones included
		{"recordings", []int64{media.ID, all.ID}},
		{"viewerConnection", []int64{all.ID}},
		{"transcoder", []int64{all.ID}},
		{"thumbnail", []int64{all.ID}},
		{"operational", []int64{ops.ID}},
	}
	for _, tc := range tests {
		t.Run(tc.typ, func(t *testing.T) {
			var got []store.Webhook
			must(t, s.InTx(ctx(t), func(tx store.Tx) error {
				var err error
				got, err = tx.WebhooksFor(ctx(t), "A", tc.typ)
				return err
			}))
			if !slices.Equal(webhookIDs(got), tc.want) {
				t.Fatalf("WebhooksFor(%s) = %v, want %v", tc.typ, webhookIDs(got), tc.want)
			}
		})
	}
	err := s.InTx(ctx(t), func(tx store.Tx) error {
		_, err := tx.WebhooksFor(ctx(t), "A", "Feeds; DROP TABLE webhooks")
		return err
	})
	if err == nil {
		t.Fatal("WebhooksFor accepted an unknown type")
	}
}

// testInTxCounter proves LockStreams serializes: goroutines released together
// each add one to a counter kept in one stream's state, the first of them
// creating the row. A lost update or a double creation leaves the counter short.
// Several rounds, each on a new stream, because creation is the narrow race.
func testInTxCounter(t *testing.T, s store.Store) {
	const rounds, n = 4, 24
	for round := range rounds {
		key := store.StreamKey{AccountID: "A", Name: fmt.Sprintf("counter%d", round)}
		gate := make(chan struct{})
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for range n {
			wg.Go(func() {
				<-gate
				errs <- s.InTx(ctx(t), func(tx store.Tx) error { return increment(ctx(t), tx, key) })
			})
		}
		close(gate)
		wg.Wait()
		close(errs)
		for err := range errs {
			must(t, err)
		}
	}
	list, err := s.ListStreams(ctx(t), "A")
	must(t, err)
	if len(list) != rounds {
		t.Fatalf("%d counters, want %d", len(list), rounds)
	}
	for _, r := range list {
		if string(r.State) != strconv.Itoa(n) {
			t.Fatalf("%s = %s, want %d", r.Key.Name, r.State, n)
		}
	}
}

func increment(c context.Context, tx store.Tx, key store.StreamKey) error {
	rows, err := tx.LockStreams(c, []store.StreamKey{key})
	if err != nil {
		return err
	}
	v := 0
	if r, ok := rows[key]; ok {
		if v, err = strconv.Atoi(string(r.State)); err != nil {
			return err
		}
	}
	return tx.SaveStreams(c, []store.StreamRow{{Key: key, State: []byte(strconv.Itoa(v + 1))}})
}

// testSaveStreamsMany: SaveStreams writes and deletes more rows than one statement
// takes, and LockStreams reads them all back.
func testSaveStreamsMany(t *testing.T, s store.Store) {
	c := ctx(t)
	const n = 601
	keys := make([]store.StreamKey, n)
	rows := make([]store.StreamRow, n)
	for i := range n {
		keys[i] = store.StreamKey{AccountID: "A", Name: "s" + strconv.Itoa(i)}
		rows[i] = store.StreamRow{Key: keys[i], State: []byte(strconv.Itoa(i)), DueAt: int64(i)}
	}
	must(t, s.InTx(c, func(tx store.Tx) error { return tx.SaveStreams(c, rows) }))
	// Update the even ones, delete the odd ones, in one call.
	for i := range rows {
		if i%2 == 0 {
			rows[i].State = []byte("new" + strconv.Itoa(i))
		} else {
			rows[i].State = nil
		}
	}
	must(t, s.InTx(c, func(tx store.Tx) error { return tx.SaveStreams(c, rows) }))
	must(t, s.InTx(c, func(tx store.Tx) error {
		got, err := tx.LockStreams(c, keys)
		if err != nil {
			return err
		}
		if len(got) != (n+1)/2 {
			t.Fatalf("LockStreams found %d rows, want %d", len(got), (n+1)/2)
		}
		for i, k := range keys {
			r, ok := got[k]
			if ok != (i%2 == 0) {
				t.Fatalf("row %d present = %v", i, ok)
			}
			if ok && (string(r.State) != "new"+strconv.Itoa(i) || r.DueAt != int64(i)) {
				t.Fatalf("row %d = %q due %d", i, r.State, r.DueAt)
			}
		}
		return nil
	}))
	// The even ones again with SameDue: their states change, their due times stay.
	var same []store.StreamRow
	for i := 0; i < n; i += 2 {
		same = append(same, store.StreamRow{Key: keys[i], State: []byte("same" + strconv.Itoa(i)), DueAt: int64(i), SameDue: true})
	}
	must(t, s.InTx(c, func(tx store.Tx) error { return tx.SaveStreams(c, same) }))
	must(t, s.InTx(c, func(tx store.Tx) error {
		got, err := tx.LockStreams(c, keys)
		if err != nil {
			return err
		}
		for i := 0; i < n; i += 2 {
			if r := got[keys[i]]; string(r.State) != "same"+strconv.Itoa(i) || r.DueAt != int64(i) {
				t.Fatalf("row %d after SameDue = %q due %d", i, r.State, r.DueAt)
			}
		}
		due, err := tx.DueStreams(c, 10, 100)
		if err != nil || len(due) != 5 { // 2, 4, 6, 8, 10 (0 is none)
			t.Fatalf("DueStreams after SameDue: %d rows, %v", len(due), err)
		}
		return nil
	}))
}

// webhooksFor is tx.WebhooksFor in a transaction of its own.
func webhooksFor(t testing.TB, s store.Store, account, typ string) []store.Webhook {
	t.Helper()
	var got []store.Webhook
	must(t, s.InTx(ctx(t), func(tx store.Tx) error {
		var err error
		got, err = tx.WebhooksFor(ctx(t), account, typ)
		return err
	}))
	return got
}

// testWebhooksForSeesChanges: the signal path's webhooks (which a store may keep
// in memory between transactions) follow every create, update and delete, and
// an account that does not exist has none.
func testWebhooksForSeesChanges(t *testing.T, s store.Store) {
	c := ctx(t)
	if got := webhooksFor(t, s, "nobody", "feeds"); len(got) != 0 {
		t.Fatalf("WebhooksFor of an absent account = %v", webhookIDs(got))
	}
	newAccount(t, s, "A")
	w1 := newWebhook(t, s, "A")
	check := func(step string, want ...store.Webhook) {
		t.Helper()
		got := webhooksFor(t, s, "A", "feeds")
		if len(got) != len(want) {
			t.Fatalf("%s: WebhooksFor = %v, want %v", step, webhookIDs(got), webhookIDs(want))
		}
		for i := range want {
			if got[i].ID != want[i].ID || got[i].URL != want[i].URL || got[i].Secret != want[i].Secret ||
				got[i].Disabled != want[i].Disabled || got[i].Filter != want[i].Filter {
				t.Fatalf("%s: WebhooksFor[%d] = %+v, want %+v", step, i, got[i], want[i])
			}
		}
	}
	check("created", w1)
	check("read again", w1)
	w1.URL, w1.Secret, w1.Filter = "http://127.0.0.1:9/moved", "bmV3IHNlY3JldA==", "^cam"
	must(t, s.UpdateWebhook(c, &w1))
	check("url, secret and filter changed", w1)
	w1.Disabled = true
	must(t, s.UpdateWebhook(c, &w1))
	check("disabled", w1)
	w1.IsFeedHooks = false
	must(t, s.UpdateWebhook(c, &w1))
	check("feeds off")
	w1.IsFeedHooks = true
	must(t, s.UpdateWebhook(c, &w1))
	w2 := newWebhook(t, s, "A")
	check("second created", w1, w2)
	must(t, s.DeleteWebhook(c, "A", w1.ID))
	check("first deleted", w2)
	newAccount(t, s, "B")
	newWebhook(t, s, "B")
	check("another account's created", w2)
}
