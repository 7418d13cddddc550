package netguard

import (
	"net/netip"
	"testing"
)

func TestIsPublic(t *testing.T) {
	t.Parallel()
	tests := []struct {
		ip   string
		want bool
	}{
		// Public IPv4.
		{"8.8.8.8", true},
		{"1.1.1.1", true},
		{"93.184.216.34", true},
		{"100.63.255.255", true},  // just below CGNAT
		{"100.128.0.0", true},     // just above CGNAT
		{"172.15.255.255", true},  // just below 172.16/12
		{"172.32.0.0", true},      // just above
		{"192.169.0.1", true},     // just above 192.168/16
		{"198.17.255.255", true},  // just below benchmarking
		{"198.20.0.0", true},      // just above benchmarking
		{"223.255.255.255", true}, // just below multicast
		{"11.0.0.1", true},
		// Not public IPv4.
		{"0.0.0.0", false},
		{"0.1.2.3", false},
		{"10.0.0.1", false},
		{"10.255.255.255", false},
		{"100.64.0.1", false},
		{"100.127.255.255", false},
		{"127.0.0.1", false},
		{"127.255.255.254", false},
		{"169.254.169.254", false}, // cloud metadata
		{"169.254.0.1", false},
		{"172.16.0.1", false},
		{"172.31.255.255", false},
		{"192.0.0.8", false},
		{"192.0.2.10", false},
		{"192.88.99.1", false},
		{"192.168.1.1", false},
		{"198.18.0.1", false},
		{"198.19.255.255", false},
		{"198.51.100.7", false},
		{"203.0.113.9", false},
		{"224.0.0.1", false},
		{"239.255.255.250", false},
		{"240.0.0.1", false},
		{"255.255.255.255", false},
		// Public IPv6.
		{"2001:4860:4860::8888", true},
		{"2606:4700:4700::1111", true},
		{"2a00:1450:4001:80b::200e", true},
		{"::ffff:8.8.8.8", true},
		{"64:ff9b::808:808", true},             // NAT64 of 8.8.8.8
		{"2002:808:808::1", true},              // 6to4 of 8.8.8.8
		{"2001:0:808:808:0:0:f7f7:f7f7", true}, // Teredo: server 8.8.8.8, client ^f7f7f7f7 = 8.8.8.8
		// Not public IPv6.
		{"::", false},
		{"::1", false},
		{"::127.0.0.1", false}, // IPv4-compatible, deprecated
		{"::ffff:127.0.0.1", false},
		{"::ffff:10.0.0.1", false},
		{"::ffff:169.254.169.254", false},
		{"::ffff:0.0.0.0", false},
		{"fc00::1", false},
		{"fd12:3456:789a::1", false},
		{"fe80::1", false},
		{"fec0::1", false},
		{"ff02::1", false},
		{"ff0e::1", false},
		{"100::1", false},
		{"64:ff9b::7f00:1", false},              // NAT64 of 127.0.0.1
		{"64:ff9b::a9fe:a9fe", false},           // NAT64 of 169.254.169.254
		{"64:ff9b:1::808:808", false},           // local-use NAT64
		{"2002:7f00:1::1", false},               // 6to4 of 127.0.0.1
		{"2002:c0a8:101::1", false},             // 6to4 of 192.168.1.1
		{"2002:a9fe:a9fe::", false},             // 6to4 of 169.254.169.254
		{"2001:0:808:808:0:0:80ff:fffe", false}, // Teredo client ^80fffffe = 127.0.0.1
		{"2001:0:a00:1:0:0:f7f7:f7f7", false},   // Teredo server 10.0.0.1
		{"2001:db8::1", false},
		{"2001:2::1", false}, // benchmarking
		{"2001:10::1", false},
		{"3fff::1", false},
		{"5f00::1", false},
		{"fe80::1%eth0", false},
	}
	for _, tt := range tests {
		ip, err := netip.ParseAddr(tt.ip)
		if err != nil {
			t.Fatalf("parse %q: %v", tt.ip, err)
		}
		if got := IsPublic(ip); got != tt.want {
			t.Errorf("IsPublic(%s) = %v, want %v", tt.ip, got, tt.want)
		}
	}
	if IsPublic(netip.Addr{}) {
		t.Error("IsPublic(zero Addr) = true")
	}
}

// FuzzIsPublic checks that an address and its IPv4-mapped form always agree.
func FuzzIsPublic(f *testing.F) {
	for _, s := range [][]byte{{127, 0, 0, 1}, {8, 8, 8, 8}, {169, 254, 169, 254}, {100, 64, 0, 0}} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) != 4 {
			return
		}
		v4 := netip.AddrFrom4([4]byte(b))
		mapped := netip.AddrFrom16(v4.As16())
		if IsPublic(v4) != IsPublic(mapped) {
			t.Fatalf("%s and %s disagree", v4, mapped)
		}
		var nat [16]byte
		copy(nat[:], netip.MustParseAddr("64:ff9b::").AsSlice())
		copy(nat[12:], b)
		if IsPublic(v4) != IsPublic(netip.AddrFrom16(nat)) {
			t.Fatalf("%s and its NAT64 form disagree", v4)
		}
	})
}
