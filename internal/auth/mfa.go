package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/fpr-team/fpr"
	"github.com/fpr-team/fpr/internal/store"
)

// Two-factor authentication (fpr.MFAService): TOTP secrets made and checked
// with github.com/pquerna/otp (RFC 6238: six digits, 30 s, SHA-1, one step
// of skew), recovery codes of 80 random bits stored as SHA-256 hashes (a
// fast hash is right for random codes, as for session tokens).

var (
	msgCodeWrong      = "That code is not right, or it has been used already. Enter the current code from your app."
	msgCodeWrongOrRec = "That code is not right, or it has been used already. Enter the current code from your app or an unused recovery code."
)

// totpOpts are the parameters of every code.
var totpOpts = totp.ValidateOpts{
	Period:    uint(fpr.TOTPPeriod.Seconds()),
	Skew:      0, // the candidate steps are walked one by one (fpr.TOTPCandidateSteps)
	Digits:    otp.DigitsSix,
	Algorithm: otp.AlgorithmSHA1,
}

// TOTPCode returns the code of secret at time t. Tests and the probe use
// it to act as an authenticator app.
func TOTPCode(secret string, t time.Time) (string, error) {
	return totp.GenerateCodeCustom(secret, fpr.TOTPStepTime(fpr.TOTPStep(t)), totpOpts)
}

// MFAStatus implements fpr.MFAService.
func (s *Service) MFAStatus(ctx context.Context) (*fpr.MFAStatus, error) {
	u, err := fpr.RequireUser(ctx)
	if err != nil {
		return nil, err
	}
	st, err := s.DB.FindTOTP(ctx, u.ID)
	switch {
	case fpr.ErrorCode(err) == fpr.CodeNotFound:
		return &fpr.MFAStatus{}, nil
	case err != nil:
		return nil, err
	}
	out := &fpr.MFAStatus{Enabled: st.Confirmed}
	if !st.Confirmed {
		setup, err := s.setupOf(u, st.Secret)
		if err != nil {
			return nil, err
		}
		out.Pending = setup
		return out, nil
	}
	out.RecoveryCodesLeft, err = s.DB.CountRecoveryCodes(ctx, u.ID)
	return out, err
}

// setupOf builds the otpauth:// URL of secret for u.
func (s *Service) setupOf(u *fpr.User, secret string) (*fpr.TOTPSetup, error) {
	raw, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(secret)
	if err != nil {
		return nil, fmt.Errorf("totp secret of %s is not base32: %w", u.ID, err)
	}
	key, err := totp.Generate(totp.GenerateOpts{
		Issuer: fpr.TOTPIssuer, AccountName: u.Email, Secret: raw,
		Period: totpOpts.Period, Digits: totpOpts.Digits, Algorithm: totpOpts.Algorithm,
	})
	if err != nil {
		return nil, fmt.Errorf("totp url: %w", err)
	}
	return &fpr.TOTPSetup{Secret: key.Secret(), URL: key.URL()}, nil
}

// BeginTOTP implements fpr.MFAService.
func (s *Service) BeginTOTP(ctx context.Context) (*fpr.TOTPSetup, error) {
	u, err := fpr.RequireUser(ctx)
	if err != nil {
		return nil, err
	}
	raw := make([]byte, 20) // 160 bits, as RFC 4226 recommends
	_, _ = rand.Read(raw)   // crypto/rand.Read never returns an error.
	setup, err := s.setupOf(u, base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(raw))
	if err != nil {
		return nil, err
	}
	if err := s.DB.SetPendingTOTP(ctx, u.ID, setup.Secret); err != nil {
		return nil, err
	}
	return setup, nil
}

// ConfirmTOTP implements fpr.MFAService. A wrong code counts as a failed
// login for the account, so a stolen session cannot guess at leisure.
func (s *Service) ConfirmTOTP(ctx context.Context, code string) ([]string, error) {
	u, err := fpr.RequireUser(ctx)
	if err != nil {
		return nil, err
	}
	pair, address := s.throttleKeys(u.Email, fpr.ClientAddrFromContext(ctx))
	if err := s.checkThrottle(ctx, pair, address); err != nil {
		return nil, err
	}
	st, err := s.DB.FindTOTP(ctx, u.ID)
	switch {
	case fpr.ErrorCode(err) == fpr.CodeNotFound:
		return nil, fpr.Errorf(fpr.CodeConflict, "Start the two-factor setup first.")
	case err != nil:
		return nil, err
	case st.Confirmed:
		return nil, fpr.Errorf(fpr.CodeConflict, "Two-factor authentication is already on.")
	}
	c, kind := fpr.ParseOTP(code)
	step, ok := int64(0), false
	if kind == fpr.OTPTOTP {
		step, ok = matchTOTP(st.Secret, c, s.DB.Now(), st.LastStep)
	}
	if !ok {
		return nil, s.codeFailed(ctx, pair, fpr.FieldErrors{"code": msgCodeWrong})
	}
	codes, hashes := newRecoveryCodes()
	if err := s.DB.ConfirmTOTP(ctx, u.ID, st.Secret, step, hashes); err != nil {
		return nil, err
	}
	return codes, nil
}

// DisableTOTP implements fpr.MFAService. Both the code and the password are
// checked before either is answered, and a wrong one counts as a failed
// login for the account.
func (s *Service) DisableTOTP(ctx context.Context, code, currentPassword string) error {
	actor, err := fpr.RequireUser(ctx)
	if err != nil {
		return err
	}
	pair, address := s.throttleKeys(actor.Email, fpr.ClientAddrFromContext(ctx))
	if err := s.checkThrottle(ctx, pair, address); err != nil {
		return err
	}
	u, encoded, err := s.DB.FindUserCredentials(ctx, actor.Email)
	if fpr.ErrorCode(err) == fpr.CodeNotFound {
		return errNoSession
	}
	if err != nil {
		return fmt.Errorf("disable totp: %w", err)
	}
	if !u.MFAEnabled {
		return fpr.Errorf(fpr.CodeConflict, "Two-factor authentication is not on.")
	}
	fields := fpr.FieldErrors{}
	ok, _, err := s.verify(ctx, currentPassword, encoded)
	if err != nil {
		return fmt.Errorf("disable totp: %w", err)
	}
	if !ok {
		fields.Add("current_password", msgPasswordWrong)
	}
	// The code is spent only when the password is right, so a wrong
	// password does not burn a recovery code.
	if len(fields) == 0 {
		ok, err := s.useOTP(ctx, u.ID, code)
		if err != nil {
			return err
		}
		if !ok {
			fields.Add("code", msgCodeWrongOrRec)
		}
	} else if _, kind := fpr.ParseOTP(code); kind == fpr.OTPInvalid {
		fields.Add("code", msgCodeWrongOrRec)
	}
	if len(fields) > 0 {
		return s.codeFailed(ctx, pair, fields)
	}
	return s.DB.DisableTOTP(ctx, u.ID)
}

// codeFailed counts a failed login against the pair (the account from
// this address) and returns fields as a validation failure.
func (s *Service) codeFailed(ctx context.Context, pair store.LoginThrottleKey, fields fpr.FieldErrors) error {
	if _, err := s.DB.RecordLoginFailure(ctx, pair, s.ThrottleWindow); err != nil {
		return err
	}
	return fields.Err()
}

// useOTP accepts code for userID's confirmed secret once: a TOTP code of a
// step later than the last accepted, or an unused recovery code. It
// reports whether the code was accepted (and is now spent).
func (s *Service) useOTP(ctx context.Context, userID, code string) (bool, error) {
	c, kind := fpr.ParseOTP(code)
	switch kind {
	case fpr.OTPTOTP:
		st, err := s.DB.FindTOTP(ctx, userID)
		if fpr.ErrorCode(err) == fpr.CodeNotFound {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		if !st.Confirmed {
			return false, nil
		}
		step, ok := matchTOTP(st.Secret, c, s.DB.Now(), st.LastStep)
		if !ok {
			return false, nil
		}
		return s.DB.UseTOTPStep(ctx, userID, step)
	case fpr.OTPRecovery:
		return s.DB.UseRecoveryCode(ctx, userID, recoveryCodeHash(c))
	}
	return false, nil
}

// matchTOTP returns the step among fpr.TOTPCandidateSteps(now) whose code
// is code and that fpr.TOTPStepUsable after lastStep.
func matchTOTP(secret, code string, now time.Time, lastStep int64) (int64, bool) {
	for _, step := range fpr.TOTPCandidateSteps(now) {
		if !fpr.TOTPStepUsable(step, lastStep) {
			continue
		}
		want, err := totp.GenerateCodeCustom(secret, fpr.TOTPStepTime(step), totpOpts)
		if err != nil {
			return 0, false
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			return step, true
		}
	}
	return 0, false
}

// newRecoveryCodes returns fpr.RecoveryCodeCount new recovery codes, as
// shown to the user, and their hashes.
func newRecoveryCodes() (codes, hashes []string) {
	enc := base32.StdEncoding.WithPadding(base32.NoPadding)
	for range fpr.RecoveryCodeCount {
		var b [10]byte // 80 bits: 16 base32 characters
		_, _ = rand.Read(b[:])
		c := strings.ToLower(enc.EncodeToString(b[:]))
		codes = append(codes, fpr.FormatRecoveryCode(c))
		hashes = append(hashes, recoveryCodeHash(c))
	}
	return codes, hashes
}

// recoveryCodeHash is what the database keeps of a canonical recovery code.
func recoveryCodeHash(code string) string {
	sum := sha256.Sum256([]byte("fpr-recovery:" + code))
	return hex.EncodeToString(sum[:])
}

// Static check that Service implements the interface.
var _ fpr.MFAService = (*Service)(nil)
