package engine

import (
	"slices"
	"testing"
)

func TestMemoryDropsIdleStreams(t *testing.T) {
	t.Parallel()
	m := NewMemory(New(DefaultConfig()))
	if m.NextDue() != 0 || m.Len() != 0 {
		t.Fatal("a new runner holds something")
	}
	m.Apply(disc("ghost"), t0) // changes nothing: not kept
	if m.Len() != 0 {
		t.Fatal("a no-op signal left a stream behind")
	}
	m.Apply(att(), t0)
	m.Apply(Signal{Kind: ViewerAttempted, AccountID: acc, Name: "other"}, t0+1000)
	if m.Len() != 2 || m.NextDue() != t0+60000 {
		t.Fatalf("len %d next %d", m.Len(), m.NextDue())
	}
	if st := m.State(StreamKey{acc, stream}); st == nil || st.NextDue() != t0+60000 {
		t.Fatal("state of an armed stream")
	}
	evs := m.Advance(t0 + 60500)
	if len(evs) != 1 || evs[0].Name != stream || m.Len() != 1 || m.NextDue() != t0+61000 {
		t.Fatalf("after the first timer: %d events, len %d, next %d", len(evs), m.Len(), m.NextDue())
	}
	m.Advance(t0 + 61000)
	if m.Len() != 0 || m.NextDue() != 0 || m.State(StreamKey{acc, stream}) != nil {
		t.Fatal("idle streams kept")
	}
}

// TestMemoryCancelledTimer: a timer cancelled and set again later leaves a stale
// heap entry that must fire nothing, and the real one must still fire.
func TestMemoryCancelledTimer(t *testing.T) {
	t.Parallel()
	m := NewMemory(New(DefaultConfig()))
	m.Apply(start("f1"), t0)
	m.Apply(conn("v1"), t0)
	m.Apply(disc("v1"), t0+1000) // noActiveViewers due t0+61000
	m.Apply(conn("v2"), t0+2000) // cancelled
	m.Apply(disc("v2"), t0+9000) // due t0+69000
	if got := m.Advance(t0 + 68999); len(got) != 0 {
		t.Fatalf("a cancelled timer fired: %v", short(got[0]))
	}
	got := m.Advance(t0 + 69000)
	if len(got) != 1 || short(got[0]) != "69000 noActiveViewers" {
		t.Fatalf("events %v", got)
	}
}

// TestMemoryManyStreamsInDueOrder: timers of many streams come out in due order.
func TestMemoryManyStreamsInDueOrder(t *testing.T) {
	t.Parallel()
	m := NewMemory(New(DefaultConfig()))
	ns := names(500)
	for i, n := range ns {
		m.Apply(Signal{Kind: ViewerAttempted, AccountID: acc, Name: n}, t0+int64((i*7919)%500))
	}
	evs := m.Advance(t0 + 1_000_000)
	var times []int64
	for _, ev := range evs {
		if ev.Event == "noActiveViewers" {
			times = append(times, ev.Timestamp)
		}
	}
	if len(times) != 500 || !slices.IsSorted(times) {
		t.Fatalf("%d noActiveViewers, sorted %v", len(times), slices.IsSorted(times))
	}
	if m.Len() != 0 {
		t.Fatalf("%d streams left", m.Len())
	}
}
