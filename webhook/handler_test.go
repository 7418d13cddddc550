package webhook

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// received records what the Handler passed to the receiver's function.
type received struct {
	mu     sync.Mutex
	events []Event
	ids    []string
	errs   []string // "status: error" from WithErrorFunc
}

func (rc *received) fn(ctx context.Context, e Event) error {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.events = append(rc.events, e)
	rc.ids = append(rc.ids, DeliveryID(ctx))
	if fe, ok := e.(*FeedsEvent); ok && fe.Data.FeedID == "fail-me" {
		return errors.New("database password is hunter2")
	}
	return nil
}

func (rc *received) onError(_ *http.Request, status int, err error) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.errs = append(rc.errs, strconv.Itoa(status)+": "+err.Error())
}

// request describes one POST; signatures are computed unless overridden.
type request struct {
	method    string
	body      []byte
	header    map[string]string
	millicast string // "" computes it, "-" sends none
	standard  bool   // add Standard Webhooks headers
	chunked   bool   // hide Content-Length
}

func newTestServer(t *testing.T, rc *received, opts ...Option) *httptest.Server {
	t.Helper()
	h, err := NewHandler(testSecret, rc.fn, append([]Option{WithErrorFunc(rc.onError)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

func send(t *testing.T, url string, r request) (int, string, http.Header) {
	t.Helper()
	if r.method == "" {
		r.method = http.MethodPost
	}
	var body io.Reader = bytes.NewReader(r.body)
	if r.chunked {
		body = io.MultiReader(body) // unknown length: sent chunked
	}
	req, err := http.NewRequest(r.method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	switch r.millicast {
	case "":
		sig, _ := Sign(testSecret, r.body)
		req.Header.Set(HeaderSignature, sig)
	case "-":
	default:
		req.Header.Set(HeaderSignature, r.millicast)
	}
	if r.standard {
		ts := time.Now().Unix()
		sig, _ := SignStandard(testSecret, "msg_42", ts, r.body)
		req.Header.Set(HeaderWebhookID, "msg_42")
		req.Header.Set(HeaderWebhookTimestamp, strconv.FormatInt(ts, 10))
		req.Header.Set(HeaderWebhookSignature, sig)
	}
	for k, v := range r.header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

func TestHandler(t *testing.T) {
	t.Parallel()
	thumb := []byte("\xff\xd8\xff\xe0 jpeg bytes \xff\xd9")
	tests := []struct {
		name     string
		opts     []Option
		req      request
		status   int
		bodyHas  string
		delivery string // DeliveryID seen by fn, when status is 200
	}{
		{name: "millicast signature only", req: request{body: testBody}, status: 200},
		{name: "both signatures", req: request{body: testBody, standard: true}, status: 200, delivery: "msg_42"},
		{name: "thumbnail", req: request{body: thumb, header: map[string]string{"Content-Type": "image/jpeg", HeaderTimestamp: "1", HeaderFeedID: "f"}}, status: 200},
		{name: "GET", req: request{method: "GET"}, status: 405, bodyHas: "POST"},
		{name: "no signature", req: request{body: testBody, millicast: "-"}, status: 400, bodyHas: "missing signature"},
		{name: "wrong signature", req: request{body: testBody, millicast: "sha1=" + strings.Repeat("ab", 20)}, status: 400, bodyHas: "does not match"},
		{name: "good millicast, bad standard", req: request{body: testBody, header: map[string]string{HeaderWebhookSignature: "v1,AAAA"}}, status: 400, bodyHas: "webhook-id"},
		{name: "standard required but absent", opts: []Option{WithStandardWebhooks(StandardRequired)}, req: request{body: testBody}, status: 400, bodyHas: "webhook-signature"},
		{name: "standard ignored", opts: []Option{WithStandardWebhooks(StandardIgnored)}, req: request{body: testBody, header: map[string]string{HeaderWebhookSignature: "v1,AAAA"}}, status: 200},
		{name: "standard replayed later", opts: []Option{WithClock(func() time.Time { return time.Now().Add(time.Hour) })}, req: request{body: testBody, standard: true}, status: 400, bodyHas: "tolerance"},
		{name: "standard, narrow tolerance", opts: []Option{WithTolerance(time.Second), WithClock(func() time.Time { return time.Now().Add(5 * time.Second) })}, req: request{body: testBody, standard: true}, status: 400, bodyHas: "tolerance 1s"},
		{name: "signed garbage", req: request{body: []byte("not json")}, status: 400, bodyHas: "malformed event"},
		{name: "signed unknown type", req: request{body: []byte(`{"type":"chat","event":"x","data":{}}`)}, status: 400, bodyHas: "unknown webhook type"},
		{name: "too large, with length", opts: []Option{WithMaxBodyBytes(100)}, req: request{body: testBody}, status: 413},
		{name: "too large, chunked", opts: []Option{WithMaxBodyBytes(100)}, req: request{body: testBody, chunked: true}, status: 413},
		{name: "at the limit", opts: []Option{WithMaxBodyBytes(int64(len(testBody)))}, req: request{body: testBody, chunked: true}, status: 200},
		{name: "function fails", req: request{body: []byte(`{"type":"feeds","event":"started","timestamp":1,"data":{"feedId":"fail-me"}}`)}, status: 500, bodyHas: "receiver failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var rc received
			srv := newTestServer(t, &rc, tt.opts...)
			status, body, hdr := send(t, srv.URL+"/hooks", tt.req)
			if status != tt.status || !strings.Contains(body, tt.bodyHas) {
				t.Fatalf("got %d %q, want %d containing %q", status, body, tt.status, tt.bodyHas)
			}
			rc.mu.Lock()
			defer rc.mu.Unlock()
			switch {
			case status == 200:
				if len(rc.events) != 1 || rc.ids[0] != tt.delivery || len(rc.errs) != 0 {
					t.Fatalf("events %v ids %q errs %q", rc.events, rc.ids, rc.errs)
				}
			case status == 500:
				if strings.Contains(body, "hunter2") || len(rc.errs) != 1 || !strings.Contains(rc.errs[0], "500: database password") {
					t.Fatalf("500 leaked or not reported: body %q errs %q", body, rc.errs)
				}
			default:
				if len(rc.events) != 0 || len(rc.errs) != 1 || !strings.HasPrefix(rc.errs[0], strconv.Itoa(status)) {
					t.Fatalf("rejected request reached fn or was not reported: events %v errs %q", rc.events, rc.errs)
				}
				if ct := hdr.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
					t.Fatalf("Content-Type %q", ct)
				}
			}
			if status == 405 && hdr.Get("Allow") != "POST" {
				t.Fatalf("Allow = %q", hdr.Get("Allow"))
			}
		})
	}
}

func TestNewHandlerErrors(t *testing.T) {
	t.Parallel()
	fn := func(context.Context, Event) error { return nil }
	if _, err := NewHandler("not base64!", fn); !errors.Is(err, ErrInvalidSecret) {
		t.Errorf("bad secret: %v", err)
	}
	if _, err := NewHandler(testSecret, nil); err == nil {
		t.Error("nil function accepted")
	}
}

func TestDeliveryIDOutsideHandler(t *testing.T) {
	t.Parallel()
	if id := DeliveryID(context.Background()); id != "" {
		t.Fatalf("DeliveryID = %q", id)
	}
}
