package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/fpr-team/fpr"
)

// Notifications (SPEC section 8), each written to the outbox in the
// transaction of the change that causes it, through tx.notify, which
// honours the recipient's switches. Probe reviews notify nobody.

// notifyReviewReceived tells the producer owning r's product of a
// published review of it.
func (tx *Tx) notifyReviewReceived(ctx context.Context, r *fpr.Review) error {
	if r.Probe || r.Status != fpr.StatusPublished {
		return nil
	}
	var ownerID, productName string
	if err := tx.QueryRowContext(ctx, `SELECT f.owner_id, p.name FROM products p JOIN farms f ON f.id = p.farm_id WHERE p.id = $1`,
		r.ProductID).Scan(&ownerID, &productName); err != nil {
		return err
	}
	return tx.notifyReviewReceivedOf(ctx, r, ownerID, productName)
}

// notifyReviewReceivedOf is notifyReviewReceived when the caller has read
// the owner of r's product's farm and the product's name already.
//
// A producer gets at most one new-review mail each fpr.ReviewMailInterval
// (fpr.ReviewMailDue). While their latest one waits in the outbox,
// unclaimed, a new review joins it: its count goes up and it names the
// newest review. Otherwise a new mail is written, due at once after a
// quiet spell or at the end of the interval since the last one.
func (tx *Tx) notifyReviewReceivedOf(ctx context.Context, r *fpr.Review, ownerID, productName string) error {
	if r.Probe || r.Status != fpr.StatusPublished || ownerID == r.Author.ID {
		return nil
	}
	email, ok, err := tx.notifiable(ctx, ownerID, fpr.MailReviewReceived)
	if err != nil || !ok {
		return err
	}
	newest := map[string]string{
		"product_id": r.ProductID, "product_name": productName, "review_id": r.ID, "rating": strconv.Itoa(r.Rating),
	}
	// On PostgreSQL a worker may claim the waiting mail, or another
	// review of the same producer join it, between the read and the
	// update; the update then changes nothing and the read is done again.
	// On SQLite writers are serialized and the first try succeeds.
	for range 3 {
		var (
			id, data, status string
			attempts         int64
			created          int64
		)
		err := tx.QueryRowContext(ctx, latestMailQuery, ownerID, string(fpr.MailReviewReceived)).
			Scan(&id, &data, &status, &attempts, &created)
		if errors.Is(err, sql.ErrNoRows) {
			break
		}
		if err != nil {
			return fmt.Errorf("notify: %w", err)
		}
		joined, err := joinReviewMail(data, newest)
		if fpr.MailStatus(status) != fpr.MailPending || attempts > 0 || err != nil {
			// Sent, given up, being sent, or data this release cannot
			// read (never a reason to refuse the review): a new mail,
			// due when the interval since this one ends.
			newest["count"] = "1"
			return tx.enqueueNotification(ctx, ownerID, email, fpr.MailReviewReceived, newest,
				fpr.ReviewMailDue(fromMicros(created), tx.now))
		}
		res, err := tx.ExecContext(ctx, `UPDATE mail_outbox SET data = $1, recipient = $2
			WHERE id = $3 AND data = $4 AND status = 'pending' AND attempts = 0`, joined, email, id, data)
		if err != nil {
			return fmt.Errorf("notify: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("notify: %w", err)
		} else if n == 1 {
			return nil
		}
	}
	newest["count"] = "1"
	return tx.enqueueNotification(ctx, ownerID, email, fpr.MailReviewReceived, newest, tx.now)
}

// latestMailQuery reads a user's latest mail of a kind: one row of the
// index mail_outbox_user_kind (IDs are time-ordered).
const latestMailQuery = `SELECT id, data, status, attempts, created_at FROM mail_outbox
	WHERE user_id = $1 AND kind = $2 ORDER BY id DESC LIMIT 1`

// joinReviewMail returns the data of a waiting new-review mail (JSON)
// with one more review, newest naming it.
func joinReviewMail(data string, newest map[string]string) (string, error) {
	var d map[string]string
	if err := json.Unmarshal([]byte(data), &d); err != nil {
		return "", err
	}
	if d == nil {
		return "", errors.New("no data")
	}
	n, err := strconv.Atoi(d["count"])
	if err != nil || n < 1 {
		n = 1 // written before mails were joined: it told of one review
	}
	for k, v := range newest {
		d[k] = v
	}
	d["count"] = strconv.Itoa(n + 1)
	b, err := json.Marshal(d)
	return string(b), err
}

// notifyReplyReceived tells r's author that the farm replied.
func (tx *Tx) notifyReplyReceived(ctx context.Context, r *fpr.Review, replierID string) error {
	if r.Probe || r.Author.ID == replierID {
		return nil
	}
	var productName, farmName string
	if err := tx.QueryRowContext(ctx, `SELECT p.name, f.name FROM products p JOIN farms f ON f.id = p.farm_id WHERE p.id = $1`,
		r.ProductID).Scan(&productName, &farmName); err != nil {
		return err
	}
	return tx.notify(ctx, r.Author.ID, fpr.MailReplyReceived, map[string]string{
		"product_id": r.ProductID, "product_name": productName, "farm_name": farmName, "review_id": r.ID,
	})
}

// notifyReviewDecided tells r's author a moderator's decision on it.
func (tx *Tx) notifyReviewDecided(ctx context.Context, r *fpr.Review, action fpr.ModerationAction, note string) error {
	if r.Probe {
		return nil
	}
	var productName string
	if err := tx.QueryRowContext(ctx, `SELECT name FROM products WHERE id = $1`, r.ProductID).Scan(&productName); err != nil {
		return err
	}
	return tx.notify(ctx, r.Author.ID, fpr.MailReviewDecided, map[string]string{
		"product_id": r.ProductID, "product_name": productName, "review_id": r.ID, "action": string(action), "note": note,
	})
}

// mailFoodSafetyReport mails a food-safety report f on r, in the flag's
// transaction, to the producer owning the product's farm and to every admin
// (fpr.FoodSafetyMailedTo; deleted accounts have no address and are
// skipped), unless an earlier report on r is still open
// (fpr.FoodSafetyReportMailed). It is a safety mail (fpr.MailTopic says
// it is no notification): sent whatever the recipients' switches.
func (tx *Tx) mailFoodSafetyReport(ctx context.Context, r *fpr.Review, f *fpr.Flag) error {
	if r.Probe {
		return nil
	}
	var open int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM review_flags
		WHERE review_id = $1 AND resolved = FALSE AND reason = $2 AND id <> $3`,
		r.ID, string(fpr.FlagFoodSafety), f.ID).Scan(&open); err != nil {
		return err
	}
	if !fpr.FoodSafetyReportMailed(open) {
		return nil
	}
	farm := &fpr.Farm{}
	var productName string
	if err := tx.QueryRowContext(ctx, `SELECT p.name, f.id, f.name, f.owner_id FROM products p JOIN farms f ON f.id = p.farm_id WHERE p.id = $1`,
		r.ProductID).Scan(&productName, &farm.ID, &farm.Name, &farm.OwnerID); err != nil {
		return err
	}
	to, err := tx.foodSafetyRecipients(ctx, farm, f.UserID)
	if err != nil {
		return err
	}
	for _, u := range to {
		if err := tx.enqueueMail(ctx, &fpr.Mail{Kind: fpr.MailFoodSafetyReport, To: u.Email, UserID: u.ID, Data: map[string]string{
			"product_id": r.ProductID, "product_name": productName, "farm_name": farm.Name, "review_id": r.ID,
			"note": f.Note, "staff": strconv.FormatBool(u.Role == fpr.RoleAdmin),
		}}); err != nil {
			return err
		}
	}
	return nil
}

// foodSafetyRecipients returns the live accounts that get the mail of a
// report by reporterID on a product of farm (fpr.FoodSafetyMailedTo).
func (tx *Tx) foodSafetyRecipients(ctx context.Context, farm *fpr.Farm, reporterID string) ([]*fpr.User, error) {
	rows, err := tx.QueryContext(ctx, `SELECT id, email, role, probe FROM users
		WHERE deleted_at = 0 AND (id = $1 OR role = $2) ORDER BY id`, farm.OwnerID, string(fpr.RoleAdmin))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var to []*fpr.User
	for rows.Next() {
		u := &fpr.User{}
		if err := rows.Scan(&u.ID, &u.Email, &u.Role, &u.Probe); err != nil {
			return nil, err
		}
		if fpr.FoodSafetyMailedTo(u, farm, reporterID) {
			to = append(to, u)
		}
	}
	return to, rows.Err()
}
