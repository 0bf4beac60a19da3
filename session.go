package fpr

import (
	"strings"
	"time"
	"unicode/utf8"
)

// Session lifetimes (SPEC section 7): a web session ends
// WebSessionIdleTTL after its last use and at most WebSessionMaxAge after
// its login; an API token lives APITokenTTL from its login.
const (
	WebSessionIdleTTL = 14 * 24 * time.Hour
	WebSessionMaxAge  = 30 * 24 * time.Hour
	APITokenTTL       = 30 * 24 * time.Hour
	// SessionTouchInterval is how stale a session's last use may be
	// before a request records it again: one write per session per
	// interval, not one per request.
	SessionTouchInterval = 5 * time.Minute
	// MaxUserAgentLength bounds the user agent kept with a session.
	MaxUserAgentLength = 256
	// MaxSessionsListed bounds the sessions a list shows: the most
	// recently used.
	MaxSessionsListed = 200
)

// SessionExpiry returns when a session of kind, created at created and
// last used at lastUsed, ends: for a web session the earlier of
// lastUsed + WebSessionIdleTTL and created + WebSessionMaxAge (so use
// extends it, but never past its absolute end); for an API token
// created + APITokenTTL.
func SessionExpiry(kind SessionKind, created, lastUsed time.Time) time.Time {
	if kind != SessionWeb {
		return created.Add(APITokenTTL)
	}
	idle, absolute := lastUsed.Add(WebSessionIdleTTL), created.Add(WebSessionMaxAge)
	if idle.Before(absolute) {
		return idle
	}
	return absolute
}

// SessionLive reports whether s is still valid at now: before its stored
// expiry and, for a web session, within WebSessionMaxAge of its login,
// whatever its stored expiry says (sessions extended before the absolute
// rule existed end too).
func SessionLive(s *Session, now time.Time) bool {
	if !now.Before(s.ExpiresAt) {
		return false
	}
	return s.Kind != SessionWeb || now.Before(s.CreatedAt.Add(WebSessionMaxAge))
}

// CleanUserAgent makes a client's User-Agent header safe to store and
// show: invalid UTF-8, control and invisible characters dropped, at most
// MaxUserAgentLength characters.
func CleanUserAgent(ua string) string {
	if userAgentClean(ua) {
		return strings.TrimSpace(ua) // what the loop below would build, without the copy
	}
	ua = strings.ToValidUTF8(ua, "")
	var b strings.Builder
	n := 0
	for _, r := range ua {
		if isControl(r) || Invisible(r) {
			continue
		}
		if n == MaxUserAgentLength {
			break
		}
		b.WriteRune(r)
		n++
	}
	return strings.TrimSpace(b.String())
}

// userAgentClean reports whether CleanUserAgent would keep every
// character of ua: valid UTF-8, no control or invisible character, at
// most MaxUserAgentLength characters. It is true of what browsers send,
// so the HTTP layer, which cleans the user agent of every request, copies
// nothing.
func userAgentClean(ua string) bool {
	if !utf8.ValidString(ua) {
		return false
	}
	n := 0
	for _, r := range ua {
		if isControl(r) || Invisible(r) || n == MaxUserAgentLength {
			return false
		}
		n++
	}
	return true
}

// ValidSessionID reports whether id could name a session (NewID's
// alphabet and length), so a bad one is not_found without a query.
func ValidSessionID(id string) bool {
	if len(id) != 26 || !utf8.ValidString(id) {
		return false
	}
	for _, c := range id {
		if !strings.ContainsRune("0123456789abcdefghjkmnpqrstvwxyz", c) {
			return false
		}
	}
	return true
}
