package sqlutil

import (
	"strings"
	"time"

	"github.com/hookcast/hookcast/internal/store"
)

// Column lists, in the order the Scan functions below read them.
const (
	AccountColumns = "id, name, created_at"
	SecretColumns  = "id, account_id, label, created_at, revoked_at"
	WebhookColumns = "id, account_id, url, secret, is_feed_hooks, is_recording_hooks, is_thumbnail_hooks, " +
		"is_transcoder_hooks, is_media_hooks, is_viewer_connection_hooks, is_clip_hooks, filter, retry_policy, " +
		"disabled, disabled_until, disabled_reason, consecutive_failures, previous_secret, previous_secret_expires_at, " +
		"max_concurrency, max_per_second, headers, is_operational_hooks, " +
		"created_at, updated_at"
	StreamColumns   = "account_id, name, state, due_at"
	EventColumns    = "id, account_id, type, event, stream_name, timestamp, content_type, headers, body, created_at"
	DeliveryColumns = "id, event_id, account_id, webhook_id, event_type, event_name, state, attempts, " +
		"next_attempt_at, last_status, last_error, created_at, updated_at"
	AttemptColumns = "delivery_id, n, at, status, latency_us, error, response"
)

// ClaimedColumns are the columns of a delivery joined with its event (alias e)
// and webhook (alias w), as ScanClaimed reads them.
var ClaimedColumns = Prefixed("d", DeliveryColumns) + ", " + Prefixed("e", EventColumns) + ", " +
	Prefixed("w", WebhookColumns)

// ScanAccount reads AccountColumns.
func ScanAccount(s Scanner) (store.Account, error) {
	var a store.Account
	var created int64
	err := s.Scan(&a.ID, &a.Name, &created)
	a.CreatedAt = Time(created)
	return a, err
}

// ScanSecret reads SecretColumns.
func ScanSecret(s Scanner) (store.APISecret, error) {
	var a store.APISecret
	var created, revoked int64
	err := s.Scan(&a.ID, &a.AccountID, &a.Label, &created, &revoked)
	a.CreatedAt, a.RevokedAt = Time(created), Time(revoked)
	return a, err
}

// ScanStream reads StreamColumns.
func ScanStream(s Scanner) (store.StreamRow, error) {
	var r store.StreamRow
	err := s.Scan(&r.Key.AccountID, &r.Key.Name, &r.State, &r.DueAt)
	if err == nil && r.State == nil {
		r.State = []byte{} // a saved row always has state, even an empty one
	}
	return r, err
}

// ScanAttempt reads AttemptColumns.
func ScanAttempt(s Scanner) (store.Attempt, error) {
	var a store.Attempt
	var at, latency int64
	err := s.Scan(&a.DeliveryID, &a.N, &at, &a.Status, &latency, &a.Error, &a.Response)
	a.At, a.Latency = Time(at), time.Duration(latency)*time.Microsecond
	return a, err
}

// The rows below are scanned in two steps, destinations then value, so that a
// joined row (ScanClaimed) can read several of them in one Scan call.

type webhookRow struct {
	w                                      store.Webhook
	until, previousUntil, created, updated int64
	headers                                string
}

func (r *webhookRow) dest() []any {
	w := &r.w
	return []any{&w.ID, &w.AccountID, &w.URL, &w.Secret, &w.IsFeedHooks, &w.IsRecordingHooks,
		&w.IsThumbnailHooks, &w.IsTranscoderHooks, &w.IsMediaHooks, &w.IsViewerConnectionHooks,
		&w.IsClipHooks, &w.Filter, &w.RetryPolicy, &w.Disabled, &r.until, &w.DisabledReason, &w.ConsecutiveFailures,
		&w.PreviousSecret, &r.previousUntil, &w.MaxConcurrency, &w.MaxPerSecond, &r.headers, &w.IsOperationalHooks, &r.created, &r.updated}
}

func (r *webhookRow) value() store.Webhook {
	r.w.DisabledUntil, r.w.CreatedAt, r.w.UpdatedAt = Time(r.until), Time(r.created), Time(r.updated)
	r.w.PreviousSecretExpiresAt = Time(r.previousUntil)
	return r.w
}

// decode decodes the headers into the webhook value returns; call it before value.
func (r *webhookRow) decode() error {
	h, err := DecodeHeaders(r.headers)
	r.w.Headers = h
	return err
}

type eventRow struct {
	e       store.Event
	headers string
	created int64
}

func (r *eventRow) dest() []any {
	e := &r.e
	return []any{&e.ID, &e.AccountID, &e.Type, &e.Event, &e.StreamName, &e.Timestamp, &e.ContentType,
		&r.headers, &e.Body, &r.created}
}

func (r *eventRow) value() (store.Event, error) {
	r.e.CreatedAt = Time(r.created)
	h, err := DecodeHeaders(r.headers)
	r.e.Headers = h
	if r.e.Body == nil {
		r.e.Body = []byte{}
	}
	return r.e, err
}

type deliveryRow struct {
	d                      store.Delivery
	state                  string
	next, created, updated int64
}

func (r *deliveryRow) dest() []any {
	d := &r.d
	return []any{&d.ID, &d.EventID, &d.AccountID, &d.WebhookID, &d.EventType, &d.EventName, &r.state,
		&d.Attempts, &r.next, &d.LastStatus, &d.LastError, &r.created, &r.updated}
}

func (r *deliveryRow) value() store.Delivery {
	r.d.State = store.DeliveryState(r.state)
	r.d.NextAttemptAt, r.d.CreatedAt, r.d.UpdatedAt = Time(r.next), Time(r.created), Time(r.updated)
	return r.d
}

// ScanWebhook reads WebhookColumns.
func ScanWebhook(s Scanner) (store.Webhook, error) {
	var r webhookRow
	if err := s.Scan(r.dest()...); err != nil {
		return store.Webhook{}, err
	}
	err := r.decode()
	return r.value(), err
}

// ScanEvent reads EventColumns.
func ScanEvent(s Scanner) (store.Event, error) {
	var r eventRow
	if err := s.Scan(r.dest()...); err != nil {
		return store.Event{}, err
	}
	return r.value()
}

// ScanDelivery reads DeliveryColumns.
func ScanDelivery(s Scanner) (store.Delivery, error) {
	var r deliveryRow
	err := s.Scan(r.dest()...)
	return r.value(), err
}

// ScanClaimed reads ClaimedColumns.
func ScanClaimed(s Scanner) (store.ClaimedDelivery, error) {
	var d deliveryRow
	var e eventRow
	var w webhookRow
	if err := s.Scan(append(append(d.dest(), e.dest()...), w.dest()...)...); err != nil {
		return store.ClaimedDelivery{}, err
	}
	ev, err := e.value()
	if err == nil {
		err = w.decode()
	}
	return store.ClaimedDelivery{Delivery: d.value(), Event: ev, Webhook: w.value()}, err
}

// Prefixed qualifies every column of a list with alias: Prefixed("d", "id, state")
// is "d.id, d.state".
func Prefixed(alias, columns string) string {
	cols := strings.Split(columns, ",")
	for i, c := range cols {
		cols[i] = alias + "." + strings.TrimSpace(c)
	}
	return strings.Join(cols, ", ")
}
