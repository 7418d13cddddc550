package delivery

import (
	"testing"
	"time"
)

// TestCapacity: how many deliveries a webhook may hold in memory, with the
// defaults (60 s lease, 15 s attempts: 40 s to wait at most). A receiver
// whose answers seem slow but that got through many in the last second (a busy
// machine, not a slow receiver) keeps what it can send in time; one that hangs
// holds a handful; a rate limit bounds it.
func TestCapacity(t *testing.T) {
	d := New(nil, Options{})
	now := time.Now()
	for _, c := range []struct {
		name string
		ep   endpoint
		want int
	}{
		{"new webhook", endpoint{maxConc: 4}, 40000},
		{"fast receiver", endpoint{maxConc: 4, latency: time.Millisecond}, 40000},
		{"answers seem slow, 2,000 ended last second", endpoint{maxConc: 4, latency: 40 * time.Millisecond,
			endedSince: now.Add(-1500 * time.Millisecond), ended: 2000}, 40000},
		{"answers seem slow, 500 ended last second", endpoint{maxConc: 4, latency: 40 * time.Millisecond,
			endedSince: now.Add(-500 * time.Millisecond), ended: 100, endedLast: 500}, 20000},
		{"answers slow, nothing ended lately", endpoint{maxConc: 4, latency: 40 * time.Millisecond,
			endedSince: now.Add(-3 * time.Second), ended: 2000}, 2000},
		{"hangs: 4 in flight for 20 s", endpoint{maxConc: 4, active: 4, progress: now.Add(-20 * time.Second)}, 4},
		{"5 a second", endpoint{maxConc: 4, perSecond: 5, latency: time.Millisecond}, 100},
	} {
		if got := d.capacity(&c.ep); got != c.want {
			t.Errorf("%s: capacity %d, want %d", c.name, got, c.want)
		}
	}
}
