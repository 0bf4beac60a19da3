package http_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/fpr-team/fpr"
	"github.com/fpr-team/fpr/internal/fprtest"
)

func TestCataloguePages(t *testing.T) {
	t.Parallel()
	env := fprtest.New(t)
	c := mustCatalogue(t, env, "Raw milk cheese")
	eggs := mustProduct(t, env, c, "Free-range eggs", "eggs")
	u := mustReviewer(t, env, 1)
	if err := env.DB.CreateReview(env.Ctx(u), &fpr.Review{ProductID: eggs.ID, Rating: 5, Title: "Golden yolks", Body: "Best eggs."}); err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, env)

	t.Run("Home", func(t *testing.T) {
		p := b.get("/")
		if p.StatusCode != http.StatusOK {
			t.Fatalf("GET / = %d, want 200", p.StatusCode)
		}
		if got := p.text("#top-rated .product-card .card-title a"); got != "Free-range eggs" {
			t.Errorf("first top-rated product = %q, want Free-range eggs", got)
		}
		if got := p.text("#recent-reviews .recent-review .card-title a"); got != "Free-range eggs" {
			t.Errorf("recent review's product = %q", got)
		}
		if n := p.find("#categories a").Length(); n != len(fpr.Categories) {
			t.Errorf("%d category links, want %d", n, len(fpr.Categories))
		}
		if got := p.attr("#categories a", "href"); got != "/products?category="+string(fpr.Categories[0]) {
			t.Errorf("first category link = %q", got)
		}
	})

	t.Run("Search", func(t *testing.T) {
		for _, tc := range []struct {
			name, query string
			want        []string
		}{
			{"All", "", []string{"Free-range eggs", "Raw milk cheese"}},
			{"Query", "?q=cheese", []string{"Raw milk cheese"}},
			{"Category", "?category=eggs", []string{"Free-range eggs"}},
			{"MinRating", "?min_rating=4", []string{"Free-range eggs"}},
			{"SortName", "?sort=name", []string{"Free-range eggs", "Raw milk cheese"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				p := b.get("/products" + tc.query)
				if p.StatusCode != http.StatusOK {
					t.Fatalf("GET /products%s = %d, want 200", tc.query, p.StatusCode)
				}
				var got []string
				p.find("#product-list .card-title a").Each(func(_ int, s *goquery.Selection) { got = append(got, s.Text()) })
				if strings.Join(got, "|") != strings.Join(tc.want, "|") {
					t.Errorf("GET /products%s lists %q, want %q", tc.query, got, tc.want)
				}
			})
		}
		p := b.get("/products?q=cheese&category=dairy&sort=top_rated")
		if got := p.attr("#q", "value"); got != "cheese" {
			t.Errorf("#q = %q, want the query kept", got)
		}
		if got := p.attr("#category option[selected]", "value"); got != "dairy" {
			t.Errorf("selected category = %q", got)
		}
		if got := p.attr("#sort option[selected]", "value"); got != "top_rated" {
			t.Errorf("selected sort = %q", got)
		}
		p = b.get("/products?min_rating=lots")
		if p.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("min_rating=lots = %d, want 422", p.StatusCode)
		}
		checkFieldError(t, p, "min_rating", "Must be a number from 1 to 5.")
		for _, q := range []string{"min_rating=0.5", "min_rating=NaN", "sort=cheapest", "category=cars", "limit=abc"} {
			if p := b.get("/products?" + q); p.StatusCode != http.StatusUnprocessableEntity || p.text(".error-summary") == "" {
				t.Errorf("GET /products?%s = %d with summary %q, want 422 with the error shown", q, p.StatusCode, p.text(".error-summary"))
			}
		}
	})

	t.Run("Person", func(t *testing.T) {
		p := b.get("/users/" + u.ID)
		if p.StatusCode != http.StatusOK || p.text("h1#person-name") != u.DisplayName {
			t.Fatalf("GET /users/{id} = %d %q", p.StatusCode, p.text("h1#person-name"))
		}
		if got := p.text("#person-reviews .person-review h3"); got != "Free-range eggs" {
			t.Errorf("person's review of %q, want Free-range eggs", got)
		}
		if strings.Contains(p.text("main"), u.Email) {
			t.Errorf("the public page shows the e-mail address")
		}
		if p := b.get("/users/nobody"); p.StatusCode != http.StatusNotFound {
			t.Errorf("unknown user = %d, want 404", p.StatusCode)
		}
	})

	t.Run("Farm", func(t *testing.T) {
		p := b.get("/farms/" + c.farm.ID)
		if p.StatusCode != http.StatusOK || p.text("h1#farm-name") != c.farm.Name {
			t.Fatalf("GET farm = %d %q", p.StatusCode, p.text("h1#farm-name"))
		}
		if n := p.find("#product-list .product-card").Length(); n != 2 {
			t.Errorf("farm page lists %d products, want 2", n)
		}
		if p.find("#manage-farm-link").Length() != 0 {
			t.Errorf("an anonymous visitor sees the manage link")
		}
		if p := b.get("/farms/none"); p.StatusCode != http.StatusNotFound {
			t.Errorf("unknown farm = %d, want 404", p.StatusCode)
		}
	})
}
