package http_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/fpr-team/fpr"
	"github.com/fpr-team/fpr/internal/fprtest"
)

// catalogue is a farm with a product, owned by a producer.
type catalogue struct {
	producer *fprtest.TestUser
	farm     *fpr.Farm
	product  *fpr.Product
}

// mustCatalogue makes a producer, a farm and a product through the
// services.
func mustCatalogue(t *testing.T, env *fprtest.Env, productName string) catalogue {
	t.Helper()
	c := catalogue{producer: env.MustUser(t, fpr.RoleProducer)}
	ctx := env.Ctx(c.producer.User)
	c.farm = &fpr.Farm{Name: "Green Acre " + c.producer.User.ID, Region: "Somerset", Description: "Cows & <cheese>."}
	if err := env.DB.CreateFarm(ctx, c.farm); err != nil {
		t.Fatalf("create farm: %v", err)
	}
	c.product = mustProduct(t, env, c, productName, "dairy")
	return c
}

func mustProduct(t *testing.T, env *fprtest.Env, c catalogue, name string, cat fpr.Category) *fpr.Product {
	t.Helper()
	p := &fpr.Product{FarmID: c.farm.ID, Name: name, Category: cat, Description: "Aged twelve months.", Unit: "per kg"}
	if err := env.DB.CreateProduct(env.Ctx(c.producer.User), p); err != nil {
		t.Fatalf("create product: %v", err)
	}
	return p
}

// mustReviewer makes a member directly in the store (no password, no
// session): for arranging many reviews cheaply.
func mustReviewer(t *testing.T, env *fprtest.Env, n int) *fpr.User {
	t.Helper()
	u := &fpr.User{Email: fmt.Sprintf("reviewer%d-%d@example.test", n, len(t.Name())), DisplayName: fmt.Sprintf("Reviewer %d", n), EmailVerified: true}
	if err := env.DB.CreateUser(context.Background(), u, "x"); err != nil {
		t.Fatalf("create user: %v", err)
	}
	return u
}

// jsonLD parses the product page's JSON-LD.
type jsonLD struct {
	Context     string `json:"@context"`
	Type        string `json:"@type"`
	Name        string `json:"name"`
	Description string `json:"description"`
	Category    string `json:"category"`
	Brand       struct {
		Type string `json:"@type"`
		Name string `json:"name"`
	} `json:"brand"`
	Manufacturer    struct{ Name string }
	AggregateRating *struct {
		Type        string  `json:"@type"`
		RatingValue float64 `json:"ratingValue"`
		ReviewCount int     `json:"reviewCount"`
		BestRating  int     `json:"bestRating"`
		WorstRating int     `json:"worstRating"`
	} `json:"aggregateRating"`
	Review []struct {
		Author struct {
			Type string `json:"@type"`
			Name string `json:"name"`
		} `json:"author"`
		ReviewRating struct {
			RatingValue int `json:"ratingValue"`
		} `json:"reviewRating"`
		Name          string `json:"name"`
		ReviewBody    string `json:"reviewBody"`
		DatePublished string `json:"datePublished"`
	} `json:"review"`
}

func parseLD(t *testing.T, p page) jsonLD {
	t.Helper()
	var ld jsonLD
	raw := p.find("script[type='application/ld+json']").Text()
	if err := json.Unmarshal([]byte(raw), &ld); err != nil {
		t.Fatalf("JSON-LD does not parse: %v\n%s", err, raw)
	}
	return ld
}

// histogram returns the counts of the product page's histogram, index 0
// for 1 star.
func histogram(t *testing.T, p page) [5]int {
	t.Helper()
	var h [5]int
	for i := 1; i <= 5; i++ {
		var n int
		if _, err := fmt.Sscan(p.text(fmt.Sprintf("#histogram li[data-stars='%d'] .hist-count", i)), &n); err != nil {
			t.Fatalf("histogram bar %d: %v", i, err)
		}
		h[i-1] = n
	}
	return h
}

func TestProductPage(t *testing.T) {
	t.Parallel()
	env := fprtest.New(t)
	c := mustCatalogue(t, env, "Raw milk cheese")
	path := "/products/" + c.product.ID
	ann, bob := env.MustUser(t, fpr.RoleMember), env.MustUser(t, fpr.RoleMember)

	anon := newBrowser(t, env)
	p := anon.get(path)
	if p.StatusCode != http.StatusOK {
		t.Fatalf("GET %s = %d, want 200", path, p.StatusCode)
	}
	if got := p.text("h1#product-name"); got != "Raw milk cheese" {
		t.Errorf("h1 = %q", got)
	}
	if got := p.attr("#login-to-review", "href"); got != "/login?next="+url.QueryEscape(path) {
		t.Errorf("log-in link = %q, want it to come back to the product", got)
	}
	if p.find("#review-form").Length() != 0 || p.find(".vote-form").Length() != 0 {
		t.Errorf("an anonymous visitor sees the review or vote forms")
	}
	ld := parseLD(t, p)
	if ld.Type != "Product" || ld.Name != "Raw milk cheese" || ld.Category != "Dairy" || ld.Brand.Name != c.farm.Name || ld.Manufacturer.Name != c.farm.Name || ld.AggregateRating != nil {
		t.Errorf("JSON-LD without reviews = %+v", ld)
	}
	if got := p.text("#rating-count"); got != "No reviews yet" {
		t.Errorf("#rating-count = %q", got)
	}

	a := newBrowser(t, env)
	a.login(ann)
	p = a.get(path)
	if got := p.attr("#review-form", "action"); got != path+"/reviews" {
		t.Fatalf("review form action = %q, want %s/reviews", got, path)
	}

	// Invalid review: 422, input kept, errors beside the fields.
	p = a.post(path+"/reviews", url.Values{"title": {"Nice <b>"}, "body": {"  "}, "product_id": {c.product.ID}})
	if p.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("invalid review = %d, want 422", p.StatusCode)
	}
	if got := p.text("#rating-error"); !strings.HasSuffix(got, fpr.ValidateRating(0)) {
		t.Errorf("#rating-error = %q, want %q", got, fpr.ValidateRating(0))
	}
	if p.find(".error-summary a[href='#rating-5']").Length() != 1 {
		t.Errorf("the error summary does not link to the rating")
	}
	checkFieldError(t, p, "body", "Write a few words about the product.")
	if got := p.attr("#title", "value"); got != "Nice <b>" {
		t.Errorf("#title = %q, want the input kept", got)
	}

	// Valid review: 303 with the flash; the histogram and JSON-LD follow.
	p = a.follow(a.post(path+"/reviews", url.Values{"rating": {"4"}, "title": {"Lovely"}, "body": {"Creamy </script><script>alert(1)</script>"}, "product_id": {c.product.ID}}))
	if got := p.text("#flash"); got != "Thank you! Your review is published." {
		t.Errorf("flash = %q", got)
	}
	if got := histogram(t, p); got != [5]int{0, 0, 0, 1, 0} {
		t.Errorf("histogram after one 4-star review = %v", got)
	}
	if got := p.text("#rating-average"); got != "4.0" {
		t.Errorf("#rating-average = %q, want 4.0", got)
	}
	if got := p.attr("#review-form", "action"); !strings.HasPrefix(got, "/reviews/") || !strings.HasSuffix(got, "/edit") {
		t.Errorf("after reviewing, the form action = %q, want the edit action", got)
	}
	if got := p.attr("#rating-4", "checked"); got != "checked" && !p.find("#rating-4[checked]").Is("input") {
		t.Errorf("the edit form does not show the 4 stars")
	}
	annReview := strings.TrimPrefix(p.attr("#review-list article", "id"), "review-")
	if p.find("#review-list article#review-"+annReview+" .vote-form").Length() != 0 {
		t.Errorf("the author can vote on their own review")
	}
	if p.find("#flag-"+annReview+"-form").Length() != 0 {
		t.Errorf("the author can flag their own review")
	}
	if p.find("script:not([src]):not([type='application/ld+json'])").Length() != 0 {
		t.Errorf("the review body became a script element")
	}

	b := newBrowser(t, env)
	b.login(bob)
	b.follow(b.post(path+"/reviews", url.Values{"rating": {"2"}, "body": {"Too salty."}, "product_id": {c.product.ID}}))
	p = anon.get(path)
	if got := histogram(t, p); got != [5]int{0, 1, 0, 1, 0} {
		t.Errorf("histogram after 4 and 2 stars = %v", got)
	}
	ld = parseLD(t, p)
	if ld.AggregateRating == nil || ld.AggregateRating.RatingValue != 3 || ld.AggregateRating.ReviewCount != 2 ||
		ld.AggregateRating.BestRating != 5 || ld.AggregateRating.WorstRating != 1 {
		t.Errorf("JSON-LD aggregateRating = %+v, want 3 from 2 reviews, best 5, worst 1", ld.AggregateRating)
	}
	if len(ld.Review) != 2 {
		t.Fatalf("JSON-LD has %d reviews, want 2", len(ld.Review))
	}
	byAuthor := map[string]int{}
	for _, r := range ld.Review {
		byAuthor[r.Author.Name] = r.ReviewRating.RatingValue
		if r.Author.Type != "Person" || r.DatePublished == "" || r.ReviewBody == "" {
			t.Errorf("JSON-LD review = %+v", r)
		}
	}
	if byAuthor[ann.User.DisplayName] != 4 || byAuthor[bob.User.DisplayName] != 2 {
		t.Errorf("JSON-LD ratings by author = %v", byAuthor)
	}

	// Bob finds Ann's review helpful, then withdraws the vote.
	p = b.follow(b.post("/reviews/"+annReview+"/helpful", url.Values{"helpful": {"1"}, "next": {path}}))
	if got := p.text("#flash"); got != "Thanks for your vote." {
		t.Errorf("flash = %q", got)
	}
	if got := p.text("#review-" + annReview + "-helpful"); got != "1 person found this helpful" {
		t.Errorf("helpful count = %q", got)
	}
	if got := p.attr("#vote-form-"+annReview+" button", "aria-pressed"); got != "true" {
		t.Errorf("vote button aria-pressed = %q, want true", got)
	}
	p = b.follow(b.post("/reviews/"+annReview+"/helpful", url.Values{"helpful": {"0"}, "next": {path}}))
	if got := p.text("#review-" + annReview + "-helpful"); got != "No helpful votes yet" {
		t.Errorf("helpful count after withdrawing = %q", got)
	}

	// Bob flags Ann's review: no reason is 422 beside the field, then it
	// works once, then it is a conflict.
	fid := "flag-" + annReview
	p = b.post("/reviews/"+annReview+"/flag", url.Values{"note": {"hmm"}, "product_id": {c.product.ID}})
	if p.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("flag without reason = %d, want 422", p.StatusCode)
	}
	if got := p.text("#" + fid + "-reason-error"); !strings.Contains(got, "Choose one of") {
		t.Errorf("#%s-reason-error = %q", fid, got)
	}
	if got := p.text("#" + fid + "-note"); got != "hmm" {
		t.Errorf("flag note = %q, want the input kept", got)
	}
	if p.find("details.flag[open]").Length() != 1 {
		t.Errorf("the flag form with errors is not open")
	}
	p = b.follow(b.post("/reviews/"+annReview+"/flag", url.Values{"reason": {"spam"}, "product_id": {c.product.ID}}))
	if got := p.text("#flash"); got != "Thank you. A moderator will look at this review." {
		t.Errorf("flash = %q", got)
	}
	if p = b.post("/reviews/"+annReview+"/flag", url.Values{"reason": {"fake"}, "product_id": {c.product.ID}}); p.StatusCode != http.StatusConflict {
		t.Errorf("second flag = %d, want 409", p.StatusCode)
	}

	// The producer replies; members see no reply form.
	if n := a.get(path).find("form[action$='/reply']").Length(); n != 0 {
		t.Errorf("a member sees %d reply forms", n)
	}
	pr := newBrowser(t, env)
	pr.login(c.producer)
	p = pr.post("/reviews/"+annReview+"/reply", url.Values{"body": {""}, "product_id": {c.product.ID}})
	if p.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("empty reply = %d, want 422", p.StatusCode)
	}
	checkFieldError(t, p, "reply-"+annReview+"-body", "This field is required.")
	p = pr.follow(pr.post("/reviews/"+annReview+"/reply", url.Values{"body": {"Thank you, Ann!"}, "product_id": {c.product.ID}}))
	if got := p.text("#review-" + annReview + "-reply .review-body"); got != "Thank you, Ann!" {
		t.Errorf("reply = %q", got)
	}

	// Ann edits to 5 stars; the histogram follows.
	p = a.follow(a.post("/reviews/"+annReview+"/edit", url.Values{"rating": {"5"}, "title": {"Lovely"}, "body": {"Even better aged."}, "product_id": {c.product.ID}}))
	if got := p.text("#flash"); got != "Your review is updated." {
		t.Errorf("flash = %q", got)
	}
	if got := histogram(t, p); got != [5]int{0, 1, 0, 0, 1} {
		t.Errorf("histogram after the edit = %v", got)
	}
	// An invalid edit keeps the input.
	p = a.post("/reviews/"+annReview+"/edit", url.Values{"rating": {"9"}, "title": {"X"}, "body": {"Still good."}, "product_id": {c.product.ID}})
	if p.StatusCode != http.StatusUnprocessableEntity || p.text("#body") != "Still good." {
		t.Errorf("invalid edit = %d with body %q, want 422 with the input kept", p.StatusCode, p.text("#body"))
	}

	// The star filter shows one star value.
	p = anon.get(path + "?rating=2")
	if n := p.find("#review-list article").Length(); n != 1 || p.attr("#review-list article", "data-rating") != "2" {
		t.Errorf("?rating=2 shows %d reviews, want Bob's one", n)
	}
	if got := p.attr("#histogram li[data-stars='2'] a", "aria-current"); got != "true" {
		t.Errorf("the 2-star bar is not marked current")
	}
	// Another reader may vote and flag; the list honours ?limit= and keeps
	// it on the next page.
	p = b.get(path + "?limit=1&sort=highest")
	if p.find("#review-list .vote-form").Length() != 1 || p.find("#review-list details.flag form").Length() != 1 {
		t.Errorf("another reader is not offered the vote and flag forms")
	}
	if next := p.attr(".pager a", "href"); !strings.Contains(next, "limit=1") || !strings.Contains(next, "cursor=") {
		t.Errorf("next page link = %q, want limit=1 kept with a cursor", next)
	}
	// Bad list parameters are refused as the API refuses them.
	for _, q := range []string{"rating=0", "rating=7", "rating=two", "sort=oldest", "limit=0", "limit=101"} {
		if p := anon.get(path + "?" + q); p.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("GET %s?%s = %d, want 422", path, q, p.StatusCode)
		}
	}

	// Ann deletes her review.
	p = a.follow(a.post("/reviews/"+annReview+"/delete", url.Values{"next": {path}}))
	if got := p.text("#flash"); got != "The review is deleted." {
		t.Errorf("flash = %q", got)
	}
	if got := histogram(t, p); got != [5]int{0, 1, 0, 0, 0} {
		t.Errorf("histogram after deleting = %v", got)
	}

	// The account page lists the visitor's reviews.
	p = b.get("/account")
	if n := p.find("#my-reviews .my-review").Length(); n != 1 || p.text("#my-reviews .my-review h3") != "Raw milk cheese" {
		t.Errorf("Bob's account lists %d reviews (%q), want his one of Raw milk cheese", n, p.text("#my-reviews .my-review h3"))
	}

	if p := anon.get("/products/nothing-here"); p.StatusCode != http.StatusNotFound {
		t.Errorf("unknown product = %d, want 404", p.StatusCode)
	}
	if p := anon.post(path+"/reviews", url.Values{"rating": {"5"}, "body": {"x"}}); p.StatusCode != http.StatusSeeOther || !strings.HasPrefix(p.header("Location"), "/login?next=") {
		t.Errorf("anonymous review post = %d to %q, want 303 to the login page", p.StatusCode, p.header("Location"))
	}
}

func TestProductPage_Pagination(t *testing.T) {
	t.Parallel()
	env := fprtest.New(t)
	c := mustCatalogue(t, env, "Honey")
	const n = fpr.DefaultLimit + 3
	for i := range n {
		u := mustReviewer(t, env, i)
		rv := &fpr.Review{ProductID: c.product.ID, Rating: i%5 + 1, Body: fmt.Sprintf("Review %d", i)}
		if err := env.DB.CreateReview(env.Ctx(u), rv); err != nil {
			t.Fatal(err)
		}
	}
	b := newBrowser(t, env)
	seen := map[string]bool{}
	p := b.get("/products/" + c.product.ID)
	for pages := 0; ; pages++ {
		p.find("#review-list article").Each(func(_ int, s *goquery.Selection) {
			id, _ := s.Attr("id")
			if seen[id] {
				t.Errorf("review %s shown twice", id)
			}
			seen[id] = true
		})
		next := p.attr("#next-page", "href")
		if next == "" {
			break
		}
		if pages > 3 {
			t.Fatal("too many pages")
		}
		p = b.get(next)
	}
	if len(seen) != n {
		t.Errorf("saw %d reviews over the pages, want %d", len(seen), n)
	}
	if got := parseLD(t, b.get("/products/"+c.product.ID)).AggregateRating; got == nil || got.ReviewCount != n {
		t.Errorf("JSON-LD aggregateRating = %+v, want %d reviews", got, n)
	}
}

// BenchmarkProductPage serves GET /products/{id} with 20 reviews on the
// page over loopback HTTP, SQLite behind: the whole page's cost.
func BenchmarkProductPage(b *testing.B) {
	env := fprtest.New(b)
	producer := env.MustUser(b, fpr.RoleProducer)
	farm := &fpr.Farm{Name: "Bench Farm", Region: "Kent"}
	if err := env.DB.CreateFarm(env.Ctx(producer.User), farm); err != nil {
		b.Fatal(err)
	}
	prod := &fpr.Product{FarmID: farm.ID, Name: "Bench cheese", Category: "dairy", Unit: "per kg"}
	if err := env.DB.CreateProduct(env.Ctx(producer.User), prod); err != nil {
		b.Fatal(err)
	}
	for i := range 30 {
		u := &fpr.User{Email: fmt.Sprintf("bench%d@example.test", i), DisplayName: fmt.Sprintf("Bench %d", i), EmailVerified: true}
		if err := env.DB.CreateUser(context.Background(), u, "x"); err != nil {
			b.Fatal(err)
		}
		if err := env.DB.CreateReview(env.Ctx(u), &fpr.Review{ProductID: prod.ID, Rating: i%5 + 1, Title: "Title", Body: strings.Repeat("Good cheese. ", 20)}); err != nil {
			b.Fatal(err)
		}
	}
	client := &http.Client{}
	url := env.URL + "/products/" + prod.ID
	b.ReportAllocs()
	for b.Loop() {
		resp, err := client.Get(url)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("status %d", resp.StatusCode)
		}
	}
}
