package main

import (
	"bytes"
	"strings"
	"testing"
)

// TestFloorRelaysEverySignal runs `-mode floor` paced: the relay in hookcast's
// place hands every signal to the receiver, which reads the send time back
// out of each (the latency line), and the run reports the relay's CPU.
func TestFloorRelaysEverySignal(t *testing.T) {
	var out, stderr bytes.Buffer
	code := run([]string{"-mode", "floor", "-rate", "200", "-duration", "1s"}, &out, &stderr)
	if code != 0 {
		t.Fatalf("hookbench exited %d: %s\n%s", code, stderr.String(), out.String())
	}
	for _, want := range []string{"200 deliveries received of 200", "signal → webhook received: p50", "cpu per delivery: relay"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("no %q in:\n%s", want, out.String())
		}
	}
}
