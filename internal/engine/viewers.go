package engine

import "hash/maphash"

// smallViewers is how many viewers a stream keeps inline before it needs a map (8,
// like the small form of a Go map). Most streams have few viewers at a time; keeping
// them inside the State saves the two cache misses of a map on every join and leave,
// which is most of the traffic.
const smallViewers = 8

// viewerSet is the set of connected viewer ids of a stream: inline while small, a map
// once larger. The zero value is an empty set.
type viewerSet struct {
	n int // number of viewers
	// The inline form: hashes apart from the ids, so a lookup scans one cache line
	// of hashes and compares the bytes of an id only on a likely match.
	hs  [smallViewers]uint64
	ids [smallViewers]string
	m   map[string]struct{} // non-nil once the set outgrew the inline form, which is then unused
}

// viewerSeed is only for in-memory lookups; nothing hashed with it is persisted.
var viewerSeed = maphash.MakeSeed()

func (vs *viewerSet) len() int { return vs.n }

func (vs *viewerSet) find(h uint64, id string) int {
	for i := range vs.n {
		if vs.hs[i] == h && vs.ids[i] == id {
			return i
		}
	}
	return -1
}

// add inserts id and reports whether it was absent.
func (vs *viewerSet) add(id string) bool {
	if vs.m != nil {
		if _, ok := vs.m[id]; ok {
			return false
		}
		vs.m[id] = struct{}{}
		vs.n++
		return true
	}
	h := maphash.String(viewerSeed, id)
	if vs.find(h, id) >= 0 {
		return false
	}
	if vs.n < smallViewers {
		vs.hs[vs.n], vs.ids[vs.n] = h, id
		vs.n++
		return true
	}
	vs.m = make(map[string]struct{}, 2*smallViewers)
	for i := range vs.ids {
		vs.m[vs.ids[i]] = struct{}{}
	}
	vs.hs, vs.ids = [smallViewers]uint64{}, [smallViewers]string{}
	vs.m[id] = struct{}{}
	vs.n++
	return true
}

// remove deletes id and reports whether it was present. An emptied map is released:
// Go maps never shrink, and a stream that once had a crowd should not keep its room.
func (vs *viewerSet) remove(id string) bool {
	if vs.m != nil {
		if _, ok := vs.m[id]; !ok {
			return false
		}
		delete(vs.m, id)
		vs.n--
		if vs.n == 0 {
			vs.m = nil
		}
		return true
	}
	i := vs.find(maphash.String(viewerSeed, id), id)
	if i < 0 {
		return false
	}
	vs.n--
	vs.hs[i], vs.ids[i] = vs.hs[vs.n], vs.ids[vs.n]
	vs.hs[vs.n], vs.ids[vs.n] = 0, ""
	return true
}

// each calls fn for every viewer id, in no particular order.
func (vs *viewerSet) each(fn func(id string)) {
	if vs.m != nil {
		for id := range vs.m {
			fn(id)
		}
		return
	}
	for i := range vs.n {
		fn(vs.ids[i])
	}
}
