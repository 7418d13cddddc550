package harness

import (
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookcast/hookcast/webhook"
)

// Hit is one request a Receiver got.
type Hit struct {
	Path     string
	ID       string // webhook-id: the event id, the same on every retry
	Body     []byte
	Header   http.Header
	At       time.Time
	Status   int  // what the receiver answered (0: it hung up without answering)
	Verified bool // X-Millicast-Signature checked with the path's secret
}

// Action is how the receiver answers one request.
type Action struct {
	Status     int    // 0: 200
	RetryAfter string // Retry-After header
	Location   string // Location header (redirect tests)
	Hang       bool   // never answer: hold the request until the sender gives up
}

// Fault chooses the answer to the n-th request (1-based) carrying webhook-id id
// at path. Nil: 200 to everything.
type Fault func(path, id string, n int) Action

// Receiver is a real webhook endpoint on 127.0.0.1 that verifies each request
// with the secret of its path, records it, and answers as its Fault says. It can
// go down (listener and connections closed: connection refused) and come back
// up on the same address.
type Receiver struct {
	t    testing.TB
	Addr string

	mu      sync.Mutex
	srv     *http.Server
	secrets map[string]string
	fault   Fault
	hits    []Hit
	seen    map[string]int
	changed chan struct{}
	down    chan struct{} // closed by Down: hung handlers return
}

// NewReceiver starts a receiver; it is closed when the test ends.
func NewReceiver(t testing.TB) *Receiver {
	t.Helper()
	r := &Receiver{t: t, secrets: map[string]string{}, seen: map[string]int{}, changed: make(chan struct{})}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r.Addr = ln.Addr().String()
	r.serve(ln)
	t.Cleanup(r.Down)
	return r
}

// URL is the address of path (which starts with "/").
func (r *Receiver) URL(path string) string { return "http://" + r.Addr + path }

// SetSecret tells the receiver the webhook secret of path.
func (r *Receiver) SetSecret(path, secret string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.secrets[path] = secret
}

// SetFault replaces the answering rule.
func (r *Receiver) SetFault(f Fault) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.fault = f
}

func (r *Receiver) serve(ln net.Listener) {
	srv := &http.Server{Handler: http.HandlerFunc(r.handle), ReadHeaderTimeout: 10 * time.Second}
	r.mu.Lock()
	r.srv, r.down = srv, make(chan struct{})
	r.mu.Unlock()
	go func() { _ = srv.Serve(ln) }()
}

// Down closes the listener and every connection: senders get connection
// refused (or a reset) until Up.
func (r *Receiver) Down() {
	r.mu.Lock()
	srv, down := r.srv, r.down
	r.srv = nil
	r.mu.Unlock()
	if srv == nil {
		return
	}
	close(down)
	_ = srv.Close()
}

// Up listens again on the same address.
func (r *Receiver) Up() {
	r.t.Helper()
	var ln net.Listener
	var err error
	for try := 0; try < 50; try++ {
		if ln, err = net.Listen("tcp", r.Addr); err == nil {
			r.serve(ln)
			return
		}
		time.Sleep(20 * time.Millisecond) // the kernel is releasing the port
	}
	r.t.Fatalf("receiver: listen again on %s: %v", r.Addr, err)
}

func (r *Receiver) handle(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	h := Hit{Path: req.URL.Path, ID: req.Header.Get(webhook.HeaderWebhookID), Body: body,
		Header: req.Header.Clone(), At: time.Now()}
	r.mu.Lock()
	secret, known := r.secrets[h.Path]
	fault := r.fault
	down := r.down
	key := h.Path + " " + h.ID
	r.seen[key]++
	n := r.seen[key]
	r.mu.Unlock()

	act := Action{Status: http.StatusOK}
	switch {
	case !known:
		act.Status = http.StatusNotFound
	case webhook.Verify(secret, body, req.Header.Get(webhook.HeaderSignature)) != nil:
		act.Status = http.StatusBadRequest
	default:
		h.Verified = true
		if fault != nil {
			act = fault(h.Path, h.ID, n)
			if act.Status == 0 && !act.Hang {
				act.Status = http.StatusOK
			}
		}
	}
	if act.Hang {
		act.Status = 0
	}
	h.Status = act.Status
	r.record(h)
	if act.Hang {
		select {
		case <-req.Context().Done():
		case <-down:
		}
		return
	}
	if act.RetryAfter != "" {
		w.Header().Set("Retry-After", act.RetryAfter)
	}
	if act.Location != "" {
		w.Header().Set("Location", act.Location)
	}
	w.WriteHeader(act.Status)
}

func (r *Receiver) record(h Hit) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.hits = append(r.hits, h)
	close(r.changed)
	r.changed = make(chan struct{})
}

// Hits returns a copy of every request received so far.
func (r *Receiver) Hits() []Hit {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Hit(nil), r.hits...)
}

// ErrTimeout is returned by Await when the condition did not come true in time.
var ErrTimeout = errors.New("condition not met in time")

// Await waits until cond holds for the hits received so far, polling at every
// new hit, at most timeout.
func (r *Receiver) Await(timeout time.Duration, cond func([]Hit) bool) error {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		r.mu.Lock()
		ch := r.changed
		hits := append([]Hit(nil), r.hits...)
		r.mu.Unlock()
		if cond(hits) {
			return nil
		}
		select {
		case <-ch:
		case <-deadline.C:
			return ErrTimeout
		}
	}
}

// Accepted counts, per webhook-id, the verified requests at path answered 2xx.
func Accepted(hits []Hit, path string) map[string]int {
	out := map[string]int{}
	for _, h := range hits {
		if h.Path == path && h.Verified && h.Status >= 200 && h.Status < 300 {
			out[h.ID]++
		}
	}
	return out
}

// Unverified returns the requests whose signature did not verify, as text.
func Unverified(hits []Hit) []string {
	var bad []string
	for _, h := range hits {
		if !h.Verified {
			bad = append(bad, h.Path+" "+h.ID+" "+strings.TrimSpace(string(h.Body)))
		}
	}
	return bad
}
