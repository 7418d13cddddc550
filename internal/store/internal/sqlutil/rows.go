package sqlutil

import (
	"strings"
	"time"

	"github.com/hookcast/hookcast/internal/store"
)

// Column lists, in the order the Scan functions below read them. Prefix each name
// with an alias by hand where a query joins tables (see Prefixed).
const (
	AccountColumns = "id, name, created_at"
	SecretColumns  = "id, account_id, label, created_at, revoked_at"
	WebhookColumns = "id, account_id, url, secret, is_feed_hooks, is_recording_hooks, is_thumbnail_hooks, " +
		"is_transcoder_hooks, is_media_hooks, is_viewer_connection_hooks, filter, retry_policy, disabled, " +
		"disabled_until, disabled_reason, consecutive_failures, created_at, updated_at"
	StreamColumns   = "account_id, name, state, due_at"
	EventColumns    = "id, account_id, type, event, stream_name, timestamp, content_type, headers, body, created_at"
	DeliveryColumns = "id, event_id, account_id, webhook_id, event_type, event_name, state, attempts, " +
		"next_attempt_at, last_status, last_error, created_at, updated_at"
	AttemptColumns = "delivery_id, n, at, status, latency_us, error, response"
)

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

// ScanWebhook reads WebhookColumns.
func ScanWebhook(s Scanner) (store.Webhook, error) {
	var w store.Webhook
	var until, created, updated int64
	err := s.Scan(&w.ID, &w.AccountID, &w.URL, &w.Secret, &w.IsFeedHooks, &w.IsRecordingHooks,
		&w.IsThumbnailHooks, &w.IsTranscoderHooks, &w.IsMediaHooks, &w.IsViewerConnectionHooks,
		&w.Filter, &w.RetryPolicy, &w.Disabled, &until, &w.DisabledReason, &w.ConsecutiveFailures,
		&created, &updated)
	w.DisabledUntil, w.CreatedAt, w.UpdatedAt = Time(until), Time(created), Time(updated)
	return w, err
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

// ScanEvent reads EventColumns.
func ScanEvent(s Scanner) (store.Event, error) {
	var e store.Event
	var headers string
	var created int64
	if err := s.Scan(&e.ID, &e.AccountID, &e.Type, &e.Event, &e.StreamName, &e.Timestamp,
		&e.ContentType, &headers, &e.Body, &created); err != nil {
		return e, err
	}
	e.CreatedAt = Time(created)
	h, err := DecodeHeaders(headers)
	e.Headers = h
	return e, err
}

// ScanDelivery reads DeliveryColumns.
func ScanDelivery(s Scanner) (store.Delivery, error) {
	var d store.Delivery
	var state string
	var next, created, updated int64
	err := s.Scan(&d.ID, &d.EventID, &d.AccountID, &d.WebhookID, &d.EventType, &d.EventName, &state,
		&d.Attempts, &next, &d.LastStatus, &d.LastError, &created, &updated)
	d.State = store.DeliveryState(state)
	d.NextAttemptAt, d.CreatedAt, d.UpdatedAt = Time(next), Time(created), Time(updated)
	return d, err
}

// ScanAttempt reads AttemptColumns.
func ScanAttempt(s Scanner) (store.Attempt, error) {
	var a store.Attempt
	var at, latency int64
	err := s.Scan(&a.DeliveryID, &a.N, &at, &a.Status, &latency, &a.Error, &a.Response)
	a.At, a.Latency = Time(at), time.Duration(latency)*time.Microsecond
	return a, err
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
