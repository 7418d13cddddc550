package engine

import (
	"slices"
	"strconv"
	"strings"
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
		vs.each(func(id string, _ uint8) { seen = append(seen, id) })
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

// TestPartialViewers: a state decoded with its viewers kept apart knows their count
// only; told about the ids signals name, it applies them as the full set would
// and reports exactly the rows to change.
func TestPartialViewers(t *testing.T) {
	t.Parallel()
	e := New(Config{InlineViewers: -1})
	full := NewState(StreamKey{acc, stream})
	e.Apply(full, start("f1"), t0)
	for i := range 20 { // past the inline slots
		e.Apply(full, conn("v"+strconv.Itoa(i)), t0)
	}
	if c := full.ViewerChanges(); len(c.Added) != 20 || len(c.Removed) != 0 || c.Cleared {
		t.Fatalf("changes of a state built by signals: %+v", c)
	}
	b, _ := full.MarshalBinary()
	if b[0] != codecVersion {
		t.Fatalf("a state with viewers written as version %d", b[0])
	}
	if len(b) > 40 {
		t.Errorf("%d bytes for 20 viewers: the ids are in the encoding", len(b))
	}
	load := func() *State { return decoded(t, b) }

	st := load()
	if st.Viewers() != 20 || st.ViewerKnown("v3") || st.ViewerKnown("new") {
		t.Fatalf("decoded: %d viewers, knows v3 %v, new %v", st.Viewers(), st.ViewerKnown("v3"), st.ViewerKnown("new"))
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Error("a viewer not looked up was applied")
			}
		}()
		e.Apply(st, conn("unasked"), t0+1)
	}()

	st = load()
	st.KnowViewer("v3", true)
	st.KnowViewer("v4", true)
	st.KnowViewer("new", false)
	st.KnowViewer("v3", false) // known already: the first answer stands
	for _, sig := range []Signal{disc("v3"), conn("new"), conn("v4"), disc("new"), conn("new"), disc("v4"), conn("v4")} {
		if evs := e.Apply(st, sig, t0+2); len(evs) != 0 {
			t.Fatalf("%s %s: %d events", sig.Kind, sig.ViewerID, len(evs))
		}
	}
	c := st.ViewerChanges()
	if c.Cleared || !slices.Equal(c.Added, []string{"new"}) || !slices.Equal(c.Removed, []string{"v3"}) || st.Viewers() != 20 {
		t.Fatalf("changes %+v, %d viewers", c, st.Viewers())
	}

	// Leaves until none is left: the set is complete again, an unknown id is absent.
	st = load()
	for i := range 20 {
		id := "v" + strconv.Itoa(i)
		st.KnowViewer(id, true)
		e.Apply(st, disc(id), t0+3)
	}
	if st.Viewers() != 0 || !st.ViewerKnown("anyone") {
		t.Fatalf("all left: %d viewers, complete %v", st.Viewers(), st.ViewerKnown("anyone"))
	}
	if evs := e.Apply(st, disc("anyone"), t0+4); len(evs) != 0 {
		t.Fatal("an unknown viewer's leave made events")
	}
	if c := st.ViewerChanges(); len(c.Added) != 0 || len(c.Removed) != 20 {
		t.Fatalf("changes after all left: %d added, %d removed", len(c.Added), len(c.Removed))
	}
	if b, _ := st.MarshalBinary(); b[0] != codecWithViewers {
		t.Errorf("a state with no viewer written as version %d, want 1 (earlier builds read it)", b[0])
	}

	// The media server closed every viewer with the last feed: the rows all go,
	// known or not, and a viewer joining after is added.
	st = load()
	st.KnowViewer("v1", true)
	end := end("f1")
	end.ViewersClosed = true
	e.Apply(st, end, t0+5)
	if !st.ViewerKnown("v1") || !st.ViewerKnown("v2") || st.Viewers() != 0 {
		t.Fatal("closed viewers still counted or unknown")
	}
	e.Apply(st, conn("v2"), t0+6)
	if c := st.ViewerChanges(); !c.Cleared || !slices.Equal(c.Added, []string{"v2"}) || len(c.Removed) != 0 {
		t.Fatalf("changes after viewersClosed: %+v", c)
	}
}

// TestVersion1ViewersMove: a state with its viewer ids in it (an earlier build's,
// or one within Config.InlineViewers) keeps them inline while it stays small;
// grown past the limit, every viewer is Added, so the save moves them to rows.
func TestVersion1ViewersMove(t *testing.T) {
	t.Parallel()
	b := stateBytes(flagArmed, 100, 400, 0)
	b = append(b[:len(b)-1], 2, 2, 'v', '1', 2, 'v', '2')
	load := func() *State { return decoded(t, b) }
	st := load()
	if !st.ViewerKnown("v3") || st.Viewers() != 2 {
		t.Fatalf("version 1 state: complete %v, %d viewers", st.ViewerKnown("v3"), st.Viewers())
	}
	New(DefaultConfig()).Apply(st, disc("v1"), 200)
	if c := st.ViewerChanges(); len(c.Added)+len(c.Removed) != 0 {
		t.Fatalf("changes of a small audience: %+v", c)
	}
	if again, _ := st.MarshalBinary(); again[0] != codecWithViewers || !strings.Contains(string(again), "v2") {
		t.Errorf("a small audience re-encoded % x", again)
	}

	st = load()
	New(Config{InlineViewers: 2}).Apply(st, conn("v3"), 200)
	c := st.ViewerChanges()
	slices.Sort(c.Added)
	if !slices.Equal(c.Added, []string{"v1", "v2", "v3"}) || len(c.Removed) != 0 {
		t.Fatalf("changes past the limit: %+v", c)
	}
	if again, _ := st.MarshalBinary(); again[0] != codecVersion || strings.Contains(string(again), "v2") {
		t.Errorf("past the limit re-encoded % x", again)
	}
}
