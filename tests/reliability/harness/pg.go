package harness

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hookcast/hookcast/internal/testpg"
)

// Cluster is a PostgreSQL server of one test's own, which the test may stop and
// start again (same port, same data) to show what serve does while its database
// is gone. internal/testpg's shared cluster is for tests that need a database
// that stays up; stopping it would break the other tests of the binary.
//
// Unlike testpg's it commits synchronously: a committed transaction is in the WAL
// (written to the OS) before the client hears of it, so an immediate shutdown
// (a crash) loses nothing acknowledged. fsync stays off: it only matters when
// the operating system itself goes down, which these tests do not do.
type Cluster struct {
	t      testing.TB
	bin    string
	dir    string
	port   int
	cred   *syscall.Credential
	cmd    *exec.Cmd
	exited chan struct{}
}

// NewCluster initialises and starts a cluster, removed when the test ends. It
// skips the test when the server binaries are missing (unless testpg.Required).
func NewCluster(t testing.TB) *Cluster {
	t.Helper()
	bin, err := testpg.Binaries()
	if err != nil {
		if testpg.Required() {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	dir := t.TempDir()
	c := &Cluster{t: t, bin: bin, dir: dir}
	if c.cred, err = pgCredential(dir); err != nil {
		t.Fatal(err)
	}
	initdb := exec.Command(filepath.Join(bin, "initdb"), "-D", c.data(), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync")
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred}
	if out, err := initdb.CombinedOutput(); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c.port = ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	t.Cleanup(func() { c.Stop(Fast) })
	c.Start()
	return c
}

func (c *Cluster) data() string { return filepath.Join(c.dir, "data") }

// URL is the address of database db.
func (c *Cluster) URL(db string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", c.port, db)
}

// CreateDatabase creates database name and returns its URL.
func (c *Cluster) CreateDatabase(name string) string {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, c.URL("postgres"))
	if err != nil {
		c.t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		c.t.Fatal(err)
	}
	return c.URL(name)
}

// Start starts the server on its port and waits until it accepts queries.
func (c *Cluster) Start() {
	c.t.Helper()
	logf, err := os.OpenFile(filepath.Join(c.dir, "postgres.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		c.t.Fatal(err)
	}
	defer logf.Close()
	c.cmd = exec.Command(filepath.Join(c.bin, "postgres"), "-D", c.data(), "-p", strconv.Itoa(c.port),
		"-h", "127.0.0.1", "-k", c.dir, "-c", "fsync=off", "-c", "full_page_writes=off",
		"-c", "synchronous_commit=on", "-c", "shared_buffers=16MB", "-c", "max_connections=100")
	c.cmd.Stdout, c.cmd.Stderr = logf, logf
	c.cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred, Pdeathsig: syscall.SIGQUIT}
	if err := c.cmd.Start(); err != nil {
		c.t.Fatalf("start postgres: %v", err)
	}
	exited := make(chan struct{})
	go func(cmd *exec.Cmd) { _ = cmd.Wait(); close(exited) }(c.cmd)
	c.exited = exited
	deadline := time.Now().Add(60 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		conn, err := pgx.Connect(ctx, c.URL("postgres"))
		if err == nil {
			conn.Close(ctx)
			cancel()
			return
		}
		cancel()
		select {
		case <-exited:
			log, _ := os.ReadFile(filepath.Join(c.dir, "postgres.log"))
			c.t.Fatalf("postgres exited during start-up: %v\n%s", err, log)
		case <-time.After(50 * time.Millisecond): // polling for readiness, with a deadline
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("postgres not ready after 60s: %v", err)
		}
	}
}

// StopMode is how the server is stopped.
type StopMode syscall.Signal

const (
	// Fast is PostgreSQL's fast shutdown: sessions are ended, a checkpoint is
	// written, the server exits.
	Fast = StopMode(syscall.SIGINT)
	// Immediate is its immediate shutdown: every process quits at once, as in a
	// crash; the next start replays the WAL.
	Immediate = StopMode(syscall.SIGQUIT)
)

// Stop stops the server and waits for it to exit.
func (c *Cluster) Stop(mode StopMode) {
	if c.cmd == nil || c.exited == nil {
		return
	}
	select {
	case <-c.exited:
		return
	default:
	}
	_ = c.cmd.Process.Signal(syscall.Signal(mode))
	select {
	case <-c.exited:
	case <-time.After(30 * time.Second):
		_ = c.cmd.Process.Kill()
		<-c.exited
	}
}

// pgCredential: initdb and postgres refuse to run as root, so as root they run as
// the postgres OS user, owning the directory.
func pgCredential(dir string) (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("running as root needs a 'postgres' OS user to run the server as: %w", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	// t.TempDir's parent is made by the test binary (root, 0700): open it.
	for d := dir; d != os.TempDir() && d != "/"; d = filepath.Dir(d) {
		if err := os.Chmod(d, 0o755); err != nil {
			return nil, err
		}
		if d == dir {
			if err := os.Chown(d, uid, gid); err != nil {
				return nil, err
			}
		}
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}
