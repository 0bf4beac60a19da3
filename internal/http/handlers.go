package http

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/fpr-team/fpr"
)

// Helpers every handler uses, pages and API alike: the acting user, list
// paging (limit and cursor in, next_cursor out), times in responses, and
// safe return paths.

// requireUser returns the acting user, or unauthenticated for an anonymous
// request. Handlers that need a user call it first; what the user may do
// is still the service's decision.
func requireUser(ctx context.Context) (*fpr.User, error) {
	if u := fpr.UserFromContext(ctx); u != nil {
		return u, nil
	}
	return nil, errNotLoggedIn
}

var errNotLoggedIn = fpr.Errorf(fpr.CodeUnauthenticated, "Please log in to do this.")

// requireProducer returns the acting user when they are a producer or an
// admin.
func requireProducer(r *http.Request) (*fpr.User, error) {
	u, err := requireUser(r.Context())
	if err != nil {
		return nil, err
	}
	if u.Role != fpr.RoleProducer && !u.IsAdmin() {
		return nil, errNotProducer
	}
	return u, nil
}

var errNotProducer = fpr.Errorf(fpr.CodeForbidden, "Only producers and admins can manage farms.")

// pageFromQuery reads ?limit= and ?cursor=. A limit that is not a number
// is validation_failed, as one out of range is (fpr.Page.Normalize).
func pageFromQuery(r *http.Request) (fpr.Page, error) {
	q := r.URL.Query()
	p := fpr.Page{Cursor: q.Get("cursor")}
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 { // 0 would mean "default" to Normalize
			return p, &fpr.Error{Code: fpr.CodeValidationFailed, Message: "The limit must be a whole number between 1 and 100.",
				Fields: map[string]string{"limit": "Must be between 1 and 100."}}
		}
		p.Limit = n
	}
	return p, p.Normalize()
}

// nextCursor is the JSON of a next page cursor: null on the last page.
func nextCursor(c string) *string {
	if c == "" {
		return nil
	}
	return &c
}

// apiTime formats a time for JSON: RFC 3339 in UTC.
func apiTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// comeBackTo is where to return after logging in: the page itself for a
// GET, the page the form was on for a POST.
func comeBackTo(r *http.Request) string {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return r.URL.RequestURI()
	}
	if ref, err := url.Parse(r.Referer()); err == nil && ref.Host == r.Host {
		return safeNext(ref.RequestURI())
	}
	return "/"
}

// safeNext returns next when it is a path on this site, else "/": a
// "next" parameter must not send people to another site after log-in.
func safeNext(next string) string {
	if next == "" || next[0] != '/' || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") || strings.ContainsAny(next, "\r\n") {
		return "/"
	}
	return next
}
