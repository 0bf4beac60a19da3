package http_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/fpr-team/fpr"
	"github.com/fpr-team/fpr/internal/fprtest"
)

type farmJSON struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Slug        string `json:"slug"`
	Region      string `json:"region"`
	Description string `json:"description"`
	OwnerID     string `json:"owner_id"`
	CreatedAt   string `json:"created_at"`
}

type ratingJSON struct {
	Average   *float64       `json:"average"`
	Count     int            `json:"count"`
	Histogram map[string]int `json:"histogram"`
}

type productJSON struct {
	ID          string     `json:"id"`
	FarmID      string     `json:"farm_id"`
	FarmName    string     `json:"farm_name"`
	Name        string     `json:"name"`
	Slug        string     `json:"slug"`
	Category    string     `json:"category"`
	Description string     `json:"description"`
	Unit        string     `json:"unit"`
	CreatedAt   string     `json:"created_at"`
	Rating      ratingJSON `json:"rating"`
}

type productListJSON struct {
	Items      []productJSON `json:"items"`
	NextCursor *string       `json:"next_cursor"`
}

func mustDecode[T any](t *testing.T, body []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("decode %s: %v", body, err)
	}
	return v
}

// catalogEnv is a server with an admin, two producers and a member.
type catalogEnv struct {
	*fprtest.Env
	admin, producer, other, member *fprtest.TestUser
}

func newCatalogEnv(t *testing.T) *catalogEnv {
	t.Helper()
	env := fprtest.New(t)
	return &catalogEnv{Env: env, admin: env.MustUser(t, fpr.RoleAdmin), producer: env.MustUser(t, fpr.RoleProducer),
		other: env.MustUser(t, fpr.RoleProducer), member: env.MustUser(t, fpr.RoleMember)}
}

func (e *catalogEnv) mustCreateFarm(t *testing.T, token, name string) farmJSON {
	t.Helper()
	resp, body := e.Do(t, http.MethodPost, "/api/v1/farms", token, map[string]string{"name": name, "region": "Kent", "description": "Hops and apples."})
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("POST /farms = %d %s, want 201", resp.StatusCode, body)
	}
	return mustDecode[struct {
		Farm farmJSON `json:"farm"`
	}](t, body).Farm
}

func (e *catalogEnv) mustCreateProduct(t *testing.T, token, farmID, name, category string) productJSON {
	t.Helper()
	resp, body := e.Do(t, http.MethodPost, "/api/v1/products", token, map[string]string{
		"farm_id": farmID, "name": name, "category": category, "description": "Grown on the farm.", "unit": "per kg"})
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("POST /products = %d %s, want 201", resp.StatusCode, body)
	}
	return mustDecode[struct {
		Product productJSON `json:"product"`
	}](t, body).Product
}

func TestAPI_Farms(t *testing.T) {
	t.Parallel()
	e := newCatalogEnv(t)
	farm := e.mustCreateFarm(t, e.producer.Token, "Ferme du Château")
	if farm.Slug != "ferme-du-chateau" || farm.OwnerID != e.producer.User.ID || farm.Region != "Kent" || !strings.HasSuffix(farm.CreatedAt, "Z") {
		t.Errorf("created farm = %+v", farm)
	}
	if again := e.mustCreateFarm(t, e.other.Token, "Ferme du Chateau"); again.Slug != "ferme-du-chateau-2" {
		t.Errorf("second farm's slug = %q, want ferme-du-chateau-2", again.Slug)
	}
	resp, body := e.Do(t, http.MethodPost, "/api/v1/farms", e.admin.Token,
		map[string]string{"name": "Given Farm", "region": "Devon", "description": "", "owner_id": e.other.User.ID})
	if got := mustDecode[struct {
		Farm farmJSON `json:"farm"`
	}](t, body).Farm; resp.StatusCode != http.StatusCreated || got.OwnerID != e.other.User.ID {
		t.Errorf("admin POST /farms for a producer = %d %s, want 201 owned by %s", resp.StatusCode, body, e.other.User.ID)
	}

	countFarms := func() int {
		_, body := e.Do(t, http.MethodGet, "/api/v1/farms?limit=100", "", nil)
		return len(mustDecode[struct {
			Items []farmJSON `json:"items"`
		}](t, body).Items)
	}
	before := countFarms()
	runRefusals(t, e.Env, []refusal{
		{"create anonymous", "POST", "/api/v1/farms", "", map[string]string{"name": "A", "region": "B", "description": ""}, 401, "unauthenticated", nil},
		{"create member", "POST", "/api/v1/farms", e.member.Token, map[string]string{"name": "A", "region": "B", "description": ""}, 403, "forbidden", nil},
		{"create empty fields", "POST", "/api/v1/farms", e.producer.Token, map[string]string{"name": " ", "region": "", "description": ""}, 422, "validation_failed", []string{"name", "region"}},
		{"create long name", "POST", "/api/v1/farms", e.producer.Token, map[string]string{"name": strings.Repeat("x", 101), "region": "K", "description": ""}, 422, "validation_failed", []string{"name"}},
		{"create unknown field", "POST", "/api/v1/farms", e.producer.Token, map[string]any{"name": "A", "region": "B", "description": "", "acres": 3}, 400, "bad_request", nil},
		{"create wrong type", "POST", "/api/v1/farms", e.producer.Token, map[string]any{"name": 1, "region": "B", "description": ""}, 400, "bad_request", nil},
		{"update other producer", "PATCH", "/api/v1/farms/" + farm.ID, e.other.Token, map[string]string{"region": "Elsewhere"}, 403, "forbidden", nil},
		{"update member", "PATCH", "/api/v1/farms/" + farm.ID, e.member.Token, map[string]string{"region": "Elsewhere"}, 403, "forbidden", nil},
		{"update anonymous", "PATCH", "/api/v1/farms/" + farm.ID, "", map[string]string{"region": "Elsewhere"}, 401, "unauthenticated", nil},
		{"update empty name", "PATCH", "/api/v1/farms/" + farm.ID, e.producer.Token, map[string]string{"name": "", "region": "Elsewhere"}, 422, "validation_failed", []string{"name"}},
		{"update unknown", "PATCH", "/api/v1/farms/nope", e.admin.Token, map[string]string{"region": "Elsewhere"}, 404, "not_found", nil},
		{"get unknown", "GET", "/api/v1/farms/nope", "", nil, 404, "not_found", nil},
		{"list bad limit", "GET", "/api/v1/farms?limit=abc", "", nil, 422, "validation_failed", []string{"limit"}},
		{"list big limit", "GET", "/api/v1/farms?limit=101", "", nil, 422, "validation_failed", []string{"limit"}},
		{"list bad cursor", "GET", "/api/v1/farms?cursor=xyz", "", nil, 422, "validation_failed", []string{"cursor"}},
	})
	if after := countFarms(); after != before {
		t.Errorf("farms after refused requests = %d, want %d", after, before)
	}
	resp, body = e.Do(t, http.MethodGet, "/api/v1/farms/"+farm.ID, "", nil)
	if got := mustDecode[struct {
		Farm farmJSON `json:"farm"`
	}](t, body).Farm; resp.StatusCode != 200 || got != farm {
		t.Errorf("GET farm after refused updates = %d %+v, want %+v", resp.StatusCode, got, farm)
	}

	resp, body = e.Do(t, http.MethodPatch, "/api/v1/farms/"+farm.ID, e.producer.Token, map[string]string{"name": "Moulin Vert"})
	got := mustDecode[struct {
		Farm farmJSON `json:"farm"`
	}](t, body).Farm
	if resp.StatusCode != 200 || got.Name != "Moulin Vert" || got.Slug != "moulin-vert" || got.Region != "Kent" {
		t.Errorf("PATCH farm = %d %s", resp.StatusCode, body)
	}
	resp, body = e.Do(t, http.MethodPatch, "/api/v1/farms/"+farm.ID, e.admin.Token, map[string]string{"description": "Now with goats."})
	if resp.StatusCode != 200 || !strings.Contains(string(body), "Now with goats.") {
		t.Errorf("admin PATCH farm = %d %s", resp.StatusCode, body)
	}
}

func TestAPI_FarmsPaging(t *testing.T) {
	t.Parallel()
	env := fprtest.New(t)
	producer := env.MustUser(t, fpr.RoleProducer)
	e := &catalogEnv{Env: env}
	for i := range 7 {
		e.mustCreateFarm(t, producer.Token, fmt.Sprintf("Farm %d", 7-i))
	}
	var names []string
	path := "/api/v1/farms?limit=3"
	for path != "" {
		resp, body := env.Do(t, http.MethodGet, path, "", nil)
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s = %d %s", path, resp.StatusCode, body)
		}
		page := mustDecode[struct {
			Items      []farmJSON `json:"items"`
			NextCursor *string    `json:"next_cursor"`
		}](t, body)
		for _, f := range page.Items {
			names = append(names, f.Name)
		}
		path = ""
		if page.NextCursor != nil {
			path = "/api/v1/farms?limit=3&cursor=" + url.QueryEscape(*page.NextCursor)
		}
	}
	if want := "[Farm 1 Farm 2 Farm 3 Farm 4 Farm 5 Farm 6 Farm 7]"; fmt.Sprint(names) != want {
		t.Errorf("farms paged by 3 = %v, want %s", names, want)
	}
}

func TestAPI_Products(t *testing.T) {
	t.Parallel()
	e := newCatalogEnv(t)
	farm := e.mustCreateFarm(t, e.producer.Token, "Hill Farm")
	p := e.mustCreateProduct(t, e.producer.Token, farm.ID, "Heirloom Tomatoes", "vegetables")
	if p.FarmName != "Hill Farm" || p.Slug != "heirloom-tomatoes" || p.Rating.Average != nil || p.Rating.Count != 0 ||
		fmt.Sprint(p.Rating.Histogram) != "map[1:0 2:0 3:0 4:0 5:0]" {
		t.Errorf("created product = %+v", p)
	}
	e.mustCreateProduct(t, e.admin.Token, farm.ID, "Passata", "preserves")

	// Three reviews averaging 4.333…: the API rounds to 2 decimals.
	for i, stars := range []int{5, 4, 4} {
		u := e.member.User
		if i > 0 {
			u = e.MustUser(t, fpr.RoleMember).User
		}
		if err := e.DB.CreateReview(e.Ctx(u), &fpr.Review{ProductID: p.ID, Rating: stars, Body: "Tasty."}); err != nil {
			t.Fatal(err)
		}
	}
	resp, body := e.Do(t, http.MethodGet, "/api/v1/products/"+p.ID, "", nil)
	got := mustDecode[struct {
		Product productJSON `json:"product"`
	}](t, body).Product
	if resp.StatusCode != 200 || got.Rating.Average == nil || *got.Rating.Average != 4.33 || got.Rating.Count != 3 ||
		fmt.Sprint(got.Rating.Histogram) != "map[1:0 2:0 3:0 4:2 5:1]" {
		t.Errorf("GET product = %d %s, want average 4.33 of 3", resp.StatusCode, body)
	}

	countProducts := func() int {
		_, body := e.Do(t, http.MethodGet, "/api/v1/products?limit=100", "", nil)
		return len(mustDecode[productListJSON](t, body).Items)
	}
	before := countProducts()
	valid := func(edit func(m map[string]any)) map[string]any {
		m := map[string]any{"farm_id": farm.ID, "name": "Eggs", "category": "eggs", "description": "", "unit": "dozen"}
		if edit != nil {
			edit(m)
		}
		return m
	}
	runRefusals(t, e.Env, []refusal{
		{"create anonymous", "POST", "/api/v1/products", "", valid(nil), 401, "unauthenticated", nil},
		{"create member", "POST", "/api/v1/products", e.member.Token, valid(nil), 403, "forbidden", nil},
		{"create other producer", "POST", "/api/v1/products", e.other.Token, valid(nil), 403, "forbidden", nil},
		{"create unknown farm", "POST", "/api/v1/products", e.admin.Token, valid(func(m map[string]any) { m["farm_id"] = "nope" }), 404, "not_found", nil},
		{"create bad fields", "POST", "/api/v1/products", e.producer.Token, valid(func(m map[string]any) {
			m["name"], m["category"], m["unit"] = "", "cars", ""
		}), 422, "validation_failed", []string{"name", "category", "unit"}},
		{"create unknown field", "POST", "/api/v1/products", e.producer.Token, valid(func(m map[string]any) { m["price"] = 3 }), 400, "bad_request", nil},
		{"update other producer", "PATCH", "/api/v1/products/" + p.ID, e.other.Token, map[string]string{"unit": "each"}, 403, "forbidden", nil},
		{"update member", "PATCH", "/api/v1/products/" + p.ID, e.member.Token, map[string]string{"unit": "each"}, 403, "forbidden", nil},
		{"update anonymous", "PATCH", "/api/v1/products/" + p.ID, "", map[string]string{"unit": "each"}, 401, "unauthenticated", nil},
		{"update bad category", "PATCH", "/api/v1/products/" + p.ID, e.producer.Token, map[string]string{"unit": "each", "category": "boats"}, 422, "validation_failed", []string{"category"}},
		{"update unknown", "PATCH", "/api/v1/products/nope", e.admin.Token, map[string]string{"unit": "each"}, 404, "not_found", nil},
		{"delete other producer", "DELETE", "/api/v1/products/" + p.ID, e.other.Token, nil, 403, "forbidden", nil},
		{"delete member", "DELETE", "/api/v1/products/" + p.ID, e.member.Token, nil, 403, "forbidden", nil},
		{"delete anonymous", "DELETE", "/api/v1/products/" + p.ID, "", nil, 401, "unauthenticated", nil},
		{"delete unknown", "DELETE", "/api/v1/products/nope", e.admin.Token, nil, 404, "not_found", nil},
		{"get unknown", "GET", "/api/v1/products/nope", "", nil, 404, "not_found", nil},
	})
	if after := countProducts(); after != before {
		t.Errorf("products after refused requests = %d, want %d", after, before)
	}
	resp, body = e.Do(t, http.MethodGet, "/api/v1/products/"+p.ID, "", nil)
	if again := mustDecode[struct {
		Product productJSON `json:"product"`
	}](t, body).Product; resp.StatusCode != 200 || again.Unit != "per kg" || again.Category != "vegetables" {
		t.Errorf("product after refused updates = %+v", again)
	}

	resp, body = e.Do(t, http.MethodPatch, "/api/v1/products/"+p.ID, e.producer.Token, map[string]string{"name": "Cherry Tomatoes", "unit": "punnet 250 g"})
	upd := mustDecode[struct {
		Product productJSON `json:"product"`
	}](t, body).Product
	if resp.StatusCode != 200 || upd.Name != "Cherry Tomatoes" || upd.Slug != "cherry-tomatoes" || upd.Unit != "punnet 250 g" || upd.Rating.Count != 3 {
		t.Errorf("PATCH product = %d %s", resp.StatusCode, body)
	}
	resp, body = e.Do(t, http.MethodGet, "/api/v1/products?q=cherry", "", nil)
	if list := mustDecode[productListJSON](t, body); resp.StatusCode != 200 || len(list.Items) != 1 || list.Items[0].ID != p.ID {
		t.Errorf("GET /products?q=cherry = %d %s, want the renamed product", resp.StatusCode, body)
	}

	resp, body = e.Do(t, http.MethodDelete, "/api/v1/products/"+p.ID, e.producer.Token, nil)
	if resp.StatusCode != http.StatusNoContent || len(body) != 0 {
		t.Errorf("DELETE product = %d %q, want 204 and no body", resp.StatusCode, body)
	}
	// It had reviews: archived, not deleted; its page and reviews stay.
	if resp, body := e.Do(t, http.MethodGet, "/api/v1/products/"+p.ID, "", nil); resp.StatusCode != 200 || !strings.Contains(string(body), `"archived_at":"`) {
		t.Errorf("GET removed product = %d %s, want 200 and archived", resp.StatusCode, body)
	}
	if n, _, err := e.DB.FindReviews(e.Ctx(nil), fpr.ReviewFilter{AuthorID: &e.member.User.ID}); err != nil || len(n) != 1 {
		t.Errorf("reviews of the archived product = %d (%v), want 1", len(n), err)
	}
}

func TestAPI_ProductsQuery(t *testing.T) {
	t.Parallel()
	e := newCatalogEnv(t)
	farm := e.mustCreateFarm(t, e.producer.Token, "Orchard")
	for i := range 25 {
		e.mustCreateProduct(t, e.producer.Token, farm.ID, fmt.Sprintf("Apple %02d", i), []string{"fruit", "preserves"}[i%2])
	}
	_, body := e.Do(t, http.MethodGet, "/api/v1/products?sort=name&limit=10", "", nil)
	nameCursor := *mustDecode[productListJSON](t, body).NextCursor

	for _, tt := range []struct {
		query string
		field string
	}{
		{"limit=abc", "limit"},
		{"limit=0", "limit"},
		{"limit=101", "limit"},
		{"limit=-3", "limit"},
		{"sort=cheapest", "sort"},
		{"category=cars", "category"},
		{"min_rating=abc", "min_rating"},
		{"min_rating=NaN", "min_rating"},
		{"min_rating=0.5", "min_rating"},
		{"min_rating=6", "min_rating"},
		{"cursor=xyz", "cursor"},
		{"sort=top_rated&cursor=" + url.QueryEscape(nameCursor), "cursor"},
		{"cursor=" + url.QueryEscape(nameCursor), "cursor"},
	} {
		t.Run(tt.query, func(t *testing.T) {
			resp, body := e.Do(t, http.MethodGet, "/api/v1/products?"+tt.query, "", nil)
			env := mustEnvelope(t, body)
			if resp.StatusCode != 422 || env.Error.Code != "validation_failed" || env.Error.Fields[tt.field] == "" {
				t.Errorf("GET /products?%s = %d %s, want 422 on %s", tt.query, resp.StatusCode, body, tt.field)
			}
		})
	}

	for _, sort := range []string{"newest", "top_rated", "most_reviewed", "name", "relevance"} {
		t.Run("paging "+sort, func(t *testing.T) {
			seen := map[string]bool{}
			path := "/api/v1/products?category=fruit&limit=4&sort=" + sort
			if sort == "relevance" {
				path += "&q=apple"
			}
			for pages := 0; path != ""; pages++ {
				if pages > 10 {
					t.Fatal("paging does not end")
				}
				resp, body := e.Do(t, http.MethodGet, path, "", nil)
				if resp.StatusCode != 200 {
					t.Fatalf("GET %s = %d %s", path, resp.StatusCode, body)
				}
				list := mustDecode[productListJSON](t, body)
				for _, p := range list.Items {
					if seen[p.ID] || p.Category != "fruit" {
						t.Errorf("product %s (%s) seen twice or not fruit", p.ID, p.Category)
					}
					seen[p.ID] = true
				}
				path = ""
				if list.NextCursor != nil {
					path = "/api/v1/products?category=fruit&limit=4&sort=" + sort + "&cursor=" + url.QueryEscape(*list.NextCursor)
					if sort == "relevance" {
						path += "&q=apple"
					}
				}
			}
			if len(seen) != 13 {
				t.Errorf("paging sort=%s saw %d fruit products, want 13", sort, len(seen))
			}
		})
	}

	resp, body := e.Do(t, http.MethodGet, "/api/v1/products?q="+url.QueryEscape(`apple OR "x* NEAR(`)+"&farm_id="+farm.ID, "", nil)
	if resp.StatusCode != 200 || len(mustDecode[productListJSON](t, body).Items) != 0 {
		t.Errorf("search with operators = %d %s, want 200 and no match (OR, x and near are words)", resp.StatusCode, body)
	}
	resp, body = e.Do(t, http.MethodGet, "/api/v1/products?min_rating=4", "", nil)
	if resp.StatusCode != 200 || len(mustDecode[productListJSON](t, body).Items) != 0 {
		t.Errorf("min_rating=4 without reviews = %d %s, want an empty list", resp.StatusCode, body)
	}
}

// refusal is a request the API must refuse with status and code, naming
// exactly the given fields.
type refusal struct {
	name   string
	method string
	path   string
	token  string
	body   any
	status int
	code   string
	fields []string
}

// runRefusals sends each request and checks its error envelope.
func runRefusals(t *testing.T, e *fprtest.Env, cases []refusal) {
	t.Helper()
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := e.Do(t, tt.method, tt.path, tt.token, tt.body)
			env := mustEnvelope(t, body)
			if resp.StatusCode != tt.status || env.Error.Code != tt.code {
				t.Fatalf("%s %s = %d %s, want %d %s", tt.method, tt.path, resp.StatusCode, body, tt.status, tt.code)
			}
			for _, f := range tt.fields {
				if env.Error.Fields[f] == "" {
					t.Errorf("fields = %v, want a message for %q", env.Error.Fields, f)
				}
			}
			if len(tt.fields) != len(env.Error.Fields) {
				t.Errorf("fields = %v, want exactly %v", env.Error.Fields, tt.fields)
			}
		})
	}
}
