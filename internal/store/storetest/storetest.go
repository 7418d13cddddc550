// Package storetest is the one behaviour suite every store.Store must pass, the
// way River exercises its drivers: the SQLite and PostgreSQL tests each call Run
// with their own opener.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookcast/hookcast/internal/store"
)

// Opener returns a fresh, empty, migrated store for one test and closes it when
// the test ends (t.Cleanup).
type Opener func(t *testing.T) store.Store

// Run runs the whole suite against the stores open returns. Tests run in
// parallel, each on its own store.
func Run(t *testing.T, open Opener) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"Migrate", testMigrate},
		{"Meta", testMeta},
		{"Accounts", testAccounts},
		{"APISecrets", testAPISecrets},
		{"Webhooks", testWebhooks},
		{"WebhookIsolation", testWebhookIsolation},
		{"ListWebhooks", testListWebhooks},
		{"ClaimExpiringSecrets", testClaimExpiringSecrets},
		{"InTxRollback", testInTxRollback},
		{"Streams", testStreams},
		{"SaveStreamsMany", testSaveStreamsMany},
		{"DueStreams", testDueStreams},
		{"Viewers", testViewers},
		{"WebhooksFor", testWebhooksFor},
		{"WebhooksForSeesChanges", testWebhooksForSeesChanges},
		{"InTxCounter", testInTxCounter},
		{"InsertOneEvent", testInsertOneEvent},
		{"InsertEvents", testInsertEvents},
		{"InsertEventsStored", testInsertEventsStored},
		{"ListEvents", testListEvents},
		{"Claim", testClaim},
		{"ClaimLease", testClaimLease},
		{"ClaimCurrentWebhook", testClaimCurrentWebhook},
		{"ClaimDeletedWebhook", testClaimDeletedWebhook},
		{"ClaimConcurrent", testClaimConcurrent},
		{"ReleaseAndExclude", testReleaseAndExclude},
		{"InsertLeased", testInsertLeased},
		{"FinishOneAttempt", testFinishOneAttempt},
		{"FinishAttempts", testFinishAttempts},
		{"FinishWebhookBookkeeping", testFinishWebhookBookkeeping},
		{"ListDeliveries", testListDeliveries},
		{"ResendIDs", testResendIDs},
		{"ResendSince", testResendSince},
		{"ResendRange", testResendRange},
		{"ResendMany", testResendMany},
		{"CountDeliveries", testCountDeliveries},
		{"Stats", testStats},
		{"Backlog", testBacklog},
		{"PruneStats", testPruneStats},
		{"Prune", testPrune},
		{"PortalTokens", testPortalTokens},
		{"ClaimKeys", testClaimKeys},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, open(t))
		})
	}
}

// t0 is the suite's "now" wherever the caller passes time in: microsecond
// precise, so what comes back compares equal.
var t0 = time.Date(2025, 3, 14, 15, 9, 26, 535897000, time.UTC)

func ctx(t testing.TB) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return c
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// wantErr fails unless err wraps target.
func wantErr(t testing.TB, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("got error %v, want %v", err, target)
	}
}

func newAccount(t testing.TB, s store.Store, id string) {
	t.Helper()
	must(t, s.CreateAccount(ctx(t), store.Account{ID: id, Name: "account " + id}))
}

// newWebhook creates a webhook of account with every type enabled, after edit.
func newWebhook(t testing.TB, s store.Store, account string, edit ...func(*store.Webhook)) store.Webhook {
	t.Helper()
	w := store.Webhook{
		AccountID: account, URL: "http://127.0.0.1:9/" + account, Secret: "c2VjcmV0",
		IsFeedHooks: true, IsRecordingHooks: true, IsThumbnailHooks: true, IsTranscoderHooks: true,
		IsMediaHooks: true, IsViewerConnectionHooks: true, RetryPolicy: "exponential",
	}
	for _, e := range edit {
		e(&w)
	}
	must(t, s.CreateWebhook(ctx(t), &w))
	return w
}

var eventSeq atomic.Int64

func nextEventID() string { return fmt.Sprintf("evt_%06d", eventSeq.Add(1)) }

// newEvent is a feeds event of account created at t0 plus offset.
func newEvent(account string, offset time.Duration) store.Event {
	return store.Event{
		ID: nextEventID(), AccountID: account, Type: "feeds", Event: "started", StreamName: "cam1",
		Timestamp: t0.UnixMilli(), ContentType: "application/json",
		Headers: map[string]string{"X-Test": "1"}, Body: []byte(`{"type":"feeds"}`),
		CreatedAt: t0.Add(offset),
	}
}

// insert stores ev with one delivery per webhook, due at due, and returns their ids.
func insert(t testing.TB, s store.Store, ev store.Event, due time.Time, webhooks ...store.Webhook) []int64 {
	t.Helper()
	ds := make([]store.Delivery, len(webhooks))
	for i, w := range webhooks {
		ds[i] = store.Delivery{WebhookID: w.ID, NextAttemptAt: due}
	}
	var ids []int64
	must(t, s.InTx(ctx(t), func(tx store.Tx) error {
		var err error
		ids, err = insertOne(ctx(t), tx, ev, ds)
		return err
	}))
	if len(ids) != len(webhooks) {
		t.Fatalf("InsertEvents returned %d ids for %d deliveries", len(ids), len(webhooks))
	}
	return ids
}

func claimIDs(cs []store.ClaimedDelivery) []int64 {
	ids := make([]int64, len(cs))
	for i, c := range cs {
		ids[i] = c.Delivery.ID
	}
	return ids
}

func deliveryIDs(ds []store.Delivery) []int64 {
	ids := make([]int64, len(ds))
	for i, d := range ds {
		ids[i] = d.ID
	}
	return ids
}

func webhookIDs(ws []store.Webhook) []int64 {
	ids := make([]int64, len(ws))
	for i, w := range ws {
		ids[i] = w.ID
	}
	return ids
}

// finishOne records one result the one way a store records them,
// FinishAttempts, and returns its error.
func finishOne(c context.Context, s store.Store, r store.AttemptResult) error {
	return s.FinishAttempts(c, []store.AttemptResult{r})[0]
}

// insertOne inserts one event with its deliveries the one way a store inserts
// them, InsertEvents, and returns the delivery ids.
func insertOne(c context.Context, tx store.Tx, ev store.Event, ds []store.Delivery) ([]int64, error) {
	ids, err := tx.InsertEvents(c, []store.NewEvent{{Event: ev, Deliveries: ds}})
	if err != nil {
		return nil, err
	}
	return ids[0], nil
}
