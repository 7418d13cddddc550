package main

import (
	"encoding/json"
	"math"
	"strconv"
	"testing"
	"time"
)

// TestSoakReadsServesIngestTimes: parseSoak picks the ingest histogram out of
// a /metrics page and p99Since finds the bucket of an interval's 99th
// percentile from two readings.
func TestSoakReadsServesIngestTimes(t *testing.T) {
	page := func(a, b, c, inf int) []byte {
		return []byte("# HELP x\n" +
			`hookcast_pruned_total{kind="deliveries"} 42` + "\n" +
			`hookcast_ingest_request_duration_seconds_bucket{le="0.001"} ` + strconv.Itoa(a) + "\n" +
			`hookcast_ingest_request_duration_seconds_bucket{le="0.01"} ` + strconv.Itoa(b) + "\n" +
			`hookcast_ingest_request_duration_seconds_bucket{le="0.1"} ` + strconv.Itoa(c) + "\n" +
			`hookcast_ingest_request_duration_seconds_bucket{le="+Inf"} ` + strconv.Itoa(inf) + "\n" +
			"go_memstats_heap_inuse_bytes 1e+06\n")
	}
	first := parseSoak(page(100, 100, 100, 100))
	if first.Pruned != 42 || first.Heap != 1e6 || len(first.IngestLE) != 3 || first.IngestN != 100 {
		t.Fatalf("reading: %+v", first)
	}
	if _, err := json.Marshal(scrapeStats{soakReading: first}); err != nil {
		t.Fatalf("the scraper cannot send it: %v", err) // JSON has no +Inf
	}
	tests := []struct {
		name       string
		prev, next soakReading
		want       time.Duration
	}{
		{"all fast", first, parseSoak(page(200, 200, 200, 200)), time.Millisecond},
		{"2 % slow", first, parseSoak(page(198, 200, 200, 200)), 10 * time.Millisecond},
		{"the first reading counts from zero", soakReading{}, first, time.Millisecond},
		{"nothing timed since", first, first, 0},
		{"past the last bound", first, parseSoak(page(100, 100, 100, 200)), time.Duration(math.MaxInt64)},
		{"no histogram", soakReading{}, soakReading{}, 0},
	}
	for _, tc := range tests {
		if got := tc.next.p99Since(tc.prev); got != tc.want {
			t.Errorf("%s: p99 %v, want %v", tc.name, got, tc.want)
		}
	}
}
