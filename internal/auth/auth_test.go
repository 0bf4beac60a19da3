package auth

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fpr-team/fpr"
)

// clock is a settable time source for the store.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

func (c *clock) Advance(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.now = c.now.Add(d) }

func mustServiceAt(t *testing.T) (*Service, *clock) {
	t.Helper()
	s := mustService(t)
	c := &clock{now: time.Date(2026, 5, 10, 12, 0, 0, 0, time.UTC)}
	s.DB.Now = c.Now
	return s, c
}

const (
	annEmail    = "ann@example.org"
	annPassword = "Orchard-ladder-42-bramble"
)

func retryAfter(err error) int {
	var fe *fpr.Error
	if errors.As(err, &fe) {
		return fe.RetryAfterSeconds
	}
	return -1
}

func mustRegister(t *testing.T, s *Service) *fpr.User {
	t.Helper()
	u, err := s.Register(context.Background(), fpr.Registration{Email: annEmail, Password: annPassword, DisplayName: "Ann"})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// TestService_Login_StrangerCannotLockOwner reproduces issue 10's attack:
// wrong passwords from one address lock only that (account, address) pair,
// refused before any hash, with delays that grow; the owner's right
// password from another address is accepted throughout, also when the
// attacker re-locks the pair as soon as a delay ends.
func TestService_Login_StrangerCannotLockOwner(t *testing.T) {
	t.Parallel()
	s, clk := mustServiceAt(t)
	mustRegister(t, s)
	ctx := context.Background()
	attacker := func(i int) error {
		_, _, err := s.Login(ctx, fpr.Credentials{Email: annEmail, Password: fmt.Sprintf("wrong-password-%d", i), ClientAddr: "192.0.2.66"})
		return err
	}
	for i := range s.AccountLimit {
		if err := attacker(i); fpr.ErrorCode(err) != fpr.CodeUnauthenticated {
			t.Fatalf("failure %d: Login = %v, want unauthenticated", i+1, err)
		}
	}
	before := s.hashes.Load()
	_, _, err := s.Login(ctx, fpr.Credentials{Email: annEmail, Password: annPassword, ClientAddr: "192.0.2.66"})
	if fpr.ErrorCode(err) != fpr.CodeRateLimited || retryAfter(err) != 60 {
		t.Fatalf("right password from the attacker's address = %v (Retry-After %d), want rate_limited for 60 s", err, retryAfter(err))
	}
	if got := s.hashes.Load() - before; got != 0 {
		t.Errorf("a throttled login computed %d hashes, want 0", got)
	}
	owner := func(when string) {
		t.Helper()
		if _, _, err := s.Login(ctx, fpr.Credentials{Email: annEmail, Password: annPassword, ClientAddr: "198.51.100.7"}); err != nil {
			t.Fatalf("%s: the owner's login from another address = %v, want success", when, err)
		}
	}
	owner("while the attacker's pair is locked")
	// The attacker re-locks the pair the moment each delay ends: the delay
	// doubles, and the owner is never locked out.
	for i, want := range []time.Duration{2 * time.Minute, 4 * time.Minute, 8 * time.Minute} {
		d, err := s.DB.LoginLockedFor(ctx, "pair:"+annEmail+"|192.0.2.66")
		if err != nil || d <= 0 {
			t.Fatalf("round %d: LoginLockedFor = %v, %v; want a lock", i, d, err)
		}
		clk.Advance(d)
		if err := attacker(100 + i); fpr.ErrorCode(err) != fpr.CodeUnauthenticated {
			t.Fatalf("round %d: the attacker's try after expiry = %v, want unauthenticated", i, err)
		}
		if err := attacker(200 + i); fpr.ErrorCode(err) != fpr.CodeRateLimited || retryAfter(err) != int(want.Seconds()) {
			t.Fatalf("round %d: the next try = %v (Retry-After %d), want rate_limited for %v", i, err, retryAfter(err), want)
		}
		owner(fmt.Sprintf("round %d, just after the re-lock", i))
	}
	// fpr user unlock clears the account's pairs.
	if n, err := s.DB.UnlockLogin(ctx, annEmail); err != nil || n != 1 {
		t.Fatalf("UnlockLogin = %d, %v; want 1 key", n, err)
	}
	if _, _, err := s.Login(ctx, fpr.Credentials{Email: annEmail, Password: annPassword, ClientAddr: "192.0.2.66"}); err != nil {
		t.Errorf("Login from the attacker's address after unlock = %v, want success", err)
	}
}

// TestService_Login_SuccessClearsAccountCount: failures below the limit are
// forgotten after a successful login.
func TestService_Login_SuccessClearsAccountCount(t *testing.T) {
	t.Parallel()
	s, _ := mustServiceAt(t)
	s.AccountLimit = 3
	s.AddrLimit = 100
	mustRegister(t, s)
	ctx := context.Background()
	for round := range 3 {
		for range 2 {
			if _, _, err := s.Login(ctx, fpr.Credentials{Email: annEmail, Password: "wrong-password"}); fpr.ErrorCode(err) != fpr.CodeUnauthenticated {
				t.Fatalf("round %d: Login = %v, want unauthenticated", round, err)
			}
		}
		if _, _, err := s.Login(ctx, fpr.Credentials{Email: annEmail, Password: annPassword}); err != nil {
			t.Fatalf("round %d: Login with the right password = %v", round, err)
		}
	}
}

// TestService_Login_UnknownEmailHashes: an unknown e-mail costs a hash too,
// so timing does not reveal which accounts exist.
func TestService_Login_UnknownEmailHashes(t *testing.T) {
	t.Parallel()
	s, _ := mustServiceAt(t)
	s.dummyHash() // made once, outside the count
	before := s.hashes.Load()
	_, _, err := s.Login(context.Background(), fpr.Credentials{Email: "nobody@example.org", Password: annPassword})
	if fpr.ErrorCode(err) != fpr.CodeUnauthenticated || fpr.ErrorMessage(err) != "The e-mail or password is not right." {
		t.Errorf("Login unknown = %v, want unauthenticated with the one message", err)
	}
	if got := s.hashes.Load() - before; got != 1 {
		t.Errorf("Login of an unknown e-mail computed %d hashes, want 1", got)
	}
}

// TestService_Login_UpgradesHash: a hash made with older params is
// replaced on login, and sessions stay open.
func TestService_Login_UpgradesHash(t *testing.T) {
	t.Parallel()
	s, _ := mustServiceAt(t)
	u := mustRegister(t, s)
	ctx := context.Background()
	old, _, err := s.Login(ctx, fpr.Credentials{Email: annEmail, Password: annPassword})
	if err != nil {
		t.Fatal(err)
	}
	s.Params = Params{Time: 2, MemoryKiB: 128, Threads: 1}
	if _, _, err := s.Login(ctx, fpr.Credentials{Email: annEmail, Password: annPassword}); err != nil {
		t.Fatal(err)
	}
	_, hash, err := s.DB.FindUserCredentials(ctx, u.Email)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(hash, "$argon2id$v=19$m=128,t=2,p=1$") {
		t.Errorf("hash after login = %q, want the new params", hash)
	}
	if _, _, err := s.Authenticate(ctx, old.Token); err != nil {
		t.Errorf("Authenticate an older session after the upgrade = %v, want it kept", err)
	}
}

func TestService_Sessions(t *testing.T) {
	t.Parallel()
	s, clk := mustServiceAt(t)
	u := mustRegister(t, s)
	ctx := context.Background()

	api, err := s.OpenSession(ctx, u.ID, fpr.SessionAPI)
	if err != nil {
		t.Fatal(err)
	}
	web, err := s.OpenSession(ctx, u.ID, fpr.SessionWeb)
	if err != nil {
		t.Fatal(err)
	}
	if len(api.Token) != 43 || api.Token == web.Token {
		t.Errorf("tokens %q and %q: want two distinct 43-character tokens", api.Token, web.Token)
	}
	if got, want := api.ExpiresAt.Sub(api.CreatedAt), 30*24*time.Hour; got != want {
		t.Errorf("API token lifetime = %v, want %v", got, want)
	}
	// The database holds the SHA-256 of the token, never the token.
	if _, _, err := s.DB.FindSession(ctx, api.Token); fpr.ErrorCode(err) != fpr.CodeNotFound {
		t.Errorf("FindSession by the raw token = %v, want not_found", err)
	}

	// Ten days on, the web session (14 days) is in its second half: using
	// it slides it to a full 14 days from now.
	clk.Advance(10 * 24 * time.Hour)
	_, sess, err := s.Authenticate(ctx, web.Token)
	if err != nil {
		t.Fatal(err)
	}
	if want := clk.Now().Add(14 * 24 * time.Hour); !sess.ExpiresAt.Equal(want) {
		t.Errorf("web session expires at %v after use, want %v", sess.ExpiresAt, want)
	}
	// Twenty-one days on, the API token (30 days) still works; 31 days on
	// it does not, and the web session, used 11 days before, still does.
	clk.Advance(11 * 24 * time.Hour)
	if _, _, err := s.Authenticate(ctx, api.Token); err != nil {
		t.Errorf("Authenticate API token at day 21 = %v", err)
	}
	clk.Advance(10 * 24 * time.Hour)
	if _, _, err := s.Authenticate(ctx, api.Token); fpr.ErrorCode(err) != fpr.CodeUnauthenticated {
		t.Errorf("Authenticate API token at day 31 = %v, want unauthenticated", err)
	}
	if _, _, err := s.Authenticate(ctx, web.Token); fpr.ErrorCode(err) != fpr.CodeUnauthenticated {
		t.Errorf("Authenticate web session 21 days after last use = %v, want unauthenticated", err)
	}
	fresh, err := s.OpenSession(ctx, u.ID, fpr.SessionAPI)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteExpired(ctx); err != nil {
		t.Fatal(err)
	}
	if n, err := s.DB.DeleteExpiredSessions(ctx); err != nil || n != 0 {
		t.Errorf("DeleteExpiredSessions after DeleteExpired = %d, %v; want 0, nil", n, err)
	}
	if _, _, err := s.Authenticate(ctx, fresh.Token); err != nil {
		t.Errorf("DeleteExpired removed a live session: %v", err)
	}

	for name, tok := range map[string]string{"Empty": "", "Unknown": "AAAA", "Huge": strings.Repeat("x", 10000)} {
		if _, _, err := s.Authenticate(ctx, tok); fpr.ErrorCode(err) != fpr.CodeUnauthenticated {
			t.Errorf("%s: Authenticate = %v, want unauthenticated", name, err)
		}
		if err := s.Logout(ctx, tok); err != nil {
			t.Errorf("%s: Logout = %v, want nil", name, err)
		}
	}
}

func TestService_ChangePassword(t *testing.T) {
	t.Parallel()
	s, _ := mustServiceAt(t)
	u := mustRegister(t, s)
	ctx := fpr.NewContextWithUser(context.Background(), u)
	sess, err := s.OpenSession(ctx, u.ID, fpr.SessionAPI)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name          string
		current, next string
		fields        map[string]string
	}{
		{"WrongCurrent", "not-my-password", "Lantern-gravel-88-turnip", map[string]string{"current_password": msgPasswordWrong}},
		{"Weak", annPassword, "password123", map[string]string{"new_password": msgPasswordCommon}},
		{"Short", annPassword, "short", map[string]string{"new_password": "Use at least 10 characters."}},
		{"Same", annPassword, annPassword, map[string]string{"new_password": msgPasswordSame}},
		{"SimilarToEmail", annPassword, "ann@example.org!!", map[string]string{"new_password": msgPasswordSimilar}},
		{"BothWrong", "nope-nope-nope", "qwertyuiop", map[string]string{"current_password": msgPasswordWrong, "new_password": msgPasswordCommon}},
	}
	for _, tt := range tests {
		err := s.ChangePassword(ctx, tt.current, tt.next)
		if fpr.ErrorCode(err) != fpr.CodeValidationFailed {
			t.Errorf("%s: ChangePassword = %v, want validation_failed", tt.name, err)
			continue
		}
		if got := fpr.ErrorFields(err); len(got) != len(tt.fields) || got["current_password"] != tt.fields["current_password"] || got["new_password"] != tt.fields["new_password"] {
			t.Errorf("%s: fields = %v, want %v", tt.name, got, tt.fields)
		}
	}
	// Nothing changed: the session lives and the old password works.
	if _, _, err := s.Authenticate(ctx, sess.Token); err != nil {
		t.Fatalf("session after refused changes: %v", err)
	}
	if err := s.ChangePassword(context.Background(), annPassword, "Lantern-gravel-88-turnip"); fpr.ErrorCode(err) != fpr.CodeUnauthenticated {
		t.Errorf("ChangePassword without a user = %v, want unauthenticated", err)
	}
	if err := s.ChangePassword(ctx, annPassword, "Lantern-gravel-88-turnip"); err != nil {
		t.Fatalf("ChangePassword = %v", err)
	}
	if _, _, err := s.Authenticate(ctx, sess.Token); fpr.ErrorCode(err) != fpr.CodeUnauthenticated {
		t.Errorf("Authenticate after the change = %v, want unauthenticated (revoked)", err)
	}
	if _, _, err := s.Login(ctx, fpr.Credentials{Email: annEmail, Password: annPassword}); fpr.ErrorCode(err) != fpr.CodeUnauthenticated {
		t.Errorf("Login with the old password = %v, want unauthenticated", err)
	}
	if _, _, err := s.Login(ctx, fpr.Credentials{Email: annEmail, Password: "Lantern-gravel-88-turnip"}); err != nil {
		t.Errorf("Login with the new password = %v", err)
	}
}

// TestService_ChangePassword_Throttled: wrong current passwords count
// against the account like failed logins.
func TestService_ChangePassword_Throttled(t *testing.T) {
	t.Parallel()
	s, _ := mustServiceAt(t)
	s.AccountLimit = 2
	u := mustRegister(t, s)
	ctx := fpr.NewContextWithUser(context.Background(), u)
	for range 2 {
		if err := s.ChangePassword(ctx, "not-my-password", "Lantern-gravel-88-turnip"); fpr.ErrorCode(err) != fpr.CodeValidationFailed {
			t.Fatalf("ChangePassword = %v, want validation_failed", err)
		}
	}
	if err := s.ChangePassword(ctx, annPassword, "Lantern-gravel-88-turnip"); fpr.ErrorCode(err) != fpr.CodeRateLimited {
		t.Errorf("ChangePassword after 2 wrong = %v, want rate_limited", err)
	}
}

// TestService_Login_Overlong: absurd input is refused like a wrong
// password, without hashing it and without storing a huge throttle key.
func TestService_Login_Overlong(t *testing.T) {
	t.Parallel()
	s, _ := mustServiceAt(t)
	mustRegister(t, s)
	ctx := context.Background()
	before := s.hashes.Load()
	for name, c := range map[string]fpr.Credentials{
		"Email":    {Email: strings.Repeat("a", 300) + "@example.org", Password: annPassword, ClientAddr: "192.0.2.9"},
		"Password": {Email: annEmail, Password: strings.Repeat("p", 2000), ClientAddr: "192.0.2.9"},
	} {
		if _, _, err := s.Login(ctx, c); fpr.ErrorCode(err) != fpr.CodeUnauthenticated || fpr.ErrorMessage(err) != "The e-mail or password is not right." {
			t.Errorf("%s: Login = %v, want the one unauthenticated answer", name, err)
		}
	}
	if got := s.hashes.Load() - before; got != 0 {
		t.Errorf("overlong logins computed %d hashes, want 0", got)
	}
	if d, err := s.DB.LoginLockedFor(ctx, "addr:192.0.2.9"); err != nil || d != 0 {
		t.Errorf("LoginLockedFor = %v, %v", d, err)
	}
	// Both counted against the address: 18 more failures lock it.
	for i := range 18 {
		_, _, _ = s.Login(ctx, fpr.Credentials{Email: fmt.Sprintf("x%d@example.org", i), Password: strings.Repeat("p", 2000), ClientAddr: "192.0.2.9"})
	}
	if d, err := s.DB.LoginLockedFor(ctx, "addr:192.0.2.9"); err != nil || d != time.Minute {
		t.Errorf("LoginLockedFor after 20 failures = %v, %v; want the first delay, 1m", d, err)
	}
}
