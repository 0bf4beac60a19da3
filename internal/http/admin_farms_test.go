package http_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/fpr-team/fpr"
	"github.com/fpr-team/fpr/internal/fprtest"
)

func TestAdminFarmPages(t *testing.T) {
	t.Parallel()
	env := fprtest.New(t)
	producer := env.MustUser(t, fpr.RoleProducer)
	other := env.MustUser(t, fpr.RoleProducer)
	admin := env.MustUser(t, fpr.RoleAdmin)

	b := newBrowser(t, env)
	b.login(producer)
	p := b.get("/admin")
	if p.StatusCode != http.StatusOK || p.find("#farm-form").Length() != 1 {
		t.Fatalf("producer GET /admin = %d, want 200 with the farm form", p.StatusCode)
	}
	if p.find("#owner_email").Length() != 0 || p.find("#admin-users-link").Length() != 0 {
		t.Errorf("a producer sees admin-only fields or links")
	}

	// Invalid farm: 422, input kept.
	p = b.post("/admin/farms", url.Values{"name": {""}, "region": {"Kent"}, "description": {"Apples"}})
	if p.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("farm without name = %d, want 422", p.StatusCode)
	}
	checkFieldError(t, p, "name", "This field is required.")
	if got := p.attr("#region", "value"); got != "Kent" {
		t.Errorf("#region = %q, want the input kept", got)
	}

	p = b.post("/admin/farms", url.Values{"name": {"Orchard Hill"}, "region": {"Kent"}, "description": {"Apples"}})
	loc := p.header("Location")
	p = b.follow(p)
	if got := p.text("#flash"); got != "The farm is created." || !strings.HasPrefix(loc, "/admin/farms/") {
		t.Fatalf("after creating a farm: flash %q at %q", got, loc)
	}
	farmPath := loc

	// Add a product: invalid, then valid.
	p = b.post(farmPath+"/products", url.Values{"name": {"Bramley apples"}, "category": {"nope"}, "unit": {"per kg"}})
	if p.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("product with a bad category = %d, want 422", p.StatusCode)
	}
	checkFieldError(t, p, "category", "Choose one of the listed categories.")
	if got := p.attr("#name", "value"); got != "Bramley apples" {
		t.Errorf("#name = %q, want the input kept", got)
	}
	p = b.follow(b.post(farmPath+"/products", url.Values{"name": {"Bramley apples"}, "category": {"fruit"}, "unit": {"per kg"}, "description": {"Cooking apples."}}))
	if got := p.text("#flash"); got != "The product is created." {
		t.Errorf("flash = %q", got)
	}
	editHref := p.attr("#product-table tbody tr a[href^='/admin/products/']", "href")
	if editHref == "" {
		t.Fatal("no product row with an edit link")
	}

	// Edit the product; the product page shows it.
	p = b.get(editHref)
	if got := p.attr("#category option[selected]", "value"); got != "fruit" {
		t.Errorf("edit form category = %q, want fruit", got)
	}
	p = b.follow(b.post(editHref, url.Values{"name": {"Bramley cooking apples"}, "category": {"fruit"}, "unit": {"per kg"}, "description": {"Tart."}}))
	if got := p.text("h1#product-name"); got != "Bramley cooking apples" {
		t.Errorf("product page h1 after the edit = %q", got)
	}

	// Another producer may not manage this farm or product.
	o := newBrowser(t, env)
	o.login(other)
	for _, path := range []string{farmPath, editHref} {
		if p := o.get(path); p.StatusCode != http.StatusForbidden {
			t.Errorf("another producer GET %s = %d, want 403", path, p.StatusCode)
		}
	}
	if p := o.post(editHref+"/delete", url.Values{"next": {"/admin"}}); p.StatusCode != http.StatusForbidden {
		t.Errorf("another producer deleting = %d, want 403", p.StatusCode)
	}

	// Edit the farm.
	p = b.follow(b.post(farmPath, url.Values{"name": {"Orchard Hill Farm"}, "region": {"Kent"}, "description": {"Apples and pears"}}))
	if got := p.text("h1#farm-heading"); got != "Orchard Hill Farm" {
		t.Errorf("farm heading after the edit = %q", got)
	}

	// Delete the product.
	p = b.follow(b.post(editHref+"/delete", url.Values{"next": {farmPath}}))
	if got := p.text("#flash"); got != "The product is deleted." || p.find("#product-table").Length() != 0 {
		t.Errorf("after deleting: flash %q, product table present %v", got, p.find("#product-table").Length() != 0)
	}

	// An admin creates a farm for the other producer.
	a := newBrowser(t, env)
	a.login(admin)
	p = a.post("/admin/farms", url.Values{"name": {"Mill Lane"}, "region": {"Devon"}, "owner_email": {"nobody@example.test"}})
	if p.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("farm for an unknown owner = %d, want 422", p.StatusCode)
	}
	checkFieldError(t, p, "owner_email", "No account has this e-mail address.")
	a.follow(a.post("/admin/farms", url.Values{"name": {"Mill Lane"}, "region": {"Devon"}, "owner_email": {other.User.Email}}))
	p = o.get("/admin")
	if got := p.text("#farm-table tbody tr td a"); got != "Mill Lane" {
		t.Errorf("the other producer's farms = %q, want Mill Lane", got)
	}
}
