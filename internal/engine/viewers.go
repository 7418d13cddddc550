package engine

import "hash/maphash"

// smallViewers is how many viewers a stream keeps inline before it needs a map (8,
// like the small form of a Go map). Most streams have few viewers at a time; keeping
// them inside the State saves the two cache misses of a map on every join and leave,
// which is most of the traffic.
const smallViewers = 8

// Flags of a viewer id the set holds.
const (
	vMember = 1 << iota // connected now
	vStored             // the store holds it as connected (as told by KnowViewer)
)

// viewerSet is the set of connected viewer ids of a stream: inline while small, a map
// once larger. The zero value is an empty set.
//
// A store keeps the members apart from the encoded state (codec.go, version 2), so a
// decoded set knows only how many there are: it is partial. Before a signal names a
// viewer, the holder looks that id up in its store and tells the set (know); the
// set then records what the engine changes (member vs vStored) and hands the
// difference back (changes). So a join or leave costs the same with 10 or
// 100,000 viewers: nothing but the named id and the count is read or written.
// A set built by signals alone (NewState) holds every member and is complete.
//
// The counts are 32 bits and the flags sit beside them, so the set is 16 bytes
// larger than before it could be partial, not 32: a State in memory is mostly this.
type viewerSet struct {
	n    int32 // connected viewers, held here or not (at most maxViewers)
	held int32 // of them, those held here with vMember: the set is complete when held == n
	k    uint8 // entries held inline (m == nil)
	// cleared: every member was removed at once (feed.ended with viewersClosed),
	// so the store drops all it holds before the changes recorded after.
	cleared bool
	// apart: the store keeps the members (decoded from version 2, or grown past
	// Config.InlineViewers); else the encoding holds them and the store none.
	apart bool
	// The inline form: hashes apart from the ids, so a lookup scans one cache line
	// of hashes and compares the bytes of an id only on a likely match. An entry
	// with no flag is an id known not to be connected (kept while the set is
	// partial), or one of vStored alone, removed since the load.
	fl  [smallViewers]uint8
	hs  [smallViewers]uint64
	ids [smallViewers]string
	m   map[string]uint8 // non-nil once the entries outgrew the inline form, which is then unused
}

// viewerSeed is only for in-memory lookups; nothing hashed with it is persisted.
var viewerSeed = maphash.MakeSeed()

func (vs *viewerSet) len() int { return int(vs.n) }

func (vs *viewerSet) complete() bool { return vs.held == vs.n }

func (vs *viewerSet) find(h uint64, id string) int {
	for i := range int(vs.k) {
		if vs.hs[i] == h && vs.ids[i] == id {
			return i
		}
	}
	return -1
}

// lookup returns the flags of id and whether the set holds it.
func (vs *viewerSet) lookup(id string) (uint8, bool) {
	if vs.m != nil {
		f, ok := vs.m[id]
		return f, ok
	}
	if i := vs.find(maphash.String(viewerSeed, id), id); i >= 0 {
		return vs.fl[i], true
	}
	return 0, false
}

// insert adds the entry id (hashed h), which the set does not hold.
func (vs *viewerSet) insert(h uint64, id string, f uint8) {
	if vs.m != nil {
		vs.m[id] = f
		return
	}
	if vs.k < smallViewers {
		vs.hs[vs.k], vs.ids[vs.k], vs.fl[vs.k] = h, id, f
		vs.k++
		return
	}
	vs.m = make(map[string]uint8, 2*smallViewers)
	for i := range vs.k {
		vs.m[vs.ids[i]] = vs.fl[i]
	}
	vs.hs, vs.ids, vs.fl, vs.k = [smallViewers]uint64{}, [smallViewers]string{}, [smallViewers]uint8{}, 0
	vs.m[id] = f
}

// unknown panics: a partial set asked about an id its holder did not look up is
// a bug of the holder, not something to guess.
func unknown(id string) {
	panic("engine: viewer " + id + " of a partially loaded stream state was not looked up (State.KnowViewer)")
}

// add inserts id and reports whether it was absent. One lookup, as before the
// set could be partial: this is most of the traffic.
func (vs *viewerSet) add(id string) bool {
	if vs.m != nil {
		f, ok := vs.m[id]
		if !ok && !vs.complete() {
			unknown(id)
		}
		if f&vMember != 0 {
			return false
		}
		vs.n++
		vs.held++
		vs.m[id] = f | vMember
		return true
	}
	h := maphash.String(viewerSeed, id)
	i := vs.find(h, id)
	if i >= 0 {
		if vs.fl[i]&vMember != 0 {
			return false
		}
		vs.fl[i] |= vMember
	} else {
		if !vs.complete() {
			unknown(id)
		}
		vs.insert(h, id, vMember)
	}
	vs.n++
	vs.held++
	return true
}

// remove deletes id and reports whether it was present. An entry left with no
// flag is dropped once the set is complete (an id not held is then not
// connected anyway); an emptied map is released: Go maps never shrink, and a
// stream that once had a crowd should not keep its room.
func (vs *viewerSet) remove(id string) bool {
	if vs.m != nil {
		f, ok := vs.m[id]
		if !ok && !vs.complete() {
			unknown(id)
		}
		if f&vMember == 0 {
			return false
		}
		vs.n--
		vs.held--
		if f &^= vMember; f != 0 || !vs.complete() {
			vs.m[id] = f
		} else if delete(vs.m, id); len(vs.m) == 0 {
			vs.m = nil
		}
		return true
	}
	i := vs.find(maphash.String(viewerSeed, id), id)
	if i < 0 {
		if !vs.complete() {
			unknown(id)
		}
		return false
	}
	if vs.fl[i]&vMember == 0 {
		return false
	}
	vs.n--
	vs.held--
	if vs.fl[i] &^= vMember; vs.fl[i] != 0 || !vs.complete() {
		return true
	}
	vs.k--
	vs.hs[i], vs.ids[i], vs.fl[i] = vs.hs[vs.k], vs.ids[vs.k], vs.fl[vs.k]
	vs.hs[vs.k], vs.ids[vs.k], vs.fl[vs.k] = 0, "", 0
	return true
}

// clear removes every member, held or not.
func (vs *viewerSet) clear() { *vs = viewerSet{cleared: true, apart: vs.apart} }

// know records whether the store holds id as connected, unless the set already
// knows (it holds id, or it is complete).
func (vs *viewerSet) know(id string, stored bool) {
	if _, ok := vs.lookup(id); ok || vs.complete() {
		return
	}
	if stored {
		vs.held++
		vs.insert(maphash.String(viewerSeed, id), id, vMember|vStored)
	} else {
		vs.insert(maphash.String(viewerSeed, id), id, 0)
	}
}

// each calls fn for every entry held, in no particular order.
func (vs *viewerSet) each(fn func(id string, f uint8)) {
	if vs.m != nil {
		for id, f := range vs.m {
			fn(id, f)
		}
		return
	}
	for i := range vs.k {
		fn(vs.ids[i], vs.fl[i])
	}
}

// ViewerChanges is what a store does to the members it keeps apart so that they
// are the state's again: first, if Cleared, remove them all; then remove Removed
// and add Added. Neither list holds an id twice or an id of the other.
type ViewerChanges struct {
	Cleared        bool
	Added, Removed []string
}

// ViewerChanges returns how the connected viewers differ from those the store
// holds: since the state was decoded, as told by KnowViewer. While the state
// holds its viewers inline (Config.InlineViewers) there are none; when it grows
// past that, every viewer it held is Added, moving out of the encoding. The
// state is saved once per load: a holder that keeps it after saving decodes it
// again.
func (st *State) ViewerChanges() ViewerChanges {
	if !st.viewers.apart {
		return ViewerChanges{} // the ids are in the encoding
	}
	c := ViewerChanges{Cleared: st.viewers.cleared}
	st.viewers.each(func(id string, f uint8) {
		switch f {
		case vMember:
			c.Added = append(c.Added, id)
		case vStored:
			c.Removed = append(c.Removed, id)
		}
	})
	return c
}

// ViewerKnown reports whether the state knows if viewer id is connected. It
// always does, except after decoding an encoding that keeps its viewers apart
// (MarshalBinary) while some are connected: then a signal that names a viewer
// (Signal.Member) may be applied only once its holder told the state about that
// viewer (KnowViewer).
func (st *State) ViewerKnown(id string) bool {
	_, ok := st.viewers.lookup(id)
	return ok || st.viewers.complete()
}

// KnowViewer tells the state whether its store holds viewer id as connected. An
// id the state already knows is left as it is (the state's own changes are newer
// than the store).
func (st *State) KnowViewer(id string, connected bool) { st.viewers.know(id, connected) }
