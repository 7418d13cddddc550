package engine

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// The persisted form of a State, version 2:
//
//	byte     version (2; 1 when the viewer ids are inline, see below)
//	uvarint  flags: 1 armed, 2 firstDone
//	varint   lastNow, windowEnd, then quietDue while armed, else forgetAt
//	string   accountId, name            (string = uvarint length + bytes)
//	uvarint  feed count, then per feed:
//	         string id; varint started, due; byte 1 if priority then 8 bytes
//	         float64 bits (little endian); string sourceId, simulcastId
//	uvarint  viewer count
//
// The connected viewer ids are not in it: a store keeps them apart, one row each
// (ViewerChanges, KnowViewer), so a join or leave rewrites a few bytes, not an
// audience. Timers are not stored apart: they follow from these fields, so a
// restored state fires exactly what the saved one would have.
//
// Version 1 is the same with one string per viewer after the count. A state
// with no more viewers than Config.InlineViewers ever had since it last had none
// is written so (most streams: no row to read or write per join or leave), and
// earlier builds read it; they refuse a version 2. Viewers come in map order:
// two encodings of one state may differ in bytes, never in behaviour.
//
// quietDue means something only while the stream is armed, and forgetAt only
// while it is at rest, never armed: they share one slot, and a state keeping its
// clock is written in the version 1 that came before forgetAt. Earlier builds read
// it as an idle state (they ignore a quietDue when not armed) and drop it, so
// running them again after this one neither fails on such a state nor does worse
// than they always did; states they wrote read here as they always did, since
// they never leave a quietDue unarmed.
const (
	codecVersion     = 2
	codecWithViewers = 1 // version 1: the viewer ids follow their count
	flagArmed        = 1
	flagFirstDone    = 2
	// maxViewers bounds a decoded viewer count, so corrupt data cannot claim an
	// audience no store could hold (and it fits the set's count).
	maxViewers = 1<<31 - 1
)

// ErrBadState is wrapped by UnmarshalBinary for data that is not a valid state.
var ErrBadState = errors.New("engine: invalid stream state")

// MarshalBinary encodes the state compactly for a store.
func (st *State) MarshalBinary() ([]byte, error) {
	n := 32 + len(st.key.AccountID) + len(st.key.Name)
	for _, f := range st.feeds {
		n += 40 + len(f.id) + len(f.sourceID) + len(f.simulcastID)
	}
	inline := !st.viewers.apart || st.viewers.len() == 0 // with no viewer, version 1 is the same bytes
	if inline {
		st.viewers.each(func(id string, f uint8) {
			if f&vMember != 0 {
				n += 2 + len(id)
			}
		})
	}
	b := make([]byte, 0, n)
	if inline {
		b = append(b, codecWithViewers)
	} else {
		b = append(b, codecVersion)
	}
	var flags uint64
	if st.armed {
		flags |= flagArmed
	}
	if st.firstDone {
		flags |= flagFirstDone
	}
	b = binary.AppendUvarint(b, flags)
	b = binary.AppendVarint(b, st.lastNow)
	b = binary.AppendVarint(b, st.windowEnd)
	if st.armed {
		b = binary.AppendVarint(b, st.quietDue)
	} else {
		b = binary.AppendVarint(b, st.forgetAt)
	}
	b = appendString(b, st.key.AccountID)
	b = appendString(b, st.key.Name)
	b = binary.AppendUvarint(b, uint64(len(st.feeds)))
	for _, f := range st.feeds {
		b = appendString(b, f.id)
		b = binary.AppendVarint(b, f.started)
		b = binary.AppendVarint(b, f.due)
		if f.priority != nil {
			b = append(b, 1)
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(*f.priority))
		} else {
			b = append(b, 0)
		}
		b = appendString(b, f.sourceID)
		b = appendString(b, f.simulcastID)
	}
	b = binary.AppendUvarint(b, uint64(st.viewers.len()))
	if inline {
		st.viewers.each(func(id string, f uint8) {
			if f&vMember != 0 {
				b = appendString(b, id)
			}
		})
	}
	return b, nil
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// UnmarshalBinary replaces the state with a decoded one. Anything that is not a state
// MarshalBinary (of this build or of one that wrote version 1) could have written
// is refused with an error wrapping ErrBadState, and st is left as it was. A
// state already bound to a stream refuses another stream's data. With viewers
// connected, a version 2 state knows only their count: see ViewerKnown.
func (st *State) UnmarshalBinary(data []byte) error {
	d := decoder{b: data}
	var n State
	version := d.byte()
	if version != codecVersion && version != codecWithViewers {
		return fmt.Errorf("%w: unknown version %d", ErrBadState, version)
	}
	flags := d.uvarint()
	n.armed, n.firstDone = flags&flagArmed != 0, flags&flagFirstDone != 0
	n.lastNow, n.windowEnd = d.varint(), d.varint()
	if n.armed {
		n.quietDue = d.varint()
	} else {
		n.forgetAt = d.varint()
	}
	n.key = StreamKey{d.string(), d.string()}
	if nf := d.count(); nf > 0 {
		n.feeds = make([]feed, 0, nf)
		for range nf {
			f := feed{id: d.string(), started: d.varint(), due: d.varint()}
			if d.byte() == 1 {
				p := math.Float64frombits(binary.LittleEndian.Uint64(d.take(8)))
				f.priority = &p
			}
			f.sourceID, f.simulcastID = d.string(), d.string()
			n.feeds = append(n.feeds, f)
		}
	}
	if version == codecWithViewers {
		for range d.count() {
			if !n.viewers.add(d.string()) && d.err == nil {
				d.fail("duplicate viewer")
			}
		}
	} else if nv := d.uvarint(); nv > maxViewers {
		d.fail("viewer count out of range")
	} else {
		n.viewers.n, n.viewers.apart = int32(nv), true // none held: the store keeps them
	}
	if d.err == nil && len(d.b) > 0 {
		d.fail("trailing bytes")
	}
	if d.err == nil {
		d.err = n.check(flags)
	}
	if d.err != nil {
		return fmt.Errorf("%w: %w", ErrBadState, d.err)
	}
	if st.key != (StreamKey{}) && st.key != n.key {
		return fmt.Errorf("%w: state of %s, not of %s", ErrBadState, n.key, st.key)
	}
	*st = n
	st.feedsChanged()
	st.settle()
	return nil
}

// check refuses what the engine never produces, so a restored state keeps the
// invariants the rules rely on.
func (st *State) check(flags uint64) error {
	switch {
	case flags&^(flagArmed|flagFirstDone) != 0:
		return errors.New("unknown flags")
	case st.key != (StreamKey{}) && (!validName(st.key.AccountID) || !validName(st.key.Name)):
		return errors.New("bad stream key")
	case st.windowEnd < 0 || st.quietDue < 0 || st.forgetAt < 0:
		return errors.New("negative due time")
	case st.forgetAt > 0 && !st.atRest():
		return errors.New("a clock kept for a stream not at rest")
	case st.viewers.len() > 0 && !st.armed:
		return errors.New("viewers without interest")
	case st.armed && st.viewers.len() == 0 && st.quietDue == 0:
		return errors.New("interest without a noActiveViewers timer")
	}
	for i, f := range st.feeds {
		if !validID(f.id) || f.due < 0 || f.sourceID != "" && !validID(f.sourceID) || f.simulcastID != "" && !validID(f.simulcastID) {
			return fmt.Errorf("bad feed %d", i)
		}
		if f.priority != nil && (math.IsNaN(*f.priority) || math.IsInf(*f.priority, 0)) {
			return fmt.Errorf("bad priority of feed %d", i)
		}
	}
	seen := make(map[string]struct{}, len(st.feeds))
	for _, f := range st.feeds {
		if _, dup := seen[f.id]; dup {
			return errors.New("duplicate feed")
		}
		seen[f.id] = struct{}{}
	}
	bad := false
	st.viewers.each(func(v string, _ uint8) { bad = bad || !validID(v) })
	if bad {
		return errors.New("bad viewer id")
	}
	return nil
}

// decoder reads the encoding; after the first error every read returns zero values.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail(msg string) {
	if d.err == nil {
		d.err = errors.New(msg)
	}
	d.b = nil
}

func (d *decoder) take(n int) []byte {
	if d.err != nil || n > len(d.b) {
		d.fail("truncated")
		return make([]byte, n)
	}
	p := d.b[:n]
	d.b = d.b[n:]
	return p
}

func (d *decoder) byte() byte { return d.take(1)[0] }

func (d *decoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail("bad uvarint")
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) varint() int64 {
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail("bad varint")
		return 0
	}
	d.b = d.b[n:]
	return v
}

// count reads an element count, bounded by the bytes left (every element takes at
// least one), so a corrupt count cannot make a huge allocation.
func (d *decoder) count() int {
	c := d.uvarint()
	if c > uint64(len(d.b)) {
		d.fail("count larger than the data")
		return 0
	}
	return int(c)
}

func (d *decoder) string() string {
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		d.fail("truncated string")
		return ""
	}
	return string(d.take(int(n)))
}
