package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"time"
)

// benchSingle is the media servers' way: nginx-rtmp, MediaMTX and SRS call once per
// publish, play or stop, so each request carries -batch signals (1 by default in
// this mode), -concurrency requests at a time, each signal one `feeds` event to one
// webhook. The service runs in this process; the load and the receiver each run in
// a process of their own (this binary again, see runRole), so the CPU time of each
// side is its own: the figure that matters is hookcast's CPU per delivery.
//
// With -rate 0 the load posts as fast as the service answers and the run reports
// deliveries/s; with -rate N it paces N signals/s and reports signal → webhook
// received latency (the receiver reads the send time out of the feed id).
func benchSingle(ctx context.Context, o options, out io.Writer) error {
	svc, err := startService(ctx, o)
	if err != nil {
		return err
	}
	defer svc.stop()
	recv, recvURL, err := receiverRole(ctx)
	if err != nil {
		return err
	}
	defer recv.close()
	if err := svc.createWebhook(recvURL, true, false); err != nil {
		return err
	}
	return singleLoad(ctx, o, out, recv, svc.base, svc.account, "hookcast")
}

// singleLoad runs the load role against base (account's signals), waits until
// the receiver recv has every delivery, and prints the run's figures: CPU per
// delivery of this process (named self), of the receiver and of the load.
func singleLoad(ctx context.Context, o options, out io.Writer, recv *roleProc, base, account, self string) error {
	events := o.events
	if o.singleRate > 0 {
		events = int(o.duration.Seconds() * float64(o.singleRate))
	}
	spec := loadSpec{Base: base, Token: ingestToken, Account: account,
		Events: events, Batch: o.singleBatch, Conc: o.conc, Rate: o.singleRate}
	var rs0 receiverStats // the receiver's CPU before the run: its start is not the run's
	if err := recv.ask(&rs0); err != nil {
		return fmt.Errorf("receiver: %w", err)
	}
	cpu0 := cpuTime()
	lr, err := loadRun(ctx, spec)
	if err != nil {
		return err
	}
	want := int64(lr.Sent)
	var rs receiverStats
	for deadline := time.Now().Add(2 * time.Minute); ; {
		if err := recv.ask(&rs); err != nil {
			return fmt.Errorf("receiver: %w", err)
		}
		if rs.Count >= want || time.Now().After(deadline) {
			break
		}
		time.Sleep(5 * time.Millisecond) // the load tool waits for stragglers; tests never do this
	}
	cpuSelf := cpuTime() - cpu0
	n := max(rs.Count, 1)
	per := func(d time.Duration) float64 { return d.Seconds() * 1e6 / float64(n) }
	span := time.Duration(rs.Last - rs.First)
	fmt.Fprintf(out, "single: %d signals, %d a request, %d concurrent, %s; %d deliveries received of %d\n",
		lr.Sent, o.singleBatch, o.conc, paceName(o.singleRate), rs.Count, want)
	if o.singleRate == 0 {
		fmt.Fprintf(out, "  %.0f deliveries/s (first to last received); %.0f requests/s answered; request latency %s\n",
			float64(rs.Count)/span.Seconds(), float64(lr.Requests)/time.Duration(lr.Elapsed).Seconds(), lr.Latency)
	} else {
		fmt.Fprintf(out, "  signal → webhook received: %s\n", rs.Latency)
	}
	fmt.Fprintf(out, "  cpu per delivery: %s %.1f µs; receiver %.1f µs; load (the media servers) %.1f µs\n",
		self, per(cpuSelf), per(time.Duration(rs.CPU-rs0.CPU)), per(time.Duration(lr.CPU)))
	return nil
}

func paceName(rate int) string {
	if rate == 0 {
		return "as fast as answered"
	}
	return fmt.Sprintf("%d signals/s", rate)
}

// receiverRole starts the receiver role and returns it with the URL it
// listens on.
func receiverRole(ctx context.Context) (*roleProc, string, error) {
	recv, err := startRole(ctx, "receiver", nil)
	if err != nil {
		return nil, "", err
	}
	var hello struct{ URL string }
	if err := recv.read(&hello); err != nil {
		recv.close()
		return nil, "", fmt.Errorf("receiver: %w", err)
	}
	return recv, hello.URL, nil
}

// loadRun runs the load role with spec until it has sent everything and
// returns what it reports.
func loadRun(ctx context.Context, spec loadSpec) (loadResult, error) {
	var lr loadResult
	load, err := startRole(ctx, "load", spec)
	if err != nil {
		return lr, err
	}
	err = load.read(&lr)
	load.close()
	if err != nil {
		return lr, fmt.Errorf("load: %w", err)
	}
	if lr.Error != "" {
		return lr, fmt.Errorf("load: %s", lr.Error)
	}
	return lr, nil
}

// roleProc is a child process running this binary in one of runRole's roles,
// talking JSON lines: it writes on its stdout, and reads a line on its stdin for
// each question (the receiver) or its spec (the load). Closing stdin ends it.
type roleProc struct {
	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Reader
}

func startRole(ctx context.Context, role string, spec any) (*roleProc, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, self)
	cmd.Env = append(os.Environ(), roleEnv+"="+role)
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &roleProc{cmd: cmd, in: in, out: bufio.NewReader(out)}
	if spec != nil {
		if err := json.NewEncoder(in).Encode(spec); err != nil {
			p.close()
			return nil, err
		}
	}
	return p, nil
}

func (p *roleProc) read(v any) error {
	line, err := p.out.ReadBytes('\n')
	if err != nil {
		return err
	}
	return json.Unmarshal(line, v)
}

// ask sends an empty question and reads the answer.
func (p *roleProc) ask(v any) error {
	if _, err := io.WriteString(p.in, "{}\n"); err != nil {
		return err
	}
	return p.read(v)
}

func (p *roleProc) close() { p.closeInto(io.Discard) }

// closeInto closes p's stdin, copies what it writes until it exits to w, and
// waits for it.
func (p *roleProc) closeInto(w io.Writer) {
	_ = p.in.Close()
	_, _ = io.Copy(w, p.out)
	_ = p.cmd.Wait()
}
