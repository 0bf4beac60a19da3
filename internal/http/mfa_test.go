package http_test

import (
	"bytes"
	"encoding/base64"
	"image/png"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/fpr-team/fpr"
	"github.com/fpr-team/fpr/internal/app"
	"github.com/fpr-team/fpr/internal/fprtest"
)

// startMFASetup asks for a secret on the two-factor page and returns the
// page showing it and the secret as shown (in groups, for typing).
func startMFASetup(t *testing.T, b *browser) (page, string) {
	t.Helper()
	p := b.follow(b.post("/account/mfa", url.Values{}))
	if p.StatusCode != http.StatusOK {
		t.Fatalf("setup page = %d", p.StatusCode)
	}
	shown := p.text("#mfa-secret")
	if shown == "" {
		t.Fatalf("setup page shows no secret: %s", p.text("main"))
	}
	return p, strings.ReplaceAll(shown, "-", "")
}

func TestMFAPages_SetupLoginDisable(t *testing.T) {
	t.Parallel()
	env, clock := mfaEnv(t)
	u := env.MustUser(t, fpr.RoleMember)
	b := newBrowser(t, env)
	b.login(u)

	p := b.get("/account")
	if got := p.text("#account-mfa"); !strings.HasPrefix(got, "Off") || p.attr("#account-mfa-link", "href") != "/account/mfa" {
		t.Fatalf("account page two-factor = %q, want Off with a link to the setup", got)
	}
	p = b.get("/account/mfa")
	if p.StatusCode != http.StatusOK || p.find("#mfa-start-form").Length() != 1 {
		t.Fatalf("two-factor page = %d, want the start form: %s", p.StatusCode, p.text("main"))
	}

	p, secret := startMFASetup(t, b)
	// The QR code is an inline PNG drawn by the server: no request leaves
	// for another site.
	src := p.attr("#mfa-qr", "src")
	data, ok := strings.CutPrefix(src, "data:image/png;base64,")
	if !ok {
		t.Fatalf("QR src = %.60q, want an inline PNG", src)
	}
	raw, err := base64.StdEncoding.DecodeString(data)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("QR code is not a PNG: %v", err)
	}
	if bnd := img.Bounds(); bnd.Dx() != 240 || bnd.Dy() != 240 {
		t.Errorf("QR code is %v, want 240×240", bnd)
	}
	if p.attr("#mfa-qr", "alt") == "" {
		t.Error("QR code has no alt text")
	}

	// A wrong code: 422, the error beside the field, the input kept.
	p = b.post("/account/mfa/confirm", url.Values{"code": {"000000"}})
	if p.StatusCode != http.StatusUnprocessableEntity || p.text("#confirm-code-error") == "" || p.attr("#confirm-code", "value") != "000000" {
		t.Fatalf("wrong code = %d, error %q, value %q; want 422 with the error beside the kept input",
			p.StatusCode, p.text("#confirm-code-error"), p.attr("#confirm-code", "value"))
	}
	if p.find("#mfa-qr").Length() != 1 {
		t.Fatal("after a wrong code the page no longer shows the QR code")
	}

	p = b.post("/account/mfa/confirm", url.Values{"code": {code(t, secret, clock)}})
	if p.StatusCode != http.StatusOK {
		t.Fatalf("confirm = %d: %s", p.StatusCode, p.text("main"))
	}
	var codes []string
	p.find("#recovery-codes li").Each(func(_ int, s *goquery.Selection) { codes = append(codes, strings.TrimSpace(s.Text())) })
	if len(codes) != fpr.RecoveryCodeCount {
		t.Fatalf("recovery codes shown = %v, want %d", codes, fpr.RecoveryCodeCount)
	}
	// Shown once: the page afterwards says how many are left, not which.
	p = b.get("/account/mfa")
	if p.find("#recovery-codes").Length() != 0 || !strings.Contains(p.text("#mfa-state"), "10 unused recovery codes") {
		t.Fatalf("two-factor page after confirm: %q", p.text("main"))
	}
	if got := b.get("/account").text("#account-mfa"); !strings.HasPrefix(got, "On") {
		t.Errorf("account page two-factor = %q, want On", got)
	}

	// Log in again: the password alone brings the code field.
	b2 := newBrowser(t, env)
	p = b2.post("/login", url.Values{"email": {u.User.Email}, "password": {u.Password}, "next": {"/account"}})
	if p.StatusCode != http.StatusUnprocessableEntity || p.find("input#otp").Length() != 1 || b2.session() != "" {
		t.Fatalf("password alone = %d, otp field %d, session %q; want 422 with the code field and no session",
			p.StatusCode, p.find("input#otp").Length(), b2.session())
	}
	if p.attr("#email", "value") != u.User.Email || p.attr("#password", "value") != "" {
		t.Errorf("second step: e-mail %q, password value %q; want the e-mail kept and the password not sent back",
			p.attr("#email", "value"), p.attr("#password", "value"))
	}
	// The code that confirmed is spent.
	p = b2.post("/login", url.Values{"email": {u.User.Email}, "password": {u.Password}, "otp": {code(t, secret, clock)}, "next": {"/account"}})
	if p.StatusCode != http.StatusUnprocessableEntity || p.text("#otp-error") == "" {
		t.Fatalf("replayed code = %d, otp error %q; want 422 with the error beside the code", p.StatusCode, p.text("#otp-error"))
	}
	clock.Advance(fpr.TOTPPeriod)
	p = b2.post("/login", url.Values{"email": {u.User.Email}, "password": {u.Password}, "otp": {code(t, secret, clock)}, "next": {"/account"}})
	if p.StatusCode != http.StatusSeeOther || p.Header.Get("Location") != "/account" || b2.session() == "" {
		t.Fatalf("login with the code = %d to %q: %s", p.StatusCode, p.Header.Get("Location"), p.text(".error-summary"))
	}
	// A recovery code works once.
	b3 := newBrowser(t, env)
	p = b3.post("/login", url.Values{"email": {u.User.Email}, "password": {u.Password}, "otp": {codes[0]}, "next": {"/"}})
	if p.StatusCode != http.StatusSeeOther {
		t.Fatalf("login with a recovery code = %d: %s", p.StatusCode, p.text(".error-summary"))
	}
	p = newBrowser(t, env).post("/login", url.Values{"email": {u.User.Email}, "password": {u.Password}, "otp": {codes[0]}, "next": {"/"}})
	if p.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("reused recovery code = %d, want 422", p.StatusCode)
	}

	// Turning it off needs the password too; errors beside the fields.
	clock.Advance(env.Auth.ThrottleWindow)
	p = b.post("/account/mfa/delete", url.Values{"code": {code(t, secret, clock)}, "current_password": {"Wrong-password-123"}})
	if p.StatusCode != http.StatusUnprocessableEntity || p.text("#current_password-error") == "" || p.attr("#disable-code", "value") == "" {
		t.Fatalf("disable with a wrong password = %d, error %q", p.StatusCode, p.text("#current_password-error"))
	}
	p = b.post("/account/mfa/delete", url.Values{"code": {"111111"}, "current_password": {u.Password}})
	if p.StatusCode != http.StatusUnprocessableEntity || p.text("#disable-code-error") == "" {
		t.Fatalf("disable with a wrong code = %d, error %q", p.StatusCode, p.text("#disable-code-error"))
	}
	p = b.post("/account/mfa/delete", url.Values{"code": {code(t, secret, clock)}, "current_password": {u.Password}})
	p = b.follow(p)
	if !strings.Contains(p.text(".flash"), "off") || p.find("#mfa-start-form").Length() != 1 {
		t.Fatalf("after disable: flash %q, page %q", p.text(".flash"), p.text("main"))
	}
}

// TestMFAPages_StaffRequired: under FPR_STAFF_MFA=required the staff pages
// of a moderator or admin without two-factor lead to the setup, which
// says why; once it is on, they open.
func TestMFAPages_StaffRequired(t *testing.T) {
	t.Parallel()
	env, clock := mfaEnv(t, fprtest.WithConfig(func(c *app.Config) { c.StaffMFA = fpr.StaffMFARequired }))
	admin := env.MustUser(t, fpr.RoleAdmin)
	b := newBrowser(t, env)
	b.login(admin)
	for _, path := range []string{"/admin", "/admin/users", "/moderation", "/ops", "/ops/releases"} {
		p := b.get(path)
		if p.StatusCode != http.StatusSeeOther || p.Header.Get("Location") != "/account/mfa" {
			t.Fatalf("GET %s = %d to %q, want 303 to /account/mfa", path, p.StatusCode, p.Header.Get("Location"))
		}
	}
	p := b.follow(b.get("/admin"))
	if p.find("#mfa-staff-notice").Length() != 1 || !strings.Contains(p.text(".flash"), "two-factor") {
		t.Fatalf("setup page for staff: notice %d, flash %q", p.find("#mfa-staff-notice").Length(), p.text(".flash"))
	}
	// A page that is not a staff page works, without staff powers.
	if p := b.get("/products"); p.StatusCode != http.StatusOK {
		t.Fatalf("GET /products = %d", p.StatusCode)
	}
	_, secret := startMFASetup(t, b)
	if p := b.post("/account/mfa/confirm", url.Values{"code": {code(t, secret, clock)}}); p.StatusCode != http.StatusOK ||
		p.find("#mfa-staff-notice").Length() != 0 {
		t.Fatalf("confirm = %d, notice %d", p.StatusCode, p.find("#mfa-staff-notice").Length())
	}
	for _, path := range []string{"/admin", "/admin/users", "/moderation", "/ops"} {
		if p := b.get(path); p.StatusCode != http.StatusOK {
			t.Fatalf("GET %s with two-factor = %d, want 200", path, p.StatusCode)
		}
	}
	// Admins see who has two-factor on.
	if p := b.get("/admin/users?q=" + url.QueryEscape(admin.User.Email)); !strings.Contains(p.text("#user-row-"+admin.User.ID), "On") {
		t.Errorf("admin users row = %q, want two-factor On", p.text("#user-row-"+admin.User.ID))
	}
}
