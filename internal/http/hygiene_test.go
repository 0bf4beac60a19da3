package http_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/fpr-team/fpr"
	"github.com/fpr-team/fpr/internal/fprtest"
)

// Issue 10's hostile input, through the real server on the backend the
// run uses (FPR_TEST_BACKEND=postgres reproduces the PostgreSQL 500s):
// every answer is the 4xx its SPEC rule gives, nothing is recorded as an
// error, and nothing is written.

// mustNoErrorGroups fails when the server recorded any error group (a 5xx
// or panic): hostile input must not page the operator.
func mustNoErrorGroups(t *testing.T, env *fprtest.Env) {
	t.Helper()
	admin := &fpr.User{ID: "admin", Role: fpr.RoleAdmin}
	groups, _, err := env.DB.FindErrorGroups(env.Ctx(admin), fpr.ErrorGroupFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range groups {
		t.Errorf("error group recorded: %s %s (%s)", g.Route, g.Fingerprint, g.Message)
	}
}

func TestHostileText_API(t *testing.T) {
	t.Parallel()
	env := fprtest.New(t)
	member := env.MustUser(t, fpr.RoleMember)
	producer := env.MustUser(t, fpr.RoleProducer)
	productID := mustFarmProduct(t, env, producer.User)

	for _, tt := range []struct {
		name, method, path, token string
		body                      any
		status                    int
		field                     string
	}{
		{"RegisterNULDisplayName", "POST", "/api/v1/auth/register", "", map[string]string{"email": "nul1@example.org", "password": goodPassword, "display_name": "Ann\x00"}, 422, "display_name"},
		{"RegisterNULEmail", "POST", "/api/v1/auth/register", "", map[string]string{"email": "nul\x00@example.org", "password": goodPassword, "display_name": "Ann"}, 422, "email"},
		{"RegisterBidiName", "POST", "/api/v1/auth/register", "", map[string]string{"email": "bidi@example.org", "password": goodPassword, "display_name": "Ann\u202eBaker"}, 422, "display_name"},
		{"RegisterReservedName", "POST", "/api/v1/auth/register", "", map[string]string{"email": "adm@example.org", "password": goodPassword, "display_name": "ＡＤＭＩＮ"}, 422, "display_name"},
		{"RegisterLookAlikeEmail", "POST", "/api/v1/auth/register", "", map[string]string{"email": strings.Replace(member.User.Email, "m", "м", 1), "password": goodPassword, "display_name": "Ann"}, 422, "email"},
		{"LoginNULEmail", "POST", "/api/v1/auth/login", "", map[string]string{"email": "ann\x00@example.org", "password": "whatever-it-is"}, 422, "email"},
		{"ReviewNULBody", "POST", "/api/v1/products/" + productID + "/reviews", member.Token, map[string]any{"rating": 4, "body": "Good\x00honey"}, 422, "body"},
		{"ReviewEscapeTitle", "POST", "/api/v1/products/" + productID + "/reviews", member.Token, map[string]any{"rating": 4, "title": "\x1b[2J", "body": "Good"}, 422, "title"},
		{"FarmNULName", "POST", "/api/v1/farms", producer.Token, map[string]string{"name": "F\x00", "region": "Kent", "description": ""}, 422, "name"},
		{"ProductNULUnit", "PATCH", "/api/v1/products/" + productID, producer.Token, map[string]string{"unit": "jar\x00"}, 422, "unit"},
		{"QueryNUL", "GET", "/api/v1/products?q=%00", "", nil, 422, "q"},
		{"QueryInvalidUTF8", "GET", "/api/v1/products?q=caf%E9", "", nil, 422, "q"},
		{"QueryControlInSort", "GET", "/api/v1/products/" + productID + "/reviews?sort=%1b", "", nil, 422, "sort"},
		// A cursor is base64 JSON, and "\u0000" in it decodes to NUL: found
		// by FuzzDecodeCursor (internal/store/testdata/fuzz).
		{"CursorNULInID", "GET", "/api/v1/products?cursor=eyJzIjoibmV3ZXN0IiwiaSI6ImFcdTAwMDAifQ", "", nil, 422, "cursor"},
		{"CursorNULInKey", "GET", "/api/v1/farms?cursor=eyJzIjoiZmFybXMiLCJpIjoieCIsInQiOiJhXHUwMDAwIn0", "", nil, 422, "cursor"},
		{"PathNUL", "GET", "/api/v1/products/%00", "", nil, 404, ""},
		{"PathInvalidUTF8", "GET", "/api/v1/reviews/%FF", "", nil, 404, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := env.Do(t, tt.method, tt.path, tt.token, tt.body)
			wantStatus(t, tt.method+" "+tt.path, resp, body, tt.status)
			if tt.field != "" {
				if e := mustEnvelope(t, body); e.Error.Code != "validation_failed" || e.Error.Fields[tt.field] == "" {
					t.Errorf("envelope = %+v, want validation_failed naming %s", e.Error, tt.field)
				}
			}
		})
	}
	resp, body := env.Do(t, "GET", "/api/v1/products/"+productID+"/reviews", "", nil)
	if resp.StatusCode != http.StatusOK || strings.Contains(string(body), `"id"`) {
		t.Errorf("reviews after the attacks = %d %s, want none written", resp.StatusCode, body)
	}
	mustNoErrorGroups(t, env)
}

// postForm posts a raw form body (so invalid UTF-8 goes out as it is).
func postForm(t *testing.T, c *http.Client, u, raw string) (*answer, string) {
	t.Helper()
	resp, err := c.Post(u, "application/x-www-form-urlencoded", strings.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return &answer{StatusCode: resp.StatusCode, Header: resp.Header}, string(b)
}

func TestHostileText_Forms(t *testing.T) {
	t.Parallel()
	env := fprtest.New(t)
	producer := env.MustUser(t, fpr.RoleProducer)
	productID := mustFarmProduct(t, env, producer.User)
	member := env.MustUser(t, fpr.RoleMember)

	anon := env.Client(t)
	for _, tt := range []struct{ name, path, form string }{
		{"RegisterInvalidUTF8", "/register", "email=a%40example.org&password=" + url.QueryEscape(goodPassword) + "&display_name=Caf%E9"},
		{"RegisterNUL", "/register", "email=b%40example.org&password=" + url.QueryEscape(goodPassword) + "&display_name=Ann%00"},
		{"RegisterControl", "/register", "email=c%40example.org&password=" + url.QueryEscape(goodPassword) + "&display_name=Ann%07"},
		{"LoginNULEmail", "/login", "email=ann%00%40example.org&password=x"},
		{"LoginInvalidUTF8", "/login", "email=ann%FF%40example.org&password=x"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := postForm(t, anon, env.URL+tt.path, tt.form)
			if resp.StatusCode != http.StatusUnprocessableEntity {
				t.Errorf("POST %s = %d, want 422:\n%s", tt.path, resp.StatusCode, body)
			}
		})
	}

	b := newBrowser(t, env)
	b.login(member)
	for _, tt := range []struct{ name, path, form string }{
		{"ReviewInvalidUTF8", "/products/" + productID + "/reviews", "product_id=" + productID + "&rating=4&title=&body=caf%E9"},
		{"ReviewNUL", "/products/" + productID + "/reviews", "product_id=" + productID + "&rating=4&title=&body=a%00b"},
		{"ReviewControl", "/products/" + productID + "/reviews", "product_id=" + productID + "&rating=4&title=%1b&body=fine"},
		{"ProductIDNUL", "/products/" + productID + "/reviews", "product_id=%00&rating=4&title=&body=fine%E9"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := postForm(t, b.c, env.URL+tt.path, tt.form)
			if resp.StatusCode != http.StatusUnprocessableEntity {
				t.Errorf("POST %s = %d, want 422:\n%s", tt.path, resp.StatusCode, body)
			}
		})
	}
	// A newline and a tab are fine in a review body; CRLF is stored as LF.
	resp, body := postForm(t, b.c, env.URL+"/products/"+productID+"/reviews", "product_id="+productID+"&rating=4&title=Fine&body=Line+one%0D%0A%09Line+two")
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("review with newline and tab = %d, want 303:\n%s", resp.StatusCode, body)
	}
	_, list := env.Do(t, "GET", "/api/v1/products/"+productID+"/reviews", "", nil)
	if !strings.Contains(string(list), `"body":"Line one\n\tLine two"`) {
		t.Errorf("stored review = %s, want the body with LF and tab", list)
	}
	mustNoErrorGroups(t, env)
}

// TestSafeNext_LoginRedirect reproduces issue 10: /login?next=/%09/evil.example
// then logging in answered Location: /\t/evil.example, which browsers
// follow off-site.
func TestSafeNext_LoginRedirect(t *testing.T) {
	t.Parallel()
	env := fprtest.New(t)
	member := env.MustUser(t, fpr.RoleMember)
	for _, next := range []string{"/%09/evil.example", "/\t/evil.example", "//evil.example", "/\\evil.example", "/%2F%2Fevil.example", "https://evil.example/", "javascript:alert(1)"} {
		b := newBrowser(t, env)
		p := b.get("/login?next=" + url.QueryEscape(next))
		// A control character in the query is refused outright (422);
		// otherwise the form carries a safe next.
		if v := p.attr(`input[name="next"]`, "value"); p.StatusCode != http.StatusUnprocessableEntity && v != "/" {
			t.Errorf("login form for next=%q carries next=%q, want /", next, v)
		}
		resp, _ := postForm(t, b.c, env.URL+"/login", url.Values{"email": {member.User.Email}, "password": {member.Password}, "next": {next}}.Encode())
		if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || loc != "/" {
			t.Errorf("log in with next=%q = %d Location %q, want 303 to /", next, resp.StatusCode, loc)
		}
	}
	b := newBrowser(t, env)
	resp, _ := postForm(t, b.c, env.URL+"/login", url.Values{"email": {member.User.Email}, "password": {member.Password}, "next": {"/products?q=honey"}}.Encode())
	if loc := resp.Header.Get("Location"); loc != "/products?q=honey" {
		t.Errorf("log in with a path of this site: Location %q, want /products?q=honey", loc)
	}
}

func TestMethodNotAllowed(t *testing.T) {
	t.Parallel()
	env := fprtest.New(t)
	for _, tt := range []struct{ method, path, allow string }{
		{"PUT", "/api/v1/products", "GET, HEAD, POST"},
		{"DELETE", "/api/v1/auth/login", "POST"},
		{"POST", "/api/v1/openapi.json", "GET, HEAD"},
	} {
		resp, body := env.Do(t, tt.method, tt.path, "", nil)
		if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != tt.allow {
			t.Errorf("%s %s = %d Allow %q, want 405 Allow %q", tt.method, tt.path, resp.StatusCode, resp.Header.Get("Allow"), tt.allow)
			continue
		}
		if e := mustEnvelope(t, body); e.Error.Code != "bad_request" {
			t.Errorf("%s %s envelope code %q, want bad_request", tt.method, tt.path, e.Error.Code)
		}
	}
	// Pages: an HTML 405 page with Allow.
	for _, tt := range []struct{ method, path, allow string }{
		{"DELETE", "/products", "GET, HEAD"},
		{"PUT", "/login", "GET, HEAD, POST"},
	} {
		req, _ := http.NewRequest(tt.method, env.URL+tt.path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != tt.allow || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
			t.Errorf("%s %s = %d Allow %q (%s), want a 405 page with Allow %q", tt.method, tt.path, resp.StatusCode, resp.Header.Get("Allow"), resp.Header.Get("Content-Type"), tt.allow)
		}
	}
	// Paths that exist with no method stay 404.
	if resp, body := env.Do(t, "GET", "/api/v1/nowhere", "", nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET /api/v1/nowhere = %d %s, want 404", resp.StatusCode, body)
	}
}

func TestContract_NoSlack(t *testing.T) {
	t.Parallel()
	env := fprtest.New(t)
	member := env.MustUser(t, fpr.RoleMember)
	producer := env.MustUser(t, fpr.RoleProducer)
	admin := env.MustUser(t, fpr.RoleAdmin)
	productID := mustFarmProduct(t, env, producer.User)
	resp, body := env.Do(t, "POST", "/api/v1/products/"+productID+"/reviews", member.Token, map[string]any{"rating": 4, "body": "Sweet."})
	wantStatus(t, "create review", resp, body, http.StatusCreated)
	review := mustDecode[struct {
		Review reviewJSON `json:"review"`
	}](t, body).Review

	t.Run("NullBody", func(t *testing.T) {
		for _, raw := range []string{"null", " null ", "[]", `"text"`, "4"} {
			resp, body := env.Do(t, "PATCH", "/api/v1/reviews/"+review.ID, member.Token, raw)
			if e := mustEnvelope(t, body); resp.StatusCode != http.StatusBadRequest || e.Error.Code != "bad_request" {
				t.Errorf("PATCH with body %s = %d %s, want 400 bad_request", raw, resp.StatusCode, body)
			}
		}
		resp, body := env.Do(t, "PATCH", "/api/v1/reviews/"+review.ID, member.Token, "{}")
		wantStatus(t, "PATCH {}", resp, body, http.StatusOK)
	})
	t.Run("EmptyQueryValues", func(t *testing.T) {
		for _, tt := range []struct{ path, field string }{
			{"/api/v1/products?limit=", "limit"},
			{"/api/v1/products?sort=", "sort"},
			{"/api/v1/products?cursor=", "cursor"},
			{"/api/v1/products?q=", "q"},
			{"/api/v1/products/" + productID + "/reviews?sort=", "sort"},
			{"/api/v1/products/" + productID + "/reviews?rating=", "rating"},
			{"/api/v1/farms?limit=", "limit"},
		} {
			resp, body := env.Do(t, "GET", tt.path, "", nil)
			if e := mustEnvelope(t, body); resp.StatusCode != http.StatusUnprocessableEntity || e.Error.Fields[tt.field] == "" {
				t.Errorf("GET %s = %d %s, want 422 naming %s", tt.path, resp.StatusCode, body, tt.field)
			}
		}
		// Pages stay lenient: a search form sends its unused filters empty.
		req, _ := http.NewRequest("GET", env.URL+"/products?q=&category=&sort=", nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET /products?q=&category=&sort= = %d, want 200", resp.StatusCode)
		}
	})
	t.Run("EmptyOwnerID", func(t *testing.T) {
		resp, body := env.Do(t, "POST", "/api/v1/farms", admin.Token, map[string]string{"name": "Blank Owner Farm", "region": "Kent", "description": "", "owner_id": ""})
		if e := mustEnvelope(t, body); resp.StatusCode != http.StatusUnprocessableEntity || e.Error.Fields["owner_id"] == "" {
			t.Errorf("POST /farms owner_id \"\" = %d %s, want 422 naming owner_id", resp.StatusCode, body)
		}
	})
	t.Run("BadBearerOnPublicRoute", func(t *testing.T) {
		for _, path := range []string{"/api/v1/openapi.json", "/api/v1/products", "/api/v1/products/" + productID + "/reviews"} {
			resp, body := env.Do(t, "GET", path, "not-a-token", nil)
			if resp.StatusCode != http.StatusOK {
				t.Errorf("GET %s with a bad bearer token = %d %s, want 200 as for anyone", path, resp.StatusCode, body)
			}
		}
		resp, body := env.Do(t, "GET", "/api/v1/me", "not-a-token", nil)
		if e := mustEnvelope(t, body); resp.StatusCode != http.StatusUnauthorized || e.Error.Code != "unauthenticated" {
			t.Errorf("GET /me with a bad bearer token = %d %s, want 401", resp.StatusCode, body)
		}
	})
}
