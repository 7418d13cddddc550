package thumbnail

import (
	"sync"
	"time"
)

// Limiter allows at most N events per key in any sliding window of length Window
// (events.md §3.5: 6 on-demand thumbnails per minute per stream). It keeps the
// times of the allowed events only, so its memory is bounded by the keys active
// within one window. Safe for concurrent use.
type Limiter struct {
	n      int
	window time.Duration

	mu    sync.Mutex
	hits  map[string][]time.Time
	sweep time.Time // next time idle keys are dropped
}

// NewLimiter returns a limiter of n events per window (n >= 1, window > 0).
func NewLimiter(n int, window time.Duration) *Limiter {
	if n < 1 {
		n = 1
	}
	return &Limiter{n: n, window: window, hits: map[string][]time.Time{}}
}

// Allow records an event for key at now and reports true, or reports false and
// records nothing when key already had n events in (now-window, now]. When it
// refuses, retry is how long until the oldest of them leaves the window.
func (l *Limiter) Allow(key string, now time.Time) (ok bool, retry time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.dropIdle(now)
	h := live(l.hits[key], now.Add(-l.window))
	if len(h) >= l.n {
		l.hits[key] = h
		return false, h[0].Add(l.window).Sub(now)
	}
	l.hits[key] = append(h, now)
	return true, 0
}

// live drops the times at or before cutoff (they are in order).
func live(h []time.Time, cutoff time.Time) []time.Time {
	i := 0
	for i < len(h) && !h[i].After(cutoff) {
		i++
	}
	return h[i:]
}

// dropIdle forgets, at most once per window, the keys with no event in the window.
func (l *Limiter) dropIdle(now time.Time) {
	if now.Before(l.sweep) {
		return
	}
	l.sweep = now.Add(l.window)
	cutoff := now.Add(-l.window)
	for k, h := range l.hits {
		if len(live(h, cutoff)) == 0 {
			delete(l.hits, k)
		}
	}
}

// keys reports how many keys are tracked (for tests).
func (l *Limiter) keys() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.hits)
}
