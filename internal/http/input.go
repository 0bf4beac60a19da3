package http

import (
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/fpr-team/fpr"
)

// Input every request brings before any handler sees it: its path and
// query string (forms are checked by parseForm, JSON bodies by the fpr
// Validate methods), and the answer to a method the path does not take.

// errBadPath is the answer to a path with bytes no address holds.
var errBadPath = fpr.Errorf(fpr.CodeNotFound, "There is nothing at this address: it holds characters no address has.")

// withCleanInput refuses, before any handler or query runs, a path whose
// decoded form holds invalid UTF-8 or control characters (404: nothing
// has such a name) and a query string whose values do (422 naming the
// parameter, fpr.QueryProblems). Under /api/ an empty value (?limit=) is
// 422 too, and a query string that does not parse is 400: the API says
// exactly what it takes. Pages stay lenient about empty values, which
// search forms send for their unused filters.
func (s *Server) withCleanInput(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if fpr.TextProblem(r.URL.Path, fpr.SingleLine) != "" {
			s.respondError(w, r, errBadPath)
			return
		}
		if r.URL.RawQuery == "" {
			// Nothing to check (an empty query has no problems), and
			// nothing to allocate.
			next.ServeHTTP(w, r)
			return
		}
		api := isAPI(r)
		q, err := url.ParseQuery(r.URL.RawQuery)
		if err != nil && api {
			s.respondError(w, r, fpr.Errorf(fpr.CodeBadRequest, "The query string could not be read: use name=value pairs joined by &, percent-encoded."))
			return
		}
		if err := fpr.QueryProblems(q, api); err != nil {
			s.respondError(w, r, err)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// probeMethods are the methods allowedMethods asks the mux about.
var probeMethods = []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}

// allowedMethods returns the methods that some route other than the
// catch-alls ("/" for pages, "/api/" for the API) takes at r's path, in
// probeMethods order. The catch-alls take every method, so without this
// the mux would answer a wrong method with 404 rather than 405.
func (s *Server) allowedMethods(r *http.Request) []string {
	var allow []string
	for _, m := range probeMethods {
		probe := &http.Request{Method: m, URL: r.URL, Host: r.Host, Header: http.Header{}}
		if _, pattern := s.mux.Handler(probe); pattern != "" && pattern != "/" && pattern != "/api/" {
			allow = append(allow, m)
		}
	}
	return allow
}

// errMethodNotAllowed is a request to a path that exists, with a method it
// does not take. It is a bad_request in the envelope (SPEC section 3 has
// no code of its own for it) answered with status 405 and an Allow header.
func errMethodNotAllowed(method string, allow []string) *fpr.Error {
	return fpr.Errorf(fpr.CodeBadRequest, "This address does not take %s; it takes %s.", method, strings.Join(allow, ", "))
}

// notAllowed answers 405 with Allow when r's path takes other methods, and
// reports whether it did.
func (s *Server) notAllowed(w http.ResponseWriter, r *http.Request) bool {
	allow := s.allowedMethods(r)
	if len(allow) == 0 || slices.Contains(allow, r.Method) {
		return false
	}
	w.Header().Set("Allow", strings.Join(allow, ", "))
	err := errMethodNotAllowed(logMethod(r.Method), allow)
	if isAPI(r) {
		writeJSON(w, http.StatusMethodNotAllowed, apiError{
			Error:     apiErrorBody{Code: err.Code, Message: err.Message},
			RequestID: fpr.RequestIDFromContext(r.Context()),
		})
		return true
	}
	s.renderErrorPage(w, r, http.StatusMethodNotAllowed, err)
	return true
}
