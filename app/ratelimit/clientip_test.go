package ratelimit

import (
	"net/netip"
	"testing"
)

func TestClientIP(t *testing.T) {
	t.Parallel()
	proxies := Proxies{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("127.0.0.1/32"),
		netip.MustParsePrefix("::1/128")}
	tests := []struct {
		name, peer, xff, cf, want string
	}{
		{"direct client", "203.0.113.9", "", "", "203.0.113.9"},
		{"untrusted peer's headers are ignored", "203.0.113.9", "198.51.100.1", "198.51.100.2", "203.0.113.9"},
		{"trusted proxy, X-Forwarded-For", "10.1.2.3", "198.51.100.1", "", "198.51.100.1"},
		{"rightmost untrusted entry wins over spoofed ones", "127.0.0.1", "1.1.1.1, 198.51.100.1, 10.0.0.5", "", "198.51.100.1"},
		{"CF-Connecting-IP from a trusted proxy", "10.1.2.3", "198.51.100.1", "192.0.2.7", "192.0.2.7"},
		{"garbage in X-Forwarded-For stops the walk", "10.1.2.3", "198.51.100.1, nonsense", "", "10.1.2.3"},
		{"only proxies: the outermost", "10.1.2.3", "10.9.9.9", "", "10.9.9.9"},
		{"IPv4-mapped peer", "::ffff:127.0.0.1", "198.51.100.1", "", "198.51.100.1"},
		{"IPv6 loopback proxy", "::1", "2001:db8::1", "", "2001:db8::1"},
	}
	for _, tt := range tests {
		got := proxies.ClientIP(netip.MustParseAddr(tt.peer), tt.xff, tt.cf)
		if got.String() != tt.want {
			t.Errorf("%s: %s, want %s", tt.name, got, tt.want)
		}
	}
}
