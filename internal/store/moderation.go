package store

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/fpr-team/fpr"
)

// requireModerator returns the acting user when they may moderate:
// unauthenticated for an anonymous caller, forbidden for others.
func requireModerator(ctx context.Context) (*fpr.User, error) {
	u, err := fpr.RequireUser(ctx)
	if err != nil {
		return nil, err
	}
	if !u.CanModerate() {
		return nil, fpr.Errorf(fpr.CodeForbidden, "Only moderators and admins may do this.")
	}
	return u, nil
}

// queueSources are the review IDs each queue status selects: pending
// (non-probe) reviews, and reviews with unresolved flags. Both are read
// from an index (reviews_status, review_flags_open), so a page costs the
// size of the queue, not of the reviews table.
var queueSources = map[string]string{
	"pending": `SELECT id FROM reviews WHERE status = 'pending' AND probe = FALSE`,
	"flagged": `SELECT review_id FROM review_flags WHERE resolved = FALSE`,
}

// FindModerationQueue lists pending and flagged reviews (f.Status
// "pending", "flagged" or "" for both): reviews with an open food-safety
// report first, then oldest first, with their product's
// name and unresolved flags counted by reason. Moderators and admins only:
// unauthenticated, forbidden; validation_failed for a bad status, limit or
// cursor.
func (db *DB) FindModerationQueue(ctx context.Context, f fpr.ModerationFilter) ([]*fpr.ModerationItem, string, error) {
	if _, err := requireModerator(ctx); err != nil {
		return nil, "", err
	}
	if err := f.Validate(); err != nil {
		return nil, "", err
	}
	source := queueSources[f.Status]
	if f.Status == "" {
		source = queueSources["pending"] + ` UNION ` + queueSources["flagged"]
	}
	after, err := decodeCursor(f.Cursor, "moderation:"+f.Status)
	if err != nil {
		return nil, "", err
	}
	var (
		items []*fpr.ModerationItem
		next  string
	)
	err = db.inTx(ctx, false, func(tx *Tx) error {
		// The key orders food-safety reports (urgent = 0) before the rest
		// (1), each oldest first; the cursor carries both.
		args := []any{f.Limit + 1}
		urgent := `CASE WHEN EXISTS (SELECT 1 FROM review_flags fs WHERE fs.review_id = r.id AND fs.resolved = FALSE
			AND fs.reason = 'food_safety') THEN 0 ELSE 1 END`
		rs := db.dialect.reviewSQL()
		q := `SELECT ` + rs.columns + `, p.name, ` + urgent + ` FROM ` + rs.from + ` JOIN products p ON p.id = r.product_id
			WHERE r.id IN (` + source + `)`
		if after != nil {
			args = append(args, after.Int, after.ID)
			q += ` AND (` + urgent + ` > $2 OR (` + urgent + ` = $2 AND r.id > $3))`
		}
		q += ` ORDER BY ` + urgent + `, r.id LIMIT $1`
		rows, err := tx.QueryContext(ctx, q, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		byID := map[string]*fpr.ModerationItem{}
		for rows.Next() {
			it := &fpr.ModerationItem{Flags: map[fpr.FlagReason]int{}}
			var urgency int
			if it.Review, err = scanReview(rows, &it.ProductName, &urgency); err != nil {
				return err
			}
			it.FoodSafety = urgency == 0
			items = append(items, it)
			byID[it.Review.ID] = it
		}
		if err := rows.Err(); err != nil {
			return err
		}
		if len(items) > f.Limit {
			items = items[:f.Limit]
			last := items[len(items)-1]
			c := cursor{Sort: "moderation:" + f.Status, ID: last.Review.ID, Int: 1}
			if last.FoodSafety {
				c.Int = 0
			}
			next = c.encode()
		}
		if err := tx.countOpenFlags(ctx, byID); err != nil {
			return err
		}
		reviews := make([]*fpr.Review, 0, len(items))
		for _, it := range items {
			reviews = append(reviews, it.Review)
		}
		return tx.fillViewerHelpful(ctx, reviews)
	})
	if err != nil {
		return nil, "", fmt.Errorf("find moderation queue: %w", err)
	}
	return items, next, nil
}

// countOpenFlags fills the flag counts and the listed flags (reason,
// note, whether it counts; at most fpr.MaxFlagsShown each) of items, in
// one query.
func (tx *Tx) countOpenFlags(ctx context.Context, items map[string]*fpr.ModerationItem) error {
	if len(items) == 0 {
		return nil
	}
	args := make([]any, 0, len(items))
	ph := make([]string, 0, len(items))
	for id := range items {
		args = append(args, id)
		ph = append(ph, fmt.Sprintf("$%d", len(args)))
	}
	q := `SELECT id, review_id, user_id, reason, note, counts, created_at FROM review_flags
		WHERE resolved = FALSE AND review_id IN (` + strings.Join(ph, ", ") + `) ORDER BY review_id, created_at, id`
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("count flags: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			f       fpr.Flag
			created int64
		)
		if err := rows.Scan(&f.ID, &f.ReviewID, &f.UserID, &f.Reason, &f.Note, &f.Counts, &created); err != nil {
			return fmt.Errorf("count flags: %w", err)
		}
		f.CreatedAt = fromMicros(created)
		if it := items[f.ReviewID]; it != nil {
			it.Flags[f.Reason]++
			it.FlagCount++
			if len(it.OpenFlags) < fpr.MaxFlagsShown {
				it.OpenFlags = append(it.OpenFlags, &f)
			}
		}
	}
	return rows.Err()
}

// ModerateReview applies a moderator's decision: publish, reject or
// remove, with an optional reason (a flag reason) for the last two. In one
// transaction it sets the status, moves the review in or out of the rating
// summary, resolves the review's open flags and records the decision (who,
// when, action, note, reason, product) in the audit log. A review with an
// open food-safety report is decided only with a note
// (fpr.ValidateFoodSafetyDecision). Moderators and admins only:
// unauthenticated, forbidden; validation_failed for an unknown action or
// reason, an over-long note or a missing one; not_found; conflict when the
// review already has that status and no open flags, so there is nothing
// to decide.
func (db *DB) ModerateReview(ctx context.Context, id string, action fpr.ModerationAction, note string, reason fpr.FlagReason) (*fpr.Review, error) {
	mod, err := requireModerator(ctx)
	if err != nil {
		return nil, err
	}
	if err := fpr.ValidateModeration(action, note, reason); err != nil {
		return nil, err
	}
	note = strings.TrimSpace(note)
	var r *fpr.Review
	err = db.inTx(ctx, true, func(tx *Tx) error {
		var err error
		if r, err = tx.lockReview(ctx, id); err != nil {
			return err
		}
		var foodSafety int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM review_flags WHERE review_id = $1 AND resolved = FALSE AND reason = $2`,
			r.ID, string(fpr.FlagFoodSafety)).Scan(&foodSafety); err != nil {
			return err
		}
		if foodSafety > 0 {
			if err := fpr.ValidateFoodSafetyDecision(note); err != nil {
				return err
			}
		}
		res, err := tx.ExecContext(ctx, `UPDATE review_flags SET resolved = TRUE WHERE review_id = $1 AND resolved = FALSE`, r.ID)
		if err != nil {
			return err
		}
		resolved, err := res.RowsAffected()
		if err != nil {
			return err
		}
		if r.Status == action.Status() && resolved == 0 {
			return fpr.Errorf(fpr.CodeConflict, "This review is already %s.", r.Status)
		}
		from := r.Status
		if err := tx.setReviewStatus(ctx, r, action.Status()); err != nil {
			return err
		}
		// A review a moderator published is vetted: later flags queue it
		// again but do not unpublish it (fpr.ReviewStatusAfterFlag).
		if _, err := tx.ExecContext(ctx, `UPDATE reviews SET vetted = $1 WHERE id = $2`, action == fpr.ActionPublish, r.ID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO moderation_log (id, review_id, moderator_id, action, note, created_at, reason, product_id)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, db.NewID(tx.now), r.ID, mod.ID, string(action), note, micros(tx.now),
			nullString(string(reason)), r.ProductID); err != nil {
			return err
		}
		// A moderator's decision replaces the wait for verification.
		if _, err := tx.ExecContext(ctx, `UPDATE reviews SET held_unverified = FALSE WHERE id = $1`, r.ID); err != nil {
			return err
		}
		if err := tx.notifyReviewDecided(ctx, r, action, note); err != nil {
			return err
		}
		if err := tx.Audit(ctx, fpr.AuditReviewModerate, fpr.AuditTarget("review", r.ID), map[string]string{
			"action": string(action), "from": string(from), "note": note, "reason": string(reason),
			"food_safety": strconv.FormatBool(foodSafety > 0), "flags_resolved": strconv.FormatInt(resolved, 10)}); err != nil {
			return err
		}
		return tx.fillViewerHelpful(ctx, []*fpr.Review{r})
	})
	if err != nil {
		return nil, fmt.Errorf("moderate review: %w", err)
	}
	return r, nil
}

// FindModerationLog returns a review's audit log, oldest first (by time:
// IDs order only to the millisecond). The log
// outlives a deleted review. Moderators and admins only: unauthenticated,
// forbidden; not_found when there is neither such a review nor a log.
func (db *DB) FindModerationLog(ctx context.Context, reviewID string) ([]*fpr.ModerationEntry, error) {
	if _, err := requireModerator(ctx); err != nil {
		return nil, err
	}
	var entries []*fpr.ModerationEntry
	err := db.inTx(ctx, false, func(tx *Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT m.id, m.review_id, m.moderator_id, u.display_name, m.action, m.note, m.created_at,
			COALESCE(m.reason, '')
			FROM moderation_log m JOIN users u ON u.id = m.moderator_id
			WHERE m.review_id = $1 ORDER BY m.created_at, m.id`, reviewID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var (
				e       fpr.ModerationEntry
				created int64
			)
			if err := rows.Scan(&e.ID, &e.ReviewID, &e.Moderator.ID, &e.Moderator.DisplayName, &e.Action, &e.Note, &created, &e.Reason); err != nil {
				return err
			}
			e.CreatedAt = fromMicros(created)
			entries = append(entries, &e)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		if len(entries) == 0 {
			return tx.exists(ctx, `SELECT 1 FROM reviews WHERE id = $1`, reviewID, "review")
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("find moderation log: %w", err)
	}
	return entries, nil
}

// FindModerationCounts counts a product's reject and remove decisions by
// reason (a decision without one counts as other), from the audit log, so
// decisions on reviews deleted since still count. Anyone may read it.
// not_found.
func (db *DB) FindModerationCounts(ctx context.Context, productID string) (*fpr.ModerationCounts, error) {
	out := &fpr.ModerationCounts{Removed: map[fpr.FlagReason]int{}, Rejected: map[fpr.FlagReason]int{}}
	err := db.inTx(ctx, false, func(tx *Tx) error {
		if err := tx.exists(ctx, `SELECT 1 FROM products WHERE id = $1`, productID, "product"); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT action, COALESCE(reason, 'other'), COUNT(*) FROM moderation_log
			WHERE product_id = $1 AND action IN ('reject', 'remove') GROUP BY action, COALESCE(reason, 'other')`,
			productID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var (
				action fpr.ModerationAction
				reason fpr.FlagReason
				n      int
			)
			if err := rows.Scan(&action, &reason, &n); err != nil {
				return err
			}
			if action == fpr.ActionRemove {
				out.Removed[reason] += n
			} else {
				out.Rejected[reason] += n
			}
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("find moderation counts: %w", err)
	}
	return out, nil
}
