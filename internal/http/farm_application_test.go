package http_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/fpr-team/fpr"
	"github.com/fpr-team/fpr/internal/fprtest"
	"github.com/fpr-team/fpr/internal/mailtest"
)

// Issue 12, farm applications: only a member with a verified e-mail
// applies (SPEC section 8, section 7: "an unverified member applying for a
// farm is 403"), the applicant is mailed the decision either way,
// applications are rate-limited, and the applicant can read where their
// application stands (GET /me/farm-applications, the application page).

// ownApplications is GET /api/v1/me/farm-applications as token.
func ownApplications(t *testing.T, env *fprtest.Env, token string) []applicationJSON {
	t.Helper()
	resp, b := env.Do(t, http.MethodGet, "/api/v1/me/farm-applications", token, nil)
	wantStatus(t, "GET /me/farm-applications", resp, b, http.StatusOK)
	return mustDecode[struct {
		Items []applicationJSON `json:"items"`
	}](t, b).Items
}

// decisionMails returns the farm decision mails received for addr.
func decisionMails(smtp *mailtest.Server, addr string) []*mailtest.Message {
	var out []*mailtest.Message
	for _, m := range smtp.To(addr) {
		if strings.Contains(m.Subject(), "Your application to list") {
			out = append(out, m)
		}
	}
	return out
}

func TestAPIFarmApplication_VerifiedEmailOnly(t *testing.T) {
	smtp := mailtest.Start(t, mailtest.Plain)
	env := fprtest.New(t, fprtest.WithMail(smtp))
	admin := env.MustUser(t, fpr.RoleAdmin)
	u := env.MustUnverifiedUser(t)
	body := map[string]string{"farm_name": "Dan's Dairy", "region": "Kent", "description": "Cows.", "contact": "0123"}

	resp, b := env.Do(t, http.MethodPost, "/api/v1/farm-applications", u.Token, body)
	wantStatus(t, "apply unverified", resp, b, http.StatusForbidden)
	if e := mustEnvelope(t, b); e.Error.Code != "forbidden" || e.Error.Message != fpr.ErrorMessage(fpr.ErrVerifyToApply) {
		t.Errorf("envelope = %+v, want forbidden telling to confirm the e-mail first", e)
	}
	if own := ownApplications(t, env, u.Token); len(own) != 0 {
		t.Errorf("own applications after a refusal = %+v, want none", own)
	}
	resp, b = env.Do(t, http.MethodGet, "/api/v1/farm-applications", admin.Token, nil)
	wantStatus(t, "admin list", resp, b, http.StatusOK)
	if n := len(mustDecode[struct {
		Items []applicationJSON `json:"items"`
	}](t, b).Items); n != 0 {
		t.Errorf("applications after a refusal = %d, want 0", n)
	}

	// Verified by the link of the mail, the member may apply.
	link := smtp.WaitFor(t, u.User.Email, "Confirm your e-mail").Link(t, "/verify-email")
	resp, b = env.Do(t, http.MethodPost, "/api/v1/auth/verify-email", "", map[string]string{"token": tokenOf(t, link)})
	wantStatus(t, "verify", resp, b, http.StatusNoContent)
	resp, b = env.Do(t, http.MethodPost, "/api/v1/farm-applications", u.Token, body)
	wantStatus(t, "apply once verified", resp, b, http.StatusCreated)
	own := ownApplications(t, env, u.Token)
	if len(own) != 1 || own[0].Status != "pending" || own[0].Applicant.ID != u.User.ID || own[0].Contact != "0123" {
		t.Errorf("own applications = %+v, want the pending one", own)
	}
	// Another user's list does not show it.
	if other := ownApplications(t, env, env.MustUser(t, fpr.RoleMember).Token); len(other) != 0 {
		t.Errorf("another member sees %+v", other)
	}
	resp, b = env.Do(t, http.MethodGet, "/api/v1/me/farm-applications?status=maybe", u.Token, nil)
	wantStatus(t, "own applications with a bad status", resp, b, http.StatusUnprocessableEntity)
}

func TestFarmApplication_DecisionMailedOverSMTP(t *testing.T) {
	smtp := mailtest.Start(t, mailtest.Plain)
	env := fprtest.New(t, fprtest.WithMail(smtp))
	admin, ann, bob := env.MustUser(t, fpr.RoleAdmin), env.MustUser(t, fpr.RoleMember), env.MustUser(t, fpr.RoleMember)
	apply := func(u *fprtest.TestUser, name string) string {
		t.Helper()
		resp, b := env.Do(t, http.MethodPost, "/api/v1/farm-applications", u.Token,
			map[string]string{"farm_name": name, "region": "Kent", "description": "Apples.", "contact": "0123"})
		wantStatus(t, "apply", resp, b, http.StatusCreated)
		return mustDecode[struct {
			Application applicationJSON `json:"application"`
		}](t, b).Application.ID
	}
	annFarm := `Ann's <script>alert(1)</script> Orchard`
	annApp, bobApp := apply(ann, annFarm), apply(bob, "Bob's Barn")

	// Refused decisions: nothing is decided, nothing is mailed.
	for _, x := range []struct {
		what, token, id string
		body            map[string]string
		want            int
	}{
		{"by a member", ann.Token, annApp, map[string]string{"action": "approve"}, http.StatusForbidden},
		{"a bad action", admin.Token, annApp, map[string]string{"action": "maybe"}, http.StatusUnprocessableEntity},
		{"reject without a note", admin.Token, bobApp, map[string]string{"action": "reject", "note": " "}, http.StatusUnprocessableEntity},
		{"an unknown application", admin.Token, "nope", map[string]string{"action": "approve"}, http.StatusNotFound},
	} {
		resp, b := env.Do(t, http.MethodPost, "/api/v1/farm-applications/"+x.id, x.token, x.body)
		wantStatus(t, x.what, resp, b, x.want)
	}

	resp, b := env.Do(t, http.MethodPost, "/api/v1/farm-applications/"+annApp, admin.Token,
		map[string]string{"action": "approve", "note": `Welcome <b onmouseover="x">friend</b>!`})
	wantStatus(t, "approve", resp, b, http.StatusOK)
	approved := mustDecode[struct {
		Application applicationJSON `json:"application"`
	}](t, b).Application
	resp, b = env.Do(t, http.MethodPost, "/api/v1/farm-applications/"+annApp, admin.Token, map[string]string{"action": "reject", "note": "No."})
	wantStatus(t, "decide twice", resp, b, http.StatusConflict)

	m := smtp.WaitFor(t, ann.User.Email, "is approved")
	if link := m.Link(t, "/farms/"); link != env.URL+"/farms/"+*approved.FarmID {
		t.Errorf("farm link = %s, want %s/farms/%s", link, env.URL, *approved.FarmID)
	}
	if link := m.Link(t, "/admin/farms/"); link != env.URL+"/admin/farms/"+*approved.FarmID+"#new-product" {
		t.Errorf("add-a-product link = %s", link)
	}
	if !strings.Contains(m.Text, annFarm) || !strings.Contains(m.Text, `Welcome <b onmouseover="x">friend</b>!`) {
		t.Errorf("text part lacks the farm name or the note:\n%s", m.Text)
	}
	if strings.Contains(m.HTML, "<script>") || strings.Contains(m.HTML, "<b onmouseover") ||
		!strings.Contains(m.HTML, "&lt;script&gt;alert(1)&lt;/script&gt;") || !strings.Contains(m.HTML, "&lt;b onmouseover=") {
		t.Errorf("hostile farm name or note not escaped in the HTML part:\n%s", m.HTML)
	}
	if m.Header.Get("List-Unsubscribe") != "" {
		t.Errorf("the answer to an application carries List-Unsubscribe %q: it is not a notification", m.Header.Get("List-Unsubscribe"))
	}

	resp, b = env.Do(t, http.MethodPost, "/api/v1/farm-applications/"+bobApp, admin.Token,
		map[string]string{"action": "reject", "note": `We could not reach you at <0123> & "the farm".`})
	wantStatus(t, "reject", resp, b, http.StatusOK)
	r := smtp.WaitFor(t, bob.User.Email, "was not approved")
	if !strings.Contains(r.Text, `The admin's note: We could not reach you at <0123> & "the farm".`) || !strings.Contains(r.Text, "apply again") {
		t.Errorf("rejection text:\n%s", r.Text)
	}
	r.Link(t, "/account/farm-application")
	if strings.Contains(r.HTML, "<0123>") || !strings.Contains(r.HTML, "&lt;0123&gt; &amp;") {
		t.Errorf("rejection HTML does not escape the note:\n%s", r.HTML)
	}

	// The refused decisions came before these two: had they mailed, their
	// mails would have arrived first. One mail each.
	if n := len(decisionMails(smtp, ann.User.Email)); n != 1 {
		t.Errorf("ann got %d decision mails, want 1", n)
	}
	if n := len(decisionMails(smtp, bob.User.Email)); n != 1 {
		t.Errorf("bob got %d decision mails, want 1", n)
	}
	outbox, _, err := env.DB.FindMail(env.Ctx(admin.User), fpr.MailFilter{Page: fpr.Page{Limit: fpr.MaxLimit}})
	if err != nil {
		t.Fatal(err)
	}
	decided := 0
	for _, m := range outbox {
		if m.Kind == fpr.MailFarmApplicationDecided {
			decided++
		}
	}
	if decided != 2 {
		t.Errorf("decision mails in the outbox = %d, want 2", decided)
	}

	// The applicants read where they stand.
	if own := ownApplications(t, env, ann.Token); len(own) != 1 || own[0].Status != "approved" || own[0].FarmID == nil || *own[0].FarmID != *approved.FarmID {
		t.Errorf("ann's applications = %+v", own)
	}
	if own := ownApplications(t, env, bob.Token); len(own) != 1 || own[0].Status != "rejected" || !strings.Contains(own[0].Note, "<0123>") {
		t.Errorf("bob's applications = %+v", own)
	}
	bb := newBrowser(t, env)
	bb.login(bob)
	p := bb.get("/account/farm-application")
	if p.StatusCode != http.StatusOK || !strings.Contains(p.text("#application-rejected"), "Bob's Barn") ||
		p.text("#application-note") != `We could not reach you at <0123> & "the farm".` || p.find("#apply-form").Length() != 1 {
		t.Errorf("bob's application page: %d %q", p.StatusCode, p.text("main"))
	}
	ab := newBrowser(t, env)
	ab.login(ann)
	p = ab.get("/account/farm-application")
	if p.attr("#application-farm-link", "href") != "/farms/"+*approved.FarmID || p.find("#apply-form").Length() != 0 ||
		p.attr("#application-product-link", "href") != "/admin/farms/"+*approved.FarmID+"#new-product" {
		t.Errorf("ann's application page: %q", p.text("main"))
	}
}

func TestFarmApplication_RateLimited(t *testing.T) {
	env := fprtest.New(t, fprtest.WithLoopbackProxy())
	admin, ann := env.MustUser(t, fpr.RoleAdmin), env.MustUser(t, fpr.RoleMember)
	body := func(i int) map[string]string {
		return map[string]string{"farm_name": fmt.Sprintf("Farm %d", i), "region": "Kent", "description": "x", "contact": "y"}
	}
	// Per account: each application is rejected so the next may be sent.
	l := limitOf(fpr.LimitFarmApplication, fpr.PerAccount)
	flood(t, "application by one account", l.Count, http.StatusCreated, l.Window, func(i int) (*http.Response, []byte) {
		resp, b := env.DoFrom(t, "192.0.2.40", http.MethodPost, "/api/v1/farm-applications", ann.Token, body(i))
		if resp.StatusCode == http.StatusCreated {
			id := mustDecode[struct {
				Application applicationJSON `json:"application"`
			}](t, b).Application.ID
			r2, b2 := env.Do(t, http.MethodPost, "/api/v1/farm-applications/"+id, admin.Token, map[string]string{"action": "reject", "note": "Not yet."})
			wantStatus(t, "reject", r2, b2, http.StatusOK)
		}
		return resp, b
	})
	if own := ownApplications(t, env, ann.Token); len(own) != l.Count {
		t.Errorf("ann has %d applications, want %d (the refused one not written)", len(own), l.Count)
	}
	// Per address: fresh members from one address.
	l = limitOf(fpr.LimitFarmApplication, fpr.PerAddress)
	flood(t, "application from one address", l.Count, http.StatusCreated, l.Window, func(i int) (*http.Response, []byte) {
		return env.DoFrom(t, "192.0.2.41", http.MethodPost, "/api/v1/farm-applications", env.MustUser(t, fpr.RoleMember).Token, body(i))
	})
	// The form answers the same 429, keeping what was typed. The browser
	// sends no X-Forwarded-For: its address is the loopback peer's.
	for i := range l.Count {
		resp, b := env.Do(t, http.MethodPost, "/api/v1/farm-applications", env.MustUser(t, fpr.RoleMember).Token, body(i))
		wantStatus(t, "fill the loopback address's limit", resp, b, http.StatusCreated)
	}
	br := newBrowser(t, env)
	br.login(env.MustUser(t, fpr.RoleMember))
	p := br.post("/account/farm-application", url.Values{"farm_name": {"Hill Farm"}, "region": {"Cumbria"}, "description": {"Sheep."}, "contact": {"0123"}})
	if p.StatusCode != http.StatusTooManyRequests || p.Header.Get("Retry-After") == "" || p.attr("#farm_name", "value") != "Hill Farm" ||
		!strings.Contains(p.text("#apply-errors"), "farm applications") {
		t.Errorf("the form past the limit = %d (Retry-After %q), farm name %q, errors %q; want 429 with the input kept",
			p.StatusCode, p.Header.Get("Retry-After"), p.attr("#farm_name", "value"), p.text("#apply-errors"))
	}
}

// The page of an unverified member says to verify first and offers a new
// link, which leads back to the application; a post anyway is 403 and
// writes nothing.
func TestFarmPages_ApplyNeedsVerifiedEmail(t *testing.T) {
	env := fprtest.New(t)
	admin := env.MustUser(t, fpr.RoleAdmin)
	u := env.MustUnverifiedUser(t)
	b := newBrowser(t, env)
	b.login(u)
	if p := b.get("/account"); p.attr("#apply-link", "href") != "/account/farm-application" {
		t.Error("the account page of an unverified member has no link to apply")
	}
	p := b.get("/account/farm-application")
	if p.StatusCode != http.StatusOK || p.find("#apply-form").Length() != 0 || !strings.Contains(p.text("#apply-verify-text"), u.User.Email) {
		t.Fatalf("application page of an unverified member: %d %q", p.StatusCode, p.text("main"))
	}
	if p.attr("#apply-verification-form", "action") != "/account/verification-email" ||
		p.attr("#apply-verification-form input[name=next]", "value") != "/account/farm-application" {
		t.Errorf("the page offers no new verification link leading back")
	}
	p = b.post("/account/verification-email", url.Values{"next": {"/account/farm-application"}})
	if p.StatusCode != http.StatusSeeOther || p.Header.Get("Location") != "/account/farm-application" {
		t.Errorf("new link = %d to %q, want 303 back to the application", p.StatusCode, p.Header.Get("Location"))
	}
	if p = b.follow(p); !strings.Contains(p.text("#flash"), "new link") {
		t.Errorf("after asking for a new link: flash %q", p.text("#flash"))
	}
	p = b.post("/account/verification-email", url.Values{"next": {"https://evil.example/"}})
	if loc := p.Header.Get("Location"); loc != "/" {
		t.Errorf("new link with a foreign next = %q, want /", loc)
	}

	p = b.post("/account/farm-application", url.Values{"farm_name": {"Hill Farm"}, "region": {"Cumbria"}, "description": {"Sheep."}, "contact": {"0123"}})
	if p.StatusCode != http.StatusForbidden || p.find("#apply-verify").Length() != 1 || p.find("#apply-form").Length() != 0 {
		t.Errorf("an unverified member's post = %d %q, want 403 with the verification notice", p.StatusCode, p.text("main"))
	}
	apps, _, err := env.DB.FindFarmApplications(env.Ctx(admin.User), fpr.FarmApplicationFilter{})
	if err != nil || len(apps) != 0 {
		t.Errorf("applications after the refused post = %d, %v; want none", len(apps), err)
	}
}
