package sqlutil

import (
	"strconv"
	"strings"
	"time"

	"github.com/hookcast/hookcast/internal/store"
)

// Args collects the arguments of a query built at run time and writes their
// placeholders: "?" for SQLite, "$n" for PostgreSQL.
type Args struct {
	Dollar bool
	List   []any
}

// Add appends v and returns its placeholder.
func (a *Args) Add(v any) string {
	a.List = append(a.List, v)
	if a.Dollar {
		return "$" + strconv.Itoa(len(a.List))
	}
	return "?"
}

// AddInts appends every id and returns "p1, p2, …" for an IN list.
func (a *Args) AddInts(ids []int64) string {
	ph := make([]string, len(ids))
	for i, id := range ids {
		ph[i] = a.Add(id)
	}
	return strings.Join(ph, ", ")
}

// AddStrings is AddInts for strings.
func (a *Args) AddStrings(vs []string) string {
	ph := make([]string, len(vs))
	for i, v := range vs {
		ph[i] = a.Add(v)
	}
	return strings.Join(ph, ", ")
}

// Limit turns a limit <= 0 ("no limit") into what SQL LIMIT takes: nil is NULL,
// which PostgreSQL reads as no limit, and SQLite needs -1.
func Limit(n int, sqlite bool) any {
	switch {
	case n > 0:
		return n
	case sqlite:
		return -1
	}
	return nil
}

// WebhookWriteColumns are the webhook columns a write sets, in WebhookValues order.
const WebhookWriteColumns = "url, secret, is_feed_hooks, is_recording_hooks, is_thumbnail_hooks, " +
	"is_transcoder_hooks, is_media_hooks, is_viewer_connection_hooks, is_clip_hooks, filter, retry_policy, " +
	"disabled, disabled_until, disabled_reason, consecutive_failures, previous_secret, previous_secret_expires_at, max_concurrency, max_per_second, headers, is_operational_hooks"

// WebhookValues are w's values for WebhookWriteColumns.
func WebhookValues(w *store.Webhook) []any {
	return []any{w.URL, w.Secret, w.IsFeedHooks, w.IsRecordingHooks, w.IsThumbnailHooks,
		w.IsTranscoderHooks, w.IsMediaHooks, w.IsViewerConnectionHooks, w.IsClipHooks, w.Filter, w.RetryPolicy,
		w.Disabled, Micros(w.DisabledUntil), w.DisabledReason, w.ConsecutiveFailures,
		w.PreviousSecret, Micros(w.PreviousSecretExpiresAt), w.MaxConcurrency, w.MaxPerSecond,
		mustEncodeHeaders(w.Headers), w.IsOperationalHooks}
}

// mustEncodeHeaders is EncodeHeaders, which cannot fail on a map of strings.
func mustEncodeHeaders(h map[string]string) string {
	s, err := EncodeHeaders(h)
	if err != nil {
		panic(err)
	}
	return s
}

// EventValues are ev's values for EventColumns.
func EventValues(ev *store.Event) ([]any, error) {
	h, err := EncodeHeaders(ev.Headers)
	if err != nil {
		return nil, err
	}
	body := ev.Body
	if body == nil {
		body = []byte{}
	}
	return []any{ev.ID, ev.AccountID, ev.Type, ev.Event, ev.StreamName, ev.Timestamp, ev.ContentType,
		h, body, Micros(ev.CreatedAt)}, nil
}

// DeliveryWriteColumns are the delivery columns InsertEvents sets, in AppendDeliveryValues order.
const DeliveryWriteColumns = "event_id, account_id, webhook_id, event_type, event_name, state, attempts, " +
	"next_attempt_at, last_status, last_error, created_at, updated_at, lease_owner, lease_until"

// AppendDeliveryValues appends d's values for DeliveryWriteColumns to args.
func AppendDeliveryValues(args []any, d *store.Delivery) []any {
	return append(args, d.EventID, d.AccountID, d.WebhookID, d.EventType, d.EventName, string(d.State),
		d.Attempts, Micros(d.NextAttemptAt), d.LastStatus, d.LastError, Micros(d.CreatedAt), Micros(d.UpdatedAt),
		d.LeaseOwner, Micros(d.LeaseUntil))
}

// PrepareEvent fills in InsertEvents' defaults: the event's creation time and,
// for each delivery, its event, account, type, name, state and times.
func PrepareEvent(ev *store.Event, ds []store.Delivery, now time.Time) {
	if ev.CreatedAt.IsZero() {
		ev.CreatedAt = now
	}
	for i := range ds {
		d := &ds[i]
		d.EventID, d.AccountID = ev.ID, ev.AccountID
		if d.EventType == "" {
			d.EventType = ev.Type
		}
		if d.EventName == "" {
			d.EventName = ev.Event
		}
		if d.State == "" {
			d.State = store.DeliveryPending
		}
		if d.CreatedAt.IsZero() {
			d.CreatedAt = ev.CreatedAt
		}
		if d.UpdatedAt.IsZero() {
			d.UpdatedAt = d.CreatedAt
		}
	}
}

// ValidState reports whether s is one of the four delivery states.
func ValidState(s store.DeliveryState) bool {
	switch s {
	case store.DeliveryPending, store.DeliverySucceeded, store.DeliveryFailed, store.DeliverySkipped:
		return true
	}
	return false
}

// DeliveryFilter writes the WHERE conditions of q (each field when set), for
// newest-first paging by BeforeID. alias ("d." or "") qualifies the columns.
func DeliveryFilter(a *Args, q store.DeliveryQuery, alias string) string {
	c := func(col string) string { return alias + col }
	conds := []string{"1 = 1"}
	if q.AccountID != "" {
		conds = append(conds, c("account_id")+" = "+a.Add(q.AccountID))
	}
	if q.WebhookID != 0 {
		conds = append(conds, c("webhook_id")+" = "+a.Add(q.WebhookID))
	}
	if q.EventType != "" {
		conds = append(conds, c("event_type")+" = "+a.Add(q.EventType))
	}
	if q.State != "" {
		conds = append(conds, c("state")+" = "+a.Add(string(q.State)))
	}
	if !q.Since.IsZero() {
		conds = append(conds, c("created_at")+" >= "+a.Add(Micros(q.Since)))
	}
	if !q.Until.IsZero() {
		conds = append(conds, c("created_at")+" < "+a.Add(Micros(q.Until)))
	}
	if q.BeforeID != 0 {
		conds = append(conds, c("id")+" < "+a.Add(q.BeforeID))
	}
	return strings.Join(conds, " AND ")
}

// Now is the store's clock for times the caller does not give (CreatedAt and
// such), cut to the microsecond so a returned value equals the stored one.
func Now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// WebhookDeleted is the LastError of deliveries whose webhook was deleted.
const WebhookDeleted = "webhook deleted"

// UniqueKeys returns keys without repeats, in order, and for each of keys
// whether it is the first of its value (ClaimKeys: only the first is fresh).
func UniqueKeys(keys []string) (uniq []string, first []bool) {
	first = make([]bool, len(keys))
	seen := make(map[string]bool, len(keys))
	for i, k := range keys {
		if !seen[k] {
			seen[k] = true
			first[i] = true
			uniq = append(uniq, k)
		}
	}
	return uniq, first
}
