package http_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/fpr-team/fpr"
	"github.com/fpr-team/fpr/internal/fprtest"
	"github.com/fpr-team/fpr/internal/mailtest"
)

// Reset and verification mails: 3 per client address or account an hour
// (fpr.LimitMail). The address's limit is a 429; the account's is silent,
// so the answer never tells whether an account exists.
func TestMailRateLimits(t *testing.T) {
	smtp := mailtest.Start(t, mailtest.Plain)
	env := fprtest.New(t, fprtest.WithMail(smtp), fprtest.WithLoopbackProxy())
	u := env.MustUser(t, fpr.RoleMember)
	admin := env.MustUser(t, fpr.RoleAdmin)

	t.Run("FloodFromOneAddress", func(t *testing.T) {
		for i := range 3 {
			resp, body := env.DoFrom(t, "203.0.113.7", "POST", "/api/v1/auth/password-reset", "", map[string]string{"email": "nobody-flood@example.org"})
			mustStatus(t, "reset "+string(rune('1'+i)), resp, body, http.StatusAccepted)
		}
		resp, body := env.DoFrom(t, "203.0.113.7", "POST", "/api/v1/auth/password-reset", "", map[string]string{"email": u.User.Email})
		if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" || !strings.Contains(string(body), "rate_limited") {
			t.Errorf("4th reset from one address = %d %s (Retry-After %q), want 429 rate_limited", resp.StatusCode, body, resp.Header.Get("Retry-After"))
		}
	})

	t.Run("AccountLimitIsSilent", func(t *testing.T) {
		var bodies []string
		for i, addr := range []string{"198.51.100.1", "198.51.100.2", "198.51.100.3", "198.51.100.4", "198.51.100.5"} {
			resp, body := env.DoFrom(t, addr, "POST", "/api/v1/auth/password-reset", "", map[string]string{"email": u.User.Email})
			mustStatus(t, "reset from "+addr, resp, body, http.StatusAccepted)
			bodies = append(bodies, string(body))
			if i > 0 && bodies[i] != bodies[0] {
				t.Errorf("answer %d differs: %s vs %s", i, bodies[i], bodies[0])
			}
		}
		outbox, _, err := env.DB.FindMail(env.Ctx(admin.User), fpr.MailFilter{Page: fpr.Page{Limit: fpr.MaxLimit}})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, m := range outbox {
			if m.To == u.User.Email && m.Kind == fpr.MailPasswordReset {
				n++
			}
		}
		if n != 3 {
			t.Errorf("%d reset mails written for one account in an hour, want 3", n)
		}
	})

	t.Run("ResendFlood", func(t *testing.T) {
		v := env.MustUnverifiedUser(t)
		for range 3 {
			resp, body := env.DoFrom(t, "192.0.2.9", "POST", "/api/v1/me/verification-email", v.Token, nil)
			mustStatus(t, "resend", resp, body, http.StatusAccepted)
		}
		resp, body := env.DoFrom(t, "192.0.2.10", "POST", "/api/v1/me/verification-email", v.Token, nil)
		if resp.StatusCode != http.StatusTooManyRequests {
			t.Errorf("4th new link for one account = %d %s, want 429", resp.StatusCode, body)
		}
	})
}

// E-mail changes (asked and confirmed), password resets and account
// deletions are in the audit log, with the account as target.
func TestAccountAudit(t *testing.T) {
	smtp := mailtest.Start(t, mailtest.Plain)
	env := fprtest.New(t, fprtest.WithMail(smtp))
	admin := env.MustUser(t, fpr.RoleAdmin)
	u := env.MustUser(t, fpr.RoleMember)
	audit := func(action fpr.AuditAction) []*fpr.AuditEntry {
		t.Helper()
		es, _, err := env.DB.FindAuditEntries(env.Ctx(admin.User), fpr.AuditFilter{Action: string(action), Target: "user:" + u.User.ID})
		if err != nil {
			t.Fatal(err)
		}
		return es
	}
	newEmail := "audited-" + u.User.Email
	resp, body := env.Do(t, "PATCH", "/api/v1/me", u.Token, map[string]string{"email": newEmail, "current_password": u.Password})
	mustStatus(t, "change e-mail", resp, body, http.StatusOK)
	link := smtp.WaitFor(t, newEmail, "Confirm").Link(t, "/verify-email")
	resp, body = env.Do(t, "POST", "/api/v1/auth/verify-email", "", map[string]string{"token": tokenOf(t, link)})
	mustStatus(t, "confirm", resp, body, http.StatusNoContent)
	if es := audit(fpr.AuditEmailChange); len(es) != 2 || es[0].Details["stage"] != "confirmed" || es[1].Details["stage"] != "requested" {
		t.Errorf("e-mail change audit = %+v, want requested then confirmed", es)
	}

	resp, body = env.Do(t, "POST", "/api/v1/auth/password-reset", "", map[string]string{"email": newEmail})
	mustStatus(t, "reset", resp, body, http.StatusAccepted)
	reset := smtp.WaitFor(t, newEmail, "Reset").Link(t, "/reset-password")
	resp, body = env.Do(t, "POST", "/api/v1/auth/password-reset/confirm", "", map[string]string{"token": tokenOf(t, reset), "password": "Quince-harvest-91-lantern"})
	mustStatus(t, "reset confirm", resp, body, http.StatusNoContent)
	if es := audit(fpr.AuditPasswordReset); len(es) != 1 || es[0].Actor == nil || es[0].Actor.ID != u.User.ID {
		t.Errorf("reset audit = %+v, want one entry by the account's owner", es)
	}

	token := mustLoginToken(t, env, newEmail, "Quince-harvest-91-lantern")
	resp, body = env.Do(t, "DELETE", "/api/v1/me", token, map[string]string{"current_password": "Quince-harvest-91-lantern"})
	mustStatus(t, "delete", resp, body, http.StatusNoContent)
	if es := audit(fpr.AuditAccountDelete); len(es) != 1 {
		t.Errorf("deletion audit = %+v, want one entry", es)
	}
}
