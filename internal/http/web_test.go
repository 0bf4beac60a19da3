package http_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/fpr-team/fpr"
	"github.com/fpr-team/fpr/internal/fprtest"
	fprhttp "github.com/fpr-team/fpr/internal/http"
)

// browser is a test client for the web site: it keeps cookies, does not
// follow redirects, and sends forms as a browser on the site's own pages
// does (with an Origin header naming the site).
type browser struct {
	t   *testing.T
	env *fprtest.Env
	c   *http.Client
}

func newBrowser(t *testing.T, env *fprtest.Env) *browser {
	t.Helper()
	return &browser{t: t, env: env, c: env.Client(t)}
}

// page is a response with its parsed HTML.
type page struct {
	*http.Response
	doc *goquery.Document
}

// find returns the elements matching sel.
func (p page) find(sel string) *goquery.Selection { return p.doc.Find(sel) }

// text returns the trimmed text of the first element matching sel.
func (p page) text(sel string) string { return strings.TrimSpace(p.doc.Find(sel).First().Text()) }

// attr returns attribute name of the first element matching sel.
func (p page) attr(sel, name string) string {
	v, _ := p.doc.Find(sel).First().Attr(name)
	return v
}

func (b *browser) do(req *http.Request) page {
	b.t.Helper()
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		b.t.Fatal(err)
	}
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(string(body)))
	if err != nil {
		b.t.Fatalf("%s %s: parse HTML: %v", req.Method, req.URL, err)
	}
	return page{Response: resp, doc: doc}
}

// get loads path.
func (b *browser) get(path string) page {
	b.t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, b.env.URL+path, nil)
	if err != nil {
		b.t.Fatal(err)
	}
	return b.do(req)
}

// post submits a form to path from one of the site's pages.
func (b *browser) post(path string, form url.Values) page {
	b.t.Helper()
	return b.postFrom(b.env.URL, path, form)
}

// postFrom submits a form to path from a page of origin.
func (b *browser) postFrom(origin, path string, form url.Values) page {
	b.t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, b.env.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", origin)
	return b.do(req)
}

// follow checks that p is a 303 and loads its Location.
func (b *browser) follow(p page) page {
	b.t.Helper()
	if p.StatusCode != http.StatusSeeOther {
		b.t.Fatalf("%s %s = %d, want 303; page: %s", p.Request.Method, p.Request.URL.Path, p.StatusCode, p.text("main"))
	}
	return b.get(p.Header.Get("Location"))
}

// session returns the fpr_session cookie the browser holds, or "".
func (b *browser) session() string {
	u, _ := url.Parse(b.env.URL)
	for _, c := range b.c.Jar.Cookies(u) {
		if c.Name == fprhttp.SessionCookie {
			return c.Value
		}
	}
	return ""
}

// meStatus is the status of GET /api/v1/me with the session cookie value.
func meStatus(t *testing.T, env *fprtest.Env, cookie string) int {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, env.URL+"/api/v1/me", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.AddCookie(&http.Cookie{Name: fprhttp.SessionCookie, Value: cookie}) //nolint:gosec // G124: a request cookie has no attributes
	resp, err := env.Client(t).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// login logs b in as u through the log-in form.
func (b *browser) login(u *fprtest.TestUser) {
	b.t.Helper()
	p := b.post("/login", url.Values{"email": {u.User.Email}, "password": {u.Password}, "next": {"/"}})
	if p.StatusCode != http.StatusSeeOther {
		b.t.Fatalf("log in as %s = %d, want 303: %s", u.User.Email, p.StatusCode, p.text(".error-summary"))
	}
}

// checkFieldError checks that the input #id shows msg beside it, is marked
// invalid and described by the message, and that the error summary links
// to it.
func checkFieldError(t *testing.T, p page, id, msg string) {
	t.Helper()
	if got := strings.TrimPrefix(p.text("#"+id+"-error"), "Error: "); got != msg {
		t.Errorf("#%s-error = %q, want %q", id, got, msg)
	}
	if got := p.attr("#"+id, "aria-invalid"); got != "true" {
		t.Errorf("#%s aria-invalid = %q, want true", id, got)
	}
	if got := p.attr("#"+id, "aria-describedby"); !strings.Contains(got, id+"-error") {
		t.Errorf("#%s aria-describedby = %q, want it to name %s-error", id, got, id)
	}
	if p.find(".error-summary a[href='#"+id+"']").Length() != 1 {
		t.Errorf("the error summary has no link to #%s", id)
	}
}

func TestRegisterLoginLogout(t *testing.T) {
	t.Parallel()
	env := fprtest.New(t)
	b := newBrowser(t, env)

	p := b.get("/register")
	if p.StatusCode != http.StatusOK || p.find("form#register-form[method=post][action='/register']").Length() != 1 {
		t.Fatalf("GET /register = %d, want 200 with the register form", p.StatusCode)
	}
	if got := p.text("title"); !strings.HasPrefix(got, "Create an account") {
		t.Errorf("title = %q, want it to start with Create an account", got)
	}

	// Invalid input: 422, the input kept (but never the password), each
	// message beside its field in the API's words.
	p = b.post("/register", url.Values{"email": {"ann@"}, "password": {"short"}, "display_name": {"Ann Example"}})
	if p.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("POST /register invalid = %d, want 422", p.StatusCode)
	}
	if got := p.attr("#email", "value"); got != "ann@" {
		t.Errorf("#email value = %q, want the input kept", got)
	}
	if got := p.attr("#display_name", "value"); got != "Ann Example" {
		t.Errorf("#display_name value = %q, want the input kept", got)
	}
	if got := p.attr("#password", "value"); got != "" {
		t.Errorf("#password value = %q, want it empty", got)
	}
	checkFieldError(t, p, "email", fpr.ValidateEmail("ann@"))
	checkFieldError(t, p, "password", fpr.ValidatePasswordLength("short"))
	if b.session() != "" {
		t.Errorf("a failed registration set a session cookie")
	}

	// Valid: 303 to the account page, logged in, with the flash.
	p = b.post("/register", url.Values{"email": {"Ann@Example.org"}, "password": {"Quiet-meadow-Lantern-42"}, "display_name": {"Ann Example"}})
	if p.StatusCode != http.StatusSeeOther || p.Header.Get("Location") != "/account" {
		t.Fatalf("POST /register = %d to %q, want 303 to /account; %s", p.StatusCode, p.Header.Get("Location"), p.text(".error-summary"))
	}
	checkSessionCookie(t, p.Response)
	first := b.session()
	if code := meStatus(t, env, first); code != http.StatusOK {
		t.Fatalf("GET /api/v1/me with the new session = %d, want 200", code)
	}
	p = b.get("/account")
	if p.StatusCode != http.StatusOK {
		t.Fatalf("GET /account = %d, want 200", p.StatusCode)
	}
	if got := p.text("#flash"); got != "Welcome! Your account is ready and you are logged in." {
		t.Errorf("flash = %q", got)
	}
	if got := p.text("#account-email"); got != "Ann@Example.org" {
		t.Errorf("#account-email = %q", got)
	}
	if got := p.header("Cache-Control"); got != "no-store" {
		t.Errorf("signed-in page Cache-Control = %q, want no-store", got)
	}
	if p2 := b.get("/account"); p2.find("#flash").Length() != 0 {
		t.Errorf("the flash shows again on the next page")
	}

	// The same e-mail again: 409, message beside the field.
	other := newBrowser(t, env)
	p = other.post("/register", url.Values{"email": {"ann@example.org"}, "password": {"Quiet-meadow-Lantern-42"}, "display_name": {"Ann Two"}})
	if p.StatusCode != http.StatusConflict {
		t.Fatalf("POST /register taken = %d, want 409", p.StatusCode)
	}
	checkFieldError(t, p, "email", "This e-mail address is already registered.")

	// Log out: 303 home, the session is revoked and the cookie cleared.
	p = b.post("/logout", nil)
	if p.StatusCode != http.StatusSeeOther || p.Header.Get("Location") != "/" {
		t.Fatalf("POST /logout = %d to %q, want 303 to /", p.StatusCode, p.Header.Get("Location"))
	}
	if code := meStatus(t, env, first); code != http.StatusUnauthorized {
		t.Errorf("GET /api/v1/me with the logged-out session = %d, want 401", code)
	}
	if b.session() != "" {
		t.Errorf("the session cookie is still set after logout")
	}
	p = b.get("/account")
	if p.StatusCode != http.StatusSeeOther || p.Header.Get("Location") != "/login?next=%2Faccount" {
		t.Errorf("GET /account logged out = %d to %q, want 303 to /login?next=%%2Faccount", p.StatusCode, p.Header.Get("Location"))
	}

	// A wrong password: 422, one message, the e-mail kept.
	p = b.post("/login", url.Values{"email": {"ann@example.org"}, "password": {"wrong-password-1"}, "next": {"/account"}})
	if p.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("POST /login wrong = %d, want 422", p.StatusCode)
	}
	if got := p.text(".error-summary p"); got != "The e-mail or password is not right." {
		t.Errorf("error message = %q", got)
	}
	if got := p.attr("#email", "value"); got != "ann@example.org" {
		t.Errorf("#email value = %q, want the input kept", got)
	}
	if got := p.attr("input[name=next]", "value"); got != "/account" {
		t.Errorf("next = %q, want /account kept", got)
	}

	// Log in: a new session, back to next.
	p = b.post("/login", url.Values{"email": {"ann@example.org"}, "password": {"Quiet-meadow-Lantern-42"}, "next": {"/account"}})
	if p.StatusCode != http.StatusSeeOther || p.Header.Get("Location") != "/account" {
		t.Fatalf("POST /login = %d to %q, want 303 to /account", p.StatusCode, p.Header.Get("Location"))
	}
	second := b.session()
	if second == "" || second == first {
		t.Errorf("session after login = %q, want a new one (first was %q)", second, first)
	}
	// Logging in again while logged in replaces the session.
	p = b.post("/login", url.Values{"email": {"ann@example.org"}, "password": {"Quiet-meadow-Lantern-42"}, "next": {"https://evil.example/"}})
	if p.StatusCode != http.StatusSeeOther || p.Header.Get("Location") != "/" {
		t.Fatalf("POST /login with a foreign next = %d to %q, want 303 to /", p.StatusCode, p.Header.Get("Location"))
	}
	if code := meStatus(t, env, second); code != http.StatusUnauthorized {
		t.Errorf("the replaced session still works: GET /me = %d, want 401", code)
	}
}

// checkSessionCookie checks the attributes of the fpr_session cookie set
// by resp.
func checkSessionCookie(t *testing.T, resp *http.Response) {
	t.Helper()
	for _, c := range resp.Cookies() {
		if c.Name != fprhttp.SessionCookie {
			continue
		}
		if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.Secure || c.Value == "" {
			t.Errorf("session cookie = %+v, want HttpOnly, SameSite=Lax, Path=/, not Secure over http", c)
		}
		return
	}
	t.Errorf("no %s cookie set", fprhttp.SessionCookie)
}

func (p page) header(name string) string { return p.Header.Get(name) }

func TestChangePassword(t *testing.T) {
	t.Parallel()
	env := fprtest.New(t)
	u := env.MustUser(t, fpr.RoleMember)
	b := newBrowser(t, env)
	b.login(u)
	other := newBrowser(t, env)
	other.login(u)
	before, otherSession := b.session(), other.session()

	p := b.post("/account/password", url.Values{"current_password": {"not-my-password"}, "new_password": {"Brand-new-Lantern-77"}})
	if p.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("wrong current password = %d, want 422", p.StatusCode)
	}
	checkFieldError(t, p, "current_password", "This is not your current password.")
	if code := meStatus(t, env, before); code != http.StatusOK {
		t.Errorf("a failed change ended the session: GET /me = %d", code)
	}

	p = b.post("/account/password", url.Values{"current_password": {u.Password}, "new_password": {"short"}})
	if p.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("short new password = %d, want 422", p.StatusCode)
	}
	checkFieldError(t, p, "new_password", fpr.ValidatePasswordLength("short"))

	p = b.post("/account/password", url.Values{"current_password": {u.Password}, "new_password": {"Brand-new-Lantern-77"}})
	p = b.follow(p)
	if got := p.text("#flash"); got != "Your password is changed. Your other devices were logged out." {
		t.Errorf("flash = %q", got)
	}
	after := b.session()
	if after == before || meStatus(t, env, after) != http.StatusOK {
		t.Errorf("after the change this browser has session %q (was %q), want a new working one", after, before)
	}
	for name, old := range map[string]string{"this browser's old": before, "the other browser's": otherSession} {
		if code := meStatus(t, env, old); code != http.StatusUnauthorized {
			t.Errorf("%s session after the change: GET /me = %d, want 401", name, code)
		}
	}
}

func TestCrossOriginPostRefused(t *testing.T) {
	t.Parallel()
	env := fprtest.New(t)
	u := env.MustUser(t, fpr.RoleMember)
	b := newBrowser(t, env)
	b.login(u)
	sess := b.session()

	p := b.postFrom("https://evil.example", "/logout", nil)
	if p.StatusCode != http.StatusForbidden {
		t.Fatalf("cross-origin POST /logout = %d, want 403", p.StatusCode)
	}
	if got := p.text("#error-heading"); got != "Not allowed" {
		t.Errorf("error heading = %q", got)
	}
	if code := meStatus(t, env, sess); code != http.StatusOK {
		t.Errorf("the cross-origin logout ended the session: GET /me = %d", code)
	}
	// The same form from the site itself works.
	if p := b.post("/logout", nil); p.StatusCode != http.StatusSeeOther {
		t.Errorf("same-origin POST /logout = %d, want 303", p.StatusCode)
	}
}

func TestPageBasics(t *testing.T) {
	t.Parallel()
	env := fprtest.New(t, fprtest.WithServer(func(s *fprhttp.Server) {
		s.AddTestRoute("GET /test/panic", http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") }))
	}))
	b := newBrowser(t, env)

	t.Run("SecurityHeaders", func(t *testing.T) {
		p := b.get("/login")
		for name, want := range map[string]string{
			"Content-Type":           "text/html; charset=utf-8",
			"X-Content-Type-Options": "nosniff",
			"Referrer-Policy":        "strict-origin-when-cross-origin",
			"Cache-Control":          "no-cache",
		} {
			if got := p.header(name); got != want {
				t.Errorf("%s = %q, want %q", name, got, want)
			}
		}
		csp := p.header("Content-Security-Policy")
		for _, want := range []string{"script-src 'self'", "style-src 'self'", "frame-ancestors 'none'", "default-src 'self'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("CSP %q lacks %q", csp, want)
			}
		}
		if strings.Contains(csp, "unsafe-inline") {
			t.Errorf("CSP %q allows unsafe-inline", csp)
		}
	})

	t.Run("StaticFingerprinted", func(t *testing.T) {
		p := b.get("/login")
		for sel, attr := range map[string]string{"link[rel=stylesheet]": "href", "script[src]": "src", "link[rel=icon]": "href"} {
			href := p.attr(sel, attr)
			parts := strings.Split(href, "/")
			if len(parts) != 4 || parts[1] != "static" || len(parts[2]) != 12 {
				t.Errorf("%s %s = %q, want /static/<12 hex>/<name>", sel, attr, href)
				continue
			}
			a := b.get(href)
			if a.StatusCode != http.StatusOK || a.header("Cache-Control") != "public, max-age=31536000, immutable" {
				t.Errorf("GET %s = %d, Cache-Control %q; want 200, immutable for a year", href, a.StatusCode, a.header("Cache-Control"))
			}
			stale := b.get("/static/000000000000/" + parts[3])
			if stale.StatusCode != http.StatusOK || stale.header("Cache-Control") != "public, max-age=60" {
				t.Errorf("GET an outdated hash of %s = %d, Cache-Control %q; want 200, one minute", parts[3], stale.StatusCode, stale.header("Cache-Control"))
			}
		}
		if ct := b.get(p.attr("link[rel=stylesheet]", "href")).header("Content-Type"); !strings.HasPrefix(ct, "text/css") {
			t.Errorf("stylesheet Content-Type = %q", ct)
		}
		if p := b.get("/static/x/nothing.css"); p.StatusCode != http.StatusNotFound {
			t.Errorf("GET an unknown static file = %d, want 404", p.StatusCode)
		}
	})

	t.Run("NotFound", func(t *testing.T) {
		p := b.get("/no/such/page")
		if p.StatusCode != http.StatusNotFound || p.text("#error-heading") != "Page not found" {
			t.Errorf("GET /no/such/page = %d %q, want 404 Page not found", p.StatusCode, p.text("#error-heading"))
		}
		if got := p.text("#request-id"); got == "" || got != p.header("X-Request-ID") {
			t.Errorf("request ID on the page = %q, header %q", got, p.header("X-Request-ID"))
		}
		if p.find("form[role=search] input[name=q]").Length() == 0 {
			t.Errorf("the 404 page offers no search")
		}
	})

	t.Run("ApologyOnPanic", func(t *testing.T) {
		p := b.get("/test/panic")
		if p.StatusCode != http.StatusInternalServerError {
			t.Fatalf("GET /test/panic = %d, want 500", p.StatusCode)
		}
		if got := p.text("#error-heading"); got != "Sorry, something went wrong" {
			t.Errorf("heading = %q", got)
		}
		id := p.header("X-Request-ID")
		if got := p.text("#request-id"); id == "" || got != id {
			t.Errorf("request ID on the page = %q, want X-Request-ID %q", got, id)
		}
		if strings.Contains(p.text("main"), "boom") || strings.Contains(p.text("main"), "Internal Server Error") {
			t.Errorf("the apology reveals the panic or is bare: %q", p.text("main"))
		}
	})

	t.Run("NoStagingBanner", func(t *testing.T) {
		if n := b.get("/login").find("#staging-banner").Length(); n != 0 {
			t.Errorf("development pages show %d staging banners", n)
		}
	})
}

func TestStagingBanner(t *testing.T) {
	t.Parallel()
	env := fprtest.New(t, fprtest.WithServer(func(s *fprhttp.Server) { s.Env = "staging" }))
	b := newBrowser(t, env)
	for _, path := range []string{"/login", "/register", "/no/such/page"} {
		p := b.get(path)
		if got := p.text("#staging-banner"); !strings.HasPrefix(got, "STAGING") {
			t.Errorf("GET %s: staging banner = %q, want it to start with STAGING", path, got)
		}
	}
}

func TestLoginThrottled(t *testing.T) {
	t.Parallel()
	env := fprtest.New(t)
	u := env.MustUser(t, fpr.RoleMember)
	b := newBrowser(t, env)
	var p page
	for range env.Auth.AccountLimit + 1 {
		p = b.post("/login", url.Values{"email": {u.User.Email}, "password": {"wrong-password-1"}})
	}
	if p.StatusCode != http.StatusTooManyRequests || p.header("Retry-After") == "" {
		t.Fatalf("login after %d failures = %d, Retry-After %q; want 429 with Retry-After", env.Auth.AccountLimit, p.StatusCode, p.header("Retry-After"))
	}
	if p.text(".error-summary p") == "" || p.attr("#email", "value") != u.User.Email {
		t.Errorf("the throttled form shows message %q and e-mail %q", p.text(".error-summary p"), p.attr("#email", "value"))
	}
}
