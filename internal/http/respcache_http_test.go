package http_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fpr-team/fpr"
	"github.com/fpr-team/fpr/internal/app"
	"github.com/fpr-team/fpr/internal/fprtest"
	fprhttp "github.com/fpr-team/fpr/internal/http"
)

// Two instances on one database keep product answers (respcache.go), and
// a third keeps none: after every kind of change a product's detail and
// review pages show, through either instance's store, both caching
// instances answer byte for byte what the third makes anew. Each check
// first asks twice with no change between, and the second answer must
// come from the cache: a cache that kept nothing would pass vacuously.
func TestResponseCache_AnswersAreNeverStale(t *testing.T) {
	t.Parallel()
	a := fprtest.New(t)
	b := fprtest.New(t, fprtest.WithDB(a.DB))
	fresh := fprtest.New(t, fprtest.WithDB(a.DB), fprtest.WithServer(func(s *fprhttp.Server) { s.ResponseCacheBytes = -1 }))

	producer := a.MustUser(t, fpr.RoleProducer)
	mod := a.MustUser(t, fpr.RoleModerator)
	author, voter := a.MustUser(t, fpr.RoleMember), a.MustUser(t, fpr.RoleMember)
	farm, p := reviewedProduct(t, a, producer, "Cache Farm", "Chard", 3)

	paths := []string{
		"/api/v1/products/" + p.ID,
		"/api/v1/products/" + p.ID + "/reviews?limit=20",
		"/api/v1/products/" + p.ID + "/reviews?sort=helpful",
		"/api/v1/products/" + p.ID + "/reviews?rating=5",
		"/api/v1/products/" + p.ID + "/reviews?limit=2",
	}
	// Hits from memory or, for first pages of reviews, from the
	// database (keeper.go).
	hits := func() int64 {
		sa, sb := a.Server.ResponseCacheStats(), b.Server.ResponseCacheStats()
		return sa.Hits + sa.StoredHits + sb.Hits + sb.StoredHits
	}
	check := func(step string) {
		t.Helper()
		for _, path := range paths {
			_, want := fresh.Do(t, http.MethodGet, path, "", nil)
			for _, env := range []*fprtest.Env{a, b} {
				for _, token := range []string{"", voter.Token} {
					before := hits()
					// Three: a page of reviews is kept at its second
					// request (newRespCacheSeenTwice), served at its third;
					// a first page is kept in the database once the
					// keeper has written it.
					for range 3 {
						resp, got := env.Do(t, http.MethodGet, path, token, nil)
						if resp.StatusCode != http.StatusOK || !bytes.Equal(got, want) {
							t.Fatalf("after %s: GET %s answered %d\n%s\nwant, as made anew:\n%s", step, path, resp.StatusCode, got, want)
						}
						ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
						noErr(t, "WaitKept", env.Server.WaitKept(ctx))
						cancel()
					}
					if hits() == before {
						t.Fatalf("after %s: GET %s three times, no change between, and no answer came from the cache", step, path)
					}
				}
			}
		}
	}
	check("the start")

	ctxOf := func(u *fprtest.TestUser) context.Context { return a.Ctx(u.User) }
	var r *fpr.Review
	var photo *fpr.Photo
	steps := []struct {
		name   string
		change func() error
	}{
		{"a new review", func() error {
			r = &fpr.Review{ProductID: p.ID, Rating: 5, Title: "Lovely", Body: "Crisp.", Aspects: map[fpr.Aspect]int{"freshness": 5}}
			return a.DB.CreateReview(ctxOf(author), r)
		}},
		{"an edit", func() error {
			_, err := b.DB.UpdateReview(ctxOf(author), r.ID, fpr.ReviewUpdate{Body: ptr("Crisp and sweet.")})
			return err
		}},
		{"a helpful vote", func() error { return a.DB.SetHelpful(ctxOf(voter), r.ID, true) }},
		{"the farm's reply", func() error { _, err := a.DB.SetReply(ctxOf(producer), r.ID, "Thank you!"); return err }},
		{"the author's new name", func() error { return a.DB.SetDisplayName(ctxOf(author), author.User.ID, "Renamed A.") }},
		{"the replier's new name", func() error { return a.DB.SetDisplayName(ctxOf(producer), producer.User.ID, "Renamed P.") }},
		{"a review photo", func() error {
			var err error
			photo, err = a.DB.AddPhoto(ctxOf(author), fpr.PhotoOwner{ReviewID: r.ID},
				&fpr.PhotoData{ContentType: "image/jpeg", Large: []byte("large"), Width: 640, Height: 480, Thumb: []byte("thumb")})
			return err
		}},
		{"the photo deleted", func() error { return a.DB.DeletePhoto(ctxOf(author), photo.ID) }},
		{"a moderator's removal", func() error {
			_, err := a.DB.ModerateReview(ctxOf(mod), r.ID, fpr.ActionRemove, "Checking.", "")
			return err
		}},
		{"the review published again", func() error {
			_, err := a.DB.ModerateReview(ctxOf(mod), r.ID, fpr.ActionPublish, "Fine.", "")
			return err
		}},
		{"the product renamed", func() error {
			_, err := a.DB.UpdateProduct(ctxOf(producer), p.ID, fpr.ProductUpdate{Name: ptr("Rainbow chard")})
			return err
		}},
		{"the farm renamed", func() error {
			_, err := a.DB.UpdateFarm(ctxOf(producer), farm.ID, fpr.FarmUpdate{Name: ptr("Chard Acres")})
			return err
		}},
		{"the review deleted", func() error { return a.DB.DeleteReview(ctxOf(author), r.ID) }},
	}
	for _, step := range steps {
		noErr(t, step.name, step.change())
		check(step.name)
	}

	// The counts are on /metrics.
	resp, body := b.Do(t, http.MethodGet, "/metrics", "", nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: %d", resp.StatusCode)
	}
	st := b.Server.ResponseCacheStats()
	for _, want := range []string{
		fmt.Sprintf("fpr_response_cache_hits_total %d", st.Hits),
		"fpr_response_cache_misses_total ", "fpr_response_cache_entries ", "fpr_response_cache_bytes ",
	} {
		if !bytes.Contains(body, []byte("\n"+want)) {
			t.Errorf("/metrics has no line %q", want)
		}
	}
	if st.Hits == 0 || st.Misses == 0 || st.Entries == 0 || st.Bytes == 0 {
		t.Errorf("ResponseCacheStats = %+v, want every count above zero", st)
	}
}

// Readers and writers at once: no answer a reader gets is older than a
// change committed before its request began. Each writer moves the
// product's name forward (n = 1, 2, …) and then asks; it must see its own
// name or a later one.
func TestResponseCache_ReadsAfterWritesSeeThem(t *testing.T) {
	t.Parallel()
	env := fprtest.New(t)
	producer := env.MustUser(t, fpr.RoleProducer)
	farm := &fpr.Farm{Name: "Race Farm", Region: "Kent"}
	noErr(t, "CreateFarm", env.DB.CreateFarm(env.Ctx(producer.User), farm))
	p := &fpr.Product{FarmID: farm.ID, Name: "v0000", Category: "vegetables", Unit: "bunch", Description: "Race."}
	noErr(t, "CreateProduct", env.DB.CreateProduct(env.Ctx(producer.User), p))

	var mu sync.Mutex
	last := 0 // the highest version committed
	stop := make(chan struct{})
	var readers sync.WaitGroup
	for range 4 {
		readers.Add(1)
		go func() {
			defer readers.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				mu.Lock()
				floor := last
				mu.Unlock()
				var got struct {
					Product struct {
						Name string `json:"name"`
					} `json:"product"`
				}
				_, body := env.Do(t, http.MethodGet, "/api/v1/products/"+p.ID, "", nil)
				var v int
				if err := json.Unmarshal(body, &got); err != nil {
					t.Errorf("GET product: %v: %s", err, body)
					return
				}
				if _, err := fmt.Sscanf(got.Product.Name, "v%04d", &v); err != nil || v < floor {
					t.Errorf("a read begun after v%04d was committed answered %q", floor, got.Product.Name)
					return
				}
			}
		}()
	}
	for n := 1; n <= 60; n++ {
		name := fmt.Sprintf("v%04d", n)
		if _, err := env.DB.UpdateProduct(env.Ctx(producer.User), p.ID, fpr.ProductUpdate{Name: &name}); err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		last = n
		mu.Unlock()
		// Let the readers be answered from a kept answer before the next
		// change, so that every change has one to make stale. Without the
		// wait, on PostgreSQL under the race detector the writes could
		// outrun every read and no read was a hit.
		hits := env.Server.ResponseCacheStats().Hits
		for deadline := time.Now().Add(5 * time.Second); env.Server.ResponseCacheStats().Hits == hits && time.Now().Before(deadline); {
			time.Sleep(time.Millisecond)
		}
	}
	close(stop)
	readers.Wait()
	if env.Server.ResponseCacheStats().Hits == 0 {
		t.Fatalf("no read was answered from the cache: the test proves nothing")
	}
}

func noErr(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// getIfNoneMatch GETs path from env with If-None-Match: inm, through the
// contract-validating transport, and returns the status, headers and body.
func getIfNoneMatch(t *testing.T, env *fprtest.Env, path, inm string) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, env.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("If-None-Match", inm)
	resp, body := env.DoRequest(t, req) //nolint:bodyclose // DoRequest has read and closed the body
	return resp.StatusCode, resp.Header, body
}

// Conditional GETs: an answer's ETag brings 304 Not Modified, with no
// body, from either instance while nothing changed (also in a list, or
// weak), and a full answer with another ETag once something did.
func TestResponseCache_ConditionalGet(t *testing.T) {
	t.Parallel()
	a := fprtest.New(t)
	b := fprtest.New(t, fprtest.WithDB(a.DB))
	producer, voter := a.MustUser(t, fpr.RoleProducer), a.MustUser(t, fpr.RoleMember)
	farm := &fpr.Farm{Name: "Tag Farm", Region: "Kent"}
	noErr(t, "CreateFarm", a.DB.CreateFarm(a.Ctx(producer.User), farm))
	p := &fpr.Product{FarmID: farm.ID, Name: "Leeks", Category: "vegetables", Unit: "bunch", Description: "Long."}
	noErr(t, "CreateProduct", a.DB.CreateProduct(a.Ctx(producer.User), p))
	r := &fpr.Review{ProductID: p.ID, Rating: 4, Body: "Sweet."}
	noErr(t, "CreateReview", a.DB.CreateReview(a.Ctx(a.MustUser(t, fpr.RoleMember).User), r))

	for _, path := range []string{"/api/v1/products/" + p.ID, "/api/v1/products/" + p.ID + "/reviews?limit=5"} {
		// A page of reviews is kept, and tagged, from its second request.
		a.Do(t, http.MethodGet, path, "", nil)
		resp, body := a.Do(t, http.MethodGet, path, "", nil)
		etag := resp.Header.Get("ETag")
		if resp.StatusCode != http.StatusOK || etag == "" || resp.Header.Get("Cache-Control") != "no-cache" {
			t.Fatalf("GET %s: %d, ETag %q, Cache-Control %q; want 200, an ETag, no-cache", path, resp.StatusCode, etag, resp.Header.Get("Cache-Control"))
		}
		for _, env := range []*fprtest.Env{a, b} {
			for _, inm := range []string{etag, `"other", W/` + etag, "*"} {
				status, header, got := getIfNoneMatch(t, env, path, inm)
				if status != http.StatusNotModified || len(got) != 0 || header.Get("ETag") != etag {
					t.Errorf("GET %s with If-None-Match %s: %d, %d bytes, ETag %q; want 304, none, %s",
						path, inm, status, len(got), header.Get("ETag"), etag)
				}
			}
		}
		// Other tags, and hostile ones (bidi controls, 32 KB of them), are
		// no match: the whole answer, nothing else. (A NUL in a header
		// never reaches a handler: net/http answers 400 first.)
		for _, inm := range []string{`"other"`, "\u202e" + etag, etag + "\u202e", strings.Repeat(`"x", `, 32<<10/5) + `"x"`} {
			status, _, got := getIfNoneMatch(t, a, path, inm)
			if status != http.StatusOK || !bytes.Equal(got, body) {
				t.Errorf("GET %s with If-None-Match %.40q: %d, want 200 and the answer", path, inm, status)
			}
		}

		noErr(t, "SetHelpful", a.DB.SetHelpful(a.Ctx(voter.User), r.ID, true))
		noErr(t, "SetHelpful", a.DB.SetHelpful(a.Ctx(voter.User), r.ID, false))
		for _, env := range []*fprtest.Env{b, a} {
			status, header, got := getIfNoneMatch(t, env, path, etag)
			if status != http.StatusOK || header.Get("ETag") == etag || !bytes.Equal(got, body) {
				// The vote was taken back: the same body, a new stamp.
				t.Errorf("GET %s after a change, with the old ETag: %d, ETag %q (old %s), body equal %v; want 200, a new ETag, the same body",
					path, status, header.Get("ETag"), etag, bytes.Equal(got, body))
			}
		}
	}
}

// reviewedProduct makes producer a farm named farmName with a vegetable
// named productName, reviewed by n new members.
func reviewedProduct(t *testing.T, env *fprtest.Env, producer *fprtest.TestUser, farmName, productName string, n int) (*fpr.Farm, *fpr.Product) {
	t.Helper()
	farm := &fpr.Farm{Name: farmName, Region: "Kent"}
	noErr(t, "CreateFarm", env.DB.CreateFarm(env.Ctx(producer.User), farm))
	p := &fpr.Product{FarmID: farm.ID, Name: productName, Category: "vegetables", Unit: "bunch", Description: "Fresh."}
	noErr(t, "CreateProduct", env.DB.CreateProduct(env.Ctx(producer.User), p))
	for range n {
		u := env.MustUser(t, fpr.RoleMember)
		noErr(t, "CreateReview", env.DB.CreateReview(env.Ctx(u.User), &fpr.Review{ProductID: p.ID, Rating: 3, Body: "Fine."}))
	}
	return farm, p
}

// A kept answer of the API over https (HSTS, the request ID, the API's
// two security headers, ETag, Cache-Control, Content-Type and
// Content-Length) has 8 header keys, what a Go map holds in one group: a
// ninth grew the map and the copy net/http takes of it, 1.5 KB each a
// request (withSecurityHeaders). Date is written by net/http, not kept in
// the map.
func TestAPIHeaders_OneMapGroup(t *testing.T) {
	t.Parallel()
	env := fprtest.New(t, fprtest.WithConfig(func(c *app.Config) { c.BaseURL = "https://fpr.example" }))
	producer := env.MustUser(t, fpr.RoleProducer)
	_, p := reviewedProduct(t, env, producer, "Header Farm", "Kale", 2)
	for _, path := range []string{"/api/v1/products/" + p.ID, "/api/v1/products/" + p.ID + "/reviews?limit=20"} {
		for range 3 { // made, then kept
			resp, _ := env.Do(t, http.MethodGet, path, "", nil)
			if resp.StatusCode != http.StatusOK || resp.Header.Get("ETag") == "" || resp.Header.Get("Strict-Transport-Security") == "" {
				t.Fatalf("GET %s = %d, ETag %q, HSTS %q", path, resp.StatusCode, resp.Header.Get("ETag"), resp.Header.Get("Strict-Transport-Security"))
			}
			var keys []string
			for k := range resp.Header {
				if k != "Date" {
					keys = append(keys, k)
				}
			}
			if len(keys) > 8 {
				t.Errorf("GET %s: %d header keys, want at most 8: %v", path, len(keys), keys)
			}
		}
	}
}
