package http_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/fpr-team/fpr"
	"github.com/fpr-team/fpr/internal/app"
	"github.com/fpr-team/fpr/internal/fprtest"
	fprhttp "github.com/fpr-team/fpr/internal/http"
)

// First pages of reviews are kept in the database (keeper.go) from their
// first request: an instance that never made one (a new one: another
// instance, or a restart) answers it from there, byte for byte what is
// made anew, while the product's stamp and the release are the ones it
// was made at; after any change, it is made anew and kept again.
func TestResponseCache_StoredPages(t *testing.T) {
	t.Parallel()
	a := fprtest.New(t)
	fresh := fprtest.New(t, fprtest.WithDB(a.DB), fprtest.WithServer(func(s *fprhttp.Server) { s.ResponseCacheBytes = -1 }))
	producer := a.MustUser(t, fpr.RoleProducer)
	farm, p := reviewedProduct(t, a, producer, "Stored Farm", "Kale", 3)
	reviews := "/api/v1/products/" + p.ID + "/reviews"
	waitKept := func(env *fprtest.Env) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		noErr(t, "WaitKept", env.Server.WaitKept(ctx))
	}
	// get asks path of a new instance on the same database, whose memory
	// keeps nothing yet, and checks the answer against one made anew. It
	// reports whether the answer came from the database's kept page.
	get := func(path string, opts ...fprtest.Option) (stored bool, etag string) {
		t.Helper()
		env := fprtest.New(t, append([]fprtest.Option{fprtest.WithDB(a.DB)}, opts...)...)
		_, want := fresh.Do(t, http.MethodGet, path, "", nil)
		resp, got := env.Do(t, http.MethodGet, path, "", nil)
		if resp.StatusCode != http.StatusOK || !bytes.Equal(got, want) {
			t.Fatalf("GET %s answered %d\n%s\nwant, as made anew:\n%s", path, resp.StatusCode, got, want)
		}
		st := env.Server.ResponseCacheStats()
		if st.Hits != 0 || st.StoredHits+st.Misses != 1 {
			t.Fatalf("GET %s once: stats %+v", path, st)
		}
		waitKept(env)
		return st.StoredHits == 1, resp.Header.Get("ETag")
	}

	// askTwice asks a for path twice, waiting for the keeper after each:
	// enough to keep any page memory would keep (respCache.admit).
	askTwice := func(path string) (etag string) {
		t.Helper()
		for range 2 {
			resp, _ := a.Do(t, http.MethodGet, path, "", nil)
			etag = resp.Header.Get("ETag")
			waitKept(a) // else the next request may make the page again
		}
		return etag
	}

	// Kept at its first request, then answered from the database by
	// others; with no limit or ?limit=20 it is the same page. A second
	// request is answered from there, and stores nothing more.
	resp, _ := a.Do(t, http.MethodGet, reviews+"?limit=20", "", nil)
	made := resp.Header.Get("ETag")
	waitKept(a)
	if st := a.Server.ResponseCacheStats(); st.Stored != 1 || st.StoredHits != 0 {
		t.Fatalf("after one request: %+v, want one stored, none served from there", st)
	}
	if again := askTwice(reviews + "?limit=20"); again != made {
		t.Fatalf("asked again: ETag %s, first %s", again, made)
	}
	if st := a.Server.ResponseCacheStats(); st.Stored != 1 || st.StoredHits != 2 {
		t.Fatalf("after two more requests: %+v, want one stored, two served from there", st)
	}
	for _, path := range []string{reviews + "?limit=20", reviews, reviews + "?limit=20&unknown=1"} {
		if stored, etag := get(path); !stored || etag != made {
			t.Errorf("GET %s on a new instance: from the database %v, ETag %s (made with %s)", path, stored, etag, made)
		}
	}
	// Another sort is another page.
	if stored, _ := get(reviews + "?sort=helpful"); stored {
		t.Error("the helpful sort was answered with the newest sort's page")
	}
	askTwice(reviews + "?sort=helpful")
	if stored, _ := get(reviews + "?sort=helpful"); !stored {
		t.Error("the helpful sort's page was not kept")
	}
	// Another release encodes its own: made anew, never another's.
	other := fprtest.WithConfig(func(c *app.Config) { c.Build.Release = "other" })
	if stored, _ := get(reviews, other); stored {
		t.Error("an instance of another release answered with this release's kept page")
	}

	// After a change the kept page is stale: made anew (showing the
	// change; get compares), then kept again.
	changes := []struct {
		name   string
		change func() error
	}{
		{"a new review", func() error {
			u := a.MustUser(t, fpr.RoleMember)
			return a.DB.CreateReview(a.Ctx(u.User), &fpr.Review{ProductID: p.ID, Rating: 1, Body: "Bitter."})
		}},
		{"the product renamed", func() error {
			_, err := a.DB.UpdateProduct(a.Ctx(producer.User), p.ID, fpr.ProductUpdate{Name: ptr("Curly kale")})
			return err
		}},
		{"the farm renamed", func() error {
			_, err := a.DB.UpdateFarm(a.Ctx(producer.User), farm.ID, fpr.FarmUpdate{Name: ptr("Kale Acres")})
			return err
		}},
	}
	for _, c := range changes {
		noErr(t, c.name, c.change())
		if stored, _ := get(reviews); stored {
			t.Fatalf("after %s: answered from the page kept before it", c.name)
		}
		askTwice(reviews)
		if stored, _ := get(reviews); !stored {
			t.Fatalf("after %s: the page made anew was not kept", c.name)
		}
	}

	// Other pages are never kept in the database, whatever a client asks
	// for: each is made anew by an instance that has not made it.
	_, first := a.Do(t, http.MethodGet, reviews+"?limit=2", "", nil)
	page := mustDecode[struct {
		NextCursor string `json:"next_cursor"`
	}](t, first)
	for _, q := range []string{"limit=2", "limit=19", "limit=100", "rating=4", "verified=true", "harvest_year=2026",
		"cursor=" + url.QueryEscape(page.NextCursor) + "&limit=2"} {
		askTwice(reviews + "?" + q)
		if stored, _ := get(reviews + "?" + q); stored {
			t.Errorf("?%s was kept in the database", q)
		}
	}

	// The counts are on /metrics.
	_, body := a.Do(t, http.MethodGet, "/metrics", "", nil)
	for _, name := range []string{"fpr_response_cache_stored_hits_total ", "fpr_response_cache_stored_total ", "fpr_response_cache_store_dropped_total "} {
		if !strings.Contains(string(body), "\n"+name) {
			t.Errorf("/metrics has no %s", name)
		}
	}
}

// Which pages of reviews the database keeps: a product's first page in
// each sort, of the default size, unfiltered; one variant each.
func TestStoredReviewPage(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		query, want string
	}{
		{"", "reviews/newest"},
		{"limit=20", "reviews/newest"},
		{"sort=newest&limit=20", "reviews/newest"},
		{"sort=helpful", "reviews/helpful"},
		{"limit=19", ""},
		{"limit=21", ""},
		{"rating=5", ""},
		{"verified=true", ""},
		{"harvest_year=2025", ""},
		{"cursor=abc", ""},
	} {
		q, err := url.ParseQuery(c.query)
		noErr(t, c.query, err)
		f, err := fpr.ParseReviewQuery(q)
		if err != nil {
			if c.want != "" {
				t.Errorf("%q: %v", c.query, err)
			}
			continue
		}
		if got := fprhttp.StoredReviewPage(f); got != c.want {
			t.Errorf("StoredReviewPage(%q) = %q, want %q", c.query, got, c.want)
		}
	}
}

// Since a first page is kept from its first request, a request is all it
// takes to queue one: hostile or unknown product IDs (NUL, bidi
// controls, invalid UTF-8, 4 KB, a flood of distinct ones) must answer
// 404 and queue nothing, so they cost no write and leave no row.
func TestResponseCache_HostileProductIDsKeepNothing(t *testing.T) {
	t.Parallel()
	a := fprtest.New(t)
	paths := []string{
		"/api/v1/products/%00/reviews",
		"/api/v1/products/" + url.PathEscape("\u202egpj.exe") + "/reviews",
		"/api/v1/products/%FF%FE/reviews",
		"/api/v1/products/" + strings.Repeat("a", 4096) + "/reviews",
	}
	for i := range 200 {
		paths = append(paths, fmt.Sprintf("/api/v1/products/no-such-%d/reviews", i))
	}
	for _, path := range paths {
		resp, _ := a.Do(t, http.MethodGet, path, "", nil)
		if resp.StatusCode != http.StatusNotFound {
			t.Fatalf("GET %.60s: %d, want 404", path, resp.StatusCode)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	noErr(t, "WaitKept", a.Server.WaitKept(ctx))
	if st := a.Server.ResponseCacheStats(); st.Stored != 0 || st.Dropped != 0 {
		t.Errorf("after %d requests for unknown products: %+v, want nothing stored or dropped", len(paths), st)
	}
}
