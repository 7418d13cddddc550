package reliability

import (
	"fmt"
	"testing"
	"time"

	"github.com/hookcast/hookcast/tests/reliability/harness"
)

// TestReceiverDownUnderLoad: an endpoint with the default (exponential) policy
// is down while events keep coming — 8 s and 40 events in make test, 3 minutes
// and one event every 3 s with HOOKCAST_LONG=1. Once it is back, every event
// arrives (issue 8: "endpoint down for minutes … with retries on, everything
// arrives once it recovers").
func TestReceiverDownUnderLoad(t *testing.T) {
	t.Parallel()
	outage, every := 8*time.Second, 200*time.Millisecond
	if harness.Long() {
		outage, every = 3*time.Minute, 3*time.Second
	}
	p := harness.Start(t, harness.Config{DataDir: t.TempDir()})
	account, secret := harness.CreateAccount(t, p.Base, "OUTAGE")
	rc := harness.NewReceiver(t)
	wh := harness.CreateWebhook(t, p.Base, secret, map[string]any{"url": rc.URL("/hooks")})
	rc.SetSecret("/hooks", wh.Secret)

	rc.Down()
	start := time.Now()
	n := 0
	for time.Since(start) < outage {
		sig := map[string]any{"kind": "feed.started", "accountId": account, "name": "show", "feedId": fmt.Sprintf("f%d", n)}
		if code, body := harness.Call(t, "POST", p.Base+"/api/ingest/signals", harness.IngestToken, sig); code != 200 {
			t.Fatalf("ingest: %d %s", code, body)
		}
		n++
		time.Sleep(every) // the media server's pace
	}
	rc.Up()
	recovered := time.Now()
	// Retries come back within the backoff reached during the outage; the log
	// settles when every delivery has succeeded or given up.
	logs := awaitSettled(t, p.Base, []string{account}, map[string]string{account: secret})[account]
	states := map[string]int{}
	var last string
	for _, d := range logs {
		states[d.State]++
		if d.State != "succeeded" {
			last = d.LastError
		}
	}
	if err := rc.Await(10*time.Second, func(h []harness.Hit) bool { return len(harness.Accepted(h, "/hooks")) == n }); err != nil {
		var w struct {
			Disabled any `json:"disabled"`
		}
		harness.Data(t, "GET", fmt.Sprintf("%s/api/webhooks/%d", p.Base, wh.ID), secret, nil, &w)
		t.Fatalf("after an outage of %v with %d events, %d arrived once the endpoint was back; deliveries by state %v (last error %q); webhook disabled: %v",
			outage, n, len(harness.Accepted(rc.Hits(), "/hooks")), states, last, w.Disabled)
	}
	t.Logf("outage of %v, %d events: all arrived %v after the endpoint came back", outage, n, time.Since(recovered).Round(time.Millisecond))
}
