package thumbnail

import (
	"testing"
	"time"
)

func TestLimiterSlidingWindow(t *testing.T) {
	t.Parallel()
	l := NewLimiter(6, time.Minute)
	t0 := time.Unix(1_700_000_000, 0)
	at := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }
	// Six at 0, 10, …, 50 s: all allowed.
	for i := range 6 {
		if ok, _ := l.Allow("A/cam", at(float64(10*i))); !ok {
			t.Fatalf("request %d refused", i+1)
		}
	}
	// The seventh at 55 s is refused until the first leaves the window at 60 s.
	ok, retry := l.Allow("A/cam", at(55))
	if ok || retry != 5*time.Second {
		t.Fatalf("7th: ok %v retry %v, want refused, retry 5s", ok, retry)
	}
	// A refused request does not count: at exactly 60 s the first is out.
	if ok, _ := l.Allow("A/cam", at(60)); !ok {
		t.Fatal("at 60s: refused")
	}
	if ok, _ := l.Allow("A/cam", at(60.5)); ok {
		t.Fatal("at 60.5s: allowed, but 10..60 s hold six")
	}
	// Another stream has its own window.
	if ok, _ := l.Allow("A/other", at(60.5)); !ok {
		t.Fatal("another stream refused")
	}
	// Idle keys are forgotten: memory is bounded by the streams active in a window.
	for i := range 100 {
		l.Allow(string(rune('a'+i%26))+time.Duration(i).String(), at(61))
	}
	if ok, _ := l.Allow("A/cam", at(200)); !ok {
		t.Fatal("after a quiet window: refused")
	}
	if n := l.keys(); n != 1 {
		t.Fatalf("%d keys kept after they all went idle, want 1", n)
	}
}
