package dashboard

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/hookcast/hookcast/internal/engine"
)

// openEvents opens /dashboard/events with cookie c and returns the response.
func (b *bundle) openEvents(t *testing.T, ctx context.Context, c *http.Cookie) *http.Response {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, "GET", b.srv.URL+"/dashboard/events", nil)
	req.AddCookie(c)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { res.Body.Close() })
	return res
}

// TestEventsSendChanges: after the first state, a message carries only the
// streams that changed or came and the names of those gone; streams that did
// not change are not sent again.
func TestEventsSendChanges(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	streams := map[string]int{"a": 1, "b": 1, "c": 1}
	b := setup(t, func(d *Deps) {
		d.StreamsInterval = 50 * time.Millisecond
		d.Streams = func(context.Context, string) ([]engine.StreamView, error) {
			mu.Lock()
			defer mu.Unlock()
			var out []engine.StreamView
			for n, v := range streams {
				out = append(out, engine.StreamView{Name: n, Viewers: v})
			}
			return out, nil
		}
	})
	c, _ := b.login(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	rd := bufio.NewReader(b.openEvents(t, ctx, c).Body)
	if st := readState(t, rd); len(st.Streams.([]any)) != 3 {
		t.Fatalf("first state: %s", mustJSON(t, st))
	}
	mu.Lock()
	streams["b"] = 7
	delete(streams, "c")
	streams["d"] = 1
	mu.Unlock()
	ch := readChanges(t, rd)
	var names []string
	for _, s := range ch.Streams {
		names = append(names, string(s))
	}
	slices.Sort(names)
	if len(names) != 2 || !strings.Contains(names[0], `"name":"b"`) || !strings.Contains(names[0], `"viewers":7`) ||
		!strings.Contains(names[1], `"name":"d"`) || !slices.Equal(ch.Removed, []string{"c"}) {
		t.Fatalf("changes: %s", mustJSON(t, ch))
	}
}

// TestEventsLimits: a session may hold DefaultMaxStreamsPerSession streams, an
// account MaxStreamsPerAccount; more are refused with 429, and a closed
// stream frees its place.
func TestEventsLimits(t *testing.T) {
	t.Parallel()
	b := setup(t, func(d *Deps) {
		d.StreamsInterval = 50 * time.Millisecond
		d.MaxStreamsPerSession, d.MaxStreamsPerAccount = 2, 3
	})
	c1, _ := b.login(t)
	c2, _ := b.login(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	open := func(c *http.Cookie) (*http.Response, context.CancelFunc) {
		cctx, ccancel := context.WithCancel(ctx)
		res := b.openEvents(t, cctx, c)
		if res.StatusCode == 200 {
			readState(t, bufio.NewReader(res.Body))
		}
		return res, ccancel
	}
	_, close1 := open(c1)
	open(c1)
	if res, _ := open(c1); res.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("third stream of a session: %d, want 429", res.StatusCode)
	}
	open(c2)
	if res, _ := open(c2); res.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("fourth stream of the account: %d, want 429", res.StatusCode)
	}
	close1()
	waitFor(t, func() bool { return b.d.openStreams(account) == 2 })
	if res, _ := open(c2); res.StatusCode != 200 {
		t.Fatalf("after one closed: %d, want 200", res.StatusCode)
	}
}

// TestDeadClientGone: a client that stops reading is gone once a write has
// waited StreamWriteTimeout, rather than holding its goroutine, its place and
// its buffers until the stream's end of life (10 minutes).
func TestDeadClientGone(t *testing.T) {
	t.Parallel()
	var n atomic.Int64
	big := strings.Repeat("x", 256<<10)
	b := setup(t, func(d *Deps) {
		d.StreamsInterval = 50 * time.Millisecond
		d.StreamWriteTimeout = 300 * time.Millisecond
		// A large state that changes every time, so the writes fill every buffer.
		d.Streams = func(context.Context, string) ([]engine.StreamView, error) {
			return []engine.StreamView{{Name: "cam", StreamID: big, Viewers: int(n.Add(1))}}, nil
		}
	})
	c, _ := b.login(t)
	d := net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
		return rc.Control(func(fd uintptr) { _ = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) })
	}}
	conn, err := d.Dial("tcp", strings.TrimPrefix(b.srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "GET /dashboard/events HTTP/1.1\r\nHost: x\r\nCookie: %s=%s\r\n\r\n", c.Name, c.Value)
	waitFor(t, func() bool { return b.d.openStreams(account) == 1 })
	// Never read again. The stream must end by itself.
	waitFor(t, func() bool { return b.d.openStreams(account) == 0 })
	if got := n.Load(); got < 2 {
		t.Fatalf("streams read %d times: the stream never tried to write much", got)
	}
}

// waitFor polls cond until it holds, failing after a generous deadline.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached within 20 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
