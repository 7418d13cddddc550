package delivery

import (
	"context"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/hookcast/hookcast/internal/store"
)

// TestBackpressure: a delivery that finds its endpoint's queue full (with no
// room to park it), and one that waited in the queue until too little of its
// lease was left, are not sent by that claim; they are given back to the store at
// once and sent after a new claim, without waiting for their leases to run out.
func TestBackpressure(t *testing.T) {
	t.Parallel()
	h := newHarness(t, Options{PerEndpointConcurrency: 1, PerEndpointQueue: 2, MaxParked: -1})
	release := make(chan struct{})
	rc := newReceiver(t, func(_ http.ResponseWriter, r *http.Request, n int64) {
		if n == 1 {
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}
	})
	wh := h.webhook(rc.srv.URL, PolicyExponential)
	var ids []int64
	for range 3 {
		_, id := h.event(0, nil, wh)
		ids = append(ids, id...)
	}
	h.start()
	h.d.Notify(ids)
	rc.next(t) // the first is in flight, the second queued, the third given back
	waitFor(t, "third delivery given back", func() bool { return h.d.Stats().Dropped >= 1 })
	// The lease (60 s) now has less than the attempt timeout (15 s) and the
	// margin (5 s) left for whatever is still queued from the first claim.
	h.clock.Advance(41 * time.Second)
	close(release)
	// Every one arrives with the clock still inside the first leases: nothing
	// waited for a lease to run out.
	for _, id := range ids {
		h.waitState(id, store.DeliverySucceeded)
	}
	if n := rc.n.Load(); n != 3 {
		t.Fatalf("%d requests, want 3", n)
	}
}

// TestParked: deliveries handed over beyond a full queue keep their leases (no
// other claimer can take them) and only their ids in memory; they are taken back
// by id and sent as the queue drains, each exactly once: read back while their
// leases are young, claimed again (leases renewed) once half a lease has gone.
func TestParked(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name              string
		wait              time.Duration // on the dispatcher's clock, before the queue drains
		reread, reclaimed int64
	}{
		{"young leases read back", 0, 4, 0},
		{"old leases claimed again", 31 * time.Second, 1, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, Options{PerEndpointConcurrency: 1, PerEndpointQueue: 2, MaxQueued: 3})
			release := make(chan struct{})
			rc := newReceiver(t, func(_ http.ResponseWriter, r *http.Request, _ int64) {
				select {
				case <-release:
				case <-r.Context().Done():
				}
			})
			wh := h.webhook(rc.srv.URL, PolicyExponential)
			other := h.webhook(rc.srv.URL, PolicyExponential)
			var ids []int64
			for range 6 {
				_, id := h.event(0, nil, wh)
				ids = append(ids, id...)
			}
			_, id := h.event(0, nil, other)
			ids = append(ids, id...)
			// Committed leased to the dispatcher and handed over, as the pipeline does.
			now := h.clock.Now()
			claimed, err := h.st.Store.ClaimDeliveries(context.Background(), store.Claim{Owner: h.d.Owner(), Now: now,
				Lease: h.d.Lease(), Limit: len(ids), IDs: ids})
			if err != nil || len(claimed) != len(ids) {
				t.Fatalf("claimed %d of %d: %v", len(claimed), len(ids), err)
			}
			h.start()
			h.d.Handoff(claimed, now)
			// wh: #1 in flight, #2 queued, #3-#6 parked, of which #3 is read back as
			// soon as #1 leaves the queue; other: in flight (the global limit is 3).
			rc.next(t)
			rc.next(t)
			waitFor(t, "two queued, three parked", func() bool {
				st := h.d.Stats()
				return st.Queued == 2 && st.Parked == 3 && h.st.reread.Load() == 1
			})
			if st := h.d.Stats(); st.Dropped != 0 {
				t.Fatalf("stats %+v: nothing should be given back", st)
			}
			got, err := h.st.ClaimDeliveries(context.Background(), store.Claim{Owner: "someone else", Now: h.clock.Now(),
				Lease: time.Minute, Limit: 10})
			if err != nil || len(got) != 0 {
				t.Fatalf("another claimer took %d parked deliveries (err %v)", len(got), err)
			}
			h.clock.Advance(tc.wait)
			close(release)
			for _, id := range ids {
				h.waitState(id, store.DeliverySucceeded)
			}
			if n := rc.n.Load(); n != int64(len(ids)) {
				t.Fatalf("%d requests for %d deliveries", n, len(ids))
			}
			if st := h.d.Stats(); st.Parked != 0 || st.Dropped != 0 {
				t.Fatalf("stats %+v after all were sent", st)
			}
			if reread, reclaimed := h.st.reread.Load(), h.st.reclaimed.Load(); reread != tc.reread || reclaimed != tc.reclaimed {
				t.Fatalf("%d parked deliveries read back and %d claimed again, want %d and %d",
					reread, reclaimed, tc.reread, tc.reclaimed)
			}
		})
	}
}

// TestTakeParkedFair: parked deliveries come back oldest first and in equal
// shares from every endpoint with room, up to the global room.
func TestTakeParkedFair(t *testing.T) {
	d := New(nil, Options{MaxQueued: 6, PerEndpointQueue: 100})
	for e := range int64(3) {
		ep := &endpoint{id: e}
		for i := range int64(10) {
			ep.parked = append(ep.parked, parkedID{id: e*100 + i})
		}
		d.endpoints[e] = ep
		d.parked += 10
	}
	d.endpoints[3] = &endpoint{id: 3, parked: []parkedID{{id: 300}}, queue: make([]*item, 100)} // full
	d.parked++
	got := d.takeParked(256)
	var ids []int64
	for _, p := range got {
		ids = append(ids, p.id)
	}
	slices.Sort(ids)
	if want := []int64{0, 1, 100, 101, 200, 201}; !slices.Equal(ids, want) {
		t.Fatalf("took %v, want %v", ids, want)
	}
	if d.parked != 25 {
		t.Fatalf("%d left parked, want 25", d.parked)
	}
}
