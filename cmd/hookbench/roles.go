package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hookcast/hookcast/internal/server"
)

// roleEnv names the role a child hookbench process plays (see benchSingle and
// benchSoak).
const roleEnv = "HOOKBENCH_ROLE"

// runRole runs this process as the receiver or the load of benchSingle, or the
// service of benchSoak, and reports whether it was one.
func runRole() (int, bool) {
	switch os.Getenv(roleEnv) {
	case "receiver":
		return exitCode(runReceiver(os.Stdin, os.Stdout)), true
	case "load":
		return exitCode(runLoad(os.Stdin, os.Stdout)), true
	case "serve":
		return exitCode(runServe(os.Stdin, os.Stdout)), true
	case "scraper":
		return exitCode(runScraper(os.Stdin, os.Stdout)), true
	case "":
		return 0, false
	default:
		fmt.Fprintf(os.Stderr, "hookbench: %s=%q: want receiver, load, serve or scraper\n", roleEnv, os.Getenv(roleEnv))
		return 2, true
	}
}

// serveSpec is what a serve process is started with: the options startService
// reads, and where to write serve's own profiles.
type serveSpec struct {
	Database  string
	Retention time.Duration
	Noisy     int
	// Replica: Database is a replica's (-replicas), used as it is.
	Replica    bool   `json:",omitempty"`
	CPUProfile string `json:",omitempty"`
	MemProfile string `json:",omitempty"`
}

// serveHello is a serve process's first line: where the service answers.
type serveHello struct{ Base, Secret, Account, Dir string }

// serveStats is what a serve process answers each question with.
type serveStats struct {
	CPU int64 // ns of CPU time the serve process used
}

// runServe runs `serve` as startService does, in this process alone: it reads
// a serveSpec line from in, writes a serveHello, answers every further line of
// in with its serveStats, and stops the service when in closes (what the stop
// prints, the WAL's size, follows on out).
func runServe(in io.Reader, out io.Writer) error {
	r := bufio.NewReader(in)
	line, err := r.ReadBytes('\n')
	if err != nil {
		return err
	}
	var spec serveSpec
	if err := json.Unmarshal(line, &spec); err != nil {
		return err
	}
	server.TuneGC() // as serve runs
	stopProfiles, err := startProfiles(spec.CPUProfile, spec.MemProfile)
	if err != nil {
		return err
	}
	defer stopProfiles()
	o := options{database: spec.Database, retention: spec.Retention, noisy: spec.Noisy}
	if spec.Replica {
		o.database, o.replicaOf = "", spec.Database
	}
	svc, err := startService(context.Background(), o)
	if err != nil {
		return err
	}
	defer svc.stop()
	enc := json.NewEncoder(out)
	if err := enc.Encode(serveHello{Base: svc.base, Secret: svc.secret, Account: svc.account, Dir: svc.dir}); err != nil {
		return err
	}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		if err := enc.Encode(serveStats{CPU: int64(cpuTime())}); err != nil {
			return err
		}
	}
	return sc.Err()
}

func exitCode(err error) int {
	if err != nil {
		fmt.Fprintf(os.Stderr, "hookbench: %v\n", err)
		return 1
	}
	return 0
}

// receiverStats is what the receiver answers each question with.
type receiverStats struct {
	Count       int64
	Distinct    int64 // distinct (path, webhook-id): Count less the duplicates
	First, Last int64 // unix ns of the first and last delivery received
	CPU         int64 // ns of CPU time the receiver process used
	Latency     string
}

// runReceiver serves webhooks on 127.0.0.1 until in closes: it writes its URL as
// the first line of out, then answers every line of in with its receiverStats.
func runReceiver(in io.Reader, out io.Writer) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	var mu sync.Mutex
	var st receiverStats
	var lat latencies
	seen := map[string]struct{}{} // path and webhook-id of every delivery received
	marker := []byte(`"feedId":"t`)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		now := time.Now().UnixNano()
		if i := bytes.Index(b, marker); i >= 0 {
			rest := b[i+len(marker):]
			if j := bytes.IndexByte(rest, '"'); j > 0 {
				if sent, err := strconv.ParseInt(string(rest[:j]), 10, 64); err == nil {
					lat.add(time.Duration(now - sent))
				}
			}
		}
		key := r.URL.Path + " " + r.Header.Get("Webhook-Id")
		mu.Lock()
		if st.Count == 0 {
			st.First = now
		}
		st.Last = now
		st.Count++
		if _, dup := seen[key]; !dup {
			seen[key] = struct{}{}
			st.Distinct++
		}
		mu.Unlock()
	})}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	enc := json.NewEncoder(out)
	if err := enc.Encode(map[string]string{"URL": "http://" + ln.Addr().String()}); err != nil {
		return err
	}
	sc := bufio.NewScanner(in)
	for sc.Scan() {
		mu.Lock()
		s := st
		mu.Unlock()
		s.CPU = int64(cpuTime())
		s.Latency = lat.summary()
		if err := enc.Encode(s); err != nil {
			return err
		}
	}
	return sc.Err()
}

// loadSpec is what the load process is asked to send.
type loadSpec struct {
	Base, Token, Account string
	// Bases, when given, are the replicas (-replicas): feeder i posts to
	// Bases[i mod len(Bases)], Base unused.
	Bases               []string `json:",omitempty"`
	Events, Batch, Conc int
	Rate                int // signals/s; 0: as fast as answered
}

// loadResult is what it reports once every request is answered.
type loadResult struct {
	Sent, Requests int
	Elapsed, CPU   int64 // ns
	Latency        string
	Error          string `json:",omitempty"`
}

// runLoad reads a loadSpec from in, posts its signals and writes a loadResult.
func runLoad(in io.Reader, out io.Writer) error {
	var spec loadSpec
	if err := json.NewDecoder(in).Decode(&spec); err != nil {
		return err
	}
	cpu0 := cpuTime() // the process's start is not the load's
	res := sendLoad(spec)
	res.CPU -= int64(cpu0)
	return json.NewEncoder(out).Encode(res)
}

func sendLoad(spec loadSpec) loadResult {
	bases := spec.Bases
	if len(bases) == 0 {
		bases = []string{spec.Base}
	}
	batch := max(spec.Batch, 1)
	if spec.Rate > 0 {
		batch = 1
	}
	jobs := make(chan int, 4096) // first signal of each request
	var lat latencies
	var sent, requests atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	for i := range max(spec.Conc, 1) {
		svc := &service{base: bases[i%len(bases)]}
		wg.Go(func() {
			var b []byte
			for k := range jobs {
				b = append(b[:0], '[')
				for j := k; j < min(k+batch, spec.Events); j++ {
					if j > k {
						b = append(b, ',')
					}
					b = appendSignal(b, spec, j)
				}
				b = append(b, ']')
				t := time.Now()
				if _, err := svc.post("/api/ingest/signals", spec.Token, b); err != nil {
					firstErr.CompareAndSwap(nil, err.Error())
					continue
				}
				lat.add(time.Since(t))
				requests.Add(1)
				sent.Add(int64(min(batch, spec.Events-k)))
			}
		})
	}
	start := time.Now()
	if spec.Rate == 0 {
		for k := 0; k < spec.Events; k += batch {
			jobs <- k
		}
	} else {
		// Pace: every millisecond, hand out what the rate owes by now.
		tick := time.NewTicker(time.Millisecond)
		for k := 0; k < spec.Events; {
			<-tick.C
			owed := min(spec.Events, int(time.Since(start).Seconds()*float64(spec.Rate)))
			for ; k < owed; k++ {
				jobs <- k
			}
		}
		tick.Stop()
	}
	close(jobs)
	wg.Wait()
	r := loadResult{Sent: int(sent.Load()), Requests: int(requests.Load()),
		Elapsed: int64(time.Since(start)), CPU: int64(cpuTime()), Latency: lat.summary()}
	if e, ok := firstErr.Load().(string); ok {
		r.Error = e
	}
	return r
}

// appendSignal appends signal j of the load. As fast as answered: P streams
// start and end a feed by turns, so every signal makes one `feeds` event and no
// stream's state grows. P is 1,000, or more where that many signals are in
// flight at once (batches × concurrency): a stream's end must not overtake its
// start in another request. Paced: every signal starts a new feed whose id is
// the send time, which the receiver reads back.
func appendSignal(b []byte, spec loadSpec, j int) []byte {
	kind, feed := "feed.started", "f"
	p := max(1000, 2*spec.Batch*spec.Conc)
	if spec.Rate > 0 {
		feed = "t" + strconv.FormatInt(time.Now().UnixNano(), 10)
	} else if j/p%2 == 1 {
		kind = "feed.ended"
	}
	b = append(b, `{"kind":"`...)
	b = append(b, kind...)
	b = append(b, `","accountId":"`...)
	b = append(b, spec.Account...)
	b = append(b, `","name":"s`...)
	b = strconv.AppendInt(b, int64(j%p), 10)
	b = append(b, `","feedId":"`...)
	b = append(b, feed...)
	return append(b, `"}`...)
}
