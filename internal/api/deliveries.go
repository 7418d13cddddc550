package api

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hookcast/hookcast/internal/store"
)

// Paging of GET /api/deliveries.
const (
	defaultDeliveryLimit = 50
	maxDeliveryLimit     = 500
	maxResponseShown     = 4096
)

type deliveryJSON struct {
	ID            int64   `json:"id"`
	EventID       string  `json:"eventId"`
	WebhookID     int64   `json:"webhookId"`
	EventType     string  `json:"eventType"`
	EventName     string  `json:"eventName"`
	State         string  `json:"state"`
	AttemptCount  int     `json:"attemptCount"`
	NextAttemptAt *string `json:"nextAttemptAt"` // only while pending
	LastStatus    int     `json:"lastStatus"`    // 0: no attempt, or no HTTP answer
	LastError     string  `json:"lastError"`
	CreatedAt     string  `json:"createdAt"`
	UpdatedAt     string  `json:"updatedAt"`
}

func toDeliveryJSON(d store.Delivery) deliveryJSON {
	out := deliveryJSON{
		ID: d.ID, EventID: d.EventID, WebhookID: d.WebhookID, EventType: d.EventType,
		EventName: d.EventName, State: string(d.State), AttemptCount: d.Attempts,
		LastStatus: d.LastStatus, LastError: d.LastError,
		CreatedAt: formatTime(d.CreatedAt), UpdatedAt: formatTime(d.UpdatedAt),
	}
	if d.State == store.DeliveryPending {
		out.NextAttemptAt = optTime(d.NextAttemptAt)
	}
	return out
}

// deliveryPage is the data of GET /api/deliveries: newest first. nextBeforeId is
// the beforeId of the next (older) page, null on the last page.
type deliveryPage struct {
	Deliveries   []deliveryJSON `json:"deliveries"`
	NextBeforeID *int64         `json:"nextBeforeId"`
}

func (a *API) listDeliveries(r *http.Request, acct string) (any, error) {
	q := r.URL.Query()
	fail := map[string]string{}
	dq := store.DeliveryQuery{AccountID: acct, Limit: defaultDeliveryLimit}
	if s := q.Get("webhookId"); s != "" {
		id, ok := positiveID(s)
		if !ok {
			fail["webhookId"] = "must be a positive integer"
		}
		dq.WebhookID = id
	}
	if s := q.Get("eventType"); s != "" {
		typ, ok := payloadType(s)
		if strings.EqualFold(s, "operational") {
			typ, ok = "operational", true // hookcast's own events: a type of the log, not of the test route
		}
		if !ok {
			fail["eventType"] = "must be one of feeds, viewerConnection, media, recordings, transcoder, thumbnail, operational"
		}
		dq.EventType = typ
	}
	if s := q.Get("state"); s != "" {
		st, ok := parseState(s, allStates)
		if !ok {
			fail["state"] = "must be one of pending, succeeded, failed, skipped"
		}
		dq.State = st
	}
	if s := q.Get("since"); s != "" {
		t, err := parseSince(s)
		if err != nil {
			fail["since"] = err.Error()
		}
		dq.Since = t
	}
	if s := q.Get("until"); s != "" {
		t, err := parseSince(s)
		if err != nil {
			fail["until"] = err.Error()
		} else if !dq.Since.IsZero() && !t.After(dq.Since) {
			fail["until"] = "must be after since"
		}
		dq.Until = t
	}
	if s := q.Get("beforeId"); s != "" {
		id, ok := positiveID(s)
		if !ok {
			fail["beforeId"] = "must be a positive integer"
		}
		dq.BeforeID = id
	}
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxDeliveryLimit {
			fail["limit"] = "must be an integer from 1 to " + strconv.Itoa(maxDeliveryLimit)
		}
		dq.Limit = n
	}
	if len(fail) > 0 {
		return nil, &FailError{Fields: fail}
	}
	limit := dq.Limit
	dq.Limit++ // one more tells whether there is a next page
	ds, err := a.d.Store.ListDeliveries(r.Context(), dq)
	if err != nil {
		return nil, fmt.Errorf("list deliveries: %w", err)
	}
	page := deliveryPage{Deliveries: []deliveryJSON{}}
	if len(ds) > limit {
		ds = ds[:limit]
		next := ds[limit-1].ID
		page.NextBeforeID = &next
	}
	for _, d := range ds {
		page.Deliveries = append(page.Deliveries, toDeliveryJSON(d))
	}
	return page, nil
}

var allStates = []store.DeliveryState{store.DeliveryPending, store.DeliverySucceeded,
	store.DeliveryFailed, store.DeliverySkipped}

func parseState(s string, among []store.DeliveryState) (store.DeliveryState, bool) {
	for _, st := range among {
		if strings.EqualFold(s, string(st)) {
			return st, true
		}
	}
	return "", false
}

// parseSince reads a time as RFC 3339 or as epoch milliseconds.
func parseSince(s string) (time.Time, error) {
	if s != "" && len(s) <= 19 && strings.Trim(s, "0123456789") == "" {
		if ms, err := strconv.ParseInt(s, 10, 64); err == nil {
			return time.UnixMilli(ms), nil
		}
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, errors.New("must be an RFC 3339 time or epoch milliseconds")
	}
	return t, nil
}

type attemptJSON struct {
	N         int     `json:"n"`
	At        string  `json:"at"`
	Status    int     `json:"status"` // 0: no HTTP answer
	LatencyMs float64 `json:"latencyMs"`
	Error     string  `json:"error"`
	Response  string  `json:"response"` // start of the response body, as text
}

// eventJSON is an event as it was sent. body is the JSON itself when the event is
// JSON (bodyEncoding "json"), else base64 (bodyEncoding "base64", e.g. a JPEG).
type eventJSON struct {
	ID           string            `json:"id"`
	Type         string            `json:"type"`
	Event        string            `json:"event"`
	StreamName   string            `json:"streamName"`
	Timestamp    int64             `json:"timestamp"`
	ContentType  string            `json:"contentType"`
	Headers      map[string]string `json:"headers"`
	BodyEncoding string            `json:"bodyEncoding"`
	Body         json.RawMessage   `json:"body"`
}

type deliveryDetail struct {
	deliveryJSON
	Attempts []attemptJSON `json:"attempts"`
	Event    *eventJSON    `json:"event"`
}

func (a *API) getDelivery(r *http.Request, acct string) (any, error) {
	id, err := pathID(r, "deliveryId", "delivery")
	if err != nil {
		return nil, err
	}
	d, atts, err := a.d.Store.GetDelivery(r.Context(), acct, id)
	if err != nil {
		return nil, storeErr(err, "delivery")
	}
	out := deliveryDetail{deliveryJSON: toDeliveryJSON(d), Attempts: []attemptJSON{}}
	for _, at := range atts {
		out.Attempts = append(out.Attempts, attemptJSON{
			N: at.N, At: formatTime(at.At), Status: at.Status,
			LatencyMs: float64(at.Latency.Microseconds()) / 1000, Error: at.Error,
			Response: responseText(at.Response),
		})
	}
	ev, err := a.d.Store.GetEvent(r.Context(), acct, d.EventID)
	switch {
	case err == nil:
		out.Event = toEventJSON(ev)
	case !errors.Is(err, store.ErrNotFound):
		return nil, fmt.Errorf("event of delivery %d: %w", id, err)
	}
	return out, nil
}

// responseText shows at most maxResponseShown bytes of a response body as valid
// UTF-8 text, invalid bytes replaced, cut on a character boundary.
func responseText(b []byte) string {
	if len(b) > maxResponseShown {
		b = b[:maxResponseShown]
	}
	s := strings.ToValidUTF8(string(b), string(utf8.RuneError))
	for len(s) > maxResponseShown {
		_, n := utf8.DecodeLastRuneInString(s)
		s = s[:len(s)-n]
	}
	return s
}

func toEventJSON(ev store.Event) *eventJSON {
	out := &eventJSON{
		ID: ev.ID, Type: ev.Type, Event: ev.Event, StreamName: ev.StreamName,
		Timestamp: ev.Timestamp, ContentType: ev.ContentType, Headers: ev.Headers,
	}
	if out.Headers == nil {
		out.Headers = map[string]string{}
	}
	if strings.HasPrefix(ev.ContentType, "application/json") && json.Valid(ev.Body) {
		out.BodyEncoding, out.Body = "json", json.RawMessage(ev.Body)
	} else {
		b, _ := json.Marshal(base64.StdEncoding.EncodeToString(ev.Body))
		out.BodyEncoding, out.Body = "base64", b
	}
	return out
}
