package store

import (
	"context"
	"fmt"

	"github.com/fpr-team/fpr"
)

// ratingDelta moves one review in the product's rating summary: out of it
// with oldRating when oldCounted, into it with newRating when newCounted.
// The UPDATE is relative (count = count + d), so concurrent transactions
// compose: on PostgreSQL it row-locks the product until commit, and on
// SQLite writers are serialized by the one-connection write pool.
//
// TODO(#2): replace with the catalogue's applyRatingDelta once it lands.
func (tx *Tx) ratingDelta(ctx context.Context, productID string, oldRating, newRating int, oldCounted, newCounted bool) error {
	var d [5]int
	dCount, dSum := 0, 0
	if oldCounted {
		d[oldRating-1]--
		dCount--
		dSum -= oldRating
	}
	if newCounted {
		d[newRating-1]++
		dCount++
		dSum += newRating
	}
	if dCount == 0 && dSum == 0 && d == [5]int{} {
		return nil
	}
	_, err := tx.ExecContext(ctx, `UPDATE products SET
		rating_count = rating_count + $1, rating_sum = rating_sum + $2,
		rating_1 = rating_1 + $3, rating_2 = rating_2 + $4, rating_3 = rating_3 + $5,
		rating_4 = rating_4 + $6, rating_5 = rating_5 + $7,
		rating_score = (rating_sum + $2 + CAST($8 AS DOUBLE PRECISION)) / (rating_count + $1 + $9)
		WHERE id = $10`,
		dCount, dSum, d[0], d[1], d[2], d[3], d[4],
		float64(fpr.PriorMean*fpr.PriorWeight), float64(fpr.PriorWeight), productID)
	if err != nil {
		return fmt.Errorf("update rating summary: %w", err)
	}
	return nil
}
