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
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/fpr-team/fpr"
	"github.com/fpr-team/fpr/internal/mailtest"
)

// TestBrowser walks the site as its users do, on one server and one
// browser: each person has their own tab (own cookies). Steps that build
// on earlier ones stop the test when those fail.
func TestBrowser(t *testing.T) {
	tl := mustBrowserTools(t)
	start := time.Now()
	smtp := mailtest.Start(t, mailtest.Plain)
	site := mustStartSite(t, map[string]string{"FPR_SMTP_URL": smtp.URL}, "--demo")
	t.Logf("fpr serve --demo started in %v", time.Since(start).Round(time.Millisecond))

	// The other people, made with `fpr user add` as an operator would,
	// while chromium starts.
	pat := siteUser{"pat@example.test", "Pat Producer", "Meadow-tractor-Sorrel-19"}
	admin := siteUser{"root@example.test", "Site Admin", "Granary-kestrel-Button-88"}
	mo := siteUser{"mo@example.test", "Mo Derator", "Parsnip-lighthouse-Quarry-7"}
	added := make(chan error, 3)
	for u, role := range map[siteUser]string{pat: "producer", admin: "admin", mo: "moderator"} {
		go func() { added <- site.addUser(u, role) }()
	}

	start = time.Now()
	b := mustStartBrowser(t, tl)
	t.Logf("chromium started in %v", time.Since(start).Round(time.Millisecond))
	for range 3 {
		if err := <-added; err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("chromium started and 3 users added in %v", time.Since(start).Round(time.Millisecond))

	t.Run("PageReports", func(t *testing.T) { testPageReports(t, b.newTab(t, site)) })

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
		if got := tb.text("#account-email-status"); got != "(not confirmed yet)" {
			t.Errorf("e-mail status after registering = %q, want (not confirmed yet)", got)
		}
		if got := tb.cookies(); !slices.Contains(got, "fpr_session") {
			t.Errorf("cookies after registering = %q, want fpr_session", got)
		}
		tb.axe("account")
		tb.screenshots("account")
	}))

	must(t.Run("VerifyFromMail", func(t *testing.T) {
		tb := ada.use(t)
		m := smtp.WaitFor(t, adaEmail, "Confirm your e-mail address")
		link := m.Link(t, "/verify-email")
		if !strings.HasPrefix(link, site.URL+"/verify-email?token=") {
			t.Fatalf("verification link = %s, want %s/verify-email?token=…", link, site.URL)
		}
		tb.visit(strings.TrimPrefix(link, site.URL), 200)
		tb.axe("verify e-mail")
		tb.submit("confirm e-mail", 200, chromedp.Click(chromedp.CSS("#verify-submit"), chromedp.NodeVisible))
		if got := tb.path(); got != "/account" {
			t.Errorf("after confirming the browser is at %s, want /account", got)
		}
		if got := tb.text("#account-email-status"); got != "(confirmed)" {
			t.Errorf("e-mail status after confirming = %q, want (confirmed)", got)
		}
		if n := tb.count("#verification-form"); n != 0 {
			t.Errorf("a confirmed account is still offered a new link")
		}
		tb.axe("account, confirmed")
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

	t.Run("ForgotPassword", func(t *testing.T) {
		cy := siteUser{"forgetful@example.test", "Fern Forgetful", "Bramble-window-Otter-64"}
		if err := site.addUser(cy, "member"); err != nil {
			t.Fatal(err)
		}
		tb := b.newTab(t, site)
		tb.visit("/login", 200)
		tb.submit("follow Forgot password?", 200, chromedp.Click(chromedp.CSS("#forgot-link"), chromedp.NodeVisible))
		if got := tb.path(); got != "/forgot-password" {
			t.Fatalf("Forgot password? led to %s", got)
		}
		tb.axe("forgot password")
		tb.fill("#email", cy.email)
		tb.submit("ask for a reset link", 200, chromedp.Click(chromedp.CSS("#forgot-submit"), chromedp.NodeVisible))
		if got := tb.text("#forgot-sent"); got == "" {
			t.Errorf("no confirmation after asking for a link")
		}
		link := smtp.WaitFor(t, cy.email, "Reset your FPR password").Link(t, "/reset-password")
		tb.visit(strings.TrimPrefix(link, site.URL), 200)
		tb.axe("reset password")
		cy.password = "Saffron-bicycle-Meadow-23"
		tb.fill("#password", cy.password)
		tb.submit("set the new password", 200, chromedp.Click(chromedp.CSS("#reset-submit"), chromedp.NodeVisible))
		if got := tb.path(); got != "/login" {
			t.Fatalf("after the reset the browser is at %s, want /login", got)
		}
		tb.login(cy, "/account")
		if got := tb.text("#account-email"); got != cy.email {
			t.Errorf("logged in as %q, want %s", got, cy.email)
		}
	})

	t.Run("KeyboardLogin", func(t *testing.T) {
		// A moderator made with `fpr user add` logs in with only the
		// keyboard: Tab to each field, type, Enter to submit.
		tb := b.newTab(t, site)
		tb.visit("/login?next=/account", 200)
		tb.tabTo("email", 30)
		tb.do("type e-mail", chromedp.KeyEvent(mo.email))
		tb.tabTo("password", 3)
		tb.do("type password", chromedp.KeyEvent(mo.password))
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

	t.Run("TwoFactor", func(t *testing.T) {
		// Tess turns on two-factor with the code her app would show
		// (computed here from the secret the page shows), then logs in
		// with her password and a code, in two steps, without script.
		tess := siteUser{"tess@example.test", "Tess Two", "Quince-harbour-Ribbon-63"}
		tb := b.newTab(t, site)
		tb.register(tess)
		tb.visit("/account/mfa", 200)
		tb.submit("start two-factor setup", 200, chromedp.Click(chromedp.CSS("#mfa-start-submit"), chromedp.NodeVisible))
		if n := tb.count("img#mfa-qr[src^='data:image/png;base64,']"); n != 1 {
			t.Fatalf("setup page shows %d inline QR codes, want 1", n)
		}
		secret := strings.ReplaceAll(tb.text("#mfa-secret"), "-", "")
		tb.axe("two-factor setup")
		tb.screenshots("mfa-setup")
		tb.fill("#confirm-code", totpCode(t, secret, time.Now()))
		tb.submit("confirm two-factor", 200, chromedp.Click(chromedp.CSS("#mfa-confirm-submit"), chromedp.NodeVisible))
		if got := tb.texts("#recovery-codes li"); len(got) != 10 {
			t.Fatalf("recovery codes shown = %q, want 10", got)
		}
		tb.axe("two-factor recovery codes")
		tb.screenshots("mfa-recovery-codes")

		tb2 := b.newTab(t, site)
		tb2.visit("/login?next=/account", 200)
		if n := tb2.count("#otp"); n != 0 {
			t.Errorf("the log-in page asks for a code before the password: %d fields", n)
		}
		tb2.fill("#email", tess.email)
		tb2.fill("#password", tess.password)
		tb2.submit("log in with the password alone", 422, chromedp.Click(chromedp.CSS("#login-submit"), chromedp.NodeVisible))
		if n := tb2.count("input#otp"); n != 1 {
			t.Fatalf("after the password the page shows %d code fields, want 1", n)
		}
		tb2.axe("login second step")
		tb2.screenshots("login-mfa")
		tb2.fill("#password", tess.password)
		// The next step's code: the confirming code's step is spent, and
		// the server accepts one step of skew.
		tb2.fill("#otp", totpCode(t, secret, time.Now().Add(fpr.TOTPPeriod)))
		tb2.submit("log in with a code", 200, chromedp.Click(chromedp.CSS("#login-submit"), chromedp.NodeVisible))
		if got := tb2.path(); got != "/account" {
			t.Fatalf("after logging in with a code the browser is at %s (%s), want /account", got, tb2.text(".error-summary"))
		}
		if got := tb2.text("#account-mfa"); !strings.HasPrefix(got, "On") {
			t.Errorf("account page two-factor = %q, want On", got)
		}
	})

	// The producer builds the catalogue through the farm pages.
	patTab := b.newTab(t, site)
	var productID string
	// A name no demo product has, so searches find exactly this one.
	const productName = "Zennor raw milk cheddar"
	must(t.Run("ProducerAddsFarmAndProduct", func(t *testing.T) {
		tb := patTab.use(t)
		tb.login(pat, "/admin")
		if got := tb.text("#admin-heading"); got != "Your farms" {
			t.Errorf("producer's /admin heading = %q, want %q", got, "Your farms")
		}
		tb.fill("#name", "Hillside Dairy")
		tb.fill("#region", "Somerset")
		tb.fill("#description", "A family dairy on the Mendip hills.")
		tb.submit("add farm", 200, chromedp.Click(chromedp.CSS("#farm-submit"), chromedp.NodeVisible))
		if got := tb.text("#farm-heading"); got != "Hillside Dairy" {
			t.Errorf("farm page heading = %q, want Hillside Dairy", got)
		}
		tb.axe("farm admin")

		// A product without a name is refused beside the field.
		tb.do("choose category", chromedp.SetValue(chromedp.CSS("#category"), "dairy"))
		tb.fill("#unit", "per 500 g")
		tb.submit("add product without a name", 422, chromedp.Click(chromedp.CSS("#product-submit"), chromedp.NodeVisible))
		if got := tb.text("#name-error"); got == "" {
			t.Errorf("no error beside the product name")
		}
		if got := tb.value("#unit"); got != "per 500 g" {
			t.Errorf("unit after a refused form = %q, want it kept", got)
		}
		tb.fill("#name", productName)
		tb.fill("#description", "Clothbound cheddar from raw milk, aged twelve months.")
		tb.submit("add product", 200, chromedp.Click(chromedp.CSS("#product-submit"), chromedp.NodeVisible))
		if got := tb.texts("#product-table tbody td:first-child"); !slices.Contains(got, productName) {
			t.Fatalf("farm's products = %q, want %q", got, productName)
		}
		tb.submit("open product", 200, chromedp.Click(chromedp.CSS("#product-table tbody td:first-child a"), chromedp.NodeVisible))
		p := tb.path()
		if !strings.HasPrefix(p, "/products/") {
			t.Fatalf("product link led to %s, want /products/{id}", p)
		}
		productID = strings.TrimPrefix(p, "/products/")
	}))

	t.Run("AdminPages", func(t *testing.T) {
		tb := b.newTab(t, site).use(t)
		tb.login(admin, "/admin")
		if got := tb.text("#admin-heading"); got != "Administration" {
			t.Errorf("admin's /admin heading = %q, want Administration", got)
		}
		if n := tb.count("#farm-table tbody tr"); n < 2 {
			t.Errorf("admin's farm list has %d farms, want the demo farms and Hillside Dairy", n)
		}
		tb.axe("admin")
		tb.screenshots("admin")
		tb.submit("users and roles", 200, chromedp.Click(chromedp.CSS("#admin-users-link"), chromedp.NodeVisible))
		if got := tb.texts("#user-table tbody td:nth-child(2)"); !slices.Contains(got, pat.email) {
			t.Errorf("admin's user list = %q, want %s", got, pat.email)
		}
		tb.axe("admin users")
		tb.screenshots("admin-users")
		tb.visit("/ops/audit", 200)
		if n := tb.count("#audit-table tbody tr[data-action='login']"); n < 1 {
			t.Errorf("the audit log lists %d logins, want the admin's", n)
		}
		tb.axe("audit log")
		tb.visit("/ops/audit?target=not-a-target", 422)
		if got := tb.value("#target"); got != "not-a-target" {
			t.Errorf("the audit filter kept %q, want the input", got)
		}
		tb.axe("audit log with errors")
	})

	t.Run("Home", func(t *testing.T) {
		tb := anon.use(t)
		tb.visit("/", 200)
		if got := tb.text("#home-heading"); got == "" {
			t.Errorf("home page has no heading")
		}
		if n := tb.count("#nav-login"); n != 1 {
			t.Errorf("signed-out home: %d log-in links, want 1", n)
		}
		// The demo catalogue fills both lists.
		if n := tb.count("#top-rated .product-card"); n == 0 {
			t.Errorf("home shows no top-rated products on the demo catalogue")
		}
		if n := tb.count("#recent-reviews .recent-review"); n == 0 {
			t.Errorf("home shows no recent reviews on the demo catalogue")
		}
		tb.axe("home, signed out")
		tb.screenshots("home")
	})

	t.Run("DemoCatalogue", func(t *testing.T) {
		// `fpr serve --demo` printed an admin login once; it works.
		m := regexp.MustCompile(`admin login (\S+) / (\S+)`).FindStringSubmatch(site.Stdout.String())
		if m == nil {
			t.Fatalf("fpr serve --demo printed no admin login:\n%s", site.Stdout.String())
		}
		tb := b.newTab(t, site)
		tb.login(siteUser{email: m[1], password: m[2]}, "/account")
		if got := tb.text("#account-role"); got != "admin" {
			t.Errorf("demo admin's role = %q, want admin", got)
		}

		// The top-rated demo product: its histogram, count, list and
		// JSON-LD agree.
		tb.visit("/", 200)
		tb.submit("open top-rated product", 200, chromedp.Click(chromedp.CSS("#top-rated .product-card .card-title a"), chromedp.NodeVisible))
		h := tb.histogram()
		sum := h[0] + h[1] + h[2] + h[3] + h[4]
		if sum == 0 {
			t.Fatalf("top-rated demo product has an empty histogram")
		}
		if got, want := tb.text("#rating-count"), fmt.Sprintf("%d reviews", sum); got != want && !(sum == 1 && got == "1 review") {
			t.Errorf("rating count = %q, histogram %v sums to %d", got, h, sum)
		}
		if n := tb.count("#review-list article.review"); n == 0 || n > sum {
			t.Errorf("review list shows %d reviews, histogram counts %d", n, sum)
		}
		ld := runValue(tb, "JSON-LD", chromedp.Evaluate[map[string]any](`JSON.parse(document.getElementById('product-jsonld').textContent)`))
		ar, _ := ld["aggregateRating"].(map[string]any)
		if ar == nil || fmt.Sprint(ar["reviewCount"]) != fmt.Sprint(sum) && fmt.Sprint(ar["ratingCount"]) != fmt.Sprint(sum) {
			t.Errorf("JSON-LD aggregateRating = %v, want a count of %d", ld["aggregateRating"], sum)
		}
		tb.axe("product with demo reviews, signed in as admin")
		tb.screenshots("product-demo")
	})

	must(t.Run("Search", func(t *testing.T) {
		tb := ada.use(t)
		tb.visit("/", 200)
		tb.fill("#site-search", "zennor")
		tb.submit("search", 200, chromedp.SendKeys(chromedp.CSS("#site-search"), kb.Enter))
		if got := tb.path(); got != "/products?q=zennor" {
			t.Errorf("search led to %s, want /products?q=zennor", got)
		}
		if got := tb.texts("#product-list .card-title"); !slices.Equal(got, []string{productName}) {
			t.Errorf("search results = %q, want [%q]", got, productName)
		}
		tb.axe("search results")
		tb.screenshots("search")

		tb.visit("/products?q=xylophone", 200)
		if n := tb.count("#product-list .card-title"); n != 0 {
			t.Errorf("search for xylophone found %d products, want 0", n)
		}
		if got := tb.text("#no-products"); got == "" {
			t.Errorf("an empty search says nothing")
		}

		tb.visit("/products?q=zennor", 200)
		tb.submit("open product", 200, chromedp.Click(chromedp.CSS("#product-list .card-title a"), chromedp.NodeVisible))
		if got := tb.path(); got != "/products/"+productID {
			t.Fatalf("search result led to %s, want /products/%s", got, productID)
		}
		if got := tb.text("#product-name"); got != productName {
			t.Errorf("product heading = %q, want %q", got, productName)
		}
		if got := tb.text("#product-farm"); got != "Hillside Dairy" {
			t.Errorf("product farm = %q, want Hillside Dairy", got)
		}
	}))

	t.Run("ProductSignedOut", func(t *testing.T) {
		tb := anon.use(t)
		tb.visit("/products/"+productID, 200)
		if got := tb.text("#login-to-review"); got == "" {
			t.Errorf("signed-out product page does not offer to log in to review")
		}
		if n := tb.count("#review-form"); n != 0 {
			t.Errorf("signed-out product page shows a review form")
		}
		if got := tb.histogram(); got != [5]int{} {
			t.Errorf("histogram of an unreviewed product = %v, want all 0", got)
		}
		tb.axe("product, signed out")

		tb.submit("open farm", 200, chromedp.Click(chromedp.CSS("#product-farm"), chromedp.NodeVisible))
		if got := tb.text("#farm-name"); got != "Hillside Dairy" {
			t.Errorf("farm page heading = %q, want Hillside Dairy", got)
		}
		if got := tb.texts("#product-list .card-title"); !slices.Equal(got, []string{productName}) {
			t.Errorf("farm page products = %q, want [%q]", got, productName)
		}
		if n := tb.count("#manage-farm-link"); n != 0 {
			t.Errorf("a visitor is offered to manage the farm")
		}
		tb.axe("farm page")
	})

	var reviewID string
	must(t.Run("WriteReview", func(t *testing.T) {
		tb := ada.use(t)
		tb.visit("/products/"+productID, 200)
		tb.do("choose 4 stars", chromedp.Click(chromedp.CSS("#rating-4"), chromedp.NodeVisible))
		tb.fill("#title", "Sharp and creamy")
		tb.fill("#body", "Crumbly, with a long nutty finish. Lovely on toast.")
		tb.submit("publish review", 200, chromedp.Click(chromedp.CSS("#review-submit"), chromedp.NodeVisible))
		if got := tb.path(); got != "/products/"+productID {
			t.Errorf("after publishing the browser is at %s, want the product page", got)
		}
		reviewID = tb.reviewIDBy(adaName)
		if reviewID == "" {
			t.Fatalf("Ada's review is not in the list: %q", tb.texts("#review-list .review"))
		}
		if got := tb.text("#review-" + reviewID + "-title"); got != "Sharp and creamy" {
			t.Errorf("review title = %q, want %q", got, "Sharp and creamy")
		}
		if got := tb.histogram(); got != [5]int{0, 0, 0, 1, 0} {
			t.Errorf("histogram after a 4-star review = %v, want [0 0 0 1 0]", got)
		}
		if got := tb.text("#rating-count"); got != "1 review" {
			t.Errorf("rating count = %q, want %q", got, "1 review")
		}
		if got := tb.text("#rating-average"); !strings.HasPrefix(got, "4") {
			t.Errorf("rating average = %q, want 4", got)
		}
		// The JSON-LD for search engines follows the reviews.
		ld := runValue(tb, "JSON-LD", chromedp.Evaluate[map[string]any](`JSON.parse(document.getElementById('product-jsonld').textContent)`))
		if ld["@type"] != "Product" || ld["name"] != productName {
			t.Errorf("JSON-LD = %v, want a Product named %q", ld, productName)
		}
		if ar, _ := ld["aggregateRating"].(map[string]any); ar == nil || fmt.Sprint(ar["reviewCount"]) != "1" && fmt.Sprint(ar["ratingCount"]) != "1" {
			t.Errorf("JSON-LD aggregateRating = %v, want a count of 1", ld["aggregateRating"])
		}
		tb.axe("product, signed in")
		tb.screenshots("product")
	}))

	t.Run("EditReview", func(t *testing.T) {
		tb := ada.use(t)
		tb.visit("/products/"+productID, 200)
		if got := tb.text("#review-submit"); got != "Save changes" {
			t.Errorf("with a review written the form button says %q, want Save changes", got)
		}
		if got := tb.value("#title"); got != "Sharp and creamy" {
			t.Errorf("edit form title = %q, want the review's title", got)
		}
		tb.do("choose 2 stars", chromedp.Click(chromedp.CSS("#rating-2"), chromedp.NodeVisible))
		tb.fill("#body", "A second wedge was chalky and bland.")
		tb.submit("save review", 200, chromedp.Click(chromedp.CSS("#review-submit"), chromedp.NodeVisible))
		if got := tb.text("#review-" + reviewID + " .review-body"); got != "A second wedge was chalky and bland." {
			t.Errorf("review body after editing = %q", got)
		}
		if got := tb.histogram(); got != [5]int{0, 1, 0, 0, 0} {
			t.Errorf("histogram after editing to 2 stars = %v, want [0 1 0 0 0]", got)
		}
		if got := tb.text("#rating-count"); got != "1 review" {
			t.Errorf("rating count after editing = %q, want %q", got, "1 review")
		}
		tb.visit("/account", 200)
		if n := tb.count("#my-review-" + reviewID); n != 1 {
			t.Errorf("account lists the review %d times, want 1", n)
		}
	})

	bea := b.newTab(t, site)
	t.Run("VoteHelpful", func(t *testing.T) {
		tb := bea.use(t)
		tb.register(siteUser{"bea@example.test", "Bea Keeper", "Hazelnut-ferry-Window-31"})
		tb.visit("/products/"+productID, 200)
		vote := "#vote-form-" + reviewID + " button"
		if got := runValue(tb, "aria-pressed", chromedp.AttributeValue(chromedp.CSS(vote), "aria-pressed")); got.Value != "false" {
			t.Errorf("vote button aria-pressed = %q before voting, want false", got.Value)
		}
		tb.submit("vote helpful", 200, chromedp.Click(chromedp.CSS(vote), chromedp.NodeVisible))
		if got := tb.text("#review-" + reviewID + "-helpful"); got != "1 person found this helpful" {
			t.Errorf("helpful count = %q, want %q", got, "1 person found this helpful")
		}
		if got := runValue(tb, "aria-pressed", chromedp.AttributeValue(chromedp.CSS(vote), "aria-pressed")); got.Value != "true" {
			t.Errorf("vote button aria-pressed = %q after voting, want true", got.Value)
		}
		// The author cannot vote for her own review.
		ada.use(t).visit("/products/"+productID, 200)
		if n := ada.count("#vote-form-" + reviewID); n != 0 {
			t.Errorf("the author is offered a helpful vote on her own review")
		}
	})

	t.Run("ProducerReplies", func(t *testing.T) {
		tb := patTab.use(t)
		tb.visit("/products/"+productID, 200)
		form := "#reply-" + reviewID + "-form"
		tb.do("open reply", chromedp.Click(chromedp.CSS("#review-"+reviewID+" details.reply-edit summary"), chromedp.NodeVisible))
		tb.fill("#reply-"+reviewID+"-body", "Sorry to hear it. That batch was young; please ask us for a replacement.")
		tb.submit("save reply", 200, chromedp.Click(chromedp.CSS(form+" button[type=submit]"), chromedp.NodeVisible))
		if got := tb.text("#review-" + reviewID + "-reply .review-body"); !strings.HasPrefix(got, "Sorry to hear it.") {
			t.Errorf("reply shown = %q, want the producer's reply", got)
		}
		anon.use(t).visit("/products/"+productID, 200)
		if got := anon.text("#review-" + reviewID + "-reply .reply-title"); !strings.Contains(got, "Hillside Dairy") {
			t.Errorf("reply title for visitors = %q, want it to name the farm", got)
		}
		// A member cannot reply.
		bea.use(t).visit("/products/"+productID, 200)
		if n := bea.count("#reply-" + reviewID + "-form"); n != 0 {
			t.Errorf("a member is offered the farm's reply form")
		}
	})

	t.Run("ModeratorRemoves", func(t *testing.T) {
		// Bea reports the review; Mo removes it from the queue.
		tb := bea.use(t)
		tb.visit("/products/"+productID, 200)
		fid := "flag-" + reviewID
		tb.do("open report", chromedp.Click(chromedp.CSS("#review-"+reviewID+" details.flag summary"), chromedp.NodeVisible))
		tb.do("choose reason", chromedp.Click(chromedp.CSS("#"+fid+"-reason-fake"), chromedp.NodeVisible))
		tb.fill("#"+fid+"-note", "The author works for a rival dairy.")
		tb.submit("send report", 200, chromedp.Click(chromedp.CSS("#"+fid+"-form button[type=submit]"), chromedp.NodeVisible))

		mod := b.newTab(t, site).use(t)
		mod.login(mo, "/moderation")
		item := "#queue-" + reviewID
		if n := mod.count(item); n != 1 {
			t.Fatalf("the flagged review is in the queue %d times, want 1; queue: %q", n, mod.texts("#queue .queue-item"))
		}
		if got := mod.text(item + "-flags"); !strings.Contains(got, "fake") {
			t.Errorf("queue flags = %q, want the reason fake", got)
		}
		mod.axe("moderation queue")
		mod.screenshots("moderation")
		did := "#decide-" + reviewID
		mod.do("choose remove", chromedp.Click(chromedp.CSS(did+"-action-remove"), chromedp.NodeVisible))
		mod.fill(did+"-note", "Undisclosed conflict of interest.")
		mod.submit("record decision", 200, chromedp.Click(chromedp.CSS(did+"-submit"), chromedp.NodeVisible))
		if n := mod.count(item); n != 0 {
			t.Errorf("the removed review is still in the queue")
		}

		av := anon.use(t)
		av.visit("/products/"+productID, 200)
		if n := av.count("#review-" + reviewID); n != 0 {
			t.Errorf("the removed review is still on the product page")
		}
		if got := av.histogram(); got != [5]int{} {
			t.Errorf("histogram after removal = %v, want all 0", got)
		}
		if got := av.text("#rating-count"); got != "No reviews yet" {
			t.Errorf("rating count after removal = %q, want %q", got, "No reviews yet")
		}
	})

	t.Run("VerifiedReviewFromPrintedCode", func(t *testing.T) {
		// Pat prints purchase codes for the cheddar; a buyer follows the
		// first code's link, writes a verified review with a harvest month
		// and an aspect score, and adds a photo.
		tb := patTab.use(t)
		tb.visit("/products/"+productID, 200)
		farmPath := runValue(tb, "farm link", chromedp.Evaluate[string](`document.getElementById('product-farm').getAttribute('href')`))
		tb.visit(farmPath+"/purchase-codes", 200)
		tb.axe("purchase codes form")
		tb.do("choose product", chromedp.SetValue(chromedp.CSS("#product_id"), productID))
		tb.fill("#count", "501")
		tb.submit("too many codes", 422, chromedp.Click(chromedp.CSS("#codes-submit"), chromedp.NodeVisible))
		if got := tb.text("#count-error"); got == "" {
			t.Errorf("no error beside the count")
		}
		tb.fill("#count", "2")
		tb.submit("make codes", 201, chromedp.Click(chromedp.CSS("#codes-submit"), chromedp.NodeVisible))
		if n := tb.count("#code-sheet .code-card svg.qr"); n != 2 {
			t.Fatalf("printed sheet has %d QR codes, want 2", n)
		}
		tb.axe("printed purchase codes")
		tb.screenshots("purchase-codes")
		code := tb.text("#code-sheet .code-card .code-text code")
		link := runValue(tb, "code link", chromedp.Evaluate[string](`document.querySelector('#code-sheet .code-url a').href`))
		u, err := url.Parse(link)
		if err != nil || u.Query().Get("code") != code {
			t.Fatalf("code link %q does not carry the code %q", link, code)
		}

		cy := b.newTab(t, site).use(t)
		cy.register(siteUser{"cy@example.test", "Cy Buyer", "Harvest-basket-Meadow-31"})
		// Reviews by unverified accounts wait: Cy confirms the address first.
		confirm := smtp.WaitFor(t, "cy@example.test", "Confirm your e-mail address").Link(t, "/verify-email")
		cy.visit(strings.TrimPrefix(confirm, site.URL), 200)
		cy.submit("confirm e-mail", 200, chromedp.Click(chromedp.CSS("#verify-submit"), chromedp.NodeVisible))
		cy.visit(u.RequestURI(), 200)
		if got := cy.value("#purchase_code"); got != code {
			t.Errorf("review form's purchase code = %q, want %q from the link", got, code)
		}
		month := time.Now().UTC().Format("2006-01")
		cy.do("choose 5 stars", chromedp.Click(chromedp.CSS("#rating-5"), chromedp.NodeVisible))
		cy.fill("#body", "Bought at the Saturday market; nutty and firm.")
		cy.do("harvest month", chromedp.SetValue(chromedp.CSS("#harvest"), month))
		cy.do("flavour 4", chromedp.Click(chromedp.CSS("#aspect-flavour-4"), chromedp.NodeVisible))
		cy.submit("publish verified review", 200, chromedp.Click(chromedp.CSS("#review-submit"), chromedp.NodeVisible))
		id := cy.reviewIDBy("Cy Buyer")
		if id == "" {
			t.Fatalf("Cy's review is not in the list")
		}
		if got := cy.text("#review-" + id + " .badge.verified"); got != "Verified purchase" {
			t.Errorf("verified badge = %q, want Verified purchase", got)
		}
		if got := cy.text("#review-" + id + " .badge.harvest"); got != "Harvest "+month {
			t.Errorf("harvest badge = %q, want Harvest %s", got, month)
		}
		if got := cy.text("#aspect-averages li[data-aspect=flavour]"); !strings.HasPrefix(got, "Flavour: 4.00") {
			t.Errorf("flavour average = %q, want 4.00", got)
		}

		photo := filepath.Join(t.TempDir(), "market.png")
		img := image.NewRGBA(image.Rect(0, 0, 640, 480))
		for y := range 480 {
			for x := range 640 {
				img.Set(x, y, color.RGBA{uint8(x / 3), uint8(y / 2), 90, 255})
			}
		}
		var buf bytes.Buffer
		if err := png.Encode(&buf, img); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(photo, buf.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
		cy.do("choose photo", chromedp.SetUploadFiles(chromedp.CSS("#photo"), []string{photo}, chromedp.NodeReady))
		cy.submit("upload photo", 200, chromedp.Click(chromedp.CSS("#photo-submit"), chromedp.NodeVisible))
		sel := "#review-" + id + " .review-photos img"
		if n := cy.count(sel); n != 1 {
			t.Fatalf("review shows %d photos, want 1", n)
		}
		w := runValue(cy, "photo loaded", chromedp.Evaluate[int](`(async () => { const i = document.querySelector(`+jsString(sel)+`); await i.decode(); return i.naturalWidth; })()`,
			chromedp.EvalAwaitPromise))
		if w != 400 {
			t.Errorf("thumbnail width = %d, want 400", w)
		}
		ld := runValue(cy, "JSON-LD", chromedp.Evaluate[map[string]any](`JSON.parse(document.getElementById('product-jsonld').textContent)`))
		if !strings.Contains(fmt.Sprint(ld["review"]), "/media/") {
			t.Errorf("JSON-LD reviews = %v, want the photo's URL", ld["review"])
		}
		cy.axe("product with a verified review and a photo")
		cy.screenshots("verified-review")

		cy.submit("open permalink", 200, chromedp.Click(chromedp.CSS("#review-"+id+" a.permalink"), chromedp.NodeVisible))
		if got := cy.path(); got != "/reviews/"+id {
			t.Errorf("permalink led to %s, want /reviews/%s", got, id)
		}
		cy.axe("review permalink")
	})

	// A farmer gets onto the site alone: applies, an admin approves, she
	// adds a product, a shopper reviews it, she replies from her inbox.
	// Both are made with `fpr user add`, which counts as a verified e-mail.
	t.Run("FarmOnboarding", func(t *testing.T) {
		fay := siteUser{"fay@example.test", "Fay Farmer", "Barley-windmill-Otter-31"}
		rey := siteUser{"rey@example.test", "Rey Viewer", "Clover-harbour-Mitten-64"}
		for _, u := range []siteUser{fay, rey} {
			if err := site.addUser(u, "member"); err != nil {
				t.Fatal(err)
			}
		}
		ft := b.newTab(t, site).use(t)
		ft.login(fay, "/account")
		ft.submit("open the application", 200, chromedp.Click(chromedp.CSS("#apply-link"), chromedp.NodeVisible))
		ft.fill("#farm_name", "Brook Farm")
		ft.fill("#description", "Goats and cheese by the brook.")
		ft.fill("#contact", "01632 960123")
		ft.submit("apply without a region", 422, chromedp.Click(chromedp.CSS("#apply-submit"), chromedp.NodeVisible))
		if got := ft.text("#region-error"); got == "" {
			t.Errorf("no error beside the region")
		}
		if got := ft.value("#contact"); got != "01632 960123" {
			t.Errorf("contact after a refused form = %q, want it kept", got)
		}
		ft.axe("farm application with errors")
		ft.fill("#region", "Devon")
		ft.submit("apply", 200, chromedp.Click(chromedp.CSS("#apply-submit"), chromedp.NodeVisible))
		if got := ft.text("#flash"); !strings.Contains(got, "application is sent") {
			t.Fatalf("after applying: flash %q", got)
		}
		if got := ft.text("#application-pending"); !strings.Contains(got, "We will e-mail you when an admin decides") {
			t.Errorf("after applying, the application page says %q", got)
		}
		ft.axe("farm application waiting")

		at := b.newTab(t, site).use(t)
		at.login(admin, "/admin/farm-applications")
		ids := runValue(at, "application ids", chromedp.Evaluate[[]string](`[...document.querySelectorAll('#application-list li.application')].map(e => e.id)`))
		if len(ids) != 1 {
			t.Fatalf("pending applications = %v, want Fay's", ids)
		}
		appID := strings.TrimPrefix(ids[0], "application-")
		at.axe("farm applications")
		at.fill("#note-"+appID, "Welcome to FPR!")
		at.submit("approve", 200, chromedp.Click(chromedp.CSS("#approve-"+appID), chromedp.NodeVisible))
		if got := at.text("#flash"); !strings.Contains(got, "approved") {
			t.Fatalf("after approving: flash %q", got)
		}

		// Fay, now a producer, adds a product to her new farm.
		ft.visit("/admin", 200)
		ft.submit("open her farm", 200, chromedp.Click(chromedp.CSS("#farms a[href^='/admin/farms/']"), chromedp.NodeVisible))
		if got := ft.text("#farm-heading"); got != "Brook Farm" {
			t.Fatalf("farm heading = %q, want Brook Farm", got)
		}
		ft.do("choose category", chromedp.SetValue(chromedp.CSS("#category"), "dairy"))
		ft.fill("#name", "Brook goat cheese")
		ft.fill("#unit", "per 200 g")
		ft.submit("add product", 200, chromedp.Click(chromedp.CSS("#product-submit"), chromedp.NodeVisible))
		ft.submit("open product", 200, chromedp.Click(chromedp.CSS("#product-table tbody td:first-child a"), chromedp.NodeVisible))
		prodPath := ft.path()
		if got := ft.text("#own-farm-note"); got != "You cannot review your own farm's products." {
			t.Errorf("the producer's own product shows %q instead of the note", got)
		}

		// Rey reviews it.
		rt := b.newTab(t, site).use(t)
		rt.login(rey, "/farms")
		rt.axe("farm directory")
		rt.visit(prodPath, 200)
		rt.do("choose 2 stars", chromedp.Click(chromedp.CSS("#rating-2"), chromedp.NodeVisible))
		rt.fill("#body", "Too salty for me.")
		rt.submit("publish review", 200, chromedp.Click(chromedp.CSS("#review-submit"), chromedp.NodeVisible))

		// Fay answers from her inbox, without leaving it.
		ft.visit("/account/farm-reviews?unanswered=true", 200)
		items := runValue(ft, "inbox ids", chromedp.Evaluate[[]string](`[...document.querySelectorAll('#inbox > li')].map(e => e.id)`))
		if len(items) != 1 {
			t.Fatalf("inbox = %v, want Rey's review", items)
		}
		rid := strings.TrimPrefix(items[0], "inbox-review-")
		ft.axe("review inbox")
		ft.fill("#reply-body-"+rid, "Thank you, Rey: the next batch is milder.")
		ft.submit("reply from the inbox", 200, chromedp.Click(chromedp.CSS("#reply-submit-"+rid), chromedp.NodeVisible))
		if got := ft.path(); got != "/account/farm-reviews?unanswered=true" {
			t.Errorf("after replying the browser is at %s, want the unanswered inbox", got)
		}
		if got := ft.text("#inbox-empty"); got != "Every review has a reply." {
			t.Errorf("inbox after the reply = %q", got)
		}
		rt.visit(prodPath, 200)
		if got := rt.text("#review-" + rid + "-reply .review-body"); !strings.HasPrefix(got, "Thank you, Rey") {
			t.Errorf("reply on the product page = %q", got)
		}
		// The farm page shows the farm's rating and, to Fay, what to embed.
		ft.visit(prodPath, 200)
		ft.submit("open the farm page", 200, chromedp.Click(chromedp.CSS("#product-farm"), chromedp.NodeVisible))
		if got := ft.text("#farm-rating-count"); got != "1 review" {
			t.Errorf("farm rating count = %q, want 1 review", got)
		}
		if got := ft.text("#embed-snippet"); !strings.Contains(got, "/embed/farms/") {
			t.Errorf("embed snippet = %q", got)
		}
		ft.axe("farm page of its producer")
		ft.screenshots("farm-onboarding")
	})

	t.Run("LogOut", func(t *testing.T) {
		tb := ada.use(t)
		tb.visit("/account", 200)
		tb.submit("log out", 200, chromedp.Click(chromedp.CSS("#logout-button"), chromedp.NodeVisible))
		if got := tb.path(); got != "/" {
			t.Errorf("after logging out the browser is at %s, want /", got)
		}
		if n := tb.count("#logout-button"); n != 0 {
			t.Errorf("after logging out the page still offers to log out")
		}
		if got := tb.cookies(); slices.Contains(got, "fpr_session") {
			t.Errorf("cookies after logging out = %q, want no fpr_session", got)
		}
		tb.visit("/account", 200)
		if got := tb.path(); !strings.HasPrefix(got, "/login") {
			t.Errorf("/account after logging out ends at %s, want the log-in page", got)
		}
	})
}
