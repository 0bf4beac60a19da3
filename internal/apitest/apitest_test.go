package apitest

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

func TestDocument(t *testing.T) {
	doc, err := Document()
	if err != nil {
		t.Fatalf("Document() error: %v", err)
	}
	if err := doc.Validate(t.Context()); err != nil {
		t.Errorf("doc.Validate() = %v, want nil", err)
	}
	if got, want := doc.OpenAPI, "3.1.0"; got != want {
		t.Errorf("openapi = %q, want %q", got, want)
	}
	if len(doc.Servers) != 1 || doc.Servers[0].URL != BasePath {
		t.Errorf("servers = %v, want one with url %s", doc.Servers, BasePath)
	}
}

// TestDocumentRules checks the house rules of the hand-written document that
// the OpenAPI validator does not: closed objects, and X-Request-ID and the
// 500 envelope on every operation.
func TestDocumentRules(t *testing.T) {
	doc, err := Document()
	if err != nil {
		t.Fatalf("Document() error: %v", err)
	}
	seen := map[*openapi3.Schema]bool{}
	var walk func(where string, s *openapi3.SchemaRef)
	walk = func(where string, s *openapi3.SchemaRef) {
		if s == nil || s.Value == nil || seen[s.Value] {
			return
		}
		v := s.Value
		seen[v] = true
		if len(v.Properties) > 0 && (v.AdditionalProperties.Has == nil || *v.AdditionalProperties.Has) {
			t.Errorf("%s: object schema without additionalProperties: false", where)
		}
		for name, p := range v.Properties {
			walk(where+"."+name, p)
		}
		walk(where+"[]", v.Items)
		walk(where+"{}", v.AdditionalProperties.Schema)
		for i, o := range v.OneOf {
			walk(fmt.Sprintf("%s|%d", where, i), o)
		}
	}
	for name, s := range doc.Components.Schemas {
		walk(name, s)
	}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			where := method + " " + path
			if op.Responses.Status(http.StatusInternalServerError) == nil {
				t.Errorf("%s: no 500 response", where)
			}
			for code, r := range op.Responses.Map() {
				if r.Value.Headers["X-Request-ID"] == nil {
					t.Errorf("%s %s: no X-Request-ID header", where, code)
				}
				if mt := r.Value.Content.Get("application/json"); mt != nil {
					walk(where+" "+code, mt.Schema)
				}
			}
			if op.RequestBody != nil {
				for ct, mt := range op.RequestBody.Value.Content {
					walk(where+" request "+ct, mt.Schema)
				}
			}
		}
	}
}

const reviewJSON = `{
	"id": "r1",
	"product_id": "p1",
	"author": {"id": "u1", "display_name": "Ada"},
	"rating": 5,
	"title": "",
	"body": "Crisp and sweet.",
	"status": "published",
	"helpful_count": 3,
	"created_at": "2024-05-10T08:00:00Z",
	"updated_at": "2024-05-10T08:00:00.123Z",
	"reply": null,
	"harvest": "2024-04",
	"verified_purchase": true,
	"aspects": {"freshness": 4},
	"edited": false,
	"photos": [{"id": "ph1", "url": "/media/ph1/large", "thumbnail_url": "/media/ph1/thumb", "width": 1600, "height": 1200}]
}`

const replyJSON = `{"body": "Thank you!", "author": {"id": "u2", "display_name": "Hill Farm"},
	"created_at": "2024-05-11T08:00:00Z", "updated_at": "2024-05-11T08:00:00Z"}`

const userJSON = `{"id": "u1", "email": "ada@example.com", "display_name": "Ada", "role": "member", "created_at": "2024-05-10T08:00:00Z"}`

const productJSON = `{
	"id": "p1", "farm_id": "f1", "farm_name": "Hill Farm", "name": "Apples", "slug": "apples",
	"category": "fruit", "description": "", "unit": "kg", "created_at": "2024-05-10T08:00:00Z",
	"rating": {"average": null, "count": 0, "histogram": {"1": 0, "2": 0, "3": 0, "4": 0, "5": 0}, "aspects": {}},
	"photo": null,
	"archived_at": null
}`

func review(old, new string) string {
	return `{"review": ` + strings.Replace(reviewJSON, old, new, 1) + `}`
}

func errorJSON(code, requestID string) string {
	return `{"error": {"code": "` + code + `", "message": "Something is wrong.", "fields": {"rating": "Give 1 to 5 stars."}}, "request_id": "` + requestID + `"}`
}

// A contractCase is one request and the canned response to it.
type contractCase struct {
	name         string
	method, path string
	reqBody      string
	status       int
	header       http.Header // X-Request-ID req-1 and JSON content type unless set
	body         string
	ok           bool // whether the response satisfies the contract
	directOnly   bool // a response net/http's server cannot send
}

var contractCases = []contractCase{
	{name: "Review", method: "GET", path: "/reviews/r1", status: 200, body: review("", ""), ok: true},
	{name: "ReviewWithReply", method: "GET", path: "/reviews/r1", status: 200, body: review(`"reply": null`, `"reply": `+replyJSON), ok: true},
	{name: "Me", method: "GET", path: "/me", status: 200, body: `{"user": ` + userJSON + `}`, ok: true},
	{name: "UserWithoutEmail", method: "PATCH", path: "/admin/users/u1", reqBody: `{"role": "producer"}`, status: 200,
		body: `{"user": {"id": "u1", "display_name": "Ada", "role": "producer", "created_at": "2024-05-10T08:00:00Z"}}`, ok: true},
	{name: "Login", method: "POST", path: "/auth/login", reqBody: `{"email": "ada@example.com", "password": "correct horse"}`, status: 200,
		body: `{"token": "t0k3n", "expires_at": "2024-06-10T08:00:00Z", "user": ` + userJSON + `}`, ok: true},
	{name: "ProductWithoutReviews", method: "GET", path: "/products/p1", status: 200, body: `{"product": ` + productJSON + `}`, ok: true},
	{name: "ReviewList", method: "GET", path: "/products/p1/reviews?sort=helpful&rating=5&limit=10", status: 200,
		body: `{"items": [` + reviewJSON + `], "next_cursor": null}`, ok: true},
	{name: "CreateReview", method: "POST", path: "/products/p1/reviews", reqBody: `{"rating": 5, "title": "", "body": "Crisp and sweet."}`,
		status: 201, body: review("", ""), ok: true},
	{name: "NoContent", method: "DELETE", path: "/reviews/r1", status: 204, header: http.Header{"X-Request-Id": {"req-1"}}, ok: true},
	{name: "CharsetInContentType", method: "GET", path: "/me", status: 200,
		header: http.Header{"X-Request-Id": {"req-1"}, "Content-Type": {"application/json; charset=utf-8"}},
		body:   `{"user": ` + userJSON + `}`, ok: true},
	{name: "NotFound", method: "GET", path: "/reviews/nope", status: 404, body: errorJSON("not_found", "req-1"), ok: true},
	{name: "NotFoundOutsideDocument", method: "GET", path: "/nowhere", status: 404, body: errorJSON("not_found", "req-1"), ok: true},
	{name: "RefusedBadInput", method: "POST", path: "/products/p1/reviews", reqBody: `{"rating": 6, "body": ""}`,
		status: 422, body: errorJSON("validation_failed", "req-1"), ok: true},
	{name: "RateLimited", method: "POST", path: "/auth/login", reqBody: `{"email": "a@example.com", "password": "x"}`, status: 429,
		header: http.Header{"X-Request-Id": {"req-1"}, "Content-Type": {"application/json"}, "Retry-After": {"30"}},
		body:   errorJSON("rate_limited", "req-1"), ok: true},

	{name: "MFARequired", method: "POST", path: "/auth/login", reqBody: `{"email": "a@example.com", "password": "x"}`, status: 401,
		body: errorJSON("mfa_required", "req-1"), ok: true},
	{name: "ErrMFARequiredOn403", method: "GET", path: "/me", status: 403, body: errorJSON("mfa_required", "req-1")},

	{name: "ErrMisspelledField", method: "GET", path: "/reviews/r1", status: 200, body: review(`"display_name"`, `"dispaly_name"`)},
	{name: "ErrMissingField", method: "GET", path: "/reviews/r1", status: 200, body: review(`"helpful_count": 3,`, ``)},
	{name: "ErrExtraField", method: "GET", path: "/reviews/r1", status: 200, body: review(`"reply": null`, `"reply": null, "viewer_voted": true`)},
	{name: "ErrWrongType", method: "GET", path: "/reviews/r1", status: 200, body: review(`"rating": 5`, `"rating": "5"`)},
	{name: "ErrRatingRange", method: "GET", path: "/reviews/r1", status: 200, body: review(`"rating": 5`, `"rating": 6`)},
	{name: "ErrUnknownStatus", method: "GET", path: "/me", status: 418, body: errorJSON("bad_request", "req-1")},
	{name: "ErrUndocumentedStatus", method: "GET", path: "/reviews/r1", status: 201, body: review("", "")},
	{name: "ErrUnknownErrorCode", method: "GET", path: "/reviews/r1", status: 404, body: errorJSON("missing", "req-1")},
	{name: "ErrCodeForOtherStatus", method: "GET", path: "/reviews/r1", status: 404, body: errorJSON("forbidden", "req-1")},
	{name: "ErrRequestIDMismatch", method: "GET", path: "/reviews/r1", status: 404, body: errorJSON("not_found", "req-2")},
	{name: "ErrNoRequestIDHeader", method: "GET", path: "/reviews/r1", status: 200,
		header: http.Header{"Content-Type": {"application/json"}}, body: review("", "")},
	{name: "ErrNoRetryAfter", method: "POST", path: "/auth/login", reqBody: `{"email": "a@example.com", "password": "x"}`, status: 429,
		body: errorJSON("rate_limited", "req-1")},
	{name: "ErrBadTimestamp", method: "GET", path: "/reviews/r1", status: 200, body: review(`"created_at": "2024-05-10T08:00:00Z"`, `"created_at": "yesterday"`)},
	{name: "ErrTimestampNotUTC", method: "GET", path: "/reviews/r1", status: 200, body: review(`"created_at": "2024-05-10T08:00:00Z"`, `"created_at": "2024-05-10T10:00:00+02:00"`)},
	{name: "ErrNotJSON", method: "GET", path: "/reviews/r1", status: 200,
		header: http.Header{"X-Request-Id": {"req-1"}, "Content-Type": {"text/html"}}, body: "<p>hello</p>"},
	{name: "ErrUndocumentedPath", method: "GET", path: "/undocumented", status: 200, body: `{"items": [], "next_cursor": null}`},
	{name: "ErrUndocumentedMethod", method: "DELETE", path: "/me", status: 204, header: http.Header{"X-Request-Id": {"req-1"}}},
	{name: "ErrAcceptedBadInput", method: "POST", path: "/products/p1/reviews", reqBody: `{"rating": 6, "body": "x"}`,
		status: 201, body: review("", "")},
	{name: "ErrAcceptedUnknownQuery", method: "GET", path: "/products?sort=cheapest", status: 200,
		body: `{"items": [], "next_cursor": null}`},
	{name: "ErrBodyOnNoContent", method: "DELETE", path: "/reviews/r1", status: 204, body: `{}`, directOnly: true},
}

func (c contractCase) responseHeader() http.Header {
	if c.header != nil {
		return c.header
	}
	return http.Header{"X-Request-Id": {"req-1"}, "Content-Type": {"application/json"}}
}

func TestValidate(t *testing.T) {
	for _, c := range contractCases {
		t.Run(c.name, func(t *testing.T) {
			req, err := http.NewRequest(c.method, "http://fpr.test"+BasePath+c.path, bodyReader(c.reqBody))
			if err != nil {
				t.Fatal(err)
			}
			err = Validate(req, c.status, c.responseHeader(), []byte(c.body))
			if c.ok && err != nil {
				t.Errorf("Validate() = %v, want nil", err)
			}
			if !c.ok && err == nil {
				t.Errorf("Validate() = nil, want an error")
			}
			if err != nil {
				t.Logf("Validate() = %v", err)
			}
		})
	}
}

// TestValidateServerRequest checks a response recorded on the server side,
// where the handler has read the request body and there is no GetBody.
func TestValidateServerRequest(t *testing.T) {
	req := httptest.NewRequest("POST", BasePath+"/products/p1/reviews", strings.NewReader(`{"rating": 5, "body": "Crisp."}`))
	if _, err := io.ReadAll(req.Body); err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	rec.Header().Set("Content-Type", "application/json")
	rec.Header().Set("X-Request-ID", "req-1")
	rec.WriteHeader(http.StatusCreated)
	_, _ = io.WriteString(rec, review("", ""))
	if err := Validate(req, rec.Code, rec.Header(), rec.Body.Bytes()); err != nil {
		t.Errorf("Validate() = %v, want nil", err)
	}
}

// recorder is a testing.TB that keeps what Transport reports instead of
// failing the test.
type recorder struct {
	testing.TB
	errs []string
}

func (r *recorder) Errorf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

// TestTransport serves each case's canned response from a real server and
// checks that the validating RoundTripper reports exactly the bad ones,
// whatever the test does with the response, and hands the body on intact.
func TestTransport(t *testing.T) {
	byName := map[string]contractCase{}
	for _, c := range contractCases {
		byName[c.name] = c
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := byName[r.Header.Get("X-Case")]
		if got, err := io.ReadAll(r.Body); err != nil || string(got) != c.reqBody {
			t.Errorf("%s: server got request body %q (%v), want %q", c.name, got, err, c.reqBody)
		}
		for k, v := range c.responseHeader() {
			w.Header()[k] = v
		}
		w.WriteHeader(c.status)
		_, _ = io.WriteString(w, c.body)
	}))
	defer srv.Close()

	for _, c := range contractCases {
		if c.directOnly {
			continue
		}
		t.Run(c.name, func(t *testing.T) {
			rec := &recorder{TB: t}
			client := &http.Client{Transport: Transport(rec, srv.Client().Transport)}
			// A body without GetBody, as a streaming client would send.
			var body io.Reader
			if c.reqBody != "" {
				body = io.MultiReader(strings.NewReader(c.reqBody))
			}
			req, err := http.NewRequestWithContext(t.Context(), c.method, srv.URL+BasePath+c.path, body)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("X-Case", c.name)
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			got, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != c.body {
				t.Errorf("body = %q, want %q", got, c.body)
			}
			if c.ok && len(rec.errs) != 0 {
				t.Errorf("Transport reported %q, want nothing", rec.errs)
			}
			if !c.ok && len(rec.errs) != 1 {
				t.Errorf("Transport reported %q, want one error", rec.errs)
			}
			for _, e := range rec.errs {
				if !strings.Contains(e, c.method+" "+BasePath) {
					t.Errorf("report %q does not name the method and path", e)
				}
			}
		})
	}
}

// TestTransportSkipsPages checks that responses outside the API pass unchecked.
func TestTransportSkipsPages(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = io.WriteString(w, "<h1>FPR</h1>")
	}))
	defer srv.Close()
	rec := &recorder{TB: t}
	client := &http.Client{Transport: Transport(rec, srv.Client().Transport)}
	resp, err := client.Get(srv.URL + "/products")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if len(rec.errs) != 0 {
		t.Errorf("Transport reported %q for a page, want nothing", rec.errs)
	}
}

func TestNewClient(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
	}))
	defer srv.Close()
	resp, err := NewClient(t).Get(srv.URL + "/account")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Errorf("status = %d, want %d (redirects not followed)", resp.StatusCode, http.StatusSeeOther)
	}
}

func bodyReader(s string) io.Reader {
	if s == "" {
		return nil
	}
	return bytes.NewReader([]byte(s))
}
