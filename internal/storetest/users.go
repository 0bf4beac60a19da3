package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/fpr-team/fpr"
	"github.com/fpr-team/fpr/internal/store"
)

var userTests = map[string]func(t *testing.T, s *suite){
	"CreateUser_EmailUniqueCaseInsensitive": func(t *testing.T, s *suite) {
		db := s.db(t, nil)
		ctx := context.Background()
		ann := &fpr.User{Email: "Ann@Example.org", DisplayName: "Ann"}
		mustOK(t, "CreateUser", db.CreateUser(ctx, ann, "h1"))
		if ann.ID == "" || ann.Role != fpr.RoleMember || ann.CreatedAt.IsZero() {
			t.Fatalf("CreateUser set %+v, want an ID, role member and a creation time", ann)
		}
		for _, email := range []string{"Ann@Example.org", "ann@example.org", "ANN@EXAMPLE.ORG", " ann@example.org "} {
			err := db.CreateUser(ctx, &fpr.User{Email: email, DisplayName: "Other"}, "h2")
			wantCode(t, fmt.Sprintf("CreateUser(%q)", email), err, fpr.CodeConflict)
			if fpr.ErrorFields(err)["email"] == "" {
				t.Errorf("CreateUser(%q) conflict fields = %v, want an email message", email, fpr.ErrorFields(err))
			}
		}
		got, err := db.FindUserByEmail(ctx, "aNN@example.ORG")
		mustOK(t, "FindUserByEmail", err)
		if got.ID != ann.ID || got.Email != "Ann@Example.org" {
			t.Errorf("FindUserByEmail = %+v, want id %s with the e-mail as typed", got, ann.ID)
		}
		_, hash, err := db.FindUserCredentials(ctx, "ann@example.org")
		mustOK(t, "FindUserCredentials", err)
		if hash != "h1" {
			t.Errorf("FindUserCredentials hash = %q, want the first account's %q", hash, "h1")
		}
	},
	"CreateUser_ConcurrentSameEmailOneWins": func(t *testing.T, s *suite) {
		db := s.db(t, nil)
		const n = 8
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				email := "race@example.org"
				if i%2 == 1 {
					email = "RACE@example.org"
				}
				errs[i] = db.CreateUser(context.Background(), &fpr.User{Email: email, DisplayName: "R"}, "h")
			})
		}
		wg.Wait()
		ok := 0
		for i, err := range errs {
			switch fpr.ErrorCode(err) {
			case "":
				ok++
			case fpr.CodeConflict:
			default:
				t.Errorf("CreateUser #%d: %v, want nil or conflict", i, err)
			}
		}
		if ok != 1 {
			t.Errorf("%d concurrent registrations of one e-mail succeeded, want 1", ok)
		}
	},
	"CreateUser_ErrUnknownRole": func(t *testing.T, s *suite) {
		db := s.db(t, nil)
		err := db.CreateUser(context.Background(), &fpr.User{Email: "x@example.org", DisplayName: "X", Role: "king"}, "h")
		wantCode(t, "CreateUser(role king)", err, fpr.CodeValidationFailed)
		_, err = db.FindUserByEmail(context.Background(), "x@example.org")
		wantCode(t, "FindUserByEmail after refused CreateUser", err, fpr.CodeNotFound)
	},
	"FindUserByID": func(t *testing.T, s *suite) {
		db := s.db(t, nil)
		u := mustUser(t, db, fpr.RoleProducer)
		got, err := db.FindUserByID(context.Background(), u.ID)
		mustOK(t, "FindUserByID", err)
		if got.ID != u.ID || got.Email != u.Email || got.DisplayName != u.DisplayName || got.Role != u.Role ||
			!got.CreatedAt.Equal(u.CreatedAt) || got.Probe {
			t.Errorf("FindUserByID = %+v, want %+v", got, u)
		}
		_, err = db.FindUserByID(context.Background(), "nope")
		wantCode(t, "FindUserByID(unknown)", err, fpr.CodeNotFound)
	},
	"FindUsers_AdminsOnly": func(t *testing.T, s *suite) {
		db := s.db(t, nil)
		for _, role := range []fpr.Role{fpr.RoleMember, fpr.RoleProducer, fpr.RoleModerator} {
			_, _, err := db.FindUsers(as(mustUser(t, db, role)), fpr.UserFilter{})
			wantCode(t, "FindUsers as "+string(role), err, fpr.CodeForbidden)
		}
		_, _, err := db.FindUsers(as(nil), fpr.UserFilter{})
		wantCode(t, "FindUsers anonymous", err, fpr.CodeForbidden)
	},
	"FindUsers_FiltersAndCursor": func(t *testing.T, s *suite) {
		clk := NewClock(start)
		db := s.db(t, clk)
		admin := mustUser(t, db, fpr.RoleAdmin)
		var all []*fpr.User
		for i := range 7 {
			clk.Advance(time.Millisecond)
			u := &fpr.User{Email: fmt.Sprintf("grower%d@farm.example", i), DisplayName: fmt.Sprintf("Grower_%d", i), Role: fpr.RoleMember}
			if i%3 == 0 {
				u.Role = fpr.RoleProducer
			}
			if i == 4 {
				u.DisplayName = "100% Organic"
			}
			mustOK(t, "CreateUser", db.CreateUser(context.Background(), u, "h"))
			all = append(all, u)
		}
		ctx := as(admin)
		ids := func(us []*fpr.User) []string {
			var out []string
			for _, u := range us {
				out = append(out, u.ID)
			}
			return out
		}
		str := func(s string) *string { return &s }
		producer := fpr.RoleProducer
		tests := []struct {
			name string
			f    fpr.UserFilter
			want []*fpr.User
		}{
			{"All", fpr.UserFilter{}, []*fpr.User{all[6], all[5], all[4], all[3], all[2], all[1], all[0], admin}},
			{"Role", fpr.UserFilter{Role: &producer}, []*fpr.User{all[6], all[3], all[0]}},
			{"QueryEmailCaseInsensitive", fpr.UserFilter{Query: str("GROWER3@")}, []*fpr.User{all[3]}},
			{"QueryDisplayName", fpr.UserFilter{Query: str("organic")}, []*fpr.User{all[4]}},
			{"QueryPercentIsLiteral", fpr.UserFilter{Query: str("%")}, []*fpr.User{all[4]}},
			{"QueryUnderscoreIsLiteral", fpr.UserFilter{Query: str("r_5")}, []*fpr.User{all[5]}},
			{"QueryAndRole", fpr.UserFilter{Query: str("grower"), Role: &producer}, []*fpr.User{all[6], all[3], all[0]}},
		}
		for _, tt := range tests {
			got, next, err := db.FindUsers(ctx, tt.f)
			mustOK(t, tt.name, err)
			if g, w := fmt.Sprint(ids(got)), fmt.Sprint(ids(tt.want)); g != w || next != "" {
				t.Errorf("%s: FindUsers = %s next %q, want %s and no next page", tt.name, g, next, w)
			}
		}
		// Pages of 3 walk the same list without gaps or repeats.
		var walked []*fpr.User
		f := fpr.UserFilter{Page: fpr.Page{Limit: 3}}
		for pages := 0; ; pages++ {
			if pages > 5 {
				t.Fatal("FindUsers paging did not end")
			}
			got, next, err := db.FindUsers(ctx, f)
			mustOK(t, "FindUsers page", err)
			walked = append(walked, got...)
			if next == "" {
				break
			}
			f.Cursor = next
		}
		if g, w := fmt.Sprint(ids(walked)), fmt.Sprint(ids(tests[0].want)); g != w {
			t.Errorf("FindUsers by pages of 3 = %s, want %s", g, w)
		}
		for _, bad := range []fpr.UserFilter{
			{Page: fpr.Page{Cursor: "not-a-cursor"}},
			{Page: fpr.Page{Limit: fpr.MaxLimit + 1}},
			{Page: fpr.Page{Limit: -1}},
			{Role: func() *fpr.Role { r := fpr.Role("king"); return &r }()},
		} {
			_, _, err := db.FindUsers(ctx, bad)
			wantCode(t, fmt.Sprintf("FindUsers(%+v)", bad), err, fpr.CodeValidationFailed)
		}
	},
	"SetUserRole": func(t *testing.T, s *suite) {
		db := s.db(t, nil)
		admin := mustUser(t, db, fpr.RoleAdmin)
		member := mustUser(t, db, fpr.RoleMember)
		_, err := db.SetUserRole(as(member), member.ID, fpr.RoleAdmin)
		wantCode(t, "SetUserRole by a member", err, fpr.CodeForbidden)
		_, err = db.SetUserRole(as(admin), admin.ID, fpr.RoleMember)
		wantCode(t, "SetUserRole demoting oneself", err, fpr.CodeForbidden)
		_, err = db.SetUserRole(as(admin), member.ID, "king")
		wantCode(t, "SetUserRole(king)", err, fpr.CodeValidationFailed)
		_, err = db.SetUserRole(as(admin), "nope", fpr.RoleProducer)
		wantCode(t, "SetUserRole(unknown user)", err, fpr.CodeNotFound)
		u, err := db.FindUserByID(context.Background(), member.ID)
		mustOK(t, "FindUserByID", err)
		if u.Role != fpr.RoleMember {
			t.Fatalf("role after refused changes = %s, want member", u.Role)
		}
		u, err = db.SetUserRole(as(admin), member.ID, fpr.RoleProducer)
		mustOK(t, "SetUserRole", err)
		if u.Role != fpr.RoleProducer {
			t.Errorf("SetUserRole returned role %s, want producer", u.Role)
		}
		if u, _ := db.FindUserByID(context.Background(), member.ID); u.Role != fpr.RoleProducer {
			t.Errorf("stored role = %s, want producer", u.Role)
		}
	},
	"SetPasswordHash_RevokesSessions": func(t *testing.T, s *suite) {
		db := s.db(t, nil)
		ctx := context.Background()
		u := mustUser(t, db, fpr.RoleMember)
		_, err := db.CreateSession(ctx, "tok-a", u.ID, fpr.SessionAPI, time.Hour)
		mustOK(t, "CreateSession", err)
		mustOK(t, "SetPasswordHash", db.SetPasswordHash(ctx, u.ID, "new-hash"))
		_, _, err = db.FindSession(ctx, "tok-a")
		wantCode(t, "FindSession after password change", err, fpr.CodeNotFound)
		if _, h, _ := db.FindUserCredentials(ctx, u.Email); h != "new-hash" {
			t.Errorf("hash = %q, want new-hash", h)
		}
		wantCode(t, "SetPasswordHash(unknown)", db.SetPasswordHash(ctx, "nope", "x"), fpr.CodeNotFound)
		// An upgrade applies only over the hash it replaces.
		mustOK(t, "UpgradePasswordHash(stale)", db.UpgradePasswordHash(ctx, u.ID, "old-hash", "upgraded"))
		if _, h, _ := db.FindUserCredentials(ctx, u.Email); h != "new-hash" {
			t.Errorf("hash after stale upgrade = %q, want new-hash kept", h)
		}
		mustOK(t, "UpgradePasswordHash", db.UpgradePasswordHash(ctx, u.ID, "new-hash", "upgraded"))
		if _, h, _ := db.FindUserCredentials(ctx, u.Email); h != "upgraded" {
			t.Errorf("hash after upgrade = %q, want upgraded", h)
		}
	},
}

var sessionTests = map[string]func(t *testing.T, s *suite){
	"CreateFindExpire": func(t *testing.T, s *suite) {
		clk := NewClock(start)
		db := s.db(t, clk)
		ctx := context.Background()
		u := mustUser(t, db, fpr.RoleModerator)
		sess, err := db.CreateSession(ctx, "hash-1", u.ID, fpr.SessionWeb, time.Hour)
		mustOK(t, "CreateSession", err)
		if !sess.CreatedAt.Equal(start) || !sess.ExpiresAt.Equal(start.Add(time.Hour)) || sess.Kind != fpr.SessionWeb {
			t.Fatalf("CreateSession = %+v, want created now, expiring in an hour, kind web", sess)
		}
		gu, gs, err := db.FindSession(ctx, "hash-1")
		mustOK(t, "FindSession", err)
		if gu.ID != u.ID || gu.Role != fpr.RoleModerator || gs.UserID != u.ID || gs.Kind != fpr.SessionWeb ||
			!gs.ExpiresAt.Equal(start.Add(time.Hour)) {
			t.Errorf("FindSession = %+v %+v, want user %s and the stored session", gu, gs, u.ID)
		}
		_, _, err = db.FindSession(ctx, "hash-unknown")
		wantCode(t, "FindSession(unknown)", err, fpr.CodeNotFound)

		// A use moves the last use forward only, and sets the expiry.
		clk.Advance(time.Minute)
		mustOK(t, "TouchSession", db.TouchSession(ctx, "hash-1", clk.Now(), start.Add(2*time.Hour)))
		if _, gs, _ := db.FindSession(ctx, "hash-1"); !gs.ExpiresAt.Equal(start.Add(2*time.Hour)) || !gs.LastUsedAt.Equal(clk.Now()) {
			t.Errorf("after a use: %+v, want last used now and expiring at %v", gs, start.Add(2*time.Hour))
		}
		mustOK(t, "TouchSession older", db.TouchSession(ctx, "hash-1", start, start.Add(3*time.Hour)))
		if _, gs, _ := db.FindSession(ctx, "hash-1"); !gs.ExpiresAt.Equal(start.Add(2 * time.Hour)) {
			t.Errorf("expiry after an older use = %v, want unchanged %v", gs.ExpiresAt, start.Add(2*time.Hour))
		}
		mustOK(t, "TouchSession(unknown)", db.TouchSession(ctx, "hash-unknown", clk.Now(), start.Add(2*time.Hour)))

		clk.Advance(2 * time.Hour)
		_, _, err = db.FindSession(ctx, "hash-1")
		wantCode(t, "FindSession at expiry", err, fpr.CodeNotFound)
		// An expired session cannot be brought back.
		mustOK(t, "TouchSession expired", db.TouchSession(ctx, "hash-1", clk.Now(), start.Add(5*time.Hour)))
		_, _, err = db.FindSession(ctx, "hash-1")
		wantCode(t, "FindSession after touching an expired session", err, fpr.CodeNotFound)

		_, err = db.CreateSession(ctx, "hash-2", u.ID, fpr.SessionAPI, time.Hour)
		mustOK(t, "CreateSession", err)
		n, err := db.DeleteExpiredSessions(ctx)
		mustOK(t, "DeleteExpiredSessions", err)
		if n != 1 {
			t.Errorf("DeleteExpiredSessions = %d, want 1", n)
		}
		if _, _, err := db.FindSession(ctx, "hash-2"); err != nil {
			t.Errorf("FindSession(live) after DeleteExpiredSessions: %v", err)
		}
	},
	"ListAndRevoke": func(t *testing.T, s *suite) {
		clk := NewClock(start)
		db := s.db(t, clk)
		u, v := mustUser(t, db, fpr.RoleMember), mustUser(t, db, fpr.RoleMember)
		phone := fpr.NewContextWithClient(context.Background(), fpr.Client{Address: "198.51.100.7", UserAgent: "Phone\x00Browser/1.0"})
		web, err := db.CreateSession(phone, "lr-web", u.ID, fpr.SessionWeb, time.Hour)
		mustOK(t, "CreateSession(web)", err)
		clk.Advance(time.Second)
		api, err := db.CreateSession(context.Background(), "lr-api", u.ID, fpr.SessionAPI, time.Hour)
		mustOK(t, "CreateSession(api)", err)
		other, err := db.CreateSession(context.Background(), "lr-v", v.ID, fpr.SessionAPI, time.Hour)
		mustOK(t, "CreateSession(other user)", err)
		if web.ID == "" || web.ID == api.ID || web.UserAgent != "PhoneBrowser/1.0" || web.Address != "198.51.100.7" {
			t.Fatalf("CreateSession = %+v, want an ID, the cleaned user agent and the address", web)
		}

		list, err := db.FindUserSessions(context.Background(), u.ID)
		mustOK(t, "FindUserSessions", err)
		if len(list) != 2 || list[0].ID != api.ID || list[1].ID != web.ID || list[1].UserAgent != "PhoneBrowser/1.0" ||
			!list[1].LastUsedAt.Equal(start) {
			t.Fatalf("FindUserSessions = %+v, want the API token, then the web session", list)
		}
		// The web session is used later: it lists first.
		clk.Advance(time.Minute)
		mustOK(t, "TouchSession", db.TouchSession(context.Background(), "lr-web", clk.Now(), clk.Now().Add(time.Hour)))
		if list, _ := db.FindUserSessions(context.Background(), u.ID); len(list) != 2 || list[0].ID != web.ID {
			t.Errorf("after a use, FindUserSessions = %+v, want the web session first", list)
		}

		wantCode(t, "DeleteUserSession(another user's)", db.DeleteUserSession(context.Background(), u.ID, other.ID), fpr.CodeNotFound)
		if _, _, err := db.FindSession(context.Background(), "lr-v"); err != nil {
			t.Errorf("the other user's session after a refused revoke: %v", err)
		}
		mustOK(t, "DeleteUserSession", db.DeleteUserSession(context.Background(), u.ID, api.ID))
		wantCode(t, "DeleteUserSession(again)", db.DeleteUserSession(context.Background(), u.ID, api.ID), fpr.CodeNotFound)
		_, _, err = db.FindSession(context.Background(), "lr-api")
		wantCode(t, "FindSession(revoked)", err, fpr.CodeNotFound)

		// A web session whose login is past fpr.WebSessionMaxAge is gone,
		// whatever its stored expiry (one extended before the rule).
		mustOK(t, "TouchSession far", db.TouchSession(context.Background(), "lr-web", clk.Now().Add(time.Second), start.Add(400*24*time.Hour)))
		clk.Advance(fpr.WebSessionMaxAge)
		_, _, err = db.FindSession(context.Background(), "lr-web")
		wantCode(t, "FindSession(web, past the absolute age)", err, fpr.CodeNotFound)
		if list, _ := db.FindUserSessions(context.Background(), u.ID); len(list) != 0 {
			t.Errorf("FindUserSessions past the absolute age = %+v, want none", list)
		}
		wantCode(t, "DeleteUserSession(web, past the absolute age)", db.DeleteUserSession(context.Background(), u.ID, web.ID), fpr.CodeNotFound)
	},
	"Delete": func(t *testing.T, s *suite) {
		db := s.db(t, nil)
		ctx := context.Background()
		u, v := mustUser(t, db, fpr.RoleMember), mustUser(t, db, fpr.RoleMember)
		for _, h := range []string{"u1", "u2"} {
			_, err := db.CreateSession(ctx, h, u.ID, fpr.SessionAPI, time.Hour)
			mustOK(t, "CreateSession", err)
		}
		_, err := db.CreateSession(ctx, "v1", v.ID, fpr.SessionAPI, time.Hour)
		mustOK(t, "CreateSession", err)
		_, err = db.CreateSession(ctx, "v1", v.ID, fpr.SessionAPI, time.Hour)
		wantCode(t, "CreateSession(same hash)", err, fpr.CodeConflict)
		_, err = db.CreateSession(ctx, "x1", "no-such-user", fpr.SessionAPI, time.Hour)
		wantCode(t, "CreateSession(unknown user)", err, fpr.CodeNotFound)

		mustOK(t, "DeleteSession", db.DeleteSession(ctx, "u1"))
		mustOK(t, "DeleteSession(unknown)", db.DeleteSession(ctx, "u1"))
		_, _, err = db.FindSession(ctx, "u1")
		wantCode(t, "FindSession(deleted)", err, fpr.CodeNotFound)
		if _, _, err := db.FindSession(ctx, "u2"); err != nil {
			t.Fatalf("FindSession(other session of the user): %v", err)
		}
		mustOK(t, "DeleteUserSessions", db.DeleteUserSessions(ctx, u.ID))
		_, _, err = db.FindSession(ctx, "u2")
		wantCode(t, "FindSession after DeleteUserSessions", err, fpr.CodeNotFound)
		if _, _, err := db.FindSession(ctx, "v1"); err != nil {
			t.Errorf("FindSession(another user's session) after DeleteUserSessions: %v", err)
		}
	},
}

var throttleTests = map[string]func(t *testing.T, s *suite){
	"CountLockGrowExpire": func(t *testing.T, s *suite) {
		clk := NewClock(start)
		db := s.db(t, clk)
		ctx := context.Background()
		const streak = 24 * time.Hour
		pair := store.LoginThrottleKey{Key: "pair:a@x.test|192.0.2.1", Account: "a@x.test", Limit: 3}
		for i := 1; i <= 3; i++ {
			n, err := db.RecordLoginFailure(ctx, pair, streak)
			mustOK(t, "RecordLoginFailure", err)
			if n != i {
				t.Fatalf("RecordLoginFailure #%d = %d, want %d", i, n, i)
			}
			if d, _ := db.LoginLockedFor(ctx, pair.Key); (d > 0) != (i >= 3) {
				t.Fatalf("after %d failures LoginLockedFor = %v; want a lock from the 3rd only", i, d)
			}
		}
		// Each failure past the limit doubles the wait: 1, 2, 4 minutes.
		for _, want := range []time.Duration{time.Minute, 2 * time.Minute, 4 * time.Minute} {
			d, err := db.LoginLockedFor(ctx, "addr:x", pair.Key)
			mustOK(t, "LoginLockedFor", err)
			if d != want {
				t.Fatalf("LoginLockedFor = %v, want %v", d, want)
			}
			clk.Advance(want)
			if d, _ := db.LoginLockedFor(ctx, pair.Key); d != 0 {
				t.Fatalf("LoginLockedFor after the delay = %v, want 0", d)
			}
			_, err = db.RecordLoginFailure(ctx, pair, streak)
			mustOK(t, "RecordLoginFailure", err)
		}
		if d, _ := db.LoginLockedFor(ctx, "pair:a@x.test|192.0.2.2"); d != 0 {
			t.Errorf("LoginLockedFor(the account from another address) = %v, want 0", d)
		}
		// fpr user unlock clears every pair of the account.
		n, err := db.UnlockLogin(ctx, "A@x.test")
		mustOK(t, "UnlockLogin", err)
		if d, _ := db.LoginLockedFor(ctx, pair.Key); n != 1 || d != 0 {
			t.Errorf("UnlockLogin = %d, then LoginLockedFor = %v; want 1 key cleared and no lock", n, d)
		}
		// Once the streak window has passed, counting starts over.
		if n, _ := db.RecordLoginFailure(ctx, pair, streak); n != 1 {
			t.Errorf("RecordLoginFailure after unlock = %d, want 1", n)
		}
		clk.Advance(streak)
		if n, _ := db.RecordLoginFailure(ctx, pair, streak); n != 1 {
			t.Errorf("RecordLoginFailure in a new streak = %d, want 1", n)
		}
		mustOK(t, "ClearLoginFailures", db.ClearLoginFailures(ctx, pair.Key))
		if n, _ := db.RecordLoginFailure(ctx, pair, streak); n != 1 {
			t.Errorf("RecordLoginFailure after clearing = %d, want 1", n)
		}
		clk.Advance(time.Hour)
		deleted, err := db.DeleteStaleLoginFailures(ctx, 30*time.Minute)
		mustOK(t, "DeleteStaleLoginFailures", err)
		if deleted != 1 {
			t.Errorf("DeleteStaleLoginFailures = %d, want 1", deleted)
		}
	},
	"ConcurrentFailuresAllCounted": func(t *testing.T, s *suite) {
		db := s.db(t, nil)
		const n = 24
		var wg sync.WaitGroup
		for range n {
			wg.Go(func() {
				if _, err := db.RecordLoginFailure(context.Background(), store.LoginThrottleKey{Key: "addr:192.0.2.9", Limit: 1000}, time.Hour); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		got, err := db.RecordLoginFailure(context.Background(), store.LoginThrottleKey{Key: "addr:192.0.2.9", Limit: 1000}, time.Hour)
		mustOK(t, "RecordLoginFailure", err)
		if got != n+1 {
			t.Errorf("after %d concurrent failures the next counts %d, want %d", n, got, n+1)
		}
	},
}
