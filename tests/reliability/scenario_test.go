package reliability

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/hookcast/hookcast/internal/engine"
)

// scenarioFile is one conformance scenario (internal/engine/testdata/conformance).
type scenarioFile struct {
	Name   string `json:"name"`
	Config struct {
		I int64 `json:"viewerAttemptIntervalMs"`
		D int64 `json:"noActiveViewersDelayMs"`
		T int64 `json:"feedTimeoutMs"`
	} `json:"config"`
	Input  []map[string]any `json:"input"`
	Until  int64            `json:"until"`
	Expect []map[string]any `json:"expect"`
}

func loadScenarios(t *testing.T) []scenarioFile {
	t.Helper()
	files, err := filepath.Glob("../../internal/engine/testdata/conformance/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no conformance scenarios found: %v", err)
	}
	var out []scenarioFile
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var sc scenarioFile
		dec := json.NewDecoder(strings.NewReader(string(b)))
		dec.UseNumber()
		if err := dec.Decode(&sc); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out = append(out, sc)
	}
	return out
}

// configKey groups scenarios that one set of servers can run (same durations).
func (sc *scenarioFile) configKey() string {
	return fmt.Sprintf("I%d-D%d-T%d", sc.Config.I, sc.Config.D, sc.Config.T)
}

// scaled is the scenario s times faster as plan k: every time divided by s
// (inputs rounded down, which keeps "just before" just before), its account ids
// made its own. It fails when s does not divide a duration or an expected time,
// or when the engine says the scaled inputs no longer give the scaled events.
func (sc *scenarioFile) scaled(k int, s int64) (plan, error) {
	p := plan{name: sc.Name, until: (sc.Until + s - 1) / s}
	for _, d := range []int64{sc.Config.I, sc.Config.D, sc.Config.T} {
		if d%s != 0 {
			return p, fmt.Errorf("÷%d does not divide %d ms", s, d)
		}
	}
	p.cfg = engine.Config{ViewerAttemptInterval: ms(sc.Config.I / s), NoViewersDelay: ms(sc.Config.D / s), FeedTimeout: ms(sc.Config.T / s)}
	accounts := map[string]string{}
	own := func(m map[string]any) {
		if a, ok := m["accountId"].(string); ok {
			accounts[a] = fmt.Sprintf("S%02d%s", k, a)
		}
	}
	for _, in := range sc.Input {
		own(in)
	}
	for _, in := range sc.Input {
		at, err := in["at"].(json.Number).Int64()
		if err != nil {
			return p, err
		}
		sig := map[string]any{}
		for key, v := range in {
			if key != "at" {
				sig[key] = remap(v, accounts, planStart)
			}
		}
		p.inputs = append(p.inputs, input{at: at / s, sig: sig})
	}
	for _, ex := range sc.Expect {
		at, err := ex["at"].(json.Number).Int64()
		if err != nil || at%s != 0 {
			return p, fmt.Errorf("÷%d does not divide the event time %v", s, ex["at"])
		}
		data := scaleTimes(remap(ex["data"], accounts, planStart), s)
		p.expect = append(p.expect, map[string]any{"type": ex["type"], "event": ex["event"],
			"timestamp": json.Number(fmt.Sprint(planStart + at/s)), "data": data})
	}
	got, tims, err := simulate(p.cfg, p.inputs, p.until)
	if err != nil {
		return p, err
	}
	if a, b := canonicalSet(got), canonicalSet(p.expect); !slices.Equal(a, b) {
		return p, fmt.Errorf("÷%d changes the scenario's outcome:\n engine: %v\n scaled: %v", s, a, b)
	}
	p.setTimings(tims)
	return p, nil
}

// scaleTimes divides the epoch-ms numbers of v (times after planStart) by s.
func scaleTimes(v any, s int64) any {
	switch x := v.(type) {
	case json.Number:
		if n, err := x.Int64(); err == nil && n >= planStart {
			return json.Number(fmt.Sprint(planStart + (n-planStart)/s))
		}
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = scaleTimes(e, s)
		}
		return out
	}
	return v
}

// canonicalSet is the sorted canonical text of events.
func canonicalSet(evs []map[string]any) []string {
	out := make([]string, 0, len(evs))
	for _, ev := range evs {
		b, _ := json.Marshal(ev)
		c, _ := canonical(b)
		out = append(out, c)
	}
	sort.Strings(out)
	return out
}

// randomPlans are streams of random signals (feeds and viewers coming and going,
// attempts, duplicates, unknown ids) for the placeholder account "RND", each
// input placed at least margin away from every timer of its stream, each stream
// cleaned up at its end (viewers leave, feeds end) so that it falls idle. The
// engine gives the expected events.
func randomPlans(rng *rand.Rand, cfg engine.Config, streams, signals int, margin int64) ([]plan, error) {
	iv := cfg.ViewerAttemptInterval.Milliseconds()
	var plans []plan
	for k := range streams {
		name := fmt.Sprintf("r%02d", k)
		sig := func(kind string, extra ...string) map[string]any {
			m := map[string]any{"kind": kind, "accountId": "RND", "name": name}
			for i := 0; i+1 < len(extra); i += 2 {
				m[extra[i]] = extra[i+1]
			}
			return m
		}
		p := plan{name: "random/" + name, cfg: cfg}
		at := rng.Int64N(300)
		add := func(m map[string]any) error {
			for range 40 {
				p.inputs = append(p.inputs, input{at: at, sig: m})
				_, tims, err := simulate(cfg, p.inputs, at)
				if err != nil {
					return err
				}
				tm := tims[len(tims)-1]
				t := planStart + at
				if (tm.prevDue == 0 || t-tm.prevDue >= margin) && (tm.nextDue == 0 || tm.nextDue-t >= margin) {
					return nil
				}
				p.inputs = p.inputs[:len(p.inputs)-1]
				at += margin/2 + rng.Int64N(margin)
			}
			return fmt.Errorf("%s: no room for input %d between the timers", name, len(p.inputs))
		}
		for range signals {
			var m map[string]any
			switch r := rng.IntN(100); {
			case r < 25:
				m = sig("viewer.connected", "viewerId", fmt.Sprintf("v%d", rng.IntN(3)))
			case r < 50:
				m = sig("viewer.disconnected", "viewerId", fmt.Sprintf("v%d", rng.IntN(3)))
			case r < 65:
				m = sig("viewer.attempted")
			case r < 80:
				m = sig("feed.started", "feedId", fmt.Sprintf("f%d", rng.IntN(2)))
			case r < 95:
				m = sig("feed.ended", "feedId", fmt.Sprintf("f%d", rng.IntN(2)))
			default:
				m = sig("feed.heartbeat", "feedId", fmt.Sprintf("f%d", rng.IntN(2)))
			}
			if err := add(m); err != nil {
				return nil, err
			}
			at += 30 + rng.Int64N(iv*6/5)
		}
		for v := range 3 { // the clean-up: the stream ends idle
			if err := add(sig("viewer.disconnected", "viewerId", fmt.Sprintf("v%d", v))); err != nil {
				return nil, err
			}
			at += 30
		}
		for f := range 2 {
			if err := add(sig("feed.ended", "feedId", fmt.Sprintf("f%d", f))); err != nil {
				return nil, err
			}
			at += 30
		}
		p.until = at + cfg.NoViewersDelay.Milliseconds() + 2*iv
		evs, tims, err := simulate(cfg, p.inputs, p.until)
		if err != nil {
			return nil, err
		}
		p.expect = evs
		p.setTimings(tims)
		plans = append(plans, p)
	}
	return plans, nil
}
