package http

import (
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"runtime/debug"

	"github.com/fpr-team/fpr"
)

// Errors shown to people: the page adapter's error handling, the error
// page, and the not-found page. error.go maps errors to statuses and
// writes the API's JSON errors.

// pageError answers a page request that failed with err.
func (s *Server) pageError(w http.ResponseWriter, r *http.Request, err error) {
	switch fpr.ErrorCode(err) {
	case fpr.CodeUnauthenticated:
		if fpr.UserFromContext(r.Context()) == nil {
			http.Redirect(w, r, "/login?next="+url.QueryEscape(comeBackTo(r)), http.StatusSeeOther)
			return
		}
	}
	if reportable(r, err) {
		s.reportError(r, err, debug.Stack())
	}
	setRetryAfter(w, err)
	s.renderErrorPage(w, r, errorStatus(err), err)
}

// errorPage is the data of the error page: not found, forbidden, the
// apology for internal errors, and the others.
type errorPage struct {
	basePage
	Status  int
	Heading string
	Message string
}

// renderErrorPage shows an error to a person: its status, a heading and
// message written for people, and the request ID. Internal errors get an
// apology and never their detail.
func (s *Server) renderErrorPage(w http.ResponseWriter, r *http.Request, status int, err error) {
	p := &errorPage{basePage: s.base(w, r, http.StatusText(status)), Status: status, Message: fpr.ErrorMessage(err)}
	switch {
	case status == http.StatusNotFound:
		p.Heading = "Page not found"
		p.Title = "Page not found"
	case status == http.StatusForbidden:
		p.Heading = "Not allowed"
		p.Title = "Not allowed"
	case status == http.StatusTooManyRequests:
		p.Heading = "Please slow down"
	case status == http.StatusMethodNotAllowed:
		p.Heading = "Not available this way"
	case status >= 500:
		p.Heading = "Sorry, something went wrong"
		p.Title = "Something went wrong"
		p.Message = "Sorry, something went wrong on our side. We have been told and are looking into it."
		if status == http.StatusServiceUnavailable {
			p.Message = "The site is busy or under maintenance. Please try again in a minute."
		}
	default:
		p.Heading = "That did not work"
	}
	if s.web == nil || s.render(w, r, status, "error", p) != nil {
		// The templates themselves failed: a minimal page that still
		// apologises and gives the request ID.
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(status)
		_, _ = fmt.Fprintf(w, "<!doctype html><html lang=en><title>%s</title><main><h1>%s</h1><p>%s</p><p>Request ID: <code>%s</code></p></main></html>",
			template.HTMLEscapeString(p.Heading), template.HTMLEscapeString(p.Heading), template.HTMLEscapeString(p.Message), template.HTMLEscapeString(p.RequestID))
	}
}

// errNoPage is the error of an unknown page.
var errNoPage = fpr.Errorf(fpr.CodeNotFound, "There is no page at this address. It may have moved, or the link may be wrong.")

// handleNotFoundShow answers every path no route matches: 405 with Allow
// when the path takes other methods, else 404.
func (s *Server) handleNotFoundShow(w http.ResponseWriter, r *http.Request) error {
	if s.notAllowed(w, r) {
		return nil
	}
	return errNoPage
}
