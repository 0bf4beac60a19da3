package http_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/fpr-team/fpr"
	"github.com/fpr-team/fpr/internal/app"
	"github.com/fpr-team/fpr/internal/fprtest"
	fprhttp "github.com/fpr-team/fpr/internal/http"
)

type sessionJSON struct {
	ID         string `json:"id"`
	Current    bool   `json:"current"`
	CreatedAt  string `json:"created_at"`
	LastUsedAt string `json:"last_used_at"`
	UserAgent  string `json:"user_agent"`
	Address    string `json:"address"`
}

func mustSessions(t *testing.T, env *fprtest.Env, token string) []sessionJSON {
	t.Helper()
	resp, body := env.Do(t, "GET", "/api/v1/me/sessions", token, nil)
	wantStatus(t, "GET /me/sessions", resp, body, http.StatusOK)
	return mustDecode[struct {
		Items []sessionJSON `json:"items"`
	}](t, body).Items
}

// TestSessions_ListAndRevoke: a user sees every session and token with
// the current one marked, and ending one logs that device out, through
// the API and from the account page.
func TestSessions_ListAndRevoke(t *testing.T) {
	t.Parallel()
	env := fprtest.New(t)
	u := env.MustUser(t, fpr.RoleMember) // one API token
	b := newBrowser(t, env)
	b.login(u) // one web session
	other := env.MustUser(t, fpr.RoleMember)

	list := mustSessions(t, env, u.Token)
	if len(list) != 2 {
		t.Fatalf("sessions = %+v, want the token and the web session", list)
	}
	var apiID, webID string
	for _, s := range list {
		if s.Current {
			apiID = s.ID
		} else {
			webID = s.ID
		}
		if s.Address != "127.0.0.1" || s.UserAgent == "" {
			t.Errorf("session %+v, want the client's address and user agent", s)
		}
	}
	if apiID == "" || webID == "" {
		t.Fatalf("sessions = %+v, want exactly one current", list)
	}

	// The account page lists both, this browser's marked, each with a
	// button that ends it.
	p := b.get("/account")
	if p.find("#session-table tbody tr").Length() != 2 || !p.find("#session-"+webID).HasClass("current") ||
		p.find("#session-end-"+apiID).Length() != 1 {
		t.Fatalf("account page sessions: %q", p.text("#sessions"))
	}
	// Ending the API token from the page: the token stops working.
	p = b.post("/account/sessions/"+apiID+"/delete", nil)
	if p.StatusCode != http.StatusSeeOther || !strings.HasPrefix(p.Header.Get("Location"), "/account") {
		t.Fatalf("end session from the page = %d %s", p.StatusCode, p.Header.Get("Location"))
	}
	if resp, body := env.Do(t, "GET", "/api/v1/me", u.Token, nil); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("ended token = %d %s, want 401", resp.StatusCode, body)
	}
	// Another user cannot end this user's session: 404, and it lives on.
	if resp, body := env.Do(t, "DELETE", "/api/v1/me/sessions/"+webID, other.Token, nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("another user's DELETE = %d %s, want 404", resp.StatusCode, body)
	}
	if p := b.get("/account"); p.StatusCode != http.StatusOK {
		t.Fatalf("the web session after a stranger's attempt = %d, want 200", p.StatusCode)
	}
	// Ending it through the API (a new token of the user's) logs the
	// browser out.
	resp, body := env.Do(t, "POST", "/api/v1/auth/login", "", map[string]string{"email": u.User.Email, "password": u.Password})
	wantStatus(t, "log in again", resp, body, http.StatusOK)
	token := mustDecode[struct {
		Token string `json:"token"`
	}](t, body).Token
	resp, body = env.Do(t, "DELETE", "/api/v1/me/sessions/"+webID, token, nil)
	wantStatus(t, "DELETE the web session", resp, body, http.StatusNoContent)
	if p := b.get("/account"); p.StatusCode != http.StatusSeeOther {
		t.Errorf("GET /account after its session ended = %d, want 303 to log in", p.StatusCode)
	}
	for _, bad := range []string{"nope", strings.Repeat("z", 26), webID} {
		if resp, body := env.Do(t, "DELETE", "/api/v1/me/sessions/"+bad, token, nil); resp.StatusCode != http.StatusNotFound {
			t.Errorf("DELETE /me/sessions/%s = %d %s, want 404", bad, resp.StatusCode, body)
		}
	}
}

// TestSessions_Lifetime reproduces issue 10: a web session whose login was
// 365 days ago still worked, since every use extended it. A web session
// now ends 14 days after its last use and 30 days after its login,
// however often it is used.
func TestSessions_Lifetime(t *testing.T) {
	t.Parallel()
	// The clock starts now: the cookie jar drops cookies whose expiry (set
	// from the server's clock) is past in real time.
	clock := fprtest.NewClock(time.Now().UTC())
	env := fprtest.New(t, fprtest.WithClock(clock.Now))
	u := env.MustUser(t, fpr.RoleMember)

	// Used every 10 days: alive until 30 days after login, then gone.
	b := newBrowser(t, env)
	b.login(u)
	for day := 10; day <= 40; day += 10 {
		clock.Advance(10 * 24 * time.Hour)
		p := b.get("/account")
		alive := day < 30
		if (p.StatusCode == http.StatusOK) != alive {
			t.Errorf("day %d after login, used every 10 days: GET /account = %d, want alive=%v", day, p.StatusCode, alive)
		}
	}

	// Unused for 14 days: gone.
	idle := newBrowser(t, env)
	idle.login(u)
	clock.Advance(13 * 24 * time.Hour)
	if p := idle.get("/account"); p.StatusCode != http.StatusOK {
		t.Fatalf("13 days idle: %d, want alive", p.StatusCode)
	}
	clock.Advance(14*24*time.Hour + time.Minute)
	if p := idle.get("/account"); p.StatusCode != http.StatusSeeOther {
		t.Errorf("14 days idle: %d, want ended (303 to log in)", p.StatusCode)
	}
}

// TestSessions_HostCookieAndHSTS: over https the session cookie is
// __Host- prefixed (Secure, Path=/, no Domain) and every response carries
// HSTS; over plain http neither.
func TestSessions_HostCookieAndHSTS(t *testing.T) {
	t.Parallel()
	env := fprtest.New(t, fprtest.WithConfig(func(c *app.Config) { c.BaseURL = "https://fpr.example" }))
	u := env.MustUser(t, fpr.RoleMember)
	b := newBrowser(t, env)
	p := b.post("/login", url.Values{"email": {u.User.Email}, "password": {u.Password}, "next": {"/"}})
	if p.StatusCode != http.StatusSeeOther {
		t.Fatalf("log in = %d", p.StatusCode)
	}
	if hsts := p.Header.Get("Strict-Transport-Security"); !strings.Contains(hsts, "max-age=") {
		t.Errorf("Strict-Transport-Security = %q, want HSTS over https", hsts)
	}
	var session *http.Cookie
	for _, c := range p.Cookies() {
		if c.Name == fprhttp.SecureSessionCookie {
			session = c
		}
		if c.Name == fprhttp.SessionCookie {
			t.Errorf("the unprefixed %s cookie was set over https", c.Name)
		}
	}
	if session == nil || !session.Secure || session.Path != "/" || session.Domain != "" || !session.HttpOnly {
		t.Fatalf("session cookie = %+v, want __Host-fpr_session, Secure, HttpOnly, Path=/, no Domain", session)
	}
	// The prefixed cookie is the one the server reads (a browser sends it
	// over https only; here it is sent by hand).
	req, _ := http.NewRequest("GET", env.URL+"/api/v1/me", nil)
	req.AddCookie(&http.Cookie{Name: session.Name, Value: session.Value}) //nolint:gosec // G124: a request cookie has no attributes
	resp, err := env.Client(t).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET /me with the __Host- cookie = %d, want 200", resp.StatusCode)
	}
	// The unprefixed name is not a session over https: someone who can set
	// cookies for a sibling host cannot plant one.
	if got := meStatus(t, env, session.Value); got != http.StatusUnauthorized {
		t.Errorf("GET /me with the unprefixed cookie over https = %d, want 401", got)
	}

	plain := fprtest.New(t)
	resp, err = http.Get(plain.URL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Header.Get("Strict-Transport-Security") != "" {
		t.Errorf("HSTS over plain http: %q", resp.Header.Get("Strict-Transport-Security"))
	}
}
