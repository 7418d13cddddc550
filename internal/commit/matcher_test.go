package commit

import (
	"fmt"
	"testing"
)

// TestMatcherBounded: the filter cache keeps at most its limit, dropping the
// least recently used, and still matches right after an eviction.
func TestMatcherBounded(t *testing.T) {
	m := &matcher{max: 3}
	for i := range 10 {
		if !m.matches(fmt.Sprintf("^cam%d$", i), fmt.Sprintf("cam%d", i)) {
			t.Fatalf("filter %d did not match", i)
		}
		if n := m.size(); n > 3 {
			t.Fatalf("%d filters kept, limit 3", n)
		}
	}
	m.matches("^cam7$", "x") // 7 is now the most recent: 8 goes next
	m.matches("^new$", "new")
	if _, ok := m.byKey["^cam8$"]; ok {
		t.Fatal("the least recently used filter was kept")
	}
	if _, ok := m.byKey["^cam7$"]; !ok {
		t.Fatal("a recently used filter was dropped")
	}
	for _, tc := range []struct {
		filter, name string
		want         bool
	}{{"", "any", true}, {"^cam", "cam1", true}, {"^cam", "show", false}, {"(", "(", false}} {
		if got := m.matches(tc.filter, tc.name); got != tc.want {
			t.Errorf("matches(%q, %q) = %v, want %v", tc.filter, tc.name, got, tc.want)
		}
	}
}
