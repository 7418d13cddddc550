package testpg

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

func TestMain(m *testing.M) { Main(m) }

// TestNewDatabase checks that each call gives a distinct, empty, writable
// database on our own cluster, never the machine's server on port 5432.
func TestNewDatabase(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	u1, u2 := NewDatabase(t), NewDatabase(t)
	if u1 == u2 {
		t.Fatalf("two calls gave the same database %s", u1)
	}
	for _, raw := range []string{u1, u2} {
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		if u.Hostname() != "127.0.0.1" || u.Port() == "5432" || u.Port() == "" {
			t.Fatalf("url %s: want 127.0.0.1 on a port of our own", raw)
		}
	}
	c1, err := pgx.Connect(ctx, u1)
	if err != nil {
		t.Fatal(err)
	}
	defer c1.Close(ctx)
	if _, err := c1.Exec(ctx, "CREATE TABLE t (x int); INSERT INTO t VALUES (1)"); err != nil {
		t.Fatal(err)
	}
	c2, err := pgx.Connect(ctx, u2)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close(ctx)
	var n int
	if err := c2.QueryRow(ctx, "SELECT count(*) FROM pg_tables WHERE tablename = 't'").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatalf("second database sees the first one's table")
	}
}

// TestRemoveStale: an old directory whose server is dead goes; one whose server
// lives, or a fresh one (a cluster being set up), stays.
func TestRemoveStale(t *testing.T) {
	old := time.Now().Add(-time.Hour)
	mk := func(pid string, mtime time.Time) string {
		dir, err := os.MkdirTemp("", dirPrefix)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.RemoveAll(dir) })
		if pid != "" {
			if err := os.MkdirAll(filepath.Join(dir, "data"), 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "data", "postmaster.pid"), []byte(pid+"\n/data\n"), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.Chtimes(dir, mtime, mtime); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	dead := mk("2147483646", old)
	noPid := mk("", old)
	alive := mk(strconv.Itoa(os.Getpid()), old)
	fresh := mk("2147483646", time.Now())
	removeStale()
	for dir, wantGone := range map[string]bool{dead: true, noPid: true, alive: false, fresh: false} {
		_, err := os.Stat(dir)
		if gone := os.IsNotExist(err); gone != wantGone {
			t.Errorf("%s: gone = %v, want %v", dir, gone, wantGone)
		}
	}
}

// TestClusterRestart: a cluster of the test's own comes back on the same port
// with its data after either kind of stop; a row committed just before an
// immediate shutdown (a crash) is there after the restart, which needs
// synchronous commits.
func TestClusterRestart(t *testing.T) {
	for _, tc := range []struct {
		name string
		mode StopMode
	}{{"fast", Fast}, {"immediate", Immediate}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			c := NewCluster(t)
			url := c.NewDatabase(t)
			conn, err := pgx.Connect(ctx, url)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := conn.Exec(ctx, "CREATE TABLE t (x int)"); err != nil {
				t.Fatal(err)
			}
			for i := range 50 {
				if _, err := conn.Exec(ctx, "INSERT INTO t VALUES ($1)", i); err != nil {
					t.Fatal(err)
				}
			}
			conn.Close(ctx)

			before := c.URL("x")
			c.Stop(tc.mode)
			if conn, err := pgx.Connect(ctx, url); err == nil {
				conn.Close(ctx)
				t.Fatal("connected to a stopped cluster")
			}
			c.Start(t)
			if after := c.URL("x"); after != before {
				t.Fatalf("URL after the restart %s, before %s", after, before)
			}
			conn, err = pgx.Connect(ctx, url)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close(ctx)
			var n int
			if err := conn.QueryRow(ctx, "SELECT count(*) FROM t").Scan(&n); err != nil {
				t.Fatal(err)
			}
			if n != 50 {
				t.Fatalf("%d rows after the restart, want the 50 committed", n)
			}
		})
	}
}
