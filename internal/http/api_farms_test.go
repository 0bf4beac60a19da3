package http_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/fpr-team/fpr"
)

type farmFullJSON struct {
	farmJSON
	ShopAddress  string     `json:"shop_address"`
	ShopHours    string     `json:"shop_hours"`
	Markets      string     `json:"markets"`
	Website      string     `json:"website"`
	ProductCount int        `json:"product_count"`
	Rating       ratingJSON `json:"rating"`
}

type applicationJSON struct {
	ID        string  `json:"id"`
	Status    string  `json:"status"`
	Note      string  `json:"note"`
	FarmID    *string `json:"farm_id"`
	Contact   string  `json:"contact"`
	Applicant struct {
		ID string `json:"id"`
	} `json:"applicant"`
}

// errFields returns the error code and field names of an error envelope.
func errFields(t *testing.T, body []byte) (string, map[string]string) {
	t.Helper()
	e := mustDecode[struct {
		Error struct {
			Code   string            `json:"code"`
			Fields map[string]string `json:"fields"`
		} `json:"error"`
	}](t, body)
	return e.Error.Code, e.Error.Fields
}

func TestAPIFarmApplications(t *testing.T) {
	e := newCatalogEnv(t)
	body := map[string]string{"farm_name": "Green Acre", "region": "Kent", "description": "Apples and hops.", "contact": "01234 567890"}

	resp, b := e.Do(t, http.MethodPost, "/api/v1/farm-applications", "", body)
	wantStatus(t, "apply anonymous", resp, b, http.StatusUnauthorized)
	resp, b = e.Do(t, http.MethodPost, "/api/v1/farm-applications", e.producer.Token, body)
	wantStatus(t, "apply as a producer", resp, b, http.StatusForbidden)
	resp, b = e.Do(t, http.MethodPost, "/api/v1/farm-applications", e.member.Token,
		map[string]string{"farm_name": "", "region": strings.Repeat("r", fpr.MaxRegionLength+1), "description": "x", "contact": "y"})
	wantStatus(t, "apply invalid", resp, b, http.StatusUnprocessableEntity)
	if _, f := errFields(t, b); f["farm_name"] == "" || f["region"] == "" {
		t.Errorf("fields = %v, want farm_name and region", f)
	}
	resp, b = e.Do(t, http.MethodPost, "/api/v1/farm-applications", e.member.Token, `{"farm_name": "x", "extra": 1}`)
	wantStatus(t, "apply with an unknown field", resp, b, http.StatusBadRequest)

	resp, b = e.Do(t, http.MethodPost, "/api/v1/farm-applications", e.member.Token, body)
	wantStatus(t, "apply", resp, b, http.StatusCreated)
	app := mustDecode[struct {
		Application applicationJSON `json:"application"`
	}](t, b).Application
	if app.Status != "pending" || app.FarmID != nil || app.Applicant.ID != e.member.User.ID {
		t.Errorf("application = %+v", app)
	}
	resp, b = e.Do(t, http.MethodPost, "/api/v1/farm-applications", e.member.Token, body)
	wantStatus(t, "apply twice", resp, b, http.StatusConflict)

	resp, b = e.Do(t, http.MethodGet, "/api/v1/farm-applications", e.member.Token, nil)
	wantStatus(t, "list as a member", resp, b, http.StatusForbidden)
	resp, b = e.Do(t, http.MethodGet, "/api/v1/farm-applications?status=maybe", e.admin.Token, nil)
	wantStatus(t, "list with a bad status", resp, b, http.StatusUnprocessableEntity)
	resp, b = e.Do(t, http.MethodGet, "/api/v1/farm-applications?status=pending", e.admin.Token, nil)
	wantStatus(t, "list pending", resp, b, http.StatusOK)
	list := mustDecode[struct {
		Items []applicationJSON `json:"items"`
	}](t, b)
	if len(list.Items) != 1 || list.Items[0].ID != app.ID || list.Items[0].Contact != "01234 567890" {
		t.Errorf("pending = %+v", list.Items)
	}

	path := "/api/v1/farm-applications/" + app.ID
	resp, b = e.Do(t, http.MethodPost, path, e.member.Token, map[string]string{"action": "approve"})
	wantStatus(t, "decide as a member", resp, b, http.StatusForbidden)
	resp, b = e.Do(t, http.MethodPost, path, e.admin.Token, map[string]string{"action": "maybe"})
	wantStatus(t, "decide with a bad action", resp, b, http.StatusUnprocessableEntity)
	resp, b = e.Do(t, http.MethodPost, path, e.admin.Token, map[string]string{"action": "reject"})
	wantStatus(t, "reject without a note", resp, b, http.StatusUnprocessableEntity)
	resp, b = e.Do(t, http.MethodPost, "/api/v1/farm-applications/nope", e.admin.Token, map[string]string{"action": "approve"})
	wantStatus(t, "decide an unknown application", resp, b, http.StatusNotFound)
	resp, b = e.Do(t, http.MethodPost, path, e.admin.Token, map[string]string{"action": "approve", "note": "Welcome!"})
	wantStatus(t, "approve", resp, b, http.StatusOK)
	got := mustDecode[struct {
		Application applicationJSON `json:"application"`
	}](t, b).Application
	if got.Status != "approved" || got.FarmID == nil {
		t.Fatalf("approved = %+v", got)
	}
	resp, b = e.Do(t, http.MethodPost, path, e.admin.Token, map[string]string{"action": "reject", "note": "no"})
	wantStatus(t, "decide twice", resp, b, http.StatusConflict)

	resp, b = e.Do(t, http.MethodGet, "/api/v1/farms/"+*got.FarmID, "", nil)
	wantStatus(t, "the new farm", resp, b, http.StatusOK)
	farm := mustDecode[struct {
		Farm farmFullJSON `json:"farm"`
	}](t, b).Farm
	if farm.OwnerID != e.member.User.ID || farm.Name != "Green Acre" || farm.Rating.Count != 0 || farm.Rating.Average != nil {
		t.Errorf("farm = %+v", farm)
	}
	resp, b = e.Do(t, http.MethodGet, "/api/v1/me", e.member.Token, nil)
	wantStatus(t, "GET /me", resp, b, http.StatusOK)
	if !strings.Contains(string(b), `"role":"producer"`) {
		t.Errorf("the applicant is not a producer: %s", b)
	}
	// The new producer adds a product to their farm.
	e.mustCreateProduct(t, e.member.Token, farm.ID, "Bramley apples", "fruit")
}

func TestAPIFarmDirectoryAndRating(t *testing.T) {
	e := newCatalogEnv(t)
	kent := e.mustCreateFarm(t, e.producer.Token, "Hop Garden")
	resp, b := e.Do(t, http.MethodPatch, "/api/v1/farms/"+kent.ID, e.producer.Token, map[string]string{
		"region": "Sussex", "shop_address": "1 Oast Lane", "shop_hours": "Sat 9–12", "markets": "Lewes, Saturday", "website": "https://hops.example/"})
	wantStatus(t, "PATCH where to buy", resp, b, http.StatusOK)
	for _, bad := range []string{"javascript:alert(1)", "ftp://x.example", "hops.example"} {
		resp, b = e.Do(t, http.MethodPatch, "/api/v1/farms/"+kent.ID, e.producer.Token, map[string]string{"website": bad})
		wantStatus(t, "PATCH website "+bad, resp, b, http.StatusUnprocessableEntity)
		if _, f := errFields(t, b); f["website"] == "" {
			t.Errorf("website %q: fields %v", bad, f)
		}
	}
	other := e.mustCreateFarm(t, e.other.Token, "Cheese Cave")
	p1 := e.mustCreateProduct(t, e.producer.Token, kent.ID, "Golden hops", "other")
	p2 := e.mustCreateProduct(t, e.producer.Token, kent.ID, "Cider", "beverages")
	for i, x := range []struct {
		id    string
		stars int
	}{{p1.ID, 5}, {p2.ID, 4}} {
		u := e.MustUser(t, fpr.RoleMember)
		resp, b := e.Do(t, http.MethodPost, "/api/v1/products/"+x.id+"/reviews", u.Token, map[string]any{"rating": x.stars, "body": "ok"})
		wantStatus(t, "review "+string(rune('A'+i)), resp, b, http.StatusCreated)
	}
	resp, b = e.Do(t, http.MethodGet, "/api/v1/farms/"+kent.ID, "", nil)
	wantStatus(t, "GET farm", resp, b, http.StatusOK)
	f := mustDecode[struct {
		Farm farmFullJSON `json:"farm"`
	}](t, b).Farm
	if f.Rating.Count != 2 || f.Rating.Average == nil || *f.Rating.Average != 4.5 || f.Rating.Histogram["5"] != 1 || f.ProductCount != 2 ||
		f.Website != "https://hops.example/" || f.Region != "Sussex" || f.ShopHours != "Sat 9–12" {
		t.Errorf("farm = %+v", f)
	}

	list := func(q string) []string {
		t.Helper()
		resp, b := e.Do(t, http.MethodGet, "/api/v1/farms?"+q, "", nil)
		wantStatus(t, "GET /farms?"+q, resp, b, http.StatusOK)
		var names []string
		for _, f := range mustDecode[struct {
			Items []farmFullJSON `json:"items"`
		}](t, b).Items {
			names = append(names, f.Name)
		}
		return names
	}
	for q, want := range map[string]string{
		"":                   "[Cheese Cave Hop Garden]",
		"region=Sussex":      "[Hop Garden]",
		"region=Sus":         "[]",
		"q=sussex":           "[Hop Garden]",
		"q=hop":              "[Cheese Cave Hop Garden]", // both describe hops
		"q=hop+gard":         "[Hop Garden]",
		"q=gardens":          "[Hop Garden]",
		"sort=most_reviewed": "[Hop Garden Cheese Cave]",
		"sort=top_rated":     "[Hop Garden Cheese Cave]",
	} {
		if got := list(q); strings.Join(got, " ") != strings.Trim(want, "[]") {
			t.Errorf("GET /farms?%s = %v, want %s", q, got, want)
		}
	}
	_ = other
	resp, b = e.Do(t, http.MethodGet, "/api/v1/farms?sort=stars&limit=0", "", nil)
	wantStatus(t, "bad sort and limit", resp, b, http.StatusUnprocessableEntity)
	if _, fields := errFields(t, b); fields["sort"] == "" || fields["limit"] == "" {
		t.Errorf("fields = %v, want sort and limit", fields)
	}
	// Region in product search.
	resp, b = e.Do(t, http.MethodGet, "/api/v1/products?q=sussex", "", nil)
	wantStatus(t, "products q=region", resp, b, http.StatusOK)
	if n := len(mustDecode[productListJSON](t, b).Items); n != 2 {
		t.Errorf("products in Sussex = %d, want 2", n)
	}
}

func TestAPIProductArchiveAndInbox(t *testing.T) {
	e := newCatalogEnv(t)
	farm := e.mustCreateFarm(t, e.producer.Token, "Plum Tree")
	kept := e.mustCreateProduct(t, e.producer.Token, farm.ID, "Damsons", "fruit")
	gone := e.mustCreateProduct(t, e.producer.Token, farm.ID, "Greengages", "fruit")
	ann, bob := e.MustUser(t, fpr.RoleMember), e.MustUser(t, fpr.RoleMember)

	resp, b := e.Do(t, http.MethodPost, "/api/v1/products/"+kept.ID+"/reviews", e.producer.Token, map[string]any{"rating": 5, "body": "Mine are the best."})
	wantStatus(t, "a producer reviews their own product", resp, b, http.StatusForbidden)
	resp, b = e.Do(t, http.MethodPost, "/api/v1/products/"+kept.ID+"/reviews", ann.Token, map[string]any{"rating": 1, "body": "Sour."})
	wantStatus(t, "review", resp, b, http.StatusCreated)
	r1 := mustDecode[struct {
		Review reviewJSON `json:"review"`
	}](t, b).Review
	resp, b = e.Do(t, http.MethodPost, "/api/v1/products/"+kept.ID+"/reviews", bob.Token, map[string]any{"rating": 4, "body": "Fine."})
	wantStatus(t, "review", resp, b, http.StatusCreated)

	// Inbox.
	resp, b = e.Do(t, http.MethodGet, "/api/v1/me/farm-reviews", ann.Token, nil)
	wantStatus(t, "inbox of a member", resp, b, http.StatusForbidden)
	resp, b = e.Do(t, http.MethodGet, "/api/v1/me/farm-reviews?unanswered=maybe", e.producer.Token, nil)
	wantStatus(t, "inbox unanswered=maybe", resp, b, http.StatusUnprocessableEntity)
	resp, b = e.Do(t, http.MethodPut, "/api/v1/reviews/"+r1.ID+"/reply", e.producer.Token, map[string]string{"body": "Sorry, try the next batch."})
	wantStatus(t, "reply", resp, b, http.StatusOK)
	type inboxJSON struct {
		Items []struct {
			Review  reviewJSON `json:"review"`
			Product struct {
				Name string `json:"name"`
			} `json:"product"`
		} `json:"items"`
	}
	resp, b = e.Do(t, http.MethodGet, "/api/v1/me/farm-reviews", e.producer.Token, nil)
	wantStatus(t, "inbox", resp, b, http.StatusOK)
	// Newest first: IDs grow with time (two reviews in one millisecond
	// order by their random part, so the test checks the ID order).
	if in := mustDecode[inboxJSON](t, b); len(in.Items) != 2 || in.Items[0].Review.ID < in.Items[1].Review.ID ||
		(in.Items[0].Review.ID != r1.ID && in.Items[1].Review.ID != r1.ID) || in.Items[0].Product.Name != "Damsons" {
		t.Errorf("inbox = %s", b)
	}
	resp, b = e.Do(t, http.MethodGet, "/api/v1/me/farm-reviews?unanswered=true&limit=1", e.producer.Token, nil)
	wantStatus(t, "inbox unanswered", resp, b, http.StatusOK)
	if in := mustDecode[inboxJSON](t, b); len(in.Items) != 1 || in.Items[0].Review.ID == r1.ID {
		t.Errorf("unanswered = %s", b)
	}
	resp, b = e.Do(t, http.MethodGet, "/api/v1/me/farm-reviews", e.other.Token, nil)
	wantStatus(t, "another producer's inbox", resp, b, http.StatusOK)
	if in := mustDecode[inboxJSON](t, b); len(in.Items) != 0 {
		t.Errorf("another producer sees %s", b)
	}

	// Removal: with reviews, archived; without, deleted.
	resp, b = e.Do(t, http.MethodDelete, "/api/v1/products/"+kept.ID, e.producer.Token, nil)
	wantStatus(t, "DELETE a reviewed product", resp, b, http.StatusNoContent)
	resp, b = e.Do(t, http.MethodGet, "/api/v1/products/"+kept.ID, "", nil)
	wantStatus(t, "GET an archived product", resp, b, http.StatusOK)
	if !strings.Contains(string(b), `"archived_at":"`) || !strings.Contains(string(b), `"count":2`) {
		t.Errorf("archived product = %s", b)
	}
	resp, b = e.Do(t, http.MethodGet, "/api/v1/products/"+kept.ID+"/reviews", "", nil)
	wantStatus(t, "reviews of an archived product", resp, b, http.StatusOK)
	if n := len(mustDecode[reviewListJSON](t, b).Items); n != 2 {
		t.Errorf("reviews of the archived product = %d, want 2", n)
	}
	resp, b = e.Do(t, http.MethodGet, "/api/v1/products?farm_id="+farm.ID, "", nil)
	wantStatus(t, "list", resp, b, http.StatusOK)
	if items := mustDecode[productListJSON](t, b).Items; len(items) != 1 || items[0].ID != gone.ID {
		t.Errorf("list after archive = %s", b)
	}
	cy := e.MustUser(t, fpr.RoleMember)
	resp, b = e.Do(t, http.MethodPost, "/api/v1/products/"+kept.ID+"/reviews", cy.Token, map[string]any{"rating": 5, "body": "x"})
	wantStatus(t, "review an archived product", resp, b, http.StatusConflict)
	resp, b = e.Do(t, http.MethodGet, "/api/v1/farms/"+farm.ID, "", nil)
	wantStatus(t, "GET farm", resp, b, http.StatusOK)
	if f := mustDecode[struct {
		Farm farmFullJSON `json:"farm"`
	}](t, b).Farm; f.Rating.Count != 2 || f.ProductCount != 1 {
		t.Errorf("farm after archive = %+v, want its 2 reviews kept and 1 product listed", f)
	}
	resp, b = e.Do(t, http.MethodDelete, "/api/v1/products/"+gone.ID, e.producer.Token, nil)
	wantStatus(t, "DELETE an unreviewed product", resp, b, http.StatusNoContent)
	resp, b = e.Do(t, http.MethodGet, "/api/v1/products/"+gone.ID, "", nil)
	wantStatus(t, "GET a deleted product", resp, b, http.StatusNotFound)
}
