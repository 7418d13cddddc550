package harness

import (
	"fmt"
	"net"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The bearer tokens every process started here uses (serve wants ≥ 16 characters).
const (
	AdminToken  = "reliability-admin-token-0123456789"
	IngestToken = "reliability-ingest-token-0123456789"
)

// Config says how to start `hookcast serve`.
type Config struct {
	// DataDir selects the embedded SQLite store; Database a postgres:// URL.
	DataDir  string
	Database string
	// Addr is host:port to listen on; empty picks a free port. It is kept
	// across restarts, so clients need not learn a new address.
	Addr string
	// DenyPrivate leaves out --allow-private-targets (SSRF tests). By default
	// it is given: the receivers of the tests listen on 127.0.0.1.
	DenyPrivate bool
	// LogLevel is --log-level (default warn).
	LogLevel string
	// Args are more flags, e.g. --no-viewers-delay 1s.
	Args []string
}

// Proc is one `hookcast serve` process, which a test may kill and start again
// on the same address and store.
type Proc struct {
	t    testing.TB
	cfg  Config
	Addr string
	Base string // http://Addr
	// Secret is the default account's API secret, printed only by the start
	// that created the account ("" otherwise); Default is that account's id.
	Secret  string
	Default string

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{}
	stdout *Buffer
	stderr *Buffer
	pids   []int
}

// Start starts serve and waits for its welcome text (printed once the listener
// is bound). The process is killed when the test ends, and a data race it
// reported (race builds) fails the test.
func Start(t testing.TB, cfg Config) *Proc {
	t.Helper()
	p := newProc(t, cfg)
	p.Restart()
	return p
}

// StartMany starts n processes with the same configuration at the same moment
// (each on its own port): replicas racing to migrate and bootstrap one store.
func StartMany(t testing.TB, n int, cfg Config) []*Proc {
	t.Helper()
	Binary(t) // built here: its failure must stop the test from this goroutine
	procs := make([]*Proc, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range procs {
		c := cfg
		c.Addr = ""
		procs[i] = newProc(t, c)
		wg.Go(func() { errs[i] = procs[i].launch() })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("harness: serve %d of %d: %v\nstderr:\n%s", i+1, n, err, tail(procs[i].Stderr(), 4000))
		}
	}
	return procs
}

func newProc(t testing.TB, cfg Config) *Proc {
	if cfg.Addr == "" {
		cfg.Addr = FreeAddr(t)
	}
	if cfg.LogLevel == "" {
		cfg.LogLevel = "warn"
	}
	p := &Proc{t: t, cfg: cfg, Addr: cfg.Addr, Base: "http://" + cfg.Addr, stdout: &Buffer{}, stderr: &Buffer{}}
	t.Cleanup(p.cleanup)
	return p
}

// FreeAddr returns a 127.0.0.1 address with a port nobody listens on now.
func FreeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func (p *Proc) args() []string {
	a := []string{"serve", "--listen", p.cfg.Addr, "--admin-token", AdminToken, "--ingest-token", IngestToken,
		"--log-level", p.cfg.LogLevel}
	if p.cfg.Database != "" {
		a = append(a, "--database", p.cfg.Database)
	} else {
		a = append(a, "--data-dir", p.cfg.DataDir)
	}
	if !p.cfg.DenyPrivate {
		a = append(a, "--allow-private-targets")
	}
	return append(a, p.cfg.Args...)
}

// Restart starts the process again (after Kill or Stop) with the same
// configuration and address.
func (p *Proc) Restart() {
	p.t.Helper()
	if p.Running() {
		p.t.Fatal("harness: Restart of a running process")
	}
	var err error
	// The port was just freed by a killed process (or picked as free): another
	// test's listener may take it in between; a few tries cover a lost race.
	for try := 0; try < 3; try++ {
		if err = p.launch(); err == nil {
			return
		}
		p.Kill()
		if !strings.Contains(p.stderr.String(), "address already in use") {
			break
		}
	}
	p.t.Fatalf("harness: serve on %s: %v\nstderr:\n%s", p.Addr, err, tail(p.stderr.String(), 4000))
}

func (p *Proc) launch() error {
	mark := p.stdout.Len()
	cmd := exec.Command(Binary(p.t), p.args()...)
	cmd.Stdout, cmd.Stderr = p.stdout, p.stderr
	// If the test binary dies, its servers die with it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start serve: %w", err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	p.mu.Lock()
	p.cmd, p.exited = cmd, exited
	p.pids = append(p.pids, cmd.Process.Pid)
	p.mu.Unlock()
	return p.awaitWelcome(mark, exited)
}

// awaitWelcome waits until the welcome text written after mark ends, and reads
// the default account and the API secret from it.
func (p *Proc) awaitWelcome(mark int, exited chan struct{}) error {
	deadline := time.After(90 * time.Second) // a race build migrating a database on a busy machine
	for {
		changed := p.stdout.Changed() // before reading, so no write is missed
		out := p.stdout.From(mark)
		if strings.Contains(out, "shown once") || strings.Contains(out, "Secrets were shown") {
			for _, line := range strings.Split(out, "\n") {
				f := strings.Fields(line)
				switch {
				case len(f) >= 3 && f[0] == "API" && f[1] == "secret:":
					p.Secret = f[2]
				case len(f) >= 3 && f[0] == "default" && f[1] == "account:":
					p.Default = f[2]
				}
			}
			return nil
		}
		select {
		case <-exited:
			return fmt.Errorf("serve exited during start-up")
		case <-deadline:
			return fmt.Errorf("no welcome text after 90s")
		case <-changed:
		}
	}
}

// Running reports whether the process is alive.
func (p *Proc) Running() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.exited == nil {
		return false
	}
	select {
	case <-p.exited:
		return false
	default:
		return true
	}
}

// Pid is the id of the current (or last) process.
func (p *Proc) Pid() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cmd.Process.Pid
}

// Pids lists every process started so far, oldest first.
func (p *Proc) Pids() []int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]int(nil), p.pids...)
}

// Kill sends SIGKILL, the crash nothing can catch, and waits for the exit.
func (p *Proc) Kill() { p.signal(syscall.SIGKILL, 10*time.Second) }

// Stop sends SIGTERM (graceful stop) and waits for the exit.
func (p *Proc) Stop() { p.signal(syscall.SIGTERM, 60*time.Second) }

func (p *Proc) signal(sig syscall.Signal, wait time.Duration) {
	p.mu.Lock()
	cmd, exited := p.cmd, p.exited
	p.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(sig)
	select {
	case <-exited:
	case <-time.After(wait):
		_ = cmd.Process.Kill()
		<-exited
		p.t.Errorf("harness: serve did not exit within %v of %v", wait, sig)
	}
}

// Stdout and Stderr are everything the process wrote, over all its starts.
func (p *Proc) Stdout() string { return p.stdout.String() }
func (p *Proc) Stderr() string { return p.stderr.String() }

func (p *Proc) cleanup() {
	p.Kill()
	errs := p.stderr.String()
	if strings.Contains(errs, "WARNING: DATA RACE") {
		p.t.Errorf("serve %s reported a data race:\n%s", p.Addr, tail(errs[strings.Index(errs, "WARNING: DATA RACE"):], 8000))
	}
	if p.t.Failed() {
		p.t.Logf("serve %s stderr (end):\n%s", p.Addr, tail(errs, 3000))
	}
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}
