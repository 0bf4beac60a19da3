// Package apitest checks HTTP traffic of the JSON API against its contract,
// the hand-written OpenAPI document web.OpenAPI.
//
// Tests that talk to the API through NewClient or Transport have every
// response under /api/v1/ validated, with no code in the test itself: status
// (it must be documented for the operation), headers (X-Request-ID,
// Retry-After on 429), content type and body. A response from a path or
// method the document does not describe is an error too: an undocumented
// endpoint. Beyond the schemas, error responses must carry the envelope code
// that the SPEC gives their status, and a request_id equal to X-Request-ID.
//
// Requests are validated too, but a request that breaks the contract is not
// an error by itself: tests send bad input on purpose to check that the
// server refuses it. It is an error only when the server accepts it anyway
// (answers below 400), since then the server and the contract disagree about
// what is valid input and one of them is wrong.
package apitest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"mime"
	"net/http"
	"net/http/cookiejar"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/fpr-team/fpr/web"
)

// BasePath is the path prefix of the JSON API; the document's paths are
// relative to it.
const BasePath = "/api/v1"

// errorCodes is the SPEC's table of error envelope codes by status.
var errorCodes = map[int]string{
	http.StatusBadRequest:            "bad_request",
	http.StatusMethodNotAllowed:      "bad_request",
	http.StatusUnauthorized:          "unauthenticated",
	http.StatusForbidden:             "forbidden",
	http.StatusNotFound:              "not_found",
	http.StatusConflict:              "conflict",
	http.StatusRequestEntityTooLarge: "payload_too_large",
	http.StatusUnprocessableEntity:   "validation_failed",
	http.StatusTooManyRequests:       "rate_limited",
	http.StatusInternalServerError:   "internal",
	http.StatusServiceUnavailable:    "unavailable",
}

// mfaRequired is 401's second code: the password was right, the
// two-factor code is missing or wrong (SPEC section 7).
const mfaRequired = "mfa_required"

// contract is the loaded document and a router over its operations.
type contract struct {
	doc    *openapi3.T
	router routers.Router
}

// load parses and validates web.OpenAPI once per test binary.
var load = sync.OnceValues(func() (*contract, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(web.OpenAPI)
	if err != nil {
		return nil, fmt.Errorf("load web/openapi.json: %w", err)
	}
	if err := doc.Validate(loader.Context); err != nil {
		return nil, fmt.Errorf("validate web/openapi.json: %w", err)
	}
	// The router matches paths relative to BasePath, which Validate strips
	// itself: kin-openapi matches a relative server URL such as /api/v1
	// against the whole request URL, scheme and host included, and so never
	// finds it. The routes still point at the full document.
	rdoc := *doc
	rdoc.Servers = nil
	router, err := legacy.NewRouter(&rdoc)
	if err != nil {
		return nil, fmt.Errorf("route web/openapi.json: %w", err)
	}
	return &contract{doc: doc, router: router}, nil
})

// Document returns the API's OpenAPI document, parsed and validated.
func Document() (*openapi3.T, error) {
	c, err := load()
	if err != nil {
		return nil, err
	}
	return c.doc, nil
}

// Validate checks one response of the JSON API against the contract: that
// the request's method and path are a documented operation, that status is
// documented for it, and that header and body match the response described
// there. req.URL.Path must start with BasePath.
//
// The request is validated as the package comment says: an invalid request
// is an error only when status is below 400. Its body is read through
// req.GetBody, which http.NewRequest sets for in-memory bodies; a request
// with a Body but no GetBody (such as one a handler has read) has its body
// left unchecked.
func Validate(req *http.Request, status int, header http.Header, body []byte) error {
	c, err := load()
	if err != nil {
		return err
	}
	rel, ok := strings.CutPrefix(req.URL.Path, BasePath)
	if !ok || !strings.HasPrefix(rel, "/") {
		return fmt.Errorf("%s is not under %s/", req.URL.Path, BasePath)
	}
	if header == nil {
		header = http.Header{}
	}

	// A copy of the request with the path the document uses and a fresh
	// body, so that validation reads nothing the caller still needs.
	rreq := req.Clone(context.Background())
	rreq.URL.Path = rel
	rreq.URL.RawPath = ""
	rreq.Body = http.NoBody
	// A body the caller has already read, as on the server side of a
	// request, cannot be checked.
	skipBody := req.GetBody == nil && req.Body != nil && req.Body != http.NoBody
	if req.GetBody != nil {
		if rreq.Body, err = req.GetBody(); err != nil {
			return fmt.Errorf("read request body: %w", err)
		}
		// Clients often leave out the content type, and the server reads
		// JSON regardless; the body is what the contract cares about.
		if rreq.Header.Get("Content-Type") == "" {
			rreq.Header.Set("Content-Type", "application/json")
		}
	}

	route, params, err := c.router.FindRoute(rreq)
	if err != nil {
		// A test may ask for a path that exists nowhere to see the 404
		// envelope; any other answer there is an undocumented endpoint.
		if status == http.StatusNotFound && c.validateError(status, header, body) == nil {
			return nil
		}
		var routeErr *routers.RouteError
		if errors.As(err, &routeErr) && routeErr.Reason == routers.ErrMethodNotAllowed.Error() {
			// The document's rule for every path: a method it does not
			// take is 405 with Allow and the bad_request envelope.
			if status == http.StatusMethodNotAllowed {
				if header.Get("Allow") == "" {
					return fmt.Errorf("405 for %s %s without an Allow header", req.Method, rel)
				}
				return c.validateError(status, header, body)
			}
			return fmt.Errorf("undocumented endpoint: the document has %s but not the method %s", rel, req.Method)
		}
		return fmt.Errorf("undocumented endpoint: the document has no path matching %s", rel)
	}

	input := &openapi3filter.RequestValidationInput{
		Request:    rreq,
		PathParams: params,
		Route:      route,
		Options: &openapi3filter.Options{
			AuthenticationFunc:  openapi3filter.NoopAuthenticationFunc,
			SkipSettingDefaults: true,
			ExcludeRequestBody:  skipBody,
		},
	}
	if status < 400 {
		if err := openapi3filter.ValidateRequest(context.Background(), input); err != nil {
			return fmt.Errorf("server accepted a request the contract rejects (status %d): %w", status, err)
		}
	}

	rin := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: input,
		Status:                 status,
		Header:                 header,
		Options: &openapi3filter.Options{
			IncludeResponseStatus: true,
			MultiError:            true,
		},
	}
	rin.SetBodyBytes(body)
	if err := openapi3filter.ValidateResponse(context.Background(), rin); err != nil {
		if route.Operation.Responses.Status(status) == nil {
			return fmt.Errorf("status %d is not documented for %s %s (documented: %s)",
				status, req.Method, route.Path, strings.Join(slices.Sorted(maps.Keys(route.Operation.Responses.Map())), ", "))
		}
		return err
	}

	if req.Method != http.MethodHead && len(body) > 0 {
		resp := route.Operation.Responses.Status(status)
		if resp != nil && resp.Value != nil && len(resp.Value.Content) == 0 {
			return fmt.Errorf("status %d has no body in the document, but %d bytes came", status, len(body))
		}
	}
	if status >= 400 && req.Method != http.MethodHead {
		return envelopeRules(status, header, body)
	}
	return nil
}

// validateError checks a response against the Error schema and the envelope
// rules alone, for answers outside any documented operation.
func (c *contract) validateError(status int, header http.Header, body []byte) error {
	schema := c.doc.Components.Schemas["Error"]
	if schema == nil || schema.Value == nil {
		return errors.New("the document has no Error schema")
	}
	if ct, _, _ := mime.ParseMediaType(header.Get("Content-Type")); ct != "application/json" {
		return fmt.Errorf("content type %q, want application/json", header.Get("Content-Type"))
	}
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return fmt.Errorf("error body is not JSON: %w", err)
	}
	if err := schema.Value.VisitJSON(v, openapi3.EnableJSONSchema2020()); err != nil {
		return fmt.Errorf("error body doesn't match schema Error: %w", err)
	}
	return envelopeRules(status, header, body)
}

// envelopeRules checks what the SPEC says of error envelopes beyond their
// schema: the code belongs to the status, and request_id is X-Request-ID.
func envelopeRules(status int, header http.Header, body []byte) error {
	var env struct {
		Error struct {
			Code string `json:"code"`
		} `json:"error"`
		RequestID string `json:"request_id"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		return fmt.Errorf("error body is not an envelope: %w", err)
	}
	if want, ok := errorCodes[status]; !ok {
		return fmt.Errorf("status %d has no error code in the SPEC", status)
	} else if env.Error.Code != want && (status != http.StatusUnauthorized || env.Error.Code != mfaRequired) {
		return fmt.Errorf("status %d with error code %q, want %q", status, env.Error.Code, want)
	}
	if id := header.Get("X-Request-ID"); env.RequestID != id {
		return fmt.Errorf("request_id %q differs from the X-Request-ID header %q", env.RequestID, id)
	}
	return nil
}

// Transport returns a RoundTripper that sends requests through next (or
// http.DefaultTransport when next is nil) and validates every response to a
// path under BasePath with Validate, reporting failures with t.Errorf. The
// test goes on either way, and the response reaches the caller unchanged.
// Other paths, such as web pages, pass through unchecked.
func Transport(t testing.TB, next http.RoundTripper) http.RoundTripper {
	if next == nil {
		next = http.DefaultTransport
	}
	return &transport{t: t, next: next}
}

type transport struct {
	t    testing.TB
	next http.RoundTripper
}

func (tr *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if !strings.HasPrefix(req.URL.Path, BasePath+"/") {
		return tr.next.RoundTrip(req)
	}
	// Keep the request body for validation after the round trip. A
	// RoundTripper must not change the caller's request, so send a clone.
	if req.Body != nil && req.Body != http.NoBody && req.GetBody == nil {
		data, err := io.ReadAll(req.Body)
		closeErr := req.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("apitest: read request body: %w", err)
		}
		if closeErr != nil {
			return nil, fmt.Errorf("apitest: close request body: %w", closeErr)
		}
		req = req.Clone(req.Context())
		req.Body = io.NopCloser(bytes.NewReader(data))
		req.GetBody = func() (io.ReadCloser, error) {
			return io.NopCloser(bytes.NewReader(data)), nil
		}
	}

	resp, err := tr.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(resp.Body)
	closeErr := resp.Body.Close()
	if err != nil {
		return nil, fmt.Errorf("apitest: read response body: %w", err)
	}
	if closeErr != nil {
		return nil, fmt.Errorf("apitest: close response body: %w", closeErr)
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))

	if err := Validate(req, resp.StatusCode, resp.Header, body); err != nil {
		tr.t.Errorf("API contract: %s %s -> %d: %v", req.Method, req.URL.RequestURI(), resp.StatusCode, err)
	}
	return resp, nil
}

// NewClient returns an HTTP client for tests of the API and the site: it
// keeps cookies, does not follow redirects (the test sees the 303), and
// validates every API response through Transport. Its idle connections are
// closed when the test ends.
func NewClient(t testing.TB) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatalf("apitest: cookie jar: %v", err)
	}
	base := http.DefaultTransport.(*http.Transport).Clone()
	t.Cleanup(base.CloseIdleConnections)
	return &http.Client{
		Jar:       jar,
		Transport: Transport(t, base),
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}
