package store

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fpr-team/fpr"
)

// mustOpenInternal opens a fresh migrated SQLite database for the package's
// internal tests.
func mustOpenInternal(t testing.TB) *DB {
	t.Helper()
	ctx := context.Background()
	db, err := Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "fpr.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return db
}

// mustRawProduct inserts a user, a farm and n products with plain SQL and
// returns the products' IDs.
func mustRawProduct(t testing.TB, db *DB, n int) []string {
	t.Helper()
	ctx := context.Background()
	var ids []string
	err := db.inTx(ctx, true, func(tx *Tx) error {
		uid, fid := db.NewID(tx.now), db.NewID(tx.now)
		if _, err := tx.ExecContext(ctx, `INSERT INTO users (id, email, email_key, display_name, role, password_hash, created_at)
			VALUES ($1, $2, $2, 'P', 'producer', '!', 0)`, uid, uid+"@example.test"); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO farms (id, owner_id, name, slug, region, created_at)
			VALUES ($1, $2, 'F', $1, 'R', 0)`, fid, uid); err != nil {
			return err
		}
		for i := range n {
			id := db.NewID(tx.now)
			if _, err := tx.ExecContext(ctx, `INSERT INTO products (id, farm_id, name, slug, category, unit, created_at)
				VALUES ($1, $2, $3, 'p', 'eggs', 'dozen', 0)`, id, fid, fmt.Sprint("P", i)); err != nil {
				return err
			}
			ids = append(ids, id)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

type summaryRow struct {
	Rating fpr.Rating
	Score  float64
}

func mustSummary(t testing.TB, db *DB, id string) summaryRow {
	t.Helper()
	var s summaryRow
	h := &s.Rating.Histogram
	err := db.read.QueryRowContext(context.Background(), `SELECT rating_count, rating_sum, rating_1, rating_2, rating_3, rating_4, rating_5, rating_score
		FROM products WHERE id = $1`, id).Scan(&s.Rating.Count, &s.Rating.Sum, &h[0], &h[1], &h[2], &h[3], &h[4], &s.Score)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestApplyRatingDelta(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		id := mustRawProduct(t, db, 1)[0]
		type step struct {
			oldR, newR int
			oldC, newC bool
		}
		steps := []struct {
			name string
			step
			want fpr.Rating
		}{
			{"add 5", step{0, 5, false, true}, fpr.Rating{Count: 1, Sum: 5, Histogram: [5]int{0, 0, 0, 0, 1}}},
			{"add 2", step{0, 2, false, true}, fpr.Rating{Count: 2, Sum: 7, Histogram: [5]int{0, 1, 0, 0, 1}}},
			{"edit 2 to 4", step{2, 4, true, true}, fpr.Rating{Count: 2, Sum: 9, Histogram: [5]int{0, 0, 0, 1, 1}}},
			{"pending review changes nothing", step{0, 3, false, false}, fpr.Rating{Count: 2, Sum: 9, Histogram: [5]int{0, 0, 0, 1, 1}}},
			{"unpublish 5", step{5, 5, true, false}, fpr.Rating{Count: 1, Sum: 4, Histogram: [5]int{0, 0, 0, 1, 0}}},
			{"remove 4", step{4, 0, true, false}, fpr.Rating{}},
		}
		for _, s := range steps {
			err := db.inTx(ctx, true, func(tx *Tx) error {
				return tx.applyRatingDelta(ctx, id, s.oldR, s.newR, s.oldC, s.newC)
			})
			if err != nil {
				t.Fatalf("%s: %v", s.name, err)
			}
			got := mustSummary(t, db, id)
			if got.Rating != s.want {
				t.Errorf("%s: summary = %+v, want %+v", s.name, got.Rating, s.want)
			}
			if want := s.want.BayesianAverage(); got.Score != want {
				t.Errorf("%s: rating_score = %v, want %v (exactly)", s.name, got.Score, want)
			}
		}

		t.Run("ErrUnknownProduct", func(t *testing.T) {
			err := db.inTx(ctx, true, func(tx *Tx) error { return tx.applyRatingDelta(ctx, "nope", 0, 3, false, true) })
			if got := fpr.ErrorCode(err); got != fpr.CodeNotFound {
				t.Errorf("applyRatingDelta(unknown product) code = %q (%v), want not_found", got, err)
			}
		})
		t.Run("ErrRatingRange", func(t *testing.T) {
			err := db.inTx(ctx, true, func(tx *Tx) error { return tx.applyRatingDelta(ctx, id, 0, 6, false, true) })
			if err == nil {
				t.Errorf("applyRatingDelta(rating 6) = nil, want an error")
			}
			if got := mustSummary(t, db, id).Rating; got != (fpr.Rating{}) {
				t.Errorf("summary after a refused delta = %+v, want it unchanged (empty)", got)
			}
		})
	})
}

// TestApplyRatingDelta_Concurrent runs many transactions at once; the
// relative UPDATE must lose none of them.
func TestApplyRatingDelta_Concurrent(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		id := mustRawProduct(t, db, 1)[0]
		var want fpr.Rating
		var wg sync.WaitGroup
		for i := range 40 {
			r := i%5 + 1
			want.Count++
			want.Sum += r
			want.Histogram[r-1]++
			wg.Go(func() {
				if err := db.inTx(ctx, true, func(tx *Tx) error { return tx.applyRatingDelta(ctx, id, 0, r, false, true) }); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		got := mustSummary(t, db, id)
		if got.Rating != want || got.Score != want.BayesianAverage() {
			t.Errorf("after 40 concurrent deltas: %+v, want %+v score %v", got, want, want.BayesianAverage())
		}
	})
}

func TestRecountRatings(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		ids := mustRawProduct(t, db, 2)
		want := fpr.Rating{}
		err := db.inTx(ctx, true, func(tx *Tx) error {
			for i, r := range []struct {
				rating int
				status fpr.ReviewStatus
				probe  bool
			}{{5, fpr.StatusPublished, false}, {3, fpr.StatusPublished, false}, {3, fpr.StatusPublished, false},
				{1, fpr.StatusPending, false}, {1, fpr.StatusRemoved, false}, {2, fpr.StatusPublished, true}} {
				uid := db.NewID(tx.now)
				if _, err := tx.ExecContext(ctx, `INSERT INTO users (id, email, email_key, display_name, role, password_hash, created_at)
				VALUES ($1, $1, $1, 'M', 'member', '!', 0)`, uid); err != nil {
					return err
				}
				if _, err := tx.ExecContext(ctx, `INSERT INTO reviews (id, product_id, author_id, rating, body, status, probe, created_at, updated_at)
				VALUES ($1, $2, $3, $4, 'b', $5, $6, 0, 0)`, db.NewID(tx.now), ids[0], uid, r.rating, r.status, r.probe); err != nil {
					return fmt.Errorf("review %d: %w", i, err)
				}
				if fpr.CountsInRating(r.status, r.probe) {
					want.Count++
					want.Sum += r.rating
					want.Histogram[r.rating-1]++
				}
			}
			return tx.recountRatings(ctx)
		})
		if err != nil {
			t.Fatal(err)
		}
		for i, w := range []fpr.Rating{want, {}} {
			got := mustSummary(t, db, ids[i])
			if got.Rating != w || got.Score != w.BayesianAverage() {
				t.Errorf("product %d after recount: %+v, want %+v score %v", i, got, w, w.BayesianAverage())
			}
		}
	})
}

// eachBackend runs fn on a fresh SQLite database and, when
// FPR_TEST_POSTGRES_URL is set, on a fresh PostgreSQL database, in
// parallel.
func eachBackend(t *testing.T, fn func(t *testing.T, db *DB)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		fn(t, mustOpenInternal(t))
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		fn(t, mustOpenPostgresInternal(t))
	})
}

var pgTestSeq atomic.Int64

// mustOpenPostgresInternal creates, migrates and returns a fresh database on
// the server of FPR_TEST_POSTGRES_URL, dropped when the test ends; without
// the variable the test is skipped. (storetest has the same helper, but
// this package's internal tests cannot import it.)
func mustOpenPostgresInternal(t testing.TB) *DB {
	t.Helper()
	base := os.Getenv("FPR_TEST_POSTGRES_URL")
	if base == "" {
		t.Skip("FPR_TEST_POSTGRES_URL is not set")
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = admin.Close() })
	name := fmt.Sprintf("fpr_store_%d_%d_%d", os.Getpid(), time.Now().UnixNano()%1e9, pgTestSeq.Add(1))
	if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
		t.Fatalf("create database: %v", err)
	}
	t.Cleanup(func() {
		if _, err := admin.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)"); err != nil {
			t.Logf("drop database %s: %v", name, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	ctx := context.Background()
	db, err := Open(ctx, u.String(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return db
}
