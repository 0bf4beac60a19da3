package http

import (
	"net/http"

	"github.com/fpr-team/fpr"
)

// apiSessionJSON is the API's Session (SPEC section 7).
type apiSessionJSON struct {
	ID         string `json:"id"`
	Current    bool   `json:"current"`
	CreatedAt  string `json:"created_at"`
	LastUsedAt string `json:"last_used_at"`
	UserAgent  string `json:"user_agent"`
	Address    string `json:"address"`
}

type apiSessionListJSON struct {
	Items      []apiSessionJSON `json:"items"`
	NextCursor *string          `json:"next_cursor"`
}

// currentSessionID is the ID of the session r was authenticated with, or "".
func currentSessionID(r *http.Request) string {
	if si, ok := sessionFromContext(r.Context()); ok && si.session != nil {
		return si.session.ID
	}
	return ""
}

// handleAPISessionList handles GET /api/v1/me/sessions: the user's web
// sessions and API tokens, most recently used first.
func (s *Server) handleAPISessionList(w http.ResponseWriter, r *http.Request) error {
	sessions, err := s.Auth.FindSessions(r.Context())
	if err != nil {
		return err
	}
	current := currentSessionID(r)
	out := apiSessionListJSON{Items: make([]apiSessionJSON, 0, len(sessions))}
	for _, ss := range sessions {
		out.Items = append(out.Items, apiSessionJSON{ID: ss.ID, Current: ss.ID == current, CreatedAt: apiTime(ss.CreatedAt),
			LastUsedAt: apiTime(ss.LastUsedAt), UserAgent: ss.UserAgent, Address: ss.Address})
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// handleAPISessionDelete handles DELETE /api/v1/me/sessions/{id}: ends one
// of the user's sessions (this one included: then the request's own cookie
// is cleared too).
func (s *Server) handleAPISessionDelete(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	if err := s.Auth.RevokeSession(r.Context(), id); err != nil {
		return err
	}
	if si, ok := sessionFromContext(r.Context()); ok && !si.bearer && si.session != nil && si.session.ID == id {
		s.clearSessionCookie(w)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// sessionView is one line of the account page's list of sessions.
type sessionView struct {
	*fpr.Session
	Current bool
}
