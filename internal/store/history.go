package store

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"

	"github.com/fpr-team/fpr"
)

// FindReviewHistory lists the earlier versions of a review the acting user
// may see, oldest first: each edit of rating, title, body or harvest month
// left the version it replaced. not_found.
func (db *DB) FindReviewHistory(ctx context.Context, id string) ([]*fpr.Revision, error) {
	var out []*fpr.Revision
	err := db.inTx(ctx, false, func(tx *Tx) error {
		r, err := tx.findReview(ctx, id)
		if err != nil {
			return err
		}
		if !fpr.CanSeeReview(fpr.UserFromContext(ctx), r) {
			return notFound("review")
		}
		rows, err := tx.QueryContext(ctx, `SELECT rating, title, body, harvest, written_at, replaced_at
			FROM review_revisions WHERE review_id = $1 ORDER BY replaced_at, id`, id)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var (
				v                 fpr.Revision
				harvest           sql.NullString
				written, replaced int64
			)
			if err := rows.Scan(&v.Rating, &v.Title, &v.Body, &harvest, &written, &replaced); err != nil {
				return err
			}
			v.Harvest = harvest.String
			v.WrittenAt, v.ReplacedAt = fromMicros(written), fromMicros(replaced)
			out = append(out, &v)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("find review history: %w", err)
	}
	return out, nil
}

// FindHarvestRatings returns a product's rating by harvest year over its
// counted reviews that name a harvest month, newest year first: one
// grouped read of the reviews_product_harvest index. not_found.
func (db *DB) FindHarvestRatings(ctx context.Context, productID string) ([]fpr.YearRating, error) {
	var out []fpr.YearRating
	err := db.inTx(ctx, false, func(tx *Tx) error {
		if err := tx.exists(ctx, `SELECT 1 FROM products WHERE id = $1`, productID, "product"); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT SUBSTR(harvest, 1, 4), rating, COUNT(*) FROM reviews
			WHERE product_id = $1 AND status = 'published' AND probe = FALSE AND harvest IS NOT NULL
			GROUP BY SUBSTR(harvest, 1, 4), rating ORDER BY 1 DESC`, productID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var (
				year     string
				stars, n int
			)
			if err := rows.Scan(&year, &stars, &n); err != nil {
				return err
			}
			y, err := strconv.Atoi(year)
			if err != nil || stars < 1 || stars > 5 {
				return fmt.Errorf("harvest year %q, rating %d", year, stars)
			}
			if len(out) == 0 || out[len(out)-1].Year != y {
				out = append(out, fpr.YearRating{Year: y})
			}
			yr := &out[len(out)-1]
			yr.Count += n
			yr.Sum += n * stars
			yr.Histogram[stars-1] += n
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("find harvest ratings: %w", err)
	}
	return out, nil
}
