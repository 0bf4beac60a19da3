package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"

	"github.com/fpr-team/fpr"
)

// Purchase codes. Only the SHA-256 of a code is stored
// (fpr.PurchaseCodeHash); the clear codes exist once, in the answer to
// CreatePurchaseCodes.

// newPurchaseCode draws fpr.PurchaseCodeLength symbols of
// fpr.PurchaseCodeAlphabet from crypto/rand: 80 bits. The alphabet has 32
// symbols, so a byte's low 5 bits pick one without bias.
func newPurchaseCode() string {
	var b [fpr.PurchaseCodeLength]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	for i := range b {
		b[i] = fpr.PurchaseCodeAlphabet[b[i]&31]
	}
	return string(b[:])
}

// CreatePurchaseCodes makes b.Count codes of farm b.FarmID, optionally for
// one of its products, and returns them in clear (the only time they are).
// The farm's producer or an admin. unauthenticated, validation_failed,
// not_found (farm; a product not of this farm), forbidden.
func (db *DB) CreatePurchaseCodes(ctx context.Context, b *fpr.PurchaseCodeBatch) ([]string, error) {
	actor, err := fpr.RequireUser(ctx)
	if err != nil {
		return nil, err
	}
	var codes []string
	err = db.inTx(ctx, true, func(tx *Tx) error {
		farm, err := tx.manageableFarm(ctx, b.FarmID)
		if err != nil {
			return err
		}
		if err := b.Validate(tx.now); err != nil {
			return err
		}
		var product any
		if b.ProductID != "" {
			if err := tx.QueryRowContext(ctx, `SELECT 1 FROM products WHERE id = $1 AND farm_id = $2`, b.ProductID, farm.ID).Scan(new(int)); err != nil {
				if errors.Is(err, sql.ErrNoRows) {
					return &fpr.Error{Code: fpr.CodeValidationFailed, Message: "That product is not one of this farm's.",
						Fields: map[string]string{"product_id": "Choose one of this farm's products, or none."}}
				}
				return err
			}
			product = b.ProductID
		}
		var expires any
		if b.ExpiresAt != nil {
			expires = micros(*b.ExpiresAt)
		}
		codes = make([]string, 0, b.Count)
		for range b.Count {
			c := newPurchaseCode()
			if _, err := tx.ExecContext(ctx, `INSERT INTO purchase_codes (code_hash, farm_id, product_id, created_by, created_at, expires_at)
				VALUES ($1, $2, $3, $4, $5, $6)`, fpr.PurchaseCodeHash(c), farm.ID, product, actor.ID, micros(tx.now), expires); err != nil {
				return err
			}
			codes = append(codes, c)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("create purchase codes: %w", err)
	}
	return codes, nil
}

// redeemPurchaseCode marks code used by review reviewID of productID (of
// farm farmID). The UPDATE's conditions make it atomic: of two
// transactions redeeming one code, PostgreSQL makes the second wait for
// the first's row lock and re-check redeemed_at, and SQLite runs them one
// after the other, so exactly one wins. validation_failed on purchase_code
// naming why a code is refused.
func (tx *Tx) redeemPurchaseCode(ctx context.Context, code, farmID, productID, reviewID string) error {
	hash := fpr.PurchaseCodeHash(code)
	now := micros(tx.now)
	res, err := tx.ExecContext(ctx, `UPDATE purchase_codes SET redeemed_at = $1, review_id = $2
		WHERE code_hash = $3 AND redeemed_at IS NULL AND (expires_at IS NULL OR expires_at > $1)
		AND farm_id = $4 AND (product_id IS NULL OR product_id = $5)`, now, reviewID, hash, farmID, productID)
	if err != nil {
		return fmt.Errorf("redeem purchase code: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("redeem purchase code: %w", err)
	} else if n == 1 {
		return nil
	}
	// Refused: say why.
	var (
		farm              string
		product           sql.NullString
		expires, redeemed sql.NullInt64
	)
	err = tx.QueryRowContext(ctx, `SELECT farm_id, product_id, expires_at, redeemed_at FROM purchase_codes WHERE code_hash = $1`,
		hash).Scan(&farm, &product, &expires, &redeemed)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return fpr.ErrPurchaseCode(fpr.MsgPurchaseCodeUnknown)
	case err != nil:
		return fmt.Errorf("redeem purchase code: %w", err)
	case redeemed.Valid:
		return fpr.ErrPurchaseCode(fpr.MsgPurchaseCodeUsed)
	case expires.Valid && expires.Int64 <= now:
		return fpr.ErrPurchaseCode(fpr.MsgPurchaseCodeExpired)
	default:
		return fpr.ErrPurchaseCode(fpr.MsgPurchaseCodeOtherProduct)
	}
}

// countRefusedPurchaseCode counts one refused code against the acting
// account and address (fpr.LimitPurchaseCode), in its own transaction:
// the review's, which the refusal rolled back, cannot hold it. Reaching
// the limit is not this request's error (it got its 422); the next
// attempt is refused before it starts (RateLimitReached).
func (db *DB) countRefusedPurchaseCode(ctx context.Context) error {
	err := db.RateLimit(ctx, fpr.LimitPurchaseCode)
	if fpr.ErrorCode(err) == fpr.CodeRateLimited {
		return nil
	}
	return err
}
