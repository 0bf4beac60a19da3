// Package auth implements fpr.AuthService over the store: registration with
// password rules, argon2id password hashes, throttled logins, and sessions
// whose secret tokens the database knows only by their SHA-256.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fpr-team/fpr"
	"github.com/fpr-team/fpr/internal/store"
)

// Service implements fpr.AuthService. Create it with New; its exported
// fields may be changed before first use (tests lower the limits).
type Service struct {
	DB *store.DB

	// Params are the argon2id costs for new hashes.
	Params Params

	// AccountLimit failed logins of one account from one client address,
	// or AddrLimit from one address whatever the account, start that
	// pair's or address's delays (fpr.LoginDelay), which grow with every
	// further failure. Failures are remembered for ThrottleWindow from the
	// first. No count is kept per account alone, so nobody can lock an
	// account's owner out from another address.
	AccountLimit   int
	AddrLimit      int
	ThrottleWindow time.Duration

	// HashWait bounds how long a request waits for a free hashing slot
	// before it is refused as unavailable.
	HashWait time.Duration

	// hashSlots bounds the hashes computed at once: each takes
	// Params.MemoryKiB, so a burst of logins queues instead of exhausting
	// memory.
	hashSlots chan struct{}

	// inFlight and maxInFlight count hashes being computed, and hashes
	// those computed in all, so tests can see that the bound holds and that
	// throttled requests compute none.
	inFlight, maxInFlight, hashes atomic.Int64

	dummyOnce sync.Once
	dummy     string
}

// New returns a Service over db with the production settings: DefaultParams,
// sessions as fpr.SessionExpiry says, login delays from
// fpr.LoginPairLimit failures per (account, address) and
// fpr.LoginAddrLimit per address within fpr.LoginStreakWindow, and at most
// NumCPU hashes at once.
func New(db *store.DB) *Service {
	return &Service{
		DB:             db,
		Params:         DefaultParams,
		AccountLimit:   fpr.LoginPairLimit,
		AddrLimit:      fpr.LoginAddrLimit,
		ThrottleWindow: fpr.LoginStreakWindow,
		HashWait:       10 * time.Second,
		hashSlots:      make(chan struct{}, runtime.NumCPU()),
	}
}

// SetMaxConcurrentHashes changes the bound on hashes computed at once.
// Call it before the service is used.
func (s *Service) SetMaxConcurrentHashes(n int) {
	s.hashSlots = make(chan struct{}, max(n, 1))
}

var (
	errBusy = fpr.Errorf(fpr.CodeUnavailable, "Too many people are signing in right now. Please try again in a moment.")
	// errBadCredentials is the one answer to a wrong e-mail or password,
	// so the answer does not tell which accounts exist.
	errBadCredentials = fpr.Errorf(fpr.CodeUnauthenticated, "The e-mail or password is not right.")
	errNoSession      = fpr.Errorf(fpr.CodeUnauthenticated, "Your session has ended or is not valid. Please log in.")
	// errOTPWrong answers a login with the right password and a wrong,
	// used or malformed two-factor code: still mfa_required, with a field.
	errOTPWrong = &fpr.Error{Code: fpr.CodeMFARequired, Message: fpr.ErrMFARequired.Message,
		Fields: map[string]string{"otp": msgCodeWrongOrRec}}
)

// withHashSlot runs fn once a hashing slot is free, waiting no longer than
// ctx allows or HashWait.
func (s *Service) withHashSlot(ctx context.Context, fn func()) error {
	t := time.NewTimer(s.HashWait)
	defer t.Stop()
	select {
	case s.hashSlots <- struct{}{}:
	case <-ctx.Done():
		// The request's deadline passed (or its client left) while every
		// slot was busy: the same answer as a full wait, 503.
		return &fpr.Error{Code: fpr.CodeUnavailable, Message: errBusy.Message, RetryAfterSeconds: 1,
			Cause: fmt.Errorf("wait for a hashing slot: %w", ctx.Err())}
	case <-t.C:
		return errBusy
	}
	defer func() { <-s.hashSlots }()
	n := s.inFlight.Add(1)
	defer s.inFlight.Add(-1)
	for {
		m := s.maxInFlight.Load()
		if n <= m || s.maxInFlight.CompareAndSwap(m, n) {
			break
		}
	}
	s.hashes.Add(1)
	fn()
	return nil
}

// hash computes a new hash of password within a slot.
func (s *Service) hash(ctx context.Context, password string) (string, error) {
	var h string
	err := s.withHashSlot(ctx, func() { h = hashPassword(password, s.Params) })
	return h, err
}

// verify checks password against encoded within a slot.
func (s *Service) verify(ctx context.Context, password, encoded string) (ok, outdated bool, err error) {
	slotErr := s.withHashSlot(ctx, func() { ok, outdated, err = verifyPassword(password, encoded, s.Params) })
	if slotErr != nil {
		return false, false, slotErr
	}
	return ok, outdated, err
}

// dummyHash is a hash of a random password under the current params. A
// login for an unknown e-mail is checked against it, so it takes as long
// as one for a known e-mail.
func (s *Service) dummyHash() string {
	s.dummyOnce.Do(func() {
		s.dummy = hashPassword(rand.Text(), s.Params)
	})
	return s.dummy
}

// Register implements fpr.AuthService.
func (s *Service) Register(ctx context.Context, r fpr.Registration) (*fpr.User, error) {
	fields := fpr.FieldErrors{}
	if err := r.Validate(); err != nil {
		var fe *fpr.Error
		if !errors.As(err, &fe) {
			return nil, err
		}
		for k, v := range fe.Fields {
			fields.Add(k, v)
		}
	}
	if msg := checkPassword(r.Password, r.Email, r.DisplayName); msg != "" {
		fields.Add("password", msg)
	}
	if err := fields.Err(); err != nil {
		return nil, err
	}
	// A taken e-mail is refused before spending a hash on it; the unique
	// index still decides between concurrent registrations.
	if _, err := s.DB.FindUserByEmail(ctx, r.Email); err == nil {
		return nil, errEmailTaken
	} else if fpr.ErrorCode(err) != fpr.CodeNotFound {
		return nil, fmt.Errorf("register: %w", err)
	}
	// Past the registration limit, refuse before spending a hash;
	// CreateUser counts the registration in its transaction.
	if err := s.DB.RateLimitReached(ctx, fpr.RegistrationLimit(r.Probe)); err != nil {
		return nil, err
	}
	h, err := s.hash(ctx, r.Password)
	if err != nil {
		return nil, err
	}
	// An account the operator vouches for, or a probe (whose mail would
	// go nowhere), starts verified; any other gets a verification mail.
	u := &fpr.User{Email: r.Email, DisplayName: r.DisplayName, Role: fpr.RoleMember, Probe: r.Probe,
		EmailVerified: r.Verified || r.Probe}
	if err := s.DB.CreateUser(ctx, u, h); err != nil {
		return nil, err
	}
	return u, nil
}

var errEmailTaken = &fpr.Error{Code: fpr.CodeConflict, Message: "An account with this e-mail address already exists.",
	Fields: map[string]string{"email": "This e-mail address is already registered."}}

// throttleKeys returns the login_failures keys of an attempt on the
// account with e-mail email from client address addr: the pair (account,
// address) and the address. Without an address (a caller outside HTTP)
// the pair is the account alone and there is no address key.
func (s *Service) throttleKeys(email, addr string) (pair, address store.LoginThrottleKey) {
	account := fpr.NormalizeEmail(email)
	pair = store.LoginThrottleKey{Key: "email:" + account, Account: account, Limit: s.AccountLimit}
	if addr != "" {
		pair.Key = "pair:" + account + "|" + addr
		address = store.LoginThrottleKey{Key: "addr:" + addr, Limit: s.AddrLimit}
	}
	return pair, address
}

// Login implements fpr.AuthService. Every attempt counts against the
// login rate limit of the client address; a throttled attempt is refused
// before any hash is computed. A success and a failure are each recorded
// in the audit log in the transaction that records them.
func (s *Service) Login(ctx context.Context, c fpr.Credentials) (*fpr.Session, *fpr.User, error) {
	// Text no e-mail or password can hold (NUL, invalid UTF-8) is refused
	// before it reaches a query: PostgreSQL would answer it with an error.
	if err := c.Validate(); err != nil {
		return nil, nil, err
	}
	if c.Kind == "" {
		c.Kind = fpr.SessionAPI
	}
	if c.Kind != fpr.SessionAPI && c.Kind != fpr.SessionWeb {
		return nil, nil, fmt.Errorf("login: unknown session kind %q", c.Kind)
	}
	if cl := fpr.ClientFromContext(ctx); c.ClientAddr != "" && cl.Address == "" {
		cl.Address = c.ClientAddr
		ctx = fpr.NewContextWithClient(ctx, cl)
	}
	if err := s.DB.RateLimit(ctx, fpr.LimitLogin); err != nil {
		return nil, nil, err
	}
	email := fpr.NormalizeEmail(c.Email)
	if len(email) > fpr.MaxEmailLength {
		// Overlong input gets the same answer as a wrong password, without
		// hashing 1 MB of it. No account has such an address; count it
		// against the client only, rather than store a key of up to 64 KB.
		_, address := s.throttleKeys("", c.ClientAddr)
		if err := s.checkThrottle(ctx, address); err != nil {
			return nil, nil, err
		}
		return nil, nil, s.loginFailed(ctx, "", address)
	}
	pair, address := s.throttleKeys(email, c.ClientAddr)
	if err := s.checkThrottle(ctx, pair, address); err != nil {
		return nil, nil, err
	}
	if len(c.Password) > 4*fpr.MaxPasswordLength {
		return nil, nil, s.loginFailed(ctx, "", pair, address)
	}
	u, encoded, err := s.DB.FindUserCredentials(ctx, email)
	switch {
	case fpr.ErrorCode(err) == fpr.CodeNotFound:
		if _, _, err := s.verify(ctx, c.Password, s.dummyHash()); err != nil {
			return nil, nil, err
		}
		return nil, nil, s.loginFailed(ctx, "", pair, address)
	case err != nil:
		return nil, nil, fmt.Errorf("login: %w", err)
	}
	ok, outdated, err := s.verify(ctx, c.Password, encoded)
	if err != nil {
		return nil, nil, fmt.Errorf("login: %w", err)
	}
	if !ok {
		return nil, nil, s.loginFailed(ctx, u.ID, pair, address)
	}
	if u.MFAEnabled {
		if c.OTP == "" {
			// The right password alone: ask for the code. Not a failure.
			return nil, nil, fpr.ErrMFARequired
		}
		ok, err := s.useOTP(ctx, u.ID, c.OTP)
		if err != nil {
			return nil, nil, fmt.Errorf("login: %w", err)
		}
		if !ok {
			if err := s.recordFailure(ctx, u.ID, pair, address); err != nil {
				return nil, nil, err
			}
			return nil, nil, errOTPWrong
		}
	}
	if outdated {
		if h, err := s.hash(ctx, c.Password); err == nil {
			if err := s.DB.UpgradePasswordHash(ctx, u.ID, encoded, h); err != nil {
				return nil, nil, err
			}
		}
	}
	sess, err := s.openSession(ctx, u.ID, c.Kind, pair.Key)
	if err != nil {
		return nil, nil, err
	}
	return sess, u, nil
}

// checkThrottle returns rate_limited when any of keys (those with a Key)
// is locked.
func (s *Service) checkThrottle(ctx context.Context, keys ...store.LoginThrottleKey) error {
	var names []string
	for _, k := range keys {
		if k.Key != "" {
			names = append(names, k.Key)
		}
	}
	d, err := s.DB.LoginLockedFor(ctx, names...)
	if err != nil {
		return err
	}
	if d > 0 {
		secs := int(math.Ceil(d.Seconds()))
		return &fpr.Error{Code: fpr.CodeRateLimited, RetryAfterSeconds: secs,
			Message: fmt.Sprintf("Too many failed attempts. Try again in %s.", fpr.HumanWait(secs))}
	}
	return nil
}

// loginFailed counts a failure against keys (those with a Key), records it
// in the audit log against the account userID ("" when unknown), and
// returns the one answer for bad credentials.
func (s *Service) loginFailed(ctx context.Context, userID string, keys ...store.LoginThrottleKey) error {
	if err := s.recordFailure(ctx, userID, keys...); err != nil {
		return err
	}
	return errBadCredentials
}

// recordFailure counts a failed login (a wrong password or second factor)
// against keys (those with a Key) and records it in the audit log against
// the account userID ("" when unknown), in one transaction.
func (s *Service) recordFailure(ctx context.Context, userID string, keys ...store.LoginThrottleKey) error {
	var counted []store.LoginThrottleKey
	for _, k := range keys {
		if k.Key != "" {
			counted = append(counted, k)
		}
	}
	_, err := s.DB.RecordFailedLogin(ctx, userID, counted, s.ThrottleWindow)
	return err
}

// OpenSession opens a session of kind for userID and returns it with its
// secret token, which is shown only now: the database keeps its SHA-256.
// The web layer calls it after a password change, which closes every
// session.
func (s *Service) OpenSession(ctx context.Context, userID string, kind fpr.SessionKind) (*fpr.Session, error) {
	return s.openSession(ctx, userID, kind, "")
}

// openSession opens a session; with a throttleKey it is a login's: the
// key's failures are forgotten and the login audited in its transaction.
func (s *Service) openSession(ctx context.Context, userID string, kind fpr.SessionKind, throttleKey string) (*fpr.Session, error) {
	now := s.DB.Now()
	ttl := fpr.SessionExpiry(kind, now, now).Sub(now)
	token, hash := NewToken()
	var (
		sess *fpr.Session
		err  error
	)
	if throttleKey != "" {
		sess, err = s.DB.CreateLoginSession(ctx, hash, userID, kind, ttl, throttleKey)
	} else {
		sess, err = s.DB.CreateSession(ctx, hash, userID, kind, ttl)
	}
	if err != nil {
		return nil, err
	}
	sess.Token = token
	return sess, nil
}

// NewToken returns a new secret session token and the hash the database
// stores of it (what OpenSession and `fpr seed --tokens` write).
func NewToken() (token, hash string) {
	var b [32]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never returns an error.
	token = base64.RawURLEncoding.EncodeToString(b[:])
	return token, tokenHash(token)
}

// tokenHash is what the database stores of a token. A fast hash is right
// here: the token has 256 random bits, so there is nothing to brute-force.
func tokenHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// maxTokenLen bounds the tokens worth looking up: ours are 43 characters.
const maxTokenLen = 128

// Authenticate implements fpr.AuthService. A use is recorded at most once
// per fpr.SessionTouchInterval; then a web session's expiry moves to
// fpr.SessionExpiry (14 days after this use, never past 30 days after its
// login).
func (s *Service) Authenticate(ctx context.Context, token string) (*fpr.User, *fpr.Session, error) {
	if token == "" || len(token) > maxTokenLen {
		return nil, nil, errNoSession
	}
	h := tokenHash(token)
	u, sess, err := s.DB.FindSession(ctx, h)
	if fpr.ErrorCode(err) == fpr.CodeNotFound {
		return nil, nil, errNoSession
	}
	if err != nil {
		return nil, nil, fmt.Errorf("authenticate: %w", err)
	}
	now := s.DB.Now()
	if !fpr.SessionLive(sess, now) {
		return nil, nil, errNoSession
	}
	if now.Sub(sess.LastUsedAt) >= fpr.SessionTouchInterval {
		exp := fpr.SessionExpiry(sess.Kind, sess.CreatedAt, now)
		if exp.Before(sess.ExpiresAt) && sess.Kind != fpr.SessionWeb {
			exp = sess.ExpiresAt
		}
		if err := s.DB.TouchSession(ctx, h, now, exp); err != nil {
			return nil, nil, fmt.Errorf("authenticate: %w", err)
		}
		sess.LastUsedAt, sess.ExpiresAt = now, exp
	}
	sess.Token = token
	return u, sess, nil
}

// Logout implements fpr.AuthService.
func (s *Service) Logout(ctx context.Context, token string) error {
	if token == "" || len(token) > maxTokenLen {
		return nil
	}
	return s.DB.DeleteSession(ctx, tokenHash(token))
}

// ChangePassword implements fpr.AuthService. A wrong current password is
// validation_failed on current_password and counts as a failed login for
// the account, so a stolen session cannot be used to guess the password.
func (s *Service) ChangePassword(ctx context.Context, current, next string) error {
	actor, err := fpr.RequireUser(ctx)
	if err != nil {
		return err
	}
	pair, address := s.throttleKeys(actor.Email, fpr.ClientAddrFromContext(ctx))
	if err := s.checkThrottle(ctx, pair, address); err != nil {
		return err
	}
	if err := s.DB.RateLimitReached(ctx, fpr.LimitPassword); err != nil {
		return err
	}
	u, encoded, err := s.DB.FindUserCredentials(ctx, actor.Email)
	if fpr.ErrorCode(err) == fpr.CodeNotFound {
		return errNoSession // the account is gone
	}
	if err != nil {
		return fmt.Errorf("change password: %w", err)
	}
	fields := fpr.FieldErrors{}
	if msg := checkPassword(next, u.Email, u.DisplayName); msg != "" {
		fields.Add("new_password", msg)
	} else if next == current {
		fields.Add("new_password", msgPasswordSame)
	}
	ok, _, err := s.verify(ctx, current, encoded)
	if err != nil {
		return fmt.Errorf("change password: %w", err)
	}
	if !ok {
		if _, err := s.DB.RecordLoginFailure(ctx, pair, s.ThrottleWindow); err != nil {
			return err
		}
		fields.Add("current_password", msgPasswordWrong)
	}
	if err := fields.Err(); err != nil {
		return err
	}
	h, err := s.hash(ctx, next)
	if err != nil {
		return err
	}
	return s.DB.ChangePassword(ctx, u.ID, h)
}

// CheckPassword returns the message for a password that breaks a rule for
// an account with email and displayName, or "". Pages use it to explain a
// choice before submitting; Register and ChangePassword apply it anyway.
func CheckPassword(password, email, displayName string) string {
	return checkPassword(password, email, displayName)
}

// DeleteExpired removes expired sessions, stale login failure counts and
// expired idempotency keys. Nothing depends on it for correctness (expired
// rows are ignored); it reclaims space. Run it every hour or so.
func (s *Service) DeleteExpired(ctx context.Context) error {
	if _, err := s.DB.DeleteExpiredSessions(ctx); err != nil {
		return err
	}
	if _, err := s.DB.DeleteStaleLoginFailures(ctx, 2*s.ThrottleWindow); err != nil {
		return err
	}
	_, err := s.DB.DeleteExpiredIdempotencyKeys(ctx)
	return err
}

// DeleteExpiredSessions removes expired sessions; see DeleteExpired.
func (s *Service) DeleteExpiredSessions(ctx context.Context) error {
	_, err := s.DB.DeleteExpiredSessions(ctx)
	return err
}

// Static check that Service implements the interface.
var _ fpr.AuthService = (*Service)(nil)

// FindSessions implements fpr.AuthService.
func (s *Service) FindSessions(ctx context.Context) ([]*fpr.Session, error) {
	u, err := fpr.RequireUser(ctx)
	if err != nil {
		return nil, err
	}
	return s.DB.FindUserSessions(ctx, u.ID)
}

// RevokeSession implements fpr.AuthService.
func (s *Service) RevokeSession(ctx context.Context, id string) error {
	u, err := fpr.RequireUser(ctx)
	if err != nil {
		return err
	}
	if !fpr.ValidSessionID(id) {
		return fpr.Errorf(fpr.CodeNotFound, "That session does not exist.")
	}
	return s.DB.DeleteUserSession(ctx, u.ID, id)
}
