package fpr

import (
	"context"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"
)

// Role is what a user may do. Every new registration is a member.
type Role string

// The roles of SPEC section 2.
const (
	RoleMember    Role = "member"
	RoleProducer  Role = "producer"
	RoleModerator Role = "moderator"
	RoleAdmin     Role = "admin"
)

// Roles lists every role, least powerful first.
var Roles = []Role{RoleMember, RoleProducer, RoleModerator, RoleAdmin}

// Valid reports whether r is one of Roles.
func (r Role) Valid() bool {
	for _, v := range Roles {
		if r == v {
			return true
		}
	}
	return false
}

// User is a registered person.
type User struct {
	ID          string
	Email       string
	DisplayName string
	Role        Role
	// Probe marks accounts made by `fpr probe`; their content is kept out
	// of public lists and statistics.
	Probe     bool
	CreatedAt time.Time
	// MFAEnabled is true once the user has confirmed a TOTP secret.
	MFAEnabled bool
	// StaffPowersWithheld is set on the acting user of a request by a
	// moderator or admin who must set up two-factor first (StaffNeedsMFA):
	// until then IsAdmin and CanModerate are false, so no staff power is
	// used without it, whichever route asks.
	StaffPowersWithheld bool
}

// IsAdmin reports whether u is an admin with their powers. A nil user is
// not.
func (u *User) IsAdmin() bool { return u != nil && u.Role == RoleAdmin && !u.StaffPowersWithheld }

// WithheldStaffPowers returns a copy of u whose staff powers are withheld
// (see StaffPowersWithheld).
func (u *User) WithheldStaffPowers() *User {
	c := *u
	c.StaffPowersWithheld = true
	return &c
}

// Limits on account fields.
const (
	MinPasswordLength    = 10
	MaxPasswordLength    = 256
	MaxDisplayNameLength = 60
	MaxEmailLength       = 254
)

// NormalizeEmail returns the form of an e-mail address used to compare
// addresses: trimmed and lowercased, so "Ann@Example.org" and
// "ann@example.org" are one account.
func NormalizeEmail(email string) string {
	return strings.ToLower(strings.TrimSpace(email))
}

// Registration is what a person submits to create an account.
type Registration struct {
	Email       string
	Password    string
	DisplayName string
	// Probe marks the account as made by the synthetic probe.
	Probe bool
	// ByOperator marks an account an operator creates (`fpr user add`):
	// its display name may be a reserved one ("Admin", "FPR Support"),
	// which no one registering themselves may take.
	ByOperator bool
}

// Validate checks the rules that need no I/O: e-mail syntax, password
// length, display name (ValidateDisplayName), and text hygiene on every
// field (TextProblem). It marks an account at ProbeEmailDomain as a probe.
// Password strength (common or similar passwords) is checked by the
// AuthService, which owns the dictionaries.
func (r *Registration) Validate() error {
	f := FieldErrors{}
	r.Email = strings.TrimSpace(r.Email)
	r.DisplayName = strings.TrimSpace(r.DisplayName)
	r.Probe = r.Probe || IsProbeEmail(r.Email)
	if msg := ValidateEmail(r.Email); msg != "" {
		f.Add("email", msg)
	}
	if msg := ValidatePasswordLength(r.Password); msg != "" {
		f.Add("password", msg)
	}
	if msg := ValidateDisplayName(r.DisplayName); msg != "" && !(r.ByOperator && msg == msgReserved) {
		f.Add("display_name", msg)
	}
	return f.Err()
}

// Validate checks the text of credentials before anything looks them up:
// an e-mail or a password with invalid UTF-8 or a control character is
// validation_failed naming the field. Whether they match an account is the
// AuthService's question.
func (c *Credentials) Validate() error {
	f := FieldErrors{}
	if msg := TextProblem(c.Email, SingleLine); msg != "" {
		f.Add("email", msg)
	}
	if msg := TextProblem(c.Password, SingleLine); msg != "" {
		f.Add("password", msg)
	}
	if msg := TextProblem(c.OTP, SingleLine); msg != "" {
		f.Add("otp", msg)
	}
	return f.Err()
}

// ValidateEmail returns a user-facing message when email is not a plain
// address such as ann@example.org, else "". Only ASCII is accepted, so
// that no two addresses that look alike ("аnn@" with a Cyrillic а,
// full-width letters) can make two accounts: addresses compare by
// NormalizeEmail, which folds ASCII case only. International domains are
// written in their ASCII (xn--) form.
func ValidateEmail(email string) string {
	if email == "" {
		return "Enter your e-mail address."
	}
	if msg := TextProblem(email, SingleLine); msg != "" {
		return msg
	}
	if len(email) > MaxEmailLength {
		return "Use an e-mail address of at most 254 characters."
	}
	for i := 0; i < len(email); i++ {
		if email[i] >= utf8.RuneSelf {
			return "Use an e-mail address of plain ASCII letters, digits and signs (an international domain in its xn-- form)."
		}
	}
	a, err := mail.ParseAddress(email)
	if err != nil || a.Address != email || a.Name != "" {
		return "Enter an e-mail address like ann@example.org."
	}
	at := strings.LastIndexByte(email, '@')
	if at < 1 || !strings.Contains(email[at+1:], ".") {
		return "Enter an e-mail address like ann@example.org."
	}
	return ""
}

// ValidatePasswordLength returns a user-facing message when password is too
// short or too long, else "".
func ValidatePasswordLength(password string) string {
	if msg := TextProblem(password, SingleLine); msg != "" {
		return msg
	}
	switch n := utf8.RuneCountInString(password); {
	case n < MinPasswordLength:
		return "Use at least 10 characters."
	case n > MaxPasswordLength:
		return "Use at most 256 characters."
	}
	return ""
}

// SessionKind tells how a session's token travels.
type SessionKind string

// Session kinds: a bearer token from the API's login, or the web cookie.
const (
	SessionAPI SessionKind = "api"
	SessionWeb SessionKind = "web"
)

// Session is a signed-in period. Token is the secret the client holds; it is
// set only when the session is created (and on the session a request was
// authenticated with), and the database keeps only its hash. ID names the
// session in lists and revocations; it is not a secret.
type Session struct {
	ID         string
	Token      string
	UserID     string
	Kind       SessionKind
	CreatedAt  time.Time
	LastUsedAt time.Time
	ExpiresAt  time.Time
	// UserAgent and Address are the client's when the session opened
	// (ClientFromContext), for the user's list of sessions.
	UserAgent string
	Address   string
}

// Credentials are what a person submits to log in.
type Credentials struct {
	Email    string
	Password string
	// OTP is a current TOTP code or a recovery code, for accounts with
	// two-factor authentication.
	OTP string
	// ClientAddr is the client's IP address, for throttling.
	ClientAddr string
	Kind       SessionKind
}

// AuthService registers people and opens, checks and closes their sessions.
type AuthService interface {
	// Register creates a member account. It returns validation_failed (with
	// fields) for a bad e-mail, a short, common or too-similar password or a
	// bad display name, and conflict when the e-mail is taken, compared
	// case-insensitively.
	Register(ctx context.Context, r Registration) (*User, error)

	// Login checks credentials and opens a session of c.Kind. It returns
	// unauthenticated with one message whether the e-mail or the password
	// was wrong, and rate_limited (with RetryAfterSeconds) after repeated
	// failures for the account or the client address. For an account with
	// two-factor authentication the right password without a valid c.OTP
	// (a TOTP code not used before, or an unused recovery code) is
	// mfa_required; a wrong code counts as a failed login.
	Login(ctx context.Context, c Credentials) (*Session, *User, error)

	// OpenSession opens a new session of kind for the user userID without
	// checking a password: for a person who has just proven who they are
	// (registration, a password change, which closes every session). The
	// token is set on the returned session only.
	OpenSession(ctx context.Context, userID string, kind SessionKind) (*Session, error)

	// Authenticate returns the user of a session token, or unauthenticated
	// when the token is unknown, expired or revoked.
	Authenticate(ctx context.Context, token string) (*User, *Session, error)

	// Logout revokes the session of token. Revoking an unknown token is not
	// an error.
	Logout(ctx context.Context, token string) error

	// ChangePassword checks the acting user's current password, sets the new
	// one (same rules as Register) and revokes every session of the user.
	// validation_failed, unauthenticated.
	ChangePassword(ctx context.Context, current, next string) error

	// FindSessions lists the acting user's live sessions and API tokens,
	// most recently used first, at most MaxSessionsListed. Token is never
	// set. unauthenticated.
	FindSessions(ctx context.Context) ([]*Session, error)

	// RevokeSession ends the acting user's session id. not_found when the
	// user has no live session id (another user's included).
	// unauthenticated.
	RevokeSession(ctx context.Context, id string) error
}

// UserFilter selects users. Nil fields are not filtered on.
type UserFilter struct {
	Query *string // matches e-mail or display name
	Role  *Role
	Page
}

// UserService finds users and manages roles.
type UserService interface {
	// FindUserByID returns a user or not_found.
	FindUserByID(ctx context.Context, id string) (*User, error)

	// FindUserByEmail returns a user by e-mail (case-insensitive) or
	// not_found. For administration and the CLI.
	FindUserByEmail(ctx context.Context, email string) (*User, error)

	// FindUsers lists users, newest first. Admins only (forbidden otherwise).
	FindUsers(ctx context.Context, f UserFilter) ([]*User, string, error)

	// SetUserRole changes a user's role. Admins only; an admin cannot demote
	// themselves (forbidden). validation_failed for an unknown role.
	SetUserRole(ctx context.Context, id string, role Role) (*User, error)
}
