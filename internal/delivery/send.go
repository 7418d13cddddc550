package delivery

import (
	"bytes"
	"context"
	"crypto/subtle"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hookcast/hookcast/internal/store"
	"github.com/hookcast/hookcast/webhook"
)

const (
	// maxResponseKept is how much of a response body an attempt records.
	maxResponseKept = 4 << 10
	// maxResponseDrained is how much more is read (and discarded) so the
	// connection can be reused; a longer body costs a new connection instead.
	maxResponseDrained = 64 << 10
	// maxErrorText bounds the error text recorded for an attempt.
	maxErrorText = 512
)

// send makes one attempt of a claimed delivery at now and returns the attempt to
// record and what the receiver answered.
func (d *Dispatcher) send(ctx context.Context, cd *store.ClaimedDelivery, now time.Time) (store.Attempt, Response) {
	att := store.Attempt{DeliveryID: cd.Delivery.ID, N: cd.Delivery.Attempts + 1, At: now}
	fail := func(err error) (store.Attempt, Response) {
		att.Error = errorText(err)
		return att, Response{Err: err}
	}
	t, err := d.targets.get(cd.Webhook.ID, cd.Webhook.Secret, cd.Webhook.PreviousSecretAt(now), cd.Webhook.URL)
	if err != nil {
		return fail(permanentError{err})
	}
	ev := &cd.Event
	h := make(http.Header, len(cd.Webhook.Headers)+len(ev.Headers)+7)
	req := newPost(ctx, t.url, h, ev.Body)
	// The webhook's own headers first: the event's and the dispatcher's
	// (signatures, Content-Type) are set after them, so they cannot be
	// overridden even by a header the API would have refused.
	for k, v := range cd.Webhook.Headers {
		if validHeader(k, v) {
			h.Set(k, v)
		}
	}
	for k, v := range ev.Headers {
		if validHeader(k, v) {
			h.Set(k, v)
		}
	}
	ct := ev.ContentType
	if ct == "" {
		ct = webhook.ContentTypeJSON
	}
	ts := now.Unix()
	// Keys already in canonical form, set directly: Header.Set would canonicalize
	// (and allocate) the lower-case Standard Webhooks names on every attempt.
	h[hContentType] = []string{ct}
	h[hUserAgent] = []string{d.opts.UserAgent}
	h[hSignature] = []string{t.signer.Millicast(ev.Body)}
	h[hWebhookID] = []string{ev.ID}
	h[hWebhookTimestamp] = []string{strconv.FormatInt(ts, 10)}
	sig := t.signer.Standard(ev.ID, ts, ev.Body)
	if t.previous != nil {
		// The overlap of a rotation: new first, then old, as Standard Webhooks
		// lists several signatures (space separated; one match is enough).
		sig += " " + t.previous.Standard(ev.ID, ts, ev.Body)
	}
	h[hWebhookSignature] = []string{sig}

	start := time.Now()
	resp, err := d.client.Do(req)
	if err != nil {
		att.Latency = time.Since(start)
		return fail(err)
	}
	att.Response = readResponse(resp.Body)
	resp.Body.Close()
	att.Latency = time.Since(start)
	att.Status = resp.StatusCode
	if att.Status < 200 || att.Status > 299 {
		att.Error = httpErrorText(att.Status, att.Response)
	}
	return att, Response{Status: resp.StatusCode, RetryAfter: resp.Header.Get("Retry-After")}
}

// responseBufs are the maxResponseKept buffers responses are read into: most
// receivers answer a few bytes or nothing, so only those are copied out.
var responseBufs = sync.Pool{New: func() any { return new([maxResponseKept]byte) }}

// readResponse returns the first maxResponseKept bytes of body (nil when empty)
// and drains up to maxResponseDrained more, so the connection can be reused.
func readResponse(body io.Reader) []byte {
	buf := responseBufs.Get().(*[maxResponseKept]byte)
	defer responseBufs.Put(buf)
	n, _ := io.ReadFull(body, buf[:])
	if n == 0 {
		return nil
	}
	if n < maxResponseKept {
		// The body ended; reading on would only find EOF again.
		return bytes.Clone(buf[:n:n])
	}
	_, _ = io.CopyN(io.Discard, body, maxResponseDrained)
	return bytes.Clone(buf[:])
}

var (
	hContentType      = http.CanonicalHeaderKey("Content-Type")
	hUserAgent        = http.CanonicalHeaderKey("User-Agent")
	hSignature        = http.CanonicalHeaderKey(webhook.HeaderSignature)
	hWebhookID        = http.CanonicalHeaderKey(webhook.HeaderWebhookID)
	hWebhookTimestamp = http.CanonicalHeaderKey(webhook.HeaderWebhookTimestamp)
	hWebhookSignature = http.CanonicalHeaderKey(webhook.HeaderWebhookSignature)
)

// newPost is what http.NewRequestWithContext(ctx, "POST", u.String(),
// bytes.NewReader(body)) returns, from a URL parsed once per webhook rather than
// once per attempt.
func newPost(ctx context.Context, u *url.URL, h http.Header, body []byte) *http.Request {
	uc := *u // the transport only reads it; a copy all the same
	req := &http.Request{
		Method: http.MethodPost, URL: &uc, Host: uc.Host, Header: h,
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Body: http.NoBody, GetBody: func() (io.ReadCloser, error) { return http.NoBody, nil },
	}
	if len(body) > 0 {
		req.ContentLength = int64(len(body))
		req.Body = io.NopCloser(bytes.NewReader(body))
		req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	}
	return req.WithContext(ctx)
}

// errorText is the recorded text of a transport error, without the request URL
// (which may carry a token in its query) and bounded in length.
func errorText(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	s := err.Error()
	if len(s) > maxErrorText {
		s = s[:maxErrorText]
	}
	return s
}

// maxBodyInError is how much of a refusing receiver's body the attempt's error
// text quotes (the whole start of it stays in the attempt's response).
const maxBodyInError = 200

// httpErrorText is the error recorded for an answer that is not 2xx: the status
// and the start of the body on one line, so the delivery log says why
// ("HTTP 400 Bad Request: missing field x") without opening the attempt.
func httpErrorText(status int, body []byte) string {
	s := "HTTP " + strconv.Itoa(status)
	if t := http.StatusText(status); t != "" {
		s += " " + t
	}
	cut := len(body) > 4*maxBodyInError // at most 4 bytes a character
	text := strings.Join(strings.Fields(strings.ToValidUTF8(string(body[:min(len(body), 4*maxBodyInError)]), "?")), " ")
	if text == "" {
		return s
	}
	if r := []rune(text); len(r) > maxBodyInError {
		text, cut = string(r[:maxBodyInError]), true
	}
	if cut {
		text += "…"
	}
	return s + ": " + text
}

// reservedHeaders cannot be set by an event's own headers: they describe the
// message framing, or are set by the dispatcher.
var reservedHeaders = map[string]bool{
	"Host": true, "Content-Length": true, "Transfer-Encoding": true, "Connection": true,
	"Te": true, "Trailer": true, "Upgrade": true, "Keep-Alive": true, "Proxy-Connection": true,
}

// validHeader reports whether an event header may be sent: a token name that is
// not reserved and a value without control characters (the transport would
// refuse the whole request otherwise).
func validHeader(name, value string) bool {
	if name == "" || reservedHeaders[http.CanonicalHeaderKey(name)] {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	for i := 0; i < len(value); i++ {
		if c := value[i]; (c < ' ' && c != '\t') || c == 0x7f {
			return false
		}
	}
	return true
}

// targetCache keeps, per webhook, its Signers and parsed URL, so a secret is
// decoded and a URL parsed once, not on every attempt; an entry is replaced when
// the webhook's secret, previous secret (still valid or not) or URL changes.
type targetCache struct {
	mu sync.Mutex
	m  map[int64]*target
}

// target is what an attempt needs of its webhook, prepared.
type target struct {
	secret, previousSecret, rawURL string
	signer                         *webhook.Signer
	previous                       *webhook.Signer // nil outside a rotation's overlap
	url                            *url.URL
}

// maxTargets bounds the cache; when full it starts over (deleted webhooks would
// otherwise stay forever).
const maxTargets = 10000

// get returns the target of webhook id; previous is the previous secret while
// it is still valid, else empty.
func (c *targetCache) get(id int64, secret, previous, rawURL string) (*target, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t, ok := c.m[id]; ok && t.rawURL == rawURL &&
		subtle.ConstantTimeCompare([]byte(t.secret), []byte(secret)) == 1 &&
		subtle.ConstantTimeCompare([]byte(t.previousSecret), []byte(previous)) == 1 {
		return t, nil
	}
	s, err := webhook.NewSigner(secret)
	if err != nil {
		return nil, errors.New("invalid webhook secret")
	}
	var ps *webhook.Signer
	if previous != "" {
		if ps, err = webhook.NewSigner(previous); err != nil {
			return nil, errors.New("invalid previous webhook secret")
		}
	}
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, errors.New("invalid webhook URL")
	}
	u.Host = strings.TrimSuffix(u.Host, ":") // as http.NewRequest does
	if c.m == nil || len(c.m) >= maxTargets {
		c.m = make(map[int64]*target)
	}
	t := &target{secret: secret, previousSecret: previous, rawURL: rawURL, signer: s, previous: ps, url: u}
	c.m[id] = t
	return t, nil
}
