package sqlutil

import (
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/hookcast/hookcast/internal/store"
)

func TestTimeRoundTrip(t *testing.T) {
	berlin := time.FixedZone("CET", 3600)
	tests := []struct {
		in   time.Time
		want time.Time
	}{
		{time.Time{}, time.Time{}},
		{time.Date(2025, 1, 2, 3, 4, 5, 6789, time.UTC), time.Date(2025, 1, 2, 3, 4, 5, 6000, time.UTC)},
		{time.Date(2025, 1, 2, 4, 4, 5, 0, berlin), time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)},
		{time.Unix(0, 0).Add(-time.Microsecond), time.Unix(0, 0).Add(-time.Microsecond).UTC()},
	}
	for _, tc := range tests {
		got := Time(Micros(tc.in))
		if !got.Equal(tc.want) || got.Location() != tc.want.Location() {
			t.Errorf("Time(Micros(%v)) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestSortKeys(t *testing.T) {
	k := func(a, n string) store.StreamKey { return store.StreamKey{AccountID: a, Name: n} }
	in := []store.StreamKey{k("b", "x"), k("a", "y"), k("a", "x"), k("b", "x")}
	got := SortKeys(in)
	want := []store.StreamKey{k("a", "x"), k("a", "y"), k("b", "x")}
	if !slices.Equal(got, want) {
		t.Fatalf("SortKeys = %v, want %v", got, want)
	}
	if in[0] != k("b", "x") {
		t.Fatal("SortKeys changed its input")
	}
}

func TestMigrations(t *testing.T) {
	good := fstest.MapFS{
		"0002_more.sql":  {Data: []byte("B")},
		"0001_init.sql":  {Data: []byte("A")},
		"README.txt":     {Data: []byte("ignored")},
		"0010_later.sql": {Data: []byte("C")},
	}
	ms, err := Migrations(good)
	if err != nil {
		t.Fatal(err)
	}
	var got []int
	for _, m := range ms {
		got = append(got, m.Version)
	}
	if !slices.Equal(got, []int{1, 2, 10}) || ms[0].SQL != "A" || ms[0].Name != "0001_init.sql" {
		t.Fatalf("Migrations = %+v", ms)
	}
	for name, fsys := range map[string]fstest.MapFS{
		"no number":  {"init.sql": {}},
		"zero":       {"0000_x.sql": {}},
		"duplicated": {"0001_a.sql": {}, "1_b.sql": {}},
	} {
		if _, err := Migrations(fsys); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestHookColumn(t *testing.T) {
	seen := map[string]bool{}
	for _, typ := range []string{"feeds", "recordings", "thumbnail", "transcoder", "media", "viewerConnection"} {
		col, err := HookColumn(typ)
		if err != nil || !strings.HasPrefix(col, "is_") || seen[col] || !strings.Contains(WebhookColumns, col) {
			t.Errorf("HookColumn(%s) = %q, %v", typ, col, err)
		}
		seen[col] = true
	}
	for _, bad := range []string{"", "Feeds", "feeds; --", "is_feed_hooks"} {
		if _, err := HookColumn(bad); err == nil {
			t.Errorf("HookColumn(%q) accepted", bad)
		}
	}
}

func TestDeliveryFilter(t *testing.T) {
	a := Args{Dollar: true}
	where := DeliveryFilter(&a, store.DeliveryQuery{AccountID: "A", WebhookID: 7, State: store.DeliveryFailed,
		Since: time.UnixMicro(5), BeforeID: 9}, "d.")
	want := "1 = 1 AND d.account_id = $1 AND d.webhook_id = $2 AND d.state = $3 AND d.created_at >= $4 AND d.id < $5"
	if where != want || !slices.Equal(a.List, []any{"A", int64(7), "failed", int64(5), int64(9)}) {
		t.Fatalf("DeliveryFilter = %q %v", where, a.List)
	}
}

func TestHeaders(t *testing.T) {
	for _, h := range []map[string]string{nil, {}, {"A": "1", "b": "\"quoted\"\n"}} {
		s, err := EncodeHeaders(h)
		if err != nil {
			t.Fatal(err)
		}
		back, err := DecodeHeaders(s)
		if err != nil || len(back) != len(h) {
			t.Fatalf("headers %v -> %q -> %v, %v", h, s, back, err)
		}
		for k, v := range h {
			if back[k] != v {
				t.Fatalf("header %s: %q, want %q", k, back[k], v)
			}
		}
	}
}
