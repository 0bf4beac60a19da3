package http_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/fpr-team/fpr"
	"github.com/fpr-team/fpr/internal/fprtest"
	"github.com/fpr-team/fpr/internal/mailtest"
)

// tokenOf returns the token query parameter of a link from a mail.
func tokenOf(t *testing.T, link string) string {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil || u.Query().Get("token") == "" {
		t.Fatalf("link %q has no token", link)
	}
	return u.Query().Get("token")
}

func meJSON(t *testing.T, env *fprtest.Env, token string) map[string]any {
	t.Helper()
	resp, body := env.Do(t, "GET", "/api/v1/me", token, nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /me = %d %s", resp.StatusCode, body)
	}
	var out struct {
		User map[string]any `json:"user"`
	}
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatal(err)
	}
	return out.User
}

// Registration mails a link over SMTP; following it verifies the e-mail
// once, and the review written meanwhile publishes, into the rating
// summary, in the verification's transaction.
func TestAPIVerifyEmail_FromMail(t *testing.T) {
	smtp := mailtest.Start(t, mailtest.Plain)
	env := fprtest.New(t, fprtest.WithMail(smtp))
	producer := env.MustUser(t, fpr.RoleProducer)
	productID := mustFarmProduct(t, env, producer.User)

	email := "newcomer-verify@example.org"
	resp, body := env.Do(t, "POST", "/api/v1/auth/register", "", register(email, goodPassword, "Newcomer"))
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("register = %d %s", resp.StatusCode, body)
	}
	if !strings.Contains(string(body), `"email_verified":false`) {
		t.Errorf("register body = %s, want email_verified false", body)
	}
	token := mustLoginToken(t, env, email, goodPassword)

	// A review before verification waits, out of the summary.
	resp, body = env.Do(t, "POST", "/api/v1/products/"+productID+"/reviews", token, map[string]any{"rating": 2, "body": "Soft and a bit bland."})
	if resp.StatusCode != http.StatusCreated || !strings.Contains(string(body), `"status":"pending"`) {
		t.Fatalf("review before verification = %d %s, want 201 pending", resp.StatusCode, body)
	}
	if p, err := env.DB.FindProductByID(env.Ctx(nil), productID); err != nil || p.Rating.Count != 0 {
		t.Fatalf("summary before verification = %+v, %v; want empty", p.Rating, err)
	}

	m := smtp.WaitFor(t, email, "Confirm your e-mail")
	link := m.Link(t, "/verify-email")
	if !strings.HasPrefix(link, env.URL+"/verify-email?token=") {
		t.Errorf("link = %s, want FPR_BASE_URL/verify-email?token=…", link)
	}
	verify := tokenOf(t, link)
	resp, body = env.Do(t, "POST", "/api/v1/auth/verify-email", "", map[string]string{"token": verify})
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("verify = %d %s, want 204", resp.StatusCode, body)
	}
	if me := meJSON(t, env, token); me["email_verified"] != true {
		t.Errorf("me after verification = %v, want email_verified true", me)
	}
	p, err := env.DB.FindProductByID(env.Ctx(nil), productID)
	if err != nil || p.Rating.Count != 1 || p.Rating.Sum != 2 {
		t.Errorf("summary after verification = %+v, %v; want the review counted", p.Rating, err)
	}

	// Single-use: the replay, a forged token and an empty one are 422
	// with the field named, and change nothing.
	for _, tok := range []string{verify, verify[:len(verify)-1] + "x", "", strings.Repeat("a", 200)} {
		resp, body = env.Do(t, "POST", "/api/v1/auth/verify-email", "", map[string]string{"token": tok})
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(string(body), `"token"`) {
			t.Errorf("verify(%.10q) = %d %s, want 422 naming token", tok, resp.StatusCode, body)
		}
	}
	// Verified: no new link.
	resp, _ = env.Do(t, "POST", "/api/v1/me/verification-email", token, nil)
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("resend when verified = %d, want 422", resp.StatusCode)
	}
}

// A verification link is valid 24 hours; a resent link works and the
// first one then no longer does.
func TestAPIVerifyEmail_ExpiresAndResend(t *testing.T) {
	smtp := mailtest.Start(t, mailtest.Plain)
	clock := fprtest.NewClock(time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC))
	env := fprtest.New(t, fprtest.WithMail(smtp), fprtest.WithClock(clock.Now))
	u := env.MustUnverifiedUser(t)
	first := tokenOf(t, smtp.WaitFor(t, u.User.Email, "Confirm").Link(t, "/verify-email"))

	clock.Advance(24*time.Hour + time.Second)
	resp, _ := env.Do(t, "POST", "/api/v1/auth/verify-email", "", map[string]string{"token": first})
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("verify after 24 h = %d, want 422", resp.StatusCode)
	}
	resp, body := env.Do(t, "POST", "/api/v1/me/verification-email", u.Token, nil)
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("resend = %d %s, want 202", resp.StatusCode, body)
	}
	var second string
	deadline := time.Now().Add(15 * time.Second)
	for second == "" && time.Now().Before(deadline) {
		for _, m := range smtp.To(u.User.Email) {
			if tok := tokenOf(t, m.Link(t, "/verify-email")); tok != first {
				second = tok
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	if second == "" {
		t.Fatal("no second verification mail arrived")
	}
	resp, _ = env.Do(t, "POST", "/api/v1/auth/verify-email", "", map[string]string{"token": second})
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("verify with the resent link = %d, want 204", resp.StatusCode)
	}
	if me := meJSON(t, env, u.Token); me["email_verified"] != true {
		t.Errorf("me = %v, want verified", me)
	}
}

func mustLoginToken(t *testing.T, env *fprtest.Env, email, password string) string {
	t.Helper()
	resp, body := env.Do(t, "POST", "/api/v1/auth/login", "", map[string]string{"email": email, "password": password})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("login %s = %d %s", email, resp.StatusCode, body)
	}
	var out struct {
		Token string `json:"token"`
	}
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatal(err)
	}
	return out.Token
}
