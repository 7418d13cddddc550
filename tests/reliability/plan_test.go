package reliability

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/hookcast/hookcast/internal/engine"
	"github.com/hookcast/hookcast/internal/ingest"
)

// planStart is the clock of "plan space", where plans are written and their
// expected events computed: the conformance scenarios' start
// (testdata/conformance/README.md). A run shifts it to the wall clock.
const planStart int64 = 1700000000000

// input is one signal of a plan, at ms after the plan's start. Its accountId is
// a placeholder that a run maps to an account of its own.
type input struct {
	at  int64
	sig map[string]any
}

// plan is signals to send in real time, one after the other, and the events the
// webhooks must receive: each JSON event in plan space (times from planStart,
// placeholder accounts).
type plan struct {
	name   string
	cfg    engine.Config // the durations the server must run with
	inputs []input
	until  int64
	expect []map[string]any
	// deadline[i] (ms after the start) is when a timer of input i's stream falls
	// due: the input must be committed before it, or the server's timer loop may
	// fire that timer first and the outcome differs (0: no such timer).
	deadline []int64
	// slack is the smallest distance between an input and a timer of its stream,
	// either side: the margin real time has to keep the plan's meaning.
	slack int64
}

// timing is where input i stands between its stream's timers.
type timing struct{ prevDue, nextDue int64 }

// simulate runs the engine over the inputs as the server does when each input
// arrives exactly at its time and the timer loop fires each timer exactly when
// due. It returns the events (in plan space) and each input's timing.
func simulate(cfg engine.Config, inputs []input, until int64) ([]map[string]any, []timing, error) {
	e := engine.New(cfg)
	states := map[engine.StreamKey]*engine.State{}
	var evs []engine.Event
	tims := make([]timing, len(inputs))
	for i, in := range inputs {
		t := planStart + in.at
		sig, err := decodeSignal(in.sig)
		if err != nil {
			return nil, nil, fmt.Errorf("input %d: %w", i, err)
		}
		var st *engine.State
		if sig.Stateful() {
			if st = states[sig.Stream()]; st == nil {
				st = engine.NewState(sig.Stream())
				states[sig.Stream()] = st
			}
			for {
				d := st.NextDue()
				if d == 0 || d > t {
					tims[i].nextDue = d
					break
				}
				tims[i].prevDue = d
				evs = append(evs, e.Fire(st, d)...)
			}
		}
		evs = append(evs, e.Apply(st, sig, t)...)
	}
	keys := make([]engine.StreamKey, 0, len(states))
	for k := range states {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(a, b int) bool { return keys[a].String() < keys[b].String() })
	for _, k := range keys {
		evs = append(evs, e.Fire(states[k], planStart+until)...)
	}
	out := make([]map[string]any, 0, len(evs))
	for _, ev := range evs {
		b, err := ev.Body()
		if err != nil {
			return nil, nil, err
		}
		m, err := decodeObject(b)
		if err != nil {
			return nil, nil, err
		}
		out = append(out, m)
	}
	return out, tims, nil
}

func decodeSignal(m map[string]any) (engine.Signal, error) {
	b, err := json.Marshal(m)
	if err != nil {
		return engine.Signal{}, err
	}
	sigs, err := ingest.DecodeSignals(b)
	if err != nil {
		return engine.Signal{}, err
	}
	return sigs[0], nil
}

// setTimings fills deadline and slack from the simulation.
func (p *plan) setTimings(tims []timing) {
	p.deadline = make([]int64, len(tims))
	p.slack = 1 << 62
	for i, tm := range tims {
		t := planStart + p.inputs[i].at
		if tm.prevDue > 0 {
			p.slack = min(p.slack, t-tm.prevDue)
		}
		if tm.nextDue > 0 {
			p.slack = min(p.slack, tm.nextDue-t)
			p.deadline[i] = tm.nextDue - planStart
		}
	}
}

func decodeObject(b []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("decode %s: %w", b, err)
	}
	return m, nil
}

// canonical is the comparable text of an event body: keys sorted, numbers as
// written.
func canonical(b []byte) (string, error) {
	m, err := decodeObject(b)
	if err != nil {
		return "", err
	}
	out, err := json.Marshal(m)
	return string(out), err
}

// remap moves a plan-space value into a run: placeholder accounts (also as the
// first part of a streamId) become real ones, epoch-ms numbers move from
// planStart to base.
func remap(v any, accounts map[string]string, base int64) any {
	switch x := v.(type) {
	case string:
		if r, ok := accounts[x]; ok {
			return r
		}
		if a, rest, ok := strings.Cut(x, "/"); ok {
			if r, ok := accounts[a]; ok {
				return r + "/" + rest
			}
		}
		return x
	case json.Number:
		if n, err := x.Int64(); err == nil && n >= planStart {
			return json.Number(strconv.FormatInt(base+n-planStart, 10))
		}
		return x
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = remap(e, accounts, base)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = remap(e, accounts, base)
		}
		return out
	}
	return v
}

// serveArgs are the flags that give a server the plan's durations.
func serveArgs(cfg engine.Config) []string {
	return []string{
		"--viewer-attempt-interval", cfg.ViewerAttemptInterval.String(),
		"--no-viewers-delay", cfg.NoViewersDelay.String(),
		"--feed-timeout", cfg.FeedTimeout.String(),
	}
}

func ms(v int64) time.Duration { return time.Duration(v) * time.Millisecond }
