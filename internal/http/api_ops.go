package http

import (
	"net/http"

	"github.com/fpr-team/fpr"
)

// groupEvents is how many recent events a group's page and API show.
const groupEvents = 20

// apiErrorGroupJSON is an error group in lists.
type apiErrorGroupJSON struct {
	Fingerprint  string          `json:"fingerprint"`
	Type         string          `json:"type"`
	Message      string          `json:"message"`
	Route        string          `json:"route"`
	Count        int64           `json:"count"`
	FirstSeen    string          `json:"first_seen"`
	LastSeen     string          `json:"last_seen"`
	FirstRelease string          `json:"first_release"`
	LastRelease  string          `json:"last_release"`
	Status       fpr.ErrorStatus `json:"status"`
	ResolvedAt   *string         `json:"resolved_at"`
	Regressed    bool            `json:"regressed"`
}

func apiErrorGroup(g *fpr.ErrorGroup) apiErrorGroupJSON {
	j := apiErrorGroupJSON{
		Fingerprint: g.Fingerprint, Type: g.Type, Message: g.Message, Route: g.Route, Count: g.Count,
		FirstSeen: apiTime(g.FirstSeen), LastSeen: apiTime(g.LastSeen), FirstRelease: g.FirstRelease,
		LastRelease: g.LastRelease, Status: g.Status, Regressed: g.Regressed,
	}
	if !g.ResolvedAt.IsZero() {
		t := apiTime(g.ResolvedAt)
		j.ResolvedAt = &t
	}
	return j
}

// apiErrorEventJSON is one error event.
type apiErrorEventJSON struct {
	ID          string `json:"id"`
	Fingerprint string `json:"fingerprint"`
	RequestID   string `json:"request_id"`
	Route       string `json:"route"`
	Type        string `json:"type"`
	Message     string `json:"message"`
	Stack       string `json:"stack"`
	Release     string `json:"release"`
	Instance    string `json:"instance"`
	Time        string `json:"time"`
}

func apiErrorEvent(e *fpr.ErrorEvent) apiErrorEventJSON {
	return apiErrorEventJSON{
		ID: e.ID, Fingerprint: e.Fingerprint, RequestID: e.RequestID, Route: e.Route, Type: e.Type,
		Message: e.Message, Stack: e.Stack, Release: e.Release, Instance: e.Instance, Time: apiTime(e.Time),
	}
}

// apiErrorGroupDetailJSON is one group with its latest stack, sample
// request IDs and recent events.
type apiErrorGroupDetailJSON struct {
	apiErrorGroupJSON
	Stack            string              `json:"stack"`
	SampleRequestIDs []string            `json:"sample_request_ids"`
	Events           []apiErrorEventJSON `json:"events"`
}

func apiErrorGroupDetail(g *fpr.ErrorGroup, events []*fpr.ErrorEvent) apiErrorGroupDetailJSON {
	d := apiErrorGroupDetailJSON{apiErrorGroupJSON: apiErrorGroup(g), Stack: g.Stack,
		SampleRequestIDs: []string{}, Events: []apiErrorEventJSON{}}
	for _, e := range events {
		d.Events = append(d.Events, apiErrorEvent(e))
		if len(d.SampleRequestIDs) < 5 {
			d.SampleRequestIDs = append(d.SampleRequestIDs, e.RequestID)
		}
	}
	return d
}

type apiReleaseJSON struct {
	Release     string `json:"release"`
	Commit      string `json:"commit"`
	StartedAt   string `json:"started_at"`
	Starts      int    `json:"starts"`
	NewGroups   int    `json:"new_groups"`
	GroupsSince int    `json:"groups_since"`
	Schema      int    `json:"schema_version"`
	OwnSchema   int    `json:"own_schema_version"`
	Reverted    bool   `json:"reverted"`
}

func apiRelease(r *fpr.ReleaseSummary) apiReleaseJSON {
	return apiReleaseJSON{Release: r.Release, Commit: r.Commit, StartedAt: apiTime(r.StartedAt), Starts: r.Starts,
		NewGroups: r.NewGroups, GroupsSince: r.GroupsSince, Schema: r.Schema, OwnSchema: r.OwnSchema, Reverted: r.Reverted()}
}

// opsList is the shape of every list.
type opsList[T any] struct {
	Items      []T     `json:"items"`
	NextCursor *string `json:"next_cursor"`
}

func newOpsList[T, D any](items []D, next string, conv func(D) T) opsList[T] {
	l := opsList[T]{Items: make([]T, 0, len(items)), NextCursor: nextCursor(next)}
	for _, it := range items {
		l.Items = append(l.Items, conv(it))
	}
	return l
}

// handleAPIErrorGroupList handles GET /api/v1/ops/errors.
func (s *Server) handleAPIErrorGroupList(w http.ResponseWriter, r *http.Request) error {
	p, err := pageFromQuery(r)
	if err != nil {
		return err
	}
	f := fpr.ErrorGroupFilter{Page: p}
	if st := r.URL.Query().Get("status"); st != "" {
		status := fpr.ErrorStatus(st)
		f.Status = &status
	}
	groups, next, err := s.Ops.FindErrorGroups(r.Context(), f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newOpsList(groups, next, apiErrorGroup))
	return nil
}

// handleAPIErrorGroupShow handles GET /api/v1/ops/errors/{fingerprint}.
func (s *Server) handleAPIErrorGroupShow(w http.ResponseWriter, r *http.Request) error {
	g, events, err := s.Ops.FindErrorGroup(r.Context(), r.PathValue("fingerprint"), groupEvents)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, struct {
		Group apiErrorGroupDetailJSON `json:"group"`
	}{apiErrorGroupDetail(g, events)})
	return nil
}

// handleAPIErrorGroupResolve handles POST /api/v1/ops/errors/{fingerprint}/resolve.
func (s *Server) handleAPIErrorGroupResolve(w http.ResponseWriter, r *http.Request) error {
	g, err := s.Ops.ResolveErrorGroup(r.Context(), r.PathValue("fingerprint"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, struct {
		Group apiErrorGroupJSON `json:"group"`
	}{apiErrorGroup(g)})
	return nil
}

// handleAPIReleaseList handles GET /api/v1/ops/releases.
func (s *Server) handleAPIReleaseList(w http.ResponseWriter, r *http.Request) error {
	p, err := pageFromQuery(r)
	if err != nil {
		return err
	}
	rels, next, err := s.Ops.FindReleases(r.Context(), p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newOpsList(rels, next, apiRelease))
	return nil
}

// handleAPIRequestErrorShow handles GET /api/v1/ops/requests/{request_id}.
func (s *Server) handleAPIRequestErrorShow(w http.ResponseWriter, r *http.Request) error {
	e, g, err := s.Ops.FindErrorByRequestID(r.Context(), r.PathValue("request_id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, struct {
		Event apiErrorEventJSON `json:"event"`
		Group apiErrorGroupJSON `json:"group"`
	}{apiErrorEvent(e), apiErrorGroup(g)})
	return nil
}

// handleMetricsShow handles GET /metrics: the Prometheus exposition.
func (s *Server) handleMetricsShow(w http.ResponseWriter, r *http.Request) {
	if s.Metrics == nil {
		http.NotFound(w, r)
		return
	}
	s.Metrics.ServeHTTP(w, r)
}
