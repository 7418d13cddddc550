package storetest

import (
	"strconv"
	"testing"

	"github.com/hookcast/hookcast/internal/store"
)

// testViewers: SaveViewers adds, removes and clears a stream's viewers (more of
// each than one statement takes), Viewers finds exactly those held, per stream,
// and adding a viewer held already keeps it once.
func testViewers(t *testing.T, s store.Store) {
	c := ctx(t)
	cam, show, other := store.StreamKey{AccountID: "A", Name: "cam"}, store.StreamKey{AccountID: "A", Name: "show"},
		store.StreamKey{AccountID: "B", Name: "cam"}
	vk := func(k store.StreamKey, id string) store.ViewerKey {
		return store.ViewerKey{AccountID: k.AccountID, Name: k.Name, ViewerID: id}
	}
	const n = 601
	var add []store.ViewerKey
	for i := range n {
		add = append(add, vk(cam, "v"+strconv.Itoa(i)))
	}
	add = append(add, vk(show, "v1"), vk(show, "v2"), vk(other, "v1"))
	must(t, s.InTx(c, func(tx store.Tx) error { return tx.SaveViewers(c, store.ViewerChanges{Add: add}) }))

	held := func(keys ...store.ViewerKey) map[store.ViewerKey]bool {
		t.Helper()
		var got map[store.ViewerKey]bool
		must(t, s.InTx(c, func(tx store.Tx) error {
			var err error
			got, err = tx.Viewers(c, keys)
			return err
		}))
		return got
	}
	ask := append([]store.ViewerKey{vk(show, "v3"), vk(store.StreamKey{AccountID: "A", Name: "none"}, "v1")}, add...)
	got := held(ask...)
	if len(got) != len(add) {
		t.Fatalf("Viewers found %d of %d held", len(got), len(add))
	}
	for _, k := range add {
		if !got[k] {
			t.Fatalf("Viewers misses %+v", k)
		}
	}
	if got := held(); len(got) != 0 {
		t.Fatalf("Viewers of no key: %v", got)
	}

	// Remove the odd viewers of cam, clear show, add one to show again (after
	// the clear) and one held already: in one call.
	var rm []store.ViewerKey
	for i := 1; i < n; i += 2 {
		rm = append(rm, vk(cam, "v"+strconv.Itoa(i)))
	}
	must(t, s.InTx(c, func(tx store.Tx) error {
		return tx.SaveViewers(c, store.ViewerChanges{Clear: []store.StreamKey{show}, Remove: rm,
			Add: []store.ViewerKey{vk(show, "v9"), vk(cam, "v0")}})
	}))
	got = held(append(ask, vk(show, "v9"))...)
	for _, k := range append(ask, vk(show, "v9")) {
		want := k == vk(show, "v9") || k == vk(other, "v1")
		if k.Stream() == cam {
			i, _ := strconv.Atoi(k.ViewerID[1:])
			want = i%2 == 0
		}
		if got[k] != want {
			t.Fatalf("after the changes, %+v held = %v, want %v", k, got[k], want)
		}
	}
	if len(got) != (n+1)/2+2 {
		t.Fatalf("after the changes, %d held, want %d", len(got), (n+1)/2+2)
	}
}
