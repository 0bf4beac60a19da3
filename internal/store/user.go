package store

import (
	"context"
	"database/sql"
	"errors"

	"github.com/fpr-team/fpr"
)

const userColumns = `id, email, display_name, role, probe, created_at`

func scanUser(row interface{ Scan(...any) error }) (*fpr.User, error) {
	var u fpr.User
	var created int64
	if err := row.Scan(&u.ID, &u.Email, &u.DisplayName, &u.Role, &u.Probe, &created); err != nil {
		return nil, err
	}
	u.CreatedAt = fromMicros(created)
	return &u, nil
}

// CreateUser inserts u with a password hash computed by the caller (see
// internal/auth). It sets u.ID and u.CreatedAt. conflict when the e-mail,
// compared case-insensitively, is taken: the unique index on email_key
// decides, so two concurrent registrations give exactly one account.
func (db *DB) CreateUser(ctx context.Context, u *fpr.User, passwordHash string) error {
	if u.Role == "" {
		u.Role = fpr.RoleMember
	}
	if !u.Role.Valid() {
		return fpr.Errorf(fpr.CodeValidationFailed, "Unknown role %q.", u.Role)
	}
	err := db.inTx(ctx, true, func(tx *Tx) error {
		u.ID = db.NewID(tx.now)
		u.CreatedAt = tx.now
		_, err := tx.ExecContext(ctx, `INSERT INTO users (id, email, email_key, display_name, role, password_hash, probe, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
			u.ID, u.Email, fpr.NormalizeEmail(u.Email), u.DisplayName, u.Role, passwordHash, u.Probe, micros(tx.now))
		return err
	})
	if fpr.ErrorCode(err) == fpr.CodeConflict {
		return &fpr.Error{Code: fpr.CodeConflict, Message: "An account with this e-mail address already exists.",
			Fields: map[string]string{"email": "This e-mail address is already registered."}}
	}
	return err
}

// FindUserByID returns a user or not_found.
func (db *DB) FindUserByID(ctx context.Context, id string) (*fpr.User, error) {
	u, err := scanUser(db.read.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("user")
	}
	return u, err
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
	var created int64
	var hash string
	err := db.read.QueryRowContext(ctx, `SELECT `+userColumns+`, password_hash FROM users WHERE email_key = $1`,
		fpr.NormalizeEmail(email)).Scan(&u.ID, &u.Email, &u.DisplayName, &u.Role, &u.Probe, &created, &hash)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, "", notFound("user")
	}
	if err != nil {
		return nil, "", err
	}
	u.CreatedAt = fromMicros(created)
	return &u, hash, nil
}
