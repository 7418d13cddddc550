package engine

import (
	"reflect"
	"testing"
)

func FuzzStateUnmarshal(f *testing.F) {
	e := New(Config{FeedTimeout: ms(5000)})
	st := NewState(StreamKey{acc, stream})
	p := 1.0
	sig := start("f1")
	sig.Priority, sig.SourceID = &p, "src"
	e.Apply(st, sig, 10)
	e.Apply(st, conn("v1"), 20)
	e.Apply(st, conn("v2"), 30)
	b, _ := st.MarshalBinary()
	f.Add(b)
	e.Apply(st, end("f1"), 40)
	b, _ = st.MarshalBinary()
	f.Add(b)
	e.Apply(st, disc("v1"), 50)
	e.Apply(st, disc("v2"), 60)
	b, _ = st.MarshalBinary()
	f.Add(b)
	f.Add(append(stateBytes(flagArmed, 100, 400, 0)[:len(stateBytes(flagArmed, 100, 400, 0))-1], 2, 2, 'v', '1', 2, 'v', '2')) // version 1 with ids
	f.Add([]byte{1, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		var st State
		if err := st.UnmarshalBinary(data); err != nil {
			return
		}
		again, err := st.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		var st2 State
		if err := st2.UnmarshalBinary(again); err != nil {
			t.Fatalf("re-encoding of an accepted state refused: %v", err)
		}
		if !reflect.DeepEqual(st.Snapshot(), st2.Snapshot()) {
			t.Fatal("re-encoding changed the state")
		}
		// Whatever was accepted must run without panicking.
		key := st.Key()
		if key == (StreamKey{}) {
			key = StreamKey{acc, stream}
		}
		for _, s := range []Signal{conn("v9"), att(), start("f9"), beat("f1"), end("f1"), disc("v1")} {
			s.AccountID, s.Name = key.AccountID, key.Name
			if id := s.Member(); id != "" && !st.ViewerKnown(id) {
				st.KnowViewer(id, len(data)%2 == 0) // either answer of a store must be safe
			}
			for _, ev := range e.Apply(&st, s, st.lastNow+1000) {
				if _, err := ev.Body(); err != nil {
					t.Fatal(err)
				}
			}
		}
		e.Fire(&st, st.lastNow+10_000_000)
		_ = st.Timers()
	})
}
