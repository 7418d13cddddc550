package harness

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"testing"
	"time"
)

// Client is the HTTP client of the tests: bounded, so a hung server fails a test
// instead of stalling it.
var Client = &http.Client{Timeout: 30 * time.Second}

// Do sends method url with body (JSON-encoded unless it is []byte or
// json.RawMessage; nil for none) and a bearer token ("" for none), and returns
// the status and the body.
func Do(ctx context.Context, method, url, bearer string, body any) (int, []byte, error) {
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	case json.RawMessage:
		rd = bytes.NewReader(b)
	default:
		enc, err := json.Marshal(b)
		if err != nil {
			return 0, nil, err
		}
		rd = bytes.NewReader(enc)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return 0, nil, err
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := Client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	return resp.StatusCode, out, err
}

// Call is Do for test set-up: a transport error fails the test.
func Call(t testing.TB, method, url, bearer string, body any) (int, []byte) {
	t.Helper()
	code, out, err := Do(context.Background(), method, url, bearer, body)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	return code, out
}

// Data calls and decodes the data of a success envelope into v, failing the test
// on any other answer.
func Data(t testing.TB, method, url, bearer string, body, v any) {
	t.Helper()
	code, out := Call(t, method, url, bearer, body)
	if code != http.StatusOK {
		t.Fatalf("%s %s: %d %s", method, url, code, out)
	}
	var env struct {
		Status string          `json:"status"`
		Data   json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(out, &env); err != nil || env.Status != "success" {
		t.Fatalf("%s %s: not a success envelope: %s", method, url, out)
	}
	if v != nil {
		if err := json.Unmarshal(env.Data, v); err != nil {
			t.Fatalf("%s %s: data: %v: %s", method, url, err, env.Data)
		}
	}
}

// CreateAccount makes an account through the admin API (id "" lets the server
// choose) and returns its id and API secret.
func CreateAccount(t testing.TB, base, id string) (string, string) {
	t.Helper()
	body := map[string]any{}
	if id != "" {
		body["accountId"] = id
	}
	var acc struct {
		AccountID string `json:"accountId"`
		APISecret string `json:"apiSecret"`
	}
	Data(t, "POST", base+"/api/admin/accounts", AdminToken, body, &acc)
	return acc.AccountID, acc.APISecret
}

// Webhook is what the tests keep of a created webhook.
type Webhook struct {
	ID     int64  `json:"id"`
	URL    string `json:"url"`
	Secret string `json:"secret"`
}

// CreateWebhook makes a webhook with the Millicast API. fields are the body;
// isFeedHooks defaults to true.
func CreateWebhook(t testing.TB, base, apiSecret string, fields map[string]any) Webhook {
	t.Helper()
	if _, ok := fields["isFeedHooks"]; !ok {
		fields["isFeedHooks"] = true
	}
	var w Webhook
	Data(t, "POST", base+"/api/webhooks", apiSecret, fields, &w)
	return w
}

// Ingest posts signals (one or an array) with the ingest token.
func Ingest(ctx context.Context, base string, signals any) (int, []byte, error) {
	return Do(ctx, "POST", base+"/api/ingest/signals", IngestToken, signals)
}

// Delivery is one row of GET /api/deliveries.
type Delivery struct {
	ID           int64  `json:"id"`
	EventID      string `json:"eventId"`
	WebhookID    int64  `json:"webhookId"`
	EventType    string `json:"eventType"`
	EventName    string `json:"eventName"`
	State        string `json:"state"`
	AttemptCount int    `json:"attemptCount"`
	LastStatus   int    `json:"lastStatus"`
	LastError    string `json:"lastError"`
}

// Attempt is one attempt of GET /api/deliveries/{id}.
type Attempt struct {
	N      int    `json:"n"`
	At     string `json:"at"`
	Status int    `json:"status"`
	Error  string `json:"error"`
}

// Time parses At.
func (a Attempt) Time() time.Time {
	t, _ := time.Parse(time.RFC3339Nano, a.At)
	return t
}

// DeliveryDetail is GET /api/deliveries/{id}.
type DeliveryDetail struct {
	Delivery
	Attempts []Attempt `json:"attempts"`
}

// Deliveries returns every delivery of the account (all pages), newest first;
// query is extra filters such as "webhookId=3".
func Deliveries(t testing.TB, base, apiSecret, query string) []Delivery {
	t.Helper()
	var all []Delivery
	before := int64(0)
	for {
		url := base + "/api/deliveries?limit=500"
		if query != "" {
			url += "&" + query
		}
		if before > 0 {
			url += "&beforeId=" + strconv.FormatInt(before, 10)
		}
		var page struct {
			Deliveries   []Delivery `json:"deliveries"`
			NextBeforeID *int64     `json:"nextBeforeId"`
		}
		Data(t, "GET", url, apiSecret, nil, &page)
		all = append(all, page.Deliveries...)
		if page.NextBeforeID == nil {
			return all
		}
		before = *page.NextBeforeID
	}
}

// Detail returns one delivery with its attempts.
func Detail(t testing.TB, base, apiSecret string, id int64) DeliveryDetail {
	t.Helper()
	var d DeliveryDetail
	Data(t, "GET", fmt.Sprintf("%s/api/deliveries/%d", base, id), apiSecret, nil, &d)
	return d
}
