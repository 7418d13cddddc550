package engine

import (
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
)

// randomSignals is a deterministic mixed sequence on one stream, with times that
// mostly advance (sometimes lag), covering every stateful kind; every viewer
// leaves at the end.
func randomSignals(seed uint64, n int) ([]Signal, []int64) {
	r := rand.New(rand.NewPCG(seed, 1))
	sigs, times := make([]Signal, n), make([]int64, n)
	now := int64(t0)
	for i := range n {
		now += r.Int64N(8000) - 500
		times[i] = now
		v, f := "v"+string(rune('a'+r.IntN(4))), "f"+string(rune('a'+r.IntN(3)))
		switch r.IntN(7) {
		case 0:
			sigs[i] = conn(v)
		case 1:
			sigs[i] = disc(v)
		case 2:
			sigs[i] = att()
		case 3:
			sigs[i] = start(f)
			if r.IntN(2) == 0 {
				p := float64(r.IntN(3))
				sigs[i].Priority, sigs[i].SourceID = &p, "src"
			}
		case 4:
			sigs[i] = end(f)
			sigs[i].ViewersClosed = r.IntN(3) == 0
		case 5:
			sigs[i] = beat(f)
		default:
			sigs[i] = conn(v + "x")
		}
	}
	for _, v := range []string{"va", "vb", "vc", "vd", "vax", "vbx", "vcx", "vdx"} { // everyone leaves
		now += 10
		sigs, times = append(sigs, disc(v)), append(times, now)
	}
	return sigs, times
}

// TestStateRoundTripPreservesBehaviour applies a long random sequence twice: straight,
// and with the state encoded and decoded at many points, its viewers kept apart
// as a store keeps them and looked up only as signals name them (ViewerRows).
// Every event must be the same.
func TestStateRoundTripPreservesBehaviour(t *testing.T) {
	t.Parallel()
	for seed := range uint64(30) {
		inline := []int{-1, 2, 0}[seed%3] // every viewer in rows, a few inline, all inline
		e := New(Config{ViewerAttemptInterval: ms(3000), NoViewersDelay: ms(20000), FeedTimeout: ms(15000), InlineViewers: inline})
		sigs, times := randomSignals(seed, 400)
		run := func(reloadEvery int) []string {
			st := NewState(StreamKey{acc, stream})
			rows := ViewerRows{}
			var out []string
			for i := range sigs {
				if reloadEvery > 0 && i%reloadEvery == 0 {
					b := rows.Save(t, st)
					fresh := NewState(StreamKey{acc, stream})
					if err := fresh.UnmarshalBinary(b); err != nil {
						t.Fatalf("seed %d step %d: %v", seed, i, err)
					}
					if !reflect.DeepEqual(fresh.Snapshot(), st.Snapshot()) || !slices.Equal(fresh.Timers(), st.Timers()) {
						t.Fatalf("seed %d step %d: decoded state differs", seed, i)
					}
					st = fresh
				}
				if reloadEvery > 0 {
					rows.Tell(st, &sigs[i])
				}
				for _, ev := range e.Apply(st, sigs[i], times[i]) {
					b, _ := ev.Body()
					out = append(out, string(b))
				}
			}
			for _, ev := range e.Fire(st, times[len(times)-1]+1_000_000) {
				b, _ := ev.Body()
				out = append(out, string(b))
			}
			if !st.AtRest() || st.Idle() {
				t.Errorf("seed %d: long after the last signal, at rest %v, idle %v (want true, false: the clock is kept): %+v",
					seed, st.AtRest(), st.Idle(), st.Snapshot())
			}
			if evs := e.Fire(st, times[len(times)-1]+1_000_000+e.forget); len(evs) != 0 || !st.Idle() {
				t.Errorf("seed %d: ForgetAfter later, %d events, idle %v", seed, len(evs), st.Idle())
			}
			return out
		}
		want := run(0)
		if len(want) < 50 {
			t.Fatalf("seed %d: only %d events, the sequence tests too little", seed, len(want))
		}
		for _, every := range []int{1, 7, 200} {
			if got := run(every); !slices.Equal(got, want) {
				t.Fatalf("seed %d reload every %d: %d events, want %d; first difference at %d", seed, every, len(got), len(want), firstDiff(got, want))
			}
		}
	}
}

func firstDiff(a, b []string) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

func TestStateUnmarshalRejects(t *testing.T) {
	t.Parallel()
	e := New(DefaultConfig())
	st := NewState(StreamKey{acc, stream})
	e.Apply(st, start("f1"), 100)
	e.Apply(st, conn("v1"), 200)
	good, _ := st.MarshalBinary()

	armedNoViewers := NewState(StreamKey{acc, stream})
	armedNoViewers.armed = true // no timer: the engine never leaves this
	bad1, _ := armedNoViewers.MarshalBinary()
	viewersUnarmed := NewState(StreamKey{acc, stream})
	viewersUnarmed.viewers.add("v")
	bad2, _ := viewersUnarmed.MarshalBinary()

	tests := []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"unknown version", append([]byte{9}, good[1:]...)},
		{"truncated", good[:len(good)-1]},
		{"trailing byte", append(slices.Clone(good), 0)},
		{"unknown flag", append([]byte{1, 0x80, 0x01}, good[2:]...)},
		{"huge count", []byte{1, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x0f}},
		{"huge viewer count", binary.AppendUvarint(append([]byte{codecVersion}, stateBytes(flagArmed, 1, 2, 0)[1:len(stateBytes(flagArmed, 1, 2, 0))-1]...), 1<<41)},
		{"armed without a timer", bad1},
		{"viewers without interest", bad2},
		{"a clock kept while not at rest", stateBytes(0, 100, 500, 60_100)}, // an attempt window open
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			target := NewState(StreamKey{acc, stream})
			e.Apply(target, att(), 50)
			before, _ := target.MarshalBinary()
			err := target.UnmarshalBinary(tt.data)
			if !errors.Is(err, ErrBadState) {
				t.Fatalf("error %v, want ErrBadState", err)
			}
			if after, _ := target.MarshalBinary(); string(after) != string(before) {
				t.Error("a refused decode changed the state")
			}
		})
	}
	other := NewState(StreamKey{acc, "other"})
	if err := other.UnmarshalBinary(good); !errors.Is(err, ErrBadState) {
		t.Errorf("another stream's state accepted: %v", err)
	}
	var zero State
	if err := zero.UnmarshalBinary(good); err != nil || zero.Key() != (StreamKey{acc, stream}) || zero.Viewers() != 1 || !zero.Live() {
		t.Errorf("zero state decode: %v %+v", err, zero.Snapshot())
	}
}

// stateBytes is the encoding of a state of ACC/show with no feed and no viewer,
// written by hand as version 1 lays it out.
func stateBytes(flags uint64, lastNow, windowEnd, third int64) []byte {
	b := []byte{1}
	b = binary.AppendUvarint(b, flags)
	b = binary.AppendVarint(b, lastNow)
	b = binary.AppendVarint(b, windowEnd)
	b = binary.AppendVarint(b, third)
	b = appendString(b, acc)
	b = appendString(b, stream)
	return append(b, 0, 0)
}

// TestStateEncodingKeepsVersion1: a state keeping its clock is written in the
// layout of version 1, its forget time in the slot of quietDue (unused unarmed),
// so builds from before it read it (as an idle state, which they drop) and it
// reads theirs; an armed state's bytes are unchanged.
func TestStateEncodingKeepsVersion1(t *testing.T) {
	t.Parallel()
	e := New(Config{ViewerAttemptInterval: ms(300), NoViewersDelay: ms(1000), ForgetAfter: ms(5000)})
	st := NewState(StreamKey{acc, stream})
	e.Apply(st, att(), 100)
	if b, _ := st.MarshalBinary(); string(b) != string(stateBytes(flagArmed, 100, 400, 1100)) {
		t.Errorf("armed state encoded as % x", b)
	}
	e.Fire(st, 1103)
	b, _ := st.MarshalBinary()
	if want := stateBytes(0, 1103, 0, 6103); string(b) != string(want) {
		t.Fatalf("state at rest encoded as % x, want % x", b, want)
	}
	fresh := NewState(StreamKey{acc, stream})
	if err := fresh.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	if want := []Timer{{StreamKey{acc, stream}, TimerForget, 6103, ""}}; !slices.Equal(fresh.Timers(), want) || !fresh.AtRest() || fresh.Idle() {
		t.Errorf("decoded: timers %v, at rest %v, idle %v", fresh.Timers(), fresh.AtRest(), fresh.Idle())
	}
	// A version 1 state of an earlier build: an armed stream, its quietDue read as such.
	old := NewState(StreamKey{acc, stream})
	if err := old.UnmarshalBinary(stateBytes(flagArmed, 100, 400, 1100)); err != nil {
		t.Fatal(err)
	}
	if want := []Timer{{StreamKey{acc, stream}, TimerNoViewers, 1100, ""}}; !slices.Equal(old.Timers(), want) || !old.Snapshot().Armed {
		t.Errorf("earlier state's timers %v, want %v", old.Timers(), want)
	}
}
