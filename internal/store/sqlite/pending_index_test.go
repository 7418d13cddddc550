package sqlite

import (
	"strings"
	"testing"
)

// TestOldestPendingUsesItsIndex: the metrics' oldest-pending reading finds
// the first entry of deliveries_pending_id rather than walking the pending
// entries of another index.
func TestOldestPendingUsesItsIndex(t *testing.T) {
	s, err := Open(t.Context(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rows, err := s.read.QueryContext(t.Context(), "EXPLAIN QUERY PLAN "+oldestPendingQuery)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if p := strings.Join(plan, "\n"); !strings.Contains(p, "deliveries_pending_id") {
		t.Fatalf("the oldest pending delivery is not read through deliveries_pending_id:\n%s", p)
	}
}
