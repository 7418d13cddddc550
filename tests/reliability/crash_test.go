package reliability

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/hookcast/hookcast/internal/testpg"
	"github.com/hookcast/hookcast/tests/reliability/harness"
)

// crashDurations are short timers, so that many fall due around the kills.
var crashDurations = durations{interval: 300 * time.Millisecond, delay: time.Second, feedTimeout: 1500 * time.Millisecond}

// killPoints is how many times a crash test kills a server: a few in make test,
// many with HOOKCAST_LONG=1.
func killPoints() int {
	if harness.Long() {
		return 60
	}
	return 3
}

// TestCrashSQLite kills the single SQLite process with SIGKILL at random moments
// while media-server traffic flows, and starts it again on the same data
// directory. Every acknowledged signal's events arrive at least once, no
// transition happens twice, no timer is lost (checkWorkload), and the delivery
// log ends with everything delivered.
func TestCrashSQLite(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	p := harness.Start(t, harness.Config{DataDir: dir, Args: crashDurations.args()})
	crashRun(t, []*harness.Proc{p})
}

// TestCrashReplicas does the same to three replicas on one PostgreSQL, killing
// one at a time while the other two carry on. A killed replica restarts under its
// name (host and address) and frees the delivery leases its dead run held, so
// nothing waits for a lease to run out.
func TestCrashReplicas(t *testing.T) {
	t.Parallel()
	db := testpg.NewDatabase(t)
	var procs []*harness.Proc
	for range replicaCount {
		procs = append(procs, harness.Start(t, harness.Config{Database: db, Args: crashDurations.args()}))
	}
	crashRun(t, procs)
}

// crashRun drives the workload against procs, kills one of them at random
// moments killPoints() times (restarting it after a random pause), then lets
// the timers fall due and checks everything.
func crashRun(t *testing.T, procs []*harness.Proc) {
	seed := harness.Seed(t)
	rng := rand.New(rand.NewPCG(seed, 0))
	account, secret := harness.CreateAccount(t, procs[0].Base, "CRASH")
	rc := harness.NewReceiver(t)
	wh := harness.CreateWebhook(t, procs[0].Base, secret, map[string]any{"url": rc.URL("/crash"),
		"isFeedHooks": true, "isViewerConnectionHooks": true})
	rc.SetSecret("/crash", wh.Secret)
	var bases []string
	for _, p := range procs {
		bases = append(bases, p.Base)
	}
	w := newWorkload(t, account, crashDurations, bases)
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() { w.run(seed, 4, stop); close(done) }()

	kills := killPoints()
	start := time.Now()
	for range kills {
		time.Sleep(time.Duration(300+rng.IntN(1200)) * time.Millisecond) // a random moment under load
		victim := procs[rng.IntN(len(procs))]
		victim.Kill()
		time.Sleep(time.Duration(rng.IntN(400)) * time.Millisecond) // down for a while
		victim.Restart()
	}
	close(stop)
	<-done
	loadTook := time.Since(start)
	settleAfter(crashDurations)
	logs := awaitSettled(t, procs[0].Base, []string{account}, map[string]string{account: secret})[account]
	// The last attempts' answers may still be on their way to being recorded.
	if err := rc.Await(30*time.Second, func(hits []harness.Hit) bool {
		evs, _ := distinctEvents(t, hits, "/crash")
		return len(evs) >= len(logs)
	}); err != nil {
		t.Errorf("receiver: %v", err)
	}
	evs, repeats := distinctEvents(t, rc.Hits(), "/crash")
	if bad := harness.Unverified(rc.Hits()); len(bad) > 0 {
		t.Errorf("%d requests failed verification: %v", len(bad), bad)
	}
	checkLog(t, logs, evs)
	n := checkWorkload(t, w, evs)
	w.mu.Lock()
	defer w.mu.Unlock()
	t.Logf("%d kill points survived in %v of load over %d process(es); %d signals acknowledged (%d requests, %d sent again), %d feeds, %d events checked, %d deliveries repeated after a crash (same webhook-id)",
		kills, loadTook.Round(time.Millisecond), len(procs), w.acked, w.sent, w.retried, len(w.feeds), n, repeats)
}
