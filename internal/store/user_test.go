package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/fpr-team/fpr"
	"github.com/fpr-team/fpr/internal/storetest"
)

func TestUsers_FindAndRoles(t *testing.T) {
	t.Parallel()
	storetest.ForEachBackend(t, func(t *testing.T, backend string) {
		db := storetest.OpenDB(t, backend)
		clk := setClock(db)
		ctx := context.Background()
		var users []*fpr.User
		for i := range 5 {
			clk.Advance(time.Millisecond) // IDs order by millisecond
			u := &fpr.User{Email: fmt.Sprintf("user%d@example.org", i), DisplayName: fmt.Sprintf("Grower %d", i)}
			if i == 4 {
				u.DisplayName = "Percent 100%_done"
			}
			if err := db.CreateUser(ctx, u, "hash"); err != nil {
				t.Fatal(err)
			}
			users = append(users, u)
		}
		admin, err := db.SetUserRoleUnchecked(ctx, users[0].ID, fpr.RoleAdmin)
		if err != nil {
			t.Fatal(err)
		}
		asAdmin := fpr.NewContextWithUser(ctx, admin)
		asMember := fpr.NewContextWithUser(ctx, users[1])

		if _, _, err := db.FindUsers(asMember, fpr.UserFilter{}); fpr.ErrorCode(err) != fpr.CodeForbidden {
			t.Errorf("FindUsers as member = %v, want forbidden", err)
		}
		if _, _, err := db.FindUsers(ctx, fpr.UserFilter{}); fpr.ErrorCode(err) != fpr.CodeForbidden {
			t.Errorf("FindUsers anonymous = %v, want forbidden", err)
		}
		// Pages of two, newest first, the cursor carrying on.
		var got []string
		page := fpr.Page{Limit: 2}
		for {
			us, next, err := db.FindUsers(asAdmin, fpr.UserFilter{Page: page})
			if err != nil {
				t.Fatal(err)
			}
			for _, u := range us {
				got = append(got, u.Email)
			}
			if next == "" {
				break
			}
			page.Cursor = next
		}
		want := []string{"user4@example.org", "user3@example.org", "user2@example.org", "user1@example.org", "user0@example.org"}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("FindUsers pages = %v, want %v", got, want)
		}
		for q, want := range map[string]int{"GROWER": 4, "user3@": 1, "%_": 1, "_": 1, "%": 1, "nobody": 0, "": 5} {
			us, _, err := db.FindUsers(asAdmin, fpr.UserFilter{Query: &q})
			if err != nil || len(us) != want {
				t.Errorf("FindUsers(q=%q) = %d users, %v; want %d", q, len(us), err, want)
			}
		}
		role := fpr.RoleAdmin
		if us, _, err := db.FindUsers(asAdmin, fpr.UserFilter{Role: &role}); err != nil || len(us) != 1 || us[0].ID != admin.ID {
			t.Errorf("FindUsers(role=admin) = %v, %v; want the admin", us, err)
		}

		tests := []struct {
			name string
			ctx  context.Context
			id   string
			role fpr.Role
			code fpr.Code
		}{
			{"MemberForbidden", asMember, users[2].ID, fpr.RoleModerator, fpr.CodeForbidden},
			{"AnonymousForbidden", ctx, users[2].ID, fpr.RoleModerator, fpr.CodeForbidden},
			{"SelfDemotion", asAdmin, admin.ID, fpr.RoleMember, fpr.CodeForbidden},
			{"UnknownRole", asAdmin, users[2].ID, "owner", fpr.CodeValidationFailed},
			{"UnknownUser", asAdmin, "nobody", fpr.RoleModerator, fpr.CodeNotFound},
			{"OK", asAdmin, users[2].ID, fpr.RoleModerator, ""},
			{"SelfAdminAgain", asAdmin, admin.ID, fpr.RoleAdmin, ""},
		}
		for _, tt := range tests {
			u, err := db.SetUserRole(tt.ctx, tt.id, tt.role)
			if fpr.ErrorCode(err) != tt.code {
				t.Errorf("%s: SetUserRole = %v, want code %q", tt.name, err, tt.code)
			}
			if err == nil && u.Role != tt.role {
				t.Errorf("%s: role = %s, want %s", tt.name, u.Role, tt.role)
			}
		}
		if u, _ := db.FindUserByID(ctx, users[2].ID); u.Role != fpr.RoleModerator {
			t.Errorf("after the refused changes and one OK: role = %s, want moderator", u.Role)
		}
	})
}

func TestSessions_HashAndPassword(t *testing.T) {
	t.Parallel()
	storetest.ForEachBackend(t, func(t *testing.T, backend string) {
		db := storetest.OpenDB(t, backend)
		clk := setClock(db)
		ctx := context.Background()
		u := &fpr.User{Email: "ann@example.org", DisplayName: "Ann"}
		if err := db.CreateUser(ctx, u, "old-hash"); err != nil {
			t.Fatal(err)
		}
		s, err := db.CreateSession(ctx, "th1", u.ID, fpr.SessionAPI, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if !s.ExpiresAt.Equal(clk.Now().Add(time.Hour)) {
			t.Errorf("ExpiresAt = %v, want an hour from now", s.ExpiresAt)
		}
		if _, err := db.CreateSession(ctx, "th2", u.ID, fpr.SessionWeb, time.Hour); err != nil {
			t.Fatal(err)
		}
		if gu, gs, err := db.FindSession(ctx, "th1"); err != nil || gu.ID != u.ID || gs.Kind != fpr.SessionAPI {
			t.Errorf("FindSession = %v, %v, %v", gu, gs, err)
		}
		// UpgradePasswordHash keeps sessions and only replaces the hash it saw.
		if err := db.UpgradePasswordHash(ctx, u.ID, "stale", "never"); err != nil {
			t.Fatal(err)
		}
		if err := db.UpgradePasswordHash(ctx, u.ID, "old-hash", "upgraded"); err != nil {
			t.Fatal(err)
		}
		if _, h, _ := db.FindUserCredentials(ctx, u.Email); h != "upgraded" {
			t.Errorf("hash = %q, want upgraded", h)
		}
		if _, _, err := db.FindSession(ctx, "th1"); err != nil {
			t.Errorf("session after UpgradePasswordHash: %v", err)
		}
		// SetPasswordHash ends every session.
		if err := db.SetPasswordHash(ctx, u.ID, "new-hash"); err != nil {
			t.Fatal(err)
		}
		for _, th := range []string{"th1", "th2"} {
			if _, _, err := db.FindSession(ctx, th); fpr.ErrorCode(err) != fpr.CodeNotFound {
				t.Errorf("FindSession(%s) after SetPasswordHash = %v, want not_found", th, err)
			}
		}
		if err := db.SetPasswordHash(ctx, "nobody", "x"); fpr.ErrorCode(err) != fpr.CodeNotFound {
			t.Errorf("SetPasswordHash(nobody) = %v, want not_found", err)
		}
	})
}
