package reliability

import (
	"testing"

	"github.com/hookcast/hookcast/internal/testpg"
	"github.com/hookcast/hookcast/tests/reliability/harness"
)

// TestReplicasStartTogether starts three replicas at the same moment on an empty
// database: they migrate one after the other (advisory lock), agree on one
// default account, exactly one of them shows its API secret, and that secret
// works on all three.
func TestReplicasStartTogether(t *testing.T) {
	t.Parallel()
	procs := harness.StartMany(t, replicaCount, harness.Config{Database: testpg.NewDatabase(t)})
	var secret string
	shown := 0
	for _, p := range procs {
		if p.Default == "" || p.Default != procs[0].Default {
			t.Errorf("default accounts %q and %q", procs[0].Default, p.Default)
		}
		if p.Secret != "" {
			secret = p.Secret
			shown++
		}
	}
	if shown != 1 {
		t.Fatalf("%d replicas showed an API secret, want exactly 1", shown)
	}
	for _, p := range procs {
		if code, body := harness.Call(t, "GET", p.Base+"/api/webhooks/list", secret, nil); code != 200 {
			t.Errorf("the default account's secret on %s: %d %s", p.Addr, code, body)
		}
	}
}
