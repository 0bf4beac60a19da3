package store

import (
	"context"
	"fmt"
	"strconv"

	"github.com/fpr-team/fpr"
)

// A product's rating summary (rating_count, rating_sum, rating_1..5 and
// rating_score) counts its published, non-probe reviews. Every change to a
// review's rating, status or existence moves it in the same transaction,
// through applyRatingDelta, so readers never see a summary that disagrees
// with the reviews list.
//
// A farm carries the same columns, summing the summaries of all its
// products (archived ones too: archiving keeps the reviews). The one
// function that moves a product's summary, applyRatingDelta, moves its
// farm's by the same delta in the same transaction; no other code writes
// either (the bulk loader recounts both).

// scoreSQL computes the Bayesian average of fpr.Rating.BayesianAverage from
// a count and a sum expression. The CAST makes both engines divide in IEEE
// doubles ((sum + 35) / (count + 10)), exactly as Go does, so a score
// written by the seeder equals one maintained by applyRatingDelta; a
// decimal literal would be NUMERIC on PostgreSQL and round differently.
// (strconv.Itoa of the untyped constant PriorMean*PriorWeight compiles only
// while it is a whole number.)
func scoreSQL(count, sum string) string {
	return "((CAST(" + sum + " AS DOUBLE PRECISION) + " + strconv.Itoa(fpr.PriorMean*fpr.PriorWeight) +
		") / (" + count + " + " + strconv.Itoa(fpr.PriorWeight) + "))"
}

// ratingDeltaSet is the SET list of a relative change of a summary by
// $1 (count), $2 (sum) and $3–$7 (histogram).
var ratingDeltaSet = `
	rating_count = rating_count + $1, rating_sum = rating_sum + $2,
	rating_1 = rating_1 + $3, rating_2 = rating_2 + $4, rating_3 = rating_3 + $5,
	rating_4 = rating_4 + $6, rating_5 = rating_5 + $7,
	rating_score = ` + scoreSQL("rating_count + $1", "rating_sum + $2")

// It moves the product's stamp too (migration 0019), which spares the
// stamp trigger's own UPDATE on SQLite.
var applyRatingDeltaSQL = `UPDATE products SET` + ratingDeltaSet + `, stamp = stamp + 1 WHERE id = $8`

// applyFarmRatingDeltaSQL moves the summary of the farm of product $8.
var applyFarmRatingDeltaSQL = `UPDATE farms SET` + ratingDeltaSet + ` WHERE id = (SELECT p.farm_id FROM products p WHERE p.id = $8)`

// applyRatingDelta moves one review in productID's rating summary: out of
// it with oldRating when oldCounted, into it with newRating when
// newCounted (see fpr.CountsInRating). Examples: a new published review is
// (0, r, false, true); an edit from 2 to 5 stars is (2, 5, true, true); a
// review rejected by a moderator is (r, r, true, false).
//
// The UPDATE is relative (count = count + d, and the score from the same
// new values, since SET expressions read the row's old values), so
// concurrent transactions compose exactly: PostgreSQL row-locks the product
// until commit, and SQLite serializes writers on its one write connection.
// Call it inside the transaction that changes the review.
//
// The farm row is updated first, then the product's: every transaction
// that writes both (archiving, removal, product creation) takes the farm
// first, so two of them never wait for each other in a cycle on
// PostgreSQL.
func (tx *Tx) applyRatingDelta(ctx context.Context, productID string, oldRating, newRating int, oldCounted, newCounted bool) error {
	var d [5]int
	dCount, dSum := 0, 0
	if oldCounted {
		if oldRating < 1 || oldRating > 5 {
			return fmt.Errorf("apply rating delta: old rating %d out of range", oldRating)
		}
		d[oldRating-1]--
		dCount--
		dSum -= oldRating
	}
	if newCounted {
		if newRating < 1 || newRating > 5 {
			return fmt.Errorf("apply rating delta: new rating %d out of range", newRating)
		}
		d[newRating-1]++
		dCount++
		dSum += newRating
	}
	if dCount == 0 && dSum == 0 && d == [5]int{} {
		return nil
	}
	args := []any{dCount, dSum, d[0], d[1], d[2], d[3], d[4], productID}
	if _, err := tx.ExecContext(ctx, applyFarmRatingDeltaSQL, args...); err != nil {
		return fmt.Errorf("apply farm rating delta: %w", err)
	}
	res, err := tx.ExecContext(ctx, applyRatingDeltaSQL, args...)
	if err != nil {
		return fmt.Errorf("apply rating delta: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("apply rating delta: %w", err)
	} else if n == 0 {
		return notFound("product")
	}
	return nil
}

// recountRatingsSQL rebuilds every product's summary from its reviews. The
// score goes in a second statement because SET expressions see the old
// count and sum.
var recountRatingsSQL = []string{
	`UPDATE products SET
	rating_count = (SELECT COUNT(*) FROM reviews r WHERE r.product_id = products.id AND r.status = 'published' AND NOT r.probe),
	rating_sum = (SELECT COALESCE(SUM(r.rating), 0) FROM reviews r WHERE r.product_id = products.id AND r.status = 'published' AND NOT r.probe),
	rating_1 = (SELECT COUNT(*) FROM reviews r WHERE r.product_id = products.id AND r.status = 'published' AND NOT r.probe AND r.rating = 1),
	rating_2 = (SELECT COUNT(*) FROM reviews r WHERE r.product_id = products.id AND r.status = 'published' AND NOT r.probe AND r.rating = 2),
	rating_3 = (SELECT COUNT(*) FROM reviews r WHERE r.product_id = products.id AND r.status = 'published' AND NOT r.probe AND r.rating = 3),
	rating_4 = (SELECT COUNT(*) FROM reviews r WHERE r.product_id = products.id AND r.status = 'published' AND NOT r.probe AND r.rating = 4),
	rating_5 = (SELECT COUNT(*) FROM reviews r WHERE r.product_id = products.id AND r.status = 'published' AND NOT r.probe AND r.rating = 5)`,
	`UPDATE products SET rating_score = ` + scoreSQL("rating_count", "rating_sum"),
	`UPDATE farms SET
	product_count = (SELECT COUNT(*) FROM products p WHERE p.farm_id = farms.id AND p.archived_at = 0),
	rating_count = (SELECT COALESCE(SUM(p.rating_count), 0) FROM products p WHERE p.farm_id = farms.id),
	rating_sum = (SELECT COALESCE(SUM(p.rating_sum), 0) FROM products p WHERE p.farm_id = farms.id),
	rating_1 = (SELECT COALESCE(SUM(p.rating_1), 0) FROM products p WHERE p.farm_id = farms.id),
	rating_2 = (SELECT COALESCE(SUM(p.rating_2), 0) FROM products p WHERE p.farm_id = farms.id),
	rating_3 = (SELECT COALESCE(SUM(p.rating_3), 0) FROM products p WHERE p.farm_id = farms.id),
	rating_4 = (SELECT COALESCE(SUM(p.rating_4), 0) FROM products p WHERE p.farm_id = farms.id),
	rating_5 = (SELECT COALESCE(SUM(p.rating_5), 0) FROM products p WHERE p.farm_id = farms.id)`,
	`UPDATE farms SET rating_score = ` + scoreSQL("rating_count", "rating_sum"),
}

// recountFarmsSQL rebuilds the farms' summaries and product counts from
// their products' summaries (the last two of recountRatingsSQL).
var recountFarmsSQL = recountRatingsSQL[len(recountRatingsSQL)-2:]

// recountRatings rebuilds every product's and farm's rating summary from
// the reviews.
// It is for bulk loads (the demo catalogue, the seeder) that insert reviews
// directly; services use applyRatingDelta.
func (tx *Tx) recountRatings(ctx context.Context) error {
	for _, q := range recountRatingsSQL {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("recount ratings: %w", err)
		}
	}
	return nil
}

// recountFarms rebuilds every farm's rating summary and product count from
// its products, for bulk loads that add products with their summaries.
func (tx *Tx) recountFarms(ctx context.Context) error {
	for _, q := range recountFarmsSQL {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("recount farms: %w", err)
		}
	}
	return nil
}
