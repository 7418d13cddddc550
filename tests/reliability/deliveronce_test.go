package reliability

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/hookcast/hookcast/internal/testpg"
	"github.com/hookcast/hookcast/tests/reliability/harness"
)

// TestReplicasDeliverOnce puts load on three replicas (6 media servers posting
// batches of feed.started, each batch to the next replica) with two webhooks
// per event, so that every replica's fast path (deliveries it just committed)
// and poller (rows committed by the others) compete for the same rows. Each
// delivery must be sent exactly once: one request per webhook-id and webhook at
// the receivers, one attempt in the log, nothing left pending.
func TestReplicasDeliverOnce(t *testing.T) {
	t.Parallel()
	const clients, batches, perBatch = 6, 40, 5
	if harness.Long() {
		t.Log("long run: 10× the batches")
	}
	nb := batches
	if harness.Long() {
		nb *= 10
	}
	db := testpg.NewDatabase(t)
	var procs []*harness.Proc
	for range replicaCount {
		procs = append(procs, harness.Start(t, harness.Config{Database: db}))
	}
	account, secret := harness.CreateAccount(t, procs[0].Base, "ONCE")
	rc := harness.NewReceiver(t)
	for _, path := range []string{"/one", "/two"} {
		wh := harness.CreateWebhook(t, procs[1].Base, secret, map[string]any{"url": rc.URL(path)})
		rc.SetSecret(path, wh.Secret)
	}
	start := time.Now()
	var wg sync.WaitGroup
	for c := range clients {
		wg.Go(func() {
			for b := range nb {
				var sigs []map[string]any
				for i := range perBatch {
					sigs = append(sigs, map[string]any{"kind": "feed.started", "accountId": account,
						"name": fmt.Sprintf("c%d", c), "feedId": fmt.Sprintf("c%d-b%d-%d", c, b, i)})
				}
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				code, body, err := harness.Ingest(ctx, procs[(c+b)%len(procs)].Base, sigs)
				cancel()
				if err != nil || code != 200 {
					t.Errorf("ingest: %d %s %v", code, body, err)
					return
				}
			}
		})
	}
	wg.Wait()
	events := clients * nb * perBatch
	if err := rc.Await(2*time.Minute, func(h []harness.Hit) bool { return len(h) >= 2*events }); err != nil {
		t.Fatalf("%d of %d deliveries arrived", len(rc.Hits()), 2*events)
	}
	took := time.Since(start)
	logs := awaitSettled(t, procs[2].Base, []string{account}, map[string]string{account: secret})[account]
	hits := rc.Hits()
	if bad := harness.Unverified(hits); len(bad) > 0 {
		t.Fatalf("%d requests failed verification", len(bad))
	}
	for _, path := range []string{"/one", "/two"} {
		got := harness.Accepted(hits, path)
		if len(got) != events {
			t.Errorf("%s: %d distinct events, want %d", path, len(got), events)
		}
		for id, n := range got {
			if n != 1 {
				t.Errorf("%s: event %s delivered %d times", path, id, n)
			}
		}
	}
	if len(hits) != 2*events {
		t.Errorf("%d requests for %d deliveries", len(hits), 2*events)
	}
	for _, d := range logs {
		if d.State != "succeeded" || d.AttemptCount != 1 {
			t.Errorf("delivery %d: %s after %d attempts", d.ID, d.State, d.AttemptCount)
		}
	}
	if len(logs) != 2*events {
		t.Errorf("%d deliveries in the log, want %d", len(logs), 2*events)
	}
	if !t.Failed() {
		t.Logf("%d events × 2 webhooks through %d replicas in %v: every delivery sent once, one attempt each",
			events, len(procs), took.Round(time.Millisecond))
	}
}
