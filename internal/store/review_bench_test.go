package store_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/fpr-team/fpr"
	"github.com/fpr-team/fpr/internal/store"
	"github.com/fpr-team/fpr/internal/storetest"
)

// benchReviews is how many reviews the product of the list benchmarks has.
const benchReviews = 20000

// benchProductID is that product's ID.
const benchProductID = "bench-product"

// openBenchDB opens the SQLite database of the list benchmarks: one product
// with benchReviews published reviews by as many users, with spread ratings
// and helpful counts. Building it takes a few seconds, so it is cached in
// the temporary folder and reused while it holds the expected rows
// (migrations newer than the cache are applied on open).
func openBenchDB(b *testing.B) *store.DB {
	b.Helper()
	ctx := context.Background()
	path := filepath.Join(os.TempDir(), fmt.Sprintf("fpr-bench-reviews-%d.db", benchReviews))
	db := storetest.OpenURL(b, "sqlite:"+path)
	var n int
	if err := db.QueryRowTest(ctx, `SELECT COUNT(*) FROM reviews WHERE product_id = $1`, benchProductID).Scan(&n); err != nil {
		b.Fatal(err)
	}
	if n == benchReviews {
		return db
	}
	b.Logf("building %s with %d reviews", path, benchReviews)
	for _, q := range []string{
		`DELETE FROM reviews`, `DELETE FROM products`, `DELETE FROM farms`, `DELETE FROM users`,
		`INSERT INTO users (id, email, email_key, display_name, role, password_hash, created_at)
			VALUES ('bench-owner', 'owner@bench.test', 'owner@bench.test', 'Owner', 'producer', '!', 0)`,
		`INSERT INTO farms (id, owner_id, name, slug, region, created_at) VALUES ('bench-farm', 'bench-owner', 'Bench Farm', 'bench-farm', 'North', 0)`,
		`INSERT INTO products (id, farm_id, name, slug, category, created_at) VALUES ('` + benchProductID + `', 'bench-farm', 'Bench Honey', 'bench-honey', 'honey', 0)`,
		fmt.Sprintf(`INSERT INTO users (id, email, email_key, display_name, role, password_hash, created_at)
			WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < %d)
			SELECT printf('u%%08d', i), printf('u%%d@bench.test', i), printf('u%%d@bench.test', i), printf('User %%d', i), 'member', '!', i FROM n`, benchReviews),
		fmt.Sprintf(`INSERT INTO reviews (id, product_id, author_id, rating, title, body, status, helpful_count, created_at, updated_at)
			WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < %d)
			SELECT printf('r%%08d', i), '%s', printf('u%%08d', i), 1 + (i * 7) %% 5, 'Title', 'A review body of modest length.',
				'published', (i * 13) %% 37, i, i FROM n`, benchReviews, benchProductID),
	} {
		if _, err := db.ExecTest(ctx, q); err != nil {
			b.Fatalf("build bench database: %v\n%s", err, q)
		}
	}
	return db
}

// BenchmarkFindReviews compares page 1 with page 500 (limit 20, so rows
// 9,981–10,000) of a product's reviews in every sort: with keyset cursors
// both cost about the same.
func BenchmarkFindReviews(b *testing.B) {
	db := openBenchDB(b)
	ctx := context.Background()
	product := benchProductID
	for _, sort := range []fpr.ReviewSort{fpr.ReviewSortNewest, fpr.ReviewSortHelpful, fpr.ReviewSortHighest, fpr.ReviewSortLowest} {
		f := fpr.ReviewFilter{ProductID: &product, Sort: sort, Page: fpr.Page{Limit: 20}}
		cursor := ""
		for range 499 {
			f.Cursor = cursor
			_, next, err := db.FindReviews(ctx, f)
			if err != nil || next == "" {
				b.Fatalf("walking to page 500 of %s: next %q, %v", sort, next, err)
			}
			cursor = next
		}
		for _, page := range []struct {
			name   string
			cursor string
		}{{"page1", ""}, {"page500", cursor}} {
			b.Run(string(sort)+"/"+page.name, func(b *testing.B) {
				f := f
				f.Cursor = page.cursor
				for b.Loop() {
					list, _, err := db.FindReviews(ctx, f)
					if err != nil || len(list) != 20 {
						b.Fatalf("FindReviews: %d reviews, %v", len(list), err)
					}
				}
			})
		}
	}
}

// BenchmarkCreateReview measures one review submission (validation, the
// insert and the rating summary update in one transaction, committed with
// synchronous=FULL) on SQLite, each by a different user.
func BenchmarkCreateReview(b *testing.B) {
	db := storetest.OpenDB(b, storetest.SQLite)
	ctx := context.Background()
	owner := MustUser(b, db, fpr.RoleProducer)
	product := MustProduct(b, db, owner)
	if _, err := db.ExecTest(ctx, fmt.Sprintf(`INSERT INTO users (id, email, email_key, display_name, role, password_hash, created_at)
		WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < %d)
		SELECT printf('b%%08d', i), printf('b%%d@bench.test', i), printf('b%%d@bench.test', i), printf('Bench %%d', i), 'member', '!', i FROM n`, b.N)); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := range b.N {
		u := &fpr.User{ID: fmt.Sprintf("b%08d", i+1), DisplayName: "Bench", Role: fpr.RoleMember}
		r := &fpr.Review{ProductID: product, Rating: 1 + i%5, Title: "Bench", Body: "A review body of modest length."}
		if err := db.CreateReview(as(u), r); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFarmRating compares reading a farm with its stored rating
// summary (one row, whatever the number of reviews) with recounting the
// published reviews of its products, on the farm of benchReviews reviews.
func BenchmarkFarmRating(b *testing.B) {
	db := openBenchDB(b)
	ctx := context.Background()
	b.Run("StoredSummary", func(b *testing.B) {
		for b.Loop() {
			if _, err := db.FindFarmByID(ctx, "bench-farm"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Recount", func(b *testing.B) {
		for b.Loop() {
			var n, sum int
			if err := db.QueryRowTest(ctx, `SELECT COUNT(*), COALESCE(SUM(r.rating), 0) FROM reviews r JOIN products p ON p.id = r.product_id
				WHERE p.farm_id = 'bench-farm' AND r.status = 'published'`).Scan(&n, &sum); err != nil || n != benchReviews {
				b.Fatal(n, err)
			}
		}
	})
}
