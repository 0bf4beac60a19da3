package main

import (
	"bytes"
	"context"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/fpr-team/fpr"
	"github.com/fpr-team/fpr/internal/auth"
	"github.com/fpr-team/fpr/internal/store"
	"github.com/fpr-team/fpr/internal/storetest"
)

// runFPR runs the program in-process against the SQLite file at dbPath.
func runFPR(t *testing.T, dbPath, stdin string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	env := map[string]string{"FPR_DATABASE_URL": "sqlite:" + dbPath, "FPR_LOG_FORMAT": "text"}
	var out, errOut bytes.Buffer
	err = run(context.Background(), args, func(k string) string { return env[k] }, strings.NewReader(stdin), &out, &errOut)
	return out.String(), errOut.String(), err
}

// openUsers opens the database the command wrote, to check what it did.
func openUsers(t *testing.T, dbPath string) *store.DB {
	t.Helper()
	return storetest.OpenURL(t, "sqlite:"+dbPath)
}

func TestUser_AddWithPasswordStdin(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "fpr.db")
	out, _, err := runFPR(t, path, "Orchard-ladder-42-bramble\n",
		"user", "add", "--email", "Ann@Example.org", "--role", "admin", "--display-name", "Ann Admin", "--password-stdin")
	if err != nil {
		t.Fatalf("user add: %v", err)
	}
	if strings.Contains(out, "password:") {
		t.Errorf("user add --password-stdin printed a password:\n%s", out)
	}
	db := openUsers(t, path)
	u, hash, err := db.FindUserCredentials(context.Background(), "ann@example.org")
	if err != nil {
		t.Fatal(err)
	}
	if u.Role != fpr.RoleAdmin || u.DisplayName != "Ann Admin" {
		t.Errorf("user = %+v, want role admin, display name Ann Admin", u)
	}
	if !strings.HasPrefix(hash, "$argon2id$v=19$m=65536,t=1,p=2$") {
		t.Errorf("hash = %q, want argon2id with the production params", hash)
	}
	// The password works for logging in.
	a := auth.New(db)
	if _, _, err := a.Login(context.Background(), fpr.Credentials{Email: "ann@example.org", Password: "Orchard-ladder-42-bramble"}); err != nil {
		t.Errorf("Login with the stdin password: %v", err)
	}
}

func TestUser_AddGeneratesPassword(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "fpr.db")
	out, _, err := runFPR(t, path, "", "user", "add", "--email", "mod@example.org", "--role", "moderator")
	if err != nil {
		t.Fatalf("user add: %v", err)
	}
	m := regexp.MustCompile(`(?m)^password: (\S+)$`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("user add printed no password:\n%s", out)
	}
	if len(m[1]) < 20 {
		t.Errorf("generated password %q has %d characters, want at least 20", m[1], len(m[1]))
	}
	db := openUsers(t, path)
	a := auth.New(db)
	_, u, err := a.Login(context.Background(), fpr.Credentials{Email: "mod@example.org", Password: m[1]})
	if err != nil {
		t.Fatalf("Login with the printed password: %v", err)
	}
	if u.Role != fpr.RoleModerator || u.DisplayName != "mod" {
		t.Errorf("user = %+v, want role moderator, display name mod", u)
	}
}

func TestUser_Errors(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "fpr.db")
	if _, _, err := runFPR(t, path, "Orchard-ladder-42-bramble\n", "user", "add", "--email", "ann@example.org", "--role", "member", "--password-stdin"); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		stdin string
		args  []string
		want  string
	}{
		{"NoAction", "", []string{"user"}, "want add, role or unlock"},
		{"UnknownAction", "", []string{"user", "delete"}, "unknown action"},
		{"MissingEmail", "", []string{"user", "add", "--role", "member"}, "--email and --role are required"},
		{"UnknownRole", "", []string{"user", "add", "--email", "b@example.org", "--role", "owner"}, "unknown role"},
		{"WeakPassword", "password123\n", []string{"user", "add", "--email", "b@example.org", "--role", "member", "--password-stdin"}, "too common"},
		{"ShortPassword", "short\n", []string{"user", "add", "--email", "b@example.org", "--role", "member", "--password-stdin"}, "at least 10 characters"},
		{"BadEmail", "", []string{"user", "add", "--email", "not-an-address", "--role", "member"}, "e-mail address like"},
		{"Taken", "", []string{"user", "add", "--email", "ANN@example.org", "--role", "member"}, "already exists"},
		{"RoleUnknownUser", "", []string{"user", "role", "--email", "nobody@example.org", "--role", "admin"}, "does not exist"},
		{"RoleExtraArg", "", []string{"user", "role", "--email", "ann@example.org", "--role", "admin", "extra"}, "unexpected argument"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := runFPR(t, path, tt.stdin, tt.args...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("run(%q) = %v, want an error containing %q", tt.args, err, tt.want)
			}
		})
	}
	// Nothing above changed the one user.
	db := openUsers(t, path)
	users := 0
	for _, e := range []string{"ann@example.org", "b@example.org", "not-an-address", "nobody@example.org"} {
		if u, err := db.FindUserByEmail(context.Background(), e); err == nil {
			users++
			if u.Role != fpr.RoleMember {
				t.Errorf("%s has role %s after failed commands, want member", e, u.Role)
			}
		}
	}
	if users != 1 {
		t.Errorf("%d users after failed commands, want 1", users)
	}
}

func TestUser_Role(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "fpr.db")
	if _, _, err := runFPR(t, path, "Orchard-ladder-42-bramble\n", "user", "add", "--email", "ann@example.org", "--role", "member", "--password-stdin"); err != nil {
		t.Fatal(err)
	}
	out, _, err := runFPR(t, path, "", "user", "role", "--email", "Ann@example.org", "--role", "producer")
	if err != nil {
		t.Fatalf("user role: %v", err)
	}
	if want := "ann@example.org is now producer\n"; out != want {
		t.Errorf("user role printed %q, want %q", out, want)
	}
	u, err := openUsers(t, path).FindUserByEmail(context.Background(), "ann@example.org")
	if err != nil {
		t.Fatal(err)
	}
	if u.Role != fpr.RoleProducer {
		t.Errorf("role = %s, want producer", u.Role)
	}
}

// TestUser_Unlock: `fpr user unlock` clears the login delays an account has
// from any address, and says how many; an unknown e-mail is an error.
func TestUser_Unlock(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "fpr.db")
	if _, _, err := runFPR(t, path, "Orchard-ladder-42-bramble\n", "user", "add", "--email", "ann@example.org", "--role", "admin", "--password-stdin"); err != nil {
		t.Fatal(err)
	}
	db := openUsers(t, path)
	a := auth.New(db)
	a.Params = auth.TestParams
	ctx := context.Background()
	for _, addr := range []string{"192.0.2.1", "192.0.2.2"} {
		for range a.AccountLimit {
			_, _, _ = a.Login(ctx, fpr.Credentials{Email: "ann@example.org", Password: "wrong-password-1", ClientAddr: addr})
		}
		if _, _, err := a.Login(ctx, fpr.Credentials{Email: "ann@example.org", Password: "Orchard-ladder-42-bramble", ClientAddr: addr}); fpr.ErrorCode(err) != fpr.CodeRateLimited {
			t.Fatalf("login from %s after %d failures = %v, want rate_limited", addr, a.AccountLimit, err)
		}
	}
	out, _, err := runFPR(t, path, "", "user", "unlock", "--email", "Ann@example.org")
	if err != nil {
		t.Fatalf("user unlock: %v", err)
	}
	if want := "Ann@example.org: login throttle cleared (2 addresses)\n"; out != want {
		t.Errorf("user unlock printed %q, want %q", out, want)
	}
	for _, addr := range []string{"192.0.2.1", "192.0.2.2"} {
		if _, _, err := a.Login(ctx, fpr.Credentials{Email: "ann@example.org", Password: "Orchard-ladder-42-bramble", ClientAddr: addr}); err != nil {
			t.Errorf("login from %s after unlock = %v, want success", addr, err)
		}
	}
	entries, _, err := db.FindAuditEntries(fpr.NewContextWithUser(ctx, &fpr.User{ID: "cli", Role: fpr.RoleAdmin}), fpr.AuditFilter{Action: "login.unlock"})
	if err != nil || len(entries) != 1 || entries[0].Actor != nil || entries[0].Details["keys"] != "2" {
		t.Errorf("login.unlock entries = %+v, %v; want one, by nobody, of 2 keys", entries, err)
	}
	if _, _, err := runFPR(t, path, "", "user", "unlock", "--email", "nobody@example.org"); err == nil {
		t.Error("user unlock of an unknown e-mail succeeded")
	}
	if _, _, err := runFPR(t, path, "", "user", "unlock"); err == nil || !strings.Contains(err.Error(), "--email") {
		t.Errorf("user unlock without --email = %v, want an error naming --email", err)
	}
}
