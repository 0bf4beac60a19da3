package http_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/fpr-team/fpr"
	"github.com/fpr-team/fpr/internal/fprtest"
	"github.com/fpr-team/fpr/internal/mailtest"
	"github.com/fpr-team/fpr/internal/store"
)

func mustStatus(t *testing.T, what string, resp *http.Response, body []byte, want int) {
	t.Helper()
	if resp.StatusCode != want {
		t.Fatalf("%s = %d %s, want %d", what, resp.StatusCode, body, want)
	}
}

func mustReviewID(t *testing.T, env *fprtest.Env, token, productID string, rating int) string {
	t.Helper()
	resp, body := env.Do(t, "POST", "/api/v1/products/"+productID+"/reviews", token, map[string]any{"rating": rating, "body": "Tasty and fresh."})
	mustStatus(t, "create review", resp, body, http.StatusCreated)
	var out struct {
		Review struct {
			ID string `json:"id"`
		} `json:"review"`
	}
	if err := json.Unmarshal(body, &out); err != nil || out.Review.ID == "" {
		t.Fatalf("create review: %s (%v)", body, err)
	}
	return out.Review.ID
}

// oneClick posts the RFC 8058 one-click body to a List-Unsubscribe URL as
// a mail provider does: no cookie, no Origin header.
func oneClick(t *testing.T, rawURL string) int {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, rawURL, strings.NewReader("List-Unsubscribe=One-Click"))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// A producer hears of a new review; the author hears of the farm's reply
// and of the moderator's decision. Notifications carry one-click
// List-Unsubscribe; following it (or the account page's switch) stops
// that notification and no other.
func TestNotifications_OverSMTP(t *testing.T) {
	smtp := mailtest.Start(t, mailtest.Plain)
	env := fprtest.New(t, fprtest.WithMail(smtp))
	producer := env.MustUser(t, fpr.RoleProducer)
	author := env.MustUser(t, fpr.RoleMember)
	mod := env.MustUser(t, fpr.RoleModerator)
	productID := mustFarmProduct(t, env, producer.User)

	reviewID := mustReviewID(t, env, author.Token, productID, 4)
	m := smtp.WaitFor(t, producer.User.Email, "New review of")
	unsub := m.Header.Get("List-Unsubscribe")
	if !strings.HasPrefix(unsub, "<"+env.URL+"/unsubscribe?token=") || !strings.HasSuffix(unsub, ">") {
		t.Errorf("List-Unsubscribe = %q, want <BASE/unsubscribe?token=…>", unsub)
	}
	if got := m.Header.Get("List-Unsubscribe-Post"); got != "List-Unsubscribe=One-Click" {
		t.Errorf("List-Unsubscribe-Post = %q", got)
	}
	if link := m.Link(t, "/products/"); !strings.Contains(link, productID) || !strings.Contains(link, reviewID) {
		t.Errorf("review link = %s", link)
	}

	resp, body := env.Do(t, "PUT", "/api/v1/reviews/"+reviewID+"/reply", producer.Token, map[string]string{"body": "Thank you!"})
	mustStatus(t, "reply", resp, body, http.StatusOK)
	reply := smtp.WaitFor(t, author.User.Email, "replied to your review")

	resp, body = env.Do(t, "POST", "/api/v1/moderation/reviews/"+reviewID, mod.Token, map[string]string{"action": "remove", "note": "Off <topic>"})
	mustStatus(t, "moderate", resp, body, http.StatusOK)
	decided := smtp.WaitFor(t, author.User.Email, "A moderator decided")
	if !strings.Contains(decided.Text, "it was removed") || !strings.Contains(decided.Text, "Off <topic>") || !strings.Contains(decided.HTML, "Off &lt;topic&gt;") {
		t.Errorf("decision mail:\n%s\n%s", decided.Text, decided.HTML)
	}

	// One click on the reply mail's link: replies stop, decisions do not.
	replyUnsub := strings.Trim(reply.Header.Get("List-Unsubscribe"), "<>")
	if got := oneClick(t, replyUnsub); got != http.StatusOK {
		t.Fatalf("one-click unsubscribe = %d, want 200", got)
	}
	if got := oneClick(t, replyUnsub); got != http.StatusOK {
		t.Errorf("a second one-click = %d, want 200 (idempotent)", got)
	}
	if got := oneClick(t, env.URL+"/unsubscribe?token=forged"); got != http.StatusUnprocessableEntity {
		t.Errorf("a forged unsubscribe token = %d, want 422", got)
	}
	settings, err := env.Auth.NotificationSettings(env.Ctx(author.User))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range settings {
		if s.Enabled != (s.Topic != fpr.TopicReplyReceived) {
			t.Errorf("after unsubscribing from replies, %s = %v", s.Topic, s.Enabled)
		}
	}
	second := mustFarmProduct(t, env, producer.User)
	review2 := mustReviewID(t, env, author.Token, second, 5)
	resp, body = env.Do(t, "PUT", "/api/v1/reviews/"+review2+"/reply", producer.Token, map[string]string{"body": "Thanks again"})
	mustStatus(t, "second reply", resp, body, http.StatusOK)
	resp, body = env.Do(t, "POST", "/api/v1/moderation/reviews/"+review2, mod.Token, map[string]string{"action": "reject", "note": ""})
	mustStatus(t, "second decision", resp, body, http.StatusOK)
	// The decision was written after the reply: once it has arrived (the
	// author's third mail), a reply mail would have too.
	smtp.WaitForCount(t, author.User.Email, 3)
	var replies, decisions int
	for _, m := range smtp.To(author.User.Email) {
		switch {
		case strings.Contains(m.Subject(), "replied"):
			replies++
		case strings.Contains(m.Subject(), "decided"):
			decisions++
		}
	}
	if decisions != 2 {
		t.Errorf("the author got %d decision mails, want 2", decisions)
	}
	if replies != 1 {
		t.Errorf("the author got %d reply mails, want 1 (unsubscribed before the second)", replies)
	}

	// The producer switches review mails off on the account page.
	b := newBrowser(t, env)
	b.login(producer)
	acct := b.get("/account")
	if acct.find("#topic-review_received:checked").Length() != 1 {
		t.Fatalf("account page: review notifications not shown as on")
	}
	p := b.post("/account/notifications", url.Values{"topic": {"reply_received", "review_decided"}})
	acct = b.follow(p)
	if acct.find("#topic-review_received:checked").Length() != 0 || acct.find("#topic-review_decided:checked").Length() != 1 {
		t.Errorf("after switching off, the boxes are %q", acct.find("#notifications-form input:checked").Text())
	}
	if p := b.post("/account/notifications", url.Values{"topic": {"birthday"}}); p.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("an unknown topic = %d, want 422", p.StatusCode)
	}
	admin := env.MustUser(t, fpr.RoleAdmin)
	reviewMails := func() int {
		outbox, _, err := env.DB.FindMail(env.Ctx(admin.User), fpr.MailFilter{Page: fpr.Page{Limit: fpr.MaxLimit}})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, m := range outbox {
			if m.To == producer.User.Email && m.Kind == fpr.MailReviewReceived {
				n++
			}
		}
		return n
	}
	before := reviewMails()
	other := env.MustUser(t, fpr.RoleMember)
	mustReviewID(t, env, other.Token, productID, 3)
	// The outbox is written in the review's transaction: nothing to wait for.
	if got := reviewMails(); got != before {
		t.Errorf("%d review mails were written to the producer after they switched them off", got-before)
	}
}

// recount rebuilds every product's summary from the reviews and returns
// the product's summary before and after.
func recount(t *testing.T, db *store.DB, productID string) (before, after fpr.Rating) {
	t.Helper()
	p, err := db.FindProductByID(context.Background(), productID)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Load(context.Background(), func(l *store.Loader) error { return l.RecountRatings() }); err != nil {
		t.Fatal(err)
	}
	q, err := db.FindProductByID(context.Background(), productID)
	if err != nil {
		t.Fatal(err)
	}
	return p.Rating, q.Rating
}

// Deleting one's account erases the personal data, ends every session,
// keeps the reviews as "Former member", and leaves the rating summary
// exact (equal to a recount from the reviews).
func TestAPIMe_Delete(t *testing.T) {
	env := fprtest.New(t)
	producer := env.MustUser(t, fpr.RoleProducer)
	productID := mustFarmProduct(t, env, producer.User)
	u := env.MustUser(t, fpr.RoleMember)
	other := env.MustUser(t, fpr.RoleMember)
	reviewID := mustReviewID(t, env, u.Token, productID, 2)
	mustReviewID(t, env, other.Token, productID, 5)
	summary, _ := recount(t, env.DB, productID)

	resp, body := env.Do(t, "DELETE", "/api/v1/me", u.Token, map[string]string{"current_password": "wrong-password-1"})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(string(body), `"current_password"`) {
		t.Fatalf("delete with a wrong password = %d %s, want 422 naming current_password", resp.StatusCode, body)
	}
	resp, body = env.Do(t, "DELETE", "/api/v1/me", u.Token, map[string]string{"current_password": u.Password})
	mustStatus(t, "delete", resp, body, http.StatusNoContent)

	if status := meStatusBearer(t, env, u.Token); status != http.StatusUnauthorized {
		t.Errorf("the token after deletion answers %d, want 401", status)
	}
	resp, _ = env.Do(t, "POST", "/api/v1/auth/login", "", map[string]string{"email": u.User.Email, "password": u.Password})
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("login after deletion = %d, want 401", resp.StatusCode)
	}
	resp, body = env.Do(t, "GET", "/api/v1/reviews/"+reviewID, "", nil)
	mustStatus(t, "the review after deletion", resp, body, http.StatusOK)
	if !strings.Contains(string(body), `"display_name":"Former member"`) || strings.Contains(string(body), u.User.DisplayName) {
		t.Errorf("review after deletion = %s, want author Former member", body)
	}
	before, after := recount(t, env.DB, productID)
	if before != summary || after != summary {
		t.Errorf("summary before deletion %+v, after %+v, recounted %+v: want all equal", summary, before, after)
	}
	// The personal data is gone from the database.
	var email, name string
	if got, err := env.DB.FindUserByID(context.Background(), u.User.ID); err != nil {
		t.Fatal(err)
	} else {
		email, name = got.Email, got.DisplayName
	}
	if email != "" || name != fpr.FormerMemberName {
		t.Errorf("the deleted user row keeps e-mail %q, name %q", email, name)
	}
	// The address is free again.
	resp, body = env.Do(t, "POST", "/api/v1/auth/register", "", register(u.User.Email, goodPassword, "Back again"))
	mustStatus(t, "register the freed address", resp, body, http.StatusCreated)
}

// A new e-mail needs the current password, takes effect when its link is
// followed, and the old address is told.
func TestAPIMe_EmailChange(t *testing.T) {
	smtp := mailtest.Start(t, mailtest.Plain)
	env := fprtest.New(t, fprtest.WithMail(smtp))
	u := env.MustUser(t, fpr.RoleMember)
	taken := env.MustUser(t, fpr.RoleMember)
	newEmail := "moved-" + u.User.Email

	for _, tt := range []struct {
		name  string
		in    map[string]string
		want  int
		field string
	}{
		{"NoPassword", map[string]string{"email": newEmail}, http.StatusUnprocessableEntity, "current_password"},
		{"WrongPassword", map[string]string{"email": newEmail, "current_password": "not-the-password"}, http.StatusUnprocessableEntity, "current_password"},
		{"BadAddress", map[string]string{"email": "no at sign", "current_password": u.Password}, http.StatusUnprocessableEntity, "email"},
		{"Taken", map[string]string{"email": strings.ToUpper(taken.User.Email), "current_password": u.Password}, http.StatusConflict, "email"},
		{"Same", map[string]string{"email": u.User.Email, "current_password": u.Password}, http.StatusUnprocessableEntity, "email"},
		{"EmptyName", map[string]string{"display_name": "  "}, http.StatusUnprocessableEntity, "display_name"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := env.Do(t, "PATCH", "/api/v1/me", u.Token, tt.in)
			if resp.StatusCode != tt.want || !strings.Contains(string(body), `"`+tt.field+`"`) {
				t.Errorf("PATCH /me %v = %d %s, want %d naming %s", tt.in, resp.StatusCode, body, tt.want, tt.field)
			}
		})
	}
	if me := meJSON(t, env, u.Token); me["email"] != u.User.Email || me["display_name"] != u.User.DisplayName {
		t.Fatalf("refused changes changed the account: %v", me)
	}

	resp, body := env.Do(t, "PATCH", "/api/v1/me", u.Token, map[string]string{"email": newEmail, "current_password": u.Password, "display_name": "Renamed Ann"})
	mustStatus(t, "change", resp, body, http.StatusOK)
	if !strings.Contains(string(body), `"email":"`+u.User.Email+`"`) || !strings.Contains(string(body), `"display_name":"Renamed Ann"`) {
		t.Errorf("PATCH /me = %s, want the old e-mail (until verified) and the new name", body)
	}
	told := smtp.WaitFor(t, u.User.Email, "is being changed")
	if !strings.Contains(told.Text, newEmail) {
		t.Errorf("the old address's notice does not name the new one:\n%s", told.Text)
	}
	link := smtp.WaitFor(t, newEmail, "Confirm your e-mail").Link(t, "/verify-email")
	resp, body = env.Do(t, "POST", "/api/v1/auth/verify-email", "", map[string]string{"token": tokenOf(t, link)})
	mustStatus(t, "verify the new address", resp, body, http.StatusNoContent)
	if me := meJSON(t, env, u.Token); me["email"] != newEmail || me["email_verified"] != true {
		t.Errorf("me after verifying = %v, want the new e-mail, verified", me)
	}
	mustLoginToken(t, env, newEmail, u.Password)
	resp, _ = env.Do(t, "POST", "/api/v1/auth/login", "", map[string]string{"email": u.User.Email, "password": u.Password})
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("login with the old address = %d, want 401", resp.StatusCode)
	}
}

// The export holds every personal datum, as an attachment, and no secret.
func TestAPIMe_Export(t *testing.T) {
	env := fprtest.New(t)
	producer := env.MustUser(t, fpr.RoleProducer)
	productID := mustFarmProduct(t, env, producer.User)
	u := env.MustUser(t, fpr.RoleMember)
	other := env.MustUser(t, fpr.RoleMember)
	mine := mustReviewID(t, env, u.Token, productID, 4)
	theirs := mustReviewID(t, env, other.Token, productID, 2)
	resp, body := env.Do(t, "PUT", "/api/v1/reviews/"+theirs+"/helpful", u.Token, nil)
	mustStatus(t, "vote", resp, body, http.StatusNoContent)
	resp, body = env.Do(t, "POST", "/api/v1/reviews/"+theirs+"/flags", u.Token, map[string]string{"reason": "spam", "note": "copy-paste"})
	if resp.StatusCode >= 300 {
		t.Fatalf("flag = %d %s", resp.StatusCode, body)
	}
	resp, body = env.Do(t, "GET", "/api/v1/me/export", u.Token, nil)
	mustStatus(t, "export", resp, body, http.StatusOK)
	if got := resp.Header.Get("Content-Disposition"); !strings.HasPrefix(got, "attachment;") {
		t.Errorf("Content-Disposition = %q, want an attachment", got)
	}
	var x struct {
		User struct {
			Email string `json:"email"`
		} `json:"user"`
		Reviews      []struct{ ID string } `json:"reviews"`
		HelpfulVotes []struct {
			ReviewID string `json:"review_id"`
		} `json:"helpful_votes"`
		Flags []struct {
			Note string `json:"note"`
		} `json:"flags"`
		Sessions      []struct{ Kind string } `json:"sessions"`
		Notifications map[string]bool         `json:"notifications"`
	}
	if err := json.Unmarshal(body, &x); err != nil {
		t.Fatal(err)
	}
	if x.User.Email != u.User.Email || len(x.Reviews) != 1 || x.Reviews[0].ID != mine || len(x.HelpfulVotes) != 1 ||
		x.HelpfulVotes[0].ReviewID != theirs || len(x.Flags) != 1 || x.Flags[0].Note != "copy-paste" || len(x.Sessions) == 0 ||
		len(x.Notifications) != len(fpr.Topics) {
		t.Errorf("export = %s", body)
	}
	for _, secret := range []string{u.Token, u.Password, "password_hash", "token"} {
		if strings.Contains(string(body), secret) {
			t.Errorf("the export contains %q", secret)
		}
	}
}
