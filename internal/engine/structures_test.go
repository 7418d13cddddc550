package engine

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// TestTimerQueueOrder pushes keys in bursts that never go below the last one taken
// out (as due times do) and checks they come out sorted, negative keys included.
func TestTimerQueueOrder(t *testing.T) {
	t.Parallel()
	for _, base := range []int64{0, -5000, 1_700_000_000_000} {
		r := rand.New(rand.NewPCG(uint64(base+1), 2))
		var q timerQueue
		q.last = base
		var want, got []int64
		for round := range 200 {
			for range r.IntN(50) {
				k := q.last + r.Int64N(100_000)
				if round%7 == 0 {
					k = q.last // ties with the last one out
				}
				want = append(want, k)
				q.push(memItem{due: k})
			}
			for range r.IntN(60) {
				if q.n == 0 {
					break
				}
				min, _ := q.peek()
				it := q.pop()
				if it.due != min {
					t.Fatalf("peek %d, pop %d", min, it.due)
				}
				got = append(got, it.due)
			}
		}
		for q.n > 0 {
			got = append(got, q.pop().due)
		}
		if !slices.IsSorted(got) {
			t.Fatalf("base %d: keys out of order", base)
		}
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Fatalf("base %d: %d keys out, %d in", base, len(got), len(want))
		}
		if _, ok := q.peek(); ok {
			t.Fatal("empty queue peeks a key")
		}
	}
	var q timerQueue
	q.push(memItem{due: 100})
	q.pop()
	if k := q.push(memItem{due: 50}); k != 100 {
		t.Errorf("a key below the last one out is queued at %d, want 100", k)
	}
}

func TestViewerSet(t *testing.T) {
	t.Parallel()
	var vs viewerSet
	ids := []string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j"}
	for round := range 3 { // grow past the inline slots, empty, grow again
		for i, id := range ids {
			if !vs.add(id) || vs.add(id) || vs.len() != i+1 {
				t.Fatalf("round %d add %s: len %d", round, id, vs.len())
			}
		}
		var seen []string
		vs.each(func(id string) { seen = append(seen, id) })
		slices.Sort(seen)
		if !slices.Equal(seen, ids) {
			t.Fatalf("each: %v", seen)
		}
		for i, id := range slices.Backward(ids) {
			if vs.remove("zz") || !vs.remove(id) || vs.remove(id) || vs.len() != i {
				t.Fatalf("round %d remove %s: len %d", round, id, vs.len())
			}
		}
		if vs.m != nil {
			t.Fatal("an empty set keeps its map")
		}
	}
	for _, id := range ids[:3] { // inline only: removal from the middle
		vs.add(id)
	}
	if !vs.remove("a") || vs.add("b") || vs.add("c") || vs.len() != 2 {
		t.Fatal("inline removal lost an id")
	}
}

// TestStreamIndex checks the open-addressing index against a Go map, with hashes
// forced to collide so probe runs are long and wrap around the table.
func TestStreamIndex(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(7, 7))
	var x streamIndex
	ref := map[string]*memStream{}
	// Homes crowd the last slots of the table (runs wrap to its start) and the first.
	hashOf := func(name string) uint64 {
		k := uint64(name[len(name)-1]) + 7*uint64(name[len(name)-2])
		if k%2 == 0 {
			return ^uint64(0) - k%29
		}
		return 1 + k%23
	}
	ns := names(300)
	for step := range 20000 {
		name := ns[r.IntN(300)]
		h := hashOf(name)
		got := x.get(h, acc, name)
		if got != ref[name] {
			t.Fatalf("step %d: get %s = %p, want %p", step, name, got, ref[name])
		}
		switch {
		case got == nil:
			s := &memStream{h: h, st: State{key: StreamKey{acc, name}}}
			x.put(h, s)
			ref[name] = s
		case r.IntN(2) == 0:
			x.del(h, got)
			delete(ref, name)
		}
		if x.n != len(ref) {
			t.Fatalf("step %d: %d entries, want %d", step, x.n, len(ref))
		}
	}
	for name, s := range ref {
		if x.get(hashOf(name), acc, name) != s {
			t.Fatalf("%s lost", name)
		}
	}
}
