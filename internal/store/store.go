// Package store declares the one storage interface of hookcast and the shared test
// suite (storetest) that every implementation must pass. The implementations live in
// sqlite/ (embedded default) and postgres/ (several replicas on one database).
//
// The store knows nothing of the engine's rules: stream state is an opaque blob plus
// the time its next timer is due, so the engine can change its encoding freely and
// the store can still find due timers with an index.
package store

import (
	"context"
	"errors"
	"time"
)

// Sentinel errors. Implementations wrap them with context; callers test with errors.Is.
var (
	ErrNotFound = errors.New("not found")
	ErrConflict = errors.New("already exists")
	// ErrUnavailable means the database cannot be reached or refused the work; the
	// caller should answer 503 and the client retry. Nothing was committed.
	ErrUnavailable = errors.New("store unavailable")
)

// Store is everything hookcast keeps. Every method is safe for concurrent use.
// Methods that take an accountID only ever see rows of that account: a row of
// another account is ErrNotFound, never revealed.
//
// Times come back in UTC with microsecond precision (they are stored as epoch
// microseconds); a zero time.Time is stored as 0 and comes back zero. A Limit or
// limit <= 0 means no limit; callers that face users cap it themselves.
type Store interface {
	// Migrate applies the embedded migrations. Safe when several processes start at
	// once against one database (PostgreSQL takes an advisory lock). The Open
	// functions already call it, so a freshly opened store is ready; calling it
	// again does nothing.
	Migrate(ctx context.Context) error
	// Ping reports whether the database answers (for /readyz).
	Ping(ctx context.Context) error
	Close() error

	// Meta is a small key/value table for service settings (token hashes and such).
	// SetMetaIfAbsent stores value unless the key exists and returns what is stored.
	GetMeta(ctx context.Context, key string) (string, error) // ErrNotFound when absent
	SetMetaIfAbsent(ctx context.Context, key, value string) (string, error)
	SetMeta(ctx context.Context, key, value string) error

	// Accounts and their API secrets (stored as SHA-256 hashes only).
	CreateAccount(ctx context.Context, a Account) error // ErrConflict when the id exists; zero CreatedAt: now
	GetAccount(ctx context.Context, id string) (Account, error)
	ListAccounts(ctx context.Context) ([]Account, error)
	// AddAPISecret fails with ErrNotFound for an unknown account and ErrConflict
	// when the hash is already stored.
	AddAPISecret(ctx context.Context, accountID string, hash []byte, label string) (APISecret, error)
	ListAPISecrets(ctx context.Context, accountID string) ([]APISecret, error) // by id, revoked ones too
	// RevokeAPISecret is idempotent: revoking a revoked secret keeps its first RevokedAt.
	RevokeAPISecret(ctx context.Context, accountID string, secretID int64) error
	// AccountBySecretHash finds the account of a live (not revoked) secret.
	AccountBySecretHash(ctx context.Context, hash []byte) (string, error)

	// Webhooks. Ids are integers unique across the store and increasing.
	CreateWebhook(ctx context.Context, w *Webhook) error // sets ID, CreatedAt, UpdatedAt; ErrNotFound for an unknown account
	GetWebhook(ctx context.Context, accountID string, id int64) (Webhook, error)
	// ListWebhooks returns up to limit webhooks of the account ordered by id,
	// starting at startingID inclusive (0: from the start; descending: from the end).
	ListWebhooks(ctx context.Context, accountID string, startingID int64, limit int, descending bool) ([]Webhook, error)
	// UpdateWebhook writes every field of w except ID, AccountID and CreatedAt
	// (including ConsecutiveFailures: reset it when re-enabling); it is matched by
	// AccountID and ID and sets UpdatedAt (and CreatedAt, read back).
	UpdateWebhook(ctx context.Context, w *Webhook) error
	// DeleteWebhook removes the webhook. Its deliveries stay in the log (the log
	// outlives its webhooks), and those still pending become failed with LastError
	// "webhook deleted" in the same transaction, so nothing is sent for it again.
	DeleteWebhook(ctx context.Context, accountID string, id int64) error

	// InTx runs fn in one transaction: everything fn does through tx commits
	// together or not at all. fn may be called again on a serialization failure, so
	// it must not have side effects outside tx. fn must not call write methods of
	// the Store itself: SQLite has one writer, and fn already holds it.
	InTx(ctx context.Context, fn func(tx Tx) error) error

	// ListStreams returns the saved state of the account's streams, by name.
	ListStreams(ctx context.Context, accountID string) ([]StreamRow, error)
	// NextDue returns the earliest due time of any stream timer, or zero if none.
	NextDue(ctx context.Context) (int64, error)

	// Events and the delivery log.
	GetEvent(ctx context.Context, accountID, eventID string) (Event, error)
	ListEvents(ctx context.Context, q EventQuery) ([]Event, error)

	// ClaimDeliveries leases up to limit deliveries that are pending and due
	// (NextAttemptAt <= now) and whose lease is free or expired, to owner until
	// now+lease, oldest due first. Two concurrent callers never get the same row.
	// The Webhook returned is the webhook as it is now (its URL, secret, policy or
	// limits may have changed since the event). A pending delivery whose webhook
	// no longer exists is not returned: it becomes failed with LastError "webhook
	// deleted" (so fewer than limit may come back while more work remains).
	ClaimDeliveries(ctx context.Context, c Claim) ([]ClaimedDelivery, error)
	// ReleaseDeliveries gives back owner's leases on ids (pending rows only), so
	// they can be claimed again at once rather than when the lease runs out.
	ReleaseDeliveries(ctx context.Context, owner string, ids []int64) error
	// ReleaseOwner gives back every lease owner holds: a replica restarting under
	// the same name frees what its previous run left, instead of waiting for the
	// leases to run out. It returns how many were freed.
	ReleaseOwner(ctx context.Context, owner string) (int64, error)
	// FinishAttempts records, in one transaction (the dispatcher's group
	// commit), each result's attempt (none when Attempt.N is 0, e.g. a delivery
	// skipped because its webhook is disabled) and the delivery's new state, and
	// releases the lease. It returns one error per result, nil when taken. The
	// delivery is Attempt.DeliveryID (set it also when N is 0); its LastStatus
	// and LastError become Attempt.Status and Attempt.Error, and Attempts grows
	// by one when an attempt is recorded. A result's error is ErrNotFound if
	// owner no longer holds the lease (the row was taken over): the attempt is
	// then not recorded twice. An expired lease that nobody took over still
	// counts as held.
	FinishAttempts(ctx context.Context, rs []AttemptResult) []error
	GetDelivery(ctx context.Context, accountID string, id int64) (Delivery, []Attempt, error) // attempts in order
	ListDeliveries(ctx context.Context, q DeliveryQuery) ([]Delivery, error)
	// Resend makes the given deliveries (or, with ids empty, the failed or skipped
	// deliveries of the account created since q.Since (and before q.Until when
	// set), filtered like
	// ListDeliveries: newest first, below q.BeforeID, at most q.Limit) pending
	// again, due now. Callers resend many in chunks of ids or of q.Limit. It returns the ids made pending, ascending. Given ids
	// may be in any state: ids of other accounts, of deleted webhooks and of
	// deliveries leased right now (being sent) are left alone and not returned.
	// Attempts keeps counting, so the next attempt's N is Attempts+1.
	Resend(ctx context.Context, accountID string, ids []int64, q DeliveryQuery, now time.Time) ([]int64, error)
	// CountDeliveries reports how many deliveries are in each state, and the
	// creation time of the oldest pending one (zero when none), for metrics. It
	// reads counters and one index, never the table: the oldest pending delivery
	// is the one with the smallest id (ids grow with time).
	CountDeliveries(ctx context.Context) (map[DeliveryState]int64, time.Time, error)

	// Stats reads the rollups FinishAttempts keeps (per webhook per minute, in the
	// same transaction as the attempts): the account's results from q.From to
	// q.To, summed per webhook and per q.Step, ordered by webhook then start. It
	// reads the rollups only, never the log, so a week costs the same however many
	// deliveries it saw.
	Stats(ctx context.Context, q StatsQuery) ([]StatsRow, error)
	// Backlog reports, per webhook of the account that has any, how many
	// deliveries are pending and when the oldest of them was created.
	Backlog(ctx context.Context, accountID string) ([]Backlog, error)

	// ClaimExpiringSecrets returns the webhooks (of any account) whose previous
	// secret expires after now and at or before before, and marks each so that
	// no later call (of this or another process) returns it again for that
	// expiry: a renewal with a new overlap is returned again when it comes due.
	ClaimExpiringSecrets(ctx context.Context, now, before time.Time) ([]Webhook, error)

	// Prune does one small batch of retention work in one short transaction, so
	// the signal path never waits on it long. It looks at up to Limit deliveries
	// with ids above AfterID, by id, and deletes, with their attempts, those that
	// are not pending and were created before Before; then deletes the events of
	// those deliveries that have none left. When that scan reached deliveries
	// created since Before (the rest are younger: ids grow with time), it also
	// deletes up to Limit events created before Before that have no delivery
	// (pending deliveries keep their event), and empties the bodies of up to Limit
	// image events created before ImagesBefore that have no pending delivery, and
	// up to Limit idempotency keys recorded before KeysBefore, and up to Limit
	// stats rollup rows of minutes before StatsBefore. Zero times skip
	// that part. A pass calls Prune from AfterID 0, then from each
	// result's NextID, while the result is Full.
	Prune(ctx context.Context, p PruneBatch) (PruneResult, error)

	// CreatePortalToken keeps a one-time sign-in token of the portal by its hash
	// (ErrNotFound for an unknown account, ErrConflict for a hash already kept),
	// and deletes the tokens that expired before t.CreatedAt, so they cannot pile up.
	CreatePortalToken(ctx context.Context, t PortalToken) error
	// TakePortalToken deletes the token with this hash and returns it, if it
	// has not expired at now; otherwise (unknown, used or expired) it is
	// ErrNotFound. Of two concurrent calls for one token, only one gets it.
	TakePortalToken(ctx context.Context, hash []byte, now time.Time) (PortalToken, error)
}

// PruneBatch is what one Prune call may remove.
type PruneBatch struct {
	Before       time.Time // deliveries and events created before this go
	ImagesBefore time.Time // image bodies of events created before this go
	KeysBefore   time.Time // idempotency keys recorded before this go
	StatsBefore  time.Time // stats rollups (Stats) of minutes before this go
	AfterID      int64     // deliveries with ids up to this were looked at already
	Limit        int       // rows of each kind per call (<= 0: DefaultPruneLimit)
}

// DefaultPruneLimit is PruneBatch.Limit when not given: a batch of this many
// takes a few milliseconds of the writer.
const DefaultPruneLimit = 500

// PruneResult counts what one Prune call removed.
type PruneResult struct {
	Deliveries, Attempts, Events, Images, Keys, Stats int64
	// Full is set when more may remain; call again from NextID.
	Full   bool
	NextID int64
	// Held is how long the call's transaction ran (from its first statement
	// to its commit): the time the signal path may have waited for it.
	Held time.Duration
}

// Add sums the counts of two results (Held: the longer).
func (r PruneResult) Add(o PruneResult) PruneResult {
	return PruneResult{Deliveries: r.Deliveries + o.Deliveries, Attempts: r.Attempts + o.Attempts,
		Events: r.Events + o.Events, Images: r.Images + o.Images, Keys: r.Keys + o.Keys, Stats: r.Stats + o.Stats}
}

// PortalToken is a one-time link into the dashboard for one account; only the
// SHA-256 of the token is kept.
type PortalToken struct {
	Hash      []byte
	AccountID string
	ReadOnly  bool
	CreatedAt time.Time
	ExpiresAt time.Time
}

// Tx is the work of one transaction of the signal path (ingest and timers).
type Tx interface {
	// LockStreams returns the current state of each key (absent keys are missing
	// from the map) and holds them against other transactions until the end of tx,
	// absent ones too: two transactions never both create the same stream.
	LockStreams(ctx context.Context, keys []StreamKey) (map[StreamKey]StreamRow, error)
	// DueStreams locks and returns up to limit streams whose DueAt is set and <= now,
	// skipping streams another transaction holds.
	DueStreams(ctx context.Context, now int64, limit int) ([]StreamRow, error)
	// SaveStreams writes the streams' states in few statements (the group
	// commit saves every stream it touched at once); a nil State deletes the row.
	SaveStreams(ctx context.Context, rows []StreamRow) error
	// Viewers returns which of keys are held as connected viewers of their
	// streams (a key absent from the map is not). The engine's state keeps only
	// the count of its viewers; their ids are rows of their own, read by the id
	// a signal names, so a join or leave costs the same whatever the audience.
	// The streams must be locked (LockStreams) in tx.
	Viewers(ctx context.Context, keys []ViewerKey) (map[ViewerKey]bool, error)
	// SaveViewers applies the changes of locked streams' viewers, in few
	// statements: the viewers of the streams in Clear are all removed first,
	// then Remove are removed and Add added (a viewer held already stays).
	SaveViewers(ctx context.Context, c ViewerChanges) error
	// WebhooksFor returns the account's webhooks that have typ enabled (including
	// disabled ones: the caller records those deliveries as skipped), by id. typ is
	// an Event.Type; an unknown one is an error.
	WebhooksFor(ctx context.Context, accountID, typ string) ([]Webhook, error)
	// InsertEvents stores events, each with one delivery per entry of its
	// Deliveries (their EventID and AccountID are set from the event), in few
	// statements (the group commit inserts every event it made at once), and
	// returns each event's delivery ids, in order. A zero Event.CreatedAt is
	// now; a delivery's empty State is pending, its empty EventType and
	// EventName are the event's Type and Event, its zero CreatedAt and UpdatedAt
	// the event's CreatedAt. ErrConflict when an event's id exists or comes
	// twice in evs: then some of the others may be written, and the transaction
	// is to be abandoned.
	InsertEvents(ctx context.Context, evs []NewEvent) ([][]int64, error)
	// ClaimKeys records idempotency keys (a request's Idempotency-Key, a
	// signal's id or content) at `at` and reports, for each, whether it is fresh:
	// not recorded, or recorded before notBefore (out of the window: recorded
	// anew). A key given twice is fresh the first time only. For keys that are
	// not fresh, Result holds what SetKeyResult stored with them (nil if nothing).
	// A concurrent transaction claiming the same key waits for this one.
	ClaimKeys(ctx context.Context, keys []string, at, notBefore time.Time) ([]KeyClaim, error)
	// SetKeyResult stores result with a key claimed in this transaction (the
	// answer a replay of the request gets).
	SetKeyResult(ctx context.Context, key string, result []byte) error
}

// KeyClaim is ClaimKeys' answer for one key.
type KeyClaim struct {
	Fresh  bool
	Result []byte
}

// NewEvent is an event to insert with its deliveries (Tx.InsertEvents).
type NewEvent struct {
	Event      Event
	Deliveries []Delivery
	// Stored says the event row was inserted by an earlier transaction: only
	// the deliveries are (more of a test event's, whose fan-out is written a
	// chunk per transaction so no one transaction holds SQLite's writer long).
	// The event must exist (ErrNotFound otherwise); its row is not read.
	Stored bool
}

// Account is one customer of the service. Every webhook, stream and event belongs to one.
type Account struct {
	ID        string
	Name      string
	CreatedAt time.Time
}

// APISecret is one bearer secret of an account; only its hash is kept.
type APISecret struct {
	ID        int64
	AccountID string
	Label     string
	CreatedAt time.Time
	RevokedAt time.Time // zero while valid
}

// Webhook is one endpoint of an account and what it wants to receive.
type Webhook struct {
	ID        int64
	AccountID string
	URL       string
	Secret    string // standard base64 of 32 random bytes; retrievable by design (the API returns it)

	IsFeedHooks             bool
	IsRecordingHooks        bool
	IsThumbnailHooks        bool
	IsTranscoderHooks       bool
	IsMediaHooks            bool
	IsViewerConnectionHooks bool
	// IsClipHooks is Millicast's clip switch, which its official clients send on
	// every create and update. It is kept and returned so they work unchanged;
	// hookcast has no clip events, so it never selects a delivery.
	IsClipHooks bool
	// IsOperationalHooks selects hookcast's operational events (type
	// "operational": webhookDisabled, webhookEnabled, deliveryExhausted,
	// secretExpiring) about the account's other webhooks.
	IsOperationalHooks bool

	Filter      string // regular expression on the stream name; empty matches all
	RetryPolicy string // "none" or "exponential"

	// Disabled is set by auto-disable or a 410 answer and cleared by reEnable or a
	// new URL. DisabledUntil is when it lifts by itself (zero: not by itself).
	Disabled       bool
	DisabledUntil  time.Time
	DisabledReason string
	// ConsecutiveFailures counts failed attempts since the last success, for auto-disable.
	ConsecutiveFailures int

	// PreviousSecret is the secret that refreshSecret replaced, still valid
	// until PreviousSecretExpiresAt: until then every delivery's
	// webhook-signature carries a second entry signed with it, so a receiver
	// that has not been given the new secret yet keeps verifying. Empty, or an
	// expiry not after now: no overlap.
	PreviousSecret          string
	PreviousSecretExpiresAt time.Time

	// MaxConcurrency bounds the attempts in flight to this webhook at once (0:
	// the dispatcher's default, 4); MaxPerSecond the attempts started in any
	// second (0: unlimited).
	MaxConcurrency int
	MaxPerSecond   int

	// Headers are sent with every delivery (an API key the receiver's gateway
	// wants, a routing header): at most 10, and never the signature headers or
	// Content-Type, which the API refuses and the dispatcher sets after them
	// anyway. nil when none.
	Headers map[string]string

	CreatedAt time.Time
	UpdatedAt time.Time
}

// PreviousSecretAt returns the previous secret if it is still valid at now, else "".
func (w *Webhook) PreviousSecretAt(now time.Time) string {
	if w.PreviousSecret == "" || !now.Before(w.PreviousSecretExpiresAt) {
		return ""
	}
	return w.PreviousSecret
}

// StreamKey names a stream: accountId/name.
type StreamKey struct {
	AccountID string
	Name      string
}

// ViewerKey names a connected viewer of a stream.
type ViewerKey struct {
	AccountID string
	Name      string
	ViewerID  string
}

// Stream is the stream of the viewer.
func (k ViewerKey) Stream() StreamKey { return StreamKey{AccountID: k.AccountID, Name: k.Name} }

// ViewerChanges is what a transaction changes of the viewers held (Tx.SaveViewers).
type ViewerChanges struct {
	Clear       []StreamKey
	Remove, Add []ViewerKey
}

// Empty reports that c changes nothing.
func (c ViewerChanges) Empty() bool { return len(c.Clear)+len(c.Remove)+len(c.Add) == 0 }

// StreamRow is the persisted state of one stream.
type StreamRow struct {
	Key   StreamKey
	State []byte // engine-encoded; nil means "no state" (SaveStreams deletes)
	DueAt int64  // epoch ms of the earliest pending timer, or earlier; 0 = none
	// SameDue, given to SaveStreams, says the row exists with this DueAt already:
	// the store may write the state alone and leave due_at and its index be.
	SameDue bool
}

// Event is one webhook event as it will be sent: the body is final and byte-identical
// for every delivery and attempt.
type Event struct {
	ID          string // also the webhook-id header: stable across retries
	AccountID   string
	Type        string // feeds, viewerConnection, media, recordings, transcoder, thumbnail
	Event       string
	StreamName  string // the name the webhook filter matches (transcoderName for transcoder)
	Timestamp   int64  // epoch ms when it happened
	ContentType string // application/json or image/jpeg
	Headers     map[string]string
	Body        []byte
	CreatedAt   time.Time
}

// EventQuery filters ListEvents. Empty fields match everything; results are newest first.
type EventQuery struct {
	AccountID  string
	StreamName string
	Type       string
	Limit      int
}

// DeliveryState is where a delivery is in its life.
type DeliveryState string

const (
	DeliveryPending   DeliveryState = "pending"   // waiting for its (next) attempt
	DeliverySucceeded DeliveryState = "succeeded" // a 2xx was received
	DeliveryFailed    DeliveryState = "failed"    // no more attempts will be made
	DeliverySkipped   DeliveryState = "skipped"   // the webhook was disabled when it was due
)

// Delivery is one event to one webhook.
type Delivery struct {
	ID            int64
	EventID       string
	AccountID     string
	WebhookID     int64
	EventType     string
	EventName     string
	State         DeliveryState
	Attempts      int // attempts made so far, across resends
	NextAttemptAt time.Time
	LastStatus    int // HTTP status of the last attempt; 0 for none or a connection error
	LastError     string
	CreatedAt     time.Time
	UpdatedAt     time.Time
	// LeaseOwner and LeaseUntil, when set on InsertEvents, insert the delivery
	// already claimed: the process that commits it hands it straight to its
	// dispatcher, without a claim transaction. (Not read back by queries.)
	LeaseOwner string
	LeaseUntil time.Time
}

// Attempt is one HTTP request of a delivery.
type Attempt struct {
	DeliveryID int64
	N          int // 1-based
	At         time.Time
	Status     int // 0 when no response
	Latency    time.Duration
	Error      string
	Response   []byte // at most the first 4 KB of the response body
}

// Claim asks ClaimDeliveries for work.
type Claim struct {
	Owner string
	Now   time.Time
	Lease time.Duration
	Limit int
	// ExcludeWebhooks and ExcludeAccounts leave out deliveries to these webhooks
	// and of these accounts: the dispatcher has no room for them now (a full
	// queue, a webhook paused by Retry-After, an account at its share), and
	// claiming their rows would crowd out everyone else's.
	ExcludeWebhooks []int64
	ExcludeAccounts []string
}

// ClaimedDelivery is a leased delivery with all that is needed to send it.
type ClaimedDelivery struct {
	Delivery Delivery
	Event    Event
	Webhook  Webhook
}

// AttemptResult is what FinishAttempts records of one attempt.
type AttemptResult struct {
	Owner   string
	Attempt Attempt
	// State is the delivery's new state; NextAttemptAt matters when it is pending.
	State         DeliveryState
	NextAttemptAt time.Time
	// Webhook bookkeeping, applied in the same transaction: when an attempt is
	// recorded (Attempt.N > 0), on success the webhook's ConsecutiveFailures resets
	// to 0, otherwise it grows by one; a skip (N = 0) or a throttled attempt
	// leaves it alone. With Disable set the webhook is disabled (DisableUntil
	// zero: until re-enabled by hand).
	Success bool
	// Throttled says the receiver asked to wait (429 or 503 with Retry-After):
	// the webhook slows down, it is not failing, so it is not counted towards
	// auto-disable.
	Throttled     bool
	Disable       bool
	DisableUntil  time.Time
	DisableReason string
}

// LatencyBounds are the upper bounds of the attempt latency histogram that the
// stats rollups keep: fixed buckets, so that rollups of any minutes and
// webhooks add up and percentiles can still be estimated from the sums. The last
// bucket (LatencyBuckets-1) holds everything above the last bound.
var LatencyBounds = [LatencyBuckets - 1]time.Duration{
	5 * time.Millisecond, 10 * time.Millisecond, 25 * time.Millisecond, 50 * time.Millisecond,
	100 * time.Millisecond, 250 * time.Millisecond, 500 * time.Millisecond, time.Second,
	2500 * time.Millisecond, 5 * time.Second, 10 * time.Second,
}

// LatencyBuckets is the number of buckets of the latency histogram.
const LatencyBuckets = 12

// LatencyBucket is the bucket of the histogram that a latency falls in.
func LatencyBucket(d time.Duration) int {
	for i, b := range LatencyBounds {
		if d <= b {
			return i
		}
	}
	return LatencyBuckets - 1
}

// StatsQuery asks Stats for an account's rollups (of one webhook when
// WebhookID is set) from From (inclusive) to To (exclusive), both rounded down
// to the minute, summed per Step (a whole number of minutes, at least one)
// counted from From.
type StatsQuery struct {
	AccountID string
	WebhookID int64
	From, To  time.Time
	Step      time.Duration
}

// StatsRow is what a webhook's recorded results were over one step. Each
// result counts once, by the state it left the delivery in: Succeeded, Failed
// (for good), Retried (an attempt failed and another is due) or Skipped (the
// webhook was disabled; no attempt, so no latency).
type StatsRow struct {
	WebhookID int64
	Start     time.Time
	Succeeded int64
	Failed    int64
	Retried   int64
	Skipped   int64
	// Latency counts the attempts by LatencyBucket.
	Latency [LatencyBuckets]int64
}

// Backlog is a webhook's pending deliveries (Store.Backlog).
type Backlog struct {
	WebhookID int64
	Pending   int64
	Oldest    time.Time // creation time of the oldest pending delivery
}

// DeliveryQuery filters ListDeliveries and Resend. Empty fields match everything
// (an empty AccountID every account: for admin views; Resend always uses its own
// accountID). Results are newest first; paging goes by BeforeID (exclusive).
type DeliveryQuery struct {
	AccountID string
	WebhookID int64
	EventType string
	State     DeliveryState
	Since     time.Time // created at or after (zero: any)
	Until     time.Time // created before (zero: any): Since and Until make a window
	BeforeID  int64
	Limit     int
}
