package http_test

import (
	"net/http"
	"testing"

	"github.com/fpr-team/fpr"
	"github.com/fpr-team/fpr/internal/fprtest"
)

type auditListJSON struct {
	Items []struct {
		ID     string `json:"id"`
		Action string `json:"action"`
		Actor  *struct {
			ID          string `json:"id"`
			DisplayName string `json:"display_name"`
		} `json:"actor"`
		Target  string            `json:"target"`
		Address string            `json:"address"`
		Details map[string]string `json:"details"`
	} `json:"items"`
	NextCursor *string `json:"next_cursor"`
}

// TestAPIAudit: staff actions and logins are in the audit log with actor,
// target and the client address; admins only; filters are validated.
func TestAPIAudit(t *testing.T) {
	t.Parallel()
	env := fprtest.New(t, fprtest.WithLoopbackProxy())
	admin := env.MustUser(t, fpr.RoleAdmin)
	member := env.MustUser(t, fpr.RoleMember)
	resp, body := env.DoFrom(t, "203.0.113.77", "PATCH", "/api/v1/admin/users/"+member.User.ID, admin.Token, map[string]string{"role": "producer"})
	wantStatus(t, "role change", resp, body, http.StatusOK)

	resp, body = env.Do(t, "GET", "/api/v1/ops/audit?action=user.role&target=user:"+member.User.ID, admin.Token, nil)
	wantStatus(t, "audit", resp, body, http.StatusOK)
	l := mustDecode[auditListJSON](t, body)
	if len(l.Items) != 1 {
		t.Fatalf("user.role entries = %+v, want 1", l)
	}
	e := l.Items[0]
	if e.Actor == nil || e.Actor.ID != admin.User.ID || e.Address != "203.0.113.77" || e.Details["from"] != "member" || e.Details["to"] != "producer" {
		t.Errorf("entry = %+v, want the admin from 203.0.113.77, member to producer", e)
	}
	resp, body = env.Do(t, "GET", "/api/v1/ops/audit?action=login&actor="+member.User.ID, admin.Token, nil)
	wantStatus(t, "audit logins", resp, body, http.StatusOK)
	if l := mustDecode[auditListJSON](t, body); len(l.Items) != 1 || l.Items[0].Target != "user:"+member.User.ID {
		t.Errorf("the member's logins = %+v, want the one of MustUser", l)
	}
	resp, body = env.Do(t, "GET", "/api/v1/ops/audit?limit=1", admin.Token, nil)
	wantStatus(t, "audit page", resp, body, http.StatusOK)
	if l := mustDecode[auditListJSON](t, body); len(l.Items) != 1 || l.NextCursor == nil || l.Items[0].Action != "user.role" {
		t.Errorf("first page of one = %+v, want the newest entry (user.role) and a cursor", l)
	}
	for _, q := range []string{"target=user", "target=user:a%20b", "action=DROP", "actor=a'b", "limit=0", "cursor=junk"} {
		resp, body := env.Do(t, "GET", "/api/v1/ops/audit?"+q, admin.Token, nil)
		wantStatus(t, "audit ?"+q, resp, body, http.StatusUnprocessableEntity)
	}
	resp, body = env.Do(t, "GET", "/api/v1/ops/audit", member.Token, nil)
	wantStatus(t, "audit as member", resp, body, http.StatusForbidden)
}

// TestAuditPage: admins read the log on /ops/audit; a bad filter shows the
// form again with its input and the error beside the field.
func TestAuditPage(t *testing.T) {
	t.Parallel()
	env := fprtest.New(t)
	admin := env.MustUser(t, fpr.RoleAdmin)
	member := env.MustUser(t, fpr.RoleMember)
	if _, err := env.DB.SetUserRole(env.Ctx(admin.User), member.User.ID, fpr.RoleModerator); err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, env)
	b.login(admin)
	p := b.get("/ops/audit?action=user.role&target=user:" + member.User.ID)
	if p.StatusCode != http.StatusOK {
		t.Fatalf("GET /ops/audit = %d", p.StatusCode)
	}
	if n := p.find("#audit-table tbody tr[data-action='user.role']").Length(); n != 1 {
		t.Errorf("the page lists %d user.role entries, want 1", n)
	}
	if got := p.text("#audit-table tbody tr td:nth-child(4)"); got != "user:"+member.User.ID {
		t.Errorf("target cell = %q", got)
	}
	p = b.get("/ops/audit?target=not-a-target&action=user.role")
	if p.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("GET /ops/audit with a bad target = %d, want 422", p.StatusCode)
	}
	checkFieldError(t, p, "target", "Must be TYPE:ID, e.g. review:01hx….")
	if p.attr("#target", "value") != "not-a-target" || p.attr("#action", "value") != "user.role" {
		t.Errorf("the form lost its input: target %q, action %q", p.attr("#target", "value"), p.attr("#action", "value"))
	}
	mb := newBrowser(t, env)
	mb.login(member)
	if p := mb.get("/ops/audit"); p.StatusCode != http.StatusForbidden {
		t.Errorf("GET /ops/audit as a moderator = %d, want 403", p.StatusCode)
	}
	if p := mb.get("/ops/audit?target=bad"); p.StatusCode != http.StatusForbidden {
		t.Errorf("GET /ops/audit?target=bad as a moderator = %d, want 403 (no hint of the filter rules)", p.StatusCode)
	}
}
