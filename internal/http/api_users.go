package http

import (
	"net/http"

	"github.com/fpr-team/fpr"
)

type apiUserListJSON struct {
	Items      []apiUserJSON `json:"items"`
	NextCursor *string       `json:"next_cursor"`
}

// handleAPIUserList handles GET /api/v1/admin/users?q=: users, newest first,
// with their e-mail. Admins only.
func (s *Server) handleAPIUserList(w http.ResponseWriter, r *http.Request) error {
	viewer, err := requireUser(r.Context())
	if err != nil {
		return err
	}
	page, err := pageFromQuery(r)
	if err != nil {
		return err
	}
	f := fpr.UserFilter{Page: page}
	if q := r.URL.Query().Get("q"); q != "" {
		f.Query = &q
	}
	users, next, err := s.Users.FindUsers(r.Context(), f)
	if err != nil {
		return err
	}
	out := apiUserListJSON{Items: make([]apiUserJSON, 0, len(users)), NextCursor: nextCursor(next)}
	for _, u := range users {
		out.Items = append(out.Items, apiUser(u, viewer))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// handleAPIUserRoleUpdate handles PATCH /api/v1/admin/users/{id} {role}. Admins
// only; an admin cannot change their own role.
func (s *Server) handleAPIUserRoleUpdate(w http.ResponseWriter, r *http.Request) error {
	viewer, err := requireUser(r.Context())
	if err != nil {
		return err
	}
	var in struct {
		Role fpr.Role `json:"role"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	u, err := s.Users.SetUserRole(r.Context(), r.PathValue("id"), in.Role)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, apiUserEnvelope{User: apiUser(u, viewer)})
	return nil
}
