// Package delivery sends webhook deliveries: it claims them from the store's
// outbox, signs and POSTs them, records every attempt, and schedules retries.
// Each endpoint (webhook) has its own queue and concurrency limit, so a slow or
// dead receiver never delays another's deliveries.
package delivery

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hookcast/hookcast/internal/netguard"
	"github.com/hookcast/hookcast/internal/store"
)

// Metrics receives one call per delivery handled. Implementations must be fast
// and safe for concurrent use.
type Metrics interface {
	// OnAttempt reports an outcome, one of "succeeded", "retry", "failed" or
	// "skipped", and the HTTP exchange's latency (0 when nothing was sent).
	OnAttempt(outcome string, latency time.Duration)
}

// Options configures a Dispatcher. Zero values take the defaults given per field.
type Options struct {
	// Owner names this process in the store's leases; it must differ between
	// replicas. Default: host name, pid and a random suffix.
	Owner string
	// Client sends the requests. Default: netguard.NewClient with private
	// addresses refused and idle connections sized to PerEndpointConcurrency.
	Client *http.Client
	// AttemptTimeout bounds one attempt. Default: Client.Timeout, or 15 s.
	AttemptTimeout time.Duration
	// Clock is the time source for attempts, retries and leases. Default time.Now.
	Clock func() time.Time
	// Lease is how long a claimed delivery stays reserved to this process. A
	// delivery still queued when less than AttemptTimeout+5 s of its lease remains
	// is not sent but left for a new claim. Default 60 s; at least
	// AttemptTimeout+10 s.
	Lease time.Duration
	// PerEndpointConcurrency is how many attempts one webhook may have in flight.
	// Default 4.
	PerEndpointConcurrency int
	// PerEndpointQueue is how many claimed deliveries one webhook may have waiting
	// in memory; more are left in the store (their lease runs out and they are
	// claimed again). Default 1000.
	PerEndpointQueue int
	// Workers bounds the attempts in flight over all webhooks. Default 256.
	Workers int
	// MaxQueued stops the poller claiming while this many deliveries wait in
	// memory. Default 4096.
	MaxQueued int
	// PollInterval is how often the store is searched for due deliveries:
	// retries, rows left by a crash, rows committed by other replicas. New
	// deliveries do not wait for it (see Notify). Default 1 s.
	PollInterval time.Duration
	// PollBatch is how many deliveries one poll claims at most. Default 256.
	PollBatch int
	// ShutdownGrace is how long Run waits, once its context is done, for attempts
	// in flight before cutting them off. Default 10 s.
	ShutdownGrace time.Duration
	// UserAgent is sent with every request. Default "hookcast".
	UserAgent string
	// Retry is the backoff of the exponential policy.
	Retry RetryPolicy
	// AutoDisableAfter disables a webhook after this many consecutive failed
	// attempts. Default 20; negative: never.
	AutoDisableAfter int
	// AutoDisableFor is how long an auto-disabled webhook stays disabled; the
	// next attempt after that is a probe, and one more failure disables it
	// again. Default 1 h.
	AutoDisableFor time.Duration
	// Logger receives operational messages (never secrets or URLs). Default: none.
	Logger *slog.Logger
	// Metrics, when set, is told of every attempt.
	Metrics Metrics
}

func (o *Options) setDefaults() {
	if o.Owner == "" {
		o.Owner = defaultOwner()
	}
	if o.PerEndpointConcurrency <= 0 {
		o.PerEndpointConcurrency = 4
	}
	if o.Client == nil {
		o.Client = netguard.NewClient(netguard.ClientOptions{MaxIdleConnsPerHost: 2 * o.PerEndpointConcurrency})
	}
	if o.AttemptTimeout <= 0 {
		o.AttemptTimeout = o.Client.Timeout
		if o.AttemptTimeout <= 0 {
			o.AttemptTimeout = 15 * time.Second
		}
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	if o.Lease <= 0 {
		o.Lease = 60 * time.Second
	}
	o.Lease = max(o.Lease, o.AttemptTimeout+10*time.Second)
	setDefault(&o.PerEndpointQueue, 1000)
	setDefault(&o.Workers, 256)
	setDefault(&o.MaxQueued, 4096)
	setDefault(&o.PollBatch, 256)
	setDefault(&o.AutoDisableAfter, 20)
	if o.PollInterval <= 0 {
		o.PollInterval = time.Second
	}
	if o.ShutdownGrace <= 0 {
		o.ShutdownGrace = 10 * time.Second
	}
	if o.UserAgent == "" {
		o.UserAgent = "hookcast"
	}
	if o.AutoDisableFor <= 0 {
		o.AutoDisableFor = time.Hour
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	o.Retry.setDefaults()
}

func setDefault(v *int, def int) {
	if *v == 0 {
		*v = def
	}
}

func defaultOwner() string {
	host, _ := os.Hostname()
	var b [4]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b[:]))
}

// Dispatcher delivers what the store's outbox holds. Create it with New, start it
// with Run, and tell it of new deliveries with Notify.
type Dispatcher struct {
	st      store.Store
	opts    Options
	client  *http.Client
	clock   func() time.Time
	signers signerCache

	notifyCh chan []int64  // fast path: ids committed a moment ago
	wake     chan struct{} // asks the poller to run now
	sem      chan struct{} // global concurrency
	stopCh   chan struct{} // closed when Run stops taking work
	running  atomic.Bool

	// sendCtx is cancelled when the shutdown grace period is over.
	sendCtx    context.Context
	cancelSend context.CancelFunc
	workers    sync.WaitGroup

	mu        sync.Mutex
	stopping  bool
	endpoints map[int64]*endpoint
	held      map[int64]*item // delivery id -> its latest claim
	queued    int
	seq       uint64 // dispatch sequence number of the last item queued

	dropped atomic.Int64 // claims not taken up (queue full or lease too short)
}

// New returns a Dispatcher working on st.
func New(st store.Store, opts Options) *Dispatcher {
	opts.setDefaults()
	ctx, cancel := context.WithCancel(context.Background())
	return &Dispatcher{
		st:         st,
		opts:       opts,
		client:     opts.Client,
		clock:      opts.Clock,
		notifyCh:   make(chan []int64, 1024),
		wake:       make(chan struct{}, 1),
		sem:        make(chan struct{}, opts.Workers),
		stopCh:     make(chan struct{}),
		sendCtx:    ctx,
		cancelSend: cancel,
		endpoints:  make(map[int64]*endpoint),
		held:       make(map[int64]*item),
	}
}

// Notify tells the dispatcher of deliveries just committed, so they are sent at
// once instead of at the next poll. It never blocks: when the dispatcher is
// behind, the ids are dropped and the poller finds the rows instead.
func (d *Dispatcher) Notify(ids []int64) {
	if len(ids) == 0 {
		return
	}
	select {
	case d.notifyCh <- append([]int64(nil), ids...):
	default:
		d.pokePoller()
	}
}

func (d *Dispatcher) pokePoller() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// Stats is a snapshot for metrics.
type Stats struct {
	Queued    int   // claimed deliveries waiting in memory
	InFlight  int   // attempts under way
	Endpoints int   // webhooks with queued or in-flight deliveries
	Dropped   int64 // claims given back to the store since start (queue full or lease too short)
}

// Stats returns a snapshot of the dispatcher's queues.
func (d *Dispatcher) Stats() Stats {
	d.mu.Lock()
	defer d.mu.Unlock()
	return Stats{Queued: d.queued, InFlight: len(d.sem), Endpoints: len(d.endpoints), Dropped: d.dropped.Load()}
}

// Run delivers until ctx is done. Then it stops claiming, drops what is queued
// (those leases run out and the rows are claimed again, here after a restart or
// by another replica), and waits for attempts in flight, at most ShutdownGrace,
// before cutting them off unrecorded. It returns nil after a clean stop.
func (d *Dispatcher) Run(ctx context.Context) error {
	if !d.running.CompareAndSwap(false, true) {
		return errors.New("delivery: Run called twice")
	}
	var loops sync.WaitGroup
	loops.Go(func() { d.notifyLoop(ctx) })
	loops.Go(func() { d.pollLoop(ctx) })
	<-ctx.Done()
	loops.Wait()

	d.mu.Lock()
	d.stopping = true
	close(d.stopCh)
	d.mu.Unlock()

	done := make(chan struct{})
	go func() { d.workers.Wait(); close(done) }()
	grace := time.NewTimer(d.opts.ShutdownGrace)
	defer grace.Stop()
	select {
	case <-done:
	case <-grace.C:
		d.opts.Logger.Warn("delivery: shutdown grace period over, cutting off attempts in flight")
		d.cancelSend()
		<-done
	}
	d.cancelSend()
	return nil
}

// notifyLoop is the fast path: it claims the ids Notify was given, coalescing
// whatever else is waiting into one claim.
func (d *Dispatcher) notifyLoop(ctx context.Context) {
	const maxBatch = 1024
	for {
		var ids []int64
		select {
		case <-ctx.Done():
			return
		case ids = <-d.notifyCh:
		}
	more:
		for len(ids) < maxBatch {
			select {
			case more := <-d.notifyCh:
				ids = append(ids, more...)
			default:
				break more
			}
		}
		now := d.clock()
		claimed, err := d.st.ClaimDeliveries(ctx, store.Claim{
			Owner: d.opts.Owner, Now: now, Lease: d.opts.Lease, Limit: len(ids), IDs: ids,
		})
		if err != nil {
			if ctx.Err() == nil {
				d.opts.Logger.Warn("delivery: claim new deliveries", "err", err, "count", len(ids))
				d.pokePoller()
			}
			continue
		}
		d.dispatch(claimed, now)
	}
}

// pollLoop claims due deliveries every PollInterval, or sooner when poked.
func (d *Dispatcher) pollLoop(ctx context.Context) {
	t := time.NewTicker(d.opts.PollInterval)
	defer t.Stop()
	for {
		d.poll(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-d.wake:
		}
	}
}

// poll claims batches while they come back full and everything claimed found a
// place; a delivery that found none stays leased, so the next poll moves on to
// other rows rather than claiming the same ones again.
func (d *Dispatcher) poll(ctx context.Context) {
	for ctx.Err() == nil {
		d.mu.Lock()
		free := d.opts.MaxQueued - d.queued
		d.mu.Unlock()
		n := min(free, d.opts.PollBatch)
		if n <= 0 {
			return
		}
		now := d.clock()
		claimed, err := d.st.ClaimDeliveries(ctx, store.Claim{
			Owner: d.opts.Owner, Now: now, Lease: d.opts.Lease, Limit: n,
		})
		if err != nil {
			if ctx.Err() == nil {
				d.opts.Logger.Warn("delivery: claim due deliveries", "err", err)
			}
			return
		}
		if accepted := d.dispatch(claimed, now); len(claimed) < n || accepted < len(claimed) {
			return
		}
	}
}
