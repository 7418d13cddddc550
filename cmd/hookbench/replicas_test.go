package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/hookcast/hookcast/internal/testpg"
)

// TestMain lets this test binary play the roles hookbench re-runs itself in
// (serve, load, receiver), as main does.
func TestMain(m *testing.M) {
	if code, ok := runRole(); ok {
		os.Exit(code)
	}
	testpg.Main(m)
}

// TestReplicasDeliverEachOnce runs `-mode throughput -replicas 2` end to end on
// a throwaway PostgreSQL: two serve processes on one database, the feeders
// spread over them. It reads what hookbench reports: every one of the 800
// deliveries (400 signals, one event each, to 2 webhooks) in the database,
// received once.
func TestReplicasDeliverEachOnce(t *testing.T) {
	db := testpg.NewDatabase(t)
	var out, stderr bytes.Buffer
	code := run([]string{"-database", db, "-mode", "throughput", "-replicas", "2", "-endpoints", "2",
		"-events", "800", "-concurrency", "4"}, &out, &stderr)
	if code != 0 {
		t.Fatalf("hookbench exited %d: %s\n%s", code, stderr.String(), out.String())
	}
	m := regexp.MustCompile(`deliveries in the database (\d+) .*; received (\d+), distinct (\d+): missing 0, duplicates 0: every delivery arrived exactly once`).
		FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("no exactly-once verdict in:\n%s", out.String())
	}
	for _, s := range m[1:] {
		if n, _ := strconv.Atoi(s); n != 800 {
			t.Errorf("deliveries in the database, received, distinct: %v; want 800 each", m[1:])
		}
	}
	if !strings.Contains(out.String(), "replicas: 2 serve on one PostgreSQL database") {
		t.Errorf("not two replicas:\n%s", out.String())
	}
}

// TestReceiverCountsDuplicates: the receiver tells a delivery sent twice (same
// path and webhook-id) from two deliveries, which is what the exactly-once
// verdict rests on.
func TestReceiverCountsDuplicates(t *testing.T) {
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	done := make(chan error, 1)
	go func() { done <- runReceiver(inR, outW); outW.Close() }()
	out := bufio.NewReader(outR)
	var hello struct{ URL string }
	line, err := out.ReadBytes('\n')
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(line, &hello); err != nil {
		t.Fatal(err)
	}
	for _, d := range []struct{ path, id string }{{"/e0", "a"}, {"/e0", "a"}, {"/e1", "a"}, {"/e0", "b"}} {
		req, _ := http.NewRequest("POST", hello.URL+d.path, strings.NewReader("{}"))
		req.Header.Set("Webhook-Id", d.id)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	if _, err := io.WriteString(inW, "{}\n"); err != nil {
		t.Fatal(err)
	}
	var st receiverStats
	line, err = out.ReadBytes('\n')
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(line, &st); err != nil {
		t.Fatal(err)
	}
	if st.Count != 4 || st.Distinct != 3 {
		t.Errorf("count %d, distinct %d; want 4 and 3 (one duplicate)", st.Count, st.Distinct)
	}
	inW.Close()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
