package http

import (
	"net/http"
	"testing"
)

// The header values every response shares hold one value at full
// capacity, so a handler's Header.Add on the same key appends to a copy
// and the next response still carries the value alone.
func TestSharedHeaderValues(t *testing.T) {
	shared := map[string][]string{
		"hsts": securityHeaderValues.hsts, "nosniff": securityHeaderValues.nosniff,
		"referrer": securityHeaderValues.referrer, "deny": securityHeaderValues.deny,
		"csp": securityHeaderValues.csp, "embedCSP": securityHeaderValues.embedCSP, "apiCSP": securityHeaderValues.apiCSP,
		"jsonContentType": jsonContentType, "noCache": noCache,
	}
	for name, v := range shared {
		if len(v) != 1 || cap(v) != 1 || v[0] == "" {
			t.Errorf("%s = %q (cap %d), want one value at full capacity", name, v, cap(v))
		}
		h := http.Header{"X-Test": v}
		was := v[0]
		h.Add("X-Test", "added")
		if v[0] != was || len(h["X-Test"]) != 2 || &h["X-Test"][0] == &v[0] {
			t.Errorf("Header.Add on %s wrote into the shared slice", name)
		}
	}
}
