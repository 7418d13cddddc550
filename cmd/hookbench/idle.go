package main

import (
	"context"
	"fmt"
	"io"
	"time"
)

// benchIdle starts the service with one webhook and no traffic and reports
// the share of a core it uses over -duration: its background loops (timers,
// polls, checkpoints) cost this much on a server that has nothing to do.
func benchIdle(ctx context.Context, o options, out io.Writer) error {
	svc, err := startService(ctx, o)
	if err != nil {
		return err
	}
	defer svc.stop()
	if err := svc.createWebhook("http://127.0.0.1:9/idle", true, true); err != nil {
		return err
	}
	time.Sleep(time.Second) // let start-up work finish before measuring
	cpu0, t0 := cpuTime(), time.Now()
	time.Sleep(o.duration)
	cpu, took := cpuTime()-cpu0, time.Since(t0)
	fmt.Fprintf(out, "idle: %.2f%% of a core over %v (%v of CPU)\n",
		100*cpu.Seconds()/took.Seconds(), took.Round(time.Millisecond), cpu.Round(time.Microsecond))
	return nil
}
