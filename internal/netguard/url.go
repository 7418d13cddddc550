package netguard

import (
	"errors"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
)

// MaxURLLength is the longest webhook URL accepted.
const MaxURLLength = 2048

// Reasons CheckURL gives. They are shown to API users as they are.
var (
	ErrURLEmpty       = errors.New("url: empty")
	ErrURLTooLong     = errors.New("url: longer than 2048 characters")
	ErrURLInvalid     = errors.New("url: not a valid URL")
	ErrURLScheme      = errors.New("url: scheme must be http or https")
	ErrURLNoHost      = errors.New("url: host required")
	ErrURLUserinfo    = errors.New("url: credentials in the URL are not allowed")
	ErrURLFragment    = errors.New("url: fragment (#...) not allowed")
	ErrURLPort        = errors.New("url: invalid port")
	ErrURLNumericHost = errors.New("url: host is neither a valid IP address nor a name")
	ErrURLPrivate     = errors.New("url: private or loopback address not allowed (serve --allow-private-targets allows it)")
	ErrURLLocalName   = errors.New("url: local or internal host name not allowed (serve --allow-private-targets allows it)")
	ErrURLSingleLabel = errors.New("url: host name must be fully qualified (contain a dot)")
)

// localSuffixes are name suffixes that only ever resolve inside a private network.
var localSuffixes = []string{".localhost", ".local", ".internal", ".home.arpa"}

// localNames are single names that resolve to internal services, cloud metadata
// endpoints in particular.
var localNames = map[string]bool{
	"localhost": true, "metadata": true, "metadata.google.internal": true,
	"instance-data": true, "home.arpa": true,
}

// CheckURL validates a webhook URL when it is saved. It never resolves names: a
// name is checked again, by address, on every connection (see NewClient), which is
// what actually stops DNS rebinding. With allowPrivate, private and local targets
// are accepted (development, or receivers on the same network); the syntax rules
// still apply.
func CheckURL(raw string, allowPrivate bool) error {
	switch {
	case raw == "":
		return ErrURLEmpty
	case len(raw) > MaxURLLength:
		return ErrURLTooLong
	case strings.ContainsRune(raw, '#'):
		return ErrURLFragment
	}
	u, err := url.Parse(raw)
	if err != nil {
		return ErrURLInvalid
	}
	if !strings.EqualFold(u.Scheme, "http") && !strings.EqualFold(u.Scheme, "https") {
		return ErrURLScheme
	}
	if u.Opaque != "" || u.Host == "" {
		return ErrURLNoHost
	}
	if u.User != nil {
		return ErrURLUserinfo
	}
	if p := u.Port(); p != "" || strings.HasSuffix(u.Host, ":") {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return ErrURLPort
		}
	}
	host := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	if host == "" {
		return ErrURLNoHost
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		if !allowPrivate && !IsPublic(ip) {
			return ErrURLPrivate
		}
		return nil
	}
	if looksNumeric(host) {
		// 127.1, 2130706433, 0x7f.0.0.1: some resolvers read these as addresses.
		return ErrURLNumericHost
	}
	if allowPrivate {
		return nil
	}
	if localNames[host] {
		return ErrURLLocalName
	}
	for _, s := range localSuffixes {
		if strings.HasSuffix(host, s) {
			return ErrURLLocalName
		}
	}
	if !strings.Contains(host, ".") {
		return ErrURLSingleLabel
	}
	return nil
}

// looksNumeric reports whether the last label of host is a number (decimal, octal
// or 0x hex). No top-level domain is numeric, so such a host is either a shorthand
// IPv4 address or garbage.
func looksNumeric(host string) bool {
	last := host[strings.LastIndexByte(host, '.')+1:]
	if last == "" {
		return false
	}
	if h, ok := strings.CutPrefix(last, "0x"); ok {
		last = h
		if last == "" {
			return true
		}
		return strings.Trim(last, "0123456789abcdef") == ""
	}
	return strings.Trim(last, "0123456789") == ""
}
