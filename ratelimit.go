package fpr

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Rate limits (SPEC section 7, "Trust and limits"): every write is counted
// per account and per client address in the database, so every instance
// shares the counts, and refused with rate_limited past its limit. The
// table below is the one source of the defaults: the README lists it (a
// test compares them) and FPR_RATE_LIMITS overrides it.

// LimitKind names a counted write.
type LimitKind string

// The counted writes.
const (
	LimitRegister LimitKind = "register" // POST /auth/register, the register form
	LimitProbe    LimitKind = "probe"    // registrations of `fpr probe` accounts (ProbeEmailDomain)
	LimitLogin    LimitKind = "login"    // login attempts, whatever their outcome
	LimitReview   LimitKind = "review"   // new reviews
	LimitEdit     LimitKind = "edit"     // edits of one's own review
	LimitVote     LimitKind = "vote"     // helpful votes set or withdrawn
	LimitFlag     LimitKind = "flag"     // flags
	LimitReply    LimitKind = "reply"    // farm replies, new or edited
	LimitPassword LimitKind = "password" // password changes
	LimitEmail    LimitKind = "email"    // e-mail address changes
	LimitMail     LimitKind = "mail"     // reset and verification mails sent
	// LimitPurchaseCode counts purchase codes that were refused (unknown,
	// used, expired, another product's): guessing codes is throttled.
	LimitPurchaseCode LimitKind = "purchase_code"
	// LimitFarmApplication counts requests to list a farm: each lands in
	// the admins' queue, so one account or address cannot fill it.
	LimitFarmApplication LimitKind = "farm_application"
)

// LimitSubject is what a limit counts by.
type LimitSubject string

// The subjects a limit counts by.
const (
	PerAccount LimitSubject = "account"
	PerAddress LimitSubject = "address"
)

// RateLimit allows Count writes of Kind per Subject within Window. The
// window is fixed: it starts at the first counted write and the count
// starts over once it has passed.
type RateLimit struct {
	Kind    LimitKind
	Subject LimitSubject
	Count   int
	Window  time.Duration
}

// String is the limit as FPR_RATE_LIMITS writes it, e.g. "review.account=10/h".
func (l RateLimit) String() string {
	return fmt.Sprintf("%s.%s=%d/%s", l.Kind, l.Subject, l.Count, formatWindow(l.Window))
}

// RateLimits is a set of limits; nil or empty means none apply.
type RateLimits []RateLimit

// DefaultRateLimits are the limits FPR runs with when FPR_RATE_LIMITS is
// not set. README.md, section "Limits and abuse", lists them.
var DefaultRateLimits = RateLimits{
	{LimitRegister, PerAddress, 5, time.Hour},
	{LimitProbe, PerAddress, 120, time.Hour},
	{LimitLogin, PerAddress, 300, time.Hour},
	{LimitReview, PerAccount, 10, time.Hour},
	{LimitReview, PerAddress, 30, time.Hour},
	{LimitEdit, PerAccount, 30, time.Hour},
	{LimitVote, PerAccount, 60, time.Hour},
	{LimitVote, PerAddress, 300, time.Hour},
	{LimitFlag, PerAccount, 20, 24 * time.Hour},
	{LimitFlag, PerAddress, 60, 24 * time.Hour},
	{LimitReply, PerAccount, 30, time.Hour},
	{LimitPassword, PerAccount, 5, time.Hour},
	{LimitEmail, PerAccount, 5, time.Hour},
	{LimitMail, PerAccount, 3, time.Hour},
	{LimitMail, PerAddress, 3, time.Hour},
	{LimitPurchaseCode, PerAccount, 10, time.Hour},
	{LimitPurchaseCode, PerAddress, 30, time.Hour},
	{LimitFarmApplication, PerAccount, 5, 24 * time.Hour},
	{LimitFarmApplication, PerAddress, 10, 24 * time.Hour},
}

// LimitKinds lists every kind, in the order of DefaultRateLimits.
var LimitKinds = []LimitKind{LimitRegister, LimitProbe, LimitLogin, LimitReview, LimitEdit, LimitVote,
	LimitFlag, LimitReply, LimitPassword, LimitEmail, LimitMail, LimitPurchaseCode, LimitFarmApplication}

// RegistrationLimit is the kind a registration counts under: a probe
// account's (`fpr probe` registers one a minute, at ProbeEmailDomain)
// under LimitProbe, so the monitor does not use up the people's
// LimitRegister; a probe account's content stays out of public lists and
// ratings, and its flags and votes do not count.
func RegistrationLimit(probe bool) LimitKind {
	if probe {
		return LimitProbe
	}
	return LimitRegister
}

// For returns the limits of kind.
func (ls RateLimits) For(kind LimitKind) []RateLimit {
	var out []RateLimit
	for _, l := range ls {
		if l.Kind == kind {
			out = append(out, l)
		}
	}
	return out
}

// LongestWindow is the longest window of ls, or a day when ls is empty:
// counts older than it are of no use.
func (ls RateLimits) LongestWindow() time.Duration {
	longest := 24 * time.Hour
	for _, l := range ls {
		longest = max(longest, l.Window)
	}
	return longest
}

// RateLimitsOff is the FPR_RATE_LIMITS value that disables every limit:
// for load tests only; `fpr check --deploy` refuses it.
const RateLimitsOff = "off"

// ParseRateLimits reads FPR_RATE_LIMITS over the defaults: "" keeps
// DefaultRateLimits; "off" returns no limits; otherwise a comma-separated
// list of KIND=N/WINDOW (every subject of the kind) or
// KIND.SUBJECT=N/WINDOW (one), where WINDOW is s, m, h or d, optionally
// after a number ("15m"). An unknown kind or subject, a count under 1 or a
// bad window is an error naming the entry.
func ParseRateLimits(s string) (RateLimits, error) {
	s = strings.TrimSpace(s)
	if s == RateLimitsOff {
		return RateLimits{}, nil
	}
	out := slices.Clone(DefaultRateLimits)
	if s == "" {
		return out, nil
	}
	for entry := range strings.SplitSeq(s, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		name, value, ok := strings.Cut(entry, "=")
		if !ok {
			return nil, fmt.Errorf("FPR_RATE_LIMITS %q: want KIND=N/WINDOW, e.g. review=10/h", entry)
		}
		kindName, subjectName, hasSubject := strings.Cut(strings.TrimSpace(name), ".")
		kind := LimitKind(kindName)
		if !slices.Contains(LimitKinds, kind) {
			return nil, fmt.Errorf("FPR_RATE_LIMITS %q: unknown kind %q (known: %s)", entry, kindName, joinKinds())
		}
		count, window, err := parseRate(strings.TrimSpace(value))
		if err != nil {
			return nil, fmt.Errorf("FPR_RATE_LIMITS %q: %w", entry, err)
		}
		matched := false
		for i, l := range out {
			if l.Kind == kind && (!hasSubject || string(l.Subject) == subjectName) {
				out[i].Count, out[i].Window = count, window
				matched = true
			}
		}
		if !matched {
			if subjectName != string(PerAccount) && subjectName != string(PerAddress) {
				return nil, fmt.Errorf("FPR_RATE_LIMITS %q: unknown subject %q (want account or address)", entry, subjectName)
			}
			out = append(out, RateLimit{Kind: kind, Subject: LimitSubject(subjectName), Count: count, Window: window})
		}
	}
	return out, nil
}

func joinKinds() string {
	names := make([]string, len(LimitKinds))
	for i, k := range LimitKinds {
		names[i] = string(k)
	}
	return strings.Join(names, ", ")
}

// parseRate reads "N/WINDOW".
func parseRate(v string) (int, time.Duration, error) {
	n, w, ok := strings.Cut(v, "/")
	if !ok {
		return 0, 0, fmt.Errorf("want N/WINDOW such as 10/h")
	}
	count, err := strconv.Atoi(n)
	if err != nil || count < 1 || count > 1_000_000_000 {
		return 0, 0, fmt.Errorf("the count %q must be a whole number from 1", n)
	}
	window, err := parseWindow(w)
	if err != nil {
		return 0, 0, err
	}
	return count, window, nil
}

var windowUnits = map[byte]time.Duration{'s': time.Second, 'm': time.Minute, 'h': time.Hour, 'd': 24 * time.Hour}

// parseWindow reads "h", "d", "15m", "2h".
func parseWindow(w string) (time.Duration, error) {
	bad := fmt.Errorf("the window %q must be s, m, h or d, optionally after a number (15m)", w)
	if w == "" {
		return 0, bad
	}
	unit, ok := windowUnits[w[len(w)-1]]
	if !ok {
		return 0, bad
	}
	mult := 1
	if len(w) > 1 {
		var err error
		if mult, err = strconv.Atoi(w[:len(w)-1]); err != nil || mult < 1 || mult > 366*24*3600 {
			return 0, bad
		}
	}
	d := time.Duration(mult) * unit
	if d > 366*24*time.Hour {
		return 0, fmt.Errorf("the window %q is longer than a year", w)
	}
	return d, nil
}

// formatWindow writes a window as parseWindow reads it.
func formatWindow(d time.Duration) string {
	for _, u := range []struct {
		c byte
		d time.Duration
	}{{'d', 24 * time.Hour}, {'h', time.Hour}, {'m', time.Minute}, {'s', time.Second}} {
		if d%u.d == 0 {
			if d == u.d {
				return string(u.c)
			}
			return strconv.FormatInt(int64(d/u.d), 10) + string(u.c)
		}
	}
	return d.String()
}

// Exceeded reports whether count writes within a window exceed l.
func (l RateLimit) Exceeded(count int) bool { return count > l.Count }

// RateLimitError is the rate_limited error of a refused write that may be
// tried again after retryAfter (rounded up to whole seconds, at least 1).
func RateLimitError(kind LimitKind, retryAfter time.Duration) *Error {
	secs := max(int(math.Ceil(retryAfter.Seconds())), 1)
	return &Error{Code: CodeRateLimited, RetryAfterSeconds: secs,
		Message: fmt.Sprintf("You have done this too often (%s). Please try again in %s.", limitNoun(kind), HumanWait(secs))}
}

func limitNoun(kind LimitKind) string {
	switch kind {
	case LimitRegister:
		return "new accounts"
	case LimitProbe:
		return "new probe accounts"
	case LimitLogin:
		return "sign-in attempts"
	case LimitReview:
		return "new reviews"
	case LimitEdit:
		return "review edits"
	case LimitVote:
		return "helpful votes"
	case LimitFlag:
		return "flags"
	case LimitReply:
		return "replies"
	case LimitPassword:
		return "password changes"
	case LimitEmail:
		return "e-mail changes"
	case LimitMail:
		return "mails sent"
	case LimitPurchaseCode:
		return "purchase codes that did not work"
	case LimitFarmApplication:
		return "farm applications"
	}
	return string(kind)
}

// HumanWait says how long secs seconds are, rounded up: "a minute",
// "5 minutes", "2 hours".
func HumanWait(secs int) string {
	switch {
	case secs <= 60:
		return "a minute"
	case secs < 3600:
		return fmt.Sprintf("%d minutes", (secs+59)/60)
	case secs <= 3600:
		return "an hour"
	default:
		return fmt.Sprintf("%d hours", (secs+3599)/3600)
	}
}
