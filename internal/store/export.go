package store

import (
	"context"
	"fmt"

	"github.com/fpr-team/fpr"
)

// ExportAccount returns every personal datum about userID, read in one
// transaction (one snapshot): the account, notification switches, reviews
// in every status, replies written, helpful votes, flags, sessions
// (without their secrets), farms owned and farm applications.
func (db *DB) ExportAccount(ctx context.Context, userID string) (*fpr.AccountExport, error) {
	out := &fpr.AccountExport{}
	err := db.inTx(ctx, false, func(tx *Tx) error {
		var err error
		if out.User, err = scanUser(tx.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE id = $1 AND deleted_at = 0`, userID)); err != nil {
			return err
		}
		if out.Notifications, err = db.NotificationSettings(ctx, userID); err != nil {
			return err
		}
		return tx.exportRows(ctx, userID, out)
	})
	if err != nil {
		return nil, fmt.Errorf("export account: %w", err)
	}
	return out, nil
}

// queryEach runs query with args and calls scan for each row.
func (tx *Tx) queryEach(ctx context.Context, query string, args []any, scan func(row interface{ Scan(...any) error }) error) error {
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

func (tx *Tx) exportRows(ctx context.Context, userID string, out *fpr.AccountExport) error {
	id := []any{userID}
	if err := tx.queryEach(ctx, tx.reviewSelect()+` WHERE r.author_id = $1 ORDER BY r.id`, id, func(row interface{ Scan(...any) error }) error {
		r, err := scanReview(row)
		if err == nil {
			out.Reviews = append(out.Reviews, r)
		}
		return err
	}); err != nil {
		return err
	}
	if err := tx.queryEach(ctx, `SELECT review_id, body, created_at, updated_at FROM review_replies WHERE author_id = $1 ORDER BY review_id`, id,
		func(row interface{ Scan(...any) error }) error {
			var r fpr.ExportedReply
			var c, u int64
			if err := row.Scan(&r.ReviewID, &r.Body, &c, &u); err != nil {
				return err
			}
			r.CreatedAt, r.UpdatedAt = fromMicros(c), fromMicros(u)
			out.Replies = append(out.Replies, r)
			return nil
		}); err != nil {
		return err
	}
	if err := tx.queryEach(ctx, `SELECT review_id, created_at FROM review_votes WHERE user_id = $1 ORDER BY review_id`, id,
		func(row interface{ Scan(...any) error }) error {
			var v fpr.ExportedVote
			var c int64
			if err := row.Scan(&v.ReviewID, &c); err != nil {
				return err
			}
			v.CreatedAt = fromMicros(c)
			out.HelpfulVotes = append(out.HelpfulVotes, v)
			return nil
		}); err != nil {
		return err
	}
	if err := tx.queryEach(ctx, `SELECT id, review_id, reason, note, created_at FROM review_flags WHERE user_id = $1 ORDER BY id`, id,
		func(row interface{ Scan(...any) error }) error {
			f := &fpr.Flag{UserID: userID}
			var c int64
			if err := row.Scan(&f.ID, &f.ReviewID, &f.Reason, &f.Note, &c); err != nil {
				return err
			}
			f.CreatedAt = fromMicros(c)
			out.Flags = append(out.Flags, f)
			return nil
		}); err != nil {
		return err
	}
	if err := tx.queryEach(ctx, `SELECT kind, created_at, expires_at FROM sessions WHERE user_id = $1 AND expires_at > $2 ORDER BY created_at`,
		[]any{userID, micros(tx.now)}, func(row interface{ Scan(...any) error }) error {
			var s fpr.ExportedSession
			var c, e int64
			if err := row.Scan(&s.Kind, &c, &e); err != nil {
				return err
			}
			s.CreatedAt, s.ExpiresAt = fromMicros(c), fromMicros(e)
			out.Sessions = append(out.Sessions, s)
			return nil
		}); err != nil {
		return err
	}
	if err := tx.queryEach(ctx, farmSelect+` WHERE f.owner_id = $1 ORDER BY f.id`, id,
		func(row interface{ Scan(...any) error }) error {
			f, err := scanFarm(row)
			if err == nil {
				out.Farms = append(out.Farms, f)
			}
			return err
		}); err != nil {
		return err
	}
	return tx.queryEach(ctx, applicationSelect+` WHERE a.applicant_id = $1 ORDER BY a.id`, id,
		func(row interface{ Scan(...any) error }) error {
			a, err := scanApplication(row)
			if err == nil {
				out.FarmApplications = append(out.FarmApplications, a)
			}
			return err
		})
}
