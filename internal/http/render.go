package http

import (
	"fmt"
	"html/template"
	"net/http"

	"github.com/fpr-team/fpr"
)

// renderErrorPage shows an error to a person. Until the page templates
// land it is a minimal, escaped page that still apologises and gives the
// request ID; never a bare "Internal Server Error".
func (s *Server) renderErrorPage(w http.ResponseWriter, r *http.Request, status int, err error) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	msg := fpr.ErrorMessage(err)
	if status >= 500 {
		msg = "Sorry, something went wrong on our side. We have been told and are looking into it."
	}
	_, _ = fmt.Fprintf(w, "<!doctype html><html lang=en><title>%d</title><main><h1>%s</h1><p>Request ID: <code>%s</code></p></main></html>",
		status, template.HTMLEscapeString(msg), template.HTMLEscapeString(fpr.RequestIDFromContext(r.Context())))
}
