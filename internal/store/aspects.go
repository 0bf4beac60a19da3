package store

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/fpr-team/fpr"
)

// Aspect scores. A review's scores live in review_aspects; a product's
// summary of them (count and sum per aspect, over the reviews that count in
// its rating, fpr.CountsInRating) lives in product_aspects and moves in the
// same transaction as the review, through applyAspectDelta, wherever
// applyRatingDelta moves the rating summary.

// reviewAspects reads a review's aspect scores; nil when it has none.
func (tx *Tx) reviewAspects(ctx context.Context, reviewID string) (map[fpr.Aspect]int, error) {
	rows, err := tx.QueryContext(ctx, `SELECT aspect, score FROM review_aspects WHERE review_id = $1`, reviewID)
	if err != nil {
		return nil, fmt.Errorf("review aspects: %w", err)
	}
	defer rows.Close()
	var out map[fpr.Aspect]int
	for rows.Next() {
		var (
			a fpr.Aspect
			n int
		)
		if err := rows.Scan(&a, &n); err != nil {
			return nil, fmt.Errorf("review aspects: %w", err)
		}
		if out == nil {
			out = map[fpr.Aspect]int{}
		}
		out[a] = n
	}
	return out, rows.Err()
}

// setReviewAspects replaces a review's aspect scores.
func (tx *Tx) setReviewAspects(ctx context.Context, reviewID string, scores map[fpr.Aspect]int) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM review_aspects WHERE review_id = $1`, reviewID); err != nil {
		return fmt.Errorf("set review aspects: %w", err)
	}
	return tx.insertReviewAspects(ctx, reviewID, scores)
}

// insertReviewAspects writes the aspect scores of a review that has none.
func (tx *Tx) insertReviewAspects(ctx context.Context, reviewID string, scores map[fpr.Aspect]int) error {
	for _, a := range sortedAspects(scores) {
		if _, err := tx.ExecContext(ctx, `INSERT INTO review_aspects (review_id, aspect, score) VALUES ($1, $2, $3)`,
			reviewID, string(a), scores[a]); err != nil {
			return fmt.Errorf("set review aspects: %w", err)
		}
	}
	return nil
}

// sortedAspects returns the keys of scores in one order, so concurrent
// transactions lock product_aspects rows in the same order.
func sortedAspects(scores map[fpr.Aspect]int) []fpr.Aspect {
	out := make([]fpr.Aspect, 0, len(scores))
	for a := range scores {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// applyAspectDelta moves a review's aspect scores in productID's summary:
// old out of it when oldCounted, new into it when newCounted, as
// applyRatingDelta does for the stars. The upsert is relative, so
// concurrent transactions compose exactly.
func (tx *Tx) applyAspectDelta(ctx context.Context, productID string, old, new map[fpr.Aspect]int, oldCounted, newCounted bool) error {
	type delta struct{ count, sum int }
	d := map[fpr.Aspect]delta{}
	if oldCounted {
		for a, n := range old {
			x := d[a]
			d[a] = delta{x.count - 1, x.sum - n}
		}
	}
	if newCounted {
		for a, n := range new {
			x := d[a]
			d[a] = delta{x.count + 1, x.sum + n}
		}
	}
	keys := make(map[fpr.Aspect]int, len(d))
	for a := range d {
		keys[a] = 0
	}
	for _, a := range sortedAspects(keys) {
		x := d[a]
		if x.count == 0 && x.sum == 0 {
			continue
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO product_aspects (product_id, aspect, count, sum) VALUES ($1, $2, $3, $4)
			ON CONFLICT (product_id, aspect) DO UPDATE SET count = product_aspects.count + excluded.count,
				sum = product_aspects.sum + excluded.sum`, productID, string(a), x.count, x.sum); err != nil {
			return fmt.Errorf("apply aspect delta: %w", err)
		}
	}
	return nil
}

// productAspects reads the aspect summaries of products, in one query.
func (tx *Tx) fillProductAspects(ctx context.Context, products ...*fpr.Product) error {
	if len(products) == 0 {
		return nil
	}
	byID := make(map[string]*fpr.Product, len(products))
	args := make([]any, 0, len(products))
	ph := make([]string, 0, len(products))
	for _, p := range products {
		byID[p.ID] = p
		args = append(args, p.ID)
		ph = append(ph, fmt.Sprintf("$%d", len(args)))
	}
	rows, err := tx.QueryContext(ctx, `SELECT product_id, aspect, count, sum FROM product_aspects
		WHERE count > 0 AND product_id IN (`+strings.Join(ph, ", ")+`)`, args...)
	if err != nil {
		return fmt.Errorf("product aspects: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			id string
			a  fpr.Aspect
			r  fpr.AspectRating
		)
		if err := rows.Scan(&id, &a, &r.Count, &r.Sum); err != nil {
			return fmt.Errorf("product aspects: %w", err)
		}
		if p := byID[id]; p != nil {
			if p.Aspects == nil {
				p.Aspects = map[fpr.Aspect]fpr.AspectRating{}
			}
			p.Aspects[a] = r
		}
	}
	return rows.Err()
}
