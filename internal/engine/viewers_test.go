package engine

import (
	"slices"
	"testing"
)

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
