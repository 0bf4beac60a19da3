package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/fpr-team/fpr"
)

// Rate limits (fpr.RateLimits): each counted write adds one to the
// rate_counts row of (kind, subject) for every limit of its kind, inside
// the write's own transaction. A refused or failed write rolls its counts
// back with it, so only acknowledged writes count, and a write past the
// limit is refused with rate_limited and the time until its window ends.
// Counting in the database means every instance shares the counts.

// RateLimit counts one write of kind by the acting user (ctx) and the
// client address (fpr.ClientAddrFromContext) in its own transaction, and
// returns rate_limited, with Retry-After, when that exceeds a limit of
// db.RateLimits. A subject the context does not name (no user, no
// address) is not counted. Use it for writes that have no transaction of
// their own here, such as a mail sent by a service outside the store
// (kind fpr.LimitMail); inside a store transaction call (*Tx).RateLimit.
func (db *DB) RateLimit(ctx context.Context, kind fpr.LimitKind) error {
	return db.inTx(ctx, true, func(tx *Tx) error { return tx.RateLimit(ctx, kind) })
}

// RateLimitFor is RateLimit for a subject the context does not carry: the
// account accountID (a password reset mail, before anyone is signed in)
// and the context's client address.
func (db *DB) RateLimitFor(ctx context.Context, kind fpr.LimitKind, accountID string) error {
	return db.inTx(ctx, true, func(tx *Tx) error { return tx.rateLimit(ctx, kind, accountID) })
}

// RateLimit counts one write of kind by the acting user and the client
// address within tx: see (*DB).RateLimit. Call it once per write, in the
// write's transaction, before the write.
func (tx *Tx) RateLimit(ctx context.Context, kind fpr.LimitKind) error {
	return tx.rateLimit(ctx, kind, fpr.UserIDFromContext(ctx))
}

// RateLimitReached returns rate_limited when one more write of kind by
// the acting user and client address would exceed a limit, counting
// nothing. Services call it before expensive work (a password hash) that
// the write's own RateLimit would refuse afterwards anyway.
func (db *DB) RateLimitReached(ctx context.Context, kind fpr.LimitKind) error {
	var worst time.Duration
	now := db.Now()
	for _, l := range db.RateLimits.For(kind) {
		subject := limitSubject(ctx, l, fpr.UserIDFromContext(ctx))
		if subject == "" {
			continue
		}
		var count, start int64
		err := db.read.QueryRowContext(ctx, `SELECT count, window_start FROM rate_counts WHERE kind = $1 AND subject = $2`,
			string(kind), subject).Scan(&count, &start)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return fmt.Errorf("rate limit %s: %w", kind, err)
		}
		end := fromMicros(start).Add(l.Window)
		if end.After(now) && l.Exceeded(int(count)+1) {
			worst = max(worst, end.Sub(now))
		}
	}
	if worst > 0 {
		return fpr.RateLimitError(kind, worst)
	}
	return nil
}

// limitSubject is the rate_counts subject of l for accountID and the
// context's client address, or "" when the context does not name one.
func limitSubject(ctx context.Context, l fpr.RateLimit, accountID string) string {
	switch l.Subject {
	case fpr.PerAccount:
		if accountID != "" {
			return "account:" + accountID
		}
	case fpr.PerAddress:
		if addr := fpr.ClientAddrFromContext(ctx); addr != "" {
			return "address:" + addr
		}
	}
	return ""
}

func (tx *Tx) rateLimit(ctx context.Context, kind fpr.LimitKind, accountID string) error {
	var worst time.Duration
	for _, l := range tx.db.RateLimits.For(kind) {
		subject := limitSubject(ctx, l, accountID)
		if subject == "" {
			continue
		}
		count, start, err := tx.countWrite(ctx, kind, subject, l.Window)
		if err != nil {
			return fmt.Errorf("rate limit %s: %w", kind, err)
		}
		if l.Exceeded(count) {
			worst = max(worst, start.Add(l.Window).Sub(tx.now))
		}
	}
	if worst > 0 {
		return fpr.RateLimitError(kind, worst)
	}
	return nil
}

// countWrite adds one to (kind, subject) and returns the count within the
// current window and when that window started. One atomic upsert, so
// concurrent writes on several instances are all counted: a window that
// has passed starts over at 1. In both dialects every expression in SET
// sees the old row.
func (tx *Tx) countWrite(ctx context.Context, kind fpr.LimitKind, subject string, window time.Duration) (int, time.Time, error) {
	now := micros(tx.now)
	var (
		n     int
		start int64
	)
	err := tx.QueryRowContext(ctx, `INSERT INTO rate_counts (kind, subject, window_start, count)
		VALUES ($1, $2, $3, 1)
		ON CONFLICT (kind, subject) DO UPDATE SET
			count = CASE WHEN rate_counts.window_start <= $4 THEN 1 ELSE rate_counts.count + 1 END,
			window_start = CASE WHEN rate_counts.window_start <= $4 THEN $3 ELSE rate_counts.window_start END
		RETURNING count, window_start`, string(kind), subject, now, now-window.Microseconds()).Scan(&n, &start)
	if err != nil {
		return 0, time.Time{}, err
	}
	return n, fromMicros(start), nil
}

// DeleteStaleRateCounts removes counts whose window began before
// olderThan (longer than the longest window), and reports how many.
func (db *DB) DeleteStaleRateCounts(ctx context.Context, olderThan time.Duration) (int64, error) {
	var n int64
	err := db.inTx(ctx, true, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM rate_counts WHERE window_start < $1`, micros(tx.now.Add(-olderThan)))
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("delete stale rate counts: %w", err)
	}
	return n, nil
}
