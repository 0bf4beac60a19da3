package fpr

import (
	"context"
	"strings"
	"time"
)

// Two-factor authentication (SPEC section 7): a TOTP (RFC 6238) secret the
// user confirms with a code from their app, ten single-use recovery codes,
// and the rule that staff need it. The rules here need no I/O; the
// AuthService computes codes and the store keeps the secret, the last used
// time step and the hashes of the recovery codes.

// The TOTP parameters every authenticator app understands: six digits,
// 30-second steps, HMAC-SHA1. TOTPSkew steps either side of now are
// accepted, for clocks a little off.
const (
	TOTPDigits = 6
	TOTPPeriod = 30 * time.Second
	TOTPSkew   = 1
	// TOTPIssuer names FPR in the authenticator app.
	TOTPIssuer = "FPR"
)

// RecoveryCodeCount is how many recovery codes confirming two-factor
// gives; each works once.
const RecoveryCodeCount = 10

// RecoveryCodeLength is the number of base32 characters of a recovery
// code (80 random bits), shown in groups of four: "abcd-efgh-ijkl-mnop".
const RecoveryCodeLength = 16

// MaxOTPLength bounds what is worth reading as a code: a recovery code
// with its hyphens and some spaces.
const MaxOTPLength = 40

// TOTPStep returns the RFC 6238 time step of t.
func TOTPStep(t time.Time) int64 { return t.Unix() / int64(TOTPPeriod/time.Second) }

// TOTPStepTime returns the start of step, the time whose code is step's.
func TOTPStepTime(step int64) time.Time {
	return time.Unix(step*int64(TOTPPeriod/time.Second), 0).UTC()
}

// TOTPCandidateSteps returns the steps whose codes are accepted at now,
// oldest first: TOTPSkew steps either side of the current one.
func TOTPCandidateSteps(now time.Time) []int64 {
	cur := TOTPStep(now)
	out := make([]int64, 0, 2*TOTPSkew+1)
	for s := cur - TOTPSkew; s <= cur+TOTPSkew; s++ {
		out = append(out, s)
	}
	return out
}

// TOTPStepUsable reports whether a code of step may be accepted when the
// user's last accepted code was of lastUsed: only a later step, so a code
// is accepted once, and so is any code older than the last one used.
func TOTPStepUsable(step, lastUsed int64) bool { return step > lastUsed }

// OTPKind tells what a submitted code looks like.
type OTPKind int

// The kinds of code.
const (
	OTPInvalid  OTPKind = iota // neither
	OTPTOTP                    // six digits from the app
	OTPRecovery                // a recovery code
)

// ParseOTP reads a submitted code: spaces and hyphens are ignored and
// letters lowercased, so "123 456" and "ABCD-EFGH-IJKL-MNOP" are read as
// typed. It returns the code in its canonical form and its kind.
func ParseOTP(s string) (string, OTPKind) {
	if len(s) > MaxOTPLength {
		return "", OTPInvalid
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == ' ' || r == '-' || r == '\t':
		case r >= '0' && r <= '9', r >= 'a' && r <= 'z':
			b.WriteRune(r)
		case r >= 'A' && r <= 'Z':
			b.WriteRune(r - 'A' + 'a')
		default:
			return "", OTPInvalid
		}
	}
	code := b.String()
	switch {
	case len(code) == TOTPDigits && strings.Trim(code, "0123456789") == "":
		return code, OTPTOTP
	case len(code) == RecoveryCodeLength && strings.Trim(code, "abcdefghijklmnopqrstuvwxyz234567") == "":
		return code, OTPRecovery
	}
	return "", OTPInvalid
}

// FormatRecoveryCode shows a canonical recovery code in groups of four.
func FormatRecoveryCode(code string) string {
	var b strings.Builder
	for i, r := range code {
		if i > 0 && i%4 == 0 {
			b.WriteByte('-')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// StaffMFA is the FPR_STAFF_MFA setting: whether moderators and admins
// must have two-factor authentication to use their powers.
type StaffMFA string

// The settings of FPR_STAFF_MFA.
const (
	StaffMFARequired StaffMFA = "required"
	StaffMFAOptional StaffMFA = "optional"
)

// Valid reports whether m is required or optional.
func (m StaffMFA) Valid() bool { return m == StaffMFARequired || m == StaffMFAOptional }

// DefaultStaffMFA is FPR_STAFF_MFA when it is not set: required in
// production, optional elsewhere (so `fpr serve --demo` prints an admin
// login that works at once).
func DefaultStaffMFA(env string) StaffMFA {
	if env == "production" {
		return StaffMFARequired
	}
	return StaffMFAOptional
}

// IsStaff reports whether u's role is moderator or admin, whatever its
// two-factor state.
func IsStaff(u *User) bool {
	return u != nil && (u.Role == RoleModerator || u.Role == RoleAdmin)
}

// CanSeeMFAStatus reports whether viewer may see whether u has two-factor
// authentication on: u themselves and admins.
func CanSeeMFAStatus(viewer, u *User) bool { return CanSeeEmail(viewer, u) }

// StaffNeedsMFA reports whether u is a moderator or admin who must set up
// two-factor authentication before using their powers under setting m.
func StaffNeedsMFA(m StaffMFA, u *User) bool {
	return m == StaffMFARequired && IsStaff(u) && !u.MFAEnabled
}

// ErrStaffNeedsMFA is the answer to a staff request from a moderator or
// admin who has not set up two-factor authentication when it is required.
var ErrStaffNeedsMFA = Errorf(CodeForbidden,
	"Moderators and admins need two-factor authentication: set it up on your account page first.")

// ErrMFARequired is the answer to a login with the right password for an
// account with two-factor authentication but without a valid code.
var ErrMFARequired = Errorf(CodeMFARequired,
	"Enter the 6-digit code from your authenticator app, or one of your recovery codes.")

// TOTPSetup is a new TOTP secret waiting to be confirmed: the base32
// secret for typing into an app and the otpauth:// URL of the QR code.
type TOTPSetup struct {
	Secret string
	URL    string
}

// MFAStatus is a user's two-factor state, for the account page.
type MFAStatus struct {
	Enabled bool
	// Pending is the setup waiting for a confirming code, if any.
	Pending *TOTPSetup
	// RecoveryCodesLeft counts the unused recovery codes.
	RecoveryCodesLeft int
}

// MFAService manages the acting user's two-factor authentication. Every
// method needs a signed-in user (unauthenticated otherwise).
type MFAService interface {
	// MFAStatus returns the acting user's two-factor state.
	MFAStatus(ctx context.Context) (*MFAStatus, error)

	// BeginTOTP makes a new TOTP secret for the acting user, replacing any
	// unconfirmed one. It is not in force until ConfirmTOTP. conflict when
	// two-factor is already on.
	BeginTOTP(ctx context.Context) (*TOTPSetup, error)

	// ConfirmTOTP turns two-factor on when code is the current code of the
	// pending secret, and returns the RecoveryCodeCount recovery codes,
	// shown this once (the store keeps their hashes). validation_failed on
	// "code" for a wrong code; conflict when there is nothing to confirm.
	ConfirmTOTP(ctx context.Context, code string) ([]string, error)

	// DisableTOTP turns two-factor off. It needs a current TOTP code or an
	// unused recovery code, and the password: validation_failed on "code"
	// or "current_password" for a wrong one; conflict when it is off.
	DisableTOTP(ctx context.Context, code, currentPassword string) error
}
