package auth

import (
	"context"
	"fmt"
	"strings"

	"github.com/fpr-team/fpr"
)

// The fpr.AccountService half of Service: e-mail verification, password
// reset, account changes, deletion, export and notification switches.
// Passwords are checked here; the store does each change, with its mails,
// in one transaction.

// Rate limits (issue 10): a new verification link counts as a mail
// (fpr.LimitMail) for the account and the client address; a reset request
// counts as a mail for the client address and, silently, for the account
// (store.RequestPasswordReset); an e-mail change counts as fpr.LimitEmail.
// The store counts each in the transaction of its write and records
// e-mail changes, resets and deletions in the audit log there too.

// VerifyEmail implements fpr.AccountService.
func (s *Service) VerifyEmail(ctx context.Context, token string) error {
	if token == "" || len(token) > fpr.MaxTokenLength {
		return fpr.ErrBadToken
	}
	return s.DB.VerifyEmail(ctx, fpr.TokenHash(token))
}

// ResendVerification implements fpr.AccountService.
func (s *Service) ResendVerification(ctx context.Context) error {
	u, err := fpr.RequireUser(ctx)
	if err != nil {
		return err
	}
	return s.DB.SendVerification(ctx, u.ID)
}

// RequestPasswordReset implements fpr.AccountService. Both answers (an
// account or none) run the same transaction (see
// store.DB.RequestPasswordReset) and compute one token, so neither the
// answer nor its time tells whether the address has an account.
func (s *Service) RequestPasswordReset(ctx context.Context, email string) error {
	email = strings.TrimSpace(email)
	if msg := fpr.ValidateEmail(email); msg != "" {
		return &fpr.Error{Code: fpr.CodeValidationFailed, Message: "Some fields need another look.",
			Fields: map[string]string{"email": msg}}
	}
	token, hash := fpr.NewToken()
	return s.DB.RequestPasswordReset(ctx, email, token, hash)
}

// ResetPassword implements fpr.AccountService.
func (s *Service) ResetPassword(ctx context.Context, token, password string) error {
	if token == "" || len(token) > fpr.MaxTokenLength {
		return fpr.ErrBadToken
	}
	hash := fpr.TokenHash(token)
	u, err := s.DB.FindResetTokenUser(ctx, hash)
	if err != nil {
		return err
	}
	if msg := checkPassword(password, u.Email, u.DisplayName); msg != "" {
		return &fpr.Error{Code: fpr.CodeValidationFailed, Message: "Choose another password.",
			Fields: map[string]string{"password": msg}}
	}
	h, err := s.hash(ctx, password)
	if err != nil {
		return err
	}
	_, err = s.DB.ResetPassword(ctx, hash, h)
	return err
}

// msgCurrentPasswordMissing is a message for the user, not a credential.
const msgCurrentPasswordMissing = "Enter your current password." //nolint:gosec // G101: a form message, not a secret

// checkCurrentPassword checks the acting user's current password, as
// ChangePassword does: a wrong one is validation_failed on
// current_password and counts as a failed login for the account, so a
// stolen session cannot be used to guess the password.
func (s *Service) checkCurrentPassword(ctx context.Context, actor *fpr.User, password string) error {
	pair, address := s.throttleKeys(actor.Email, fpr.ClientAddrFromContext(ctx))
	if err := s.checkThrottle(ctx, pair, address); err != nil {
		return err
	}
	if password == "" {
		return &fpr.Error{Code: fpr.CodeValidationFailed, Message: "Enter your current password to confirm.",
			Fields: map[string]string{"current_password": msgCurrentPasswordMissing}}
	}
	_, encoded, err := s.DB.FindUserCredentials(ctx, actor.Email)
	if fpr.ErrorCode(err) == fpr.CodeNotFound {
		return errNoSession // the account is gone
	}
	if err != nil {
		return err
	}
	if len(password) > 4*fpr.MaxPasswordLength {
		password = "" // never matches; no hash of a megabyte
	}
	ok, _, err := s.verify(ctx, password, encoded)
	if err != nil {
		return err
	}
	if !ok {
		if _, err := s.DB.RecordLoginFailure(ctx, pair, s.ThrottleWindow); err != nil {
			return err
		}
		return &fpr.Error{Code: fpr.CodeValidationFailed, Message: "Your current password is not right.",
			Fields: map[string]string{"current_password": msgPasswordWrong}}
	}
	return nil
}

// UpdateAccount implements fpr.AccountService.
func (s *Service) UpdateAccount(ctx context.Context, upd fpr.AccountUpdate) (*fpr.User, error) {
	actor, err := fpr.RequireUser(ctx)
	if err != nil {
		return nil, err
	}
	fields := fpr.FieldErrors{}
	var name, email string
	if upd.DisplayName != nil {
		name = strings.TrimSpace(*upd.DisplayName)
		if msg := fpr.ValidateDisplayName(name); msg != "" {
			fields.Add("display_name", msg)
		}
	}
	if upd.Email != nil {
		email = strings.TrimSpace(*upd.Email)
		if msg := fpr.ValidateEmail(email); msg != "" {
			fields.Add("email", msg)
		}
	}
	if err := fields.Err(); err != nil {
		return nil, err
	}
	if upd.Email != nil {
		if err := s.checkCurrentPassword(ctx, actor, upd.CurrentPassword); err != nil {
			return nil, err
		}
		if err := s.DB.RequestEmailChange(ctx, actor.ID, email); err != nil {
			return nil, err
		}
	}
	if upd.DisplayName != nil && name != actor.DisplayName {
		if err := s.DB.SetDisplayName(ctx, actor.ID, name); err != nil {
			return nil, err
		}
	}
	u, err := s.DB.FindUserByID(ctx, actor.ID)
	if err != nil {
		return nil, fmt.Errorf("update account: %w", err)
	}
	return u, nil
}

// DeleteAccount implements fpr.AccountService.
func (s *Service) DeleteAccount(ctx context.Context, currentPassword string) error {
	actor, err := fpr.RequireUser(ctx)
	if err != nil {
		return err
	}
	if err := s.checkCurrentPassword(ctx, actor, currentPassword); err != nil {
		return err
	}
	return s.DB.DeleteAccount(ctx, actor.ID)
}

// ExportAccount implements fpr.AccountService.
func (s *Service) ExportAccount(ctx context.Context) (*fpr.AccountExport, error) {
	actor, err := fpr.RequireUser(ctx)
	if err != nil {
		return nil, err
	}
	return s.DB.ExportAccount(ctx, actor.ID)
}

// NotificationSettings implements fpr.AccountService.
func (s *Service) NotificationSettings(ctx context.Context) ([]fpr.NotificationSetting, error) {
	actor, err := fpr.RequireUser(ctx)
	if err != nil {
		return nil, err
	}
	return s.DB.NotificationSettings(ctx, actor.ID)
}

// SetNotifications implements fpr.AccountService.
func (s *Service) SetNotifications(ctx context.Context, settings []fpr.NotificationSetting) error {
	actor, err := fpr.RequireUser(ctx)
	if err != nil {
		return err
	}
	return s.DB.SetNotifications(ctx, actor.ID, settings)
}

// Unsubscribe implements fpr.AccountService.
func (s *Service) Unsubscribe(ctx context.Context, token string) (fpr.Topic, error) {
	if token == "" || len(token) > fpr.MaxTokenLength {
		return "", fpr.ErrBadToken
	}
	return s.DB.Unsubscribe(ctx, fpr.TokenHash(token))
}

// Static check that Service implements the interface.
var _ fpr.AccountService = (*Service)(nil)
