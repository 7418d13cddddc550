package webhook

import (
	"bytes"
	"context"
	"encoding/base64"
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

// TestHandlerRotation: during a rotation's overlap hookcast signs
// X-Millicast-Signature with the new secret and webhook-signature with both; a
// receiver given either secret, or both, accepts it. After the overlap only the
// new secret signs, and a receiver still on the old one refuses.
func TestHandlerRotation(t *testing.T) {
	t.Parallel()
	const oldSecret = testSecret
	newSecret := base64.StdEncoding.EncodeToString([]byte("a brand new secret of 32 bytes!!"))
	body := []byte(`{"type":"feeds","event":"started","timestamp":1,"data":{"feedId":"f"}}`)
	now := time.Now()
	sign := func(secrets ...string) http.Header {
		h := http.Header{}
		ms, _ := Sign(secrets[0], body)
		h.Set(HeaderSignature, ms)
		var sigs []string
		for _, s := range secrets {
			sig, _ := SignStandard(s, "msg_1", now.Unix(), body)
			sigs = append(sigs, sig)
		}
		h.Set(HeaderWebhookID, "msg_1")
		h.Set(HeaderWebhookTimestamp, strconv.FormatInt(now.Unix(), 10))
		h.Set(HeaderWebhookSignature, strings.Join(sigs, " "))
		return h
	}
	during, after := sign(newSecret, oldSecret), sign(newSecret)
	millicastOnly := http.Header{HeaderSignature: during[HeaderSignature]}
	tests := []struct {
		name    string
		secret  string
		opts    []Option
		header  http.Header
		status  int
		errorIs error
	}{
		{"overlap, old secret only", oldSecret, nil, during, 200, nil},
		{"overlap, new secret only", newSecret, nil, during, 200, nil},
		{"overlap, both (WithSecrets)", newSecret, []Option{WithSecrets(oldSecret)}, during, 200, nil},
		{"overlap, both in one string", newSecret + " " + oldSecret, nil, during, 200, nil},
		{"overlap, both comma separated, old first", oldSecret + "," + newSecret, nil, during, 200, nil},
		{"after, new secret", newSecret, nil, after, 200, nil},
		{"after, both", oldSecret, []Option{WithSecrets(newSecret)}, after, 200, nil},
		{"after, old secret only", oldSecret, nil, after, 400, ErrSignatureMismatch},
		{"millicast header alone, old secret", oldSecret, nil, millicastOnly, 400, ErrSignatureMismatch},
		{"millicast header alone, both", oldSecret, []Option{WithSecrets(newSecret)}, millicastOnly, 200, nil},
		{"standard ignored, old secret", oldSecret, []Option{WithStandardWebhooks(StandardIgnored)}, during, 400, ErrSignatureMismatch},
		{"standard ignored, both", oldSecret, []Option{WithStandardWebhooks(StandardIgnored), WithSecrets(newSecret)}, during, 200, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got error
			h, err := NewHandler(tc.secret, func(context.Context, Event) error { return nil },
				append(tc.opts, WithClock(func() time.Time { return now }),
					WithErrorFunc(func(_ *http.Request, _ int, err error) { got = err }))...)
			if err != nil {
				t.Fatal(err)
			}
			req := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
			for k, v := range tc.header {
				req.Header[k] = v
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tc.status {
				t.Fatalf("status %d (%s), want %d", rec.Code, strings.TrimSpace(rec.Body.String()), tc.status)
			}
			if tc.errorIs != nil && !errors.Is(got, tc.errorIs) {
				t.Fatalf("error %v, want %v", got, tc.errorIs)
			}
		})
	}
}

func TestNewHandlerSecretLists(t *testing.T) {
	t.Parallel()
	fn := func(context.Context, Event) error { return nil }
	for _, tc := range []struct {
		secret string
		opts   []Option
		want   string // "" for no error
	}{
		{"", nil, "empty"},
		{" , ", nil, "empty"},
		{testSecret + " not-base64!", nil, "secret 2 of 2"},
		{testSecret, []Option{WithSecrets("???")}, "secret 2 of 2"},
		{"\t" + testSecret + " ,\n" + testSecret, nil, ""},
	} {
		_, err := NewHandler(tc.secret, fn, tc.opts...)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("NewHandler(%q): %v", tc.secret, err)
		case tc.want != "" && (err == nil || !errors.Is(err, ErrInvalidSecret) || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("NewHandler(%q) = %v, want ErrInvalidSecret with %q", tc.secret, err, tc.want)
		}
	}
}
