package http_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fpr-team/fpr"
	"github.com/fpr-team/fpr/internal/fprtest"
	fprhttp "github.com/fpr-team/fpr/internal/http"
)

// envelope is the JSON error envelope.
type envelope struct {
	Error struct {
		Code    string            `json:"code"`
		Message string            `json:"message"`
		Fields  map[string]string `json:"fields"`
	} `json:"error"`
	RequestID string `json:"request_id"`
}

func mustEnvelope(t *testing.T, body []byte) envelope {
	t.Helper()
	var e envelope
	if err := json.Unmarshal(body, &e); err != nil {
		t.Fatalf("error body %s: %v", body, err)
	}
	return e
}

type userJSON struct {
	ID          string `json:"id"`
	Email       string `json:"email"`
	DisplayName string `json:"display_name"`
	Role        string `json:"role"`
	CreatedAt   string `json:"created_at"`
}

func mustUser(t *testing.T, body []byte) userJSON {
	t.Helper()
	var out struct {
		User userJSON `json:"user"`
	}
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatalf("user body %s: %v", body, err)
	}
	return out.User
}

const goodPassword = "Orchard-ladder-42-bramble"

func register(email, password, name string) map[string]string {
	return map[string]string{"email": email, "password": password, "display_name": name}
}

func TestAPIRegister_OK(t *testing.T) {
	t.Parallel()
	env := fprtest.New(t)
	resp, body := env.Do(t, "POST", "/api/v1/auth/register", "", register("  Ann@Example.org ", goodPassword, " Ann B "))
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("register = %d %s, want 201", resp.StatusCode, body)
	}
	u := mustUser(t, body)
	if u.Email != "Ann@Example.org" || u.DisplayName != "Ann B" || u.Role != "member" || u.ID == "" {
		t.Errorf("registered user = %+v, want Ann@Example.org, Ann B, member", u)
	}
	if _, err := time.Parse(time.RFC3339, u.CreatedAt); err != nil || !strings.HasSuffix(u.CreatedAt, "Z") {
		t.Errorf("created_at = %q, want RFC 3339 UTC", u.CreatedAt)
	}
	// The new account can log in, with the e-mail in any case.
	resp, body = env.Do(t, "POST", "/api/v1/auth/login", "", map[string]string{"email": "ANN@example.ORG", "password": goodPassword})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("login = %d %s, want 200", resp.StatusCode, body)
	}
	var login struct {
		Token     string   `json:"token"`
		ExpiresAt string   `json:"expires_at"`
		User      userJSON `json:"user"`
	}
	if err := json.Unmarshal(body, &login); err != nil {
		t.Fatal(err)
	}
	if login.User.ID != u.ID || login.Token == "" {
		t.Errorf("login = %+v, want a token for %s", login, u.ID)
	}
	if exp, err := time.Parse(time.RFC3339, login.ExpiresAt); err != nil || time.Until(exp) < 29*24*time.Hour {
		t.Errorf("expires_at = %q, want about 30 days ahead", login.ExpiresAt)
	}
	resp, body = env.Do(t, "GET", "/api/v1/me", login.Token, nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("me = %d %s", resp.StatusCode, body)
	}
	if diff := cmp.Diff(u, mustUser(t, body)); diff != "" {
		t.Errorf("GET /me differs from the registered user (-registered +me):\n%s", diff)
	}
}

func TestAPIRegister_Invalid(t *testing.T) {
	t.Parallel()
	env := fprtest.New(t)
	tests := []struct {
		name   string
		body   map[string]string
		fields map[string]string
	}{
		{"EmptyEmail", register("", goodPassword, "Ann"), map[string]string{"email": "Enter your e-mail address."}},
		{"BadEmail", register("ann.example.org", goodPassword, "Ann"), map[string]string{"email": "Enter an e-mail address like ann@example.org."}},
		{"EmailWithName", register("Ann <ann@example.org>", goodPassword, "Ann"), map[string]string{"email": "Enter an e-mail address like ann@example.org."}},
		{"ShortPassword", register("ann@example.org", "Sh0rt!", "Ann"), map[string]string{"password": "Use at least 10 characters."}},
		{"CommonPassword", register("ann@example.org", "password123", "Ann"), map[string]string{"password": "This password is too common or too easy to guess. Try a few unrelated words or a longer phrase."}},
		{"KeyboardPassword", register("ann@example.org", "qwertyuiop", "Ann"), map[string]string{"password": "This password is too common or too easy to guess. Try a few unrelated words or a longer phrase."}},
		{"ILoveYou", register("ann@example.org", "iloveyou12", "Ann"), map[string]string{"password": "This password is too common or too easy to guess. Try a few unrelated words or a longer phrase."}},
		{"PasswordLikeEmail", register("bramblefield@example.org", "Bramblefield-2026", "Ann"), map[string]string{"password": "This password is too close to your e-mail address or display name."}},
		{"PasswordLikeName", register("ann@example.org", "xXRosalindXx-77", "Rosalind"), map[string]string{"password": "This password is too close to your e-mail address or display name."}},
		{"EmptyName", register("ann@example.org", goodPassword, "   "), map[string]string{"display_name": "Enter a display name."}},
		{"LongName", register("ann@example.org", goodPassword, strings.Repeat("n", 61)), map[string]string{"display_name": "Use at most 60 characters."}},
		{"Everything", register("nope", "short", ""), map[string]string{"email": "Enter an e-mail address like ann@example.org.", "password": "Use at least 10 characters.", "display_name": "Enter a display name."}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := env.Do(t, "POST", "/api/v1/auth/register", "", tt.body)
			if resp.StatusCode != http.StatusUnprocessableEntity {
				t.Fatalf("register = %d %s, want 422", resp.StatusCode, body)
			}
			e := mustEnvelope(t, body)
			if diff := cmp.Diff(tt.fields, e.Error.Fields); diff != "" {
				t.Errorf("fields (-want +got):\n%s", diff)
			}
		})
	}
	// None of them made an account.
	admin := env.MustUser(t, fpr.RoleAdmin)
	resp, body := env.Do(t, "GET", "/api/v1/admin/users", admin.Token, nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("list users = %d %s", resp.StatusCode, body)
	}
	var list struct{ Items []userJSON }
	if err := json.Unmarshal(body, &list); err != nil {
		t.Fatal(err)
	}
	if len(list.Items) != 1 {
		t.Errorf("%d users after invalid registrations, want 1 (the admin): %+v", len(list.Items), list.Items)
	}
}

func TestAPIRegister_Conflict(t *testing.T) {
	t.Parallel()
	env := fprtest.New(t)
	if resp, body := env.Do(t, "POST", "/api/v1/auth/register", "", register("ann@example.org", goodPassword, "Ann")); resp.StatusCode != http.StatusCreated {
		t.Fatalf("register = %d %s", resp.StatusCode, body)
	}
	for _, email := range []string{"ann@example.org", "ANN@Example.Org", " ann@example.org "} {
		resp, body := env.Do(t, "POST", "/api/v1/auth/register", "", register(email, "Lantern-gravel-88-turnip", "Other Ann"))
		if resp.StatusCode != http.StatusConflict {
			t.Errorf("register %q again = %d %s, want 409", email, resp.StatusCode, body)
			continue
		}
		if e := mustEnvelope(t, body); e.Error.Fields["email"] != "This e-mail address is already registered." {
			t.Errorf("register %q again: fields = %v", email, e.Error.Fields)
		}
	}
	// The first account's password still works; the second one's does not.
	if resp, _ := env.Do(t, "POST", "/api/v1/auth/login", "", map[string]string{"email": "ann@example.org", "password": "Lantern-gravel-88-turnip"}); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("login with the refused registration's password = %d, want 401", resp.StatusCode)
	}
}

// TestAPIRegister_Concurrent: twenty registrations of one e-mail at once
// make exactly one account.
func TestAPIRegister_Concurrent(t *testing.T) {
	t.Parallel()
	env := fprtest.New(t)
	const n = 20
	statuses := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			resp, _ := env.Do(t, "POST", "/api/v1/auth/register", "", register([]string{"race@example.org", "Race@Example.org", "RACE@example.org"}[i%3], goodPassword, fmt.Sprintf("Racer %d", i)))
			statuses[i] = resp.StatusCode
		})
	}
	wg.Wait()
	count := map[int]int{}
	for _, s := range statuses {
		count[s]++
	}
	if want := map[int]int{201: 1, 409: n - 1}; !cmp.Equal(count, want) {
		t.Errorf("statuses = %v, want %v", count, want)
	}
}

// reply is a response whose body has been read.
type reply struct {
	StatusCode int
	Header     http.Header
}

// doKeyed sends a registration with an Idempotency-Key.
func doKeyed(t *testing.T, env *fprtest.Env, key string, body any) (reply, []byte) {
	t.Helper()
	data, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest("POST", env.URL+"/api/v1/auth/register", bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	resp, err := env.Client(t).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(resp.Body); err != nil {
		t.Fatal(err)
	}
	return reply{resp.StatusCode, resp.Header}, buf.Bytes()
}

func TestAPIRegister_Idempotent(t *testing.T) {
	t.Parallel()
	env := fprtest.New(t)
	reg := register("ann@example.org", goodPassword, "Ann")

	first, firstBody := doKeyed(t, env, "key-1", reg)
	if first.StatusCode != http.StatusCreated {
		t.Fatalf("first = %d %s, want 201", first.StatusCode, firstBody)
	}
	if first.Header.Get("Idempotent-Replayed") != "" {
		t.Errorf("first response has Idempotent-Replayed")
	}
	retry, retryBody := doKeyed(t, env, "key-1", reg)
	if retry.StatusCode != http.StatusCreated || !bytes.Equal(retryBody, firstBody) {
		t.Errorf("retry = %d %s, want the first response 201 %s", retry.StatusCode, retryBody, firstBody)
	}
	if retry.Header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("retry Idempotent-Replayed = %q, want true", retry.Header.Get("Idempotent-Replayed"))
	}
	if a, b := first.Header.Get("X-Request-ID"), retry.Header.Get("X-Request-ID"); a == b || b == "" {
		t.Errorf("retry X-Request-ID = %q, first %q: want a fresh one", b, a)
	}

	// The same key with another body is 422, and creates nothing.
	other := register("bob@example.org", goodPassword, "Bob")
	resp, body := doKeyed(t, env, "key-1", other)
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("same key, other body = %d %s, want 422", resp.StatusCode, body)
	}
	if e := mustEnvelope(t, body); !strings.Contains(e.Error.Message, "Idempotency-Key") {
		t.Errorf("message = %q, want it to name the Idempotency-Key", e.Error.Message)
	}
	if _, err := env.DB.FindUserByEmail(env.Ctx(nil), "bob@example.org"); fpr.ErrorCode(err) != fpr.CodeNotFound {
		t.Errorf("bob after the refused request: %v, want not_found", err)
	}

	// Without a key, the same body is a plain second registration: 409.
	if resp, body := doKeyed(t, env, "", reg); resp.StatusCode != http.StatusConflict {
		t.Errorf("no key = %d %s, want 409", resp.StatusCode, body)
	}

	// A 4xx answer is stored too, and replayed with this request's ID.
	bad := register("carol@example.org", "short", "Carol")
	resp1, body1 := doKeyed(t, env, "key-2", bad)
	resp2, body2 := doKeyed(t, env, "key-2", bad)
	if resp1.StatusCode != 422 || resp2.StatusCode != 422 || resp2.Header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("invalid then retried = %d, %d (replayed %q); want 422 twice, the second replayed",
			resp1.StatusCode, resp2.StatusCode, resp2.Header.Get("Idempotent-Replayed"))
	}
	if e := mustEnvelope(t, body2); e.RequestID != resp2.Header.Get("X-Request-ID") || e.Error.Fields["password"] != mustEnvelope(t, body1).Error.Fields["password"] {
		t.Errorf("replayed envelope %s, want the first's fields with request_id %s", body2, resp2.Header.Get("X-Request-ID"))
	}

	// A key is 1–255 characters.
	if resp, body := doKeyed(t, env, strings.Repeat("k", 256), register("dan@example.org", goodPassword, "Dan")); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("256-character key = %d %s, want 400", resp.StatusCode, body)
	}
}

// TestAPIRegister_IdempotentConcurrent: concurrent retries of one keyed
// request make one account, and every answer is that account (201): a
// twin that finds the key taken when it comes to write, or the e-mail
// taken before, replays the first's response.
func TestAPIRegister_IdempotentConcurrent(t *testing.T) {
	t.Parallel()
	env := fprtest.New(t)
	reg := register("ann@example.org", goodPassword, "Ann")
	const n = 8
	bodies := make([][]byte, n)
	statuses := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			resp, body := doKeyed(t, env, "same-key", reg)
			statuses[i], bodies[i] = resp.StatusCode, body
		})
	}
	wg.Wait()
	var created []byte
	for i := range n {
		if statuses[i] == http.StatusCreated {
			if created != nil && !bytes.Equal(created, bodies[i]) {
				t.Errorf("two different 201 bodies: %s and %s", created, bodies[i])
			}
			created = bodies[i]
		} else {
			t.Errorf("status %d %s, want 201", statuses[i], bodies[i])
		}
	}
	if created == nil {
		t.Errorf("no request got 201: %v", statuses)
	}
}

func TestAPILogin_OneMessage(t *testing.T) {
	t.Parallel()
	env := fprtest.New(t)
	ann := env.MustUser(t, fpr.RoleMember)
	wrongPassword, wpBody := env.Do(t, "POST", "/api/v1/auth/login", "", map[string]string{"email": ann.User.Email, "password": "Not-the-password-9"})
	unknown, unBody := env.Do(t, "POST", "/api/v1/auth/login", "", map[string]string{"email": "nobody@example.org", "password": ann.Password})
	if wrongPassword.StatusCode != http.StatusUnauthorized || unknown.StatusCode != http.StatusUnauthorized {
		t.Fatalf("wrong password = %d, unknown e-mail = %d; want 401 for both", wrongPassword.StatusCode, unknown.StatusCode)
	}
	a, b := mustEnvelope(t, wpBody), mustEnvelope(t, unBody)
	if !cmp.Equal(a.Error, b.Error) || a.Error.Message != "The e-mail or password is not right." {
		t.Errorf("wrong password says %+v, unknown e-mail says %+v; want the same, \"The e-mail or password is not right.\"", a.Error, b.Error)
	}
	// Empty credentials get the same answer.
	if resp, body := env.Do(t, "POST", "/api/v1/auth/login", "", map[string]string{"email": "", "password": ""}); resp.StatusCode != http.StatusUnauthorized || !cmp.Equal(mustEnvelope(t, body).Error, a.Error) {
		t.Errorf("empty login = %d %s, want the same 401", resp.StatusCode, body)
	}
}

// checkRetryAfter checks a 429 and its Retry-After header.
func checkRetryAfter(t *testing.T, resp reply, body []byte, min, max int) {
	t.Helper()
	if resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("status = %d %s, want 429", resp.StatusCode, body)
	}
	secs, err := strconv.Atoi(resp.Header.Get("Retry-After"))
	if err != nil || secs < min || secs > max {
		t.Errorf("Retry-After = %q, want %d–%d seconds", resp.Header.Get("Retry-After"), min, max)
	}
	if e := mustEnvelope(t, body); e.Error.Code != "rate_limited" {
		t.Errorf("code = %q, want rate_limited", e.Error.Code)
	}
}

// TestAPILogin_StrangerCannotLockOwner reproduces issue 10's attack over
// the API: wrong passwords from one address lock only that (account,
// address) pair with growing delays, re-locking after expiry still does
// not block the owner elsewhere, each failure is in the audit log, and
// `fpr user unlock` (DB.UnlockLogin) clears the pair.
func TestAPILogin_StrangerCannotLockOwner(t *testing.T) {
	t.Parallel()
	clk := fprtest.NewClock(time.Date(2026, 5, 10, 12, 0, 0, 0, time.UTC))
	env := fprtest.New(t, fprtest.WithClock(clk.Now), fprtest.WithLoopbackProxy())
	ann := env.MustUser(t, fpr.RoleAdmin)
	const attacker, owner = "192.0.2.66", "198.51.100.7"
	login := func(addr, password string) (reply, []byte) {
		resp, body := env.DoFrom(t, addr, "POST", "/api/v1/auth/login", "", map[string]string{"email": ann.User.Email, "password": password})
		return reply{resp.StatusCode, resp.Header}, body
	}
	for i := range fpr.LoginPairLimit {
		if resp, body := login(attacker, fmt.Sprintf("Wrong-password-%d", i)); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("failure %d = %d %s, want 401", i+1, resp.StatusCode, body)
		}
	}
	resp, body := login(attacker, ann.Password)
	checkRetryAfter(t, resp, body, 60, 60)
	if resp, body := login(owner, ann.Password); resp.StatusCode != http.StatusOK {
		t.Fatalf("the owner's login from another address = %d %s, want 200", resp.StatusCode, body)
	}
	// Re-locked the moment the delay ends: a longer delay, owner unaffected.
	clk.Advance(time.Minute)
	if resp, body := login(attacker, "Wrong-password-again"); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("the attacker after expiry = %d %s, want 401", resp.StatusCode, body)
	}
	resp, body = login(attacker, ann.Password)
	checkRetryAfter(t, resp, body, 120, 120)
	if resp, body := login(owner, ann.Password); resp.StatusCode != http.StatusOK {
		t.Fatalf("the owner's login after the re-lock = %d %s, want 200", resp.StatusCode, body)
	}
	// Every failure is audited against the account, from the attacker's address.
	entries, _, err := env.DB.FindAuditEntries(env.Ctx(ann.User), fpr.AuditFilter{Action: string(fpr.AuditLoginFailed), Target: "user:" + ann.User.ID})
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != fpr.LoginPairLimit+1 {
		t.Errorf("login.failed entries = %d, want %d", len(entries), fpr.LoginPairLimit+1)
	}
	for _, e := range entries {
		if e.Address != attacker || e.Actor != nil {
			t.Errorf("login.failed entry %+v: want address %s and no actor", e, attacker)
		}
	}
	if n, err := env.DB.UnlockLogin(env.Ctx(nil), ann.User.Email); err != nil || n != 1 {
		t.Fatalf("UnlockLogin = %d, %v; want 1", n, err)
	}
	if resp, body := login(attacker, ann.Password); resp.StatusCode != http.StatusOK {
		t.Errorf("login from the attacker's address after unlock = %d %s, want 200", resp.StatusCode, body)
	}
}

func TestAPILogin_ThrottlePerAddress(t *testing.T) {
	t.Parallel()
	clk := fprtest.NewClock(time.Date(2026, 5, 10, 12, 0, 0, 0, time.UTC))
	env := fprtest.New(t, fprtest.WithClock(clk.Now), fprtest.WithLoopbackProxy())
	env.Auth.AddrLimit = 4
	ann := env.MustUser(t, fpr.RoleMember)
	const guesser = "192.0.2.66"
	// Four different unknown accounts from one address.
	for i := range 4 {
		resp, body := env.DoFrom(t, guesser, "POST", "/api/v1/auth/login", "", map[string]string{"email": fmt.Sprintf("guess%d@example.org", i), "password": "Wrong-password-1"})
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("failure %d = %d %s, want 401", i+1, resp.StatusCode, body)
		}
	}
	// Now even a right password from this address waits; from another it does not.
	resp, body := env.DoFrom(t, guesser, "POST", "/api/v1/auth/login", "", map[string]string{"email": ann.User.Email, "password": ann.Password})
	checkRetryAfter(t, reply{resp.StatusCode, resp.Header}, body, 60, 60)
	if resp, body := env.DoFrom(t, "198.51.100.7", "POST", "/api/v1/auth/login", "", map[string]string{"email": ann.User.Email, "password": ann.Password}); resp.StatusCode != http.StatusOK {
		t.Errorf("login from another address = %d %s, want 200", resp.StatusCode, body)
	}
	clk.Advance(time.Minute)
	if resp, body := env.DoFrom(t, guesser, "POST", "/api/v1/auth/login", "", map[string]string{"email": ann.User.Email, "password": ann.Password}); resp.StatusCode != http.StatusOK {
		t.Errorf("login after the delay = %d %s, want 200", resp.StatusCode, body)
	}
}

func TestAPILogout(t *testing.T) {
	t.Parallel()
	env := fprtest.New(t)
	ann := env.MustUser(t, fpr.RoleMember)
	// A second token of the same user outlives the first's logout.
	resp, body := env.Do(t, "POST", "/api/v1/auth/login", "", map[string]string{"email": ann.User.Email, "password": ann.Password})
	if resp.StatusCode != http.StatusOK {
		t.Fatal(resp.StatusCode, string(body))
	}
	var other struct{ Token string }
	if err := json.Unmarshal(body, &other); err != nil {
		t.Fatal(err)
	}
	if resp, body := env.Do(t, "POST", "/api/v1/auth/logout", ann.Token, nil); resp.StatusCode != http.StatusNoContent || len(body) != 0 {
		t.Fatalf("logout = %d %q, want 204 and no body", resp.StatusCode, body)
	}
	for _, tt := range []struct {
		name, method, path string
	}{{"Me", "GET", "/api/v1/me"}, {"LogoutAgain", "POST", "/api/v1/auth/logout"}} {
		resp, body := env.Do(t, tt.method, tt.path, ann.Token, nil)
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s with the revoked token = %d %s, want 401", tt.name, resp.StatusCode, body)
		}
	}
	if resp, body := env.Do(t, "GET", "/api/v1/me", other.Token, nil); resp.StatusCode != http.StatusOK {
		t.Errorf("me with the other token = %d %s, want 200", resp.StatusCode, body)
	}
	if resp, _ := env.Do(t, "POST", "/api/v1/auth/logout", "", nil); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("logout without a token = %d, want 401", resp.StatusCode)
	}
}

func TestAPIMe_ExpiredToken(t *testing.T) {
	t.Parallel()
	clk := fprtest.NewClock(time.Date(2026, 5, 10, 12, 0, 0, 0, time.UTC))
	env := fprtest.New(t, fprtest.WithClock(clk.Now))
	ann := env.MustUser(t, fpr.RoleMember)
	clk.Advance(30*24*time.Hour - time.Second)
	if resp, body := env.Do(t, "GET", "/api/v1/me", ann.Token, nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("me just before expiry = %d %s, want 200", resp.StatusCode, body)
	}
	clk.Advance(time.Second)
	resp, body := env.Do(t, "GET", "/api/v1/me", ann.Token, nil)
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("me at expiry = %d %s, want 401", resp.StatusCode, body)
	}
	for name, h := range map[string]string{"Garbage": "Bearer not-a-token", "Empty": "Bearer ", "Basic": "Basic YWxhZGRpbjpvcGVuc2VzYW1l"} {
		req, _ := http.NewRequest("GET", env.URL+"/api/v1/me", nil)
		req.Header.Set("Authorization", h)
		resp, err := env.Client(t).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s Authorization = %d, want 401", name, resp.StatusCode)
		}
	}
}

func TestAPIPasswordChange(t *testing.T) {
	t.Parallel()
	env := fprtest.New(t)
	ann := env.MustUser(t, fpr.RoleMember)
	bob := env.MustUser(t, fpr.RoleMember)
	const next = "Lantern-gravel-88-turnip"

	resp, body := env.Do(t, "POST", "/api/v1/me/password", ann.Token, map[string]string{"current_password": "Not-my-password-1", "new_password": next})
	if resp.StatusCode != http.StatusUnprocessableEntity || mustEnvelope(t, body).Error.Fields["current_password"] == "" {
		t.Errorf("wrong current = %d %s, want 422 on current_password", resp.StatusCode, body)
	}
	resp, body = env.Do(t, "POST", "/api/v1/me/password", ann.Token, map[string]string{"current_password": ann.Password, "new_password": "iloveyou12"})
	if resp.StatusCode != http.StatusUnprocessableEntity || mustEnvelope(t, body).Error.Fields["new_password"] == "" {
		t.Errorf("weak new = %d %s, want 422 on new_password", resp.StatusCode, body)
	}
	if resp, _ := env.Do(t, "POST", "/api/v1/me/password", "", map[string]string{"current_password": ann.Password, "new_password": next}); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("anonymous = %d, want 401", resp.StatusCode)
	}
	if resp, body := env.Do(t, "POST", "/api/v1/me/password", ann.Token, map[string]string{"current_password": ann.Password, "new_password": next}); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("change = %d %s, want 204", resp.StatusCode, body)
	}
	if resp, _ := env.Do(t, "GET", "/api/v1/me", ann.Token, nil); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("me with a token from before the change = %d, want 401", resp.StatusCode)
	}
	if resp, _ := env.Do(t, "GET", "/api/v1/me", bob.Token, nil); resp.StatusCode != http.StatusOK {
		t.Errorf("another user's token after the change = %d, want 200", resp.StatusCode)
	}
	if resp, _ := env.Do(t, "POST", "/api/v1/auth/login", "", map[string]string{"email": ann.User.Email, "password": next}); resp.StatusCode != http.StatusOK {
		t.Errorf("login with the new password = %d, want 200", resp.StatusCode)
	}
}

func TestAPIAdminUsers(t *testing.T) {
	t.Parallel()
	clk := fprtest.NewClock(time.Now())
	env := fprtest.New(t, fprtest.WithClock(clk.Now))
	// IDs order by millisecond: step the clock so "newest first" is exact.
	admin := env.MustUser(t, fpr.RoleAdmin)
	clk.Advance(time.Millisecond)
	member := env.MustUser(t, fpr.RoleMember)
	clk.Advance(time.Millisecond)
	moderator := env.MustUser(t, fpr.RoleModerator)

	t.Run("ListForbidden", func(t *testing.T) {
		for name, tok := range map[string]string{"Member": member.Token, "Moderator": moderator.Token} {
			if resp, body := env.Do(t, "GET", "/api/v1/admin/users", tok, nil); resp.StatusCode != http.StatusForbidden {
				t.Errorf("%s lists users = %d %s, want 403", name, resp.StatusCode, body)
			}
		}
		if resp, _ := env.Do(t, "GET", "/api/v1/admin/users", "", nil); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("anonymous lists users = %d, want 401", resp.StatusCode)
		}
	})
	t.Run("ListPages", func(t *testing.T) {
		var all []userJSON
		cursor := ""
		for page := 0; ; page++ {
			path := "/api/v1/admin/users?limit=2"
			if cursor != "" {
				path += "&cursor=" + cursor
			}
			resp, body := env.Do(t, "GET", path, admin.Token, nil)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("page %d = %d %s", page, resp.StatusCode, body)
			}
			var out struct {
				Items      []userJSON
				NextCursor *string `json:"next_cursor"`
			}
			if err := json.Unmarshal(body, &out); err != nil {
				t.Fatal(err)
			}
			all = append(all, out.Items...)
			if out.NextCursor == nil {
				break
			}
			cursor = *out.NextCursor
		}
		var got []string
		for _, u := range all {
			got = append(got, u.Email)
		}
		want := []string{moderator.User.Email, member.User.Email, admin.User.Email} // newest first
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("users (-want +got):\n%s", diff)
		}
	})
	t.Run("ListQuery", func(t *testing.T) {
		resp, body := env.Do(t, "GET", "/api/v1/admin/users?q="+url.QueryEscape(strings.ToUpper(moderator.User.DisplayName[5:])), admin.Token, nil)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("query = %d %s", resp.StatusCode, body)
		}
		var out struct{ Items []userJSON }
		if err := json.Unmarshal(body, &out); err != nil {
			t.Fatal(err)
		}
		if len(out.Items) != 1 || out.Items[0].ID != moderator.User.ID {
			t.Errorf("q=%s found %+v, want the moderator", moderator.User.DisplayName[5:], out.Items)
		}
		for _, q := range []string{"%", "_"} {
			resp, body := env.Do(t, "GET", "/api/v1/admin/users?q="+url.QueryEscape(q), admin.Token, nil)
			var out struct{ Items []userJSON }
			if err := json.Unmarshal(body, &out); err != nil || resp.StatusCode != 200 || len(out.Items) != 0 {
				t.Errorf("q=%s = %d, %d users; want 200 and none (wildcards are literal)", q, resp.StatusCode, len(out.Items))
			}
		}
	})
	t.Run("ListBadPage", func(t *testing.T) {
		for _, q := range []string{"limit=0", "limit=101", "limit=x", "cursor=garbage"} {
			if resp, body := env.Do(t, "GET", "/api/v1/admin/users?"+q, admin.Token, nil); resp.StatusCode != http.StatusUnprocessableEntity {
				t.Errorf("%s = %d %s, want 422", q, resp.StatusCode, body)
			}
		}
	})
	t.Run("RoleChange", func(t *testing.T) {
		path := "/api/v1/admin/users/" + member.User.ID
		if resp, body := env.Do(t, "PATCH", path, member.Token, map[string]string{"role": "admin"}); resp.StatusCode != http.StatusForbidden {
			t.Errorf("member promotes self = %d %s, want 403", resp.StatusCode, body)
		}
		if resp, body := env.Do(t, "PATCH", path, moderator.Token, map[string]string{"role": "producer"}); resp.StatusCode != http.StatusForbidden {
			t.Errorf("moderator changes a role = %d %s, want 403", resp.StatusCode, body)
		}
		if resp, body := env.Do(t, "PATCH", path, admin.Token, map[string]string{"role": "owner"}); resp.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("unknown role = %d %s, want 422", resp.StatusCode, body)
		}
		if resp, body := env.Do(t, "PATCH", "/api/v1/admin/users/nobody", admin.Token, map[string]string{"role": "producer"}); resp.StatusCode != http.StatusNotFound {
			t.Errorf("unknown user = %d %s, want 404", resp.StatusCode, body)
		}
		resp, body := env.Do(t, "PATCH", path, admin.Token, map[string]string{"role": "producer"})
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("admin sets producer = %d %s, want 200", resp.StatusCode, body)
		}
		if u := mustUser(t, body); u.Role != "producer" || u.Email != member.User.Email {
			t.Errorf("changed user = %+v, want role producer with e-mail", u)
		}
		// The member's existing token now acts as a producer.
		if resp, body := env.Do(t, "GET", "/api/v1/me", member.Token, nil); mustUser(t, body).Role != "producer" {
			t.Errorf("me after promotion = %d %s, want role producer", resp.StatusCode, body)
		}
		resp, body = env.Do(t, "PATCH", "/api/v1/admin/users/"+admin.User.ID, admin.Token, map[string]string{"role": "member"})
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("admin demotes self = %d %s, want 403", resp.StatusCode, body)
		}
		if resp, body := env.Do(t, "GET", "/api/v1/me", admin.Token, nil); mustUser(t, body).Role != "admin" {
			t.Errorf("admin after refused self-demotion = %d %s, want still admin", resp.StatusCode, body)
		}
	})
}

// TestAPIUser_EmailVisibility: the e-mail goes only to the user and admins.
func TestAPIUser_EmailVisibility(t *testing.T) {
	t.Parallel()
	env := fprtest.New(t)
	admin := env.MustUser(t, fpr.RoleAdmin)
	member := env.MustUser(t, fpr.RoleMember)
	if _, body := env.Do(t, "GET", "/api/v1/me", member.Token, nil); mustUser(t, body).Email != member.User.Email {
		t.Errorf("me has no e-mail: %s", body)
	}
	_, body := env.Do(t, "GET", "/api/v1/admin/users", admin.Token, nil)
	if !bytes.Contains(body, []byte(member.User.Email)) {
		t.Errorf("admin list lacks e-mails: %s", body)
	}
}

// TestAPIErrors_Envelope: each error code the accounts API produces comes
// in the envelope with request_id equal to X-Request-ID (the validating
// client checks that part on every response).
func TestAPIErrors_Envelope(t *testing.T) {
	t.Parallel()
	env := fprtest.New(t)
	ann := env.MustUser(t, fpr.RoleMember)
	tests := []struct {
		name   string
		method string
		path   string
		body   string
		status int
		code   string
	}{
		{"UnknownField", "POST", "/api/v1/auth/login", `{"email":"a@example.org","password":"x","remember":true}`, 400, "bad_request"},
		{"TrailingData", "POST", "/api/v1/auth/login", `{"email":"a@example.org","password":"x"} {}`, 400, "bad_request"},
		{"WrongType", "POST", "/api/v1/auth/register", `{"email":42,"password":"x","display_name":"A"}`, 400, "bad_request"},
		{"NotJSON", "POST", "/api/v1/auth/register", `email=a`, 400, "bad_request"},
		{"EmptyBody", "POST", "/api/v1/auth/login", ``, 400, "bad_request"},
		{"TooLarge", "POST", "/api/v1/auth/register", `{"email":"` + strings.Repeat("a", 70<<10) + `"}`, 413, "payload_too_large"},
		{"Unauthenticated", "GET", "/api/v1/me", ``, 401, "unauthenticated"},
		{"UnknownRoute", "GET", "/api/v1/no/such/thing", ``, 404, "not_found"},
		{"Invalid", "POST", "/api/v1/auth/register", `{"email":"x","password":"x","display_name":"x"}`, 422, "validation_failed"},
		{"Conflict", "POST", "/api/v1/auth/register", `{"email":"` + ann.User.Email + `","password":"` + goodPassword + `","display_name":"x"}`, 409, "conflict"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := env.Do(t, tt.method, tt.path, "", tt.body)
			if resp.StatusCode != tt.status {
				t.Fatalf("status = %d %s, want %d", resp.StatusCode, body, tt.status)
			}
			e := mustEnvelope(t, body)
			if e.Error.Code != tt.code || e.Error.Message == "" {
				t.Errorf("envelope = %+v, want code %s and a message", e, tt.code)
			}
			if id := resp.Header.Get("X-Request-ID"); id == "" || e.RequestID != id {
				t.Errorf("request_id = %q, X-Request-ID = %q; want equal and set", e.RequestID, id)
			}
		})
	}
}

// TestAPI_CrossOriginCookie: a cookie-authenticated POST from another
// origin is refused with 403, and changes nothing.
func TestAPI_CrossOriginCookie(t *testing.T) {
	t.Parallel()
	env := fprtest.New(t)
	ann := env.MustUser(t, fpr.RoleMember)
	sess, err := env.Auth.OpenSession(env.Ctx(nil), ann.User.ID, fpr.SessionWeb)
	if err != nil {
		t.Fatal(err)
	}
	send := func(origin string) int {
		req, _ := http.NewRequest("POST", env.URL+"/api/v1/auth/logout", nil)
		req.AddCookie(&http.Cookie{Name: fprhttp.SessionCookie, Value: sess.Token, HttpOnly: true, Secure: true, SameSite: http.SameSiteLaxMode})
		req.Header.Set("Origin", origin)
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		if origin == env.URL {
			req.Header.Set("Sec-Fetch-Site", "same-origin")
		}
		resp, err := env.Client(t).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if status := send("https://evil.example"); status != http.StatusForbidden {
		t.Fatalf("cross-origin logout = %d, want 403", status)
	}
	if _, _, err := env.Auth.Authenticate(env.Ctx(nil), sess.Token); err != nil {
		t.Errorf("session after the refused cross-origin logout: %v", err)
	}
	if status := send(env.URL); status != http.StatusNoContent {
		t.Errorf("same-origin logout = %d, want 204", status)
	}
	if _, _, err := env.Auth.Authenticate(env.Ctx(nil), sess.Token); fpr.ErrorCode(err) != fpr.CodeUnauthenticated {
		t.Errorf("session after logout: %v, want unauthenticated", err)
	}
}
