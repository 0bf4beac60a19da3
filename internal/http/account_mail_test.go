package http_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/fpr-team/fpr"
	"github.com/fpr-team/fpr/internal/app"
	"github.com/fpr-team/fpr/internal/fprtest"
	"github.com/fpr-team/fpr/internal/mailtest"
)

// An SMTP server that refuses every mail: the worker retries, gives up,
// and the admins see the mail on /ops/mail and in the metric.
func TestOpsMail_Undeliverable(t *testing.T) {
	smtp := mailtest.Start(t, mailtest.Plain)
	smtp.Refuse(true)
	env := fprtest.New(t, fprtest.WithMail(smtp), fprtest.WithConfig(func(c *app.Config) {
		c.MailRetryBase, c.MailMaxAttempts = time.Millisecond, 3
	}))
	u := env.MustUnverifiedUser(t)
	deadline := time.Now().Add(15 * time.Second)
	for {
		counts, err := env.DB.CountMail(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if counts[fpr.MailUndeliverable] == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("outbox = %v after 15 s, want the mail undeliverable", counts)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if got := smtp.Attempts(); got != 3 {
		t.Errorf("SMTP attempts = %d, want 3", got)
	}
	admin := env.MustUser(t, fpr.RoleAdmin)
	b := newBrowser(t, env)
	b.login(admin)
	p := b.get("/ops/mail")
	if p.StatusCode != http.StatusOK {
		t.Fatalf("/ops/mail = %d", p.StatusCode)
	}
	row := p.find("#mail-table .mail-row")
	if row.Length() != 1 || !strings.Contains(row.Text(), u.User.Email) || !strings.Contains(row.Text(), "451") {
		t.Errorf("/ops/mail rows = %q, want the verification mail to %s with the 451", row.Text(), u.User.Email)
	}
	if got := p.text("#mail-count-undeliverable"); got != "1" {
		t.Errorf("undeliverable count = %q, want 1", got)
	}
	resp, body := env.Do(t, "GET", "/metrics", "", nil)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `fpr_mail_outbox{status="undeliverable"} 1`) {
		t.Errorf("/metrics lacks fpr_mail_outbox{status=\"undeliverable\"} 1")
	}
	// A member is refused the page.
	mb := newBrowser(t, env)
	mb.login(env.MustUser(t, fpr.RoleMember))
	if p := mb.get("/ops/mail"); p.StatusCode != http.StatusForbidden {
		t.Errorf("/ops/mail as a member = %d, want 403", p.StatusCode)
	}
}

// Forgot password → the mail → the reset page → log in with the new
// password; every earlier session has ended; the link works once.
func TestPasswordReset_FromMail(t *testing.T) {
	smtp := mailtest.Start(t, mailtest.Plain)
	env := fprtest.New(t, fprtest.WithMail(smtp))
	u := env.MustUser(t, fpr.RoleMember)
	b := newBrowser(t, env)
	login := b.get("/login")
	if login.attr("#forgot-link", "href") != "/forgot-password" {
		t.Fatalf("login page has no Forgot password? link")
	}
	p := b.post("/forgot-password", url.Values{"email": {strings.ToUpper(u.User.Email)}})
	if p.StatusCode != http.StatusOK || p.find("#forgot-sent").Length() != 1 {
		t.Fatalf("POST /forgot-password = %d %q", p.StatusCode, p.text("main"))
	}
	link := smtp.WaitFor(t, u.User.Email, "Reset your FPR password").Link(t, "/reset-password")
	path := strings.TrimPrefix(link, env.URL)
	form := b.get(path)
	token := form.attr("#reset-form input[name=token]", "value")
	if token == "" {
		t.Fatalf("reset page has no token field")
	}
	// A weak password is refused beside the field and spends nothing.
	weak := b.post("/reset-password", url.Values{"token": {token}, "password": {"password12"}})
	if weak.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("weak password = %d, want 422", weak.StatusCode)
	}
	if weak.text("#password-error") == "" {
		t.Errorf("no error beside the password field")
	}
	newPassword := "Quince-harvest-91-lantern"
	done := b.post("/reset-password", url.Values{"token": {token}, "password": {newPassword}})
	if done.StatusCode != http.StatusSeeOther || done.Header.Get("Location") != "/login" {
		t.Fatalf("reset = %d to %q, want 303 to /login", done.StatusCode, done.Header.Get("Location"))
	}
	if status := meStatusBearer(t, env, u.Token); status != http.StatusUnauthorized {
		t.Errorf("the API token from before the reset answers %d, want 401", status)
	}
	again := b.post("/reset-password", url.Values{"token": {token}, "password": {"Another-long-phrase-77"}})
	if again.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("the link a second time = %d, want 422", again.StatusCode)
	}
	u.Password = newPassword
	b.login(u)
}

func meStatusBearer(t *testing.T, env *fprtest.Env, token string) int {
	t.Helper()
	resp, _ := env.Do(t, "GET", "/api/v1/me", token, nil)
	return resp.StatusCode
}

// The reset request answers the same, byte for byte, whether or not the
// e-mail has an account; only the account's owner gets a mail.
func TestAPIPasswordReset_NoEnumeration(t *testing.T) {
	smtp := mailtest.Start(t, mailtest.Plain)
	env := fprtest.New(t, fprtest.WithMail(smtp))
	u := env.MustUser(t, fpr.RoleMember)
	known, kb := env.Do(t, "POST", "/api/v1/auth/password-reset", "", map[string]string{"email": u.User.Email})
	unknown, ub := env.Do(t, "POST", "/api/v1/auth/password-reset", "", map[string]string{"email": "nobody-here@example.org"})
	if known.StatusCode != http.StatusAccepted || unknown.StatusCode != http.StatusAccepted || string(kb) != string(ub) {
		t.Fatalf("known = %d %s, unknown = %d %s: want the same 202", known.StatusCode, kb, unknown.StatusCode, ub)
	}
	for _, h := range []string{"Content-Type", "Content-Length", "Cache-Control"} {
		if known.Header.Get(h) != unknown.Header.Get(h) {
			t.Errorf("header %s differs: %q vs %q", h, known.Header.Get(h), unknown.Header.Get(h))
		}
	}
	smtp.WaitFor(t, u.User.Email, "Reset")
	if got := len(smtp.To("nobody-here@example.org")); got != 0 {
		t.Errorf("an unknown address got %d mails", got)
	}
	resp, body := env.Do(t, "POST", "/api/v1/auth/password-reset", "", map[string]string{"email": "not an address"})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(string(body), `"email"`) {
		t.Errorf("bad address = %d %s, want 422 naming email", resp.StatusCode, body)
	}
}
