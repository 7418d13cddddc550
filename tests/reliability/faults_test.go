package reliability

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hookcast/hookcast/tests/reliability/harness"
)

// endpointCase is one receiver behaviour, under both retry policies.
type endpointCase struct {
	name  string
	fault func(n int) harness.Action // the answer to the n-th request of one event
	down  bool                       // on the receiver that is down for a while instead
	// check looks at one delivery of the exponential policy, which must succeed.
	check func(t *testing.T, d harness.DeliveryDetail)
	// noneErr is what the single attempt of the "none" policy records.
	noneStatus int
	noneErr    string
	// waitAsked: the receiver asks to be called later (429 with Retry-After),
	// which is no failure, so the "none" policy waits and sends it again too.
	waitAsked bool
}

var endpointCases = []endpointCase{
	{name: "down", down: true, noneErr: "connection refused",
		check: func(t *testing.T, d harness.DeliveryDetail) {
			if len(d.Attempts) < 2 || !strings.Contains(d.Attempts[0].Error, "connection refused") {
				t.Errorf("down: want failed attempts (connection refused) then success, got %+v", d.Attempts)
			}
		}},
	{name: "500", noneStatus: 500,
		fault: func(n int) harness.Action {
			if n <= 2 {
				return harness.Action{Status: http.StatusInternalServerError}
			}
			return harness.Action{}
		},
		check: func(t *testing.T, d harness.DeliveryDetail) {
			if got := statuses(d); got != "500,500,200" {
				t.Errorf("500: attempts answered %s, want 500,500,200", got)
			}
		}},
	{name: "429", noneStatus: 429, waitAsked: true,
		fault: func(n int) harness.Action {
			if n == 1 {
				return harness.Action{Status: http.StatusTooManyRequests, RetryAfter: "2"}
			}
			return harness.Action{}
		},
		check: func(t *testing.T, d harness.DeliveryDetail) {
			if got := statuses(d); got != "429,200" {
				t.Errorf("429: attempts answered %s, want 429,200", got)
				return
			}
			if gap := d.Attempts[1].Time().Sub(d.Attempts[0].Time()); gap < 2*time.Second {
				t.Errorf("429 with Retry-After: 2: retried after %v", gap)
			}
		}},
	{name: "hang", noneErr: "deadline exceeded",
		fault: func(n int) harness.Action { return harness.Action{Hang: n == 1} },
		check: func(t *testing.T, d harness.DeliveryDetail) {
			if got := statuses(d); got != "0,200" || !strings.Contains(d.Attempts[0].Error, "deadline exceeded") {
				t.Errorf("hang: attempts %+v, want a timeout then 200", d.Attempts)
			}
		}},
}

func statuses(d harness.DeliveryDetail) string {
	var s []string
	for _, a := range d.Attempts {
		s = append(s, fmt.Sprint(a.Status))
	}
	return strings.Join(s, ",")
}

// TestReceiverFaults: receivers that are down (connection refused) for 4 s,
// answer 500 twice, answer 429 with Retry-After, or hang until the attempt
// times out (15 s). With the exponential policy every event arrives, exactly
// once as accepted, after the recorded failed attempts; with "none" each
// delivery has exactly one attempt, recorded with its status or error, and the
// receiver saw at most that one request. Meanwhile a healthy endpoint of the
// same account gets its deliveries at once (a dead or slow endpoint never
// delays another).
func TestReceiverFaults(t *testing.T) {
	t.Parallel()
	p := harness.Start(t, harness.Config{DataDir: t.TempDir()})
	account, secret := harness.CreateAccount(t, p.Base, "FAULTS")
	up, down := harness.NewReceiver(t), harness.NewReceiver(t)
	faults := map[string]func(int) harness.Action{}
	hooks := map[string]int64{}
	for _, c := range endpointCases {
		for _, policy := range []string{"exponential", "none"} {
			rc, path := up, "/"+c.name+"/"+policy
			if c.down {
				rc = down
			}
			wh := harness.CreateWebhook(t, p.Base, secret, map[string]any{"url": rc.URL(path), "retryPolicy": policy})
			rc.SetSecret(path, wh.Secret)
			hooks[path] = wh.ID
			faults[path] = c.fault
		}
	}
	okHook := harness.CreateWebhook(t, p.Base, secret, map[string]any{"url": up.URL("/ok")})
	up.SetSecret("/ok", okHook.Secret)
	up.SetFault(func(path, _ string, n int) harness.Action {
		if f := faults[path]; f != nil {
			return f(n)
		}
		return harness.Action{}
	})

	down.Down()
	const events = 3
	var sigs []map[string]any
	for i := range events {
		sigs = append(sigs, map[string]any{"kind": "feed.started", "accountId": account, "name": "show", "feedId": fmt.Sprintf("f%d", i)})
	}
	sent := time.Now()
	if code, body := harness.Call(t, "POST", p.Base+"/api/ingest/signals", harness.IngestToken, sigs); code != 200 {
		t.Fatalf("ingest: %d %s", code, body)
	}
	// The healthy endpoint is served while the hanging one holds its requests.
	if err := up.Await(5*time.Second, func(h []harness.Hit) bool { return len(harness.Accepted(h, "/ok")) == events }); err != nil {
		t.Fatalf("healthy endpoint: %d of %d events within 5 s while the others fail", len(harness.Accepted(up.Hits(), "/ok")), events)
	}
	t.Logf("healthy endpoint served in %v while the others failed", time.Since(sent).Round(time.Millisecond))
	time.Sleep(4 * time.Second) // the endpoint stays down for a while
	down.Up()

	logs := awaitSettled(t, p.Base, []string{account}, map[string]string{account: secret})[account]
	attempts := 0
	for _, c := range endpointCases {
		for _, policy := range []string{"exponential", "none"} {
			path := "/" + c.name + "/" + policy
			rc := up
			if c.down {
				rc = down
			}
			perID := map[string]int{}
			for _, h := range rc.Hits() {
				if h.Path == path {
					perID[h.ID]++
				}
			}
			n := 0
			for _, d := range logs {
				if d.WebhookID != hooks[path] {
					continue
				}
				n++
				det := harness.Detail(t, p.Base, secret, d.ID)
				attempts += len(det.Attempts)
				if len(det.Attempts) != det.AttemptCount {
					t.Errorf("%s: delivery %d counts %d attempts, lists %d", path, d.ID, det.AttemptCount, len(det.Attempts))
				}
				if policy == "exponential" || c.waitAsked {
					if d.State != "succeeded" {
						t.Errorf("%s: delivery %d %s: %+v", path, d.ID, d.State, det.Attempts)
						continue
					}
					if got := harness.Accepted(rc.Hits(), path)[d.EventID]; got != 1 {
						t.Errorf("%s: event %s accepted %d times", path, d.EventID, got)
					}
					c.check(t, det)
					continue
				}
				if d.State != "failed" || len(det.Attempts) != 1 {
					t.Errorf("%s (none): delivery %d %s after %d attempts, want failed after exactly 1", path, d.ID, d.State, len(det.Attempts))
					continue
				}
				a := det.Attempts[0]
				if a.Status != c.noneStatus || !strings.Contains(a.Error, c.noneErr) {
					t.Errorf("%s (none): attempt recorded as %d %q, want %d %q", path, a.Status, a.Error, c.noneStatus, c.noneErr)
				}
				if perID[d.EventID] > 1 {
					t.Errorf("%s (none): receiver got %d requests for one event", path, perID[d.EventID])
				}
			}
			if n != events {
				t.Errorf("%s: %d deliveries in the log, want %d", path, n, events)
			}
		}
	}
	t.Logf("%d deliveries over %d faulty endpoints, %d attempts, all recorded", len(logs)-events, 2*len(endpointCases), attempts)
}
