package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/fpr-team/fpr"
)

// Accounts: e-mail verification and change, password reset, deletion,
// export and notification switches. The rules (token lifetimes, who is
// held until verified) are in package fpr; internal/auth checks passwords
// and calls these methods. Every token is stored as its fpr.TokenHash;
// the token itself travels only in the mail.

// mailVerification stores a new verification token for userID confirming
// email, and puts the mail carrying its link in the outbox, in tx.
func (tx *Tx) mailVerification(ctx context.Context, userID, email, displayName string) error {
	token, hash := fpr.NewToken()
	if _, err := tx.ExecContext(ctx, `INSERT INTO email_tokens (token_hash, user_id, purpose, email, created_at, expires_at)
		VALUES ($1, $2, 'verify', $3, $4, $5)`,
		hash, userID, email, micros(tx.now), micros(tx.now.Add(fpr.VerifyTokenTTL))); err != nil {
		return fmt.Errorf("store verification token: %w", err)
	}
	return tx.enqueueMail(ctx, &fpr.Mail{Kind: fpr.MailVerifyEmail, To: email, UserID: userID,
		Data: map[string]string{"token": token, "display_name": displayName}})
}

// SendVerification mails userID a new verification link for their
// current e-mail, counting a mail (fpr.LimitMail) for the account and the
// client address. validation_failed when it is already verified;
// rate_limited.
func (db *DB) SendVerification(ctx context.Context, userID string) error {
	err := db.inTx(ctx, true, func(tx *Tx) error {
		var email, name string
		var verified, deleted int64
		err := tx.QueryRowContext(ctx, `SELECT email, display_name, email_verified_at, deleted_at FROM users WHERE id = $1`, userID).
			Scan(&email, &name, &verified, &deleted)
		if errors.Is(err, sql.ErrNoRows) || deleted != 0 {
			return notFound("user")
		}
		if err != nil {
			return err
		}
		if verified != 0 {
			return &fpr.Error{Code: fpr.CodeValidationFailed, Message: "Your e-mail address is already verified.",
				Fields: map[string]string{"email": "Already verified."}}
		}
		if err := tx.rateLimit(ctx, fpr.LimitMail, userID); err != nil {
			return err
		}
		return tx.mailVerification(ctx, userID, email, name)
	})
	if err != nil {
		return fmt.Errorf("send verification: %w", err)
	}
	return nil
}

// consumeToken marks the unused, unexpired token of purpose stored under
// hash as used and returns its user and address. fpr.ErrBadToken
// otherwise; of two concurrent uses, one wins.
func (tx *Tx) consumeToken(ctx context.Context, hash, purpose string) (userID, email string, err error) {
	err = tx.QueryRowContext(ctx, `UPDATE email_tokens SET used_at = $1
		WHERE token_hash = $2 AND purpose = $3 AND used_at = 0 AND expires_at > $1
		RETURNING user_id, email`, micros(tx.now), hash, purpose).Scan(&userID, &email)
	if errors.Is(err, sql.ErrNoRows) {
		return "", "", fpr.ErrBadToken
	}
	return userID, email, err
}

// VerifyEmail consumes the verification token stored under hash: the
// address it confirms becomes the user's verified e-mail (replacing the
// old one after a change), other verification tokens of the user are
// spent, and reviews held until verification take
// fpr.ReviewStatusOnVerified, with their products' rating summaries, in
// the same transaction. fpr.ErrBadToken; conflict when the new address
// was taken meanwhile.
func (db *DB) VerifyEmail(ctx context.Context, hash string) error {
	err := db.inTx(ctx, true, func(tx *Tx) error {
		userID, email, err := tx.consumeToken(ctx, hash, "verify")
		if err != nil {
			return err
		}
		var oldKey string
		if err := tx.QueryRowContext(ctx, `SELECT email_key FROM users WHERE id = $1`, userID).Scan(&oldKey); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE users SET email = $1, email_key = $2,
				email_verified_at = CASE WHEN email_verified_at = 0 OR email_key <> $2 THEN $3 ELSE email_verified_at END
			WHERE id = $4 AND deleted_at = 0`,
			email, fpr.NormalizeEmail(email), micros(tx.now), userID)
		if err != nil {
			if fpr.ErrorCode(db.dialect.translate(err)) == fpr.CodeConflict {
				return &fpr.Error{Code: fpr.CodeConflict, Message: "Another account has taken this e-mail address meanwhile.",
					Fields: map[string]string{"email": "This e-mail address is already registered."}}
			}
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return fpr.ErrBadToken
		}
		if _, err := tx.ExecContext(ctx, `UPDATE email_tokens SET used_at = $1 WHERE user_id = $2 AND purpose = 'verify' AND used_at = 0`,
			micros(tx.now), userID); err != nil {
			return err
		}
		if oldKey != fpr.NormalizeEmail(email) {
			if err := tx.AuditAs(ctx, userID, fpr.AuditEmailChange, fpr.AuditTarget("user", userID),
				map[string]string{"stage": "confirmed"}); err != nil {
				return err
			}
		}
		return tx.releaseHeldReviews(ctx, userID)
	})
	if err != nil {
		return fmt.Errorf("verify email: %w", err)
	}
	return nil
}

// releaseHeldReviews gives the reviews of userID held until verification
// their status under the moderation mode, moving them into the rating
// summaries, and clears the hold.
func (tx *Tx) releaseHeldReviews(ctx context.Context, userID string) error {
	var ids []string
	if err := tx.queryEach(ctx, `SELECT id FROM reviews WHERE author_id = $1 AND held_unverified = TRUE ORDER BY id`, []any{userID},
		func(row interface{ Scan(...any) error }) error {
			var id string
			err := row.Scan(&id)
			ids = append(ids, id)
			return err
		}); err != nil {
		return err
	}
	status := fpr.ReviewStatusOnVerified(tx.db.Moderation)
	for _, id := range ids {
		r, err := tx.lockReview(ctx, id)
		if err != nil {
			return err
		}
		if r.Status == fpr.StatusPending {
			if err := tx.setReviewStatus(ctx, r, status); err != nil {
				return err
			}
			if err := tx.notifyReviewReceived(ctx, r); err != nil {
				return err
			}
		}
	}
	_, err := tx.ExecContext(ctx, `UPDATE reviews SET held_unverified = FALSE WHERE author_id = $1 AND held_unverified = TRUE`, userID)
	return err
}

// RequestPasswordReset stores a reset token under hash for the account of
// email and puts the reset mail carrying token in the outbox, in one
// transaction. For an e-mail without an account the same statements run
// and insert nothing, and both update the request counter, so both take
// the same work, a committed write included. It counts a mail
// (fpr.LimitMail) for the client address (rate_limited past it) and for
// the account, if any, past whose limit no mail is written and the answer
// is the same.
func (db *DB) RequestPasswordReset(ctx context.Context, email, token, hash string) error {
	key := fpr.NormalizeEmail(email)
	data := `{"token":"` + token + `"}` // token is URL-safe base64: no JSON escaping needed
	err := db.inTx(ctx, true, func(tx *Tx) error {
		// A write on both paths: a transaction that changes nothing
		// commits without a sync and would answer an unknown address
		// sooner.
		if _, err := tx.ExecContext(ctx, `UPDATE password_reset_requests SET total = total + 1 WHERE id = 1`); err != nil {
			return err
		}
		// The client address's mail limit answers 429 whoever the address
		// is; the account's is silent (no mail, the same 202), or its 429
		// would tell that the account exists.
		if err := tx.rateLimit(ctx, fpr.LimitMail, ""); err != nil {
			return err
		}
		var accountID string
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), '') FROM users WHERE email_key = $1 AND deleted_at = 0`, key).
			Scan(&accountID); err != nil {
			return err
		}
		if accountID != "" {
			err := tx.rateLimit(fpr.NewContextWithClient(ctx, fpr.Client{}), fpr.LimitMail, accountID)
			if fpr.ErrorCode(err) == fpr.CodeRateLimited {
				return nil // counted; no mail
			}
			if err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO email_tokens (token_hash, user_id, purpose, email, created_at, expires_at)
			SELECT CAST($1 AS TEXT), id, 'reset', email, CAST($2 AS BIGINT), CAST($3 AS BIGINT) FROM users WHERE email_key = $4 AND deleted_at = 0`,
			hash, micros(tx.now), micros(tx.now.Add(fpr.ResetTokenTTL)), key); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO mail_outbox (id, kind, recipient, user_id, data, status, next_attempt_at, created_at)
			SELECT CAST($1 AS TEXT), CAST($2 AS TEXT), email, id, CAST($3 AS TEXT), 'pending', CAST($4 AS BIGINT), CAST($4 AS BIGINT)
			FROM users WHERE email_key = $5 AND deleted_at = 0`,
			db.NewID(tx.now), string(fpr.MailPasswordReset), data, micros(tx.now), key)
		return err
	})
	if err != nil {
		return fmt.Errorf("request password reset: %w", err)
	}
	return nil
}

// FindResetTokenUser returns the user of an unused, unexpired reset token
// stored under hash, without consuming it (to check the new password
// against the user's name and address). fpr.ErrBadToken otherwise.
func (db *DB) FindResetTokenUser(ctx context.Context, hash string) (*fpr.User, error) {
	u, err := scanUser(db.read.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users
		WHERE deleted_at = 0 AND id = (SELECT user_id FROM email_tokens
			WHERE token_hash = $1 AND purpose = 'reset' AND used_at = 0 AND expires_at > $2)`, hash, micros(db.Now())))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fpr.ErrBadToken
	}
	return u, err
}

// ResetPassword consumes the reset token stored under hash and, in the same
// transaction, sets the password hash, deletes every session (web and API
// tokens) of the user, spends their other reset tokens, and counts the
// e-mail as verified (following the link proves the address), releasing
// held reviews. fpr.ErrBadToken.
func (db *DB) ResetPassword(ctx context.Context, hash, passwordHash string) (string, error) {
	var userID string
	err := db.inTx(ctx, true, func(tx *Tx) error {
		var err error
		if userID, _, err = tx.consumeToken(ctx, hash, "reset"); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = $1,
				email_verified_at = CASE WHEN email_verified_at = 0 THEN $2 ELSE email_verified_at END
			WHERE id = $3`, passwordHash, micros(tx.now), userID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = $1`, userID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE email_tokens SET used_at = $1 WHERE user_id = $2 AND purpose = 'reset' AND used_at = 0`,
			micros(tx.now), userID); err != nil {
			return err
		}
		if err := tx.AuditAs(ctx, userID, fpr.AuditPasswordReset, fpr.AuditTarget("user", userID), nil); err != nil {
			return err
		}
		return tx.releaseHeldReviews(ctx, userID)
	})
	if err != nil {
		return "", fmt.Errorf("reset password: %w", err)
	}
	return userID, nil
}

// SetDisplayName changes the display name of userID.
func (db *DB) SetDisplayName(ctx context.Context, userID, name string) error {
	err := db.inTx(ctx, true, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE users SET display_name = $1 WHERE id = $2 AND deleted_at = 0`, name, userID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return notFound("user")
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("set display name: %w", err)
	}
	return nil
}

// RequestEmailChange asks to move userID to newEmail: in one transaction
// it mails a verification link to newEmail (the change happens when it is
// followed, VerifyEmail) and tells the current address, counting an
// e-mail change (fpr.LimitEmail) and recording it in the audit log.
// conflict when another account has newEmail; validation_failed when it is
// the current address; rate_limited.
func (db *DB) RequestEmailChange(ctx context.Context, userID, newEmail string) error {
	err := db.inTx(ctx, true, func(tx *Tx) error {
		var email, name string
		if err := tx.QueryRowContext(ctx, `SELECT email, display_name FROM users WHERE id = $1 AND deleted_at = 0`, userID).
			Scan(&email, &name); err != nil {
			return err
		}
		if fpr.NormalizeEmail(email) == fpr.NormalizeEmail(newEmail) {
			return &fpr.Error{Code: fpr.CodeValidationFailed, Message: "This is already your e-mail address.",
				Fields: map[string]string{"email": "This is already your e-mail address."}}
		}
		var taken int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM users WHERE email_key = $1`, fpr.NormalizeEmail(newEmail)).Scan(&taken); err != nil {
			return err
		}
		if taken > 0 {
			return &fpr.Error{Code: fpr.CodeConflict, Message: "An account with this e-mail address already exists.",
				Fields: map[string]string{"email": "This e-mail address is already registered."}}
		}
		if err := tx.rateLimit(ctx, fpr.LimitEmail, userID); err != nil {
			return err
		}
		if err := tx.mailVerification(ctx, userID, newEmail, name); err != nil {
			return err
		}
		if err := tx.AuditAs(ctx, userID, fpr.AuditEmailChange, fpr.AuditTarget("user", userID),
			map[string]string{"stage": "requested"}); err != nil {
			return err
		}
		return tx.enqueueMail(ctx, &fpr.Mail{Kind: fpr.MailEmailChange, To: email, UserID: userID,
			Data: map[string]string{"display_name": name, "new_email": newEmail}})
	})
	if err != nil {
		return fmt.Errorf("request e-mail change: %w", err)
	}
	return nil
}

// DeleteAccount erases the personal data of userID in one transaction:
// the user row stays (reviews keep their author and so the rating
// summaries stay as they are) but its e-mail, name and password are
// replaced, so nobody can log in or be recognised; sessions, tokens,
// two-factor secrets and recovery codes, notification switches and unsent
// mail to the user go. Reviews then show
// fpr.FormerMemberName.
func (db *DB) DeleteAccount(ctx context.Context, userID string) error {
	err := db.inTx(ctx, true, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE users SET email = '', email_key = $1, display_name = $2,
				password_hash = '!', deleted_at = $3, email_verified_at = 0, mfa_enabled = FALSE
			WHERE id = $4 AND deleted_at = 0`,
			"deleted:"+userID, fpr.FormerMemberName, micros(tx.now), userID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return notFound("user")
		}
		for _, q := range []string{
			`DELETE FROM sessions WHERE user_id = $1`,
			`DELETE FROM email_tokens WHERE user_id = $1`,
			`DELETE FROM unsubscribe_tokens WHERE user_id = $1`,
			`DELETE FROM notification_optouts WHERE user_id = $1`,
			`DELETE FROM mfa_totp WHERE user_id = $1`,
			`DELETE FROM mfa_recovery_codes WHERE user_id = $1`,
			`DELETE FROM mail_outbox WHERE user_id = $1 AND status = 'pending'`,
			`UPDATE mail_outbox SET recipient = '', data = '{}' WHERE user_id = $1`,
		} {
			if _, err := tx.ExecContext(ctx, q, userID); err != nil {
				return err
			}
		}
		return tx.AuditAs(ctx, userID, fpr.AuditAccountDelete, fpr.AuditTarget("user", userID), nil)
	})
	if err != nil {
		return fmt.Errorf("delete account: %w", err)
	}
	return nil
}

// NotificationSettings returns userID's switch for every fpr.Topic.
func (db *DB) NotificationSettings(ctx context.Context, userID string) ([]fpr.NotificationSetting, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT topic FROM notification_optouts WHERE user_id = $1`, userID)
	if err != nil {
		return nil, fmt.Errorf("notification settings: %w", err)
	}
	defer rows.Close()
	off := map[fpr.Topic]bool{}
	for rows.Next() {
		var t fpr.Topic
		if err := rows.Scan(&t); err != nil {
			return nil, fmt.Errorf("notification settings: %w", err)
		}
		off[t] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("notification settings: %w", err)
	}
	out := make([]fpr.NotificationSetting, 0, len(fpr.Topics))
	for _, t := range fpr.Topics {
		out = append(out, fpr.NotificationSetting{Topic: t, Enabled: !off[t]})
	}
	return out, nil
}

// SetNotifications sets userID's switches. validation_failed for an
// unknown topic.
func (db *DB) SetNotifications(ctx context.Context, userID string, settings []fpr.NotificationSetting) error {
	for _, s := range settings {
		if !s.Topic.Valid() {
			return &fpr.Error{Code: fpr.CodeValidationFailed, Message: "That notification does not exist.",
				Fields: map[string]string{"topic": "Unknown notification."}}
		}
	}
	err := db.inTx(ctx, true, func(tx *Tx) error {
		for _, s := range settings {
			if err := tx.setNotification(ctx, userID, s); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("set notifications: %w", err)
	}
	return nil
}

func (tx *Tx) setNotification(ctx context.Context, userID string, s fpr.NotificationSetting) error {
	if s.Enabled {
		_, err := tx.ExecContext(ctx, `DELETE FROM notification_optouts WHERE user_id = $1 AND topic = $2`, userID, string(s.Topic))
		return err
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO notification_optouts (user_id, topic, created_at) VALUES ($1, $2, $3)
		ON CONFLICT (user_id, topic) DO NOTHING`, userID, string(s.Topic), micros(tx.now))
	return err
}

// Unsubscribe switches off the topic of the unsubscribe token stored
// under hash and returns it. The token stays valid (a second POST from a
// mail client is answered the same). fpr.ErrBadToken for an unknown one.
func (db *DB) Unsubscribe(ctx context.Context, hash string) (fpr.Topic, error) {
	var topic fpr.Topic
	err := db.inTx(ctx, true, func(tx *Tx) error {
		var userID string
		err := tx.QueryRowContext(ctx, `SELECT user_id, topic FROM unsubscribe_tokens WHERE token_hash = $1`, hash).Scan(&userID, &topic)
		if errors.Is(err, sql.ErrNoRows) {
			return fpr.ErrBadToken
		}
		if err != nil {
			return err
		}
		return tx.setNotification(ctx, userID, fpr.NotificationSetting{Topic: topic})
	})
	if err != nil {
		return "", fmt.Errorf("unsubscribe: %w", err)
	}
	return topic, nil
}
