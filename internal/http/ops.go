package http

import (
	"maps"
	"net/http"
	"net/url"
	"strings"

	"github.com/fpr-team/fpr"
)

// The operations pages, for admins: error groups with a request-ID search,
// one group with its stack and events, releases with the errors since each,
// and the alerts sent. From a request ID a user quotes, an admin reaches the
// stack and the release in two clicks: Operations, then Find. The
// OpsService decides who may see them (admins only).

type opsPage struct {
	basePage
	Status    string // "", "open" or "resolved"
	Groups    []*fpr.ErrorGroup
	RequestID string
	NextURL   string
}

// StatusOptions are the group filters.
func (p opsPage) StatusOptions() []option {
	return options(p.Status, "=All", "open=Open", "resolved=Resolved")
}

type opsGroupPage struct {
	basePage
	Group  *fpr.ErrorGroup
	Events []*fpr.ErrorEvent
	// RequestID is the event the visitor searched for, highlighted.
	RequestID string
}

type opsReleasesPage struct {
	basePage
	Releases []*fpr.ReleaseSummary
	NextURL  string
}

type opsAlertsPage struct {
	basePage
	Alerts  []*fpr.Alert
	NextURL string
}

// opsGroupURL is a group's page.
func opsGroupURL(fingerprint string) string { return "/ops/errors/" + url.PathEscape(fingerprint) }

// nextPageURL is path with the cursor of the next page, or "".
func nextPageURL(path string, q url.Values, next string) string {
	if next == "" {
		return ""
	}
	q = maps.Clone(q)
	q.Set("cursor", next)
	return path + "?" + q.Encode()
}

// handleErrorGroupList handles GET /ops?status=&cursor=: the error groups.
func (s *Server) handleErrorGroupList(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := fpr.ErrorGroupFilter{Page: fpr.Page{Cursor: q.Get("cursor")}}
	p := &opsPage{Status: q.Get("status")}
	if p.Status != "" {
		st := fpr.ErrorStatus(p.Status)
		f.Status = &st
	}
	groups, next, err := s.Ops.FindErrorGroups(r.Context(), f)
	if err != nil {
		return err
	}
	p.basePage = s.base(w, r, "Operations")
	p.Groups, p.NextURL = groups, nextPageURL("/ops", q, next)
	return s.render(w, r, http.StatusOK, "ops", p)
}

// handleRequestErrorShow handles GET /ops/requests?id=: the group of a request's
// error, found by its request ID.
func (s *Server) handleRequestErrorShow(w http.ResponseWriter, r *http.Request) error {
	id := strings.TrimSpace(r.URL.Query().Get("id"))
	if id == "" {
		return fpr.Errorf(fpr.CodeNotFound, "Enter the request ID the visitor saw.")
	}
	e, _, err := s.Ops.FindErrorByRequestID(r.Context(), id)
	if err != nil {
		return err
	}
	// A path on this site: the escaped fingerprint and IDs cannot leave it.
	http.Redirect(w, r, opsGroupURL(e.Fingerprint)+"?request="+url.QueryEscape(id)+"#event-"+url.PathEscape(e.ID), http.StatusSeeOther) //nolint:gosec // G710: see above
	return nil
}

// handleErrorGroupShow handles GET /ops/errors/{fingerprint}?request=.
func (s *Server) handleErrorGroupShow(w http.ResponseWriter, r *http.Request) error {
	g, events, err := s.Ops.FindErrorGroup(r.Context(), r.PathValue("fingerprint"), groupEvents)
	if err != nil {
		return err
	}
	p := &opsGroupPage{basePage: s.base(w, r, "Error "+g.Fingerprint), Group: g, Events: events, RequestID: r.URL.Query().Get("request")}
	return s.render(w, r, http.StatusOK, "ops_group", p)
}

// handleErrorGroupResolve handles POST /ops/errors/{fingerprint}/resolve.
func (s *Server) handleErrorGroupResolve(w http.ResponseWriter, r *http.Request) error {
	g, err := s.Ops.ResolveErrorGroup(r.Context(), r.PathValue("fingerprint"))
	if err != nil {
		return err
	}
	return s.redirect(w, r, opsGroupURL(g.Fingerprint), "error-resolved")
}

// handleReleaseList handles GET /ops/releases?cursor=.
func (s *Server) handleReleaseList(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	rels, next, err := s.Ops.FindReleases(r.Context(), fpr.Page{Cursor: q.Get("cursor")})
	if err != nil {
		return err
	}
	p := &opsReleasesPage{basePage: s.base(w, r, "Releases"), Releases: rels, NextURL: nextPageURL("/ops/releases", q, next)}
	return s.render(w, r, http.StatusOK, "ops_releases", p)
}

// handleAlertList handles GET /ops/alerts?cursor=.
func (s *Server) handleAlertList(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	alerts, next, err := s.Ops.FindAlerts(r.Context(), fpr.Page{Cursor: q.Get("cursor")})
	if err != nil {
		return err
	}
	p := &opsAlertsPage{basePage: s.base(w, r, "Alerts"), Alerts: alerts, NextURL: nextPageURL("/ops/alerts", q, next)}
	return s.render(w, r, http.StatusOK, "ops_alerts", p)
}
