package http

import (
	"flag"
	"html/template"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/google/go-cmp/cmp"

	"github.com/fpr-team/fpr"
	"github.com/fpr-team/fpr/web"
)

var sampleTime = time.Date(2026, 11, 20, 9, 30, 0, 0, time.UTC)

var sampleUser = &fpr.User{ID: "u1", Email: "ann@example.org", DisplayName: "Ann <b>", Role: fpr.RoleAdmin, CreatedAt: sampleTime}

var sampleBase = basePage{
	Title: "Sample", User: sampleUser, Flash: "Saved.", Release: "r1", Env: "staging", Staging: true,
	Path: "/x", RequestID: "req-123456", Next: "/x?y=1",
}

var sampleProduct = &fpr.Product{
	ID: "p1", FarmID: "f1", FarmName: "Green Acre", Name: "Raw milk cheese", Slug: "raw-milk-cheese",
	Category: "dairy", Description: "Aged 12 months.", Unit: "per kg", CreatedAt: sampleTime,
	Rating: fpr.Rating{Count: 3, Sum: 12, Histogram: [5]int{0, 0, 1, 1, 1}},
}

var sampleReview = &fpr.Review{
	ID: "r1", ProductID: "p1", Author: fpr.Author{ID: "u2", DisplayName: "Bob"}, Rating: 4,
	Title: "Lovely", Body: "Line one\nLine two <script>", Status: fpr.StatusPublished, HelpfulCount: 2,
	CreatedAt: sampleTime, UpdatedAt: sampleTime,
	Reply: &fpr.Reply{Body: "Thanks!", Author: fpr.Author{ID: "u3", DisplayName: "Farmer"}, CreatedAt: sampleTime, UpdatedAt: sampleTime},
}

var sampleForm = formState{Message: "Some fields need another look.", Errors: map[string]string{
	"email": "Enter an e-mail address like ann@example.org.", "password": "Use at least 10 characters.",
	"display_name": "Enter a display name.", "current_password": "Wrong password.", "new_password": "Too short.",
}}

// pageSamples holds a filled example of every page's data. TestTemplates
// fails for a page template without one.
var pageSamples = map[string]any{
	"error":           &errorPage{basePage: sampleBase, Status: 500, Heading: "Sorry", Message: "Oops"},
	"home":            &homePage{basePage: sampleBase, RecentReviews: []namedReview{{Review: sampleReview, ProductName: "Cheese"}}, TopRated: []*fpr.Product{sampleProduct}, Categories: fpr.Categories},
	"register":        &registerPage{basePage: sampleBase, Form: registerForm{Email: "ann@", DisplayName: "Ann", formState: sampleForm}},
	"login":           &loginPage{basePage: sampleBase, Form: loginForm{Email: "ann@example.org", Next: "/account", formState: sampleForm}},
	"verify_email":    &tokenPage{basePage: sampleBase, Token: "tok", Form: sampleForm},
	"reset_password":  &tokenPage{basePage: sampleBase, Token: "tok", Form: sampleForm},
	"forgot_password": &forgotPasswordPage{basePage: sampleBase, Email: "ann@example.org", Sent: true, Form: sampleForm},
	"unsubscribe":     &unsubscribePage{basePage: sampleBase, Token: "tok", Done: fpr.TopicReplyReceived, Form: sampleForm},
	"account":         &accountPage{basePage: sampleBase, Reviews: []namedReview{{Review: sampleReview, ProductName: "Cheese"}}, NextURL: "/account?cursor=x", Password: sampleForm},
	"mfa": &mfaPage{basePage: sampleBase, Status: fpr.MFAStatus{Pending: &fpr.TOTPSetup{Secret: "ABCD", URL: "otpauth://totp/FPR:ann?secret=ABCD"}},
		QR: "data:image/png;base64,AAAA", Secret: "ABCD", RecoveryCodes: []string{"abcd-efgh-ijkl-mnop"}, StaffNeedsMFA: true,
		Confirm: codeForm{Code: "12", formState: sampleForm}, Disable: codeForm{formState: sampleForm}},
	"products": &productsPage{basePage: sampleBase, Query: "cheese", Category: "dairy", MinRating: "4", Sort: "top_rated",
		Products: []*fpr.Product{sampleProduct}, NextURL: "/products?cursor=x", Filters: formState{Errors: map[string]string{"min_rating": "Bad."}}},
	"product": &productPage{basePage: sampleBase, Product: sampleProduct, Farm: sampleFarm,
		Bars:    []histBar{{Stars: 5, Count: 1, Pct: 35, URL: "/products/p1?rating=5#reviews", Current: true}, {Stars: 1, URL: "/products/p1?rating=1#reviews"}},
		Reviews: []productReview{{Review: sampleReview, CanVote: true, CanFlag: true, FlagForm: flagForm{Reason: "spam", formState: sampleForm}, ReplyForm: replyForm{Body: "Thanks", formState: sampleForm}}},
		Sort:    "helpful", Star: 5, NextURL: "/products/p1?cursor=x", Mine: sampleReview,
		ReviewForm: reviewForm{Rating: 4, Title: "T", Body: "B", Harvest: "2026-10", Category: "eggs", Aspects: map[fpr.Aspect]int{"yolk": 5},
			formState: formState{Errors: map[string]string{"rating": "Choose.", "harvest": "Bad.", "aspects.yolk": "Choose."}}},
		CanReply: true, JSONLD: (&Server{}).productLD(sampleProduct, sampleFarm, []*fpr.Review{sampleRichReview}),
		ByYear:     []fpr.YearRating{{Year: 2026, Rating: fpr.Rating{Count: 2, Sum: 9, Histogram: [5]int{0, 0, 0, 1, 1}}}},
		Moderation: &fpr.ModerationCounts{Removed: map[fpr.FlagReason]int{"spam": 2}, Rejected: map[fpr.FlagReason]int{"other": 1}},
		PhotoForm:  sampleForm},
	"moderation": &moderationPage{basePage: sampleBase, Status: "flagged", NextURL: "/moderation?cursor=x",
		Items: []moderationItem{{ModerationItem: &fpr.ModerationItem{Review: sampleReview, ProductName: "Cheese", FlagCount: 3, Flags: map[fpr.FlagReason]int{"spam": 2, "fake": 1},
			OpenFlags: []*fpr.Flag{{Reason: "spam", Note: "Same text on five products.", Counts: true, CreatedAt: sampleTime}, {Reason: "fake", CreatedAt: sampleTime}}},
			Form: moderationForm{Action: "reject", Note: "n", formState: formState{Errors: map[string]string{"action": "Choose."}}}}}},
	"moderation_review": &moderationReviewPage{basePage: sampleBase, Review: sampleReview, ProductName: "Cheese",
		Log:  []*fpr.ModerationEntry{{ID: "m1", ReviewID: "r1", Moderator: fpr.Author{ID: "u1", DisplayName: "Mo"}, Action: "publish", Note: "ok", CreatedAt: sampleTime}},
		Form: moderationForm{Action: "remove", formState: sampleForm}},
	"admin": &adminPage{basePage: sampleBase, Farms: []*fpr.Farm{sampleFarm}, NextURL: "/admin?cursor=x",
		FarmForm: farmForm{Name: "N", Region: "R", OwnerEmail: "x@", formState: formState{Errors: map[string]string{"owner_email": "No account."}}}},
	"admin_farm": &adminFarmPage{basePage: sampleBase, Farm: sampleFarm, FarmForm: farmForm{Name: "N", formState: sampleForm},
		Products: []*fpr.Product{sampleProduct}, NextURL: "/admin/farms/f1?cursor=x",
		ProductForm: productForm{Name: "P", Category: "dairy", formState: formState{Errors: map[string]string{"category": "Choose."}}}},
	"admin_product": &adminProductPage{basePage: sampleBase, Product: sampleProduct, Form: productForm{Name: "P", Category: "eggs", Unit: "dozen", formState: sampleForm}},
	"admin_users": &adminUsersPage{basePage: sampleBase, Query: "ann", Role: "member", Users: []*fpr.User{sampleUser}, NextURL: "/admin/users?cursor=x",
		RoleForm: roleForm{UserID: "u1", Role: "boss", formState: formState{Message: "Unknown role.", Errors: map[string]string{"role": "Choose a role."}}}},
	"user": &userPage{basePage: sampleBase, Person: fpr.Author{ID: "u2", DisplayName: "Bob"}, Since: "November 2026",
		Reviews: []namedReview{{Review: sampleReview, ProductName: "Cheese"}}, NextURL: "/users/u2?cursor=x"},
	"ops": &opsPage{basePage: sampleBase, Status: "open", NextURL: "/ops?cursor=x", Groups: []*fpr.ErrorGroup{sampleGroup}},
	"ops_group": &opsGroupPage{basePage: sampleBase, Group: sampleGroup, RequestID: "q1",
		Events: []*fpr.ErrorEvent{{ID: "e1", Fingerprint: "fp1", RequestID: "q1", Route: "POST /register", Type: "panic", Message: "boom", Stack: "goroutine 1", Release: "r1", Instance: "i1", Time: sampleTime}}},
	"ops_releases": &opsReleasesPage{basePage: sampleBase, NextURL: "/ops/releases?cursor=x",
		Releases: []*fpr.ReleaseSummary{{Release: "r1", Commit: "c1", StartedAt: sampleTime, Starts: 2, NewGroups: 1, GroupsSince: 3, Schema: 14, OwnSchema: 12}}},
	"ops_mail": &opsMailPage{basePage: sampleBase, Status: "undeliverable", Undeliverable: 1, Pending: 2, Sent: 3,
		Mails: []*fpr.Mail{{ID: "m1", Kind: fpr.MailVerifyEmail, To: "ann@example.org", Attempts: 8, LastError: "451 busy", CreatedAt: sampleTime}}, NextURL: "/ops/mail?cursor=x"},
	"ops_alerts": &opsAlertsPage{basePage: sampleBase, NextURL: "/ops/alerts?cursor=x",
		Alerts: []*fpr.Alert{{ID: "a1", Key: "k", Kind: fpr.AlertNewError, Fingerprint: "fp1", Message: "New error.", Created: sampleTime, SendError: "timeout"}}},
	"review": &reviewPage{basePage: sampleBase, Review: sampleRichReview, Product: sampleProduct, ShowHistory: true,
		History: []*fpr.Revision{{Rating: 2, Title: "Was", Body: "Before.", Harvest: "2026-09", WrittenAt: sampleTime, ReplacedAt: sampleTime}}},
	"purchase_codes": &purchaseCodesPage{basePage: sampleBase, Farm: sampleFarm, Products: []*fpr.Product{sampleProduct},
		Form:  purchaseCodeForm{ProductID: "p1", Count: "2", formState: sampleForm},
		Codes: []printedCode{{Code: "ABCD-EFGH-JKMN-PQRS", Product: "Cheese", URL: "http://x/products/p1?code=ABCD", QR: mustQR("http://x/products/p1?code=ABCD")}}},
	"audit": &auditPage{basePage: sampleBase, Actor: "u1", Target: "review:r1", Action: "bad!", NextURL: "/ops/audit?cursor=x",
		formState: formState{Errors: map[string]string{"action": "Must be an action name."}},
		Entries: []*fpr.AuditEntry{{ID: "a1", Action: fpr.AuditReviewModerate, Actor: &fpr.Author{ID: "u1", DisplayName: "Mo"}, Target: "review:r1",
			Address: "192.0.2.1", CreatedAt: sampleTime, Details: map[string]string{"action": "publish"}}, {ID: "a2", Action: fpr.AuditLoginFailed, CreatedAt: sampleTime}}},
	"farm": &farmPage{basePage: sampleBase, Farm: sampleFarm, Products: []*fpr.Product{sampleProduct}, NextURL: "/farms/f1?cursor=x", CanManage: true,
		Bars: []histBar{{Stars: 5, Count: 1, Pct: 100}}, JSONLD: &ldOrganization{Name: "Green Acre"}, EmbedSnippet: "<iframe>", BadgeSnippet: "<a>"},
	"farms": &farmsPage{basePage: sampleBase, Farms: []*fpr.Farm{sampleFarm}, Query: "cows", Region: "Somerset", Sort: "top_rated",
		Regions: []option{{Value: "Somerset", Label: "Somerset", Selected: true}}, Sorts: []sortLink{{Label: "Name", URL: "/farms"}}, NextURL: "/farms?cursor=x"},
	"farm_application": &farmApplicationPage{basePage: sampleBase, CanApply: true,
		Latest: &fpr.FarmApplication{ID: "a0", FarmName: "Green <Acre>", Status: fpr.FarmApplicationRejected, Note: "Call us <b>", DecidedAt: &sampleTime, CreatedAt: sampleTime},
		Form:   applicationForm{FarmName: "Green Acre", Region: "Somerset", Description: "Cows.", Contact: "0123", formState: sampleForm}},
	"farm_reviews": &farmReviewsPage{basePage: sampleBase, Unanswered: true, NextURL: "/account/farm-reviews?cursor=x",
		Items: []inboxItem{{FarmReview: &fpr.FarmReview{Review: sampleReview, ProductName: "Cheese", FarmID: "f1", FarmName: "Green Acre"},
			ReplyForm: replyForm{Body: "Thanks", formState: sampleForm}}}},
	"admin_applications": &adminApplicationsPage{basePage: sampleBase, Status: "pending", Statuses: []sortLink{{Label: "Waiting", URL: "/x", Current: true}},
		Items: []applicationItem{{FarmApplication: &fpr.FarmApplication{ID: "a1", Applicant: fpr.Author{ID: "u1", DisplayName: "Ann"},
			FarmName: "Green Acre", Region: "Somerset", Description: "Cows.", Contact: "0123", Status: fpr.FarmApplicationPending, CreatedAt: sampleTime},
			Form: decisionForm{Note: "Hm", formState: sampleForm}}}, NextURL: "/admin/farm-applications?cursor=x"},
}

var sampleRichReview = &fpr.Review{ID: "r9", ProductID: "p1", Author: fpr.Author{ID: "u2", DisplayName: "Bob"}, Rating: 4,
	Title: "Good", Body: "Fresh.", Status: fpr.StatusPublished, CreatedAt: sampleTime, UpdatedAt: sampleTime,
	Harvest: "2026-10", VerifiedPurchase: true, Aspects: map[fpr.Aspect]int{"freshness": 5}, Revisions: 1,
	Photos: []*fpr.Photo{{ID: "ph1", ContentType: "image/jpeg", Width: 1600, Height: 1200, CreatedAt: sampleTime}}}

func mustQR(text string) template.HTML {
	h, err := qrSVG(text)
	if err != nil {
		panic(err)
	}
	return h
}

var sampleGroup = &fpr.ErrorGroup{Fingerprint: "fp1", Type: "panic", Message: "boom", Route: "POST /register", Stack: "goroutine 1",
	Count: 3, FirstSeen: sampleTime, LastSeen: sampleTime, FirstRelease: "r1", LastRelease: "r2", Status: fpr.ErrorOpen, Regressed: true}

var sampleFarm = &fpr.Farm{ID: "f1", OwnerID: "u3", Name: "Green Acre", Slug: "green-acre", Region: "Somerset", Description: "Cows.", CreatedAt: sampleTime}

// TestTemplates renders every page template with the zero value of its
// data type and with a filled example, so a misspelt field or a wrong
// function argument fails here rather than on a visitor's request.
func TestTemplates(t *testing.T) {
	s := &Server{Build: fpr.BuildInfo{Release: "r1"}, Now: func() time.Time { return sampleTime.Add(72 * time.Hour) }}
	s.mustLoadWeb()

	files, err := fs.Glob(web.FS, "templates/*.html")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		name := strings.TrimSuffix(path.Base(f), ".html")
		if strings.HasPrefix(name, "_") {
			continue
		}
		typ, ok := pageTypes[name]
		if !ok {
			t.Errorf("template %s has no entry in pageTypes", name)
			continue
		}
		sample, ok := pageSamples[name]
		if !ok {
			t.Errorf("template %s has no entry in pageSamples", name)
			continue
		}
		if got, want := reflect.TypeOf(sample).Elem(), reflect.TypeOf(typ); got != want {
			t.Errorf("pageSamples[%s] is a %v, want *%v", name, got, want)
		}
		zero := reflect.New(reflect.TypeOf(typ)).Interface()
		for _, tc := range []struct {
			label string
			data  any
		}{{"zero", zero}, {"filled", sample}} {
			t.Run(name+"/"+tc.label, func(t *testing.T) {
				w := httptest.NewRecorder()
				r := httptest.NewRequest(http.MethodGet, "/", nil)
				if err := s.render(w, r, http.StatusOK, name, tc.data); err != nil {
					t.Fatalf("render: %v", err)
				}
				doc, err := goquery.NewDocumentFromReader(w.Body)
				if err != nil {
					t.Fatal(err)
				}
				for _, sel := range []string{"html[lang=en]", "head > title", "body > header", "nav[aria-label=Main]", "main#main", "body > footer", "a.skip-link[href='#main']"} {
					if n := doc.Find(sel).Length(); n != 1 {
						t.Errorf("%s: %d elements, want 1", sel, n)
					}
				}
				if n := doc.Find("[style]").Length(); n != 0 {
					t.Errorf("%d elements with a style attribute; CSP forbids them", n)
				}
				if n := doc.Find("script:not([src]):not([type='application/ld+json'])").Length(); n != 0 {
					t.Errorf("%d inline scripts; CSP forbids them", n)
				}
				checkLabels(t, doc)
			})
		}
	}
	for name := range pageTypes {
		if _, ok := s.web.pages[name]; !ok {
			t.Errorf("pageTypes names %s, which has no template", name)
		}
	}
}

// checkLabels fails the test for a form control without a label, and for
// duplicate ids.
func checkLabels(t *testing.T, doc *goquery.Document) {
	t.Helper()
	doc.Find("input, select, textarea").Each(func(_ int, el *goquery.Selection) {
		typ, _ := el.Attr("type")
		if typ == "hidden" || typ == "submit" {
			return
		}
		id, _ := el.Attr("id")
		if id == "" {
			t.Errorf("form control %s has no id", goquery.NodeName(el))
			return
		}
		if doc.Find("label[for='"+id+"']").Length() == 0 && el.ParentsFiltered("label").Length() == 0 {
			t.Errorf("form control #%s has no label", id)
		}
	})
	// A required select whose empty choice is picked blocks a form the
	// browser validates: filters must use the "filter" option instead.
	doc.Find("form:not([novalidate]) select[required]").Each(func(_ int, el *goquery.Selection) {
		if v, ok := el.Find("option").First().Attr("value"); ok && v == "" {
			id, _ := el.Attr("id")
			t.Errorf("select #%s is required but offers an empty choice in a form the browser validates", id)
		}
	})
	seen := map[string]bool{}
	doc.Find("[id]").Each(func(_ int, el *goquery.Selection) {
		id, _ := el.Attr("id")
		if seen[id] {
			t.Errorf("duplicate id %q", id)
		}
		seen[id] = true
	})
}

func TestTemplateFuncs(t *testing.T) {
	now := sampleTime
	for _, tc := range []struct {
		name string
		got  string
		want string
	}{
		{"ago/just now", string(ago(now.Add(-10*time.Second), now)), `<time datetime="2026-11-20T09:29:50Z" title="20 November 2026, 09:29 UTC">just now</time>`},
		{"ago/1 minute", string(ago(now.Add(-time.Minute), now)), `<time datetime="2026-11-20T09:29:00Z" title="20 November 2026, 09:29 UTC">1 minute ago</time>`},
		{"ago/3 days", string(ago(now.Add(-72*time.Hour), now)), `<time datetime="2026-11-17T09:30:00Z" title="17 November 2026, 09:30 UTC">3 days ago</time>`},
		{"ago/2 years", string(ago(now.Add(-800*24*time.Hour), now)), `<time datetime="2024-09-11T09:30:00Z" title="11 September 2024, 09:30 UTC">2 years ago</time>`},
	} {
		if tc.got != tc.want {
			t.Errorf("%s = %s, want %s", tc.name, tc.got, tc.want)
		}
	}
	for _, tc := range []struct {
		part, total, want int
	}{{0, 0, 0}, {0, 10, 0}, {1, 1000, 5}, {1, 3, 35}, {2, 3, 65}, {3, 3, 100}, {5, 10, 50}} {
		if got := pct(tc.part, tc.total); got != tc.want {
			t.Errorf("pct(%d, %d) = %d, want %d", tc.part, tc.total, got, tc.want)
		}
	}
	for _, tc := range []struct {
		in   any
		want string
	}{
		{4, `<span class="stars" role="img" aria-label="4 out of 5 stars">★★★★<span class="stars-off">★</span></span>`},
		{4.33, `<span class="stars" role="img" aria-label="4.3 out of 5 stars">★★★★<span class="stars-off">★</span></span>`},
		{fpr.Rating{Count: 2, Sum: 9}, `<span class="stars" role="img" aria-label="4.5 out of 5 stars">★★★★★<span class="stars-off"></span></span>`},
	} {
		got, err := stars(tc.in)
		if err != nil || string(got) != tc.want {
			t.Errorf("stars(%v) = %s, %v; want %s", tc.in, got, err, tc.want)
		}
	}
	if _, err := stars("x"); err == nil {
		t.Errorf(`stars("x") = nil error, want an error`)
	}
	for _, tc := range []struct{ in, want string }{
		{"/account", "/account"}, {"/products?q=a", "/products?q=a"}, {"", "/"}, {"//evil.example", "/"},
		{"/\\evil.example", "/"}, {"https://evil.example/", "/"}, {"account", "/"},
	} {
		if got := fpr.SafeNext(tc.in); got != tc.want {
			t.Errorf("fpr.SafeNext(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// BenchmarkRender_ProductPage renders a product page of 20 reviews, each
// with its forms, from data: the cost of the template alone.
func BenchmarkRender_ProductPage(b *testing.B) {
	s := &Server{Build: fpr.BuildInfo{Release: "r1"}, Now: func() time.Time { return sampleTime }}
	s.mustLoadWeb()
	p := *pageSamples["product"].(*productPage)
	p.Reviews = nil
	for range fpr.DefaultLimit {
		p.Reviews = append(p.Reviews, productReview{Review: sampleReview, CanVote: true, CanFlag: true})
	}
	r := httptest.NewRequest(http.MethodGet, "/products/p1", nil)
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		if err := s.render(w, r, http.StatusOK, "product", &p); err != nil {
			b.Fatal(err)
		}
	}
}

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// TestGoldenPages compares key pages, rendered from their samples, with
// testdata/<page>.golden; -update rewrites them. Static file hashes are
// normalized, so a CSS change alone does not touch them.
func TestGoldenPages(t *testing.T) {
	s := &Server{Build: fpr.BuildInfo{Release: "r1"}, Now: func() time.Time { return sampleTime.Add(72 * time.Hour) }}
	s.mustLoadWeb()
	hashes := regexp.MustCompile(`/static/[0-9a-f]{12}/`)
	for _, name := range []string{"product", "register", "error"} {
		t.Run(name, func(t *testing.T) {
			w := httptest.NewRecorder()
			if err := s.render(w, httptest.NewRequest(http.MethodGet, "/", nil), http.StatusOK, name, pageSamples[name]); err != nil {
				t.Fatal(err)
			}
			got := hashes.ReplaceAll(w.Body.Bytes(), []byte("/static/HASH/"))
			file := filepath.Join("testdata", name+".golden")
			if *update {
				if err := os.WriteFile(file, got, 0o600); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(file)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if diff := cmp.Diff(string(want), string(got)); diff != "" {
				t.Errorf("%s differs from %s (-want +got; -update rewrites it):\n%s", name, file, diff)
			}
		})
	}
}

func TestCookieSecure(t *testing.T) {
	for _, tc := range []struct {
		base string
		want bool
	}{{"https://fpr.example", true}, {"http://127.0.0.1:8080", false}} {
		c := (&Server{BaseURL: tc.base}).cookie(SessionCookie, "v", 0)
		if c.Secure != tc.want || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" {
			t.Errorf("cookie with base URL %s = %+v, want Secure %v, HttpOnly, SameSite=Lax, Path=/", tc.base, c, tc.want)
		}
	}
}
