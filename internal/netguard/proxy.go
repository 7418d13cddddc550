package netguard

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"strings"
)

// With a forward proxy the dialer connects to the proxy, never to the target,
// so the dial-time check cannot see the target's address. Instead the target
// host is resolved and checked when the request is made (Transport.Proxy runs
// for every request), and the connection to the proxy itself is allowed
// whatever its address: the operator chose it. What remains is the window
// between this resolution and the proxy's own: a name that rebinds in between
// reaches whatever the proxy can reach, so the proxy must refuse private
// destinations itself (docs/webhooks-in-production.md shows how).

// proxyFunc returns the Transport.Proxy function for opts, and the host:port of
// every proxy it may name (whose connections the dial check lets through); nil
// when requests go direct.
func proxyFunc(opts ClientOptions) (func(*http.Request) (*url.URL, error), map[string]bool) {
	var proxy func(*http.Request) (*url.URL, error)
	var proxies []string
	switch {
	case opts.Proxy != nil:
		proxy, proxies = http.ProxyURL(opts.Proxy), []string{opts.Proxy.String()}
	case opts.ProxyFromEnvironment:
		for _, name := range []string{"HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"} {
			if v := os.Getenv(name); v != "" {
				proxies = append(proxies, v)
			}
		}
		if len(proxies) == 0 {
			return nil, nil
		}
		proxy = http.ProxyFromEnvironment
	default:
		return nil, nil
	}
	addrs := make(map[string]bool, len(proxies))
	for _, p := range proxies {
		if a := proxyAddr(p); a != "" {
			addrs[a] = true
		}
	}
	if opts.AllowPrivate {
		return proxy, addrs
	}
	return func(req *http.Request) (*url.URL, error) {
		p, err := proxy(req)
		if err != nil || p == nil {
			return p, err // direct (NO_PROXY): the dial check sees the target
		}
		if err := CheckHost(req.Context(), req.URL.Hostname()); err != nil {
			return nil, err
		}
		return p, nil
	}, addrs
}

// proxyAddr is the host:port a proxy URL connects to, as the Transport dials
// it; "" when it cannot be read. A value without a scheme is http://, as
// http.ProxyFromEnvironment reads it.
func proxyAddr(raw string) string {
	if !strings.Contains(raw, "://") {
		raw = "http://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil || u.Hostname() == "" {
		return ""
	}
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443", "socks5": "1080", "socks5h": "1080"}[u.Scheme]
	}
	return net.JoinHostPort(u.Hostname(), port)
}

// CheckHost resolves host (a name or an address literal) and refuses it,
// wrapping ErrRefused, unless every address it has is public.
func CheckHost(ctx context.Context, host string) error {
	if ip, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil {
		if !IsPublic(ip) {
			return fmt.Errorf("netguard: %s: %w", ip, ErrRefused)
		}
		return nil
	}
	ips, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return fmt.Errorf("netguard: resolve %s: %w", host, err)
	}
	for _, ip := range ips {
		if !IsPublic(ip.Unmap()) {
			return fmt.Errorf("netguard: %s is %s: %w", host, ip, ErrRefused)
		}
	}
	return nil
}
