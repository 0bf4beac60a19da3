package http_test

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/fpr-team/fpr"
	"github.com/fpr-team/fpr/internal/fprtest"
	fprhttp "github.com/fpr-team/fpr/internal/http"
)

// mustReviewOf has a new reviewer rate product p.
func mustReviewOf(t *testing.T, env *fprtest.Env, n int, productID string, stars int) *fpr.Review {
	t.Helper()
	r := &fpr.Review{ProductID: productID, Rating: stars, Title: "Title <b>", Body: "Body & more."}
	if err := env.DB.CreateReview(env.Ctx(mustReviewer(t, env, n)), r); err != nil {
		t.Fatal(err)
	}
	return r
}

func TestFarmPages_DirectoryAndFarm(t *testing.T) {
	env := fprtest.New(t)
	c := mustCatalogue(t, env, "Cheddar")
	mustReviewOf(t, env, 1, c.product.ID, 5)
	mustReviewOf(t, env, 2, c.product.ID, 3)
	other := mustCatalogue(t, env, "Brie")
	if _, err := env.DB.UpdateFarm(env.Ctx(other.producer.User), other.farm.ID, fpr.FarmUpdate{Region: ptr("Normandie")}); err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, env)

	p := b.get("/farms")
	if p.StatusCode != 200 || p.find("#farm-list li").Length() != 2 {
		t.Fatalf("GET /farms = %d with %d farms", p.StatusCode, p.find("#farm-list li").Length())
	}
	if p.find("#region option").Length() != 3 {
		t.Errorf("region choices = %d, want all + 2", p.find("#region option").Length())
	}
	p = b.get("/farms?region=Normandie")
	if p.find("#farm-list li").Length() != 1 || !strings.Contains(p.text("#farm-list"), other.farm.Name) {
		t.Errorf("region filter: %q", p.text("#farm-list"))
	}
	if p.attr("#region option[selected]", "value") != "Normandie" {
		t.Error("the region filter does not keep its choice")
	}
	p = b.get("/farms?q=somerset&sort=top_rated")
	if p.find("#farm-list li").Length() != 1 || p.attr("#farm-sorts a[aria-current]", "href") != "/farms?q=somerset&sort=top_rated" {
		t.Errorf("search: %q, current sort %q", p.text("#farm-list"), p.attr("#farm-sorts a[aria-current]", "href"))
	}
	if p = b.get("/farms?sort=stars"); p.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("bad sort = %d, want 422", p.StatusCode)
	}

	// The farm page: rating, JSON-LD, where to buy.
	if _, err := env.DB.UpdateFarm(env.Ctx(c.producer.User), c.farm.ID, fpr.FarmUpdate{ShopAddress: ptr("1 Mill Lane"),
		ShopHours: ptr("Sat 9–12"), Markets: ptr("Wells, Wednesday"), Website: ptr("https://green.example/")}); err != nil {
		t.Fatal(err)
	}
	p = b.get("/farms/" + c.farm.ID)
	if p.text("#farm-rating-average") != "4.0" || p.text("#farm-rating-count") != "2 reviews" {
		t.Errorf("farm rating = %q, %q", p.text("#farm-rating-average"), p.text("#farm-rating-count"))
	}
	if p.text("#farm-shop-address") != "1 Mill Lane" || p.attr("#farm-website", "href") != "https://green.example/" || p.text("#farm-markets") != "Wells, Wednesday" {
		t.Errorf("where to buy = %q", p.text("#where-to-buy"))
	}
	var ld struct {
		Type            string `json:"@type"`
		Name            string `json:"name"`
		SameAs          []string
		AggregateRating struct {
			Type        string  `json:"@type"`
			RatingValue float64 `json:"ratingValue"`
			ReviewCount int     `json:"reviewCount"`
		} `json:"aggregateRating"`
	}
	if err := json.Unmarshal([]byte(p.find("#farm-jsonld").Text()), &ld); err != nil {
		t.Fatalf("JSON-LD: %v", err)
	}
	if ld.Type != "Organization" || ld.Name != c.farm.Name || ld.AggregateRating.Type != "AggregateRating" ||
		ld.AggregateRating.RatingValue != 4 || ld.AggregateRating.ReviewCount != 2 {
		t.Errorf("JSON-LD = %+v", ld)
	}
	if p.find("#embed-this").Length() != 0 {
		t.Error("a visitor sees the embed snippets")
	}
	b.login(c.producer)
	p = b.get("/farms/" + c.farm.ID)
	snippet := p.text("#embed-snippet")
	if !strings.Contains(snippet, `<iframe src="`+env.Server.BaseURL+`/embed/farms/`+c.farm.ID+`"`) || !strings.Contains(p.text("#badge-snippet"), "/badge.svg") {
		t.Errorf("embed snippet = %q", snippet)
	}
	if !strings.Contains(snippet, "Green Acre") || strings.Contains(snippet, "<cheese>") {
		t.Errorf("snippet %q", snippet)
	}
}

func TestFarmPages_WhereToBuyForm(t *testing.T) {
	env := fprtest.New(t)
	c := mustCatalogue(t, env, "Cheddar")
	b := newBrowser(t, env)
	b.login(c.producer)
	form := url.Values{"name": {c.farm.Name}, "region": {"Somerset"}, "description": {"x"}, "shop_address": {"1 Mill Lane"},
		"shop_hours": {"Sat"}, "markets": {"Wells"}, "website": {"javascript:alert(1)"}}
	p := b.post("/admin/farms/"+c.farm.ID, form)
	if p.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("bad website = %d, want 422", p.StatusCode)
	}
	checkFieldError(t, p, "farm-website", "Enter a web address starting with http:// or https://.")
	if p.attr("#farm-shop-address", "value") != "1 Mill Lane" || p.attr("#farm-website", "value") != "javascript:alert(1)" {
		t.Error("the form does not keep the input")
	}
	form.Set("website", "https://green.example")
	b.follow(b.post("/admin/farms/"+c.farm.ID, form))
	f, err := env.DB.FindFarmByID(context.Background(), c.farm.ID)
	if err != nil || f.Website != "https://green.example" || f.Markets != "Wells" {
		t.Errorf("farm = %+v, %v", f, err)
	}
}

func TestFarmPages_ApplyApproveInboxReply(t *testing.T) {
	env := fprtest.New(t)
	admin, ann := env.MustUser(t, fpr.RoleAdmin), env.MustUser(t, fpr.RoleMember)
	b := newBrowser(t, env)
	b.login(ann)
	if p := b.get("/account"); p.attr("#apply-link", "href") != "/account/farm-application" {
		t.Error("the account page has no link to apply")
	}
	p := b.post("/account/farm-application", url.Values{"farm_name": {"Hill Farm"}, "region": {""}, "description": {"Sheep."}, "contact": {"0123"}})
	if p.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("apply without region = %d", p.StatusCode)
	}
	checkFieldError(t, p, "region", "This field is required.")
	if p.attr("#farm_name", "value") != "Hill Farm" || p.attr("#contact", "value") != "0123" {
		t.Error("the application form does not keep the input")
	}
	p = b.follow(b.post("/account/farm-application", url.Values{"farm_name": {"Hill Farm"}, "region": {"Cumbria"}, "description": {"Sheep."}, "contact": {"0123"}}))
	if !strings.Contains(p.text("#flash"), "we will e-mail you when an admin decides") {
		t.Errorf("flash = %q", p.text("#flash"))
	}
	// The application page shows it waiting, and no form until decided.
	if !strings.Contains(p.text("#application-pending"), "Hill Farm") || !strings.Contains(p.text("#application-pending"), "We will e-mail you") ||
		p.find("#apply-form").Length() != 0 {
		t.Errorf("after applying: %q", p.text("main"))
	}

	ab := newBrowser(t, env)
	ab.login(admin)
	p = ab.get("/admin/farm-applications")
	items := p.find("#application-list li.application")
	if items.Length() != 1 {
		t.Fatalf("pending applications = %d", items.Length())
	}
	id := strings.TrimPrefix(items.AttrOr("id", ""), "application-")
	p = ab.post("/admin/farm-applications/"+id, url.Values{"action": {"reject"}, "note": {""}})
	if p.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("reject without a note = %d", p.StatusCode)
	}
	checkFieldError(t, p, "note-"+id, "Say why the application is rejected.")
	p = ab.follow(ab.post("/admin/farm-applications/"+id, url.Values{"action": {"approve"}, "note": {"Welcome"}}))
	if !strings.Contains(p.text("#flash"), "approved") || !strings.Contains(p.text("#flash"), "has been e-mailed") || p.find("#application-list").Length() != 0 {
		t.Errorf("after approval: flash %q", p.text("#flash"))
	}
	farms, _, err := env.DB.FindFarms(context.Background(), fpr.FarmFilter{OwnerID: &ann.User.ID})
	if err != nil || len(farms) != 1 {
		t.Fatalf("ann's farms = %v, %v", farms, err)
	}
	// Ann, now a producer, adds a product; a member reviews it; she
	// answers from her inbox.
	prod := &fpr.Product{FarmID: farms[0].ID, Name: "Lamb", Category: "meat", Unit: "per kg"}
	annNow, _ := env.DB.FindUserByID(context.Background(), ann.User.ID)
	if err := env.DB.CreateProduct(env.Ctx(annNow), prod); err != nil {
		t.Fatal(err)
	}
	r := mustReviewOf(t, env, 7, prod.ID, 4)
	p = b.get("/products/" + prod.ID)
	if p.text("#own-farm-note") != "You cannot review your own farm's products." || p.find("#review-form").Length() != 0 {
		t.Errorf("the producer is offered a review form: %q", p.text("#your-review"))
	}
	p = b.get("/account/farm-reviews?unanswered=true")
	if p.StatusCode != 200 || p.find("#inbox-review-"+r.ID).Length() != 1 {
		t.Fatalf("inbox = %d %q", p.StatusCode, p.text("main"))
	}
	p = b.post("/account/farm-reviews/"+r.ID+"/reply?unanswered=true", url.Values{"body": {"  "}})
	if p.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("empty reply = %d", p.StatusCode)
	}
	if p.find("#reply-body-"+r.ID+"-error").Length() != 1 {
		t.Errorf("no error beside the reply field: %q", p.text("#inbox-review-"+r.ID))
	}
	p = b.post("/account/farm-reviews/"+r.ID+"/reply?unanswered=true", url.Values{"body": {"Thank you!"}})
	if loc := p.Header.Get("Location"); loc != "/account/farm-reviews?unanswered=true#inbox-review-"+r.ID {
		t.Errorf("reply redirect = %q", loc)
	}
	p = b.follow(p)
	if p.find("#inbox-review-"+r.ID).Length() != 0 || p.text("#inbox-empty") != "Every review has a reply." {
		t.Errorf("the answered review is still unanswered: %q", p.text("main"))
	}
	got, err := env.DB.FindReviewByID(context.Background(), r.ID)
	if err != nil || got.Reply == nil || got.Reply.Body != "Thank you!" {
		t.Errorf("reply = %+v, %v", got, err)
	}
	// A member has no inbox.
	mb := newBrowser(t, env)
	mb.login(env.MustUser(t, fpr.RoleMember))
	if p := mb.get("/account/farm-reviews"); p.StatusCode != http.StatusForbidden {
		t.Errorf("a member's inbox = %d, want 403", p.StatusCode)
	}
	if p := mb.get("/admin/farm-applications"); p.StatusCode != http.StatusForbidden {
		t.Errorf("a member on the applications page = %d, want 403", p.StatusCode)
	}
}

func TestFarmPages_ArchivedProduct(t *testing.T) {
	env := fprtest.New(t)
	c := mustCatalogue(t, env, "Cheddar")
	mustReviewOf(t, env, 1, c.product.ID, 2)
	b := newBrowser(t, env)
	b.login(c.producer)
	p := b.follow(b.post("/admin/products/"+c.product.ID+"/delete", url.Values{"next": {"/admin"}}))
	if !strings.Contains(p.text("#flash"), "archived") {
		t.Errorf("flash = %q", p.text("#flash"))
	}
	vb := newBrowser(t, env)
	vb.login(env.MustUser(t, fpr.RoleMember))
	p = vb.get("/products/" + c.product.ID)
	if p.StatusCode != 200 || !strings.Contains(p.text("#archived-notice"), "no longer sold") ||
		p.find("#review-form").Length() != 0 || p.text("#closed-note") == "" || p.text("#rating-count") != "1 review" {
		t.Errorf("archived product page: %d %q / %q", p.StatusCode, p.text("#archived-notice"), p.text("#your-review"))
	}
	if p = vb.get("/products?q=cheddar"); p.find("#product-list li").Length() != 0 {
		t.Error("an archived product is found")
	}
}

func TestEmbedsAndBadge(t *testing.T) {
	env := fprtest.New(t)
	c := mustCatalogue(t, env, "Cheddar <script>")
	mustReviewOf(t, env, 1, c.product.ID, 5)
	user := env.MustUser(t, fpr.RoleMember)
	session := browserSession(t, env, user)

	// fetched is a response whose body was read and closed.
	type fetched struct {
		StatusCode int
		Header     http.Header
	}
	get := func(path string, cookie bool) (fetched, string) {
		t.Helper()
		req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, env.URL+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		if cookie {
			req.AddCookie(&http.Cookie{Name: fprhttp.SessionCookie, Value: session}) //nolint:gosec // G124: a request cookie has no attributes
			req.AddCookie(&http.Cookie{Name: "fpr_flash", Value: "logged-in"})       //nolint:gosec // G124: as above
		}
		resp, err := env.Client(t).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var sb strings.Builder
		buf := make([]byte, 4096)
		for {
			n, err := resp.Body.Read(buf)
			sb.Write(buf[:n])
			if err != nil {
				break
			}
		}
		return fetched{StatusCode: resp.StatusCode, Header: resp.Header}, sb.String()
	}
	for _, path := range []string{"/embed/farms/" + c.farm.ID, "/embed/products/" + c.product.ID} {
		resp, body := get(path, true)
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s = %d", path, resp.StatusCode)
		}
		if sc := resp.Header.Values("Set-Cookie"); len(sc) != 0 {
			t.Errorf("%s sets cookies %v with a session cookie sent", path, sc)
		}
		if xfo := resp.Header.Get("X-Frame-Options"); xfo != "" {
			t.Errorf("%s X-Frame-Options = %q, want none", path, xfo)
		}
		if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors *") || !strings.Contains(csp, "form-action 'none'") {
			t.Errorf("%s CSP = %q", path, csp)
		}
		if !strings.Contains(resp.Header.Get("Cache-Control"), "public") {
			t.Errorf("%s Cache-Control = %q", path, resp.Header.Get("Cache-Control"))
		}
		if strings.Contains(body, user.User.DisplayName) || strings.Contains(body, "Log out") || strings.Contains(body, "<script>") {
			t.Errorf("%s shows the visitor or unescaped text: %s", path, body)
		}
		if !strings.Contains(body, "5.0") {
			t.Errorf("%s has no rating: %s", path, body)
		}
	}
	// Every other page may not be framed, nor the API's JSON (by its CSP
	// alone: withSecurityHeaders).
	if csp := func() string {
		resp, _ := get("/api/v1/farms", false)
		return resp.Header.Get("Content-Security-Policy")
	}(); csp != "default-src 'none'; frame-ancestors 'none'" {
		t.Errorf("/api/v1/farms CSP = %q", csp)
	}
	for _, path := range []string{"/", "/farms/" + c.farm.ID, "/products/" + c.product.ID} {
		resp, _ := get(path, false)
		if resp.Header.Get("X-Frame-Options") != "DENY" || !strings.Contains(resp.Header.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
			t.Errorf("%s may be framed: XFO %q CSP %q", path, resp.Header.Get("X-Frame-Options"), resp.Header.Get("Content-Security-Policy"))
		}
	}
	// A normal page with the flash cookie does touch cookies, which is
	// what makes the embeds' silence meaningful.
	if resp, _ := get("/farms/"+c.farm.ID, true); len(resp.Header.Values("Set-Cookie")) == 0 {
		t.Error("the farm page did not clear the flash cookie: the cookie check above proves nothing")
	}
	resp, _ := get("/embed/farms/nope", true)
	if resp.StatusCode != 404 || len(resp.Header.Values("Set-Cookie")) != 0 {
		t.Errorf("unknown embed = %d, cookies %v", resp.StatusCode, resp.Header.Values("Set-Cookie"))
	}

	// The badge.
	if _, err := env.DB.UpdateFarm(env.Ctx(c.producer.User), c.farm.ID, fpr.FarmUpdate{Name: ptr(`A & B <"Farm">`)}); err != nil {
		t.Fatal(err)
	}
	resp, body := get("/farms/"+c.farm.ID+"/badge.svg", true)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/svg+xml" || !strings.Contains(resp.Header.Get("Cache-Control"), "max-age=") ||
		len(resp.Header.Values("Set-Cookie")) != 0 {
		t.Fatalf("badge = %d %v", resp.StatusCode, resp.Header)
	}
	var svg struct {
		XMLName xml.Name `xml:"svg"`
		Title   string   `xml:"title"`
		Texts   []string `xml:"g>text"`
	}
	if err := xml.Unmarshal([]byte(body), &svg); err != nil {
		t.Fatalf("badge is not XML: %v\n%s", err, body)
	}
	if svg.Title != `A & B <"Farm">: 5.0 ★ · 1 review` || len(svg.Texts) != 2 || svg.Texts[1] != "5.0 ★ · 1 review" {
		t.Errorf("badge = %+v", svg)
	}
	if resp, _ := get("/farms/nope/badge.svg", false); resp.StatusCode != 404 {
		t.Errorf("badge of an unknown farm = %d", resp.StatusCode)
	}
}

// browserSession logs u in through the form and returns the session
// cookie's value.
func browserSession(t *testing.T, env *fprtest.Env, u *fprtest.TestUser) string {
	t.Helper()
	b := newBrowser(t, env)
	b.login(u)
	return b.session()
}

func ptr[T any](v T) *T { return &v }

// TestFarmPages_RejectDeletedApplicantSaysNoMail: rejecting the application
// of an account deleted since does not tell the admin a mail went out.
func TestFarmPages_RejectDeletedApplicantSaysNoMail(t *testing.T) {
	env := fprtest.New(t)
	admin, ann := env.MustUser(t, fpr.RoleAdmin), env.MustUser(t, fpr.RoleMember)
	b := newBrowser(t, env)
	b.login(ann)
	b.follow(b.post("/account/farm-application", url.Values{"farm_name": {"Hill Farm"}, "region": {"Cumbria"}, "description": {"Sheep."}, "contact": {"0123"}}))
	if err := env.DB.DeleteAccount(context.Background(), ann.User.ID); err != nil {
		t.Fatal(err)
	}
	ab := newBrowser(t, env)
	ab.login(admin)
	items := ab.get("/admin/farm-applications").find("#application-list li.application")
	if items.Length() != 1 {
		t.Fatalf("pending applications = %d", items.Length())
	}
	id := strings.TrimPrefix(items.AttrOr("id", ""), "application-")
	p := ab.follow(ab.post("/admin/farm-applications/"+id, url.Values{"action": {"reject"}, "note": {"Gone."}}))
	if flash := p.text("#flash"); !strings.Contains(flash, "nobody was e-mailed") || strings.Contains(flash, "has been e-mailed") {
		t.Errorf("flash = %q, want it to say nobody was e-mailed", flash)
	}
}
