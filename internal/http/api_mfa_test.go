package http_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fpr-team/fpr"
	"github.com/fpr-team/fpr/internal/app"
	"github.com/fpr-team/fpr/internal/auth"
	"github.com/fpr-team/fpr/internal/fprtest"
)

// mfaEnv is an Env on a stopped clock, so a test decides when a new TOTP
// step begins.
func mfaEnv(t *testing.T, opts ...fprtest.Option) (*fprtest.Env, *fprtest.Clock) {
	t.Helper()
	clock := fprtest.NewClock(time.Date(2026, 12, 6, 20, 0, 1, 0, time.UTC))
	return fprtest.New(t, append([]fprtest.Option{fprtest.WithClock(clock.Now)}, opts...)...), clock
}

// code is the TOTP code of secret at the clock's time, as an app shows it.
func code(t *testing.T, secret string, clock *fprtest.Clock) string {
	t.Helper()
	c, err := auth.TOTPCode(secret, clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// beginTOTP asks for a secret for u through the API.
func beginTOTP(t *testing.T, env *fprtest.Env, u *fprtest.TestUser) (secret, otpauthURL string) {
	t.Helper()
	resp, body := env.Do(t, "POST", "/api/v1/me/mfa/totp", u.Token, nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST /me/mfa/totp = %d %s, want 200", resp.StatusCode, body)
	}
	if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("secret response Cache-Control = %q, want no-store", cc)
	}
	var out struct {
		Secret     string `json:"secret"`
		OTPAuthURL string `json:"otpauth_url"`
	}
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatal(err)
	}
	return out.Secret, out.OTPAuthURL
}

// enableMFA turns two-factor on for u through the API at the clock's time
// and returns the secret and the recovery codes.
func enableMFA(t *testing.T, env *fprtest.Env, u *fprtest.TestUser, clock *fprtest.Clock) (string, []string) {
	t.Helper()
	secret, _ := beginTOTP(t, env, u)
	resp, body := env.Do(t, "POST", "/api/v1/me/mfa/totp/confirm", u.Token, map[string]string{"code": code(t, secret, clock)})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("confirm = %d %s, want 200", resp.StatusCode, body)
	}
	var out struct {
		RecoveryCodes []string `json:"recovery_codes"`
	}
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatal(err)
	}
	return secret, out.RecoveryCodes
}

// loginBody is a login request with otp when it is not "".
func loginBody(u *fprtest.TestUser, password, otp string) map[string]string {
	in := map[string]string{"email": u.User.Email, "password": password}
	if otp != "" {
		in["otp"] = otp
	}
	return in
}

// wantError checks an error answer's status, code and named field.
func wantError(t *testing.T, what string, resp *http.Response, body []byte, status int, code, field string) {
	t.Helper()
	if resp.StatusCode != status {
		t.Fatalf("%s = %d %s, want %d", what, resp.StatusCode, body, status)
	}
	e := mustEnvelope(t, body)
	if e.Error.Code != code {
		t.Fatalf("%s: code %q, want %q", what, e.Error.Code, code)
	}
	if field != "" && e.Error.Fields[field] == "" {
		t.Fatalf("%s: fields %v, want a message on %q", what, e.Error.Fields, field)
	}
}

func mfaEnabled(t *testing.T, env *fprtest.Env, token string) bool {
	t.Helper()
	resp, body := env.Do(t, "GET", "/api/v1/me", token, nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /me = %d %s", resp.StatusCode, body)
	}
	var out struct {
		User struct {
			MFAEnabled *bool `json:"mfa_enabled"`
		} `json:"user"`
	}
	if err := json.Unmarshal(body, &out); err != nil || out.User.MFAEnabled == nil {
		t.Fatalf("GET /me %s: want mfa_enabled (%v)", body, err)
	}
	return *out.User.MFAEnabled
}

func TestAPIMFA_EnableLoginDisable(t *testing.T) {
	t.Parallel()
	env, clock := mfaEnv(t)
	u := env.MustUser(t, fpr.RoleMember)
	if mfaEnabled(t, env, u.Token) {
		t.Fatal("a new user has mfa_enabled true")
	}

	secret, otpauthURL := beginTOTP(t, env, u)
	if len(secret) != 32 || !strings.HasPrefix(otpauthURL, "otpauth://totp/FPR:") || !strings.Contains(otpauthURL, "secret="+secret) {
		t.Fatalf("setup = %q, %q; want a 32-character base32 secret in an otpauth://totp/FPR: URL", secret, otpauthURL)
	}
	// A pending secret changes nothing yet: login needs no code.
	if resp, body := env.Do(t, "POST", "/api/v1/auth/login", "", loginBody(u, u.Password, "")); resp.StatusCode != http.StatusOK {
		t.Fatalf("login with a pending secret = %d %s, want 200", resp.StatusCode, body)
	}
	if strings.Contains(env.Logs(), secret) {
		t.Error("the TOTP secret appears in the log")
	}

	// Wrong and malformed codes are 422 on code, and change nothing.
	for _, bad := range []string{"000000", "", "abcd-efgh-ijkl-mnop", "12\x003456"} {
		if bad == code(t, secret, clock) {
			continue
		}
		resp, body := env.Do(t, "POST", "/api/v1/me/mfa/totp/confirm", u.Token, map[string]string{"code": bad})
		wantError(t, "confirm "+bad, resp, body, http.StatusUnprocessableEntity, "validation_failed", "code")
	}
	if mfaEnabled(t, env, u.Token) {
		t.Fatal("mfa_enabled after wrong codes")
	}
	// Those failures count toward the login throttle; let them expire.
	clock.Advance(env.Auth.ThrottleWindow)

	resp, body := env.Do(t, "POST", "/api/v1/me/mfa/totp/confirm", u.Token, map[string]string{"code": code(t, secret, clock)})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("confirm = %d %s, want 200", resp.StatusCode, body)
	}
	var rc struct {
		RecoveryCodes []string `json:"recovery_codes"`
	}
	if err := json.Unmarshal(body, &rc); err != nil {
		t.Fatal(err)
	}
	if len(rc.RecoveryCodes) != fpr.RecoveryCodeCount {
		t.Fatalf("recovery codes = %v, want %d", rc.RecoveryCodes, fpr.RecoveryCodeCount)
	}
	seen := map[string]bool{}
	for _, c := range rc.RecoveryCodes {
		if seen[c] {
			t.Fatalf("recovery code %q given twice", c)
		}
		seen[c] = true
	}
	if !mfaEnabled(t, env, u.Token) {
		t.Fatal("mfa_enabled false after confirm")
	}
	// Confirming again, or a new setup, is a conflict: MFA is on.
	resp, body = env.Do(t, "POST", "/api/v1/me/mfa/totp/confirm", u.Token, map[string]string{"code": code(t, secret, clock)})
	wantError(t, "confirm twice", resp, body, http.StatusConflict, "conflict", "")
	resp, body = env.Do(t, "POST", "/api/v1/me/mfa/totp", u.Token, nil)
	wantError(t, "begin while on", resp, body, http.StatusConflict, "conflict", "")

	// Login: the password alone is mfa_required; a wrong password is the
	// usual answer, which tells nothing of MFA.
	resp, body = env.Do(t, "POST", "/api/v1/auth/login", "", loginBody(u, u.Password, ""))
	wantError(t, "login without otp", resp, body, http.StatusUnauthorized, "mfa_required", "")
	resp, body = env.Do(t, "POST", "/api/v1/auth/login", "", loginBody(u, "Wrong-password-123", code(t, secret, clock)))
	wantError(t, "login with a wrong password", resp, body, http.StatusUnauthorized, "unauthenticated", "")
	// The code that confirmed is spent: the same step is refused.
	resp, body = env.Do(t, "POST", "/api/v1/auth/login", "", loginBody(u, u.Password, code(t, secret, clock)))
	wantError(t, "login replaying the confirming code", resp, body, http.StatusUnauthorized, "mfa_required", "otp")

	clock.Advance(fpr.TOTPPeriod)
	now := code(t, secret, clock)
	resp, body = env.Do(t, "POST", "/api/v1/auth/login", "", loginBody(u, u.Password, now[:3]+" "+now[3:]))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("login with the current code = %d %s, want 200", resp.StatusCode, body)
	}
	var login struct {
		Token string `json:"token"`
	}
	if err := json.Unmarshal(body, &login); err != nil || login.Token == "" {
		t.Fatalf("login body %s: no token", body)
	}
	// Replay of the same code, in the same window: refused.
	resp, body = env.Do(t, "POST", "/api/v1/auth/login", "", loginBody(u, u.Password, now))
	wantError(t, "login replaying a code", resp, body, http.StatusUnauthorized, "mfa_required", "otp")
	// The previous step's code is within the skew but older than the last
	// accepted: refused too.
	clock.Advance(-fpr.TOTPPeriod)
	old := code(t, secret, clock)
	clock.Advance(fpr.TOTPPeriod)
	resp, body = env.Do(t, "POST", "/api/v1/auth/login", "", loginBody(u, u.Password, old))
	wantError(t, "login with an older code", resp, body, http.StatusUnauthorized, "mfa_required", "otp")

	// A recovery code works once, in any case and grouping.
	rec := rc.RecoveryCodes[3]
	resp, body = env.Do(t, "POST", "/api/v1/auth/login", "", loginBody(u, u.Password, strings.ToUpper(strings.ReplaceAll(rec, "-", " "))))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("login with a recovery code = %d %s, want 200", resp.StatusCode, body)
	}
	resp, body = env.Do(t, "POST", "/api/v1/auth/login", "", loginBody(u, u.Password, rec))
	wantError(t, "login reusing a recovery code", resp, body, http.StatusUnauthorized, "mfa_required", "otp")

	// Disable needs both a code and the password, each named when wrong.
	clock.Advance(fpr.TOTPPeriod)
	type disable map[string]string
	for _, c := range []struct {
		name  string
		body  disable
		field string
	}{
		{"WrongCode", disable{"code": "000000", "current_password": u.Password}, "code"},
		{"UsedRecoveryCode", disable{"code": rec, "current_password": u.Password}, "code"},
		{"WrongPassword", disable{"code": "CURRENT", "current_password": "Wrong-password-123"}, "current_password"},
		{"NoCode", disable{"current_password": u.Password}, "code"},
		{"NoPassword", disable{"code": "CURRENT"}, "current_password"},
	} {
		// Each failure counts toward the throttle; start each case clean.
		clock.Advance(env.Auth.ThrottleWindow)
		if c.body["code"] == "CURRENT" {
			c.body["code"] = code(t, secret, clock)
		}
		resp, body := env.Do(t, "DELETE", "/api/v1/me/mfa/totp", u.Token, c.body)
		wantError(t, "disable "+c.name, resp, body, http.StatusUnprocessableEntity, "validation_failed", c.field)
		if !mfaEnabled(t, env, u.Token) {
			t.Fatalf("disable %s turned MFA off", c.name)
		}
	}
	// The wrong-password attempt did not spend the code: it still works.
	resp, body = env.Do(t, "DELETE", "/api/v1/me/mfa/totp", u.Token, disable{"code": code(t, secret, clock), "current_password": u.Password})
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("disable = %d %s, want 204", resp.StatusCode, body)
	}
	if mfaEnabled(t, env, u.Token) {
		t.Fatal("mfa_enabled true after disable")
	}
	resp, body = env.Do(t, "DELETE", "/api/v1/me/mfa/totp", u.Token, disable{"code": code(t, secret, clock), "current_password": u.Password})
	wantError(t, "disable twice", resp, body, http.StatusConflict, "conflict", "")
	if resp, body := env.Do(t, "POST", "/api/v1/auth/login", "", loginBody(u, u.Password, "")); resp.StatusCode != http.StatusOK {
		t.Fatalf("login after disable = %d %s, want 200 with the password alone", resp.StatusCode, body)
	}
}

// TestAPIMFA_DisableWithRecoveryCode: someone who lost their phone logs in
// with a recovery code and turns two-factor off with another.
func TestAPIMFA_DisableWithRecoveryCode(t *testing.T) {
	t.Parallel()
	env, clock := mfaEnv(t)
	u := env.MustUser(t, fpr.RoleMember)
	_, codes := enableMFA(t, env, u, clock)
	resp, body := env.Do(t, "DELETE", "/api/v1/me/mfa/totp", u.Token, map[string]string{"code": codes[0], "current_password": u.Password})
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("disable with a recovery code = %d %s, want 204", resp.StatusCode, body)
	}
}

func TestAPIMFA_NeedsSession(t *testing.T) {
	t.Parallel()
	env := fprtest.New(t)
	for _, c := range []struct{ method, path string }{
		{"POST", "/api/v1/me/mfa/totp"}, {"POST", "/api/v1/me/mfa/totp/confirm"}, {"DELETE", "/api/v1/me/mfa/totp"},
	} {
		resp, body := env.Do(t, c.method, c.path, "", map[string]string{"code": "123456", "current_password": "x"})
		wantError(t, c.method+" "+c.path, resp, body, http.StatusUnauthorized, "unauthenticated", "")
	}
	u := env.MustUser(t, fpr.RoleMember)
	resp, body := env.Do(t, "POST", "/api/v1/me/mfa/totp/confirm", u.Token, map[string]string{"code": "123456"})
	wantError(t, "confirm without a setup", resp, body, http.StatusConflict, "conflict", "")
	resp, body = env.Do(t, "DELETE", "/api/v1/me/mfa/totp", u.Token, map[string]string{"code": "123456", "current_password": u.Password})
	wantError(t, "disable when off", resp, body, http.StatusConflict, "conflict", "")
	resp, body = env.Do(t, "POST", "/api/v1/me/mfa/totp/confirm", u.Token, `{"code": 123456}`)
	wantError(t, "confirm with a number", resp, body, http.StatusBadRequest, "bad_request", "")
}

// TestAPIMFA_FailedCodesThrottle: wrong codes after the right password
// count as failed logins; past the account limit even the right code waits.
func TestAPIMFA_FailedCodesThrottle(t *testing.T) {
	t.Parallel()
	env, clock := mfaEnv(t)
	u := env.MustUser(t, fpr.RoleMember)
	secret, _ := enableMFA(t, env, u, clock)
	clock.Advance(fpr.TOTPPeriod)
	for i := range env.Auth.AccountLimit {
		resp, body := env.Do(t, "POST", "/api/v1/auth/login", "", loginBody(u, u.Password, "000000"))
		wantError(t, "wrong code "+string(rune('1'+i)), resp, body, http.StatusUnauthorized, "mfa_required", "otp")
	}
	resp, body := env.Do(t, "POST", "/api/v1/auth/login", "", loginBody(u, u.Password, code(t, secret, clock)))
	wantError(t, "the right code after the limit", resp, body, http.StatusTooManyRequests, "rate_limited", "")
	if resp.Header.Get("Retry-After") == "" {
		t.Error("429 without Retry-After")
	}
	// The refused attempt did not spend the code: once the lock ends it works.
	clock.Advance(env.Auth.ThrottleWindow)
	if resp, body := env.Do(t, "POST", "/api/v1/auth/login", "", loginBody(u, u.Password, code(t, secret, clock))); resp.StatusCode != http.StatusOK {
		t.Fatalf("login after the lock = %d %s, want 200", resp.StatusCode, body)
	}
	// Wrong codes when confirming or disabling count too.
	v := env.MustUser(t, fpr.RoleMember)
	beginTOTP(t, env, v)
	for range env.Auth.AccountLimit {
		resp, body := env.Do(t, "POST", "/api/v1/me/mfa/totp/confirm", v.Token, map[string]string{"code": "000000"})
		wantError(t, "confirm wrong", resp, body, http.StatusUnprocessableEntity, "validation_failed", "code")
	}
	resp, body = env.Do(t, "POST", "/api/v1/me/mfa/totp/confirm", v.Token, map[string]string{"code": "000000"})
	wantError(t, "confirm past the limit", resp, body, http.StatusTooManyRequests, "rate_limited", "")
}

// TestAPIMFA_StaffRequired: under FPR_STAFF_MFA=required a moderator or
// admin without two-factor gets 403 on staff routes and has no staff power
// elsewhere, until they set it up; members are not affected.
func TestAPIMFA_StaffRequired(t *testing.T) {
	t.Parallel()
	env, clock := mfaEnv(t, fprtest.WithConfig(func(c *app.Config) { c.StaffMFA = fpr.StaffMFARequired }))
	admin := env.MustUser(t, fpr.RoleAdmin)
	mod := env.MustUser(t, fpr.RoleModerator)
	member := env.MustUser(t, fpr.RoleMember)
	for _, c := range []struct {
		who  *fprtest.TestUser
		path string
	}{
		{admin, "/api/v1/admin/users"}, {admin, "/api/v1/moderation/queue"}, {admin, "/api/v1/ops/errors"},
		{mod, "/api/v1/moderation/queue"},
	} {
		resp, body := env.Do(t, "GET", c.path, c.who.Token, nil)
		wantError(t, string(c.who.User.Role)+" GET "+c.path, resp, body, http.StatusForbidden, "forbidden", "")
		if msg := mustEnvelope(t, body).Error.Message; !strings.Contains(msg, "two-factor") {
			t.Errorf("%s: message %q, want it to say two-factor", c.path, msg)
		}
	}
	// Outside the staff routes an admin's power is withheld too: no farm
	// for someone else, no e-mail of others.
	resp, body := env.Do(t, "POST", "/api/v1/farms", admin.Token, map[string]string{"name": "Hill Farm", "region": "North", "description": "x"})
	wantError(t, "admin creates a farm", resp, body, http.StatusForbidden, "forbidden", "")
	// The account itself works: /me, and the setup.
	resp, body = env.Do(t, "GET", "/api/v1/me", admin.Token, nil)
	if resp.StatusCode != http.StatusOK || mustUser(t, body).Role != "admin" {
		t.Fatalf("admin GET /me = %d %s, want 200 with role admin", resp.StatusCode, body)
	}
	if resp, body := env.Do(t, "GET", "/api/v1/products", member.Token, nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("member GET /products = %d %s", resp.StatusCode, body)
	}

	enableMFA(t, env, admin, clock)
	enableMFA(t, env, mod, clock)
	for _, c := range []struct {
		who  *fprtest.TestUser
		path string
	}{{admin, "/api/v1/admin/users"}, {admin, "/api/v1/ops/errors"}, {mod, "/api/v1/moderation/queue"}} {
		if resp, body := env.Do(t, "GET", c.path, c.who.Token, nil); resp.StatusCode != http.StatusOK {
			t.Fatalf("%s GET %s with MFA = %d %s, want 200", c.who.User.Role, c.path, resp.StatusCode, body)
		}
	}
	resp, body = env.Do(t, "POST", "/api/v1/farms", admin.Token, map[string]string{"name": "Hill Farm", "region": "North", "description": "x"})
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("admin with MFA creates a farm = %d %s, want 201", resp.StatusCode, body)
	}
	// Admins see who has two-factor on.
	resp, body = env.Do(t, "GET", "/api/v1/admin/users?q="+member.User.Email, admin.Token, nil)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"mfa_enabled":false`) {
		t.Fatalf("admin user list = %d %s, want mfa_enabled", resp.StatusCode, body)
	}
}

// TestAPIMFA_StaffOptional: under the development default, staff without
// two-factor keep their powers (fpr serve --demo's admin works at once).
func TestAPIMFA_StaffOptional(t *testing.T) {
	t.Parallel()
	env := fprtest.New(t)
	admin := env.MustUser(t, fpr.RoleAdmin)
	if resp, body := env.Do(t, "GET", "/api/v1/admin/users", admin.Token, nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /admin/users = %d %s, want 200", resp.StatusCode, body)
	}
}

// TestAPIMFA_CodeOnceAcrossInstances: two servers on one database get the
// same code at the same moment, as a replaying attacker racing the owner
// would send it; exactly one login succeeds.
func TestAPIMFA_CodeOnceAcrossInstances(t *testing.T) {
	t.Parallel()
	one, clock := mfaEnv(t)
	two := fprtest.New(t, fprtest.WithClock(clock.Now), fprtest.WithConfig(func(c *app.Config) { c.DB = one.DB }))
	u := one.MustUser(t, fpr.RoleMember)
	secret, _ := enableMFA(t, one, u, clock)
	clock.Advance(fpr.TOTPPeriod)
	c := code(t, secret, clock)

	const n = 8
	statuses := make(chan int, n)
	var wg sync.WaitGroup
	for i := range n {
		env := []*fprtest.Env{one, two}[i%2]
		wg.Go(func() {
			resp, _ := env.Do(t, "POST", "/api/v1/auth/login", "", loginBody(u, u.Password, c))
			statuses <- resp.StatusCode
		})
	}
	wg.Wait()
	close(statuses)
	counts := map[int]int{}
	for s := range statuses {
		counts[s]++
	}
	// The others are refused: 401 mfa_required, or 429 once the refused
	// codes reach the account's failure limit.
	if counts[http.StatusOK] != 1 || counts[http.StatusUnauthorized]+counts[http.StatusTooManyRequests] != n-1 {
		t.Fatalf("%d concurrent logins with one code on two servers: %v, want one 200 and %d refusals (401 or 429)", n, counts, n-1)
	}
}
