package delivery

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"os"
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

// Reports is told, once the store has recorded it, that a webhook was disabled
// (a 410, or auto-disable) and that a delivery was given up (failed for good
// after an attempt). Implementations must not block: they run on the recorder.
type Reports interface {
	WebhookDisabled(w store.Webhook, reason string, until time.Time)
	DeliveryExhausted(cd store.ClaimedDelivery, last store.Attempt)
}

// Options configures a Dispatcher. Zero values take the defaults given per field.
type Options struct {
	// Owner names this process in the store's leases; it must differ between
	// replicas. Default: host name, pid and a random suffix.
	Owner string
	// Client sends the requests. Default: netguard.NewClient with AllowPrivate
	// and idle connections sized to PerEndpointConcurrency.
	Client *http.Client
	// AllowPrivate lets the default Client reach private and loopback addresses
	// (development; receivers on the same network). Ignored when Client is set.
	// Default false.
	AllowPrivate bool
	// AttemptTimeout bounds one attempt. Default: Client.Timeout, or 15 s.
	AttemptTimeout time.Duration
	// Clock is the time source for attempts, retries and leases. Default time.Now.
	Clock func() time.Time
	// Lease is how long a delivery stays reserved to this process, from the
	// commit that inserts it leased (see Lease) or the claim. A delivery still
	// queued when less than AttemptTimeout+5 s of its lease remains is not sent
	// but given back for a new claim. Default 60 s; at least
	// AttemptTimeout+10 s.
	Lease time.Duration
	// PerEndpointConcurrency is how many attempts one webhook may have in flight
	// when it sets no MaxConcurrency of its own. Default 4.
	PerEndpointConcurrency int
	// PerEndpointQueue is how many deliveries one webhook may have waiting in
	// memory (fewer for a webhook too slow or too limited to start them within
	// their leases); more are left in the store, unleased, and claimed when
	// there is room. Default 40000: a burst to one fast webhook is sent from
	// memory, with no claim (a write) to bring it back.
	PerEndpointQueue int
	// Workers bounds the attempts in flight over all webhooks. An account has
	// at most its share of them while others have work (the workers less a
	// sixteenth kept free, split between the accounts with work). Default 256.
	Workers int
	// MaxQueued bounds the deliveries waiting in memory over all webhooks, and
	// MaxQueuedPerAccount those of one account, so that one account's backlog
	// leaves room for the others'. Defaults 50000 (0.3 KB each, plus their
	// share of the event, 0.2 KB and its body, and of the webhook) and three
	// quarters of MaxQueued.
	MaxQueued           int
	MaxQueuedPerAccount int
	// PollInterval is how often the store is searched for due deliveries:
	// retries, rows left by a crash, rows committed by other replicas. New
	// deliveries do not wait for it (see Handoff), nor resends (see Wake).
	// Default 1 s.
	PollInterval time.Duration
	// PollBatch is how many deliveries one poll claims at most. Default 256.
	PollBatch int
	// RecordInterval is the least time between the starts of two transactions
	// recording attempts while attempts keep coming (recordLoop): those that
	// finish meanwhile share the next one. An attempt after a quiet spell is
	// recorded at once. Default 5 ms (recordInterval); serve sets 50 ms on
	// PostgreSQL (server.recordIntervalPostgres).
	RecordInterval time.Duration
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
	// AutoDisableWindow is how long the failures must have been going on, too,
	// before a webhook is disabled: an endpoint down for a few minutes gets all
	// its deliveries once it is back (they retry), instead of being disabled and
	// having them skipped. Default 30 min; negative: no minimum.
	AutoDisableWindow time.Duration
	// AutoDisableFor is how long an auto-disabled webhook stays disabled; the
	// next attempt after that is a probe, and one more failure disables it
	// again. Default 1 h.
	AutoDisableFor time.Duration
	// Logger receives operational messages (never secrets or URLs). Default: none.
	Logger *slog.Logger
	// Metrics, when set, is told of every attempt.
	Metrics Metrics
	// Reports, when set, is told of disabled webhooks and given-up deliveries
	// (operational events).
	Reports Reports
}

func (o *Options) setDefaults() {
	if o.Owner == "" {
		o.Owner = defaultOwner()
	}
	if o.PerEndpointConcurrency <= 0 {
		o.PerEndpointConcurrency = 4
	}
	if o.Client == nil {
		o.Client = netguard.NewClient(netguard.ClientOptions{
			AllowPrivate:        o.AllowPrivate,
			MaxIdleConnsPerHost: 2 * o.PerEndpointConcurrency,
		})
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
	setDefault(&o.PerEndpointQueue, 40000)
	setDefault(&o.Workers, 256)
	setDefault(&o.MaxQueued, 50000)
	setDefault(&o.MaxQueuedPerAccount, max(1, o.MaxQueued*3/4))
	setDefault(&o.PollBatch, 256)
	setDefault(&o.AutoDisableAfter, 20)
	if o.PollInterval <= 0 {
		o.PollInterval = time.Second
	}
	if o.RecordInterval <= 0 {
		o.RecordInterval = recordInterval
	}
	if o.ShutdownGrace <= 0 {
		o.ShutdownGrace = 10 * time.Second
	}
	if o.UserAgent == "" {
		o.UserAgent = "hookcast"
	}
	if o.AutoDisableWindow == 0 {
		o.AutoDisableWindow = 30 * time.Minute
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
