package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/fpr-team/fpr"
)

// Idempotency keys: a keyed write (a review, a registration) claims its
// key, makes its change and stores its response in ONE transaction
// (inIdempotentTx), so a crash at any moment leaves either all three or
// none: a retry finds the first response, or runs as if first. The primary
// key on (scope, key) makes the claim atomic across instances: a
// concurrent twin waits for the first transaction's row lock (SQLite: the
// write lock) and then finds its key taken.
const (
	// IdempotencyKeyTTL is how long a key is remembered; an older one is
	// ignored (and removed), so the key may be used again.
	IdempotencyKeyTTL = 24 * time.Hour
)

// FindIdempotent implements fpr.IdempotencyService.
func (db *DB) FindIdempotent(ctx context.Context, scope, key, requestHash string) (*fpr.IdempotentResponse, error) {
	var resp *fpr.IdempotentResponse
	err := db.inTx(ctx, false, func(tx *Tx) error {
		var err error
		resp, err = tx.storedResponse(ctx, scope, key, requestHash)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("find idempotent response: %w", err)
	}
	return resp, nil
}

// storedResponse reads the stored response of (scope, key): nil when there
// is none (or it expired), validation_failed when the key was used with
// another request.
func (tx *Tx) storedResponse(ctx context.Context, scope, key, requestHash string) (*fpr.IdempotentResponse, error) {
	var (
		hash    string
		status  int
		body    string
		created int64
	)
	err := tx.QueryRowContext(ctx, `SELECT request_hash, status, body, created_at FROM idempotency_keys WHERE scope = $1 AND key = $2`,
		scope, key).Scan(&hash, &status, &body, &created)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, nil
	case err != nil:
		return nil, err
	case created < micros(tx.now.Add(-IdempotencyKeyTTL)) || status == 0:
		// Expired; or a claim left by an earlier release, whose claim
		// and response were separate transactions: it holds no response.
		return nil, nil
	case hash != requestHash:
		return nil, errKeyReused()
	}
	return &fpr.IdempotentResponse{Status: status, Body: []byte(body)}, nil
}

// errTooManyKeys is the answer to a new key past the scope's cap.
func errTooManyKeys() error {
	return &fpr.Error{Code: fpr.CodeRateLimited, RetryAfterSeconds: int(IdempotencyKeyTTL.Seconds()),
		Message: "Too many distinct Idempotency-Key values from this client today. Retry without the header, or reuse a key."}
}

func errKeyReused() error {
	return &fpr.Error{Code: fpr.CodeValidationFailed,
		Message: "This Idempotency-Key was already used for a different request. Use a new key for a new request.",
		Fields:  map[string]string{"idempotency_key": "Already used with another request body."}}
}

// claimKey inserts (scope, key) in tx with an empty response, replacing an
// expired or response-less row; it returns fpr.ErrIdempotencyKeyTaken
// when another request's response is stored under it.
func (tx *Tx) claimKey(ctx context.Context, w *fpr.IdempotentWrite) error {
	now := micros(tx.now)
	if _, err := tx.ExecContext(ctx, `DELETE FROM idempotency_keys WHERE scope = $1 AND key = $2 AND (created_at < $3 OR status = 0)`,
		w.Scope, w.Key, now-IdempotencyKeyTTL.Microseconds()); err != nil {
		return err
	}
	// A new key must fit under the scope's cap, so no client (an
	// anonymous one is scoped by its address) can fill the table. A key
	// the scope holds is not new: its twin finds it taken below.
	var held int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM idempotency_keys WHERE scope = $1 AND key <> $2 AND created_at >= $3`,
		w.Scope, w.Key, now-IdempotencyKeyTTL.Microseconds()).Scan(&held); err != nil {
		return err
	}
	if held >= cmp.Or(tx.db.MaxIdempotencyKeys, fpr.MaxIdempotencyKeys) {
		var exists bool
		if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM idempotency_keys WHERE scope = $1 AND key = $2)`,
			w.Scope, w.Key).Scan(&exists); err != nil {
			return err
		}
		if !exists {
			return errTooManyKeys()
		}
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO idempotency_keys (scope, key, request_hash, status, body, created_at)
		VALUES ($1, $2, $3, 0, '', $4) ON CONFLICT (scope, key) DO NOTHING`, w.Scope, w.Key, w.RequestHash, now)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return fpr.ErrIdempotencyKeyTaken
	}
	return nil
}

// inIdempotentTx runs fn, a keyed write, in a writing transaction. When
// ctx carries an fpr.IdempotentWrite, the same transaction first claims
// its key and, after fn, stores the response rendered from written: the
// three commit together. The test fault hook (DB.Fault) may kill the
// process between the steps.
func (db *DB) inIdempotentTx(ctx context.Context, written any, fn func(tx *Tx) error) error {
	w := fpr.IdempotentWriteFromContext(ctx)
	if w == nil {
		return db.inTx(ctx, true, fn)
	}
	err := db.inTx(ctx, true, func(tx *Tx) error {
		if err := tx.claimKey(ctx, w); err != nil {
			return err
		}
		db.fault(FaultAfterClaim)
		if err := fn(tx); err != nil {
			return err
		}
		db.fault(FaultAfterWrite)
		resp, err := w.Respond(written)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE idempotency_keys SET status = $1, body = $2 WHERE scope = $3 AND key = $4`,
			resp.Status, string(resp.Body), w.Scope, w.Key); err != nil {
			return err
		}
		db.fault(FaultAfterResponse)
		return nil
	})
	if err == nil {
		db.fault(FaultAfterCommit)
	}
	return err
}

// SaveIdempotent implements fpr.IdempotencyService.
func (db *DB) SaveIdempotent(ctx context.Context, scope, key, requestHash string, resp fpr.IdempotentResponse) (*fpr.IdempotentResponse, error) {
	var stored *fpr.IdempotentResponse
	err := db.inTx(ctx, true, func(tx *Tx) error {
		if err := tx.claimKey(ctx, &fpr.IdempotentWrite{Scope: scope, Key: key, RequestHash: requestHash}); err != nil {
			if errors.Is(err, fpr.ErrIdempotencyKeyTaken) {
				stored, err = tx.storedResponse(ctx, scope, key, requestHash)
			}
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE idempotency_keys SET status = $1, body = $2 WHERE scope = $3 AND key = $4`,
			resp.Status, string(resp.Body), scope, key)
		stored = &resp
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("save idempotent response: %w", err)
	}
	return stored, nil
}

// DeleteExpiredIdempotencyKeys removes keys older than IdempotencyKeyTTL
// and reports how many. FindIdempotent already ignores them.
func (db *DB) DeleteExpiredIdempotencyKeys(ctx context.Context) (int64, error) {
	var n int64
	err := db.inTx(ctx, true, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM idempotency_keys WHERE created_at < $1`,
			micros(tx.now.Add(-IdempotencyKeyTTL)))
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("delete expired idempotency keys: %w", err)
	}
	return n, nil
}
