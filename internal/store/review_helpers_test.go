package store_test

import (
	"context"
	"fmt"
	"math"
	"sync/atomic"
	"testing"

	"github.com/fpr-team/fpr"
	"github.com/fpr-team/fpr/internal/store"
)

var seq atomic.Int64

// as returns a context acting as u (nil: anonymous).
func as(u *fpr.User) context.Context {
	return fpr.NewContextWithUser(context.Background(), u)
}

// MustUser creates a user with role.
func MustUser(t testing.TB, db *store.DB, role fpr.Role) *fpr.User {
	t.Helper()
	return mustUser(t, db, role, false)
}

// MustProbeUser creates a member made by the probe.
func MustProbeUser(t testing.TB, db *store.DB) *fpr.User {
	t.Helper()
	return mustUser(t, db, fpr.RoleMember, true)
}

func mustUser(t testing.TB, db *store.DB, role fpr.Role, probe bool) *fpr.User {
	t.Helper()
	n := seq.Add(1)
	u := &fpr.User{Email: fmt.Sprintf("u%d@example.test", n), DisplayName: fmt.Sprintf("User %d", n), Role: role, Probe: probe, EmailVerified: true}
	if err := db.CreateUser(context.Background(), u, "x"); err != nil {
		t.Fatalf("create user: %v", err)
	}
	return u
}

// MustProduct creates a farm owned by owner and one product of it, with
// direct SQL, and returns the product's ID.
func MustProduct(t testing.TB, db *store.DB, owner *fpr.User) string {
	t.Helper()
	ctx := context.Background()
	n := seq.Add(1)
	farmID, productID := fmt.Sprintf("farm%06d", n), fmt.Sprintf("prod%06d", n)
	if _, err := db.ExecTest(ctx, `INSERT INTO farms (id, owner_id, name, slug, region, description, created_at)
		VALUES ($1, $2, $3, $4, 'North', '', 1)`, farmID, owner.ID, "Farm "+farmID, farmID); err != nil {
		t.Fatalf("insert farm: %v", err)
	}
	if _, err := db.ExecTest(ctx, `INSERT INTO products (id, farm_id, name, slug, category, created_at)
		VALUES ($1, $2, $3, $4, 'honey', 1)`, productID, farmID, "Honey "+productID, productID); err != nil {
		t.Fatalf("insert product: %v", err)
	}
	return productID
}

// MustReview has u review productID with rating.
func MustReview(t testing.TB, db *store.DB, u *fpr.User, productID string, rating int) *fpr.Review {
	t.Helper()
	r := &fpr.Review{ProductID: productID, Rating: rating, Title: "Title", Body: "Body of the review."}
	if err := db.CreateReview(as(u), r); err != nil {
		t.Fatalf("create review: %v", err)
	}
	return r
}

// summary is a product's stored rating summary or a recount.
type summary struct {
	Count, Sum int
	Hist       [5]int
	Score      float64
}

// storedSummary reads the summary kept on the product.
func storedSummary(t testing.TB, db *store.DB, productID string) summary {
	t.Helper()
	var s summary
	err := db.QueryRowTest(context.Background(), `SELECT rating_count, rating_sum, rating_1, rating_2, rating_3, rating_4, rating_5, rating_score
		FROM products WHERE id = $1`, productID).Scan(&s.Count, &s.Sum, &s.Hist[0], &s.Hist[1], &s.Hist[2], &s.Hist[3], &s.Hist[4], &s.Score)
	if err != nil {
		t.Fatalf("read summary: %v", err)
	}
	return s
}

// recount counts the published, non-probe reviews of a product from scratch.
func recount(t testing.TB, db *store.DB, productID string) summary {
	t.Helper()
	var s summary
	err := db.QueryRowTest(context.Background(), `SELECT COUNT(*), COALESCE(SUM(rating), 0),
		COUNT(CASE WHEN rating = 1 THEN 1 END), COUNT(CASE WHEN rating = 2 THEN 1 END), COUNT(CASE WHEN rating = 3 THEN 1 END),
		COUNT(CASE WHEN rating = 4 THEN 1 END), COUNT(CASE WHEN rating = 5 THEN 1 END)
		FROM reviews WHERE product_id = $1 AND status = 'published' AND probe = FALSE`, productID).
		Scan(&s.Count, &s.Sum, &s.Hist[0], &s.Hist[1], &s.Hist[2], &s.Hist[3], &s.Hist[4])
	if err != nil {
		t.Fatalf("recount: %v", err)
	}
	s.Score = fpr.Rating{Count: s.Count, Sum: s.Sum}.BayesianAverage()
	return s
}

// checkSummary fails when the stored summary differs from a recount.
func checkSummary(t testing.TB, db *store.DB, productID, when string) {
	t.Helper()
	got, want := storedSummary(t, db, productID), recount(t, db, productID)
	if math.Abs(got.Score-want.Score) < 1e-9 {
		got.Score = want.Score
	}
	if got != want {
		t.Fatalf("%s: stored summary %+v, recount %+v", when, got, want)
	}
}

func ptr[T any](v T) *T { return &v }
