package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

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
// (fpr.ReviewMailDue): a digest, which ClaimMail fills in when it goes out
// (fillReviewDigest) with the reviews it tells of that are still
// published then. While the producer's latest digest waits in the outbox,
// unclaimed, a new review writes nothing: it is counted then, as one of
// the reviews whose IDs come after the digest's "after". Otherwise a new
// digest is written, due at once after a quiet spell or at the end of the
// interval since the last one; its "after" is the newest review ID there
// is, so it counts no review an earlier digest told of.
//
// A review whose ID is not after the waiting digest's "after" (one held
// until its author verified their e-mail, published now; or, on
// PostgreSQL, one whose transaction began before the digest was written
// and commits after) adds its ID to the digest's "late" list: the one
// write a review may make to a waiting digest. Lowering "after" instead
// would count again the reviews between, which an earlier digest told of.
//
// On PostgreSQL the read of the latest digest locks it until the review
// commits, and ClaimMail skips locked mail: a digest is claimed either
// before a review reads it (the review then writes a new one, and the
// claim, which counts what was committed before it, did not count the
// review) or after the review commits (and counts it). SQLite serializes
// writers, so the same holds there without locks.
func (tx *Tx) notifyReviewReceivedOf(ctx context.Context, r *fpr.Review, ownerID, productName string) error {
	if r.Probe || r.Status != fpr.StatusPublished || ownerID == r.Author.ID {
		return nil
	}
	latest, err := tx.latestReviewDigest(ctx, ownerID)
	if err != nil {
		return fmt.Errorf("notify: %w", err)
	}
	if latest.waiting {
		if r.ID > latest.after {
			return nil // counted when the digest is claimed
		}
		return tx.joinReviewDigestLate(ctx, latest, r.ID, ownerID)
	}
	// A new digest: only now does the producer's switch matter. One who
	// switched off while a digest waits still gets that digest, telling
	// of the reviews written before they switched off (fillReviewDigest),
	// as a mail written before the switch always went out.
	email, ok, err := tx.notifiable(ctx, ownerID, fpr.MailReviewReceived)
	if err != nil || !ok {
		return err
	}
	var after string
	err = tx.QueryRowContext(ctx, newestOtherReviewQuery, r.ID).Scan(&after)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("notify: %w", err)
	}
	data := map[string]string{
		"product_id": r.ProductID, "product_name": productName, "review_id": r.ID, "rating": strconv.Itoa(r.Rating),
		"count": "1", "after": after,
	}
	if r.ID <= after {
		data["late"] = r.ID
	}
	m := &fpr.Mail{Kind: fpr.MailReviewReceived, To: email, UserID: ownerID, Data: data, NextAttemptAt: tx.now}
	if latest.id != "" {
		last := fromMicros(latest.created)
		m.NextAttemptAt = fpr.ReviewMailDue(last, tx.now)
		// The next review finds this digest as the latest by its ID
		// (latestMailQuery), so the ID must sort after the one before,
		// also when this transaction began before that one was written
		// (PostgreSQL; IDs order by their millisecond first).
		if next := last.Truncate(time.Millisecond).Add(time.Millisecond); next.After(tx.now) {
			m.ID = tx.db.NewID(next)
		}
	}
	return tx.enqueueNotification(ctx, m)
}

// latestMailQuery reads a user's latest mail of a kind: one row of the
// index mail_outbox_user_kind (IDs are time-ordered).
const latestMailQuery = `SELECT id, data, status, attempts, created_at FROM mail_outbox
	WHERE user_id = $1 AND kind = $2 ORDER BY id DESC LIMIT 1`

// newestOtherReviewQuery reads the newest review ID but one: a new digest
// counts the reviews after it. Every review an earlier digest counted was
// committed, so it is no newer; reviews committed later but made earlier
// are listed as late. Two rows of the primary key's index at most.
const newestOtherReviewQuery = `SELECT id FROM reviews WHERE id <> $1 ORDER BY id DESC LIMIT 1`

// reviewDigest is what a review reads of its producer's latest new-review
// mail (id "": none).
type reviewDigest struct {
	id      string
	created int64 // micros
	// waiting reports a digest that is pending and was never claimed, and
	// was written by this release (it has an "after"); its data is then
	// kept for a late review to join.
	waiting bool
	after   string
	data    string
}

// latestReviewDigest reads ownerID's latest new-review mail, locked until
// tx ends on PostgreSQL. A digest written by an earlier release, or with
// data this release cannot read (never a reason to refuse a review), is
// not waiting: a new one is written beside it.
//
// When a new digest is to be written, PostgreSQL needs more: a review
// that waited for the lock may find that the digest it read is no longer
// the latest (the transaction that held the lock wrote a newer one and
// committed), and when there is no mail at all there is no row to lock.
// So the read is done again, under the lock of the digest read before or,
// with none, of the owner's row, until it finds the same mail: no other
// transaction can then write a newer one before this one commits. The
// owner's row is locked by a no-op UPDATE, whose lock (FOR NO KEY
// UPDATE) lets other transactions insert rows that refer to the owner: a
// review holding the latest digest's lock writes a new digest (and its
// unsubscribe token) that does, and FOR UPDATE would make it wait for a
// transaction that waits for that digest.
func (tx *Tx) latestReviewDigest(ctx context.Context, ownerID string) (*reviewDigest, error) {
	d, err := tx.readLatestReviewDigest(ctx, ownerID)
	for err == nil && !d.waiting && tx.db.dialect.rowLocks() {
		if d.id == "" {
			if _, err := tx.ExecContext(ctx, `UPDATE users SET deleted_at = deleted_at WHERE id = $1`, ownerID); err != nil {
				return nil, err
			}
		}
		var again *reviewDigest
		if again, err = tx.readLatestReviewDigest(ctx, ownerID); err == nil && again.id == d.id {
			return again, nil
		}
		d = again
	}
	return d, err
}

// readLatestReviewDigest runs latestMailQuery for ownerID's new-review
// mail, locking the row on PostgreSQL.
func (tx *Tx) readLatestReviewDigest(ctx context.Context, ownerID string) (*reviewDigest, error) {
	var (
		d        reviewDigest
		status   string
		attempts int64
	)
	err := tx.QueryRowContext(ctx, latestMailQuery+tx.db.dialect.forUpdate(), ownerID, string(fpr.MailReviewReceived)).
		Scan(&d.id, &d.data, &status, &attempts, &d.created)
	if errors.Is(err, sql.ErrNoRows) {
		return &reviewDigest{}, nil
	}
	if err != nil {
		return nil, err
	}
	if fpr.MailStatus(status) == fpr.MailPending && attempts == 0 {
		var bound struct {
			After *string `json:"after"`
		}
		if json.Unmarshal([]byte(d.data), &bound) == nil && bound.After != nil {
			d.waiting, d.after = true, *bound.After
		}
	}
	return &d, nil
}

// joinReviewDigestLate adds reviewID to the "late" list of the waiting
// digest d (see notifyReviewReceivedOf), unless the owner has switched
// new-review mail off: a review published then is told of in no mail.
func (tx *Tx) joinReviewDigestLate(ctx context.Context, d *reviewDigest, reviewID, ownerID string) error {
	_, ok, err := tx.notifiable(ctx, ownerID, fpr.MailReviewReceived)
	if err != nil || !ok {
		return err
	}
	var data map[string]string
	if err := json.Unmarshal([]byte(d.data), &data); err != nil {
		return fmt.Errorf("notify: %w", err) // read once already: never happens
	}
	if data["late"] != "" {
		data["late"] += ","
	}
	data["late"] += reviewID
	b, err := json.Marshal(data)
	if err != nil {
		return fmt.Errorf("notify: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE mail_outbox SET data = $1 WHERE id = $2`, string(b), d.id); err != nil {
		return fmt.Errorf("notify: %w", err)
	}
	return nil
}

// fillReviewDigest fills in a new-review digest m that ClaimMail claims
// for the first time, in the claim's transaction. It counts the reviews
// the digest tells of: of products of farms of m's user, published now,
// by neither a probe nor the user, with IDs after the digest's "after" or
// listed in its "late"; and it names the newest. The data is written
// back, so the outbox keeps what the mail says and a retry sends the
// same; the recipient becomes the user's address now, which may have
// changed since the digest was written. A producer who has switched
// new-review mail off since is told only of the reviews written before
// they did. Mail that is no such digest, was filled already, or was
// written by an earlier release (no "after") is sent as it is.
//
// With nothing left to tell (a moderator removed every review meanwhile,
// or the account was deleted), the digest is deleted and send is false:
// no mail goes out, and as none did, the producer's next review is mailed
// as if the digest had never been written.
//
// On PostgreSQL the counting statements run after the claim's UPDATE, so
// they see every review committed before them; a review committing later
// read the digest after the claim (the claim held its lock, or had
// committed) and wrote a new digest.
func (tx *Tx) fillReviewDigest(ctx context.Context, m *fpr.Mail) (send bool, err error) {
	after, ok := m.Data["after"]
	if m.Kind != fpr.MailReviewReceived || m.Attempts != 1 || !ok || m.UserID == "" {
		return true, nil
	}
	var (
		email          string
		deleted, offAt int64
	)
	err = tx.QueryRowContext(ctx, `SELECT u.email, u.deleted_at,
			COALESCE((SELECT o.created_at FROM notification_optouts o WHERE o.user_id = u.id AND o.topic = $2), 0)
		FROM users u WHERE u.id = $1`, m.UserID, string(fpr.TopicReviewReceived)).Scan(&email, &deleted, &offAt)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return false, err
	}
	n, newest := 0, ""
	if err == nil && deleted == 0 {
		before := int64(math.MaxInt64)
		if offAt != 0 {
			before = offAt
		}
		if err := tx.QueryRowContext(ctx, reviewDigestQuery, m.UserID, after, before).Scan(&n, &newest); err != nil {
			return false, err
		}
		for _, id := range strings.Split(m.Data["late"], ",") {
			if id == "" {
				continue
			}
			err := tx.QueryRowContext(ctx, lateReviewQuery, id, m.UserID, after).Scan(&id)
			if errors.Is(err, sql.ErrNoRows) {
				continue // removed, or not of this producer's products
			}
			if err != nil {
				return false, err
			}
			n++
			newest = max(newest, id)
		}
	}
	if n == 0 {
		_, err := tx.ExecContext(ctx, `DELETE FROM mail_outbox WHERE id = $1`, m.ID)
		return false, err
	}
	var (
		productID, productName string
		rating                 int
	)
	if err := tx.QueryRowContext(ctx, `SELECT r.product_id, p.name, r.rating FROM reviews r JOIN products p ON p.id = r.product_id
		WHERE r.id = $1`, newest).Scan(&productID, &productName, &rating); err != nil {
		return false, err
	}
	m.Data["count"] = strconv.Itoa(n)
	m.Data["review_id"], m.Data["product_id"], m.Data["product_name"] = newest, productID, productName
	m.Data["rating"] = strconv.Itoa(rating)
	m.To = email
	data, err := json.Marshal(m.Data)
	if err != nil {
		return false, err
	}
	_, err = tx.ExecContext(ctx, `UPDATE mail_outbox SET data = $1, recipient = $2 WHERE id = $3`, string(data), email, m.ID)
	return err == nil, err
}

// reviewDigestQuery counts a digest's reviews after its "after" ($2),
// written before $3 (micros), of products of farms of user $1, and returns
// the newest one's ID. Written with IN, the plan is farms_owner, then
// products_farm, then a range of reviews_product_newest per product (a
// join lets SQLite pick reviews_status instead: every review on the site
// since the digest was written).
const reviewDigestQuery = `SELECT COUNT(*), COALESCE(MAX(r.id), '') FROM reviews r
	WHERE r.product_id IN (SELECT p.id FROM farms f JOIN products p ON p.farm_id = f.id WHERE f.owner_id = $1)
		AND r.status = 'published' AND r.id > $2 AND r.probe = FALSE AND r.author_id <> $1 AND r.created_at < $3`

// lateReviewQuery returns review $1 when a digest of user $2 with "after"
// $3 counts it as late.
const lateReviewQuery = `SELECT r.id FROM reviews r JOIN products p ON p.id = r.product_id JOIN farms f ON f.id = p.farm_id
	WHERE r.id = $1 AND f.owner_id = $2 AND r.status = 'published' AND r.probe = FALSE AND r.author_id <> $2 AND r.id <= $3`

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
