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
// ttl from now (the AuthService passes fpr.SessionExpiry's), with the
// client of ctx (fpr.ClientFromContext). The returned session has no
// Token; the caller sets it.
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
	client := fpr.ClientFromContext(ctx)
	s := &fpr.Session{ID: tx.db.NewID(tx.now), UserID: userID, Kind: kind, CreatedAt: tx.now, LastUsedAt: tx.now,
		ExpiresAt: tx.now.Add(ttl), UserAgent: client.UserAgent, Address: client.Address}
	_, err := tx.ExecContext(ctx, `INSERT INTO sessions (token_hash, id, user_id, kind, created_at, last_used_at, expires_at, user_agent, address)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, tokenHash, s.ID, userID, string(kind), micros(s.CreatedAt), micros(s.LastUsedAt),
		micros(s.ExpiresAt), s.UserAgent, s.Address)
	if err != nil {
		return nil, err
	}
	return s, nil
}

// sessionColumns are the columns scanSession reads, of sessions s.
const sessionColumns = `s.id, s.kind, s.created_at, s.last_used_at, s.expires_at, s.user_agent, s.address`

// scanSession reads sessionColumns into s.
func scanSession(s *fpr.Session, scan func(...any) error, more ...any) error {
	var (
		kind       string
		sc, su, se int64
	)
	if err := scan(append([]any{&s.ID, &kind, &sc, &su, &se, &s.UserAgent, &s.Address}, more...)...); err != nil {
		return err
	}
	s.Kind, s.CreatedAt, s.LastUsedAt, s.ExpiresAt = fpr.SessionKind(kind), fromMicros(sc), fromMicros(su), fromMicros(se)
	return nil
}

// liveAt2 and liveAt3 are the condition of a live session of sessions s
// (fpr.SessionLive): before its expiry (parameter $2, or $3) and, for a
// web session, logged in after the oldest allowed login ($3, or $4), so a
// web session ends fpr.WebSessionMaxAge after its login whatever its
// stored expiry. liveArgs gives the two values.
const (
	liveAt2 = `s.expires_at > $2 AND (s.kind <> 'web' OR s.created_at > $3)`
	liveAt3 = `s.expires_at > $3 AND (s.kind <> 'web' OR s.created_at > $4)`
)

// liveArgs returns the values of a live condition's two parameters.
func liveArgs(now time.Time) []any {
	return []any{micros(now), micros(now.Add(-fpr.WebSessionMaxAge))}
}

// FindSession returns the session stored under tokenHash and its user.
// not_found when there is none or it is no longer live (fpr.SessionLive):
// an expired row is as good as absent, whether or not
// DeleteExpiredSessions has run.
func (db *DB) FindSession(ctx context.Context, tokenHash string) (*fpr.User, *fpr.Session, error) {
	var (
		u      fpr.User
		s      fpr.Session
		uc, uv int64
	)
	row := db.readRow(ctx, `SELECT `+sessionColumns+`, u.id, u.email, u.display_name, u.role, u.probe, u.created_at, u.email_verified_at, u.mfa_enabled
		FROM sessions s JOIN users u ON u.id = s.user_id
		WHERE s.token_hash = $1 AND `+liveAt2, append([]any{tokenHash}, liveArgs(db.Now())...)...)
	err := scanSession(&s, row.Scan, &u.ID, &u.Email, &u.DisplayName, &u.Role, &u.Probe, &uc, &uv, &u.MFAEnabled)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, notFound("session")
	}
	if err != nil {
		return nil, nil, db.dialect.translate(fmt.Errorf("find session: %w", err))
	}
	u.CreatedAt = fromMicros(uc)
	u.EmailVerified = uv != 0
	s.UserID = u.ID
	return &u, &s, nil
}

// TouchSession records a use of the session under tokenHash at usedAt and
// moves its expiry to expiresAt (fpr.SessionExpiry: a web session slides,
// never past its absolute end). An unknown token is not an error.
func (db *DB) TouchSession(ctx context.Context, tokenHash string, usedAt, expiresAt time.Time) error {
	err := db.inTx(ctx, true, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE sessions SET last_used_at = $1, expires_at = $2
			WHERE token_hash = $3 AND last_used_at < $1 AND expires_at > $4`,
			micros(usedAt), micros(expiresAt), tokenHash, micros(tx.now))
		return err
	})
	if err != nil {
		return fmt.Errorf("touch session: %w", err)
	}
	return nil
}

// FindUserSessions lists userID's live sessions, most recently used first,
// at most fpr.MaxSessionsListed.
func (db *DB) FindUserSessions(ctx context.Context, userID string) ([]*fpr.Session, error) {
	rows, err := db.readRows(ctx, `SELECT `+sessionColumns+` FROM sessions s
		WHERE s.user_id = $1 AND `+liveAt2+`
		ORDER BY s.last_used_at DESC, s.id DESC LIMIT $4`, append([]any{userID}, append(liveArgs(db.Now()), fpr.MaxSessionsListed)...)...)
	if err != nil {
		return nil, db.dialect.translate(fmt.Errorf("find sessions: %w", err))
	}
	defer rows.Close()
	var out []*fpr.Session
	for rows.Next() {
		s := &fpr.Session{UserID: userID}
		if err := scanSession(s, rows.Scan); err != nil {
			return nil, db.dialect.translate(fmt.Errorf("find sessions: %w", err))
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, db.dialect.translate(fmt.Errorf("find sessions: %w", err))
	}
	return out, nil
}

// DeleteUserSession removes userID's live session id. not_found when
// userID has no such session.
func (db *DB) DeleteUserSession(ctx context.Context, userID, id string) error {
	err := db.inTx(ctx, true, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE id = $1 AND user_id = $2 AND token_hash IN
			(SELECT s.token_hash FROM sessions s WHERE s.id = $1 AND `+liveAt3+`)`, append([]any{id, userID}, liveArgs(tx.now)...)...)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		if n == 0 {
			return notFound("session")
		}
		return nil
	})
	if fpr.ErrorCode(err) == fpr.CodeNotFound {
		return err
	}
	if err != nil {
		return fmt.Errorf("revoke session: %w", err)
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
