package main

// Browser tests: the whole program (`fpr serve`) driven by headless
// chromium. Run them alone with
//
//	go test -run Browser -v ./cmd/fpr/
//
// They skip without chromium or axe-core (and with -short) unless
// FPR_REQUIRE_BROWSER=1. Screenshots and server logs go to
// testdata/artifacts/ or FPR_ARTIFACTS_DIR.

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// TestBrowser_Harness proves the harness sees what it must fail on: a
// script the Content-Security-Policy blocks and an uncaught exception.
func TestBrowser_Harness(t *testing.T) {
	tl := mustBrowserTools(t)
	site := mustStartSite(t, nil)
	b := mustStartBrowser(t, tl)
	tb := b.newTab(t, site)

	tb.visit("/healthz", 200)
	if got := tb.text("body"); got != "ok" {
		t.Errorf("/healthz body = %q, want %q", got, "ok")
	}

	// An inline script is refused by the site's CSP (script-src 'self');
	// a thrown error in a timer is an uncaught exception.
	tb.visit("/no-such-page", 404)
	tb.do("break the page", chromedp.Evaluate[chromedp.Void](`
		const s = document.createElement('script');
		s.textContent = 'window.inlineRan = true';
		document.body.append(s);
		setTimeout(() => { throw new Error('harness test exception') }, 0);
	`))
	var got []string
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		got = tb.peekReports()
		if len(got) >= 2 {
			break
		}
	}
	tb.takeReports()
	var csp, exc bool
	for _, p := range got {
		csp = csp || strings.HasPrefix(p, "CSP violation")
		exc = exc || strings.Contains(p, "harness test exception")
	}
	if !csp || !exc {
		t.Errorf("page reports = %q, want a CSP violation and the thrown exception", got)
	}
	if ran := runValue(tb, "inline flag", chromedp.Evaluate[bool](`window.inlineRan === true`)); ran {
		t.Errorf("inline script ran despite the CSP")
	}
}

// TestBrowser_Site walks the site as its users do, on one server and one
// browser: each person has their own tab (own cookies). Steps that build
// on earlier ones stop the test when those fail.
func TestBrowser_Site(t *testing.T) {
	tl := mustBrowserTools(t)
	site := mustStartSite(t, nil)
	b := mustStartBrowser(t, tl)

	anon := b.newTab(t, site)
	ada := b.newTab(t, site)
	const (
		adaEmail    = "ada@example.test"
		adaName     = "Ada Lovelace"
		adaPassword = "Turnip-orchard-Lantern-42"
	)

	must := func(ok bool) {
		t.Helper()
		if !ok {
			t.FailNow()
		}
	}

	t.Run("NotFoundPage", func(t *testing.T) {
		tb := anon.use(t)
		tb.visit("/no-such-page", 404)
		if got := tb.text("#request-id"); len(got) < 8 {
			t.Errorf("404 page request ID = %q, want the request's ID", got)
		}
		if got := tb.text("h1"); got == "" {
			t.Errorf("404 page has no heading")
		}
		tb.axe("not found page")
		tb.screenshots("not-found")
	})

	must(t.Run("Register", func(t *testing.T) {
		tb := ada.use(t)
		tb.visit("/register", 200)
		tb.axe("register")
		tb.screenshots("register")

		// A too-short password is refused beside its field; what was
		// typed stays.
		tb.fill("#email", adaEmail)
		tb.fill("#display_name", adaName)
		tb.fill("#password", "short")
		tb.submit("register with a short password", 422, chromedp.Click(chromedp.CSS("#register-submit"), chromedp.NodeVisible))
		if got := tb.text("#password-error"); got == "" {
			t.Errorf("no error beside the password field")
		}
		if got := tb.texts("#register-errors li"); len(got) != 1 || !strings.HasPrefix(got[0], "Password") {
			t.Errorf("error summary items = %q, want one about the password", got)
		}
		if got := tb.value("#email"); got != adaEmail {
			t.Errorf("e-mail after a refused form = %q, want %q kept", got, adaEmail)
		}
		if got := tb.value("#display_name"); got != adaName {
			t.Errorf("display name after a refused form = %q, want %q kept", got, adaName)
		}
		tb.axe("register with errors")
		tb.screenshots("register-errors")

		tb.fill("#password", adaPassword)
		tb.submit("register", 200, chromedp.Click(chromedp.CSS("#register-submit"), chromedp.NodeVisible))
		if got := tb.path(); got != "/account" {
			t.Errorf("after registering the browser is at %s, want /account", got)
		}
		if got := tb.text("#account-name"); got != adaName {
			t.Errorf("account display name = %q, want %q", got, adaName)
		}
		if got := tb.text("#account-email"); got != adaEmail {
			t.Errorf("account e-mail = %q, want %q", got, adaEmail)
		}
		if got := tb.text("#account-role"); got != "member" {
			t.Errorf("account role = %q, want member", got)
		}
		if got := tb.cookies(); !slices.Contains(got, "fpr_session") {
			t.Errorf("cookies after registering = %q, want fpr_session", got)
		}
		tb.axe("account")
		tb.screenshots("account")
	}))

	t.Run("LogIn", func(t *testing.T) {
		tb := b.newTab(t, site)
		// A wrong password gets one message and keeps the e-mail.
		tb.visit("/login?next=/account", 200)
		tb.fill("#email", adaEmail)
		tb.fill("#password", "not-the-password-1")
		tb.submit("log in with a wrong password", 422, chromedp.Click(chromedp.CSS("#login-submit"), chromedp.NodeVisible))
		if got := tb.text("#login-errors"); got == "" {
			t.Errorf("no error summary after a wrong password")
		}
		if got := tb.value("#email"); got != adaEmail {
			t.Errorf("e-mail after a wrong password = %q, want %q kept", got, adaEmail)
		}
		tb.axe("login with errors")
		tb.screenshots("login-errors")

		tb.fill("#password", adaPassword)
		tb.submit("log in", 200, chromedp.Click(chromedp.CSS("#login-submit"), chromedp.NodeVisible))
		if got := tb.path(); got != "/account" {
			t.Errorf("after logging in the browser is at %s, want /account (the next parameter)", got)
		}
		if got := tb.text("#nav-account"); got != adaName {
			t.Errorf("after logging in the header names %q, want %q", got, adaName)
		}
	})

	t.Run("KeyboardLogin", func(t *testing.T) {
		// A moderator made with `fpr user add` logs in with only the
		// keyboard: Tab to each field, type, Enter to submit.
		const email, password = "mo@example.test", "Parsnip-lighthouse-Quarry-7"
		site.mustRun(t, password+"\n", "user", "add", "--email", email, "--role", "moderator", "--display-name", "Mo Derator", "--password-stdin")
		tb := b.newTab(t, site)
		tb.visit("/login?next=/account", 200)
		tb.tabTo("email", 30)
		tb.do("type e-mail", chromedp.KeyEvent(email))
		tb.tabTo("password", 3)
		tb.do("type password", chromedp.KeyEvent(password))
		tb.submit("press Enter", 200, chromedp.KeyEvent(kb.Enter))
		if got := tb.path(); got != "/account" {
			t.Errorf("after a keyboard-only log-in the browser is at %s, want /account", got)
		}
		if got := tb.text("#account-role"); got != "moderator" {
			t.Errorf("role of the user made by fpr user add = %q, want moderator", got)
		}
		if n := tb.count("#logout-button"); n != 1 {
			t.Errorf("after a keyboard-only log-in: %d log-out buttons, want 1", n)
		}
	})
}
