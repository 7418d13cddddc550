package storetest

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/hookcast/hookcast/internal/store"
)

// testInsertOneEvent: the defaults InsertEvents fills in for one event and its
// deliveries, what reads give back, and a conflicting id that leaves nothing.
func testInsertOneEvent(t *testing.T, s store.Store) {
	c := ctx(t)
	newAccount(t, s, "A")
	w1, w2 := newWebhook(t, s, "A"), newWebhook(t, s, "A", func(w *store.Webhook) { w.Disabled = true })
	ev := newEvent("A", 0)
	ev.ContentType, ev.Body = "image/jpeg", []byte{0xff, 0xd8, 0x00, 0xff}
	ev.Headers = map[string]string{"X-Millicast-Feed-Id": "f1", "Content-Disposition": `inline; filename="t.jpg"`}
	var ids []int64
	must(t, s.InTx(c, func(tx store.Tx) error {
		var err error
		ids, err = insertOne(c, tx, ev, []store.Delivery{
			{WebhookID: w1.ID, NextAttemptAt: t0},
			{WebhookID: w2.ID, State: store.DeliverySkipped, EventType: "feeds", EventName: "started", LastError: "webhook disabled"},
		})
		return err
	}))
	if len(ids) != 2 || ids[0] == 0 || ids[1] <= ids[0] {
		t.Fatalf("delivery ids %v: want two increasing", ids)
	}
	got, err := s.GetEvent(c, "A", ev.ID)
	must(t, err)
	if got.ID != ev.ID || got.AccountID != "A" || got.Type != ev.Type || got.Event != ev.Event ||
		got.StreamName != ev.StreamName || got.Timestamp != ev.Timestamp || got.ContentType != ev.ContentType ||
		!bytes.Equal(got.Body, ev.Body) || !maps.Equal(got.Headers, ev.Headers) || !got.CreatedAt.Equal(ev.CreatedAt) {
		t.Fatalf("GetEvent =\n%+v\nwant\n%+v", got, ev)
	}
	_, err = s.GetEvent(c, "B", ev.ID)
	wantErr(t, err, store.ErrNotFound)

	d, attempts, err := s.GetDelivery(c, "A", ids[0])
	must(t, err)
	want := store.Delivery{ID: ids[0], EventID: ev.ID, AccountID: "A", WebhookID: w1.ID, EventType: "feeds",
		EventName: "started", State: store.DeliveryPending, NextAttemptAt: t0, CreatedAt: t0, UpdatedAt: t0}
	if d != want || len(attempts) != 0 {
		t.Fatalf("GetDelivery =\n%+v (%d attempts)\nwant\n%+v", d, len(attempts), want)
	}
	d, _, err = s.GetDelivery(c, "A", ids[1])
	must(t, err)
	if d.State != store.DeliverySkipped || d.LastError != "webhook disabled" {
		t.Fatalf("skipped delivery = %+v", d)
	}
	_, _, err = s.GetDelivery(c, "B", ids[0])
	wantErr(t, err, store.ErrNotFound)

	// A second event with the same id is a conflict, and nothing of it is kept.
	dup := newEvent("A", time.Second)
	dup.ID = ev.ID
	err = s.InTx(c, func(tx store.Tx) error {
		_, err := insertOne(c, tx, dup, []store.Delivery{{WebhookID: w1.ID}})
		return err
	})
	wantErr(t, err, store.ErrConflict)
	all, err := s.ListDeliveries(c, store.DeliveryQuery{AccountID: "A"})
	must(t, err)
	if len(all) != 2 {
		t.Fatalf("%d deliveries after a conflicting insert, want 2", len(all))
	}

	// No deliveries, nil headers and body, zero CreatedAt: all allowed.
	bare := store.Event{ID: nextEventID(), AccountID: "A", Type: "media", Event: "deleted", ContentType: "application/json"}
	must(t, s.InTx(c, func(tx store.Tx) error {
		ids, err := insertOne(c, tx, bare, nil)
		if len(ids) != 0 {
			t.Errorf("ids for no deliveries: %v", ids)
		}
		return err
	}))
	got, err = s.GetEvent(c, "A", bare.ID)
	must(t, err)
	if got.CreatedAt.IsZero() || len(got.Headers) != 0 || len(got.Body) != 0 {
		t.Fatalf("bare event = %+v", got)
	}
}

// testInsertEvents inserts a group commit's worth of events, enough for every
// statement size the stores batch in, each with its own number of deliveries.
func testInsertEvents(t *testing.T, s store.Store) {
	c := ctx(t)
	newAccount(t, s, "A")
	ws := []store.Webhook{newWebhook(t, s, "A"), newWebhook(t, s, "A"), newWebhook(t, s, "A")}
	before := insert(t, s, newEvent("A", 0), t0, ws[0]) // ids go on from the table's
	var evs []store.NewEvent
	for i := range 157 {
		ev := newEvent("A", time.Duration(i)*time.Millisecond)
		ev.Body = fmt.Appendf(nil, `{"n":%d}`, i)
		var ds []store.Delivery
		for k := range i % 4 {
			ds = append(ds, store.Delivery{WebhookID: ws[k].ID, NextAttemptAt: t0.Add(time.Duration(i) * time.Second)})
		}
		evs = append(evs, store.NewEvent{Event: ev, Deliveries: ds})
	}
	var ids [][]int64
	must(t, s.InTx(c, func(tx store.Tx) error {
		var err error
		ids, err = tx.InsertEvents(c, evs)
		return err
	}))
	if len(ids) != len(evs) {
		t.Fatalf("%d id lists for %d events", len(ids), len(evs))
	}
	last := before[0]
	for i, e := range evs {
		if len(ids[i]) != len(e.Deliveries) {
			t.Fatalf("event %d: %d ids for %d deliveries", i, len(ids[i]), len(e.Deliveries))
		}
		got, err := s.GetEvent(c, "A", e.Event.ID)
		must(t, err)
		if !bytes.Equal(got.Body, e.Event.Body) {
			t.Fatalf("event %d body %q, want %q", i, got.Body, e.Event.Body)
		}
		for k, id := range ids[i] {
			if id <= last {
				t.Fatalf("event %d delivery %d: id %d after %d, want increasing", i, k, id, last)
			}
			last = id
			d, _, err := s.GetDelivery(c, "A", id)
			must(t, err)
			if d.EventID != e.Event.ID || d.WebhookID != ws[k].ID || d.State != store.DeliveryPending ||
				!d.NextAttemptAt.Equal(e.Deliveries[k].NextAttemptAt) {
				t.Fatalf("event %d delivery %d = %+v", i, k, d)
			}
		}
	}

	// An id that exists, or one given twice: a conflict, and the rolled back
	// transaction leaves nothing of the group.
	count := func() int {
		all, err := s.ListDeliveries(c, store.DeliveryQuery{AccountID: "A", Limit: 1000})
		must(t, err)
		return len(all)
	}
	n := count()
	fresh := newEvent("A", time.Hour)
	for name, group := range map[string][]store.NewEvent{
		"existing": {{Event: fresh, Deliveries: []store.Delivery{{WebhookID: ws[0].ID}}}, {Event: evs[5].Event}},
		"twice":    {{Event: fresh, Deliveries: []store.Delivery{{WebhookID: ws[0].ID}}}, {Event: fresh}},
	} {
		err := s.InTx(c, func(tx store.Tx) error {
			_, err := tx.InsertEvents(c, group)
			return err
		})
		wantErr(t, err, store.ErrConflict)
		if got := count(); got != n {
			t.Fatalf("%s: %d deliveries after a conflict, want %d", name, got, n)
		}
		if _, err := s.GetEvent(c, "A", fresh.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("%s: the conflicting group's other event: %v, want not found", name, err)
		}
	}
}

// testInsertEventsStored writes an event's deliveries over several
// transactions (a test event's fan-out, a chunk at a time): the later ones
// insert deliveries only, beside new events, and refuse an event not stored.
func testInsertEventsStored(t *testing.T, s store.Store) {
	c := ctx(t)
	newAccount(t, s, "A")
	ws := []store.Webhook{newWebhook(t, s, "A"), newWebhook(t, s, "A"), newWebhook(t, s, "A")}
	ev := newEvent("A", 0)
	first := insert(t, s, ev, t0, ws[0])
	fresh := newEvent("A", time.Second)
	var ids [][]int64
	must(t, s.InTx(c, func(tx store.Tx) error {
		var err error
		ids, err = tx.InsertEvents(c, []store.NewEvent{
			{Event: ev, Stored: true, Deliveries: []store.Delivery{{WebhookID: ws[1].ID, NextAttemptAt: t0}, {WebhookID: ws[2].ID, NextAttemptAt: t0}}},
			{Event: fresh, Deliveries: []store.Delivery{{WebhookID: ws[0].ID, NextAttemptAt: t0}}},
		})
		return err
	}))
	if len(ids) != 2 || len(ids[0]) != 2 || len(ids[1]) != 1 {
		t.Fatalf("ids %v, want 2 then 1", ids)
	}
	for k, id := range append([]int64{first[0]}, ids[0]...) {
		d, _, err := s.GetDelivery(c, "A", id)
		must(t, err)
		if d.EventID != ev.ID || d.WebhookID != ws[k].ID || d.State != store.DeliveryPending || d.EventType != ev.Type {
			t.Fatalf("delivery %d of the stored event = %+v", k, d)
		}
	}
	if _, err := s.GetEvent(c, "A", fresh.ID); err != nil {
		t.Fatalf("the new event beside the stored one: %v", err)
	}
	all, err := s.ListDeliveries(c, store.DeliveryQuery{AccountID: "A", Limit: 10})
	must(t, err)
	if len(all) != 4 {
		t.Fatalf("%d deliveries, want 4", len(all))
	}

	// An event said to be stored that is not: nothing of the group is written.
	missing := newEvent("A", time.Hour)
	other := newEvent("A", 2*time.Hour)
	err = s.InTx(c, func(tx store.Tx) error {
		_, err := tx.InsertEvents(c, []store.NewEvent{
			{Event: other, Deliveries: []store.Delivery{{WebhookID: ws[0].ID}}},
			{Event: missing, Stored: true, Deliveries: []store.Delivery{{WebhookID: ws[0].ID}}},
		})
		return err
	})
	wantErr(t, err, store.ErrNotFound)
	if _, err := s.GetEvent(c, "A", other.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("the refused group's other event: %v, want not found", err)
	}
}

func testListEvents(t *testing.T, s store.Store) {
	mk := func(account, typ, stream string, offset time.Duration) string {
		ev := newEvent(account, offset)
		ev.Type, ev.StreamName = typ, stream
		insert(t, s, ev, t0)
		return ev.ID
	}
	e1 := mk("A", "feeds", "cam1", 1*time.Second)
	e2 := mk("A", "media", "cam1", 2*time.Second)
	e3 := mk("A", "feeds", "cam2", 3*time.Second)
	e4 := mk("B", "feeds", "cam1", 4*time.Second)
	tests := []struct {
		name string
		q    store.EventQuery
		want []string
	}{
		{"account, newest first", store.EventQuery{AccountID: "A"}, []string{e3, e2, e1}},
		{"by stream", store.EventQuery{AccountID: "A", StreamName: "cam1"}, []string{e2, e1}},
		{"by type", store.EventQuery{AccountID: "A", Type: "feeds"}, []string{e3, e1}},
		{"limit", store.EventQuery{AccountID: "A", Limit: 2}, []string{e3, e2}},
		{"other account", store.EventQuery{AccountID: "B"}, []string{e4}},
		{"every account", store.EventQuery{StreamName: "cam1"}, []string{e4, e2, e1}},
		{"no match", store.EventQuery{AccountID: "A", Type: "thumbnail"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.ListEvents(ctx(t), tc.q)
			must(t, err)
			var ids []string
			for _, e := range got {
				ids = append(ids, e.ID)
			}
			if !slices.Equal(ids, tc.want) {
				t.Fatalf("ListEvents(%+v) = %v, want %v", tc.q, ids, tc.want)
			}
		})
	}
}
