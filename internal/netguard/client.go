package netguard

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"syscall"
	"time"
)

// ErrRefused is wrapped by every dial the guard stops; test for it with errors.Is.
var ErrRefused = errors.New("address refused: private or loopback address not allowed (serve --allow-private-targets allows it)")

// ClientOptions configures NewClient. Zero values take the defaults given per field.
type ClientOptions struct {
	// AllowPrivate turns the dial-time address check off (development, or receivers
	// on the same private network). Default false: only public addresses.
	AllowPrivate bool
	// ConnectTimeout bounds the TCP connect (per address tried) and, separately,
	// the TLS handshake. Default 5 s.
	ConnectTimeout time.Duration
	// Timeout bounds a whole request: connect, send, headers and body read (so
	// no separate response-header timeout, which would start one more timer
	// per request). Default 15 s.
	Timeout time.Duration
	// MaxIdleConnsPerHost is how many keep-alive connections to one host are kept:
	// size it to the per-endpoint concurrency. Default 8.
	MaxIdleConnsPerHost int
	// MaxIdleConns bounds keep-alive connections over all hosts. Default 1024.
	MaxIdleConns int
	// TLSConfig overrides the TLS settings (tests use it to trust a test CA).
	TLSConfig *tls.Config
	// Proxy, when set, sends every request through this forward proxy
	// (http://, https:// or socks5://, with user:password@ if it wants them),
	// so receivers see one address (serve --egress-proxy). Unless AllowPrivate,
	// each request's target host is resolved and must be public before it is
	// handed to the proxy. Default: none.
	Proxy *url.URL
	// ProxyFromEnvironment, when Proxy is nil, takes the proxy from
	// HTTPS_PROXY, HTTP_PROXY and NO_PROXY (http.ProxyFromEnvironment, which
	// sends loopback targets direct), checked like Proxy. Default false: the
	// environment is ignored.
	ProxyFromEnvironment bool
}

func (o *ClientOptions) setDefaults() {
	if o.ConnectTimeout <= 0 {
		o.ConnectTimeout = 5 * time.Second
	}
	if o.Timeout <= 0 {
		o.Timeout = 15 * time.Second
	}
	if o.MaxIdleConnsPerHost <= 0 {
		o.MaxIdleConnsPerHost = 8
	}
	if o.MaxIdleConns <= 0 {
		o.MaxIdleConns = 1024
	}
}

// NewClient returns the HTTP client that delivers webhooks. It follows no redirects
// (a 3xx is the receiver's answer, and following it would let a public URL bounce
// the request to an internal one), uses a proxy only as opts say, and unless
// AllowPrivate refuses every connection whose resolved address is not public.
// The check runs on the address actually connected to, after DNS, so neither a
// name pointing at 127.0.0.1 nor a rebinding DNS server gets through; through a
// proxy it runs on the target when the request is made (see proxy.go).
func NewClient(opts ClientOptions) *http.Client {
	opts.setDefaults()
	dialer := &net.Dialer{
		Timeout:   opts.ConnectTimeout,
		KeepAlive: 30 * time.Second,
	}
	dial := dialer.DialContext
	proxy, proxies := proxyFunc(opts)
	if !opts.AllowPrivate {
		guarded := *dialer
		guarded.ControlContext = controlPublicOnly
		dial = guarded.DialContext
		if len(proxies) > 0 {
			dial = func(ctx context.Context, network, addr string) (net.Conn, error) {
				if proxies[addr] {
					return dialer.DialContext(ctx, network, addr) // the proxy: chosen by the operator
				}
				return guarded.DialContext(ctx, network, addr)
			}
		}
	}
	tr := &http.Transport{
		Proxy:                  proxy,
		DialContext:            dial,
		ForceAttemptHTTP2:      true,
		TLSClientConfig:        opts.TLSConfig,
		TLSHandshakeTimeout:    opts.ConnectTimeout,
		MaxIdleConns:           opts.MaxIdleConns,
		MaxIdleConnsPerHost:    opts.MaxIdleConnsPerHost,
		IdleConnTimeout:        90 * time.Second,
		ExpectContinueTimeout:  time.Second,
		MaxResponseHeaderBytes: 64 << 10,
	}
	return &http.Client{
		Transport: tr,
		Timeout:   opts.Timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// controlPublicOnly runs after resolution, just before connect, for every address
// the dialer tries.
func controlPublicOnly(_ context.Context, network, address string, _ syscall.RawConn) error {
	switch network {
	case "tcp", "tcp4", "tcp6":
	default:
		return fmt.Errorf("netguard: network %q: %w", network, ErrRefused)
	}
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("netguard: %q: %w", address, ErrRefused)
	}
	if !IsPublic(ap.Addr()) {
		return fmt.Errorf("netguard: %s: %w", ap.Addr(), ErrRefused)
	}
	return nil
}
