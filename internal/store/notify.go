package store

import (
	"context"
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
func (tx *Tx) notifyReviewReceivedOf(ctx context.Context, r *fpr.Review, ownerID, productName string) error {
	if r.Probe || r.Status != fpr.StatusPublished || ownerID == r.Author.ID {
		return nil
	}
	return tx.notify(ctx, ownerID, fpr.MailReviewReceived, map[string]string{
		"product_id": r.ProductID, "product_name": productName, "review_id": r.ID, "rating": strconv.Itoa(r.Rating),
	})
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
