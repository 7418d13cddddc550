package engine_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hookcast/hookcast/internal/engine"
	"github.com/hookcast/hookcast/internal/ingest"
)

// conformanceStart is the clock at "at": 0 (testdata/conformance/README.md).
const conformanceStart = 1700000000000

type scenario struct {
	Name   string `json:"name"`
	Config struct {
		ViewerAttemptIntervalMs int64 `json:"viewerAttemptIntervalMs"`
		NoActiveViewersDelayMs  int64 `json:"noActiveViewersDelayMs"`
		FeedTimeoutMs           int64 `json:"feedTimeoutMs"`
	} `json:"config"`
	Input  []json.RawMessage `json:"input"`
	Until  int64             `json:"until"`
	Expect []json.RawMessage `json:"expect"`
}

// newEngine is the scenario's engine; inline is Config.InlineViewers (the reload
// runs keep at most one viewer inline, so states with more go through rows).
func (sc *scenario) newEngine(inline int) *engine.Engine {
	ms := func(v int64) time.Duration { return time.Duration(v) * time.Millisecond }
	return engine.New(engine.Config{
		ViewerAttemptInterval: ms(sc.Config.ViewerAttemptIntervalMs),
		NoViewersDelay:        ms(sc.Config.NoActiveViewersDelayMs),
		FeedTimeout:           ms(sc.Config.FeedTimeoutMs),
		InlineViewers:         inline,
	})
}

// TestConformance runs every scenario of testdata/conformance as the README says:
// inputs in file order at start+at, timers due at an input's instant first, then up
// to until; the events must equal the expected ones as a set, data exactly. Each
// scenario runs three ways: in memory; with every state encoded and decoded after
// each input (as a store does between signals); and "lazy", with no scheduler at
// all, each stream firing its own timers only when its next signal comes and at the
// end (events carry their due time, so the set must be the same).
func TestConformance(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob(filepath.Join("testdata", "conformance", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no scenarios found: %v", err)
	}
	for _, file := range files {
		sc := loadScenario(t, file)
		want := expectedEvents(t, sc)
		for _, mode := range []string{"memory", "reload", "lazy"} {
			t.Run(strings.TrimSuffix(filepath.Base(file), ".json")+"/"+mode, func(t *testing.T) {
				t.Parallel()
				var got []string
				if mode == "lazy" {
					got = runLazy(t, sc)
				} else {
					got = runScenario(t, sc, mode == "reload")
				}
				compareEvents(t, got, want)
			})
		}
	}
}

func loadScenario(t *testing.T, file string) *scenario {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var sc scenario
	if err := json.Unmarshal(b, &sc); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	if len(sc.Input) == 0 {
		t.Fatalf("%s: no input", file)
	}
	return &sc
}

// inputSignal decodes input i of a scenario, with its absolute time. It decodes
// with the ingest API's decoder: the inputs are signals as clients send them.
func inputSignal(t *testing.T, raw json.RawMessage, i int) engine.Signal {
	t.Helper()
	var rel struct {
		At int64 `json:"at"`
	}
	if err := json.Unmarshal(raw, &rel); err != nil {
		t.Fatalf("input %d: %v", i, err)
	}
	sigs, err := ingest.DecodeSignals(raw)
	if err != nil {
		t.Fatalf("input %d: %v", i, err)
	}
	sig := sigs[0]
	sig.At = conformanceStart + rel.At
	return sig
}

// runLazy applies each signal to its stream's state with Engine.Apply, the way the
// store committer does, and fires every state once at the end.
func runLazy(t *testing.T, sc *scenario) []string {
	t.Helper()
	e := sc.newEngine(0)
	states := map[engine.StreamKey]*engine.State{}
	var out []string
	for i, raw := range sc.Input {
		sig := inputSignal(t, raw, i)
		var st *engine.State
		if sig.Stateful() {
			if st = states[sig.Stream()]; st == nil {
				st = engine.NewState(sig.Stream())
				states[sig.Stream()] = st
			}
		}
		for _, ev := range e.Apply(st, sig, sig.At) {
			out = append(out, canonicalEvent(t, ev))
		}
	}
	for _, st := range states {
		for _, ev := range e.Fire(st, conformanceStart+sc.Until) {
			out = append(out, canonicalEvent(t, ev))
		}
	}
	return out
}

// runScenario returns the canonical form of every event produced.
func runScenario(t *testing.T, sc *scenario, reload bool) []string {
	t.Helper()
	inline := 0
	if reload {
		inline = 1
	}
	m := engine.NewMemory(sc.newEngine(inline))
	rows := engine.ViewerRows{}
	var evs []engine.Event
	for i, raw := range sc.Input {
		sig := inputSignal(t, raw, i)
		evs = m.AppendApply(evs, &sig, sig.At)
		if reload {
			reloadAll(t, m, rows)
		}
	}
	evs = m.AppendAdvance(evs, conformanceStart+sc.Until)
	if n := m.Len(); n != 0 {
		t.Logf("%d streams still held after until (not idle)", n)
	}
	out := make([]string, 0, len(evs))
	for _, ev := range evs {
		out = append(out, canonicalEvent(t, ev))
	}
	return out
}

// reloadAll replaces every state of m by its decoded encoding, its viewers kept
// apart in rows and told back to it. The rows of a stream m dropped (idle, so
// with no viewer) go, as a store deletes them with the stream.
func reloadAll(t *testing.T, m *engine.Memory, rows engine.ViewerRows) {
	t.Helper()
	for k := range rows {
		if m.State(k) == nil {
			delete(rows, k)
		}
	}
	m.Each(func(st *engine.State) {
		b := rows.Save(t, st)
		fresh := engine.NewState(st.Key())
		if err := fresh.UnmarshalBinary(b); err != nil {
			t.Fatalf("reload %s: %v", st.Key(), err)
		}
		rows.TellAll(fresh)
		if fresh.NextDue() != st.NextDue() || fresh.Viewers() != st.Viewers() {
			t.Fatalf("reload %s: next due %d, was %d; %d viewers, were %d", st.Key(), fresh.NextDue(), st.NextDue(),
				fresh.Viewers(), st.Viewers())
		}
		*st = *fresh
	})
}

func canonicalEvent(t *testing.T, ev engine.Event) string {
	t.Helper()
	body, err := ev.Body()
	if err != nil {
		t.Fatal(err)
	}
	var env map[string]any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&env); err != nil {
		t.Fatalf("body %s: %v", body, err)
	}
	if len(env) != 4 {
		t.Errorf("body has %d top-level fields, want type, event, timestamp, data: %s", len(env), body)
	}
	if d, ok := env["data"].(map[string]any); ok && ev.Type != "transcoder" {
		name, _ := d["name"].(string)
		if name == "" {
			name, _ = d["streamName"].(string)
		}
		if name != ev.Name {
			t.Errorf("event Name %q, data names %q", ev.Name, name)
		}
	}
	env["at"] = json.Number(strconv.FormatInt(ev.Timestamp-conformanceStart, 10))
	return canonical(t, env)
}

func expectedEvents(t *testing.T, sc *scenario) []string {
	t.Helper()
	out := make([]string, 0, len(sc.Expect))
	for _, raw := range sc.Expect {
		var m map[string]any
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		if err := dec.Decode(&m); err != nil {
			t.Fatal(err)
		}
		at, _ := m["at"].(json.Number).Int64()
		ts, _ := m["timestamp"].(json.Number).Int64()
		if ts != conformanceStart+at {
			t.Fatalf("scenario %s: expected event with at %d and timestamp %d", sc.Name, at, ts)
		}
		out = append(out, canonical(t, m))
	}
	return out
}

// canonical is JSON with sorted keys (encoding/json sorts map keys).
func canonical(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// compareEvents compares as multisets and prints what is missing and what is extra.
func compareEvents(t *testing.T, got, want []string) {
	t.Helper()
	g, w := slices.Clone(got), slices.Clone(want)
	slices.Sort(g)
	slices.Sort(w)
	if slices.Equal(g, w) {
		return
	}
	var missing, extra []string
	i, j := 0, 0
	for i < len(g) || j < len(w) {
		switch {
		case j == len(w) || i < len(g) && g[i] < w[j]:
			extra = append(extra, g[i])
			i++
		case i == len(g) || w[j] < g[i]:
			missing = append(missing, w[j])
			j++
		default:
			i, j = i+1, j+1
		}
	}
	t.Errorf("events differ\nmissing:\n  %s\nextra:\n  %s", strings.Join(missing, "\n  "), strings.Join(extra, "\n  "))
}
