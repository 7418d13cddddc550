// Package operational sends hookcast's own events about webhooks
// (webhook.TypeOperational: webhookDisabled, webhookEnabled, deliveryExhausted,
// secretExpiring) to the account's webhooks with isOperationalHooks, never to
// the webhook an event is about, and to one operator URL when configured.
//
// Events to webhooks are stored like any other, with their deliveries, and the
// dispatcher sends, retries and logs them. The operator URL is the operator's
// own endpoint, outside any account: it gets each event once, signed with the
// operator secret, with a few quick retries, and is not logged.
//
// Reports arrive from the paths that change a webhook (the dispatcher's
// recorder, the API) and must never wait: they are queued, and dropped (and
// counted) when the queue is full.
package operational

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/hookcast/hookcast/internal/commit"
	"github.com/hookcast/hookcast/internal/store"
	"github.com/hookcast/hookcast/webhook"
)

// Store is the part of the store a Notifier works on: a transaction to store an
// event with its deliveries (store.Tx), and the claim of the secrets about to
// expire. store.Store implements it; the methods keep the contracts documented
// there.
type Store interface {
	InTx(ctx context.Context, fn func(tx store.Tx) error) error
	ClaimExpiringSecrets(ctx context.Context, now, before time.Time) ([]store.Webhook, error)
}

// Options configures a Notifier. Zero values take the defaults given per field.
type Options struct {
	// OperatorURL, when set, receives every operational event of every account,
	// signed with OperatorSecret (standard base64, like a webhook's secret).
	OperatorURL    string
	OperatorSecret string
	// Client sends to the operator URL. Default: a client with a 10 s timeout.
	Client *http.Client
	// Wake tells the dispatcher that deliveries were stored (may be nil: its
	// poller finds them).
	Wake func()
	// Now is the clock. Default time.Now.
	Now func() time.Time
	// ExpiringAhead is how long before a previous secret stops being valid
	// secretExpiring is sent. Default 1 h.
	ExpiringAhead time.Duration
	// ScanEvery is how often expiring secrets are looked for. Default 1 min.
	ScanEvery time.Duration
	// Queue bounds the events waiting to be stored. Default 1024.
	Queue int
	// Logger receives failures (never secrets). Default: none.
	Logger *slog.Logger
	// Count, when set, is told of every event produced ("webhookDisabled", …)
	// and of every one dropped ("dropped").
	Count func(event string)
}

// Notifier produces operational events. Create it with New and run it with Run.
type Notifier struct {
	st      Store
	opts    Options
	signer  *webhook.Signer
	ch      chan item
	dropped atomic.Int64
}

// item is an event and the webhook it is about (which does not receive it).
type item struct {
	ev      store.Event
	subject int64
}

// New returns a Notifier. An operator secret that is not base64 is an error.
func New(st Store, opts Options) (*Notifier, error) {
	if opts.Client == nil {
		opts.Client = &http.Client{Timeout: 10 * time.Second}
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.ExpiringAhead <= 0 {
		opts.ExpiringAhead = time.Hour
	}
	if opts.ScanEvery <= 0 {
		opts.ScanEvery = time.Minute
	}
	if opts.Queue <= 0 {
		opts.Queue = 1024
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	n := &Notifier{st: st, opts: opts, ch: make(chan item, opts.Queue)}
	if opts.OperatorURL != "" {
		s, err := webhook.NewSigner(opts.OperatorSecret)
		if err != nil {
			return nil, fmt.Errorf("operator webhook secret: %w", err)
		}
		n.signer = s
	}
	return n, nil
}

func rfc3339(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02T15:04:05.000Z07:00")
}

func about(w *store.Webhook) webhook.OperationalData {
	return webhook.OperationalData{AccountID: w.AccountID, WebhookID: w.ID, URL: w.URL}
}

// WebhookDisabled reports that w was disabled until until (zero: until
// re-enabled) for reason.
func (n *Notifier) WebhookDisabled(w store.Webhook, reason string, until time.Time) {
	d := about(&w)
	d.Reason, d.Until = reason, rfc3339(until)
	n.report(w, webhook.WebhookDisabled, d)
}

// WebhookEnabled reports that the disabled webhook w was re-enabled.
func (n *Notifier) WebhookEnabled(w store.Webhook) {
	n.report(w, webhook.WebhookEnabled, about(&w))
}

// DeliveryExhausted reports that a delivery was given up after the attempt
// att. Deliveries of operational events are not reported: two failing
// operational webhooks would otherwise report each other's reports forever.
func (n *Notifier) DeliveryExhausted(cd store.ClaimedDelivery, att store.Attempt) {
	if cd.Event.Type == webhook.TypeOperational {
		return
	}
	d := about(&cd.Webhook)
	d.DeliveryID, d.EventID, d.EventType, d.EventName = cd.Delivery.ID, cd.Event.ID, cd.Event.Type, cd.Event.Event
	d.Attempts, d.LastStatus, d.LastError = att.N, att.Status, att.Error
	n.report(cd.Webhook, webhook.DeliveryExhausted, d)
}

// Dropped is how many events were dropped because the queue was full.
func (n *Notifier) Dropped() int64 { return n.dropped.Load() }

func (n *Notifier) report(w store.Webhook, event string, d webhook.OperationalData) {
	now := n.opts.Now()
	body, err := json.Marshal(webhook.OperationalEvent{Type: webhook.TypeOperational, Event: event, Timestamp: now.UnixMilli(), Data: d})
	if err != nil {
		n.opts.Logger.Error("operational: encode event", "err", err)
		return
	}
	ev := store.Event{
		ID: commit.NewEventID(now), AccountID: w.AccountID, Type: webhook.TypeOperational, Event: event,
		Timestamp: now.UnixMilli(), ContentType: webhook.ContentTypeJSON, Body: body,
	}
	select {
	case n.ch <- item{ev: ev, subject: w.ID}:
		if n.opts.Count != nil {
			n.opts.Count(event)
		}
	default:
		n.dropped.Add(1)
		if n.opts.Count != nil {
			n.opts.Count("dropped")
		}
		n.opts.Logger.Warn("operational: queue full, event dropped", "event", event, "webhook", w.ID)
	}
}
