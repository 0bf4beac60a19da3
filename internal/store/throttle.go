package store

import (
	"context"
	"fmt"
	"time"
)

// The login throttle counts failures per key ("email:…", "addr:…") in a
// fixed window, in the login_failures table, so every instance sharing the
// database sees the same counts. Reaching the limit locks the key for one
// window from that failure.

// LoginLockedFor returns how long the most locked of keys stays locked, or
// 0 when none is.
func (db *DB) LoginLockedFor(ctx context.Context, keys ...string) (time.Duration, error) {
	now := micros(db.Now())
	var longest int64
	for _, k := range keys {
		var until int64
		err := db.read.QueryRowContext(ctx, `SELECT COALESCE(MAX(locked_until), 0) FROM login_failures WHERE key = $1`, k).Scan(&until)
		if err != nil {
			return 0, db.dialect.translate(fmt.Errorf("read login throttle: %w", err))
		}
		longest = max(longest, until-now)
	}
	if longest <= 0 {
		return 0, nil
	}
	return time.Duration(longest) * time.Microsecond, nil
}

// RecordLoginFailure counts one failed login against key. When the count
// within window reaches limit, the key is locked for window. It returns the
// count in the current window.
func (db *DB) RecordLoginFailure(ctx context.Context, key string, limit int, window time.Duration) (int, error) {
	var n int
	err := db.inTx(ctx, true, func(tx *Tx) error {
		now := micros(tx.now)
		// One atomic upsert, so concurrent failures on several instances
		// are all counted: a window that has passed starts over at 1. In
		// both dialects every expression in SET sees the old row.
		err := tx.QueryRowContext(ctx, `INSERT INTO login_failures (key, failures, window_start, locked_until)
			VALUES ($1, 1, $2, 0)
			ON CONFLICT (key) DO UPDATE SET
				failures = CASE WHEN login_failures.window_start <= $3 THEN 1 ELSE login_failures.failures + 1 END,
				window_start = CASE WHEN login_failures.window_start <= $3 THEN $2 ELSE login_failures.window_start END
			RETURNING failures`, key, now, now-window.Microseconds()).Scan(&n)
		if err != nil {
			return err
		}
		if n >= limit {
			_, err = tx.ExecContext(ctx, `UPDATE login_failures SET locked_until = $1 WHERE key = $2`,
				now+window.Microseconds(), key)
		}
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("record login failure: %w", err)
	}
	return n, nil
}

// ClearLoginFailures forgets the failures counted against key.
func (db *DB) ClearLoginFailures(ctx context.Context, key string) error {
	err := db.inTx(ctx, true, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM login_failures WHERE key = $1`, key)
		return err
	})
	if err != nil {
		return fmt.Errorf("clear login failures: %w", err)
	}
	return nil
}

// DeleteStaleLoginFailures removes counts whose window began before
// olderThan and that are not locked, and reports how many.
func (db *DB) DeleteStaleLoginFailures(ctx context.Context, olderThan time.Duration) (int64, error) {
	var n int64
	err := db.inTx(ctx, true, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM login_failures WHERE window_start < $1 AND locked_until <= $2`,
			micros(tx.now.Add(-olderThan)), micros(tx.now))
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("delete stale login failures: %w", err)
	}
	return n, nil
}
