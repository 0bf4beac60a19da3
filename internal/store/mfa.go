package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"

	"github.com/fpr-team/fpr"
)

// Two-factor authentication: the TOTP secret of each user (pending until
// confirmed), the RFC 6238 step of the last code accepted, and the hashes of
// the recovery codes. internal/auth computes and checks codes; these methods
// make each acceptance atomic, so a code or a recovery code is accepted once
// however many instances see it at the same moment.

// errMFAOn and errMFAOff answer changes that do not apply.
var (
	errMFAOn  = fpr.Errorf(fpr.CodeConflict, "Two-factor authentication is already on.")
	errMFAOff = fpr.Errorf(fpr.CodeConflict, "Two-factor authentication is not on.")
	errNoTOTP = fpr.Errorf(fpr.CodeConflict, "Start the two-factor setup again: there is no secret waiting to be confirmed.")
)

// TOTPState is what the store holds of a user's TOTP secret.
type TOTPState struct {
	Secret    string
	Confirmed bool
	// LastStep is the step of the last code accepted (0: none).
	LastStep int64
}

// FindTOTP returns the TOTP secret of userID, or not_found when the user
// has none (pending or confirmed).
func (db *DB) FindTOTP(ctx context.Context, userID string) (*TOTPState, error) {
	var st TOTPState
	var confirmed int64
	err := db.read.QueryRowContext(ctx, `SELECT secret, confirmed_at, last_step FROM mfa_totp WHERE user_id = $1`, userID).
		Scan(&st.Secret, &confirmed, &st.LastStep)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("two-factor secret")
	}
	if err != nil {
		return nil, fmt.Errorf("find totp: %w", err)
	}
	st.Confirmed = confirmed > 0
	return &st, nil
}

// SetPendingTOTP stores secret as userID's TOTP secret waiting to be
// confirmed, replacing one that waits. conflict when two-factor is on.
func (db *DB) SetPendingTOTP(ctx context.Context, userID, secret string) error {
	err := db.inTx(ctx, true, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO mfa_totp (user_id, secret, confirmed_at, last_step, created_at)
			VALUES ($1, $2, 0, 0, $3)
			ON CONFLICT (user_id) DO UPDATE SET secret = $2, last_step = 0, created_at = $3
			WHERE mfa_totp.confirmed_at = 0`, userID, secret, micros(tx.now))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return errMFAOn
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("set pending totp: %w", err)
	}
	return nil
}

// ConfirmTOTP turns two-factor on for userID: the pending secret, which
// must still be secret (the one whose code the caller checked), becomes
// confirmed with step as its last used step, the recovery codes are
// replaced by codeHashes, and users.mfa_enabled is set, all in one
// transaction. conflict when the secret is not pending any more.
func (db *DB) ConfirmTOTP(ctx context.Context, userID, secret string, step int64, codeHashes []string) error {
	err := db.inTx(ctx, true, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE mfa_totp SET confirmed_at = $1, last_step = $2
			WHERE user_id = $3 AND secret = $4 AND confirmed_at = 0 AND last_step < $2`,
			micros(tx.now), step, userID, secret)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return errNoTOTP
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM mfa_recovery_codes WHERE user_id = $1`, userID); err != nil {
			return err
		}
		for _, h := range codeHashes {
			if _, err := tx.ExecContext(ctx, `INSERT INTO mfa_recovery_codes (user_id, code_hash) VALUES ($1, $2)`, userID, h); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE users SET mfa_enabled = TRUE WHERE id = $1`, userID); err != nil {
			return err
		}
		return tx.AuditAs(ctx, userID, fpr.AuditMFAEnable, fpr.AuditTarget("user", userID), nil)
	})
	if err != nil {
		return fmt.Errorf("confirm totp: %w", err)
	}
	return nil
}

// UseTOTPStep records that a code of step was accepted for userID's
// confirmed secret, and reports whether it may be: only when step is later
// than the last step accepted (fpr.TOTPStepUsable), decided by one
// conditional UPDATE, so of two requests with one code exactly one wins.
func (db *DB) UseTOTPStep(ctx context.Context, userID string, step int64) (bool, error) {
	var ok bool
	err := db.inTx(ctx, true, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE mfa_totp SET last_step = $1
			WHERE user_id = $2 AND confirmed_at > 0 AND last_step < $1`, step, userID)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		ok = n == 1
		return err
	})
	if err != nil {
		return false, fmt.Errorf("use totp step: %w", err)
	}
	return ok, nil
}

// UseRecoveryCode marks the unused recovery code of userID whose hash is
// codeHash as used and reports whether there was one: each code works
// once, decided by one conditional UPDATE.
func (db *DB) UseRecoveryCode(ctx context.Context, userID, codeHash string) (bool, error) {
	var ok bool
	err := db.inTx(ctx, true, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE mfa_recovery_codes SET used_at = $1
			WHERE user_id = $2 AND code_hash = $3 AND used_at = 0`, micros(tx.now), userID, codeHash)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if ok = n == 1; !ok || err != nil {
			return err
		}
		var left int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM mfa_recovery_codes WHERE user_id = $1 AND used_at = 0`, userID).Scan(&left); err != nil {
			return err
		}
		return tx.AuditAs(ctx, userID, fpr.AuditMFARecovery, fpr.AuditTarget("user", userID), map[string]string{"remaining": strconv.Itoa(left)})
	})
	if err != nil {
		return false, fmt.Errorf("use recovery code: %w", err)
	}
	return ok, nil
}

// CountRecoveryCodes returns how many unused recovery codes userID has.
func (db *DB) CountRecoveryCodes(ctx context.Context, userID string) (int, error) {
	var n int
	err := db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM mfa_recovery_codes WHERE user_id = $1 AND used_at = 0`, userID).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count recovery codes: %w", err)
	}
	return n, nil
}

// DisableTOTP turns two-factor off for userID: the secret and the recovery
// codes are deleted and users.mfa_enabled cleared, in one transaction.
// conflict when it is not on.
func (db *DB) DisableTOTP(ctx context.Context, userID string) error {
	err := db.inTx(ctx, true, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM mfa_totp WHERE user_id = $1 AND confirmed_at > 0`, userID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return errMFAOff
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM mfa_recovery_codes WHERE user_id = $1`, userID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE users SET mfa_enabled = FALSE WHERE id = $1`, userID); err != nil {
			return err
		}
		return tx.AuditAs(ctx, userID, fpr.AuditMFADisable, fpr.AuditTarget("user", userID), nil)
	})
	if err != nil {
		return fmt.Errorf("disable totp: %w", err)
	}
	return nil
}
