package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
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

// authSessionColumns are sessionColumns for FindSession, which leaves out
// the user agent and the address: no request needs its own (the session
// list reads them), and the session cache keeps less.
const authSessionColumns = `s.id, s.kind, s.created_at, s.last_used_at, s.expires_at, '', ''`

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

// FindSession returns the session stored under tokenHash, without its
// user agent and address, and its user. not_found when there is none or
// it is no longer live (fpr.SessionLive): an expired row is as good as
// absent, whether or not DeleteExpiredSessions has run.
//
// On SQLite it serves a session it read before again while the auth
// epoch is unchanged (sessionCache): one row of one page instead of a
// session, its user and their indexes. A read that raced with a touch
// may keep the older use time; the next request then touches the session
// again, which drops the copy.
func (db *DB) FindSession(ctx context.Context, tokenHash string) (*fpr.User, *fpr.Session, error) {
	c := db.sessions
	if c == nil {
		u, s, _, err := db.readSession(ctx, tokenHash, false)
		return u, s, err
	}
	if e, ok := c.get(tokenHash); ok && fpr.SessionLive(&e.sess, db.Now()) {
		var epoch int64
		if err := db.readRow(ctx, `SELECT n FROM auth_epoch WHERE id = 1`).Scan(&epoch); err != nil {
			return nil, nil, db.dialect.translate(fmt.Errorf("find session: %w", err))
		}
		if epoch == e.epoch {
			c.hits.Add(1)
			u, s := e.user, e.sess
			return &u, &s, nil
		}
	}
	c.misses.Add(1)
	u, s, epoch, err := db.readSession(ctx, tokenHash, true)
	if err == nil {
		c.put(tokenHash, sessionEntry{user: *u, sess: *s, epoch: epoch})
	}
	return u, s, err
}

// readSession reads the session under tokenHash and its user, and with
// withEpoch the auth epoch in the same statement, so of the same snapshot.
func (db *DB) readSession(ctx context.Context, tokenHash string, withEpoch bool) (*fpr.User, *fpr.Session, int64, error) {
	var (
		u             fpr.User
		s             fpr.Session
		uc, uv, epoch int64
	)
	cols, dest := ``, []any{&u.ID, &u.Email, &u.DisplayName, &u.Role, &u.Probe, &uc, &uv, &u.MFAEnabled}
	if withEpoch {
		cols, dest = `, (SELECT n FROM auth_epoch WHERE id = 1)`, append(dest, &epoch)
	}
	row := db.readRow(ctx, `SELECT `+authSessionColumns+`, u.id, u.email, u.display_name, u.role, u.probe, u.created_at, u.email_verified_at, u.mfa_enabled`+cols+`
		FROM sessions s JOIN users u ON u.id = s.user_id
		WHERE s.token_hash = $1 AND `+liveAt2, append([]any{tokenHash}, liveArgs(db.Now())...)...)
	err := scanSession(&s, row.Scan, dest...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, 0, notFound("session")
	}
	if err != nil {
		return nil, nil, 0, db.dialect.translate(fmt.Errorf("find session: %w", err))
	}
	u.CreatedAt = fromMicros(uc)
	u.EmailVerified = uv != 0
	s.UserID = u.ID
	return &u, &s, epoch, nil
}

// sessionCacheEntries bounds the sessions one instance keeps: about 330
// bytes of heap each (a member's: IDs, e-mail, name), so at most about
// 3.3 MB, 6-7 MB of resident memory with the collector's headroom.
const sessionCacheEntries = 10000

// sessionCache keeps, on SQLite, the sessions FindSession read, each with
// the auth epoch read with it (migration 0021: triggers count every change
// to sessions and users that FindSession could see). A kept session is
// served again only while it is live by its kept expiry and a read of the
// epoch finds the same value, so every change, by any instance, release or
// `fpr` command, takes effect on the next request. It saves the read of a
// session and its user, each a B-tree descent into pages every commit
// evicts from the read connections' caches: about 50 µs of 400 a review
// submission on one core (issue 14).
type sessionCache struct {
	max          int // entries kept at most
	mu           sync.Mutex
	entries      map[string]sessionEntry
	hits, misses atomic.Int64
}

type sessionEntry struct {
	user  fpr.User
	sess  fpr.Session
	epoch int64
}

func newSessionCache(maxEntries int) *sessionCache {
	return &sessionCache{max: maxEntries, entries: make(map[string]sessionEntry)}
}

func (c *sessionCache) get(tokenHash string) (sessionEntry, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[tokenHash]
	return e, ok
}

// put keeps e under tokenHash; when full, it first drops an entry the
// map's iteration order picks, which is close enough to random.
func (c *sessionCache) put(tokenHash string, e sessionEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.entries[tokenHash]; !ok && len(c.entries) >= c.max {
		for k := range c.entries {
			delete(c.entries, k)
			break
		}
	}
	c.entries[tokenHash] = e
}

func (c *sessionCache) drop(tokenHash string) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.entries, tokenHash)
}

// SessionCacheStats are the figures of the SQLite session cache: sessions
// served from it, sessions read from the tables (a first use, a change
// since, or none kept), and sessions kept.
type SessionCacheStats struct {
	Hits, Misses int64
	Kept         int
}

// SessionCacheStats returns the figures of the session cache (zero on
// PostgreSQL, which reads each session).
func (db *DB) SessionCacheStats() SessionCacheStats {
	c := db.sessions
	if c == nil {
		return SessionCacheStats{}
	}
	c.mu.Lock()
	kept := len(c.entries)
	c.mu.Unlock()
	return SessionCacheStats{Hits: c.hits.Load(), Misses: c.misses.Load(), Kept: kept}
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
	// The kept copy has the old use and expiry; the next request reads
	// the new ones. (The epoch does not move for a touch.)
	db.sessions.drop(tokenHash)
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
	db.sessions.drop(tokenHash) // the epoch moved anyway; this frees the memory
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
