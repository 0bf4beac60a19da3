package store

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/fpr-team/fpr"
)

// Farm applications (SPEC section 8): a member asks to list a farm; an
// admin approves (the farm is created, owned by the applicant, who becomes
// a producer: one transaction) or rejects it with a note.

const applicationSelect = `SELECT a.id, a.applicant_id, u.display_name, a.farm_name, a.region, a.description, a.contact,
	a.status, a.note, a.farm_id, a.decided_at, a.created_at
	FROM farm_applications a JOIN users u ON u.id = a.applicant_id`

func scanApplication(row interface{ Scan(...any) error }) (*fpr.FarmApplication, error) {
	var a fpr.FarmApplication
	var decided, created int64
	if err := row.Scan(&a.ID, &a.Applicant.ID, &a.Applicant.DisplayName, &a.FarmName, &a.Region, &a.Description, &a.Contact,
		&a.Status, &a.Note, &a.FarmID, &decided, &created); err != nil {
		return nil, err
	}
	a.CreatedAt = fromMicros(created)
	if decided != 0 {
		t := fromMicros(decided)
		a.DecidedAt = &t
	}
	return &a, nil
}

// ApplyForFarm records the acting member's application, counted against
// fpr.LimitFarmApplication in its transaction (a refused application is
// not counted). unauthenticated, forbidden (fpr.FarmApplicationRefusal:
// not a member, or an e-mail not verified yet), validation_failed,
// conflict (one is already pending), rate_limited.
func (db *DB) ApplyForFarm(ctx context.Context, a *fpr.FarmApplication) error {
	actor, err := fpr.RequireUser(ctx)
	if err != nil {
		return err
	}
	if err := fpr.FarmApplicationRefusal(actor); err != nil {
		return err
	}
	if err := a.Validate(); err != nil {
		return err
	}
	a.Applicant = fpr.Author{ID: actor.ID, DisplayName: actor.DisplayName}
	a.Status, a.Note, a.FarmID, a.DecidedAt = fpr.FarmApplicationPending, "", "", nil
	err = db.inTx(ctx, true, func(tx *Tx) error {
		if err := tx.RateLimit(ctx, fpr.LimitFarmApplication); err != nil {
			return err
		}
		a.ID = db.NewID(tx.now)
		a.CreatedAt = fromMicros(micros(tx.now))
		_, err := tx.ExecContext(ctx, `INSERT INTO farm_applications
			(id, applicant_id, farm_name, region, description, contact, status, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7)`,
			a.ID, actor.ID, a.FarmName, a.Region, a.Description, a.Contact, micros(tx.now))
		if fpr.ErrorCode(db.dialect.translate(err)) == fpr.CodeConflict {
			return fpr.Errorf(fpr.CodeConflict, "Your application is already waiting for an admin.")
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("apply for farm: %w", err)
	}
	return nil
}

// requireApplicationAdmin returns the acting admin.
func requireApplicationAdmin(ctx context.Context) (*fpr.User, error) {
	actor, err := fpr.RequireUser(ctx)
	if err != nil {
		return nil, err
	}
	if !fpr.CanDecideFarmApplications(actor) {
		return nil, fpr.Errorf(fpr.CodeForbidden, "Only admins may decide farm applications.")
	}
	return actor, nil
}

// FindFarmApplications lists applications, newest first, keyset on id.
// Admins only.
func (db *DB) FindFarmApplications(ctx context.Context, f fpr.FarmApplicationFilter) ([]*fpr.FarmApplication, string, error) {
	if _, err := requireApplicationAdmin(ctx); err != nil {
		return nil, "", err
	}
	return db.findApplications(ctx, f, "")
}

// FindOwnFarmApplications lists the acting user's applications, newest
// first, keyset on id: anyone signed in sees their own.
func (db *DB) FindOwnFarmApplications(ctx context.Context, f fpr.FarmApplicationFilter) ([]*fpr.FarmApplication, string, error) {
	actor, err := fpr.RequireUser(ctx)
	if err != nil {
		return nil, "", err
	}
	return db.findApplications(ctx, f, actor.ID)
}

// findApplications lists applications by f, only applicantID's when it is
// not "".
func (db *DB) findApplications(ctx context.Context, f fpr.FarmApplicationFilter, applicantID string) ([]*fpr.FarmApplication, string, error) {
	if err := f.Validate(); err != nil {
		return nil, "", err
	}
	after, err := decodeCursor(f.Cursor, "applications")
	if err != nil {
		return nil, "", err
	}
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	q := applicationSelect + ` WHERE 1=1`
	if applicantID != "" {
		q += ` AND a.applicant_id = ` + arg(applicantID)
	}
	if f.Status != "" {
		q += ` AND a.status = ` + arg(string(f.Status))
	}
	if after != nil {
		q += ` AND a.id < ` + arg(after.ID)
	}
	q += ` ORDER BY a.id DESC LIMIT ` + arg(f.Limit+1) //nolint:gosec // G202: fixed fragments and placeholders only; values go in args
	rows, err := db.read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, "", fmt.Errorf("find farm applications: %w", err)
	}
	defer rows.Close()
	var out []*fpr.FarmApplication
	for rows.Next() {
		a, err := scanApplication(rows)
		if err != nil {
			return nil, "", fmt.Errorf("find farm applications: %w", err)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("find farm applications: %w", err)
	}
	next := ""
	if len(out) > f.Limit {
		out = out[:f.Limit]
		next = cursor{Sort: "applications", ID: out[len(out)-1].ID}.encode()
	}
	return out, next, nil
}

// DecideFarmApplication approves or rejects a pending application. On
// approval, in one transaction: the farm is created (owned by the
// applicant, its slug made free), the applicant's role becomes
// fpr.RoleAfterFarmApproval of it (audited as a role change), and the
// application records the decision; the decision is audited in the same
// transaction, and so is the mail telling the applicant (mailFarmDecision).
// not_found, forbidden, validation_failed (a bad action or note, or a farm
// that no longer validates), conflict (already decided, or approving the
// application of a deleted account).
func (db *DB) DecideFarmApplication(ctx context.Context, id string, action fpr.FarmApplicationAction, note string) (*fpr.FarmApplication, error) {
	actor, err := requireApplicationAdmin(ctx)
	if err != nil {
		return nil, err
	}
	if err := fpr.ValidateFarmDecision(action, note); err != nil {
		return nil, err
	}
	var a *fpr.FarmApplication
	err = db.inTx(ctx, true, func(tx *Tx) error {
		// Lock the row first, so two admins deciding at once see each
		// other's decision (the second gets conflict).
		res, err := tx.ExecContext(ctx, `UPDATE farm_applications SET status = status WHERE id = $1`, id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return notFound("application")
		}
		a, err = scanApplication(tx.QueryRowContext(ctx, applicationSelect+` WHERE a.id = $1`, id))
		if err != nil {
			return err
		}
		if a.Status != fpr.FarmApplicationPending {
			return fpr.Errorf(fpr.CodeConflict, "This application was already %s.", a.Status)
		}
		if action == fpr.FarmApplicationApprove {
			var role fpr.Role
			var deleted int64
			if err := tx.QueryRowContext(ctx, `SELECT role, deleted_at FROM users WHERE id = $1`, a.Applicant.ID).Scan(&role, &deleted); err != nil {
				return err
			}
			if deleted != 0 {
				// Nobody is left to own the farm.
				return fpr.Errorf(fpr.CodeConflict, "The applicant has deleted their account; reject the application instead.")
			}
			farm := &fpr.Farm{OwnerID: a.Applicant.ID, Name: a.FarmName, Region: a.Region, Description: a.Description}
			if err := farm.Validate(); err != nil {
				return err
			}
			if err := db.insertFarm(ctx, tx, farm); err != nil {
				return err
			}
			a.FarmID = farm.ID
			if next := fpr.RoleAfterFarmApproval(role); next != role {
				if _, err := tx.ExecContext(ctx, `UPDATE users SET role = $1 WHERE id = $2`, string(next), a.Applicant.ID); err != nil {
					return err
				}
				if err := tx.Audit(ctx, fpr.AuditRoleChange, fpr.AuditTarget("user", a.Applicant.ID),
					map[string]string{"from": string(role), "to": string(next), "farm_application": a.ID}); err != nil {
					return err
				}
			}
		}
		a.Status = action.Status()
		a.Note = strings.TrimSpace(note)
		now := fromMicros(micros(tx.now))
		a.DecidedAt = &now
		if _, err := tx.ExecContext(ctx, `UPDATE farm_applications SET status = $1, note = $2, farm_id = $3, decided_by = $4, decided_at = $5 WHERE id = $6`,
			string(a.Status), a.Note, a.FarmID, actor.ID, micros(tx.now), a.ID); err != nil {
			return err
		}
		if err := tx.Audit(ctx, fpr.AuditFarmDecide, fpr.AuditTarget("farm_application", a.ID),
			map[string]string{"action": string(action), "note": a.Note, "farm_id": a.FarmID, "applicant_id": a.Applicant.ID}); err != nil {
			return err
		}
		return tx.mailFarmDecision(ctx, a, action)
	})
	if err != nil {
		return nil, fmt.Errorf("decide farm application: %w", err)
	}
	return a, nil
}

// mailFarmDecision writes the decision on a to the outbox in tx, to the
// applicant's address: the answer to their own request, so it is sent
// whatever their notification switches (fpr.MailTopic has no topic for
// it), and sets a.Mailed. An applicant who has deleted their account has
// no address left and gets nothing.
func (tx *Tx) mailFarmDecision(ctx context.Context, a *fpr.FarmApplication, action fpr.FarmApplicationAction) error {
	var email, name string
	var deleted int64
	if err := tx.QueryRowContext(ctx, `SELECT email, display_name, deleted_at FROM users WHERE id = $1`,
		a.Applicant.ID).Scan(&email, &name, &deleted); err != nil {
		return fmt.Errorf("farm decision mail: %w", err)
	}
	if deleted != 0 || email == "" {
		return nil
	}
	if err := tx.enqueueMail(ctx, &fpr.Mail{Kind: fpr.MailFarmApplicationDecided, To: email, UserID: a.Applicant.ID,
		Data: map[string]string{"display_name": name, "farm_name": a.FarmName, "action": string(action),
			"note": a.Note, "farm_id": a.FarmID}}); err != nil {
		return err
	}
	a.Mailed = true
	return nil
}

// FindFarmReviews lists the published reviews of the products of every
// farm the acting user owns, newest first, keyset on the review ID; with
// f.Unanswered, only those without a reply. forbidden for users without an
// inbox (fpr.CanReadFarmInbox).
func (db *DB) FindFarmReviews(ctx context.Context, f fpr.FarmReviewFilter) ([]*fpr.FarmReview, string, error) {
	actor, err := fpr.RequireUser(ctx)
	if err != nil {
		return nil, "", err
	}
	if !fpr.CanReadFarmInbox(actor) {
		return nil, "", fpr.Errorf(fpr.CodeForbidden, "Only producers have a review inbox.")
	}
	if err := f.Normalize(); err != nil {
		return nil, "", err
	}
	after, err := decodeCursor(f.Cursor, "inbox")
	if err != nil {
		return nil, "", err
	}
	args := []any{actor.ID}
	rs := db.dialect.reviewSQL()
	const inbox = ` JOIN products p ON p.id = r.product_id JOIN farms f ON f.id = p.farm_id
		WHERE f.owner_id = $1 AND r.status = 'published' AND r.probe = FALSE`
	q := `SELECT ` + rs.columns + `, p.name, f.id, f.name FROM ` + rs.from + inbox //nolint:gosec // G202: the dialect's fixed SQL; values go in args
	if f.Unanswered {
		q += ` AND rr.review_id IS NULL`
	}
	if after != nil {
		args = append(args, after.ID)
		q += ` AND r.id < $2`
	}
	args = append(args, f.Limit+1)
	q += ` ORDER BY r.id DESC LIMIT $` + strconv.Itoa(len(args)) //nolint:gosec,nolintlint // G202: a placeholder number; values go in args
	rows, err := db.read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, "", fmt.Errorf("find farm reviews: %w", err)
	}
	defer rows.Close()
	var out []*fpr.FarmReview
	for rows.Next() {
		var fr fpr.FarmReview
		r, err := scanReview(rows, &fr.ProductName, &fr.FarmID, &fr.FarmName)
		if err != nil {
			return nil, "", fmt.Errorf("find farm reviews: %w", err)
		}
		fr.Review = r
		out = append(out, &fr)
	}
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("find farm reviews: %w", err)
	}
	next := ""
	if len(out) > f.Limit {
		out = out[:f.Limit]
		next = cursor{Sort: "inbox", ID: out[len(out)-1].Review.ID}.encode()
	}
	return out, next, nil
}
