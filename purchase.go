package fpr

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"
)

// Purchase codes prove a sale that never went through a web shop (a market
// stall, a CSA box): a producer prints single-use codes, a buyer redeems
// one with their review, which then shows "Verified purchase".

// Limits on a batch of purchase codes.
const (
	MaxPurchaseCodes = 500
	// MaxPurchaseCodeAge is how far ahead a batch may expire.
	MaxPurchaseCodeAge = 2 * 365 * 24 * time.Hour
	// PurchaseCodeLength is the number of symbols of a code: 16 symbols
	// of PurchaseCodeAlphabet (5 bits each) are 80 random bits.
	PurchaseCodeLength = 16
	// PurchaseCodeAlphabet is Crockford's base 32: no I, L, O or U, so a
	// printed code reads one way. NormalizePurchaseCode folds the look-alikes.
	PurchaseCodeAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
)

// PurchaseCodeBatch is a producer's request for codes.
type PurchaseCodeBatch struct {
	FarmID    string
	ProductID string // "" for any product of the farm
	Count     int
	ExpiresAt *time.Time
}

// Validate checks a batch requested at now: 1–MaxPurchaseCodes codes, an
// expiry (if any) in the future and at most MaxPurchaseCodeAge ahead.
func (b *PurchaseCodeBatch) Validate(now time.Time) error {
	fe := FieldErrors{}
	if b.Count < 1 || b.Count > MaxPurchaseCodes {
		fe.Add("count", "Ask for 1 to 500 codes.")
	}
	if b.ExpiresAt != nil && (!b.ExpiresAt.After(now) || b.ExpiresAt.Sub(now) > MaxPurchaseCodeAge) {
		fe.Add("expires_at", "Choose a time in the future, at most two years ahead.")
	}
	return fe.Err()
}

// NormalizePurchaseCode returns code as stored: upper case, without
// spaces and dashes, with O read as 0 and I and L as 1.
func NormalizePurchaseCode(code string) string {
	var b strings.Builder
	for _, r := range strings.ToUpper(code) {
		switch r {
		case ' ', '-', '\t':
			continue
		case 'O':
			r = '0'
		case 'I', 'L':
			r = '1'
		}
		b.WriteRune(r)
	}
	return b.String()
}

// FormatPurchaseCode groups a normalized code in fours for printing:
// "ABCD-EFGH-JKMN-PQRS".
func FormatPurchaseCode(code string) string {
	var parts []string
	for len(code) > 4 {
		parts = append(parts, code[:4])
		code = code[4:]
	}
	return strings.Join(append(parts, code), "-")
}

// PurchaseCodeHash is how a code is stored: the SHA-256 of its normalized
// form, in hex. A database leak gives no usable codes.
func PurchaseCodeHash(code string) string {
	sum := sha256.Sum256([]byte(NormalizePurchaseCode(code)))
	return hex.EncodeToString(sum[:])
}

// Why a purchase code was refused: each a validation_failed on the
// purchase_code field.
const (
	MsgPurchaseCodeUnknown      = "This code does not exist. Check it against your receipt."
	MsgPurchaseCodeUsed         = "This code has already been used."
	MsgPurchaseCodeExpired      = "This code has expired."
	MsgPurchaseCodeOtherProduct = "This code is for another product."
)

// ErrPurchaseCode returns the validation error of a refused code.
func ErrPurchaseCode(msg string) error {
	return &Error{Code: CodeValidationFailed, Message: msg, Fields: map[string]string{"purchase_code": msg}}
}

// PurchaseCodeService issues purchase codes.
type PurchaseCodeService interface {
	// CreatePurchaseCodes makes b.Count new codes of farm b.FarmID
	// (optionally for one of its products) and returns them in clear, the
	// only time they are: the store keeps their hashes. The farm's
	// producer or an admin (CanManageFarm). unauthenticated,
	// validation_failed, not_found (farm, product of another farm),
	// forbidden.
	CreatePurchaseCodes(ctx context.Context, b *PurchaseCodeBatch) ([]string, error)
}
