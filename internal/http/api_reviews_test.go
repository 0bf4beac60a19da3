package http_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fpr-team/fpr"
	"github.com/fpr-team/fpr/internal/fprtest"
)

// reviewJSON is the API's Review as tests read it.
type reviewJSON struct {
	ID        string `json:"id"`
	ProductID string `json:"product_id"`
	Author    struct {
		ID          string `json:"id"`
		DisplayName string `json:"display_name"`
	} `json:"author"`
	Rating       int    `json:"rating"`
	Title        string `json:"title"`
	Body         string `json:"body"`
	Status       string `json:"status"`
	HelpfulCount int    `json:"helpful_count"`
	Reply        *struct {
		Body   string `json:"body"`
		Author struct {
			ID string `json:"id"`
		} `json:"author"`
	} `json:"reply"`
}

type reviewListJSON struct {
	Items      []reviewJSON `json:"items"`
	NextCursor *string      `json:"next_cursor"`
}

// wantStatus fails unless resp has status want.
func wantStatus(t *testing.T, what string, resp *http.Response, body []byte, want int) {
	t.Helper()
	if resp.StatusCode != want {
		t.Fatalf("%s = %d %s, want %d", what, resp.StatusCode, body, want)
	}
}

// mustFarmProduct has producer create a farm and a product in it through
// the store and returns the product's ID.
func mustFarmProduct(t *testing.T, env *fprtest.Env, producer *fpr.User) string {
	t.Helper()
	ctx := env.Ctx(producer)
	farm := &fpr.Farm{Name: "Farm " + fmt.Sprint(uniq()), Region: "North"}
	if err := env.DB.CreateFarm(ctx, farm); err != nil {
		t.Fatalf("create farm: %v", err)
	}
	return mustProductIn(t, env, producer, farm.ID)
}

func mustProductIn(t *testing.T, env *fprtest.Env, producer *fpr.User, farmID string) string {
	t.Helper()
	p := &fpr.Product{FarmID: farmID, Name: "Honey " + fmt.Sprint(uniq()), Category: "honey", Unit: "jar"}
	if err := env.DB.CreateProduct(env.Ctx(producer), p); err != nil {
		t.Fatalf("create product: %v", err)
	}
	return p.ID
}

var (
	uniqMu sync.Mutex
	uniqN  int
)

func uniq() int {
	uniqMu.Lock()
	defer uniqMu.Unlock()
	uniqN++
	return uniqN
}

func TestAPIReviews_Flow(t *testing.T) {
	t.Parallel()
	env := fprtest.New(t)
	producer := env.MustUser(t, fpr.RoleProducer)
	product := mustFarmProduct(t, env, producer.User)
	ann := env.MustUser(t, fpr.RoleMember)
	bob := env.MustUser(t, fpr.RoleMember)

	resp, body := env.Do(t, "POST", "/api/v1/products/"+product+"/reviews", ann.Token,
		map[string]any{"rating": 4, "title": "Lovely", "body": "Thick, floral honey."})
	wantStatus(t, "create review", resp, body, http.StatusCreated)
	created := mustDecode[struct{ Review reviewJSON }](t, body).Review
	if created.Status != "published" || created.Rating != 4 || created.Author.ID != ann.User.ID || created.Reply != nil || created.ProductID != product {
		t.Errorf("created review = %+v", created)
	}
	id := created.ID

	resp, body = env.Do(t, "GET", "/api/v1/reviews/"+id, "", nil)
	wantStatus(t, "get review", resp, body, http.StatusOK)

	resp, body = env.Do(t, "PATCH", "/api/v1/reviews/"+id, ann.Token, map[string]any{"rating": 2})
	wantStatus(t, "patch review", resp, body, http.StatusOK)
	if got := mustDecode[struct{ Review reviewJSON }](t, body).Review; got.Rating != 2 || got.Title != "Lovely" {
		t.Errorf("patched review = %+v, want rating 2, title kept", got)
	}
	p, err := env.DB.FindProductByID(env.Ctx(nil), product)
	if err != nil {
		t.Fatal(err)
	}
	if avg, ok := p.Rating.Average(); p.Rating.Count != 1 || !ok || avg != 2 || p.Rating.Histogram[1] != 1 {
		t.Errorf("product rating after edit = %+v, want one 2-star review", p.Rating)
	}

	for _, step := range []struct {
		method, path, token string
		body                any
		want                int
	}{
		{"PUT", "/api/v1/reviews/" + id + "/helpful", bob.Token, nil, http.StatusNoContent},
		{"PUT", "/api/v1/reviews/" + id + "/helpful", bob.Token, nil, http.StatusNoContent},
		{"PUT", "/api/v1/reviews/" + id + "/helpful", ann.Token, nil, http.StatusForbidden},
		{"POST", "/api/v1/reviews/" + id + "/flags", bob.Token, map[string]any{"reason": "spam", "note": "an ad"}, http.StatusCreated},
		{"POST", "/api/v1/reviews/" + id + "/flags", bob.Token, map[string]any{"reason": "fake"}, http.StatusConflict},
		{"POST", "/api/v1/reviews/" + id + "/flags", ann.Token, map[string]any{"reason": "fake"}, http.StatusForbidden},
		{"POST", "/api/v1/reviews/" + id + "/flags", producer.Token, map[string]any{"reason": "boring"}, http.StatusUnprocessableEntity},
		{"PUT", "/api/v1/reviews/" + id + "/reply", producer.Token, map[string]any{"body": "Thank you!"}, http.StatusOK},
		{"PUT", "/api/v1/reviews/" + id + "/reply", bob.Token, map[string]any{"body": "Me too"}, http.StatusForbidden},
		{"PUT", "/api/v1/reviews/" + id + "/reply", producer.Token, map[string]any{"body": ""}, http.StatusUnprocessableEntity},
		{"PATCH", "/api/v1/reviews/" + id, bob.Token, map[string]any{"rating": 5}, http.StatusForbidden},
		{"PATCH", "/api/v1/reviews/" + id, ann.Token, map[string]any{"rating": 6}, http.StatusUnprocessableEntity},
		{"PATCH", "/api/v1/reviews/" + id, ann.Token, map[string]any{"stars": 5}, http.StatusBadRequest},
		{"POST", "/api/v1/products/" + product + "/reviews", ann.Token, map[string]any{"rating": 5, "body": "Again"}, http.StatusConflict},
		{"POST", "/api/v1/products/" + product + "/reviews", producer.Token, map[string]any{"rating": 5, "body": "Ours"}, http.StatusForbidden},
		{"POST", "/api/v1/products/missing/reviews", bob.Token, map[string]any{"rating": 5, "body": "x"}, http.StatusNotFound},
		{"POST", "/api/v1/products/" + product + "/reviews", "", map[string]any{"rating": 5, "body": "x"}, http.StatusUnauthorized},
		{"GET", "/api/v1/products/" + product + "/reviews?sort=oldest", "", nil, http.StatusUnprocessableEntity},
		{"GET", "/api/v1/products/" + product + "/reviews?rating=abc", "", nil, http.StatusUnprocessableEntity},
		{"GET", "/api/v1/products/" + product + "/reviews?rating=7", "", nil, http.StatusUnprocessableEntity},
		{"GET", "/api/v1/products/" + product + "/reviews?cursor=zzz", "", nil, http.StatusUnprocessableEntity},
		{"GET", "/api/v1/products/" + product + "/reviews?limit=0", "", nil, http.StatusUnprocessableEntity},
		{"GET", "/api/v1/products/missing/reviews", "", nil, http.StatusNotFound},
		{"GET", "/api/v1/users/missing/reviews", "", nil, http.StatusNotFound},
		{"GET", "/api/v1/reviews/missing", "", nil, http.StatusNotFound},
	} {
		resp, body := env.Do(t, step.method, step.path, step.token, step.body)
		if resp.StatusCode != step.want {
			t.Errorf("%s %s = %d %s, want %d", step.method, step.path, resp.StatusCode, body, step.want)
		}
	}

	resp, body = env.Do(t, "GET", "/api/v1/products/"+product+"/reviews?sort=helpful&rating=2&limit=5", "", nil)
	wantStatus(t, "list reviews", resp, body, http.StatusOK)
	list := mustDecode[reviewListJSON](t, body)
	if len(list.Items) != 1 || list.NextCursor != nil {
		t.Fatalf("list = %+v, want one review and no next cursor", list)
	}
	if got := list.Items[0]; got.HelpfulCount != 1 || got.Reply == nil || got.Reply.Body != "Thank you!" || got.Reply.Author.ID != producer.User.ID {
		t.Errorf("listed review = %+v, want 1 helpful vote and the farm's reply", got)
	}
	resp, body = env.Do(t, "DELETE", "/api/v1/reviews/"+id+"/helpful", bob.Token, nil)
	wantStatus(t, "unvote", resp, body, http.StatusNoContent)

	resp, body = env.Do(t, "GET", "/api/v1/users/"+ann.User.ID+"/reviews", "", nil)
	wantStatus(t, "user reviews", resp, body, http.StatusOK)
	if l := mustDecode[reviewListJSON](t, body); len(l.Items) != 1 || l.Items[0].HelpfulCount != 0 {
		t.Errorf("user's reviews = %+v, want the review with 0 votes", l)
	}

	resp, body = env.Do(t, "DELETE", "/api/v1/reviews/"+id, bob.Token, nil)
	wantStatus(t, "delete by another member", resp, body, http.StatusForbidden)
	resp, body = env.Do(t, "DELETE", "/api/v1/reviews/"+id, ann.Token, nil)
	wantStatus(t, "delete by author", resp, body, http.StatusNoContent)
	resp, body = env.Do(t, "GET", "/api/v1/reviews/"+id, ann.Token, nil)
	wantStatus(t, "get after delete", resp, body, http.StatusNotFound)
}

func TestAPIReviews_Paging(t *testing.T) {
	t.Parallel()
	env := fprtest.New(t)
	producer := env.MustUser(t, fpr.RoleProducer)
	product := mustFarmProduct(t, env, producer.User)
	want := map[string]bool{}
	for i := range 5 {
		u := &fpr.User{Email: fmt.Sprintf("pager%d-%d@example.test", uniq(), i), DisplayName: "Pager", Role: fpr.RoleMember, EmailVerified: true}
		if err := env.DB.CreateUser(env.Ctx(nil), u, "!"); err != nil {
			t.Fatal(err)
		}
		r := &fpr.Review{ProductID: product, Rating: 1 + i, Body: "Review body."}
		if err := env.DB.CreateReview(env.Ctx(u), r); err != nil {
			t.Fatal(err)
		}
		want[r.ID] = true
	}
	for _, sort := range []string{"newest", "helpful", "highest", "lowest"} {
		seen := map[string]bool{}
		path := "/api/v1/products/" + product + "/reviews?limit=2&sort=" + sort
		cur := ""
		for pages := 0; ; pages++ {
			p := path
			if cur != "" {
				p += "&cursor=" + cur
			}
			resp, body := env.Do(t, "GET", p, "", nil)
			wantStatus(t, "page", resp, body, http.StatusOK)
			l := mustDecode[reviewListJSON](t, body)
			for _, it := range l.Items {
				seen[it.ID] = true
			}
			if l.NextCursor == nil {
				break
			}
			if pages > 5 {
				t.Fatal("too many pages")
			}
			cur = *l.NextCursor
		}
		if len(seen) != len(want) {
			t.Errorf("sort %s: pages held %d distinct reviews, want %d", sort, len(seen), len(want))
		}
	}
}

// TestAPIReviews_Idempotency: a retried submission with the same key and
// body gets the first response and makes one review; another body with
// the same key is 422.
func TestAPIReviews_Idempotency(t *testing.T) {
	t.Parallel()
	env := fprtest.New(t)
	producer := env.MustUser(t, fpr.RoleProducer)
	product := mustFarmProduct(t, env, producer.User)
	ann := env.MustUser(t, fpr.RoleMember)
	// post sends the submission with an Idempotency-Key through the
	// validating client and returns the status, headers and body.
	post := func(key, body string) (int, http.Header, []byte) {
		t.Helper()
		req, err := http.NewRequest("POST", env.URL+"/api/v1/products/"+product+"/reviews", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+ann.Token)
		req.Header.Set("Idempotency-Key", key)
		resp, err := env.Client(t).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, resp.Header, b
	}
	want := func(what string, status int, body []byte, want int) {
		t.Helper()
		if status != want {
			t.Fatalf("%s = %d %s, want %d", what, status, body, want)
		}
	}
	const body = `{"rating": 5, "title": "Retry", "body": "Sent twice."}`
	st1, _, body1 := post("key-1", body)
	want("first", st1, body1, http.StatusCreated)
	st2, h2, body2 := post("key-1", body)
	want("retry", st2, body2, http.StatusCreated)
	if string(body1) != string(body2) || h2.Get("Idempotent-Replayed") != "true" {
		t.Errorf("retry body %s (replayed %q), want the first %s", body2, h2.Get("Idempotent-Replayed"), body1)
	}
	st3, _, body3 := post("key-1", `{"rating": 1, "body": "Changed my mind."}`)
	want("same key, other body", st3, body3, http.StatusUnprocessableEntity)
	st4, _, body4 := post("key-2", body)
	want("new key, second review", st4, body4, http.StatusConflict)
	own, _, err := env.DB.FindReviews(env.Ctx(ann.User), fpr.ReviewFilter{AuthorID: &ann.User.ID})
	if err != nil {
		t.Fatal(err)
	}
	if len(own) != 1 || own[0].Rating != 5 {
		t.Errorf("reviews by the user = %d, want one 5-star review", len(own))
	}
}

// TestAPIReviews_ConcurrentSubmissions: 60 concurrent submissions by one
// user give one 201 and 59 409s.
func TestAPIReviews_ConcurrentSubmissions(t *testing.T) {
	t.Parallel()
	env := fprtest.New(t)
	producer := env.MustUser(t, fpr.RoleProducer)
	product := mustFarmProduct(t, env, producer.User)
	ann := env.MustUser(t, fpr.RoleMember)
	const n = 60
	statuses := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			resp, _ := env.Do(t, "POST", "/api/v1/products/"+product+"/reviews", ann.Token, map[string]any{"rating": 1 + i%5, "body": "Hurry."})
			statuses[i] = resp.StatusCode
		})
	}
	wg.Wait()
	count := map[int]int{}
	for _, s := range statuses {
		count[s]++
	}
	if count[http.StatusCreated] != 1 || count[http.StatusConflict] != n-1 {
		t.Errorf("statuses = %v, want one 201 and %d 409", count, n-1)
	}
}

func TestAPIModeration(t *testing.T) {
	t.Parallel()
	env := fprtest.New(t, fprtest.WithModeration(fpr.ModerationPre))
	producer := env.MustUser(t, fpr.RoleProducer)
	product := mustFarmProduct(t, env, producer.User)
	ann := env.MustUser(t, fpr.RoleMember)
	member := env.MustUser(t, fpr.RoleMember)
	mod := env.MustUser(t, fpr.RoleModerator)

	resp, body := env.Do(t, "POST", "/api/v1/products/"+product+"/reviews", ann.Token, map[string]any{"rating": 3, "body": "Waiting."})
	wantStatus(t, "create", resp, body, http.StatusCreated)
	r := mustDecode[struct{ Review reviewJSON }](t, body).Review
	if r.Status != "pending" {
		t.Errorf("status under pre-moderation = %s, want pending", r.Status)
	}
	resp, body = env.Do(t, "GET", "/api/v1/reviews/"+r.ID, member.Token, nil)
	wantStatus(t, "member reads pending", resp, body, http.StatusNotFound)
	resp, body = env.Do(t, "GET", "/api/v1/reviews/"+r.ID, ann.Token, nil)
	wantStatus(t, "author reads pending", resp, body, http.StatusOK)

	resp, body = env.Do(t, "GET", "/api/v1/moderation/queue", "", nil)
	wantStatus(t, "queue anonymous", resp, body, http.StatusUnauthorized)
	resp, body = env.Do(t, "GET", "/api/v1/moderation/queue", member.Token, nil)
	wantStatus(t, "queue member", resp, body, http.StatusForbidden)
	resp, body = env.Do(t, "GET", "/api/v1/moderation/queue?status=everything", mod.Token, nil)
	wantStatus(t, "queue bad status", resp, body, http.StatusUnprocessableEntity)
	resp, body = env.Do(t, "GET", "/api/v1/moderation/queue?status=pending", mod.Token, nil)
	wantStatus(t, "queue", resp, body, http.StatusOK)
	q := mustDecode[struct {
		Items []struct {
			Review  reviewJSON `json:"review"`
			Product struct {
				ID   string `json:"id"`
				Name string `json:"name"`
			} `json:"product"`
			FlagCount int `json:"flag_count"`
		} `json:"items"`
	}](t, body)
	if len(q.Items) != 1 || q.Items[0].Review.ID != r.ID || q.Items[0].Product.ID != product || q.Items[0].Product.Name == "" {
		t.Fatalf("queue = %+v, want the pending review with its product", q)
	}

	resp, body = env.Do(t, "POST", "/api/v1/moderation/reviews/"+r.ID, mod.Token, map[string]any{"action": "hide", "note": ""})
	wantStatus(t, "bad action", resp, body, http.StatusUnprocessableEntity)
	resp, body = env.Do(t, "POST", "/api/v1/moderation/reviews/"+r.ID, member.Token, map[string]any{"action": "publish", "note": ""})
	wantStatus(t, "member decides", resp, body, http.StatusForbidden)
	resp, body = env.Do(t, "POST", "/api/v1/moderation/reviews/"+r.ID, mod.Token, map[string]any{"action": "publish", "note": "Fine."})
	wantStatus(t, "publish", resp, body, http.StatusOK)
	if got := mustDecode[struct{ Review reviewJSON }](t, body).Review; got.Status != "published" {
		t.Errorf("after publish status = %s", got.Status)
	}
	resp, body = env.Do(t, "POST", "/api/v1/moderation/reviews/"+r.ID, mod.Token, map[string]any{"action": "publish", "note": ""})
	wantStatus(t, "publish again", resp, body, http.StatusConflict)

	resp, body = env.Do(t, "GET", "/api/v1/moderation/reviews/"+r.ID+"/log", mod.Token, nil)
	wantStatus(t, "log", resp, body, http.StatusOK)
	log := mustDecode[struct {
		Items []struct {
			Action    string `json:"action"`
			Note      string `json:"note"`
			Moderator struct {
				ID string `json:"id"`
			} `json:"moderator"`
		} `json:"items"`
	}](t, body)
	if len(log.Items) != 1 || log.Items[0].Action != "publish" || log.Items[0].Note != "Fine." || log.Items[0].Moderator.ID != mod.User.ID {
		t.Errorf("log = %+v, want one publish by the moderator", log)
	}
	resp, body = env.Do(t, "GET", "/api/v1/moderation/reviews/"+r.ID+"/log", member.Token, nil)
	wantStatus(t, "log as member", resp, body, http.StatusForbidden)
}

// flaggedReviewEnv is a site on a settable clock with one published
// review to flag (its ID) and an admin to read the moderation queue.
func flaggedReviewEnv(t *testing.T) (env *fprtest.Env, clk *fprtest.Clock, reviewID string, admin *fprtest.TestUser) {
	t.Helper()
	clk = fprtest.NewClock(time.Date(2026, 5, 10, 12, 0, 0, 0, time.UTC))
	env = fprtest.New(t, fprtest.WithClock(clk.Now))
	producer := env.MustUser(t, fpr.RoleProducer)
	product := mustFarmProduct(t, env, producer.User)
	ann := env.MustUser(t, fpr.RoleMember)
	admin = env.MustUser(t, fpr.RoleAdmin)
	resp, body := env.Do(t, "POST", "/api/v1/products/"+product+"/reviews", ann.Token, map[string]any{"rating": 5, "body": "Buy it."})
	wantStatus(t, "create", resp, body, http.StatusCreated)
	return env, clk, mustDecode[struct{ Review reviewJSON }](t, body).Review.ID, admin
}

// TestAPIModeration_UnverifiedFlagsDoNotCount: accounts old enough but
// with an e-mail nobody verified (addresses an attacker never reads) queue
// a review for a moderator but cannot hide it (SPEC section 7).
func TestAPIModeration_UnverifiedFlagsDoNotCount(t *testing.T) {
	t.Parallel()
	env, clk, id, admin := flaggedReviewEnv(t)
	var flaggers []*fprtest.TestUser
	for range fpr.FlagsToUnpublish + 2 {
		flaggers = append(flaggers, env.MustUnverifiedUser(t))
	}
	clk.Advance(2 * fpr.FlagWeightAge)
	for _, u := range flaggers {
		resp, body := env.Do(t, "POST", "/api/v1/reviews/"+id+"/flags", u.Token, map[string]any{"reason": "fake", "note": "unverified"})
		wantStatus(t, "flag", resp, body, http.StatusCreated)
	}
	resp, body := env.Do(t, "GET", "/api/v1/reviews/"+id, "", nil)
	wantStatus(t, "get", resp, body, http.StatusOK)
	if got := mustDecode[struct{ Review reviewJSON }](t, body).Review.Status; got != "published" {
		t.Fatalf("after %d flags by two-day-old unverified accounts the review is %q, want published", len(flaggers), got)
	}
	resp, body = env.Do(t, "GET", "/api/v1/moderation/queue?status=flagged", admin.Token, nil)
	wantStatus(t, "queue", resp, body, http.StatusOK)
	q := mustDecode[struct {
		Items []struct {
			FlagCount int `json:"flag_count"`
			OpenFlags []struct {
				Counts bool `json:"counts"`
			} `json:"open_flags"`
		} `json:"items"`
	}](t, body)
	if len(q.Items) != 1 || q.Items[0].FlagCount != len(flaggers) {
		t.Fatalf("flagged queue = %+v, want the review with its %d flags", q, len(flaggers))
	}
	for i, f := range q.Items[0].OpenFlags {
		if f.Counts {
			t.Errorf("open flag %d counts; an unverified account's flag must not", i)
		}
	}
}

// TestAPIModeration_FlagsUnpublish reproduces issue 10's attacks on flags:
// three fresh accounts no longer hide a review (their flags only queue
// it); three accounts a day old do; once a moderator republishes it, three
// more flags queue it again but leave it published. Moderators see every
// flag's reason and note.
func TestAPIModeration_FlagsUnpublish(t *testing.T) {
	t.Parallel()
	env, clk, id, admin := flaggedReviewEnv(t)
	resp, body := env.Do(t, "GET", "/api/v1/reviews/"+id, "", nil)
	wantStatus(t, "get", resp, body, http.StatusOK)
	product := mustDecode[struct{ Review reviewJSON }](t, body).Review.ProductID
	var aged []*fprtest.TestUser
	for range 6 {
		aged = append(aged, env.MustUser(t, fpr.RoleMember))
	}
	flag := func(u *fprtest.TestUser, reason, note string) {
		t.Helper()
		resp, body := env.Do(t, "POST", "/api/v1/reviews/"+id+"/flags", u.Token, map[string]any{"reason": reason, "note": note})
		wantStatus(t, "flag", resp, body, http.StatusCreated)
		clk.Advance(time.Second) // one order: oldest first
	}
	listed := func() int {
		t.Helper()
		resp, body := env.Do(t, "GET", "/api/v1/products/"+product+"/reviews", "", nil)
		wantStatus(t, "list", resp, body, http.StatusOK)
		return len(mustDecode[reviewListJSON](t, body).Items)
	}
	for range 3 {
		flag(env.MustUser(t, fpr.RoleMember), "fake", "fresh account")
	}
	if n := listed(); n != 1 {
		t.Fatalf("public list after 3 flags by fresh accounts = %d reviews, want 1", n)
	}
	clk.Advance(fpr.FlagWeightAge)
	for i, reason := range []string{"spam", "spam", "offensive"} {
		flag(aged[i], reason, fmt.Sprintf("note %d", i))
	}
	if n := listed(); n != 0 {
		t.Errorf("public list after 3 flags by day-old accounts = %d reviews, want 0", n)
	}
	type queue struct {
		Items []struct {
			Review    reviewJSON `json:"review"`
			FlagCount int        `json:"flag_count"`
			Flags     []struct {
				Reason string `json:"reason"`
				Count  int    `json:"count"`
			} `json:"flags"`
			OpenFlags []struct {
				Reason string `json:"reason"`
				Note   string `json:"note"`
				Counts bool   `json:"counts"`
			} `json:"open_flags"`
		} `json:"items"`
	}
	resp, body = env.Do(t, "GET", "/api/v1/moderation/queue?status=flagged", admin.Token, nil)
	wantStatus(t, "queue", resp, body, http.StatusOK)
	q := mustDecode[queue](t, body)
	if len(q.Items) != 1 || q.Items[0].FlagCount != 6 || q.Items[0].Review.Status != "pending" ||
		fmt.Sprint(q.Items[0].Flags) != "[{spam 2} {offensive 1} {fake 3}]" {
		t.Fatalf("flagged queue = %+v, want the pending review with 2 spam, 1 offensive, 3 fake", q)
	}
	if got := fmt.Sprint(q.Items[0].OpenFlags); got != "[{fake fresh account false} {fake fresh account false} {fake fresh account false} {spam note 0 true} {spam note 1 true} {offensive note 2 true}]" {
		t.Errorf("open flags = %s, want each flag's reason, note and weight, oldest first", got)
	}
	resp, body = env.Do(t, "POST", "/api/v1/moderation/reviews/"+id, admin.Token, map[string]any{"action": "publish", "note": "Fine."})
	wantStatus(t, "publish", resp, body, http.StatusOK)
	for i := 3; i < 6; i++ {
		flag(aged[i], "spam", "again")
	}
	if n := listed(); n != 1 {
		t.Errorf("public list after a moderator published it and 3 more flags = %d reviews, want 1", n)
	}
	resp, body = env.Do(t, "GET", "/api/v1/moderation/queue?status=flagged", admin.Token, nil)
	wantStatus(t, "queue", resp, body, http.StatusOK)
	if q := mustDecode[queue](t, body); len(q.Items) != 1 || q.Items[0].FlagCount != 3 || q.Items[0].Review.Status != "published" {
		t.Errorf("flagged queue after republishing = %+v, want the published review with its 3 new flags", q)
	}
}
