// Package proxytest is a forward HTTP proxy for tests: it forwards plain HTTP
// requests (absolute URIs) and tunnels CONNECT, like Squid or Smokescreen, and
// records the target of every request it is asked to carry.
package proxytest

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"
)

// Proxy is a running forward proxy.
type Proxy struct {
	*httptest.Server
	// Answer, when set, answers a request itself instead of forwarding it
	// (status and body), for targets the test cannot reach (public addresses).
	Answer func(r *http.Request) (status int, ok bool)

	mu      sync.Mutex
	targets []string // host:port of every request carried, in order
}

// New starts a proxy on 127.0.0.1; it stops when the test ends.
func New(t interface {
	Helper()
	Cleanup(func())
}) *Proxy {
	t.Helper()
	p := &Proxy{}
	p.Server = httptest.NewServer(http.HandlerFunc(p.serve))
	t.Cleanup(p.Close)
	return p
}

// Targets returns the host:port of every request carried so far.
func (p *Proxy) Targets() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.targets...)
}

func (p *Proxy) record(target string) {
	p.mu.Lock()
	p.targets = append(p.targets, target)
	p.mu.Unlock()
}

func (p *Proxy) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodConnect {
		p.record(r.Host)
		p.tunnel(w, r)
		return
	}
	if !r.URL.IsAbs() {
		http.Error(w, "proxytest: not a proxy request", http.StatusBadRequest)
		return
	}
	p.record(r.URL.Host)
	if p.Answer != nil {
		if status, ok := p.Answer(r); ok {
			w.WriteHeader(status)
			return
		}
	}
	out := r.Clone(r.Context())
	out.RequestURI = ""
	out.Header.Del("Proxy-Connection")
	out.Header.Del("Proxy-Authorization")
	resp, err := (&http.Transport{Proxy: nil}).RoundTrip(out)
	if err != nil {
		http.Error(w, "proxytest: "+err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	for k, vs := range resp.Header {
		w.Header()[k] = vs
	}
	w.WriteHeader(resp.StatusCode)
	io.Copy(w, resp.Body)
}

func (p *Proxy) tunnel(w http.ResponseWriter, r *http.Request) {
	up, err := net.DialTimeout("tcp", r.Host, 5*time.Second)
	if err != nil {
		http.Error(w, "proxytest: "+err.Error(), http.StatusBadGateway)
		return
	}
	hj, ok := w.(http.Hijacker)
	if !ok {
		up.Close()
		http.Error(w, "proxytest: no hijacking", http.StatusInternalServerError)
		return
	}
	conn, buf, err := hj.Hijack()
	if err != nil {
		up.Close()
		return
	}
	if _, err := conn.Write([]byte("HTTP/1.1 200 Connection established\r\n\r\n")); err != nil {
		up.Close()
		conn.Close()
		return
	}
	// Either side ending ends both.
	go func() { io.Copy(up, buf); up.Close(); conn.Close() }()
	go func() { io.Copy(conn, up); up.Close(); conn.Close() }()
}
