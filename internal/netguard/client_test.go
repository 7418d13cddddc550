package netguard

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hookcast/hookcast/internal/netguard/proxytest"
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

// TestClientThroughProxy: with a proxy every request goes through it, plain
// HTTP and HTTPS (CONNECT) alike, even to a proxy on a private address; the
// target is still checked unless private targets are allowed.
func TestClientThroughProxy(t *testing.T) {
	t.Parallel()
	plain := newServer(t)
	tlsSrv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok") }))
	t.Cleanup(tlsSrv.Close)
	port := plain.URL[strings.LastIndexByte(plain.URL, ':')+1:]

	t.Run("private targets allowed: everything through the proxy", func(t *testing.T) {
		p := proxytest.New(t)
		pu, _ := url.Parse(p.URL)
		c := NewClient(ClientOptions{AllowPrivate: true, Proxy: pu, TLSConfig: tlsSrv.Client().Transport.(*http.Transport).TLSClientConfig})
		for _, u := range []string{plain.URL + "/a", tlsSrv.URL + "/b"} {
			resp, err := c.Post(u, "text/plain", strings.NewReader("x"))
			if err != nil {
				t.Fatalf("POST %s: %v", u, err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || string(body) != "ok" {
				t.Fatalf("POST %s: %d %q", u, resp.StatusCode, body)
			}
		}
		want := []string{strings.TrimPrefix(plain.URL, "http://"), strings.TrimPrefix(tlsSrv.URL, "https://")}
		if got := p.Targets(); !slices.Equal(got, want) {
			t.Fatalf("the proxy carried %v, want %v", got, want)
		}
	})

	t.Run("private targets refused before the proxy; public ones go through", func(t *testing.T) {
		p := proxytest.New(t)
		p.Answer = func(r *http.Request) (int, bool) { return http.StatusNoContent, r.URL.Hostname() == "93.184.216.34" }
		pu, _ := url.Parse(p.URL) // on 127.0.0.1: the proxy itself may be private
		c := NewClient(ClientOptions{Proxy: pu})
		for _, u := range []string{plain.URL, "http://localhost:" + port + "/", "http://[::1]:" + port + "/", "http://169.254.169.254/latest/meta-data/"} {
			resp, err := c.Get(u)
			if err == nil {
				resp.Body.Close()
				t.Fatalf("GET %s through the proxy: succeeded, want refused", u)
			}
			if !errors.Is(err, ErrRefused) {
				t.Fatalf("GET %s: %v, want ErrRefused", u, err)
			}
		}
		if got := p.Targets(); len(got) != 0 {
			t.Fatalf("the proxy was asked for %v; private targets must be refused before it", got)
		}
		resp, err := c.Get("http://93.184.216.34/hook")
		if err != nil {
			t.Fatalf("GET a public address through the proxy: %v", err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNoContent || !slices.Equal(p.Targets(), []string{"93.184.216.34"}) {
			t.Fatalf("status %d, proxy carried %v: want the proxy's 204 for 93.184.216.34", resp.StatusCode, p.Targets())
		}
	})
}

func TestProxyAddr(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"http://proxy.internal:3128": "proxy.internal:3128",
		"proxy.internal:3128":        "proxy.internal:3128",
		"http://user:pw@10.0.0.5":    "10.0.0.5:80",
		"https://egress.example.com": "egress.example.com:443",
		"socks5://[fd00::1]":         "[fd00::1]:1080",
		"http://":                    "",
	} {
		if got := proxyAddr(in); got != want {
			t.Errorf("proxyAddr(%q) = %q, want %q", in, got, want)
		}
	}
}
