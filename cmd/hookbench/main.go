// Command hookbench measures hookcast on this machine, end to end, through its real
// HTTP surfaces: it starts `serve` (in process, on a temporary SQLite store or the
// PostgreSQL database given), a receiver, and drives signals through the ingest API.
//
//	go run ./cmd/hookbench                 # every measurement, ~1 minute
//	go run ./cmd/hookbench -mode ingest    # viewer join/leave batches: signals/s, p50/p99
//	go run ./cmd/hookbench -mode latency   # signal → webhook received at -rate events/s
//	go run ./cmd/hookbench -mode throughput -endpoints 1,10,100
//	go run ./cmd/hookbench -mode noisy -rate 50 -duration 15s   # issue 13's noisy neighbour
//	go run ./cmd/hookbench -mode single    # one signal per request, 16 concurrent: CPU per delivery
//	go run ./cmd/hookbench -mode single -rate 100   # the same paced: signal → webhook latency
//	go run ./cmd/hookbench -mode floor -rate 100    # the same through a relay that stores nothing
//	go run ./cmd/hookbench -mode idle -duration 30s # the share of a core an idle serve uses
//	go run ./cmd/hookbench -mode soak -deliveries 2000000 -retention 2m -nice 10  # issue 14; -nice: load and receiver yield to serve
//	go run ./cmd/hookbench -database postgres://… -mode throughput -replicas 3  # also -mode single
//
// Load and service share the machine, as they would on a small deployment; the
// figures in docs/PERFORMANCE.md were made this way. The service runs in this
// process except in -mode soak, whose figures (RSS, CPU) are serve's alone, and
// with -replicas, whose serves (one or more on one PostgreSQL database) each run
// in a process of their own.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"github.com/hookcast/hookcast/internal/server"
)

type options struct {
	mode      string
	duration  time.Duration
	rate      int
	batch     int
	conc      int
	streams   int
	endpoints []int
	events    int
	database  string
	replicas  int
	// replicaOf is the database of a replica of -replicas: used as it is, not
	// a fresh one, and only the first replica to start learns the secret.
	replicaOf string
	profile   string
	memprof   string
	noisy     int
	// -mode single's: one signal per request and as fast as answered unless
	// -batch or -rate are given.
	singleBatch, singleRate int
	// soak
	deliveries int
	retention  time.Duration
	ahead      int
	every      time.Duration
	maxTime    time.Duration
	nice       int
}

func main() {
	if code, ok := runRole(); ok {
		os.Exit(code) // a receiver, load or serve process of -mode single or soak
	}
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	var o options
	var eps string
	fs := flag.NewFlagSet("hookbench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.mode, "mode", "all", "ingest, latency, throughput, single, floor, noisy, idle, soak or all (all but floor, noisy, idle and soak)")
	fs.IntVar(&o.noisy, "noisy", 400, "webhooks of the noisy account (mode noisy)")
	fs.DurationVar(&o.duration, "duration", 10*time.Second, "how long the ingest and latency runs last")
	fs.IntVar(&o.rate, "rate", 1000, "events per second of the latency run; of the single run, 0 (its default): as fast as answered")
	fs.IntVar(&o.batch, "batch", 200, "signals per ingest request (single: 1 unless given)")
	fs.IntVar(&o.conc, "concurrency", 16, "concurrent ingest requests")
	fs.IntVar(&o.streams, "streams", 10000, "streams the ingest run spreads viewers over")
	fs.StringVar(&eps, "endpoints", "1,10,100", "endpoint counts of the throughput runs")
	fs.IntVar(&o.events, "events", 20000, "deliveries per throughput run")
	fs.IntVar(&o.deliveries, "deliveries", 2000000, "deliveries of the soak run")
	fs.DurationVar(&o.retention, "retention", 2*time.Minute, "serve's --retention in the soak run")
	fs.IntVar(&o.ahead, "ahead", 20000, "soak: most deliveries ingested ahead of those received")
	fs.DurationVar(&o.every, "every", 10*time.Second, "soak: time between two reports")
	fs.DurationVar(&o.maxTime, "max-time", time.Hour, "soak: stop after this long whatever was delivered")
	fs.IntVar(&o.nice, "nice", 0, "soak: niceness (0–19) the load and the receiver run at once serve and the scraper have started, so they take the CPU serve leaves, as other machines would; 0: they share it with serve")
	fs.StringVar(&o.database, "database", "", "postgres://… to measure PostgreSQL instead of SQLite: each service runs on a fresh database created on that server (and dropped after), so the role needs CREATEDB")
	fs.IntVar(&o.replicas, "replicas", 1, "with -database, -mode throughput or single: run this many serve processes on one fresh database, the feeders spread over them, and count each delivery received (given, even 1, the service runs in processes of its own)")
	fs.StringVar(&o.profile, "cpuprofile", "", "write a CPU profile of the whole run (service and load; soak: serve's process alone; -replicas: the first replica's process alone) to this file")
	fs.StringVar(&o.memprof, "memprofile", "", "write an allocation profile of the whole run (soak, -replicas: of serve's process alone) to this file")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if o.nice < 0 || o.nice > 19 {
		fmt.Fprintf(stderr, "hookbench: -nice %d: want 0 to 19\n", o.nice)
		return 2
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	o.singleBatch, o.singleRate = 1, 0
	if given["batch"] {
		o.singleBatch = o.batch
	}
	if given["rate"] {
		o.singleRate = o.rate
	}
	if o.batch < 1 || o.conc < 1 || o.rate < 0 {
		fmt.Fprintf(stderr, "hookbench: -batch and -concurrency must be positive, -rate not negative\n")
		return 2
	}
	if given["replicas"] {
		if o.replicas < 1 || o.database == "" || (o.mode != "throughput" && o.mode != "single") {
			fmt.Fprintf(stderr, "hookbench: -replicas wants a positive count, -database and -mode throughput or single\n")
			return 2
		}
	}
	if o.mode != "soak" && !given["replicas"] { // these serves run in processes of their own, and profile themselves
		stop, err := startProfiles(o.profile, o.memprof)
		if err != nil {
			fmt.Fprintf(stderr, "hookbench: %v\n", err)
			return 2
		}
		defer stop()
	}
	for _, s := range strings.Split(eps, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			fmt.Fprintf(stderr, "hookbench: -endpoints %q: want a comma-separated list of positive numbers\n", eps)
			return 2
		}
		o.endpoints = append(o.endpoints, n)
	}
	if o.mode != "soak" {
		o.retention = 0 // as the figures before retention were made: keep everything
	}
	ctx := context.Background()
	steps := map[string]func(context.Context, options, io.Writer) error{
		"ingest": benchIngest, "latency": benchLatency, "throughput": benchThroughput, "noisy": benchNoisy,
		"single": benchSingle, "floor": benchFloor, "idle": benchIdle, "soak": benchSoak,
	}
	if given["replicas"] {
		steps[o.mode] = benchReplicas
	}
	order := []string{"ingest", "latency", "throughput", "single"}
	if o.mode != "all" { // floor, noisy, idle and soak run only when asked
		if _, ok := steps[o.mode]; !ok {
			fmt.Fprintf(stderr, "hookbench: -mode %q: want ingest, latency, throughput, single, floor, noisy, idle, soak or all\n", o.mode)
			return 2
		}
		order = []string{o.mode}
	}
	gogc := server.TuneGC() // as serve runs
	fmt.Fprintf(stdout, "hookbench: %s, GOMAXPROCS=%d, %s, store=%s\n", time.Now().UTC().Format(time.RFC3339),
		runtime.GOMAXPROCS(0), gogc, storeName(o))
	for _, m := range order {
		if err := steps[m](ctx, o, stdout); err != nil {
			fmt.Fprintf(stderr, "hookbench %s: %v\n", m, err)
			return 1
		}
	}
	return 0
}

// startProfiles starts a CPU profile into cpu and arranges an allocation
// profile into mem (either may be empty); stop writes and closes them.
func startProfiles(cpu, mem string) (stop func(), err error) {
	var fs []func()
	stop = func() {
		for _, f := range fs {
			f()
		}
	}
	if cpu != "" {
		f, err := os.Create(cpu)
		if err != nil {
			return nil, err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			f.Close()
			return nil, err
		}
		fs = append(fs, func() { pprof.StopCPUProfile(); f.Close() })
	}
	if mem != "" {
		runtime.MemProfileRate = 64 << 10
		fs = append(fs, func() {
			if f, err := os.Create(mem); err == nil {
				_ = pprof.Lookup("allocs").WriteTo(f, 0)
				f.Close()
			}
		})
	}
	return stop, nil
}

func storeName(o options) string {
	if o.database != "" {
		return "postgres"
	}
	return "sqlite"
}
