package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/fpr-team/fpr"
)

// CreateSession stores a session of kind for userID under tokenHash (the
// SHA-256 of the secret token, which the database never sees), valid for
// ttl from now. The returned session has no Token; the caller sets it.
func (db *DB) CreateSession(ctx context.Context, tokenHash, userID string, kind fpr.SessionKind, ttl time.Duration) (*fpr.Session, error) {
	var s *fpr.Session
	err := db.inTx(ctx, true, func(tx *Tx) error {
		var err error
		s, err = tx.createSession(ctx, tokenHash, userID, kind, ttl)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("create session: %w", err)
	}
	return s, nil
}

// CreateLoginSession is CreateSession for a successful login: in the same
// transaction it forgets the failures counted against throttleKey (the
// account from this address) and records login in the audit log, with
// the user as actor.
func (db *DB) CreateLoginSession(ctx context.Context, tokenHash, userID string, kind fpr.SessionKind, ttl time.Duration, throttleKey string) (*fpr.Session, error) {
	var s *fpr.Session
	err := db.inTx(ctx, true, func(tx *Tx) error {
		var err error
		if s, err = tx.createSession(ctx, tokenHash, userID, kind, ttl); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM login_failures WHERE key = $1`, throttleKey); err != nil {
			return err
		}
		return tx.AuditAs(ctx, userID, fpr.AuditLogin, fpr.AuditTarget("user", userID), map[string]string{"kind": string(kind)})
	})
	if err != nil {
		return nil, fmt.Errorf("create login session: %w", err)
	}
	return s, nil
}

func (tx *Tx) createSession(ctx context.Context, tokenHash, userID string, kind fpr.SessionKind, ttl time.Duration) (*fpr.Session, error) {
	s := &fpr.Session{UserID: userID, Kind: kind, CreatedAt: tx.now, ExpiresAt: tx.now.Add(ttl)}
	_, err := tx.ExecContext(ctx, `INSERT INTO sessions (token_hash, user_id, kind, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5)`, tokenHash, userID, string(kind), micros(s.CreatedAt), micros(s.ExpiresAt))
	if err != nil {
		return nil, err
	}
	return s, nil
}

// FindSession returns the session stored under tokenHash and its user.
// not_found when there is none or it has expired: an expired row is as good
// as absent, whether or not DeleteExpiredSessions has run.
func (db *DB) FindSession(ctx context.Context, tokenHash string) (*fpr.User, *fpr.Session, error) {
	var (
		u          fpr.User
		s          fpr.Session
		uc, sc, se int64
		kind       string
		now        = micros(db.Now())
	)
	err := db.readRow(ctx, `SELECT u.id, u.email, u.display_name, u.role, u.probe, u.created_at, u.mfa_enabled,
			s.kind, s.created_at, s.expires_at
		FROM sessions s JOIN users u ON u.id = s.user_id
		WHERE s.token_hash = $1 AND s.expires_at > $2`, tokenHash, now).
		Scan(&u.ID, &u.Email, &u.DisplayName, &u.Role, &u.Probe, &uc, &u.MFAEnabled, &kind, &sc, &se)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, notFound("session")
	}
	if err != nil {
		return nil, nil, db.dialect.translate(fmt.Errorf("find session: %w", err))
	}
	u.CreatedAt = fromMicros(uc)
	s.UserID, s.Kind, s.CreatedAt, s.ExpiresAt = u.ID, fpr.SessionKind(kind), fromMicros(sc), fromMicros(se)
	return &u, &s, nil
}

// ExtendSession moves the expiry of the session under tokenHash to
// expiresAt, if that is later than its current expiry (sliding web
// sessions). An unknown token is not an error.
func (db *DB) ExtendSession(ctx context.Context, tokenHash string, expiresAt time.Time) error {
	err := db.inTx(ctx, true, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE sessions SET expires_at = $1
			WHERE token_hash = $2 AND expires_at < $1 AND expires_at > $3`,
			micros(expiresAt), tokenHash, micros(tx.now))
		return err
	})
	if err != nil {
		return fmt.Errorf("extend session: %w", err)
	}
	return nil
}

// DeleteSession removes the session under tokenHash. An unknown token is
// not an error.
func (db *DB) DeleteSession(ctx context.Context, tokenHash string) error {
	err := db.inTx(ctx, true, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE token_hash = $1`, tokenHash)
		return err
	})
	if err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

// DeleteUserSessions removes every session of userID.
func (db *DB) DeleteUserSessions(ctx context.Context, userID string) error {
	err := db.inTx(ctx, true, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = $1`, userID)
		return err
	})
	if err != nil {
		return fmt.Errorf("delete sessions of user: %w", err)
	}
	return nil
}

// DeleteExpiredSessions removes sessions past their expiry and reports how
// many. FindSession already ignores them; this only reclaims space.
func (db *DB) DeleteExpiredSessions(ctx context.Context) (int64, error) {
	var n int64
	err := db.inTx(ctx, true, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE expires_at <= $1`, micros(tx.now))
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("delete expired sessions: %w", err)
	}
	return n, nil
}
