package store_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fpr-team/fpr"
	"github.com/fpr-team/fpr/internal/store"
	"github.com/fpr-team/fpr/internal/storetest"
)

// The Seeded benchmarks measure the pages that matter on a large database
// of either kind, filled by `fpr seed`:
//
//	fpr migrate up --database "$URL"
//	fpr seed --database "$URL" --farms 20 --products 100 --users 200000 --reviews 1000000
//	FPR_BENCH_DATABASE_URL="$URL" go test -run '^$' -bench Seeded ./internal/store/
//
// URL is sqlite:PATH or postgres://…, so the same benchmarks compare the two
// backends on the same data. They read the product with the most reviews,
// and the submission benchmark adds reviews by new users (named
// bench-…@bench.test); it deletes the reviews at the end, the users stay.

// openSeeded opens FPR_BENCH_DATABASE_URL, or skips the benchmark.
func openSeeded(b *testing.B) (*store.DB, *fpr.Product) {
	b.Helper()
	url := os.Getenv("FPR_BENCH_DATABASE_URL")
	if url == "" {
		b.Skip("set FPR_BENCH_DATABASE_URL to a database filled by fpr seed (see seeded_bench_test.go)")
	}
	ctx := context.Background()
	db := storetest.OpenURL(b, url)
	top, _, err := db.FindProducts(ctx, fpr.ProductFilter{Sort: fpr.ProductSortMostReviewed, Page: fpr.Page{Limit: 1}})
	if err != nil || len(top) == 0 {
		b.Fatalf("find the most reviewed product: %v (%d products)", err, len(top))
	}
	return db, top[0]
}

func BenchmarkSeeded_ProductDetail(b *testing.B) {
	db, p := openSeeded(b)
	ctx := context.Background()
	b.ReportMetric(float64(p.Rating.Count), "reviews")
	for b.Loop() {
		if _, err := db.FindProductByID(ctx, p.ID); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSeeded_ReviewsPage reads page 1 and page 500 (limit 20) of the
// product's reviews in each sort; with keyset cursors both cost one index
// seek.
func BenchmarkSeeded_ReviewsPage(b *testing.B) {
	db, p := openSeeded(b)
	ctx := context.Background()
	if p.Rating.Count < 500*20 {
		b.Fatalf("the most reviewed product has %d reviews; page 500 needs 10,000: seed more", p.Rating.Count)
	}
	for _, sort := range []fpr.ReviewSort{fpr.ReviewSortNewest, fpr.ReviewSortHelpful, fpr.ReviewSortHighest} {
		f := fpr.ReviewFilter{ProductID: &p.ID, Sort: sort, Page: fpr.Page{Limit: 20}}
		page500 := f
		for range 499 {
			_, next, err := db.FindReviews(ctx, page500)
			if err != nil || next == "" {
				b.Fatalf("walk to page 500 of %s: next %q, %v", sort, next, err)
			}
			page500.Cursor = next
		}
		for _, page := range []struct {
			name string
			f    fpr.ReviewFilter
		}{{"page1", f}, {"page500", page500}} {
			b.Run(fmt.Sprintf("%s/%s", sort, page.name), func(b *testing.B) {
				for b.Loop() {
					rs, _, err := db.FindReviews(ctx, page.f)
					if err != nil || len(rs) != 20 {
						b.Fatalf("FindReviews: %d reviews, %v", len(rs), err)
					}
				}
			})
		}
	}
}

// BenchmarkSeeded_Search searches a word of the top product's name, the
// first page in relevance order, and a two-word query with a prefix.
func BenchmarkSeeded_Search(b *testing.B) {
	db, p := openSeeded(b)
	ctx := context.Background()
	words := strings.Fields(strings.ToLower(p.Name))
	queries := map[string]string{"word": words[0]}
	if len(words) > 1 && len(words[1]) > 3 {
		queries["two_words_prefix"] = words[0] + " " + words[1][:3]
	}
	for name, q := range queries {
		b.Run(name, func(b *testing.B) {
			var found int
			for b.Loop() {
				ps, _, err := db.FindProducts(ctx, fpr.ProductFilter{Query: &q})
				if err != nil || len(ps) == 0 {
					b.Fatalf("search %q: %d products, %v", q, len(ps), err)
				}
				found = len(ps)
			}
			b.ReportMetric(float64(found), "results")
		})
	}
	b.Run("newest_page1", func(b *testing.B) {
		for b.Loop() {
			if _, _, err := db.FindProducts(ctx, fpr.ProductFilter{}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

var benchUserSeq atomic.Int64

// BenchmarkSeeded_CreateReview submits a review of the top product (whose
// rating summary row every submission updates), each by a new user.
func BenchmarkSeeded_CreateReview(b *testing.B) {
	db, p := openSeeded(b)
	ctx := context.Background()
	run := time.Now().UnixNano()
	var made []*fpr.User
	b.Cleanup(func() {
		for _, u := range made {
			rs, _, err := db.FindReviews(fpr.NewContextWithUser(ctx, u), fpr.ReviewFilter{AuthorID: &u.ID})
			if err != nil {
				b.Error(err)
				return
			}
			for _, r := range rs {
				if err := db.DeleteReview(fpr.NewContextWithUser(ctx, u), r.ID); err != nil {
					b.Error(err)
					return
				}
			}
		}
	})
	for b.Loop() {
		b.StopTimer()
		u := &fpr.User{Email: fmt.Sprintf("bench-%d-%d@bench.test", run, benchUserSeq.Add(1)), DisplayName: "Bench", EmailVerified: true}
		if err := db.CreateUser(ctx, u, "!"); err != nil {
			b.Fatal(err)
		}
		made = append(made, u)
		b.StartTimer()
		r := &fpr.Review{ProductID: p.ID, Rating: 4, Title: "Bench", Body: "A review body of modest length."}
		if err := db.CreateReview(fpr.NewContextWithUser(ctx, u), r); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSeeded_ReviewsPageAnyProduct reads page 1 (newest, limit 20) of
// a different product each time, in a fixed pseudo-random order, as the
// load test does: unlike the most reviewed product's pages, these are
// mostly not in any cache, so it shows what the size of the database
// costs.
func BenchmarkSeeded_ReviewsPageAnyProduct(b *testing.B) {
	db, _ := openSeeded(b)
	ctx := context.Background()
	var ids []string
	f := fpr.ProductFilter{Page: fpr.Page{Limit: 100}}
	for {
		ps, next, err := db.FindProducts(ctx, f)
		if err != nil {
			b.Fatal(err)
		}
		for _, p := range ps {
			ids = append(ids, p.ID)
		}
		if next == "" {
			break
		}
		f.Cursor = next
	}
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(ids), func(i, j int) { ids[i], ids[j] = ids[j], ids[i] })
	i := 0
	for b.Loop() {
		id := ids[i%len(ids)]
		i++
		if _, _, err := db.FindReviews(ctx, fpr.ReviewFilter{ProductID: &id, Sort: fpr.ReviewSortNewest, Page: fpr.Page{Limit: 20}}); err != nil {
			b.Fatal(err)
		}
	}
}
