package http

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/fpr-team/fpr"
)

// The administration page of users, for admins: search by name or e-mail,
// filter by role, change a role. The UserService checks the permission.

type adminUsersPage struct {
	basePage
	Query   string
	Role    string
	Users   []*fpr.User
	NextURL string
	// RoleForm is the failed role change, shown on its user's row.
	RoleForm roleForm
}

type roleForm struct {
	UserID string
	Role   string
	formState
}

// RoleOptions are the roles of the filter, with "any role".
func (p adminUsersPage) RoleOptions() []option {
	out := []option{{Value: "", Label: "Any role", Selected: p.Role == ""}}
	for _, r := range fpr.Roles {
		out = append(out, option{Value: string(r), Label: string(r), Selected: string(r) == p.Role})
	}
	return out
}

// ListURL is the current list, where a role change returns.
func (p adminUsersPage) ListURL() string {
	v := url.Values{}
	if p.Query != "" {
		v.Set("q", p.Query)
	}
	if p.Role != "" {
		v.Set("role", p.Role)
	}
	if len(v) == 0 {
		return "/admin/users"
	}
	return "/admin/users?" + v.Encode()
}

// roleOptions are the roles with current selected.
func roleOptions(current fpr.Role) []option {
	out := make([]option, 0, len(fpr.Roles))
	for _, r := range fpr.Roles {
		out = append(out, option{Value: string(r), Label: string(r), Selected: r == current})
	}
	return out
}

// handleAdminUserList handles GET /admin/users?q=&role=&cursor=.
func (s *Server) handleAdminUserList(w http.ResponseWriter, r *http.Request) error {
	p, err := s.adminUsersPage(w, r, r.URL.Query())
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "admin_users", p)
}

func (s *Server) adminUsersPage(w http.ResponseWriter, r *http.Request, q url.Values) (*adminUsersPage, error) {
	if _, err := requireUser(r.Context()); err != nil {
		return nil, err
	}
	p := &adminUsersPage{Query: strings.TrimSpace(q.Get("q")), Role: q.Get("role")}
	f := fpr.UserFilter{Page: fpr.Page{Cursor: q.Get("cursor")}}
	if p.Query != "" {
		f.Query = &p.Query
	}
	if p.Role != "" {
		role := fpr.Role(p.Role)
		f.Role = &role
	}
	users, next, err := s.Users.FindUsers(r.Context(), f)
	if err != nil {
		return nil, err
	}
	p.Users = users
	if next != "" {
		v := url.Values{"cursor": {next}}
		if p.Query != "" {
			v.Set("q", p.Query)
		}
		if p.Role != "" {
			v.Set("role", p.Role)
		}
		p.NextURL = "/admin/users?" + v.Encode()
	}
	p.basePage = s.base(w, r, "Users")
	return p, nil
}

// handleAdminUserRoleUpdate handles POST /admin/users/{id}/role.
func (s *Server) handleAdminUserRoleUpdate(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r.Context()); err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	id := r.PathValue("id")
	f := roleForm{UserID: id, Role: r.PostForm.Get("role")}
	next := fpr.SafeNext(r.PostForm.Get("next"))
	if _, err := s.Users.SetUserRole(r.Context(), id, fpr.Role(f.Role)); err != nil {
		return formFailed(s, w, r, err, "admin_users", func() (*adminUsersPage, error) {
			var q url.Values // the list the form was on
			if u, perr := url.Parse(next); perr == nil {
				q = u.Query()
			}
			return s.adminUsersPage(w, r, q)
		}, func(p *adminUsersPage, st formState) {
			f.formState = st
			p.RoleForm = f
		})
	}
	return s.redirect(w, r, next, "role-changed")
}
