package http

import (
	"net/http"

	"github.com/fpr-team/fpr"
)

// apiAuditEntryJSON is one audit log entry (SPEC section 7).
type apiAuditEntryJSON struct {
	ID        string            `json:"id"`
	Action    string            `json:"action"`
	Actor     *apiAuthorJSON    `json:"actor"`
	Target    string            `json:"target"`
	Address   string            `json:"address"`
	CreatedAt string            `json:"created_at"`
	Details   map[string]string `json:"details"`
}

func apiAuditEntry(e *fpr.AuditEntry) apiAuditEntryJSON {
	j := apiAuditEntryJSON{ID: e.ID, Action: string(e.Action), Target: e.Target, Address: e.Address,
		CreatedAt: apiTime(e.CreatedAt), Details: e.Details}
	if j.Details == nil {
		j.Details = map[string]string{}
	}
	if e.Actor != nil {
		j.Actor = &apiAuthorJSON{ID: e.Actor.ID, DisplayName: e.Actor.DisplayName}
	}
	return j
}

// handleAPIAuditEntryList handles GET /api/v1/ops/audit?actor=&target=&action=.
func (s *Server) handleAPIAuditEntryList(w http.ResponseWriter, r *http.Request) error {
	f, err := fpr.ParseAuditQuery(r.URL.Query())
	if err != nil {
		return err
	}
	entries, next, err := s.Audit.FindAuditEntries(r.Context(), f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newOpsList(entries, next, apiAuditEntry))
	return nil
}
