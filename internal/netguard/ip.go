// Package netguard keeps hookcast's outgoing requests away from private networks
// (SSRF): it checks webhook URLs when they are saved and, more importantly, checks
// the address of every connection at dial time, after DNS resolution, so a name that
// resolves (or rebinds) to an internal address is refused.
package netguard

import (
	"encoding/binary"
	"net/netip"
)

// notGlobal4 lists the IPv4 ranges that are not globally reachable unicast
// (IANA IPv4 Special-Purpose Address Registry, plus multicast and reserved space).
var notGlobal4 = mustPrefixes(
	"0.0.0.0/8",       // "this network"
	"10.0.0.0/8",      // private (RFC 1918)
	"100.64.0.0/10",   // shared address space, carrier-grade NAT (RFC 6598)
	"127.0.0.0/8",     // loopback
	"169.254.0.0/16",  // link-local, includes cloud metadata 169.254.169.254
	"172.16.0.0/12",   // private (RFC 1918)
	"192.0.0.0/24",    // IETF protocol assignments
	"192.0.2.0/24",    // documentation TEST-NET-1
	"192.88.99.0/24",  // deprecated 6to4 relay anycast
	"192.168.0.0/16",  // private (RFC 1918)
	"198.18.0.0/15",   // benchmarking
	"198.51.100.0/24", // documentation TEST-NET-2
	"203.0.113.0/24",  // documentation TEST-NET-3
	"224.0.0.0/4",     // multicast
	"240.0.0.0/4",     // reserved, includes broadcast 255.255.255.255
)

// Only 2000::/3 holds global unicast IPv6; everything outside it (loopback,
// unspecified, IPv4-compatible, ULA fc00::/7, link-local fe80::/10, site-local,
// multicast ff00::/8, discard 100::/64, ...) is refused, except the two forms that
// embed an IPv4 address and are judged by it: IPv4-mapped and NAT64 64:ff9b::/96.
var (
	global6   = netip.MustParsePrefix("2000::/3")
	nat64     = netip.MustParsePrefix("64:ff9b::/96")
	teredo    = netip.MustParsePrefix("2001::/32")
	sixToFour = netip.MustParsePrefix("2002::/16")
)

// notGlobal6 lists special ranges inside 2000::/3.
var notGlobal6 = mustPrefixes(
	"2001::/23",     // IETF protocol assignments (Teredo 2001::/32 is handled before)
	"2001:db8::/32", // documentation
	"3fff::/20",     // documentation (RFC 9637)
)

func mustPrefixes(ss ...string) []netip.Prefix {
	ps := make([]netip.Prefix, len(ss))
	for i, s := range ss {
		ps[i] = netip.MustParsePrefix(s)
	}
	return ps
}

// IsPublic reports whether ip is a globally reachable unicast address, the only
// kind a webhook may be delivered to unless private targets are allowed. Addresses
// that embed an IPv4 address (IPv4-mapped, NAT64, 6to4, Teredo) are judged by the
// embedded address, so ::ffff:127.0.0.1 or 2002:7f00:1:: are not public.
// Zoned addresses (fe80::1%eth0) are never public.
func IsPublic(ip netip.Addr) bool {
	if !ip.IsValid() || ip.Zone() != "" {
		return false
	}
	if ip.Is4In6() {
		return IsPublic(ip.Unmap())
	}
	if ip.Is4() {
		for _, p := range notGlobal4 {
			if p.Contains(ip) {
				return false
			}
		}
		return true
	}
	b := ip.As16()
	switch {
	case nat64.Contains(ip):
		return IsPublic(netip.AddrFrom4([4]byte(b[12:16])))
	case !global6.Contains(ip):
		return false
	case teredo.Contains(ip):
		// 2001:0:SSSS:SSSS:flags:port:CCCC:CCCC, server in clear, client inverted.
		server := netip.AddrFrom4([4]byte(b[4:8]))
		var client [4]byte
		binary.BigEndian.PutUint32(client[:], ^binary.BigEndian.Uint32(b[12:16]))
		return IsPublic(server) && IsPublic(netip.AddrFrom4(client))
	case sixToFour.Contains(ip):
		return IsPublic(netip.AddrFrom4([4]byte(b[2:6])))
	}
	for _, p := range notGlobal6 {
		if p.Contains(ip) {
			return false
		}
	}
	return true
}
