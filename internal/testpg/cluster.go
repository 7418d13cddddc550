package testpg

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// dirPrefix names the temporary directories, so that those of killed test
// binaries can be found and removed.
const dirPrefix = "hookcast-testpg-"

var errNoBinaries = errors.New("PostgreSQL server binaries (initdb, postgres) not found")

// Cluster is one PostgreSQL server (postmaster) and the directory holding its
// data, on a port of its own. It may be stopped and started again (same port,
// same data), to show what a client does while its database is gone.
//
// fsync is off: it only matters when the operating system itself goes down,
// which no test does.
type Cluster struct {
	bin, dir   string
	syncCommit bool // see newCluster
	cred       *syscall.Credential
	port       int
	cmd        *exec.Cmd
	exited     chan struct{} // closed when the postmaster has exited
	admin      *pgxpool.Pool // to create and drop databases; nil while stopped
}

// NewCluster initialises and starts a cluster of the test's own, removed when
// the test ends. A test that stops its database needs one: stopping the test
// binary's shared cluster (NewDatabase) would break the other tests. Without
// the server binaries the test is skipped, or fails (see Required).
func NewCluster(t testing.TB) *Cluster {
	t.Helper()
	c, err := newCluster(true)
	if err != nil {
		skipOrFail(t, err)
	}
	t.Cleanup(func() {
		if err := c.close(); err != nil {
			t.Errorf("testpg: %v", err)
		}
	})
	return c
}

// skipOrFail ends the test on an error starting a cluster: a skip when only
// the binaries are missing and they are not required, a failure otherwise.
func skipOrFail(t testing.TB, err error) {
	t.Helper()
	if errors.Is(err, errNoBinaries) && !Required() {
		t.Skipf("testpg: %v; run `make deps` to install PostgreSQL", err)
	}
	t.Fatalf("testpg: %v", err)
}

// URL is the address of database db.
func (c *Cluster) URL(db string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", c.port, db)
}

// NewDatabase creates an empty database and returns its URL. The database is
// dropped when the test ends, if the cluster then runs; close what uses it
// first (t.Cleanup runs last-registered first).
func (c *Cluster) NewDatabase(t testing.TB) string {
	t.Helper()
	name := fmt.Sprintf("test_%d", dbSeq.Add(1))
	if err := c.exec("CREATE DATABASE " + name); err != nil {
		t.Fatalf("testpg: create database %s: %v", name, err)
	}
	t.Cleanup(func() {
		if !c.running() {
			return // stopped by the test: its directory goes with the cluster
		}
		if err := c.exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)"); err != nil {
			t.Errorf("testpg: drop database %s: %v", name, err)
		}
	})
	return c.URL(name)
}

func (c *Cluster) exec(sql string) error {
	if !c.running() {
		return errors.New("the cluster is stopped")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err := c.admin.Exec(ctx, sql)
	return err
}

func (c *Cluster) running() bool {
	if c.exited == nil {
		return false
	}
	select {
	case <-c.exited:
		return false
	default:
		return true
	}
}

// Start starts the stopped server again, on its port with its data, and waits
// until it accepts queries (after an immediate shutdown, once it has replayed
// the WAL).
func (c *Cluster) Start(t testing.TB) {
	t.Helper()
	if c.running() {
		t.Fatal("testpg: Start: the cluster is running")
	}
	if err := c.launch(); err != nil {
		t.Fatalf("testpg: %v", err)
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

// Stop stops the server and waits for it to exit; it is killed if it has not
// after 30s. Stopping a stopped server does nothing. Start it again within ten
// minutes: a directory whose server has been gone longer is taken for the
// leftover of a killed test binary (removeStale).
func (c *Cluster) Stop(mode StopMode) {
	if c.admin != nil {
		c.admin.Close()
		c.admin = nil
	}
	if !c.running() {
		return
	}
	_ = c.cmd.Process.Signal(syscall.Signal(mode))
	select {
	case <-c.exited:
	case <-time.After(30 * time.Second):
		c.kill()
	}
}

func (c *Cluster) kill() {
	_ = c.cmd.Process.Kill()
	<-c.exited
}

// close stops the server and removes its directory.
func (c *Cluster) close() error {
	c.Stop(Fast)
	if err := os.RemoveAll(c.dir); err != nil {
		return fmt.Errorf("remove %s: %w", c.dir, err)
	}
	return nil
}

// newCluster initialises a cluster in a new temporary directory and starts it
// on a free port. With syncCommit a committed transaction is in the WAL, written
// to the OS, before the client hears of it, so an immediate shutdown (a crash)
// loses nothing acknowledged: a cluster a test may stop needs it. The shared
// cluster is never stopped while tests use it, and commits faster without.
func newCluster(syncCommit bool) (*Cluster, error) {
	bin, err := findBin()
	if err != nil {
		return nil, err
	}
	removeStale()
	dir, err := os.MkdirTemp("", dirPrefix)
	if err != nil {
		return nil, err
	}
	c := &Cluster{bin: bin, dir: dir, syncCommit: syncCommit}
	if c.cred, err = credential(dir); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	initdb := exec.Command(filepath.Join(bin, "initdb"), "-D", c.data(), "-U", "postgres", "-A", "trust",
		"-E", "UTF8", "--no-sync")
	initdb.Dir = dir
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred}
	if out, err := initdb.CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("initdb: %w\n%s", err, out)
	}
	// A free port can be taken between our check and the server's bind (another
	// test binary doing the same): try a few.
	for range 5 {
		if c.port, err = freePort(); err != nil {
			break
		}
		if err = c.launch(); !errors.Is(err, errPortTaken) {
			break
		}
	}
	if errors.Is(err, errPortTaken) {
		err = errors.New("no free port found for the test server")
	}
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return c, nil
}

func (c *Cluster) data() string { return filepath.Join(c.dir, "data") }

var errPortTaken = errors.New("port taken")

// launch starts the postmaster on c.port and waits until it accepts queries.
func (c *Cluster) launch() error {
	logPath := filepath.Join(c.dir, "postgres.log")
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	defer logf.Close()
	logStart, err := logf.Seek(0, io.SeekEnd)
	if err != nil {
		return err
	}
	syncCommit := "off"
	if c.syncCommit {
		syncCommit = "on"
	}
	c.cmd = exec.Command(filepath.Join(c.bin, "postgres"), "-D", c.data(), "-p", strconv.Itoa(c.port),
		"-h", "127.0.0.1", "-k", c.dir, "-c", "fsync=off", "-c", "synchronous_commit="+syncCommit,
		"-c", "full_page_writes=off", "-c", "shared_buffers=32MB", "-c", "max_connections=300",
		"-c", "deadlock_timeout=200ms")
	c.cmd.Dir = c.dir
	c.cmd.Stdout, c.cmd.Stderr = logf, logf
	// SIGQUIT (immediate shutdown) if the test binary dies without stopping us.
	c.cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred, Pdeathsig: syscall.SIGQUIT}
	if err := c.cmd.Start(); err != nil {
		return fmt.Errorf("start postgres: %w", err)
	}
	exited := make(chan struct{})
	go func(cmd *exec.Cmd) { _ = cmd.Wait(); close(exited) }(c.cmd)
	c.exited = exited
	if err := c.waitReady(60 * time.Second); err != nil {
		c.kill()
		log := readFrom(logPath, logStart)
		if strings.Contains(log, "could not bind") || strings.Contains(log, "already in use") {
			return errPortTaken
		}
		return fmt.Errorf("%w\npostgres log:\n%s", err, log)
	}
	return nil
}

// readFrom returns what the file holds from offset on: this start's part of
// the server log.
func readFrom(path string, offset int64) string {
	b, _ := os.ReadFile(path)
	if offset > int64(len(b)) {
		return ""
	}
	return string(b[offset:])
}

// waitReady polls until the server accepts a query, it exits, or timeout passes.
func (c *Cluster) waitReady(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		pool, err := pgxpool.New(ctx, c.URL("postgres"))
		if err == nil {
			if err = pool.Ping(ctx); err == nil {
				cancel()
				c.admin = pool
				return nil
			}
			pool.Close()
		}
		cancel()
		select {
		case <-c.exited:
			return fmt.Errorf("postgres exited during start-up: %v", err)
		case <-time.After(50 * time.Millisecond): // polling for readiness, with a deadline
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("postgres not ready after %v: %w", timeout, err)
		}
	}
}

// findBin returns the directory holding initdb and postgres, the newest version first.
func findBin() (string, error) {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	slices.SortFunc(dirs, func(a, b string) int { return version(b) - version(a) })
	if p, err := exec.LookPath("initdb"); err == nil {
		dirs = append(dirs, filepath.Dir(p))
	}
	for _, d := range dirs {
		if isExec(filepath.Join(d, "initdb")) && isExec(filepath.Join(d, "postgres")) {
			return d, nil
		}
	}
	return "", errNoBinaries
}

func version(binDir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return v
}

func isExec(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0
}

// credential is whom the server runs as: initdb and postgres refuse to run as
// root, so as root they run as the postgres user, owning the directory.
func credential(dir string) (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("running as root needs a 'postgres' OS user to run the server as (initdb refuses root): %w", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	if err := os.Chown(dir, uid, gid); err != nil {
		return nil, fmt.Errorf("chown %s: %w", dir, err)
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// removeStale removes the directories that test binaries killed before their
// clean-up left behind (their server died with them: Pdeathsig). A directory is
// stale when it is older than ten minutes and no live process holds its pid file.
func removeStale() {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), dirPrefix+"*"))
	for _, dir := range dirs {
		fi, err := os.Stat(dir)
		if err != nil || time.Since(fi.ModTime()) < 10*time.Minute {
			continue
		}
		if b, err := os.ReadFile(filepath.Join(dir, "data", "postmaster.pid")); err == nil {
			first, _, _ := strings.Cut(string(b), "\n")
			if pid, err := strconv.Atoi(strings.TrimSpace(first)); err == nil && pid > 0 {
				if err := syscall.Kill(pid, 0); err == nil || errors.Is(err, syscall.EPERM) {
					continue // alive
				}
			}
		}
		_ = os.RemoveAll(dir)
	}
}
