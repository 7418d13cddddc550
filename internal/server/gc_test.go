package server

import "testing"

// TestLimitFor: the memory limit is MemoryLimit while the live heap is small,
// and liveFactor times the live heap once that is more, so a grown live heap
// never has the collector running back to back.
func TestLimitFor(t *testing.T) {
	for live, want := range map[uint64]int64{
		0:               MemoryLimit,
		10 << 20:        MemoryLimit,
		MemoryLimit / 3: MemoryLimit,
		100 << 20:       300 << 20,
		1 << 40:         3 << 40,
		^uint64(0):      3 << 60,
	} {
		if got := limitFor(live); got != want {
			t.Errorf("live heap %d: limit %d, want %d", live, got, want)
		}
	}
}
