package reliability

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/hookcast/hookcast/tests/reliability/harness"
)

// replicaCount is how many serve processes share the database.
const replicaCount = 3

// margin is the least distance (ms) the tests keep between an input and a timer
// of its stream. The server's timer loop fires a timer within a few ms of its due
// time and moves the stream's clock to the wall clock when it does; an input
// arriving after that is applied at the later time. 150 ms covers a request
// through a race-detector build on a busy machine; a run that still comes late
// is detected and repeated slower.
const margin = 150

// scales are the speed-ups tried, fastest first.
var scales = []int64{20, 10, 5, 4, 2, 1}

// TestReplicasConformance runs every conformance scenario through the HTTP
// ingest of three replicas on one PostgreSQL, durations divided by 20 (less when
// a scenario's inputs are too close to its timers for that), inputs paced in
// real time with their `at` and spread round-robin over the replicas, plus 24
// streams of random signals checked against the engine. The events received
// must be exactly the expected ones: type, event, data and timestamp (exact:
// every input carries its `at`, and timer events carry their due time), each
// delivered once (one webhook-id, one request, one attempt in the log). It runs
// alone (not parallel with the other tests), as its timing is real.
func TestReplicasConformance(t *testing.T) {
	scs := loadScenarios(t)
	groups := map[string][]scenarioFile{}
	var keys []string
	for _, sc := range scs {
		k := sc.configKey()
		if groups[k] == nil {
			keys = append(keys, k)
		}
		groups[k] = append(groups[k], sc)
	}
	seed := harness.Seed(t)
	for gi, k := range keys {
		// The group with the most scenarios also carries the random streams.
		random := len(groups[k]) > 1
		t.Run(k, func(t *testing.T) {
			t.Parallel()
			runGroup(t, groups[k], random, seed+uint64(gi))
		})
	}
}

// runGroup runs one group of scenarios (same durations) at the fastest scale
// they allow, again slower when the machine proved too slow for it.
func runGroup(t *testing.T, scs []scenarioFile, random bool, seed uint64) {
	var lastErr string
	for _, s := range scales {
		var plans []plan
		var why string
		for k, sc := range scs {
			p, err := sc.scaled(k, s)
			if err == nil && p.slack < margin {
				err = fmt.Errorf("an input %d ms from a timer", p.slack)
			}
			if err != nil {
				why = fmt.Sprintf("%s: %v", sc.Name, err)
				break
			}
			plans = append(plans, p)
		}
		if why != "" {
			t.Logf("÷%d not possible: %s", s, why)
			continue
		}
		if random {
			rp, err := randomPlans(rand.New(rand.NewPCG(seed, uint64(s))), plans[0].cfg, 24, 14, margin)
			if err != nil {
				t.Fatal(err)
			}
			plans = append(plans, rp...)
		}
		res := runPlans(t, plans, replicaCount)
		switch {
		case len(res.mismatch) == 0:
			t.Logf("÷%d: %d plans, %d signals over %d replicas, %d events checked (exact), each delivered once; slowest acknowledgement %d ms",
				s, len(plans), res.signals, replicaCount, res.events, res.maxLag)
			return
		case len(res.late) > 0:
			lastErr = fmt.Sprintf("÷%d: the machine was too slow (%s); differences:\n%s", s, strings.Join(res.late, "; "), strings.Join(res.mismatch, "\n"))
		default:
			lastErr = fmt.Sprintf("÷%d: differences:\n%s", s, strings.Join(res.mismatch, "\n"))
		}
		t.Logf("%s\ntrying slower", lastErr)
	}
	t.Fatalf("no scale passed; last: %s", lastErr)
}
