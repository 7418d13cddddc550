package reliability

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookcast/hookcast/tests/reliability/harness"
)

// TestSlowLoris opens 50 connections that send their request headers one byte
// every 200 ms. The server cuts each off once its header read timeout (5 s) is
// over, and answers ordinary requests promptly all the while.
func TestSlowLoris(t *testing.T) {
	t.Parallel()
	p := harness.Start(t, harness.Config{DataDir: t.TempDir()})
	account, _ := harness.CreateAccount(t, p.Base, "LORIS")
	const conns = 50
	cut := make(chan time.Duration, conns)
	head := "POST /api/ingest/signals HTTP/1.1\r\nHost: " + p.Addr + "\r\nAuthorization: Bearer " + harness.IngestToken +
		"\r\nX-Padding: " + strings.Repeat("a", 200)
	for range conns {
		c, err := net.Dial("tcp", p.Addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		start := time.Now()
		go func() {
			for i := range len(head) {
				if _, err := c.Write([]byte{head[i]}); err != nil {
					return
				}
				time.Sleep(200 * time.Millisecond) // the attacker's pace
			}
		}()
		go func() {
			_ = c.SetReadDeadline(time.Now().Add(30 * time.Second))
			_, _ = io.Copy(io.Discard, c) // returns when the server closes the connection
			cut <- time.Since(start)
		}()
	}
	// Ordinary traffic while the slow connections are open.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var mu sync.Mutex
	var slowest time.Duration
	served := 0
	wg.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			start := time.Now()
			sig := map[string]any{"kind": "viewer.attempted", "accountId": account, "name": fmt.Sprintf("s%d", i)}
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
			code, body, err := harness.Ingest(ctx, p.Base, sig)
			cancel()
			if err != nil || code != 200 {
				t.Errorf("ordinary request during the attack: %d %s %v", code, body, err)
			}
			mu.Lock()
			slowest, served = max(slowest, time.Since(start)), served+1
			mu.Unlock()
			time.Sleep(100 * time.Millisecond) // a media server's pace
		}
	})
	var longest time.Duration
	for range conns {
		select {
		case d := <-cut:
			longest = max(longest, d)
		case <-time.After(20 * time.Second):
			t.Fatal("a slow-loris connection was still open after 20 s")
		}
	}
	close(stop)
	wg.Wait()
	if longest > 12*time.Second {
		t.Errorf("slow-loris connections held for up to %v (header timeout 5 s)", longest)
	}
	t.Logf("%d slow-loris connections cut off within %v; %d ordinary requests served meanwhile, slowest %v",
		conns, longest.Round(time.Millisecond), served, slowest.Round(time.Millisecond))
}

// TestOversized sends bodies and headers over every limit: each is refused with
// the right status, nothing is stored, and the server carries on.
func TestOversized(t *testing.T) {
	t.Parallel()
	p := harness.Start(t, harness.Config{DataDir: t.TempDir()})
	account, secret := harness.CreateAccount(t, p.Base, "BIG")
	rc := harness.NewReceiver(t)
	wh := harness.CreateWebhook(t, p.Base, secret, map[string]any{"url": rc.URL("/hooks"), "isViewerConnectionHooks": true})
	rc.SetSecret("/hooks", wh.Secret)

	sig := fmt.Sprintf(`{"kind":"viewer.attempted","accountId":%q,"name":"s"}`, account)
	many := "[" + strings.Repeat(sig+",", 1000) + sig + "]"  // 1001 signals: one over the batch limit
	huge := `[` + strings.Repeat(sig+",", 30000) + sig + `]` // over 1 MiB
	cases := []struct {
		name, method, path, bearer, body string
		want                             []int
	}{
		{"ingest body over 1 MiB", "POST", "/api/ingest/signals", harness.IngestToken, huge, []int{413}},
		{"ingest batch over 1000", "POST", "/api/ingest/signals", harness.IngestToken, many, []int{400}},
		{"webhook body over 64 KiB", "POST", "/api/webhooks", secret, `{"url":"` + strings.Repeat("a", 70<<10) + `"}`, []int{413}},
		{"admin body over 64 KiB", "POST", "/api/admin/accounts", harness.AdminToken, `{"name":"` + strings.Repeat("a", 70<<10) + `"}`, []int{413}},
		{"sign-in body over 4 KiB", "POST", "/dashboard/login", "", `{"apiSecret":"` + strings.Repeat("a", 8<<10) + `"}`, []int{400, 413}},
		{"nginx-rtmp form over its limit", "POST", "/api/ingest/nginx-rtmp?token=" + harness.IngestToken, "", "call=play&name=s&" + strings.Repeat("a", 2<<20), []int{400, 413}},
	}
	for _, c := range cases {
		code, out := harness.Call(t, c.method, p.Base+c.path, c.bearer, []byte(c.body))
		if !containsInt(c.want, code) {
			t.Errorf("%s: %d %.200s, want one of %v", c.name, code, out, c.want)
		}
	}
	// Request headers over 64 KiB.
	req, _ := http.NewRequest("GET", p.Base+"/healthz", nil)
	req.Header.Set("X-Big", strings.Repeat("a", 100<<10))
	if resp, err := harness.Client.Do(req); err != nil {
		t.Errorf("big headers: %v", err)
	} else {
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
			t.Errorf("big headers: %d, want 431", resp.StatusCode)
		}
	}
	// Nothing was stored, and the server still works.
	if d := harness.Deliveries(t, p.Base, secret, ""); len(d) != 0 {
		t.Errorf("refused requests left %d deliveries", len(d))
	}
	if code, out := harness.Call(t, "POST", p.Base+"/api/ingest/signals", harness.IngestToken, []byte(sig)); code != 200 {
		t.Fatalf("after the refusals: %d %s", code, out)
	}
	if err := rc.Await(10*time.Second, func(h []harness.Hit) bool { return len(h) == 1 }); err != nil {
		t.Errorf("the signal after the refusals was not delivered")
	}
}

func containsInt(list []int, v int) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// TestSlowBody (HOOKCAST_LONG=1) sends complete headers, then the body one byte
// a second: the server's read timeout (30 s) ends the request.
func TestSlowBody(t *testing.T) {
	if !harness.Long() {
		t.Skip("takes 30 s: HOOKCAST_LONG=1")
	}
	t.Parallel()
	p := harness.Start(t, harness.Config{DataDir: t.TempDir()})
	c, err := net.Dial("tcp", p.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	start := time.Now()
	fmt.Fprintf(c, "POST /api/ingest/signals HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nContent-Length: 1000\r\n\r\n", p.Addr, harness.IngestToken)
	go func() {
		for range 1000 {
			if _, err := c.Write([]byte{' '}); err != nil {
				return
			}
			time.Sleep(time.Second) // the attacker's pace
		}
	}()
	_ = c.SetReadDeadline(time.Now().Add(60 * time.Second))
	line, err := bufio.NewReader(c).ReadString('\n')
	took := time.Since(start)
	if took > 40*time.Second {
		t.Fatalf("slow body held for %v: %q %v", took, line, err)
	}
	t.Logf("slow body ended after %v: %q", took.Round(time.Millisecond), strings.TrimSpace(line))
}
