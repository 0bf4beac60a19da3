package http_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/fpr-team/fpr"
	"github.com/fpr-team/fpr/internal/fprtest"
	"github.com/fpr-team/fpr/internal/mailtest"
)

// The account page's forms: each refusal shows the page again with the
// input kept and the error beside its field; each success redirects with
// a flash.
func TestAccountPage_Settings(t *testing.T) {
	smtp := mailtest.Start(t, mailtest.Plain)
	env := fprtest.New(t, fprtest.WithMail(smtp))
	u := env.MustUser(t, fpr.RoleMember)
	b := newBrowser(t, env)
	b.login(u)

	p := b.get("/account")
	if got := p.text("#account-email-status"); got != "(confirmed)" {
		t.Errorf("e-mail status = %q, want (confirmed)", got)
	}
	if p.attr("#export-link", "href") != "/api/v1/me/export" {
		t.Errorf("no download link to the export")
	}

	// Display name.
	bad := b.post("/account/profile", url.Values{"display_name": {strings.Repeat("x", 61)}})
	if bad.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("long name = %d, want 422", bad.StatusCode)
	}
	checkFieldError(t, bad, "display_name", "Use at most 60 characters.")
	if got := bad.attr("#display_name", "value"); got != strings.Repeat("x", 61) {
		t.Errorf("the refused name is not kept: %q", got)
	}
	ok := b.follow(b.post("/account/profile", url.Values{"display_name": {"Ann Renamed"}}))
	if got := ok.text("#account-name"); got != "Ann Renamed" {
		t.Errorf("name after saving = %q", got)
	}

	// E-mail change: the wrong password is named beside its field.
	wrong := b.post("/account/email", url.Values{"email": {"ann-new@example.org"}, "current_password": {"not-it-at-all"}})
	if wrong.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("wrong password = %d, want 422", wrong.StatusCode)
	}
	checkFieldError(t, wrong, "email_current_password", "This is not your current password.")
	if got := wrong.attr("#new_email", "value"); got != "ann-new@example.org" {
		t.Errorf("the new address is not kept: %q", got)
	}
	sent := b.post("/account/email", url.Values{"email": {"ann-new@example.org"}, "current_password": {u.Password}})
	if sent.StatusCode != http.StatusSeeOther {
		t.Fatalf("e-mail change = %d, want 303", sent.StatusCode)
	}
	smtp.WaitFor(t, "ann-new@example.org", "Confirm your e-mail")
	smtp.WaitFor(t, u.User.Email, "is being changed")

	// Deleting needs the password; then the session is gone.
	del := b.post("/account/delete", url.Values{"current_password": {"nope-nope-nope"}})
	if del.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("delete with a wrong password = %d, want 422", del.StatusCode)
	}
	checkFieldError(t, del, "delete_current_password", "This is not your current password.")
	gone := b.post("/account/delete", url.Values{"current_password": {u.Password}})
	if gone.StatusCode != http.StatusSeeOther || gone.Header.Get("Location") != "/" {
		t.Fatalf("delete = %d to %q, want 303 to /", gone.StatusCode, gone.Header.Get("Location"))
	}
	if p := b.get("/account"); p.StatusCode != http.StatusSeeOther {
		t.Errorf("/account after deletion = %d, want 303 to log in", p.StatusCode)
	}
}

// An unverified member sees why their reviews wait and can ask for a new
// link; the pages behind mail links refuse bad tokens with a message.
func TestAccountPage_VerificationAndLinks(t *testing.T) {
	smtp := mailtest.Start(t, mailtest.Plain)
	env := fprtest.New(t, fprtest.WithMail(smtp))
	u := env.MustUnverifiedUser(t)
	b := newBrowser(t, env)
	b.login(u)
	p := b.get("/account")
	if got := p.text("#account-email-status"); got != "(not confirmed yet)" {
		t.Errorf("e-mail status = %q", got)
	}
	first := smtp.WaitFor(t, u.User.Email, "Confirm")
	if p := b.post("/account/verification-email", nil); p.StatusCode != http.StatusSeeOther {
		t.Fatalf("new link = %d, want 303", p.StatusCode)
	}
	smtp.WaitForCount(t, u.User.Email, 2)

	for _, path := range []string{"/verify-email", "/reset-password", "/unsubscribe"} {
		p := b.post(path, url.Values{"token": {"forged"}, "password": {"Another-long-phrase-77"}})
		if p.StatusCode != http.StatusUnprocessableEntity || p.find(".error-summary").Length() != 1 {
			t.Errorf("POST %s with a forged token = %d, want 422 with an error summary", path, p.StatusCode)
		}
	}
	// A mail scanner fetching the link spends nothing: GET only shows the form.
	link := strings.TrimPrefix(first.Link(t, "/verify-email"), env.URL)
	form := b.get(link)
	if form.StatusCode != http.StatusOK || form.find("#verify-form").Length() != 1 {
		t.Fatalf("GET %s = %d", link, form.StatusCode)
	}
	if me := meJSON(t, env, u.Token); me["email_verified"] != false {
		t.Fatalf("GET of the link verified the e-mail")
	}
	done := b.post("/verify-email", url.Values{"token": {form.attr("#verify-form input[name=token]", "value")}})
	acct := b.follow(done)
	if got := acct.text("#account-email-status"); got != "(confirmed)" {
		t.Errorf("after confirming: %q", got)
	}
}
