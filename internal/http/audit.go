package http

import (
	"net/http"

	"github.com/fpr-team/fpr"
)

// The audit log page, for admins: entries newest first, filtered by actor,
// target and action. The AuditService decides who may read it.

type auditPage struct {
	basePage
	formState
	Actor, Target, Action string
	Entries               []*fpr.AuditEntry
	NextURL               string
}

// handleAuditEntryList handles GET /ops/audit?actor=&target=&action=&cursor=.
// A filter that does not parse shows the form again with its input and the
// error beside the field (422).
func (s *Server) handleAuditEntryList(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	p := &auditPage{Actor: q.Get("actor"), Target: q.Get("target"), Action: q.Get("action")}
	f, err := fpr.ParseAuditQuery(q)
	if err == nil {
		var next string
		if p.Entries, next, err = s.Audit.FindAuditEntries(r.Context(), f); err == nil {
			p.NextURL = nextPageURL("/ops/audit", q, next)
		}
	}
	if err != nil {
		// Only admins learn what a filter should look like.
		if _, _, ferr := s.Audit.FindAuditEntries(r.Context(), fpr.AuditFilter{Page: fpr.Page{Limit: 1}}); ferr != nil {
			return ferr
		}
		return formFailed(s, w, r, err, "audit", func() (*auditPage, error) {
			p.basePage = s.base(w, r, "Audit log")
			return p, nil
		}, func(p *auditPage, st formState) { p.formState = st })
	}
	p.basePage = s.base(w, r, "Audit log")
	return s.render(w, r, http.StatusOK, "audit", p)
}
