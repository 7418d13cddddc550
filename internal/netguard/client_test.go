package netguard

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func newServer(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/redirect" {
			http.Redirect(w, r, "/elsewhere", http.StatusFound)
			return
		}
		io.WriteString(w, "ok")
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestClientRefusesPrivateAddresses(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	port := srv.URL[strings.LastIndexByte(srv.URL, ':')+1:]
	c := NewClient(ClientOptions{})
	for _, u := range []string{
		srv.URL,                          // literal 127.0.0.1
		"http://localhost:" + port + "/", // a name that resolves to loopback
	} {
		resp, err := c.Get(u)
		if err == nil {
			resp.Body.Close()
			t.Fatalf("GET %s: succeeded, want refused", u)
		}
		if !errors.Is(err, ErrRefused) {
			t.Fatalf("GET %s: error %v, want ErrRefused", u, err)
		}
		if !strings.Contains(err.Error(), "address refused") {
			t.Fatalf("GET %s: error %q does not say the address is refused", u, err)
		}
	}
}

func TestClientAllowPrivate(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	c := NewClient(ClientOptions{AllowPrivate: true})
	resp, err := c.Get(srv.URL)
	if err != nil {
		t.Fatalf("GET: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "ok" {
		t.Fatalf("got %d %q", resp.StatusCode, body)
	}
}

func TestClientDoesNotFollowRedirects(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	c := NewClient(ClientOptions{AllowPrivate: true})
	resp, err := c.Get(srv.URL + "/redirect")
	if err != nil {
		t.Fatalf("GET: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("status %d, want 302 returned as is", resp.StatusCode)
	}
}

func TestClientDefaults(t *testing.T) {
	t.Parallel()
	c := NewClient(ClientOptions{})
	if c.Timeout != 15*time.Second {
		t.Errorf("Timeout = %v, want 15s", c.Timeout)
	}
	tr := c.Transport.(*http.Transport)
	if tr.Proxy != nil {
		t.Error("Proxy set, want nil")
	}
	if tr.MaxIdleConnsPerHost != 8 {
		t.Errorf("MaxIdleConnsPerHost = %d, want 8", tr.MaxIdleConnsPerHost)
	}
}
