package store

import (
	"cmp"
	"context"
	"fmt"
	"time"

	"github.com/fpr-team/fpr"
)

// Idempotency keys: the first request with a (scope, key) claims it by
// inserting a row with status 0; the primary key on (scope, key) makes the
// claim atomic across instances. Its response is stored on completion and
// replayed to retries.
const (
	// IdempotencyKeyTTL is how long a key is remembered; an older one is
	// ignored (and removed), so the key may be used again.
	IdempotencyKeyTTL = 24 * time.Hour
	// idempotencyClaimTTL is how long a claim may stay in flight before it
	// is taken for abandoned (its process died): longer than the HTTP
	// server's write timeout.
	idempotencyClaimTTL = time.Minute
	// idempotencyWait is how long a retry waits for an in-flight first
	// request to finish before answering conflict.
	idempotencyWait = 2 * time.Second
	// idempotencyPoll is the pause between looks while waiting.
	idempotencyPoll = 50 * time.Millisecond
)

// BeginIdempotent implements fpr.IdempotencyService.
func (db *DB) BeginIdempotent(ctx context.Context, scope, key, requestHash string) (*fpr.IdempotentResponse, error) {
	deadline := time.Now().Add(idempotencyWait)
	for {
		resp, inFlight, err := db.claimIdempotent(ctx, scope, key, requestHash)
		if err != nil || !inFlight {
			return resp, err
		}
		if time.Now().After(deadline) {
			return nil, fpr.Errorf(fpr.CodeConflict,
				"A request with this Idempotency-Key is still being processed. Retry in a moment.")
		}
		t := time.NewTimer(idempotencyPoll)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("wait for idempotent request: %w", ctx.Err())
		case <-t.C:
		}
	}
}

// claimIdempotent makes one attempt: it claims the key (nil, false, nil),
// finds the stored response (resp, false, nil), finds the first request
// still running (nil, true, nil), or fails.
func (db *DB) claimIdempotent(ctx context.Context, scope, key, requestHash string) (resp *fpr.IdempotentResponse, inFlight bool, err error) {
	err = db.inTx(ctx, true, func(tx *Tx) error {
		now := micros(tx.now)
		// Forget an expired key, or a claim whose request died.
		if _, err := tx.ExecContext(ctx, `DELETE FROM idempotency_keys WHERE scope = $1 AND key = $2
			AND (created_at < $3 OR (status = 0 AND created_at < $4))`,
			scope, key, now-IdempotencyKeyTTL.Microseconds(), now-idempotencyClaimTTL.Microseconds()); err != nil {
			return err
		}
		// A new key must fit under the scope's cap, so no client (an
		// anonymous one is scoped by its address) can fill the table.
		var held int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM idempotency_keys WHERE scope = $1 AND key <> $2 AND created_at >= $3`,
			scope, key, now-IdempotencyKeyTTL.Microseconds()).Scan(&held); err != nil {
			return err
		}
		if limit := cmp.Or(db.MaxIdempotencyKeys, fpr.MaxIdempotencyKeys); held >= limit {
			exists := false
			if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM idempotency_keys WHERE scope = $1 AND key = $2)`,
				scope, key).Scan(&exists); err != nil {
				return err
			}
			if !exists {
				return &fpr.Error{Code: fpr.CodeRateLimited, RetryAfterSeconds: int(IdempotencyKeyTTL.Seconds()),
					Message: "Too many distinct Idempotency-Key values from this client today. Retry without the header, or reuse a key."}
			}
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO idempotency_keys (scope, key, request_hash, status, body, created_at)
			VALUES ($1, $2, $3, 0, '', $4) ON CONFLICT (scope, key) DO NOTHING`, scope, key, requestHash, now)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 1 {
			return nil // claimed
		}
		var (
			hash   string
			status int
			body   string
		)
		if err := tx.QueryRowContext(ctx, `SELECT request_hash, status, body FROM idempotency_keys WHERE scope = $1 AND key = $2`,
			scope, key).Scan(&hash, &status, &body); err != nil {
			return err
		}
		switch {
		case hash != requestHash:
			return &fpr.Error{Code: fpr.CodeValidationFailed,
				Message: "This Idempotency-Key was already used for a different request. Use a new key for a new request.",
				Fields:  map[string]string{"idempotency_key": "Already used with another request body."}}
		case status == 0:
			inFlight = true
		default:
			resp = &fpr.IdempotentResponse{Status: status, Body: []byte(body)}
		}
		return nil
	})
	if err != nil {
		return nil, false, fmt.Errorf("begin idempotent request: %w", err)
	}
	return resp, inFlight, nil
}

// CompleteIdempotent implements fpr.IdempotencyService.
func (db *DB) CompleteIdempotent(ctx context.Context, scope, key string, resp fpr.IdempotentResponse) error {
	err := db.inTx(ctx, true, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE idempotency_keys SET status = $1, body = $2 WHERE scope = $3 AND key = $4`,
			resp.Status, string(resp.Body), scope, key)
		return err
	})
	if err != nil {
		return fmt.Errorf("complete idempotent request: %w", err)
	}
	return nil
}

// AbandonIdempotent implements fpr.IdempotencyService.
func (db *DB) AbandonIdempotent(ctx context.Context, scope, key string) error {
	err := db.inTx(ctx, true, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM idempotency_keys WHERE scope = $1 AND key = $2 AND status = 0`, scope, key)
		return err
	})
	if err != nil {
		return fmt.Errorf("abandon idempotent request: %w", err)
	}
	return nil
}

// DeleteExpiredIdempotencyKeys removes keys older than IdempotencyKeyTTL
// and reports how many. BeginIdempotent already ignores them.
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
