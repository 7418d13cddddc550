package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/hookcast/hookcast/internal/store"
)

// BenchInTxSignal measures the signal path's transaction: lock one stream, save
// it, insert one event with two deliveries. Each iteration uses a new stream and
// event, so the tables grow as they would.
func BenchInTxSignal(b *testing.B, s store.Store) {
	c := context.Background()
	if err := s.CreateAccount(c, store.Account{ID: "bench"}); err != nil {
		b.Fatal(err)
	}
	w1 := store.Webhook{AccountID: "bench", URL: "http://127.0.0.1:9/1", IsFeedHooks: true}
	w2 := store.Webhook{AccountID: "bench", URL: "http://127.0.0.1:9/2", IsFeedHooks: true}
	if err := s.CreateWebhook(c, &w1); err != nil {
		b.Fatal(err)
	}
	if err := s.CreateWebhook(c, &w2); err != nil {
		b.Fatal(err)
	}
	state := make([]byte, 200)
	body := make([]byte, 400)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		key := store.StreamKey{AccountID: "bench", Name: fmt.Sprintf("s%d", i%1000)}
		ev := store.Event{ID: fmt.Sprintf("bench_%d", i), AccountID: "bench", Type: "feeds", Event: "started",
			StreamName: key.Name, Timestamp: t0.UnixMilli(), ContentType: "application/json", Body: body, CreatedAt: t0}
		err := s.InTx(c, func(tx store.Tx) error {
			if _, err := tx.LockStreams(c, []store.StreamKey{key}); err != nil {
				return err
			}
			if err := tx.SaveStreams(c, []store.StreamRow{{Key: key, State: state, DueAt: t0.Add(time.Minute).UnixMilli()}}); err != nil {
				return err
			}
			_, err := insertOne(c, tx, ev, []store.Delivery{{WebhookID: w1.ID, NextAttemptAt: t0}, {WebhookID: w2.ID, NextAttemptAt: t0}})
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchDeliveryCycle measures what one delivery costs the store on the
// dispatcher's hot path, per delivery: inserted with its event (one delivery per
// event, 200 events per InsertEvents and transaction, leased to the committer as
// the committer does), then its successful attempt recorded (FinishAttempts, 64 per call). It
// is the store's share of the throughput hookbench measures end to end.
func BenchDeliveryCycle(b *testing.B, s store.Store) {
	c := context.Background()
	if err := s.CreateAccount(c, store.Account{ID: "bench"}); err != nil {
		b.Fatal(err)
	}
	w := store.Webhook{AccountID: "bench", URL: "http://127.0.0.1:9/1", IsFeedHooks: true}
	if err := s.CreateWebhook(c, &w); err != nil {
		b.Fatal(err)
	}
	const group, record = 200, 64
	body := make([]byte, 300)
	owner := "bench-owner"
	b.ReportAllocs()
	b.ResetTimer()
	for done := 0; done < b.N; {
		n := min(group, b.N-done)
		evs := make([]store.NewEvent, n)
		for i := range evs {
			evs[i] = store.NewEvent{
				Event: store.Event{ID: fmt.Sprintf("cycle_%d", done+i), AccountID: "bench", Type: "feeds", Event: "started",
					StreamName: "s", Timestamp: t0.UnixMilli(), ContentType: "application/json", Body: body, CreatedAt: t0},
				Deliveries: []store.Delivery{{WebhookID: w.ID, NextAttemptAt: t0, LeaseOwner: owner, LeaseUntil: t0.Add(time.Hour)}},
			}
		}
		var ids []int64
		err := s.InTx(c, func(tx store.Tx) error {
			got, err := tx.InsertEvents(c, evs)
			for _, g := range got {
				ids = append(ids, g...)
			}
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
		for len(ids) > 0 {
			k := min(record, len(ids))
			rs := make([]store.AttemptResult, k)
			for i, id := range ids[:k] {
				rs[i] = store.AttemptResult{Owner: owner, State: store.DeliverySucceeded, Success: true,
					Attempt: store.Attempt{DeliveryID: id, N: 1, At: t0, Status: 200, Latency: time.Millisecond, Response: []byte("ok")}}
			}
			for _, err := range s.FinishAttempts(c, rs) {
				if err != nil {
					b.Fatal(err)
				}
			}
			ids = ids[k:]
		}
		done += n
	}
}

// BenchPrune measures what pruning costs the writer, per delivery pruned: each
// round inserts and finishes 1,000 deliveries (untimed, as BenchDeliveryCycle
// does), then prunes them in batches of 1,000 with their events and attempts.
func BenchPrune(b *testing.B, s store.Store) {
	c := context.Background()
	if err := s.CreateAccount(c, store.Account{ID: "bench"}); err != nil {
		b.Fatal(err)
	}
	w := store.Webhook{AccountID: "bench", URL: "http://127.0.0.1:9/1", IsFeedHooks: true}
	if err := s.CreateWebhook(c, &w); err != nil {
		b.Fatal(err)
	}
	const round = 1000
	body := make([]byte, 300)
	owner := "bench-owner"
	var after int64
	seq := 0
	b.ReportAllocs()
	b.ResetTimer()
	for done := 0; done < b.N; done += round {
		b.StopTimer()
		for g := 0; g < round; g += 200 {
			evs := make([]store.NewEvent, 200)
			for i := range evs {
				seq++
				evs[i] = store.NewEvent{
					Event: store.Event{ID: fmt.Sprintf("prune_%09d", seq), AccountID: "bench", Type: "feeds", Event: "started",
						StreamName: "s", Timestamp: t0.UnixMilli(), ContentType: "application/json", Body: body, CreatedAt: t0},
					Deliveries: []store.Delivery{{WebhookID: w.ID, NextAttemptAt: t0, LeaseOwner: owner, LeaseUntil: t0.Add(time.Hour)}},
				}
			}
			var ids []int64
			err := s.InTx(c, func(tx store.Tx) error {
				got, err := tx.InsertEvents(c, evs)
				for _, g := range got {
					ids = append(ids, g...)
				}
				return err
			})
			if err != nil {
				b.Fatal(err)
			}
			rs := make([]store.AttemptResult, len(ids))
			for i, id := range ids {
				rs[i] = store.AttemptResult{Owner: owner, State: store.DeliverySucceeded, Success: true,
					Attempt: store.Attempt{DeliveryID: id, N: 1, At: t0, Status: 200, Latency: time.Millisecond, Response: []byte("ok")}}
			}
			for _, err := range s.FinishAttempts(c, rs) {
				if err != nil {
					b.Fatal(err)
				}
			}
		}
		b.StartTimer()
		for {
			r, err := s.Prune(c, store.PruneBatch{Before: t0.Add(time.Hour), AfterID: after, Limit: round})
			if err != nil {
				b.Fatal(err)
			}
			after = r.NextID
			if !r.Full {
				break
			}
		}
	}
}
