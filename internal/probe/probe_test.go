package probe_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/fpr-team/fpr"
	"github.com/fpr-team/fpr/internal/fprtest"
	fprhttp "github.com/fpr-team/fpr/internal/http"
	"github.com/fpr-team/fpr/internal/probe"
)

// MustProduct makes a producer, a farm and a product; it returns the
// product's ID.
func MustProduct(t *testing.T, env *fprtest.Env, name string) string {
	t.Helper()
	producer := env.MustUser(t, fpr.RoleProducer)
	ctx := env.Ctx(producer.User)
	f := &fpr.Farm{Name: name + " Farm", Region: "Vermont", Description: "A farm."}
	if err := env.DB.CreateFarm(ctx, f); err != nil {
		t.Fatal(err)
	}
	p := &fpr.Product{FarmID: f.ID, Name: name, Category: "honey", Description: "Raw honey.", Unit: "jar"}
	if err := env.DB.CreateProduct(ctx, p); err != nil {
		t.Fatal(err)
	}
	return p.ID
}

// spy watches the server's review service: it records the probe review
// while it exists, and what the public saw of it then.
type spy struct {
	fpr.ReviewService
	created atomic.Pointer[fpr.Review]
}

func (s *spy) CreateReview(ctx context.Context, r *fpr.Review) error {
	err := s.ReviewService.CreateReview(ctx, r)
	if err == nil {
		s.created.Store(r)
	}
	return err
}

func TestProbe_OK(t *testing.T) {
	t.Parallel()
	sp := &spy{}
	env := fprtest.New(t, fprtest.WithServer(func(srv *fprhttp.Server) {
		sp.ReviewService = srv.Reviews
		srv.Reviews = sp
	}))
	productID := MustProduct(t, env, "Clover Honey")
	var log strings.Builder
	// While the probe's review exists, the public must not see it: check
	// from inside the flow, after the review is created and before it is
	// deleted, through a transport hook on the read-back step.
	var checked atomic.Bool
	client := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		if r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/api/v1/reviews/") {
			checkHidden(t, env, productID)
			checked.Store(true)
		}
		return http.DefaultTransport.RoundTrip(r)
	})}
	res, err := (&probe.Probe{URL: env.URL, Client: client, Log: &log}).Run(context.Background())
	if err != nil {
		t.Fatalf("Run = %v\n%s", err, log.String())
	}
	if !checked.Load() {
		t.Fatal("the probe never read its review back")
	}
	var steps []string
	for _, s := range res.Steps {
		steps = append(steps, s.Name)
	}
	want := "find a product,register,log in,submit a review,read the review,delete the review,delete the account"
	if got := strings.Join(steps, ","); got != want {
		t.Errorf("steps = %s, want %s", got, want)
	}
	if res.Release != "test" {
		t.Errorf("release = %q, want test (from /version)", res.Release)
	}
	r := sp.created.Load()
	if r == nil || !r.Probe || r.ProductID != productID {
		t.Fatalf("review created = %+v, want a probe review of %s", r, productID)
	}
	// The account is deleted at the end (its e-mail erased), so a probe a
	// minute leaves no account a minute behind, and it was never listed.
	u, err := env.DB.FindUserByID(context.Background(), r.Author.ID)
	if err != nil || !u.Probe || u.Email != "" {
		t.Errorf("probe account after the run = %+v, %v; want a probe account, deleted (e-mail erased)", u, err)
	}
	// A live probe account (a run cut short) is not listed either.
	if resp, body := env.Do(t, http.MethodPost, "/api/v1/auth/register", "", map[string]string{
		"email": "probe-live@" + fpr.ProbeEmailDomain, "password": "Probe-Zq8tLm3vRw", "display_name": "FPR probe"}); resp.StatusCode != http.StatusCreated {
		t.Fatalf("register a probe account = %d %s", resp.StatusCode, body)
	}
	admin := env.MustUser(t, fpr.RoleAdmin)
	users, _, err := env.DB.FindUsers(env.Ctx(admin.User), fpr.UserFilter{})
	if len(users) == 0 {
		t.Error("admin user list is empty, want the admin at least")
	}
	for _, lu := range users {
		if lu.Probe {
			t.Errorf("admin user list shows probe account %+v", lu)
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	if _, err := env.DB.FindReviewByID(env.Ctx(u), r.ID); fpr.ErrorCode(err) != fpr.CodeNotFound {
		t.Errorf("the probe's review after the run: %v, want not_found (deleted)", err)
	}
}

// checkHidden fails the test when the product's public reviews or rating
// count the probe's review.
func checkHidden(t *testing.T, env *fprtest.Env, productID string) {
	t.Helper()
	resp, body := env.Do(t, http.MethodGet, "/api/v1/products/"+productID+"/reviews", "", nil)
	var list struct {
		Items []json.RawMessage `json:"items"`
	}
	if err := json.Unmarshal(body, &list); err != nil || resp.StatusCode != http.StatusOK || len(list.Items) != 0 {
		t.Errorf("public reviews while the probe's exists = %d %s, want none", resp.StatusCode, body)
	}
	resp, body = env.Do(t, http.MethodGet, "/api/v1/products/"+productID, "", nil)
	var p struct {
		Product struct {
			Rating struct {
				Count int `json:"count"`
			} `json:"rating"`
		} `json:"product"`
	}
	if err := json.Unmarshal(body, &p); err != nil || resp.StatusCode != http.StatusOK || p.Product.Rating.Count != 0 {
		t.Errorf("product while the probe's review exists = %d %s, want rating count 0", resp.StatusCode, body)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// brokenAuth fails every registration, as the typo of 2024-05-10 did.
type brokenAuth struct{ fpr.AuthService }

func (brokenAuth) Register(context.Context, fpr.Registration) (*fpr.User, error) {
	return nil, errors.New("KeyError: 'user'")
}

func TestProbe_RegistrationBroken(t *testing.T) {
	t.Parallel()
	env := fprtest.New(t, fprtest.WithServer(func(srv *fprhttp.Server) { srv.Auth = brokenAuth{srv.Auth} }))
	productID := MustProduct(t, env, "Buckwheat Honey")
	_, err := (&probe.Probe{URL: env.URL, ProductID: productID}).Run(context.Background())
	var se *probe.StepError
	if !errors.As(err, &se) {
		t.Fatalf("Run = %v, want a *StepError", err)
	}
	if se.Step != "register" || se.Route != "POST /api/v1/auth/register" || se.Status != http.StatusInternalServerError || se.RequestID == "" {
		t.Errorf("StepError = %+v, want step register, its route, status 500 and a request ID", se)
	}
	if !strings.Contains(env.Logs(), se.RequestID) {
		t.Errorf("the request ID %s the probe reports is not in the server's logs", se.RequestID)
	}
}

func TestProbe_NoProducts(t *testing.T) {
	t.Parallel()
	env := fprtest.New(t)
	_, err := (&probe.Probe{URL: env.URL}).Run(context.Background())
	var se *probe.StepError
	if !errors.As(err, &se) || se.Step != "find a product" {
		t.Errorf("Run on an empty catalogue = %v, want a find-a-product StepError", err)
	}
}
