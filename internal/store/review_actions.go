package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/fpr-team/fpr"
)

// SetHelpful adds (helpful=true) or withdraws the acting user's helpful
// vote on a review the user may see. Idempotent: helpful_count moves only
// when a vote row was actually inserted or deleted, so concurrent and
// repeated votes keep it exact. unauthenticated, not_found, forbidden on
// one's own review.
func (db *DB) SetHelpful(ctx context.Context, reviewID string, helpful bool) error {
	actor, err := fpr.RequireUser(ctx)
	if err != nil {
		return err
	}
	err = db.inTx(ctx, true, func(tx *Tx) error {
		if err := tx.RateLimit(ctx, fpr.LimitVote); err != nil {
			return err
		}
		r, err := tx.lockVisibleReview(ctx, reviewID)
		if err != nil {
			return err
		}
		if !fpr.CanVoteOnReview(actor, r) {
			return fpr.Errorf(fpr.CodeForbidden, "You cannot vote for your own review.")
		}
		q, delta := `DELETE FROM review_votes WHERE review_id = $1 AND user_id = $2`, -1
		args := []any{r.ID, actor.ID}
		if helpful {
			q, delta = `INSERT INTO review_votes (review_id, user_id, created_at) VALUES ($1, $2, $3)
				ON CONFLICT (review_id, user_id) DO NOTHING`, 1
			args = append(args, micros(tx.now))
		}
		res, err := tx.ExecContext(ctx, q, args...)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil || n == 0 {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE reviews SET helpful_count = helpful_count + $1 WHERE id = $2`, delta, r.ID)
		return err
	})
	if err != nil {
		return fmt.Errorf("set helpful: %w", err)
	}
	return nil
}

// FlagReview records the acting user's flag of a review they may see. The
// unique index on (review_id, user_id) makes a second flag a conflict.
// Every flag queues the review for a moderator; under post-moderation,
// FlagsToUnpublish unresolved flags that count (fpr.FlagCounts: accounts
// old enough) send a published review back to pending, out of the rating
// summary, in the same transaction, unless a moderator has published it
// since its last edit (fpr.ReviewStatusAfterFlag). A food-safety report
// leaves the review published, is audited and, in the same transaction,
// mails the producer and the admins (mailFoodSafetyReport). unauthenticated, validation_failed,
// not_found, forbidden (one's own review), conflict.
func (db *DB) FlagReview(ctx context.Context, f *fpr.Flag) error {
	actor, err := fpr.RequireUser(ctx)
	if err != nil {
		return err
	}
	if err := f.Validate(); err != nil {
		return err
	}
	err = db.inTx(ctx, true, func(tx *Tx) error {
		if err := tx.RateLimit(ctx, fpr.LimitFlag); err != nil {
			return err
		}
		r, err := tx.lockVisibleReview(ctx, f.ReviewID)
		if err != nil {
			return err
		}
		if !fpr.CanFlagReview(actor, r) {
			return fpr.Errorf(fpr.CodeForbidden, "You cannot flag your own review.")
		}
		f.ID = db.NewID(tx.now)
		f.UserID = actor.ID
		f.CreatedAt = fromMicros(micros(tx.now))
		if _, err := tx.ExecContext(ctx, `INSERT INTO review_flags (id, review_id, user_id, reason, note, resolved, created_at, counts)
			VALUES ($1, $2, $3, $4, $5, FALSE, $6, $7)`,
			f.ID, r.ID, actor.ID, string(f.Reason), f.Note, micros(tx.now), fpr.FlagCounts(actor, tx.now)); err != nil {
			if fpr.ErrorCode(db.dialect.translate(err)) == fpr.CodeConflict {
				return fpr.Errorf(fpr.CodeConflict, "You have already flagged this review.")
			}
			return err
		}
		if f.Reason == fpr.FlagFoodSafety {
			if err := tx.Audit(ctx, fpr.AuditFoodSafetyReport, fpr.AuditTarget("review", r.ID),
				map[string]string{"flag_id": f.ID, "note": f.Note}); err != nil {
				return err
			}
			if err := tx.mailFoodSafetyReport(ctx, r, f); err != nil {
				return err
			}
		}
		// Food-safety reports leave the review published
		// (fpr.FlagUnpublishes): they do not count towards unpublishing.
		var (
			counting int
			vetted   bool
		)
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM review_flags WHERE review_id = $1 AND resolved = FALSE AND counts = TRUE AND reason <> $2`,
			r.ID, string(fpr.FlagFoodSafety)).Scan(&counting); err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `SELECT vetted FROM reviews WHERE id = $1`, r.ID).Scan(&vetted); err != nil {
			return err
		}
		return tx.setReviewStatus(ctx, r, fpr.ReviewStatusAfterFlag(db.Moderation, r.Status, counting, vetted))
	})
	if err != nil {
		return fmt.Errorf("flag review: %w", err)
	}
	return nil
}

// SetReply creates or edits the farm's reply to a review: only the
// producer owning the product's farm, or an admin. unauthenticated,
// validation_failed, not_found (a review the user may not see), forbidden.
func (db *DB) SetReply(ctx context.Context, reviewID, body string) (*fpr.Review, error) {
	actor, err := fpr.RequireUser(ctx)
	if err != nil {
		return nil, err
	}
	if err := fpr.ValidateReplyBody(body); err != nil {
		return nil, err
	}
	body = strings.TrimSpace(body)
	var r *fpr.Review
	err = db.inTx(ctx, true, func(tx *Tx) error {
		if err := tx.RateLimit(ctx, fpr.LimitReply); err != nil {
			return err
		}
		var err error
		if r, err = tx.lockVisibleReview(ctx, reviewID); err != nil {
			return err
		}
		farm, err := tx.farmOfProduct(ctx, r.ProductID)
		if err != nil {
			return err
		}
		if !fpr.CanReplyToReview(actor, farm) {
			return fpr.Errorf(fpr.CodeForbidden, "Only the farm that sells this product may reply.")
		}
		var replied int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM review_replies WHERE review_id = $1`, r.ID).Scan(&replied); err != nil {
			return err
		}
		if replied == 0 {
			if err := tx.notifyReplyReceived(ctx, r, actor.ID); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO review_replies (review_id, author_id, body, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $4)
			ON CONFLICT (review_id) DO UPDATE SET author_id = excluded.author_id, body = excluded.body, updated_at = excluded.updated_at`,
			r.ID, actor.ID, body, micros(tx.now)); err != nil {
			return err
		}
		if err := tx.auditStaff(ctx, farm.OwnerID, fpr.AuditReplySet, fpr.AuditTarget("review", r.ID), map[string]string{"farm_id": farm.ID}); err != nil {
			return err
		}
		if r, err = tx.findReview(ctx, r.ID); err != nil {
			return err
		}
		return tx.fillViewerHelpful(ctx, []*fpr.Review{r})
	})
	if err != nil {
		return nil, fmt.Errorf("set reply: %w", err)
	}
	return r, nil
}
