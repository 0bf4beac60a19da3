package http_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"github.com/fpr-team/fpr"
	"github.com/fpr-team/fpr/internal/fprtest"
)

func TestAdminUsersPage(t *testing.T) {
	t.Parallel()
	env := fprtest.New(t)
	admin := env.MustUser(t, fpr.RoleAdmin)
	member := env.MustUser(t, fpr.RoleMember)

	t.Run("Access", func(t *testing.T) {
		anon := newBrowser(t, env)
		if p := anon.get("/admin/users"); p.StatusCode != http.StatusSeeOther || p.header("Location") != "/login?next=%2Fadmin%2Fusers" {
			t.Errorf("anonymous GET /admin/users = %d to %q, want 303 to the login page", p.StatusCode, p.header("Location"))
		}
		m := newBrowser(t, env)
		m.login(member)
		for _, path := range []string{"/admin/users", "/admin"} {
			p := m.get(path)
			if p.StatusCode != http.StatusForbidden || p.text("#error-heading") != "Not allowed" {
				t.Errorf("member GET %s = %d %q, want the 403 page", path, p.StatusCode, p.text("#error-heading"))
			}
		}
		if n := m.get("/account").find("nav[aria-label=Main] a[href='/admin']").Length(); n != 0 {
			t.Errorf("a member's navigation links to /admin")
		}
	})

	b := newBrowser(t, env)
	b.login(admin)

	t.Run("Search", func(t *testing.T) {
		p := b.get("/admin/users?q=" + url.QueryEscape(member.User.Email))
		if p.StatusCode != http.StatusOK {
			t.Fatalf("GET /admin/users = %d, want 200", p.StatusCode)
		}
		if n := p.find("#user-table tbody tr").Length(); n != 1 {
			t.Errorf("search for %s found %d rows, want 1", member.User.Email, n)
		}
		if got := p.attr("#role-"+member.User.ID+" option[selected]", "value"); got != "member" {
			t.Errorf("selected role = %q, want member", got)
		}
		if got := p.attr("#role-"+member.User.ID, "data-current"); got != "member" {
			t.Errorf("data-current = %q, want member", got)
		}
	})

	t.Run("ChangeRole", func(t *testing.T) {
		next := "/admin/users?q=" + url.QueryEscape(member.User.Email)
		p := b.post("/admin/users/"+member.User.ID+"/role", url.Values{"role": {"boss"}, "next": {next}})
		if p.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("unknown role = %d, want 422", p.StatusCode)
		}
		id := "role-" + member.User.ID
		checkFieldError(t, p, id, "Use member, producer, moderator or admin.")

		p = b.follow(b.post("/admin/users/"+member.User.ID+"/role", url.Values{"role": {"moderator"}, "next": {next}}))
		if got := p.text("#flash"); got != "The role is changed." {
			t.Errorf("flash = %q", got)
		}
		if got := p.attr("#"+id, "data-current"); got != "moderator" {
			t.Errorf("role after the change = %q, want moderator", got)
		}
		u, err := env.DB.FindUserByID(context.Background(), member.User.ID)
		if err != nil || u.Role != fpr.RoleModerator {
			t.Errorf("stored role = %v, %v; want moderator", u, err)
		}
	})
}
