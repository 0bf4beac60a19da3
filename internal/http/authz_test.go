package http_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fpr-team/fpr"
	"github.com/fpr-team/fpr/internal/fprtest"
)

// The authorization table: every /api/v1 route of routes.go, called by
// every kind of actor, with the status each must get. Each request gets
// fresh objects to act on (a product of the producer's farm, a published
// review of it by the author…), so requests do not depend on each other.

// actor is who sends a request.
type actor int

const (
	anonymous     actor = iota
	member              // a member with no relation to the objects
	author              // the member who wrote the review
	producer            // the producer owning the product's farm
	otherProducer       // a producer owning another farm
	moderator
	admin
	numActors
)

var actorNames = [numActors]string{"anonymous", "member", "author", "producer", "other_producer", "moderator", "admin"}

// authzWorld holds the users of the table and the producer's farm.
type authzWorld struct {
	env    *fprtest.Env
	users  [numActors]*fprtest.TestUser // nil for anonymous
	farmID string
	mod    *fpr.User
}

// authzFixture is what one request acts on.
type authzFixture struct {
	w         *authzWorld
	productID string
	reviewID  string // a published review of productID by the author
	target    *fpr.User
	as        actor
	appID     string // a pending farm application (prepareApplication)
}

// authzCase is one row: a route, how to call it, and the status per actor.
type authzCase struct {
	name  string // a variant of the route, if any
	route string // the pattern in routes.go
	// path builds the request path; body (optional) the JSON body.
	path func(fx *authzFixture) string
	body func(fx *authzFixture) any
	// prepare (optional) changes the fixture before the request.
	prepare func(t *testing.T, fx *authzFixture)
	// fresh: the request needs a user of the actor's role of its own (it
	// changes their password or ends their session).
	fresh bool
	want  [numActors]int
}

// Status shorthands for the table.
const (
	s200 = http.StatusOK
	s201 = http.StatusCreated
	s204 = http.StatusNoContent
	s401 = http.StatusUnauthorized
	s403 = http.StatusForbidden
	s404 = http.StatusNotFound
	s409 = http.StatusConflict
	s202 = http.StatusAccepted
	s422 = http.StatusUnprocessableEntity
	s400 = http.StatusBadRequest
)

func fixed(p string) func(*authzFixture) string { return func(*authzFixture) string { return p } }

func reviewPath(suffix string) func(*authzFixture) string {
	return func(fx *authzFixture) string { return "/api/v1/reviews/" + fx.reviewID + suffix }
}

func productPath(suffix string) func(*authzFixture) string {
	return func(fx *authzFixture) string { return "/api/v1/products/" + fx.productID + suffix }
}

func farmPath(fx *authzFixture) string { return "/api/v1/farms/" + fx.w.farmID }

func body(v any) func(*authzFixture) any { return func(*authzFixture) any { return v } }

// firstSessionID returns the ID of one of u's sessions (u has one: the
// fixture's users logged in through the API).
func firstSessionID(fx *authzFixture, u *fpr.User) string {
	sessions, err := fx.w.env.Auth.FindSessions(fx.w.env.Ctx(u))
	if err != nil || len(sessions) == 0 {
		return fpr.NewID(time.Now()) // names nothing: the row then fails
	}
	return sessions[0].ID
}

// ownSessionPath names a session of the acting user; anonymous gets a
// well-formed ID (and must be refused before it matters).
func ownSessionPath(fx *authzFixture) string {
	if u := fx.w.users[fx.as]; u != nil {
		return "/api/v1/me/sessions/" + firstSessionID(fx, u.User)
	}
	return "/api/v1/me/sessions/" + fpr.NewID(time.Now())
}

// prepareApplication has a new member apply to list a farm.
func prepareApplication(t *testing.T, fx *authzFixture) {
	t.Helper()
	applicant := fx.w.env.MustUser(t, fpr.RoleMember)
	a := &fpr.FarmApplication{FarmName: fmt.Sprintf("Applied Farm %d", uniq()), Region: "East", Description: "x", Contact: "y"}
	if err := fx.w.env.DB.ApplyForFarm(fx.w.env.Ctx(applicant.User), a); err != nil {
		t.Fatal(err)
	}
	fx.appID = a.ID
}

// hideReview rejects the fixture's review, so only its author and
// moderators may see it.
func hideReview(t *testing.T, fx *authzFixture) {
	t.Helper()
	if _, err := fx.w.env.DB.ModerateReview(fx.w.env.Ctx(fx.w.mod), fx.reviewID, fpr.ActionReject, "", ""); err != nil {
		t.Fatal(err)
	}
}

var (
	all200    = [numActors]int{s200, s200, s200, s200, s200, s200, s200}
	adminOnly = [numActors]int{s401, s403, s403, s403, s403, s403, s200}
)

// The error event recorded for the operations routes.
const (
	authzFingerprint = "authzfingerprint0001"
	authzRequestID   = "authzrequest0001"
)

// authzCases is the table. Columns: anonymous, member, author, producer,
// other producer, moderator, admin.
var authzCases = []authzCase{
	// Operations.
	{route: "GET /api/v1/openapi.json", path: fixed("/api/v1/openapi.json"), want: all200},

	// Accounts.
	{route: "POST /api/v1/auth/register", path: fixed("/api/v1/auth/register"),
		body: func(*authzFixture) any {
			return register(fmt.Sprintf("authz%d@example.test", uniq()), goodPassword, "Newcomer")
		},
		want: [numActors]int{s201, s201, s201, s201, s201, s201, s201}},
	{route: "POST /api/v1/auth/login", path: fixed("/api/v1/auth/login"),
		body: func(fx *authzFixture) any {
			return map[string]string{"email": fx.target.Email, "password": goodPassword}
		},
		want: all200},
	{route: "POST /api/v1/auth/logout", path: fixed("/api/v1/auth/logout"), fresh: true,
		want: [numActors]int{s401, s204, s204, s204, s204, s204, s204}},
	{route: "GET /api/v1/me/sessions", path: fixed("/api/v1/me/sessions"),
		want: [numActors]int{s401, s200, s200, s200, s200, s200, s200}},
	{route: "DELETE /api/v1/me/sessions/{id}", name: "own", path: ownSessionPath, fresh: true,
		want: [numActors]int{s401, s204, s204, s204, s204, s204, s204}},
	{route: "DELETE /api/v1/me/sessions/{id}", name: "another user's", path: func(fx *authzFixture) string {
		sess, err := fx.w.env.Auth.OpenSession(context.Background(), fx.target.ID, fpr.SessionWeb)
		if err != nil {
			panic(err)
		}
		return "/api/v1/me/sessions/" + sess.ID
	}, want: [numActors]int{s401, s404, s404, s404, s404, s404, s404}},
	{route: "GET /api/v1/me", path: fixed("/api/v1/me"),
		want: [numActors]int{s401, s200, s200, s200, s200, s200, s200}},
	{route: "POST /api/v1/me/password", path: fixed("/api/v1/me/password"), fresh: true,
		body: func(fx *authzFixture) any {
			return map[string]string{"current_password": fx.w.password(fx), "new_password": "Another-long-phrase-77"}
		},
		want: [numActors]int{s401, s204, s204, s204, s204, s204, s204}},
	{route: "PATCH /api/v1/me", path: fixed("/api/v1/me"), body: body(map[string]string{"display_name": "Renamed"}),
		want: [numActors]int{s401, s200, s200, s200, s200, s200, s200}},
	{route: "DELETE /api/v1/me", path: fixed("/api/v1/me"), fresh: true,
		body: func(fx *authzFixture) any { return map[string]string{"current_password": fx.w.password(fx)} },
		want: [numActors]int{s401, s204, s204, s204, s204, s204, s204}},
	{route: "GET /api/v1/me/export", path: fixed("/api/v1/me/export"),
		want: [numActors]int{s401, s200, s200, s200, s200, s200, s200}},
	// The table's users are verified: a new link is refused.
	{route: "POST /api/v1/me/verification-email", path: fixed("/api/v1/me/verification-email"),
		want: [numActors]int{s401, s422, s422, s422, s422, s422, s422}},
	{route: "POST /api/v1/auth/verify-email", path: fixed("/api/v1/auth/verify-email"),
		body: body(map[string]string{"token": "not-a-token"}),
		want: [numActors]int{s422, s422, s422, s422, s422, s422, s422}},
	{route: "POST /api/v1/auth/password-reset", path: fixed("/api/v1/auth/password-reset"),
		body: func(fx *authzFixture) any { return map[string]string{"email": fx.target.Email} },
		want: [numActors]int{s202, s202, s202, s202, s202, s202, s202}},
	{route: "POST /api/v1/auth/password-reset/confirm", path: fixed("/api/v1/auth/password-reset/confirm"),
		body: body(map[string]string{"token": "not-a-token", "password": "Another-long-phrase-77"}),
		want: [numActors]int{s422, s422, s422, s422, s422, s422, s422}},
	{route: "POST /api/v1/me/mfa/totp", path: fixed("/api/v1/me/mfa/totp"), fresh: true,
		want: [numActors]int{s401, s200, s200, s200, s200, s200, s200}},
	// Without a setup there is nothing to confirm or turn off: every
	// signed-in user gets past authorization to the conflict.
	{route: "POST /api/v1/me/mfa/totp/confirm", path: fixed("/api/v1/me/mfa/totp/confirm"), fresh: true,
		body: body(map[string]string{"code": "123456"}),
		want: [numActors]int{s401, s409, s409, s409, s409, s409, s409}},
	{route: "DELETE /api/v1/me/mfa/totp", path: fixed("/api/v1/me/mfa/totp"), fresh: true,
		body: func(fx *authzFixture) any {
			return map[string]string{"code": "123456", "current_password": fx.w.password(fx)}
		},
		want: [numActors]int{s401, s409, s409, s409, s409, s409, s409}},
	{route: "GET /api/v1/admin/users", path: fixed("/api/v1/admin/users"),
		want: adminOnly},
	{route: "PATCH /api/v1/admin/users/{id}", path: func(fx *authzFixture) string { return "/api/v1/admin/users/" + fx.target.ID },
		body: body(map[string]string{"role": "producer"}),
		want: [numActors]int{s401, s403, s403, s403, s403, s403, s200}},

	// Catalogue.
	{route: "GET /api/v1/farms", path: fixed("/api/v1/farms"), want: all200},
	{route: "POST /api/v1/farms", path: fixed("/api/v1/farms"),
		body: func(*authzFixture) any {
			return map[string]any{"name": fmt.Sprintf("New Farm %d", uniq()), "region": "East", "description": ""}
		},
		want: [numActors]int{s401, s403, s403, s201, s201, s403, s201}},
	{route: "GET /api/v1/farms/{id}", path: farmPath, want: all200},
	{route: "PATCH /api/v1/farms/{id}", path: farmPath, body: body(map[string]any{"description": "Changed."}),
		want: [numActors]int{s401, s403, s403, s200, s403, s403, s200}},
	{route: "GET /api/v1/products", path: fixed("/api/v1/products"), want: all200},

	// Farm applications and the producer's inbox.
	{route: "POST /api/v1/farm-applications", path: fixed("/api/v1/farm-applications"), fresh: true,
		body: body(map[string]any{"farm_name": "Applied", "region": "East", "description": "x", "contact": "y"}),
		want: [numActors]int{s401, s201, s201, s403, s403, s403, s403}},
	{route: "GET /api/v1/farm-applications", path: fixed("/api/v1/farm-applications"), want: adminOnly},
	{route: "POST /api/v1/farm-applications/{id}", prepare: prepareApplication,
		path: func(fx *authzFixture) string { return "/api/v1/farm-applications/" + fx.appID },
		body: body(map[string]any{"action": "approve"}),
		want: adminOnly},
	{route: "GET /api/v1/me/farm-applications", path: fixed("/api/v1/me/farm-applications"),
		want: [numActors]int{s401, s200, s200, s200, s200, s200, s200}},
	{route: "GET /api/v1/me/farm-reviews", path: fixed("/api/v1/me/farm-reviews"),
		want: [numActors]int{s401, s403, s403, s200, s200, s403, s200}},
	{route: "POST /api/v1/products", path: fixed("/api/v1/products"),
		body: func(fx *authzFixture) any {
			return map[string]any{"farm_id": fx.w.farmID, "name": fmt.Sprintf("Jam %d", uniq()), "category": "preserves",
				"description": "", "unit": "jar"}
		},
		want: [numActors]int{s401, s403, s403, s201, s403, s403, s201}},
	{route: "GET /api/v1/products/{id}", path: productPath(""), want: all200},
	{route: "PATCH /api/v1/products/{id}", path: productPath(""), body: body(map[string]any{"description": "Changed."}),
		want: [numActors]int{s401, s403, s403, s200, s403, s403, s200}},
	{route: "DELETE /api/v1/products/{id}", path: productPath(""),
		want: [numActors]int{s401, s403, s403, s204, s403, s403, s204}},

	// Operations pages' API: admins only.
	{route: "GET /api/v1/ops/errors", path: fixed("/api/v1/ops/errors"), want: adminOnly},
	{route: "GET /api/v1/ops/errors/{fingerprint}", path: fixed("/api/v1/ops/errors/" + authzFingerprint), want: adminOnly},
	{route: "POST /api/v1/ops/errors/{fingerprint}/resolve", path: fixed("/api/v1/ops/errors/" + authzFingerprint + "/resolve"), want: adminOnly},
	{route: "GET /api/v1/ops/releases", path: fixed("/api/v1/ops/releases"), want: adminOnly},
	{route: "GET /api/v1/ops/audit", path: fixed("/api/v1/ops/audit"), want: adminOnly},
	{route: "GET /api/v1/ops/requests/{request_id}", path: fixed("/api/v1/ops/requests/" + authzRequestID), want: adminOnly},

	// Reviews, votes, flags, replies.
	{route: "GET /api/v1/products/{id}/reviews", path: productPath("/reviews"), want: all200},
	{route: "POST /api/v1/products/{id}/reviews", path: productPath("/reviews"),
		body: body(map[string]any{"rating": 4, "body": "Good."}),
		// The author has reviewed the product already; the producer may
		// not review their own farm's products.
		want: [numActors]int{s401, s201, s409, s403, s201, s201, s201}},
	{route: "GET /api/v1/reviews/{id}", path: reviewPath(""), want: all200},
	{name: "hidden", route: "GET /api/v1/reviews/{id}", path: reviewPath(""), prepare: hideReview,
		want: [numActors]int{s404, s404, s200, s404, s404, s200, s200}},
	{route: "PATCH /api/v1/reviews/{id}", path: reviewPath(""), body: body(map[string]any{"rating": 2}),
		want: [numActors]int{s401, s403, s200, s403, s403, s403, s403}},
	{name: "hidden", route: "PATCH /api/v1/reviews/{id}", path: reviewPath(""), body: body(map[string]any{"rating": 2}), prepare: hideReview,
		want: [numActors]int{s401, s404, s200, s404, s404, s403, s403}},
	{route: "DELETE /api/v1/reviews/{id}", path: reviewPath(""),
		want: [numActors]int{s401, s403, s204, s403, s403, s204, s204}},
	{route: "PUT /api/v1/reviews/{id}/helpful", path: reviewPath("/helpful"),
		want: [numActors]int{s401, s204, s403, s204, s204, s204, s204}},
	{route: "DELETE /api/v1/reviews/{id}/helpful", path: reviewPath("/helpful"),
		want: [numActors]int{s401, s204, s403, s204, s204, s204, s204}},
	{route: "POST /api/v1/reviews/{id}/flags", path: reviewPath("/flags"), body: body(map[string]any{"reason": "spam"}),
		want: [numActors]int{s401, s201, s403, s201, s201, s201, s201}},
	{route: "PUT /api/v1/reviews/{id}/reply", path: reviewPath("/reply"), body: body(map[string]any{"body": "Thanks."}),
		want: [numActors]int{s401, s403, s403, s200, s403, s403, s200}},
	{route: "GET /api/v1/users/{id}/reviews", path: func(fx *authzFixture) string {
		return "/api/v1/users/" + fx.w.users[author].User.ID + "/reviews"
	}, want: all200},

	{route: "GET /api/v1/reviews/{id}/history", path: reviewPath("/history"), want: all200},
	{name: "hidden", route: "GET /api/v1/reviews/{id}/history", path: reviewPath("/history"), prepare: hideReview,
		want: [numActors]int{s404, s404, s200, s404, s404, s200, s200}},
	{route: "GET /api/v1/categories", path: fixed("/api/v1/categories"), want: all200},
	{route: "GET /api/v1/products/{id}/moderation", path: productPath("/moderation"), want: all200},
	{route: "POST /api/v1/farms/{id}/purchase-codes", path: func(fx *authzFixture) string { return farmPath(fx) + "/purchase-codes" },
		body: body(map[string]any{"count": 2}),
		want: [numActors]int{s401, s403, s403, s201, s403, s403, s201}},
	// Photo uploads are multipart: a JSON body is a bad request for anyone
	// signed in (the photo tests check who may upload); anonymous is 401.
	{route: "POST /api/v1/reviews/{id}/photos", path: reviewPath("/photos"), body: body(map[string]any{}),
		want: [numActors]int{s401, s400, s400, s400, s400, s400, s400}},
	{route: "PUT /api/v1/products/{id}/photo", path: productPath("/photo"), body: body(map[string]any{}),
		want: [numActors]int{s401, s400, s400, s400, s400, s400, s400}},
	{route: "PUT /api/v1/farms/{id}/photo", path: func(fx *authzFixture) string { return farmPath(fx) + "/photo" }, body: body(map[string]any{}),
		want: [numActors]int{s401, s400, s400, s400, s400, s400, s400}},
	{route: "DELETE /api/v1/photos/{id}", path: fixed("/api/v1/photos/nophoto"),
		want: [numActors]int{s401, s404, s404, s404, s404, s404, s404}},

	// Moderation.
	{route: "GET /api/v1/moderation/queue", path: fixed("/api/v1/moderation/queue"),
		want: [numActors]int{s401, s403, s403, s403, s403, s200, s200}},
	{route: "POST /api/v1/moderation/reviews/{id}", path: func(fx *authzFixture) string { return "/api/v1/moderation/reviews/" + fx.reviewID },
		body: body(map[string]any{"action": "reject", "note": "No."}),
		want: [numActors]int{s401, s403, s403, s403, s403, s200, s200}},
	{route: "GET /api/v1/moderation/reviews/{id}/log", path: func(fx *authzFixture) string { return "/api/v1/moderation/reviews/" + fx.reviewID + "/log" },
		prepare: hideReview,
		want:    [numActors]int{s401, s403, s403, s403, s403, s200, s200}},

	// Operations: admins only.
	{route: "GET /api/v1/ops/errors", path: fixed("/api/v1/ops/errors"), want: adminOnly},
	{route: "GET /api/v1/ops/errors/{fingerprint}", path: func(fx *authzFixture) string { return "/api/v1/ops/errors/" + fx.reviewID },
		prepare: recordError, want: adminOnly},
	{route: "POST /api/v1/ops/errors/{fingerprint}/resolve", path: func(fx *authzFixture) string { return "/api/v1/ops/errors/" + fx.reviewID + "/resolve" },
		prepare: recordError, want: adminOnly},
	{route: "GET /api/v1/ops/releases", path: fixed("/api/v1/ops/releases"), want: adminOnly},
	{route: "GET /api/v1/ops/requests/{request_id}", path: func(fx *authzFixture) string { return "/api/v1/ops/requests/req-" + fx.reviewID },
		prepare: recordError, want: adminOnly},
}

// recordError stores an error event whose fingerprint is the fixture's
// review ID and whose request ID is "req-" and that ID.
func recordError(t *testing.T, fx *authzFixture) {
	t.Helper()
	_, err := fx.w.env.DB.RecordErrorEvents(context.Background(), []*fpr.ErrorEvent{{
		Fingerprint: fx.reviewID, RequestID: "req-" + fx.reviewID, Route: "GET /x", Type: "*errors.errorString",
		Message: "boom", Stack: "goroutine 1", Release: "test", Instance: "i1",
	}}, 5)
	if err != nil {
		t.Fatal(err)
	}
}

// password returns the password of the fixture's acting user.
func (w *authzWorld) password(fx *authzFixture) string {
	if u := w.users[fx.as]; u != nil {
		return u.Password
	}
	return ""
}

var roleOf = [numActors]fpr.Role{"", fpr.RoleMember, fpr.RoleMember, fpr.RoleProducer, fpr.RoleProducer, fpr.RoleModerator, fpr.RoleAdmin}

func TestAuthorization(t *testing.T) {
	t.Parallel()
	// The fixtures write more per user than the rate limits allow.
	env := fprtest.New(t, fprtest.WithRateLimits(fpr.RateLimits{}))
	w := &authzWorld{env: env}
	for a := member; a < numActors; a++ {
		w.users[a] = env.MustUser(t, roleOf[a])
	}
	w.mod = w.users[moderator].User
	farm := &fpr.Farm{Name: "Authz Farm", Region: "North"}
	if err := env.DB.CreateFarm(env.Ctx(w.users[producer].User), farm); err != nil {
		t.Fatal(err)
	}
	w.farmID = farm.ID
	if err := env.DB.CreateFarm(env.Ctx(w.users[otherProducer].User), &fpr.Farm{Name: "Other Farm", Region: "South"}); err != nil {
		t.Fatal(err)
	}

	if _, err := env.DB.RecordErrorEvents(env.Ctx(nil), []*fpr.ErrorEvent{{
		Fingerprint: authzFingerprint, RequestID: authzRequestID, Route: "GET /api/v1/boom", Type: "*errors.errorString",
		Message: "boom", Stack: "main.boom()", Release: "test", Instance: "test", Time: time.Now(),
	}}, 10); err != nil {
		t.Fatal(err)
	}

	for _, tc := range authzCases {
		name := tc.route
		if tc.name != "" {
			name += " (" + tc.name + ")"
		}
		t.Run(name, func(t *testing.T) {
			for a := anonymous; a < numActors; a++ {
				fx := w.newFixture(t, a)
				if tc.prepare != nil {
					tc.prepare(t, fx)
				}
				token := ""
				if u := w.users[a]; u != nil {
					token = u.Token
					if tc.fresh {
						fresh := env.MustUser(t, roleOf[a])
						token = fresh.Token
						fx.w = &authzWorld{env: env, users: w.users, farmID: w.farmID, mod: w.mod}
						fx.w.users[a] = fresh
					}
				}
				var b any
				if tc.body != nil {
					b = tc.body(fx)
				}
				method := strings.Fields(tc.route)[0]
				resp, respBody := env.Do(t, method, tc.path(fx), token, b)
				if resp.StatusCode != tc.want[a] {
					t.Errorf("%s as %s = %d %s, want %d", tc.route, actorNames[a], resp.StatusCode, respBody, tc.want[a])
				}
			}
		})
	}
}

// newFixture makes fresh objects for one request: a product of the
// producer's farm, the author's published review of it, and a member to act
// on (logins, role changes).
func (w *authzWorld) newFixture(t *testing.T, a actor) *authzFixture {
	t.Helper()
	fx := &authzFixture{w: w, as: a}
	fx.productID = mustProductIn(t, w.env, w.users[producer].User, w.farmID)
	r := &fpr.Review{ProductID: fx.productID, Rating: 3, Body: "A review to act on."}
	if err := w.env.DB.CreateReview(w.env.Ctx(w.users[author].User), r); err != nil {
		t.Fatal(err)
	}
	fx.reviewID = r.ID
	fx.target = &fpr.User{Email: fmt.Sprintf("target%d@example.test", uniq()), DisplayName: "Target"}
	u, err := w.env.Auth.Register(w.env.Ctx(nil), fpr.Registration{Email: fx.target.Email, Password: goodPassword, DisplayName: "Target"})
	if err != nil {
		t.Fatal(err)
	}
	fx.target = u
	return fx
}

// TestAuthorization_CoversEveryRoute fails when an /api/v1 route of
// routes.go has no row in the authorization table, or a row names a route
// that does not exist.
func TestAuthorization_CoversEveryRoute(t *testing.T) {
	t.Parallel()
	src, err := os.ReadFile("routes.go")
	if err != nil {
		t.Fatal(err)
	}
	var routes []string
	for _, m := range regexp.MustCompile(`handle\("([A-Z]+ /api/v1/[^"]*)"`).FindAllStringSubmatch(string(src), -1) {
		routes = append(routes, m[1])
	}
	if len(routes) < 10 {
		t.Fatalf("found only %d /api/v1 routes in routes.go: has its form changed?", len(routes))
	}
	inTable := map[string]bool{}
	for _, tc := range authzCases {
		inTable[tc.route] = true
	}
	for _, r := range routes {
		if !inTable[r] {
			t.Errorf("route %q is missing from the authorization table (authzCases)", r)
		}
	}
	for r := range inTable {
		if !slices.Contains(routes, r) {
			t.Errorf("authorization table row %q names no route of routes.go", r)
		}
	}
}
