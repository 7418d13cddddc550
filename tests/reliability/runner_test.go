package reliability

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookcast/hookcast/internal/testpg"
	"github.com/hookcast/hookcast/tests/reliability/harness"
)

// runResult is what one run of plans on a set of replicas showed.
type runResult struct {
	events   int      // expected events, each checked at the receiver and in the log
	signals  int      // signals sent
	maxLag   int64    // ms between an input's time and its acknowledgement, at most
	late     []string // inputs acknowledged after a timer of their stream fell due
	mismatch []string // differences between what came and what was expected
}

// runPlans starts `replicas` servers on one new PostgreSQL database, gives each
// placeholder account of the plans a real account and a webhook, sends every
// plan's inputs in real time (plans in parallel; input i of a plan to replica
// i mod n, each request awaited so the order holds), then compares what the
// receiver got with what the plans expect. Failures that timing cannot explain
// (a delivery sent twice, a retry, a bad signature, a refused signal) end the
// test; differences that a slow machine can explain are returned.
func runPlans(t *testing.T, plans []plan, replicas int) runResult {
	t.Helper()
	db := testpg.NewDatabase(t)
	procs := make([]*harness.Proc, replicas)
	for i := range procs {
		procs[i] = harness.Start(t, harness.Config{Database: db, Args: serveArgs(plans[0].cfg)})
	}
	defer func() {
		for _, p := range procs {
			p.Kill()
		}
	}()
	rc := harness.NewReceiver(t)
	var accounts []string
	seen := map[string]bool{}
	for _, p := range plans {
		for _, in := range p.inputs {
			if a := in.sig["accountId"].(string); !seen[a] {
				seen[a] = true
				accounts = append(accounts, a)
			}
		}
	}
	sort.Strings(accounts)
	secrets := map[string]string{}
	for i, a := range accounts {
		_, secret := harness.CreateAccount(t, procs[i%replicas].Base, a)
		secrets[a] = secret
		wh := harness.CreateWebhook(t, procs[(i+1)%replicas].Base, secret, map[string]any{
			"url": rc.URL("/" + a), "isFeedHooks": true, "isViewerConnectionHooks": true, "retryPolicy": "exponential"})
		rc.SetSecret("/"+a, wh.Secret)
	}
	ident := map[string]string{}
	for _, a := range accounts {
		ident[a] = a
	}

	var res runResult
	var mu sync.Mutex
	base := time.Now().UnixMilli() + 300
	var wg sync.WaitGroup
	for k, p := range plans {
		res.signals += len(p.inputs)
		wg.Go(func() {
			for i, in := range p.inputs {
				at := base + in.at
				time.Sleep(time.Until(time.UnixMilli(at))) // pacing the inputs in real time
				sig := maps.Clone(in.sig)
				sig["at"] = at
				target := procs[(i+k)%replicas]
				ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
				code, body, err := harness.Ingest(ctx, target.Base, sig)
				cancel()
				ack := time.Now().UnixMilli()
				mu.Lock()
				res.maxLag = max(res.maxLag, ack-at)
				if err != nil || code != 200 {
					mu.Unlock()
					t.Errorf("%s input %d to %s: %d %s %v", p.name, i, target.Addr, code, body, err)
					return
				}
				if d := p.deadline[i]; d > 0 && ack >= base+d {
					res.late = append(res.late, fmt.Sprintf("%s input %d acknowledged %d ms after a timer fell due", p.name, i, ack-base-d))
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	until := int64(0)
	for _, p := range plans {
		until = max(until, p.until)
	}
	// Every timer is due by base+until; one poll period (1 s) later every
	// replica has looked. Then the log must settle: no delivery left pending.
	time.Sleep(time.Until(time.UnixMilli(base + until + 1500)))
	logs := awaitSettled(t, procs[0].Base, accounts, secrets)

	want := map[string][]string{}
	for _, p := range plans {
		for _, ev := range p.expect {
			ev = remap(ev, ident, base).(map[string]any)
			acct := ev["data"].(map[string]any)["accountId"].(string)
			b, _ := json.Marshal(ev)
			c, _ := canonical(b)
			want[acct] = append(want[acct], c)
			res.events++
		}
	}
	hits := rc.Hits()
	if bad := harness.Unverified(hits); len(bad) > 0 {
		t.Fatalf("%d requests failed signature verification: %v", len(bad), bad)
	}
	perID := map[string]int{}
	got := map[string][]string{}
	for _, h := range hits {
		perID[h.ID]++
		c, err := canonical(h.Body)
		if err != nil {
			t.Fatal(err)
		}
		acct := strings.TrimPrefix(h.Path, "/")
		got[acct] = append(got[acct], c)
	}
	for id, n := range perID {
		if n != 1 {
			t.Fatalf("webhook-id %s received %d times: a delivery was sent by more than one replica, or retried", id, n)
		}
	}
	for _, a := range accounts {
		for _, d := range logs[a] {
			if d.State != "succeeded" || d.AttemptCount != 1 {
				t.Fatalf("account %s delivery %d: %s after %d attempts (want succeeded after exactly 1)", a, d.ID, d.State, d.AttemptCount)
			}
		}
		if len(logs[a]) != len(got[a]) {
			t.Fatalf("account %s: %d deliveries in the log, %d received", a, len(logs[a]), len(got[a]))
		}
		res.mismatch = append(res.mismatch, diff(a, want[a], got[a])...)
	}
	return res
}

// awaitSettled polls the delivery log of every account until nothing is pending,
// and returns it.
func awaitSettled(t *testing.T, base string, accounts []string, secrets map[string]string) map[string][]harness.Delivery {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		logs := map[string][]harness.Delivery{}
		pending := 0
		for _, a := range accounts {
			logs[a] = harness.Deliveries(t, base, secrets[a], "")
			for _, d := range logs[a] {
				if d.State == "pending" {
					pending++
				}
			}
		}
		if pending == 0 {
			return logs
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d deliveries still pending after 60s", pending)
		}
		time.Sleep(200 * time.Millisecond) // polling the log, with a deadline
	}
}

// diff lists the events missing from got and those got has in excess.
func diff(acct string, want, got []string) []string {
	count := map[string]int{}
	for _, w := range want {
		count[w]++
	}
	for _, g := range got {
		count[g]--
	}
	var out []string
	for _, k := range slices.Sorted(maps.Keys(count)) {
		switch n := count[k]; {
		case n > 0:
			out = append(out, fmt.Sprintf("%s: missing %d× %s", acct, n, k))
		case n < 0:
			out = append(out, fmt.Sprintf("%s: unexpected %d× %s", acct, -n, k))
		}
	}
	return out
}
