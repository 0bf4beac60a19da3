package http

import (
	"net/http/httptest"
	"net/netip"
	"testing"
)

func TestServer_ClientAddr(t *testing.T) {
	s := &Server{TrustedProxies: []netip.Prefix{
		netip.MustParsePrefix("10.0.0.0/8"),
		netip.MustParsePrefix("192.0.2.7/32"),
	}}
	for _, tt := range []struct {
		name, remote, xff, want string
	}{
		{"DirectClient", "203.0.113.9:5000", "", "203.0.113.9"},
		{"DirectClientForgesHeader", "203.0.113.9:5000", "198.51.100.1", "203.0.113.9"},
		{"ThroughProxy", "10.1.2.3:5000", "198.51.100.1", "198.51.100.1"},
		{"ThroughTwoProxies", "10.1.2.3:5000", "198.51.100.1, 192.0.2.7", "198.51.100.1"},
		{"ClientPrependsForgery", "10.1.2.3:5000", "1.2.3.4, 198.51.100.1", "198.51.100.1"},
		{"ProxyWithoutHeader", "10.1.2.3:5000", "", "10.1.2.3"},
		{"MalformedHop", "10.1.2.3:5000", "198.51.100.1, bogus", "10.1.2.3"},
		{"IPv6Client", "10.1.2.3:5000", "2001:db8::1", "2001:db8::1"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/api/v1/auth/login", nil)
			r.RemoteAddr = tt.remote
			if tt.xff != "" {
				r.Header.Set("X-Forwarded-For", tt.xff)
			}
			if got := s.clientAddr(r); got != tt.want {
				t.Errorf("clientAddr(remote %s, X-Forwarded-For %q) = %q, want %q", tt.remote, tt.xff, got, tt.want)
			}
		})
	}
}
