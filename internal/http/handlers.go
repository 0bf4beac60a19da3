package http

import (
	"context"
	"net/http"
	"net/url"
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
	return fpr.RequireUser(ctx)
}

// requireProducer returns the acting user when they are a producer or an
// admin.
func requireProducer(r *http.Request) (*fpr.User, error) {
	u, err := requireUser(r.Context())
	if err != nil {
		return nil, err
	}
	if !fpr.CanCreateFarm(u) {
		return nil, errNotProducer
	}
	return u, nil
}

var errNotProducer = fpr.Errorf(fpr.CodeForbidden, "Only producers and admins can manage farms.")

// pageFromQuery reads ?limit= and ?cursor= (fpr.ParsePage): a limit that
// is not a whole number from 1 to 100 is validation_failed.
func pageFromQuery(r *http.Request) (fpr.Page, error) {
	return fpr.ParsePage(r.URL.Query())
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
		return fpr.SafeNext(ref.RequestURI())
	}
	return "/"
}
