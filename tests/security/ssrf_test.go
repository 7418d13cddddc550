package security

import (
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/hookcast/hookcast/tests/reliability/harness"
)

// TestSSRFRefusedWhenSaved: without --allow-private-targets, webhook URLs that
// point at the service's own network are refused (400) when created or
// changed: loopback, private, link-local (cloud metadata), shared and unique
// local addresses in every spelling, and local names.
func TestSSRFRefusedWhenSaved(t *testing.T) {
	t.Parallel()
	p := harness.Start(t, harness.Config{DataDir: t.TempDir(), DenyPrivate: true})
	_, secret := harness.CreateAccount(t, p.Base, "SSRF")
	public := harness.CreateWebhook(t, p.Base, secret, map[string]any{"url": "https://hooks.example.com/in"})
	_, port, _ := net.SplitHostPort(p.Addr)
	urls := []string{
		"http://127.0.0.1:" + port + "/api/admin/accounts",
		"http://127.255.255.254/", "http://10.0.0.1/", "http://172.16.5.4/", "http://192.168.1.1/",
		"http://169.254.169.254/latest/meta-data/", "http://100.64.0.1/", "http://0.0.0.0/",
		"http://[::1]/", "http://[::ffff:127.0.0.1]/", "http://[::ffff:7f00:1]/", "http://[fd00::1]/", "http://[fe80::1]/",
		"http://[::]/", "http://[64:ff9b::7f00:1]/",
		"http://2130706433/", "http://0x7f000001/", "http://0x7f.0.0.1/", "http://017700000001/", "http://127.1/",
		"http://localhost:" + port + "/", "http://LOCALHOST./", "http://api.localhost/", "http://printer.local/",
		"http://metadata.google.internal/computeMetadata/v1/", "http://metadata/", "http://router.home.arpa/",
		"http://vm/", // this machine's name: one label, resolved from /etc/hosts
	}
	for _, u := range urls {
		if code, out := harness.Call(t, "POST", p.Base+"/api/webhooks", secret, map[string]any{"url": u, "isFeedHooks": true}); code != 400 {
			t.Errorf("create %s: %d %s, want 400", u, code, out)
		}
		if code, out := harness.Call(t, "PUT", fmt.Sprintf("%s/api/webhooks/%d", p.Base, public.ID), secret, map[string]any{"url": u}); code != 400 {
			t.Errorf("change to %s: %d %s, want 400", u, code, out)
		}
	}
	var list []harness.Webhook
	harness.Data(t, "GET", p.Base+"/api/webhooks/list?itemCount=100", secret, nil, &list)
	if len(list) != 1 || list[0].URL != "https://hooks.example.com/in" {
		t.Errorf("after the refusals the account has %+v, want only the public webhook unchanged", list)
	}
	t.Logf("%d URLs refused, on create and on change", len(urls))
}

// TestSSRFRefusedWhenConnecting: webhooks saved while private targets were
// allowed (a name that resolves to loopback, and a loopback address) are
// refused at connection time, after name resolution, once serve runs without
// --allow-private-targets: the receiver gets nothing and the log records why.
func TestSSRFRefusedWhenConnecting(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	rc := harness.NewReceiver(t)
	_, port, _ := net.SplitHostPort(rc.Addr)
	p := harness.Start(t, harness.Config{DataDir: dir})
	_, secret := harness.CreateAccount(t, p.Base, "SSRF")
	for _, u := range []string{"http://localhost:" + port + "/by-name", "http://127.0.0.1:" + port + "/by-address"} {
		wh := harness.CreateWebhook(t, p.Base, secret, map[string]any{"url": u})
		rc.SetSecret(u[strings.LastIndex(u, "/"):], wh.Secret)
	}
	p.Stop()
	strict := harness.Start(t, harness.Config{DataDir: dir, DenyPrivate: true})
	harness.Data(t, "POST", strict.Base+"/api/webhooks/test/Feeds", secret, nil, nil)
	var logs []harness.Delivery
	deadline := time.Now().Add(30 * time.Second)
	for {
		logs = harness.Deliveries(t, strict.Base, secret, "")
		settled := len(logs) == 2
		for _, d := range logs {
			settled = settled && d.State != "pending"
		}
		if settled {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("deliveries not settled after 30 s: %+v", logs)
		}
		time.Sleep(50 * time.Millisecond) // polling the log, with a deadline
	}
	for _, d := range logs {
		if d.State != "failed" || d.AttemptCount != 1 || !strings.Contains(d.LastError, "refused") {
			t.Errorf("delivery %d: %s after %d attempts (%q), want failed after one refused attempt", d.ID, d.State, d.AttemptCount, d.LastError)
		}
	}
	if hits := rc.Hits(); len(hits) != 0 {
		t.Errorf("the loopback receiver got %d requests", len(hits))
	}
}

// TestRedirectsNotFollowed: a receiver answering 302 or 307 towards another
// address gets one request; the target of the redirect gets none (a public URL
// cannot bounce a delivery inward). The redirect target here is on 127.0.0.1,
// so the server runs with --allow-private-targets: the rule under test is that
// no redirect is followed at all, whatever the address.
func TestRedirectsNotFollowed(t *testing.T) {
	t.Parallel()
	p := harness.Start(t, harness.Config{DataDir: t.TempDir()})
	_, secret := harness.CreateAccount(t, p.Base, "REDIR")
	rc, inner := harness.NewReceiver(t), harness.NewReceiver(t)
	for _, path := range []string{"/302", "/307"} {
		wh := harness.CreateWebhook(t, p.Base, secret, map[string]any{"url": rc.URL(path)})
		rc.SetSecret(path, wh.Secret)
		inner.SetSecret("/admin", wh.Secret)
	}
	rc.SetFault(func(path, _ string, _ int) harness.Action {
		code := 302
		if path == "/307" {
			code = 307
		}
		return harness.Action{Status: code, Location: inner.URL("/admin")}
	})
	harness.Data(t, "POST", p.Base+"/api/webhooks/test/Feeds", secret, nil, nil)
	if err := rc.Await(20*time.Second, func(h []harness.Hit) bool { return len(h) >= 2 }); err != nil {
		t.Fatal("the redirecting receiver was not called")
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		logs := harness.Deliveries(t, p.Base, secret, "")
		done := len(logs) == 2
		for _, d := range logs {
			done = done && d.State == "failed" && d.AttemptCount == 1 && (d.LastStatus == 302 || d.LastStatus == 307)
		}
		if done {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("want both deliveries failed after one attempt answered 302/307, got %+v", logs)
		}
		time.Sleep(50 * time.Millisecond) // polling the log, with a deadline
	}
	if n := len(inner.Hits()); n != 0 {
		t.Errorf("the redirect target got %d requests", n)
	}
	if n := len(rc.Hits()); n != 2 {
		t.Errorf("the redirecting receiver got %d requests, want 2 (no retry of a 3xx)", n)
	}
}
