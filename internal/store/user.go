package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/fpr-team/fpr"
)

const userColumns = `id, email, display_name, role, probe, created_at, email_verified_at, mfa_enabled`

func scanUser(row interface{ Scan(...any) error }) (*fpr.User, error) {
	var u fpr.User
	var created, verified int64
	if err := row.Scan(&u.ID, &u.Email, &u.DisplayName, &u.Role, &u.Probe, &created, &verified, &u.MFAEnabled); err != nil {
		return nil, err
	}
	u.CreatedAt = fromMicros(created)
	u.EmailVerified = verified != 0
	return &u, nil
}

// CreateUser inserts u with a password hash computed by the caller (see
// internal/auth). It sets u.ID and u.CreatedAt. When u.EmailVerified is
// false, the same transaction stores a verification token and puts the
// verification mail (fpr.MailVerifyEmail) in the outbox. conflict when the
// e-mail, compared case-insensitively, is taken: the unique index on
// email_key decides, so two concurrent registrations give exactly one
// account.
func (db *DB) CreateUser(ctx context.Context, u *fpr.User, passwordHash string) error {
	if u.Role == "" {
		u.Role = fpr.RoleMember
	}
	if !u.Role.Valid() {
		return fpr.Errorf(fpr.CodeValidationFailed, "Unknown role %q.", u.Role)
	}
	err := db.inIdempotentTx(ctx, u, func(tx *Tx) error {
		if err := tx.RateLimit(ctx, fpr.RegistrationLimit(u.Probe)); err != nil {
			return err
		}
		u.ID = db.NewID(tx.now)
		u.CreatedAt = tx.now
		var verifiedAt int64
		if u.EmailVerified {
			verifiedAt = micros(tx.now)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO users (id, email, email_key, display_name, role, password_hash, probe, created_at, email_verified_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
			u.ID, u.Email, fpr.NormalizeEmail(u.Email), u.DisplayName, u.Role, passwordHash, u.Probe, micros(tx.now), verifiedAt); err != nil {
			return err
		}
		if u.EmailVerified {
			return nil
		}
		return tx.mailVerification(ctx, u.ID, u.Email, u.DisplayName)
	})
	if fpr.ErrorCode(err) == fpr.CodeConflict && !errors.Is(err, fpr.ErrIdempotencyKeyTaken) {
		return &fpr.Error{Code: fpr.CodeConflict, Message: "An account with this e-mail address already exists.",
			Fields: map[string]string{"email": "This e-mail address is already registered."}}
	}
	return err
}

// FindUserByID returns a user or not_found.
func (db *DB) FindUserByID(ctx context.Context, id string) (*fpr.User, error) {
	u, err := scanUser(db.readRow(ctx, `SELECT `+userColumns+` FROM users WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("user")
	}
	return u, db.dialect.translate(err)
}

// FindUserByEmail returns a user by e-mail, compared case-insensitively, or
// not_found.
func (db *DB) FindUserByEmail(ctx context.Context, email string) (*fpr.User, error) {
	u, _, err := db.FindUserCredentials(ctx, email)
	return u, err
}

// FindUserCredentials returns a user and their password hash by e-mail, for
// login. not_found when there is no such account.
func (db *DB) FindUserCredentials(ctx context.Context, email string) (*fpr.User, string, error) {
	var u fpr.User
	var created, verified int64
	var hash string
	err := db.readRow(ctx, `SELECT `+userColumns+`, password_hash FROM users WHERE email_key = $1 AND deleted_at = 0`,
		fpr.NormalizeEmail(email)).Scan(&u.ID, &u.Email, &u.DisplayName, &u.Role, &u.Probe, &created, &verified, &u.MFAEnabled, &hash)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, "", notFound("user")
	}
	if err != nil {
		return nil, "", err
	}
	u.CreatedAt = fromMicros(created)
	u.EmailVerified = verified != 0
	return &u, hash, nil
}

// FindUsers lists users, newest first, filtered by f. Admins only
// (forbidden otherwise). f.Query matches the e-mail or the display name,
// case-insensitively, anywhere in them.
func (db *DB) FindUsers(ctx context.Context, f fpr.UserFilter) ([]*fpr.User, string, error) {
	if !fpr.CanManageUsers(fpr.UserFromContext(ctx)) {
		return nil, "", fpr.Errorf(fpr.CodeForbidden, "Only admins may list users.")
	}
	if err := f.Normalize(); err != nil {
		return nil, "", err
	}
	if f.Role != nil && !f.Role.Valid() {
		return nil, "", &fpr.Error{Code: fpr.CodeValidationFailed, Message: "That role does not exist.",
			Fields: map[string]string{"role": "Use member, producer, moderator or admin."}}
	}
	after, err := decodeCursor(f.Cursor, "users")
	if err != nil {
		return nil, "", err
	}
	// Probe accounts (fpr probe, one a minute) are not people: never listed.
	q := `SELECT ` + userColumns + ` FROM users WHERE deleted_at = 0 AND probe = FALSE`
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	if f.Query != nil && strings.TrimSpace(*f.Query) != "" {
		p := "%" + likeEscaper.Replace(strings.ToLower(strings.TrimSpace(*f.Query))) + "%"
		n := arg(p)
		q += ` AND (email_key LIKE ` + n + ` ESCAPE '\' OR LOWER(display_name) LIKE ` + n + ` ESCAPE '\')`
	}
	if f.Role != nil {
		q += ` AND role = ` + arg(string(*f.Role))
	}
	if after != nil {
		q += ` AND id < ` + arg(after.ID)
	}
	q += ` ORDER BY id DESC LIMIT ` + arg(f.Limit+1)
	rows, err := db.readRows(ctx, q, args...)
	if err != nil {
		return nil, "", db.dialect.translate(fmt.Errorf("find users: %w", err))
	}
	defer rows.Close()
	var users []*fpr.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, "", db.dialect.translate(fmt.Errorf("find users: %w", err))
		}
		users = append(users, u)
	}
	if err := rows.Err(); err != nil {
		return nil, "", db.dialect.translate(fmt.Errorf("find users: %w", err))
	}
	next := ""
	if len(users) > f.Limit {
		users = users[:f.Limit]
		next = cursor{Sort: "users", ID: users[len(users)-1].ID}.encode()
	}
	return users, next, nil
}

// likeEscaper escapes the LIKE wildcards of user input (with ESCAPE '\').
var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// SetUserRole changes a user's role. Admins only; an admin cannot change
// their own role (forbidden), so there is always an admin left to undo a
// mistake. validation_failed for an unknown role, not_found for an unknown
// user.
func (db *DB) SetUserRole(ctx context.Context, id string, role fpr.Role) (*fpr.User, error) {
	actor := fpr.UserFromContext(ctx)
	if !fpr.CanManageUsers(actor) {
		return nil, fpr.Errorf(fpr.CodeForbidden, "Only admins may change roles.")
	}
	if !role.Valid() {
		return nil, &fpr.Error{Code: fpr.CodeValidationFailed, Message: "That role does not exist.",
			Fields: map[string]string{"role": "Use member, producer, moderator or admin."}}
	}
	if !fpr.CanChangeRole(actor, id, role) {
		return nil, fpr.Errorf(fpr.CodeForbidden, "You cannot remove your own admin role; ask another admin.")
	}
	return db.SetUserRoleUnchecked(ctx, id, role)
}

// SetUserRoleUnchecked changes a user's role without a permission check.
// It is for the operator's command line (`fpr user role`) and test setup,
// which act outside any user's session; handlers must use SetUserRole.
// validation_failed for an unknown role, not_found for an unknown user.
func (db *DB) SetUserRoleUnchecked(ctx context.Context, id string, role fpr.Role) (*fpr.User, error) {
	if !role.Valid() {
		return nil, &fpr.Error{Code: fpr.CodeValidationFailed, Message: "That role does not exist.",
			Fields: map[string]string{"role": "Use member, producer, moderator or admin."}}
	}
	var u *fpr.User
	err := db.inTx(ctx, true, func(tx *Tx) error {
		var from fpr.Role
		err := tx.QueryRowContext(ctx, `SELECT role FROM users WHERE id = $1`, id).Scan(&from)
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("user")
		}
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE users SET role = $1 WHERE id = $2`, string(role), id); err != nil {
			return err
		}
		if u, err = scanUser(tx.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE id = $1`, id)); err != nil {
			return err
		}
		if from == role {
			return nil
		}
		return tx.Audit(ctx, fpr.AuditRoleChange, fpr.AuditTarget("user", id), map[string]string{"from": string(from), "to": string(role)})
	})
	if err != nil {
		return nil, fmt.Errorf("set user role: %w", err)
	}
	return u, nil
}

// SetPasswordHash stores a new password hash for userID and, in the same
// transaction, deletes every session of the user: a changed password
// signs out everyone who knew the old one. not_found for an unknown user.
func (db *DB) SetPasswordHash(ctx context.Context, userID, hash string) error {
	err := db.inTx(ctx, true, func(tx *Tx) error { return tx.SetPasswordHash(ctx, userID, hash) })
	if err != nil {
		return fmt.Errorf("set password hash: %w", err)
	}
	return nil
}

// SetPasswordHash is (*DB).SetPasswordHash within tx, for a service that
// records more in the same transaction (an audit entry, a used token).
func (tx *Tx) SetPasswordHash(ctx context.Context, userID, hash string) error {
	res, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = $1 WHERE id = $2`, hash, userID)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return notFound("user")
	}
	_, err = tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = $1`, userID)
	return err
}

// ChangePassword is the acting user's password change: within one
// transaction it counts the change against the password rate limit,
// stores hash, signs out every session (SetPasswordHash) and records
// password.change in the audit log. rate_limited, not_found.
func (db *DB) ChangePassword(ctx context.Context, userID, hash string) error {
	err := db.inTx(ctx, true, func(tx *Tx) error {
		if err := tx.RateLimit(ctx, fpr.LimitPassword); err != nil {
			return err
		}
		if err := tx.SetPasswordHash(ctx, userID, hash); err != nil {
			return err
		}
		return tx.Audit(ctx, fpr.AuditPasswordChange, fpr.AuditTarget("user", userID), nil)
	})
	if err != nil {
		return fmt.Errorf("change password: %w", err)
	}
	return nil
}

// UpgradePasswordHash replaces the password hash of userID with newHash
// when it still is oldHash (the same password under new cost parameters),
// leaving sessions alone. A hash changed meanwhile is kept.
func (db *DB) UpgradePasswordHash(ctx context.Context, userID, oldHash, newHash string) error {
	err := db.inTx(ctx, true, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = $1 WHERE id = $2 AND password_hash = $3`,
			newHash, userID, oldHash)
		return err
	})
	if err != nil {
		return fmt.Errorf("upgrade password hash: %w", err)
	}
	return nil
}
