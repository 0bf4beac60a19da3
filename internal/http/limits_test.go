package http_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fpr-team/fpr"
	"github.com/fpr-team/fpr/internal/app"
	"github.com/fpr-team/fpr/internal/fprtest"
	"github.com/fpr-team/fpr/internal/storetest"
)

// Issue 10, item 1: every write is rate-limited per account and per client
// address, counted in the database. Each test floods one limit: the first
// N writes succeed, the N+1th is 429 rate_limited with a Retry-After within
// the window. FPR_TEST_BACKEND=postgres runs them on PostgreSQL.

// wantLimited checks a 429 rate_limited answer whose Retry-After is in
// (0, window].
func wantLimited(t *testing.T, what string, resp *http.Response, body []byte, window time.Duration) {
	t.Helper()
	if resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("%s = %d %s, want 429", what, resp.StatusCode, body)
	}
	secs, err := strconv.Atoi(resp.Header.Get("Retry-After"))
	if err != nil || secs <= 0 || time.Duration(secs)*time.Second > window {
		t.Errorf("%s: Retry-After %q, want 1–%d seconds", what, resp.Header.Get("Retry-After"), int(window.Seconds()))
	}
	if e := mustEnvelope(t, body); e.Error.Code != "rate_limited" || e.Error.Message == "" {
		t.Errorf("%s: envelope %+v, want rate_limited with a message", what, e)
	}
}

// flood sends n+1 requests through do: the first n must answer ok, the
// last 429.
func flood(t *testing.T, what string, n, ok int, window time.Duration, do func(i int) (*http.Response, []byte)) {
	t.Helper()
	for i := range n {
		if resp, body := do(i); resp.StatusCode != ok { //nolint:bodyclose // do returns Env.Do's answer, whose body Do has read and closed
			t.Fatalf("%s %d of %d = %d %s, want %d", what, i+1, n, resp.StatusCode, body, ok)
		}
	}
	resp, body := do(n) //nolint:bodyclose // do returns Env.Do's answer, whose body Do has read and closed
	wantLimited(t, fmt.Sprintf("%s %d (over the limit of %d)", what, n+1, n), resp, body, window)
}

func limitOf(kind fpr.LimitKind, subject fpr.LimitSubject) fpr.RateLimit {
	for _, l := range fpr.DefaultRateLimits {
		if l.Kind == kind && l.Subject == subject {
			return l
		}
	}
	panic("no default limit " + string(kind) + "." + string(subject))
}

// reviewsBy makes n published reviews by fresh authors of one product, and
// returns their IDs.
func reviewsBy(t *testing.T, env *fprtest.Env, productID string, n int) []string {
	t.Helper()
	var ids []string
	for range n {
		u := env.MustUser(t, fpr.RoleMember)
		r := &fpr.Review{ProductID: productID, Rating: 4, Body: "Good."}
		if err := env.DB.CreateReview(env.Ctx(u.User), r); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, r.ID)
	}
	return ids
}

// productsOf makes n products of one farm.
func productsOf(t *testing.T, env *fprtest.Env, n int) []string {
	t.Helper()
	producer := env.MustUser(t, fpr.RoleProducer)
	ids := []string{mustFarmProduct(t, env, producer.User)}
	p, err := env.DB.FindProductByID(env.Ctx(nil), ids[0])
	if err != nil {
		t.Fatal(err)
	}
	for len(ids) < n {
		ids = append(ids, mustProductIn(t, env, producer.User, p.FarmID))
	}
	return ids
}

// TestRateLimits_Defaults floods the limits SPEC section 7 names, at their
// default values, over the API.
func TestRateLimits_Defaults(t *testing.T) {
	t.Parallel()
	t.Run("RegisterPerAddress", func(t *testing.T) {
		// Issue 10: 60 registrations from one address in 2.6 s, all 201.
		t.Parallel()
		env := fprtest.New(t, fprtest.WithLoopbackProxy())
		l := limitOf(fpr.LimitRegister, fpr.PerAddress)
		flood(t, "registration", l.Count, http.StatusCreated, l.Window, func(i int) (*http.Response, []byte) {
			return env.DoFrom(t, "192.0.2.10", "POST", "/api/v1/auth/register", "",
				register(fmt.Sprintf("flood%d@example.org", i), "Tomato-harvest-Orchard-9", "Flood"))
		})
		if resp, body := env.DoFrom(t, "192.0.2.11", "POST", "/api/v1/auth/register", "",
			register("elsewhere@example.org", "Tomato-harvest-Orchard-9", "Elsewhere")); resp.StatusCode != http.StatusCreated {
			t.Errorf("a registration from another address = %d %s, want 201", resp.StatusCode, body)
		}
	})
	t.Run("ProbeRegistrationsApart", func(t *testing.T) {
		// `fpr probe` registers an account a minute from one address: its
		// registrations count under their own limit, not the people's,
		// and a probe account may not vote.
		t.Parallel()
		env := fprtest.New(t, fprtest.WithLoopbackProxy())
		l := limitOf(fpr.LimitRegister, fpr.PerAddress)
		for i := range l.Count + 2 {
			resp, body := env.DoFrom(t, "192.0.2.12", "POST", "/api/v1/auth/register", "",
				register(fmt.Sprintf("probe-%d@%s", i, fpr.ProbeEmailDomain), "Tomato-harvest-Orchard-9", "Probe"))
			wantStatus(t, "probe registration", resp, body, http.StatusCreated)
		}
		flood(t, "registration after the probe's", l.Count, http.StatusCreated, l.Window, func(i int) (*http.Response, []byte) {
			return env.DoFrom(t, "192.0.2.12", "POST", "/api/v1/auth/register", "",
				register(fmt.Sprintf("person%d@example.org", i), "Tomato-harvest-Orchard-9", "Person"))
		})
		review := reviewsBy(t, env, productsOf(t, env, 1)[0], 1)[0]
		resp, body := env.Do(t, "POST", "/api/v1/auth/login", "", map[string]string{"email": "probe-0@" + fpr.ProbeEmailDomain, "password": "Tomato-harvest-Orchard-9"})
		wantStatus(t, "probe login", resp, body, http.StatusOK)
		token := mustDecode[struct{ Token string }](t, body).Token
		resp, body = env.Do(t, "PUT", "/api/v1/reviews/"+review+"/helpful", token, nil)
		wantStatus(t, "a probe account's vote", resp, body, http.StatusForbidden)
	})
	t.Run("ReviewPerAccount", func(t *testing.T) {
		// Issue 10: one account posted 20 reviews in 0.2 s.
		t.Parallel()
		env := fprtest.New(t)
		l := limitOf(fpr.LimitReview, fpr.PerAccount)
		products := productsOf(t, env, l.Count+1)
		ann := env.MustUser(t, fpr.RoleMember)
		flood(t, "review", l.Count, http.StatusCreated, l.Window, func(i int) (*http.Response, []byte) {
			return env.Do(t, "POST", "/api/v1/products/"+products[i]+"/reviews", ann.Token, map[string]any{"rating": 5, "body": "Great."})
		})
	})
	t.Run("VotePerAccount", func(t *testing.T) {
		// Issue 10: 30 fresh accounts raised a helpful count from 0 to 30;
		// here one account toggles its vote.
		t.Parallel()
		env := fprtest.New(t)
		l := limitOf(fpr.LimitVote, fpr.PerAccount)
		review := reviewsBy(t, env, productsOf(t, env, 1)[0], 1)[0]
		voter := env.MustUser(t, fpr.RoleMember)
		flood(t, "vote", l.Count, http.StatusNoContent, l.Window, func(i int) (*http.Response, []byte) {
			method := "PUT"
			if i%2 == 1 {
				method = "DELETE"
			}
			return env.Do(t, method, "/api/v1/reviews/"+review+"/helpful", voter.Token, nil)
		})
	})
	t.Run("FlagPerAccount", func(t *testing.T) {
		t.Parallel()
		env := fprtest.New(t)
		l := limitOf(fpr.LimitFlag, fpr.PerAccount)
		reviews := reviewsBy(t, env, productsOf(t, env, 1)[0], l.Count+1)
		flagger := env.MustUser(t, fpr.RoleMember)
		flood(t, "flag", l.Count, http.StatusCreated, l.Window, func(i int) (*http.Response, []byte) {
			return env.Do(t, "POST", "/api/v1/reviews/"+reviews[i]+"/flags", flagger.Token, map[string]any{"reason": "spam"})
		})
	})
}

// TestRateLimits_EveryKind floods every other limit, lowered through
// FPR_RATE_LIMITS's syntax so each test stays small.
func TestRateLimits_EveryKind(t *testing.T) {
	t.Parallel()
	limits := func(t *testing.T, s string) fprtest.Option {
		t.Helper()
		ls, err := fpr.ParseRateLimits(s)
		if err != nil {
			t.Fatal(err)
		}
		return fprtest.WithRateLimits(ls)
	}
	t.Run("LoginPerAddress", func(t *testing.T) {
		t.Parallel()
		env := fprtest.New(t, limits(t, "login=3/h"), fprtest.WithLoopbackProxy())
		ann := env.MustUser(t, fpr.RoleMember) // its login came from no address
		flood(t, "login", 3, http.StatusOK, time.Hour, func(int) (*http.Response, []byte) {
			return env.DoFrom(t, "192.0.2.20", "POST", "/api/v1/auth/login", "", map[string]string{"email": ann.User.Email, "password": ann.Password})
		})
		if resp, body := env.DoFrom(t, "192.0.2.21", "POST", "/api/v1/auth/login", "", map[string]string{"email": ann.User.Email, "password": ann.Password}); resp.StatusCode != http.StatusOK {
			t.Errorf("login from another address = %d %s, want 200", resp.StatusCode, body)
		}
	})
	t.Run("ReviewPerAddress", func(t *testing.T) {
		t.Parallel()
		env := fprtest.New(t, limits(t, "review.address=3/h"), fprtest.WithLoopbackProxy())
		products := productsOf(t, env, 1)
		flood(t, "review by another account from one address", 3, http.StatusCreated, time.Hour, func(int) (*http.Response, []byte) {
			u := env.MustUser(t, fpr.RoleMember)
			return env.DoFrom(t, "192.0.2.30", "POST", "/api/v1/products/"+products[0]+"/reviews", u.Token, map[string]any{"rating": 1, "body": "Bad."})
		})
	})
	t.Run("EditPerAccount", func(t *testing.T) {
		t.Parallel()
		env := fprtest.New(t, limits(t, "edit=3/h"))
		ann := env.MustUser(t, fpr.RoleMember)
		r := &fpr.Review{ProductID: productsOf(t, env, 1)[0], Rating: 4, Body: "Good."}
		if err := env.DB.CreateReview(env.Ctx(ann.User), r); err != nil {
			t.Fatal(err)
		}
		flood(t, "edit", 3, http.StatusOK, time.Hour, func(i int) (*http.Response, []byte) {
			return env.Do(t, "PATCH", "/api/v1/reviews/"+r.ID, ann.Token, map[string]any{"body": fmt.Sprintf("Edit %d.", i)})
		})
	})
	t.Run("VotePerAddress", func(t *testing.T) {
		t.Parallel()
		env := fprtest.New(t, limits(t, "vote.address=3/h"), fprtest.WithLoopbackProxy())
		review := reviewsBy(t, env, productsOf(t, env, 1)[0], 1)[0]
		flood(t, "vote by another account from one address", 3, http.StatusNoContent, time.Hour, func(int) (*http.Response, []byte) {
			return env.DoFrom(t, "192.0.2.40", "PUT", "/api/v1/reviews/"+review+"/helpful", env.MustUser(t, fpr.RoleMember).Token, nil)
		})
	})
	t.Run("FlagPerAddress", func(t *testing.T) {
		t.Parallel()
		env := fprtest.New(t, limits(t, "flag.address=3/d"), fprtest.WithLoopbackProxy())
		review := reviewsBy(t, env, productsOf(t, env, 1)[0], 1)[0]
		flood(t, "flag by another account from one address", 3, http.StatusCreated, 24*time.Hour, func(int) (*http.Response, []byte) {
			return env.DoFrom(t, "192.0.2.50", "POST", "/api/v1/reviews/"+review+"/flags", env.MustUser(t, fpr.RoleMember).Token, map[string]any{"reason": "spam"})
		})
	})
	t.Run("ReplyPerAccount", func(t *testing.T) {
		t.Parallel()
		env := fprtest.New(t, limits(t, "reply=3/h"))
		producer := env.MustUser(t, fpr.RoleProducer)
		product := mustFarmProduct(t, env, producer.User)
		review := reviewsBy(t, env, product, 1)[0]
		flood(t, "reply", 3, http.StatusOK, time.Hour, func(i int) (*http.Response, []byte) {
			return env.Do(t, "PUT", "/api/v1/reviews/"+review+"/reply", producer.Token, map[string]any{"body": fmt.Sprintf("Thanks %d.", i)})
		})
	})
	t.Run("PasswordPerAccount", func(t *testing.T) {
		t.Parallel()
		env := fprtest.New(t, limits(t, "password=2/h"))
		ann := env.MustUser(t, fpr.RoleMember)
		passwords := []string{ann.Password, "Lantern-gravel-88-turnip", "Copper-meadow-41-kettle", "Orchard-violet-17-saddle"}
		token := ann.Token
		flood(t, "password change", 2, http.StatusNoContent, time.Hour, func(i int) (*http.Response, []byte) {
			resp, body := env.Do(t, "POST", "/api/v1/me/password", token, map[string]string{"current_password": passwords[i], "new_password": passwords[i+1]})
			if resp.StatusCode == http.StatusNoContent {
				// A change signs every session out: log in again.
				lr, lb := env.Do(t, "POST", "/api/v1/auth/login", "", map[string]string{"email": ann.User.Email, "password": passwords[i+1]})
				if lr.StatusCode != http.StatusOK {
					t.Fatalf("login after a change = %d %s", lr.StatusCode, lb)
				}
				var out struct{ Token string }
				if err := json.Unmarshal(lb, &out); err != nil {
					t.Fatal(err)
				}
				token = out.Token
			}
			return resp, body
		})
	})
}

// TestRateLimits_Page: a form over its limit shows the message with the
// form's input and a 429 with Retry-After.
func TestRateLimits_Page(t *testing.T) {
	t.Parallel()
	env := fprtest.New(t)
	b := newBrowser(t, env)
	l := limitOf(fpr.LimitRegister, fpr.PerAddress)
	var p page
	for i := range l.Count + 1 {
		p = b.post("/register", url.Values{"email": {fmt.Sprintf("page%d@example.org", i)}, "display_name": {"Page"},
			"password": {"Tomato-harvest-Orchard-9"}, "password_confirm": {"Tomato-harvest-Orchard-9"}})
		if i < l.Count && p.StatusCode != http.StatusSeeOther {
			t.Fatalf("registration %d by form = %d, want 303", i+1, p.StatusCode)
		}
		b = newBrowser(t, env) // a new visitor, same address
	}
	if p.StatusCode != http.StatusTooManyRequests || p.header("Retry-After") == "" {
		t.Fatalf("registration %d by form = %d, Retry-After %q; want 429 with Retry-After", l.Count+1, p.StatusCode, p.header("Retry-After"))
	}
	if msg := p.text(".error-summary p"); !strings.Contains(msg, "too often") || p.attr("#email", "value") != fmt.Sprintf("page%d@example.org", l.Count) {
		t.Errorf("the refused form shows message %q and e-mail %q", msg, p.attr("#email", "value"))
	}
}

// TestRateLimits_SharedByTwoServers: two application instances over one
// database share the counts: reviews split between them still stop at the
// limit.
func TestRateLimits_SharedByTwoServers(t *testing.T) {
	t.Parallel()
	url := storetest.FreshURL(t, storetest.DefaultBackend())
	instance := func(name string) *fprtest.Env {
		return fprtest.New(t, fprtest.WithConfig(func(c *app.Config) {
			c.DB = storetest.OpenURL(t, url)
			c.Instance = name
		}))
	}
	first, second := instance("first"), instance("second")
	l := limitOf(fpr.LimitReview, fpr.PerAccount)
	products := productsOf(t, first, l.Count+1)
	ann := first.MustUser(t, fpr.RoleMember)
	flood(t, "review, alternating servers", l.Count, http.StatusCreated, l.Window, func(i int) (*http.Response, []byte) {
		env := first
		if i%2 == 1 {
			env = second
		}
		return env.Do(t, "POST", "/api/v1/products/"+products[i]+"/reviews", ann.Token, map[string]any{"rating": 5, "body": "Great."})
	})
	resp, body := second.Do(t, "POST", "/api/v1/products/"+products[l.Count]+"/reviews", ann.Token, map[string]any{"rating": 5, "body": "Great."})
	wantLimited(t, "the next review on the other server", resp, body, l.Window)
}
