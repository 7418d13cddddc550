package main

import (
	"bufio"
	"cmp"
	"context"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// benchReplicas is -mode throughput or single with -replicas N: N serve
// processes (runServe) on one fresh PostgreSQL database, the load's feeders
// spread over them (feeder i posts to replica i mod N), one receiver process
// that counts every delivery by path and webhook-id. It reports deliveries/s,
// the CPU a delivery of each replica, of the PostgreSQL server, the receiver
// and the load, and whether each delivery the database holds arrived exactly
// once: issue 16's "3 replicas on one database deliver every event exactly as
// one does at no less than one replica's throughput". -replicas 1 runs the same
// harness with one serve process: the figure the others are compared with.
func benchReplicas(ctx context.Context, o options, out io.Writer) error {
	if o.mode == "single" {
		return replicasOnce(ctx, o, out, 1, o.singleBatch)
	}
	for _, n := range o.endpoints {
		if err := replicasOnce(ctx, o, out, n, o.batch); err != nil {
			return err
		}
	}
	return nil
}

func replicasOnce(ctx context.Context, o options, out io.Writer, endpoints, batch int) error {
	db, drop, err := freshDatabase(ctx, o.database)
	if err != nil {
		return err
	}
	defer func() {
		if err := drop(); err != nil {
			fmt.Fprintf(os.Stderr, "hookbench: %v\n", err)
		}
	}()
	// The first replica creates the schema and the default account (and so
	// learns its secret); the others start on what it made.
	var svcs []*service
	defer func() {
		for _, s := range svcs {
			s.stop()
		}
	}()
	for i := range o.replicas {
		spec := serveSpec{Database: db, Replica: true}
		if i == 0 {
			spec.CPUProfile, spec.MemProfile = o.profile, o.memprof
		}
		p, err := startRole(ctx, "serve", spec)
		if err != nil {
			return err
		}
		var h serveHello
		if err := p.read(&h); err != nil {
			p.close()
			return fmt.Errorf("serve %d: %w", i+1, err)
		}
		svcs = append(svcs, &service{base: h.Base, secret: h.Secret, account: h.Account, proc: p,
			stop: func() { p.closeInto(os.Stdout) }})
	}
	first := svcs[0]
	if first.secret == "" {
		return fmt.Errorf("serve 1 started on a database that was not empty")
	}
	recv, recvURL, err := receiverRole(ctx)
	if err != nil {
		return err
	}
	defer recv.close()
	for i := range endpoints {
		if err := first.createWebhook(fmt.Sprintf("%s/e%d", recvURL, i), true, false); err != nil {
			return err
		}
	}
	pg, err := pgx.Connect(ctx, db)
	if err != nil {
		return fmt.Errorf("connect to %s: %w", o.database, err)
	}
	defer pg.Close(context.Background())

	// CPU before the run: a process's start is not the run's.
	serveCPU0 := make([]int64, len(svcs))
	for i, s := range svcs {
		var st serveStats
		if err := s.proc.ask(&st); err != nil {
			return fmt.Errorf("serve %d: %w", i+1, err)
		}
		serveCPU0[i] = st.CPU
	}
	var rs0 receiverStats
	if err := recv.ask(&rs0); err != nil {
		return fmt.Errorf("receiver: %w", err)
	}
	pgCPU0, pgErr := pgServerCPU(ctx, pg)
	xacts0, groups0 := pgCommits(ctx, pg), commitGroups(svcs)
	waits := sampleWaits(ctx, db)

	events := o.events
	if o.mode == "throughput" {
		events = max(1, o.events/endpoints) // each signal is a delivery to every endpoint
	}
	bases := make([]string, len(svcs))
	for i, s := range svcs {
		bases[i] = s.base
	}
	lr, err := loadRun(ctx, loadSpec{Bases: bases, Token: ingestToken, Account: first.account,
		Events: events, Batch: batch, Conc: o.conc})
	if err != nil {
		return err
	}
	// Every ingest request is answered, so every delivery is in the database:
	// the run is over when each has arrived and none is pending any more.
	var want int64
	if err := pg.QueryRow(ctx, "SELECT count(*) FROM deliveries").Scan(&want); err != nil {
		return fmt.Errorf("count deliveries: %w", err)
	}
	var rs receiverStats
	var pending int64
	for deadline := time.Now().Add(2 * time.Minute); ; {
		if err := recv.ask(&rs); err != nil {
			return fmt.Errorf("receiver: %w", err)
		}
		if rs.Distinct >= want || time.Now().After(deadline) {
			if err := pg.QueryRow(ctx, "SELECT count(*) FROM deliveries WHERE state = 'pending'").Scan(&pending); err != nil {
				return fmt.Errorf("count pending deliveries: %w", err)
			}
			if pending == 0 || time.Now().After(deadline) {
				break
			}
		}
		time.Sleep(10 * time.Millisecond) // the load tool waits for stragglers; tests never do this
	}
	serveCPU := make([]time.Duration, len(svcs))
	var serveAll time.Duration
	for i, s := range svcs {
		var st serveStats
		if err := s.proc.ask(&st); err != nil {
			return fmt.Errorf("serve %d: %w", i+1, err)
		}
		serveCPU[i] = time.Duration(st.CPU - serveCPU0[i])
		serveAll += serveCPU[i]
	}
	pgCPU1, pgErr1 := pgServerCPU(ctx, pg)
	waitsSeen := waits()
	xacts, groups := pgCommits(ctx, pg)-xacts0, commitGroups(svcs)-groups0
	states := map[string]int64{}
	rows, err := pg.Query(ctx, "SELECT state, count(*) FROM deliveries GROUP BY state")
	if err == nil {
		for rows.Next() {
			var st string
			var n int64
			if rows.Scan(&st, &n) == nil {
				states[st] = n
			}
		}
		rows.Close()
	}

	n := max(rs.Count, 1)
	per := func(d time.Duration) string { return fmt.Sprintf("%.1f", d.Seconds()*1e6/float64(n)) }
	span := time.Duration(rs.Last - rs.First)
	fmt.Fprintf(out, "replicas: %d serve on one PostgreSQL database, -mode %s, %d endpoint(s), %d signals, %d a request, %d feeders (feeder i → replica i mod %d)\n",
		len(svcs), o.mode, endpoints, lr.Sent, batch, o.conc, len(svcs))
	verdict := "every delivery arrived exactly once"
	if rs.Distinct != want || rs.Count != rs.Distinct || pending > 0 {
		verdict = "NOT exactly once"
	}
	fmt.Fprintf(out, "  deliveries in the database %d %v; received %d, distinct %d: missing %d, duplicates %d: %s\n",
		want, states, rs.Count, rs.Distinct, want-rs.Distinct, rs.Count-rs.Distinct, verdict)
	fmt.Fprintf(out, "  %.0f deliveries/s (first to last received); %.0f requests/s answered; request latency %s\n",
		float64(rs.Count)/span.Seconds(), float64(lr.Requests)/time.Duration(lr.Elapsed).Seconds(), lr.Latency)
	parts := make([]string, len(svcs))
	for i, c := range serveCPU {
		parts[i] = per(c)
	}
	pgPer := "not read (" + fmt.Sprint(pgErr, pgErr1) + ")"
	if pgErr == nil && pgErr1 == nil {
		pgPer = per(pgCPU1-pgCPU0) + " µs"
	}
	fmt.Fprintf(out, "  cpu µs a delivery: serve %s (all replicas %s); PostgreSQL server %s; receiver %s; load %s\n",
		strings.Join(parts, " + "), per(serveAll), pgPer, per(time.Duration(rs.CPU-rs0.CPU)), per(time.Duration(lr.CPU)))
	fmt.Fprintf(out, "  group commits %.0f (%.1f signals a group); transactions committed in the database %d (%.2f a delivery)\n",
		groups, float64(lr.Sent)/max(groups, 1), xacts, float64(xacts)/float64(n))
	fmt.Fprintf(out, "  the database's active backends, sampled every 20 ms: %s\n", waitsSeen)
	return nil
}

// pgServerCPU is the CPU time the PostgreSQL server behind c has used: its
// postmaster's own and that of its children, reaped (the backends of closed
// connections) and live, from /proc. It needs the server on this machine and a
// role that may read data_directory (a superuser, as in docs/PERFORMANCE.md's
// throwaway cluster).
func pgServerCPU(ctx context.Context, c *pgx.Conn) (time.Duration, error) {
	var dir string
	if err := c.QueryRow(ctx, "SHOW data_directory").Scan(&dir); err != nil {
		return 0, fmt.Errorf("data_directory: %w", err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "postmaster.pid"))
	if err != nil {
		return 0, err
	}
	pm, err := strconv.Atoi(strings.TrimSpace(strings.SplitN(string(b), "\n", 2)[0]))
	if err != nil {
		return 0, fmt.Errorf("postmaster.pid: %w", err)
	}
	_, ticks, err := procTicks(pm, true)
	if err != nil {
		return 0, err
	}
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, s := range stats {
		pid, err := strconv.Atoi(filepath.Base(filepath.Dir(s)))
		if err != nil || pid == pm {
			continue
		}
		if ppid, t, err := procTicks(pid, false); err == nil && ppid == pm {
			ticks += t
		}
	}
	return time.Duration(ticks) * time.Second / 100, nil // USER_HZ is 100 on Linux
}

// procTicks reads process pid's parent and its CPU time in clock ticks (user
// and system; with reaped children's when withChildren).
func procTicks(pid int, withChildren bool) (ppid int, ticks int64, err error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, 0, err
	}
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return 0, 0, fmt.Errorf("/proc/%d/stat: no command", pid)
	}
	f := strings.Fields(string(b[i+1:])) // f[0] is field 3, the state
	if len(f) < 15 {
		return 0, 0, fmt.Errorf("/proc/%d/stat: %d fields", pid, len(f))
	}
	ppid, _ = strconv.Atoi(f[1])
	last := 12 // utime, stime
	if withChildren {
		last = 14 // and cutime, cstime
	}
	for _, s := range f[11 : last+1] {
		v, _ := strconv.ParseInt(s, 10, 64)
		ticks += v
	}
	return ppid, ticks, nil
}

// commitGroups is how many group-commit transactions the replicas have run
// (the count of their hookcast_commit_duration_seconds histograms).
func commitGroups(svcs []*service) float64 {
	var n float64
	for _, s := range svcs {
		v, err := scrapeMetric(s.base, "hookcast_commit_duration_seconds_count ")
		if err != nil {
			return 0
		}
		n += v
	}
	return n
}

// scrapeMetric reads the value of the first line of base's /metrics that
// starts with prefix.
func scrapeMetric(base, prefix string) (float64, error) {
	resp, err := client.Get(base + "/metrics")
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), prefix); ok {
			return strconv.ParseFloat(strings.TrimSpace(rest), 64)
		}
	}
	return 0, fmt.Errorf("%s/metrics: no %q", base, prefix)
}

// pgCommits is how many transactions the database has committed (statistics
// the server publishes within a second or so).
func pgCommits(ctx context.Context, c *pgx.Conn) int64 {
	var n int64
	_ = c.QueryRow(ctx, "SELECT pg_stat_force_next_flush()").Scan(new(any))
	_ = c.QueryRow(ctx, "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()").Scan(&n)
	return n
}

// sampleWaits samples what the database's active backends (the replicas') are
// doing every 20 ms, on a connection of its own, until the returned func is
// called, which returns the share of each wait event (CPU: none) in the
// samples, most seen first: whether replicas wait for each other's row locks
// (Lock:transactionid, Lock:tuple), for the streams' advisory locks
// (Lock:advisory), or for WAL (LWLock:WALWrite, IO:WALSync).
func sampleWaits(ctx context.Context, db string) func() string {
	ctx, cancel := context.WithCancel(ctx)
	counts := map[string]int{}
	total := 0
	done := make(chan struct{})
	go func() {
		defer close(done)
		c, err := pgx.Connect(ctx, db)
		if err != nil {
			return
		}
		defer c.Close(context.Background())
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			// A lock wait names its statement's start, to tell whose lock it is.
			rows, err := c.Query(ctx, `SELECT coalesce(wait_event_type || ':' || wait_event, 'CPU') ||
					CASE WHEN wait_event_type = 'Lock' THEN ' (' || left(regexp_replace(query, '\s+', ' ', 'g'), 40) || '…)' ELSE '' END
				FROM pg_stat_activity
				WHERE datname = current_database() AND state = 'active' AND pid <> pg_backend_pid()`)
			if err != nil {
				return
			}
			for rows.Next() {
				var w string
				if rows.Scan(&w) == nil {
					counts[w]++
					total++
				}
			}
			rows.Close()
		}
	}()
	return func() string {
		cancel()
		<-done
		if total == 0 {
			return "none active"
		}
		keys := slices.Collect(maps.Keys(counts))
		slices.SortFunc(keys, func(a, b string) int { return cmp.Or(cmp.Compare(counts[b], counts[a]), cmp.Compare(a, b)) })
		var parts []string
		for _, k := range keys {
			parts = append(parts, fmt.Sprintf("%s %.0f%%", k, 100*float64(counts[k])/float64(total)))
		}
		return fmt.Sprintf("%d backend samples: %s", total, strings.Join(parts, ", "))
	}
}
