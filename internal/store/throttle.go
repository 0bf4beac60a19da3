package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/fpr-team/fpr"
)

// The login throttle counts failures per key in the login_failures table,
// so every instance sharing the database sees the same counts. Keys are
// "pair:EMAIL|ADDR" (one account from one client address, with the
// account's e-mail key in the account column) and "addr:ADDR" (one
// address); internal/auth chooses them. Failures are remembered for a
// streak window from the first; from a limit on, each failure locks the
// key for fpr.LoginDelay, a delay that grows with every further failure.

// LoginThrottleKey is one key a failed login counts against: Key, the
// e-mail key of the account it belongs to ("" for an address key), and
// the failures that start its delays.
type LoginThrottleKey struct {
	Key     string
	Account string
	Limit   int
}

// LoginLockedFor returns how long the most locked of keys stays locked, or
// 0 when none is.
func (db *DB) LoginLockedFor(ctx context.Context, keys ...string) (time.Duration, error) {
	now := micros(db.Now())
	var longest int64
	for _, k := range keys {
		var until int64
		err := db.readRow(ctx, `SELECT COALESCE(MAX(locked_until), 0) FROM login_failures WHERE key = $1`, k).Scan(&until)
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

// RecordFailedLogin counts one failed login against each of keys within
// streak and, in the same transaction, records login.failed in the audit
// log with target the account userID ("" when the e-mail is unknown). It
// returns the failure count of each key, in order.
func (db *DB) RecordFailedLogin(ctx context.Context, userID string, keys []LoginThrottleKey, streak time.Duration) ([]int, error) {
	counts := make([]int, len(keys))
	err := db.inTx(ctx, true, func(tx *Tx) error {
		details := map[string]string{}
		for i, k := range keys {
			n, err := tx.recordLoginFailure(ctx, k, streak)
			if err != nil {
				return err
			}
			counts[i] = n
			if k.Account != "" {
				details["failures"] = strconv.Itoa(n)
			}
		}
		target := ""
		if userID != "" {
			target = fpr.AuditTarget("user", userID)
		}
		return tx.AuditAs(ctx, "", fpr.AuditLoginFailed, target, details)
	})
	if err != nil {
		return nil, fmt.Errorf("record failed login: %w", err)
	}
	return counts, nil
}

// RecordLoginFailure counts one failed login against k alone (no audit
// entry: a wrong current password on a signed-in form, which the form
// reports) and returns its count within streak.
func (db *DB) RecordLoginFailure(ctx context.Context, k LoginThrottleKey, streak time.Duration) (int, error) {
	var n int
	err := db.inTx(ctx, true, func(tx *Tx) error {
		var err error
		n, err = tx.recordLoginFailure(ctx, k, streak)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("record login failure: %w", err)
	}
	return n, nil
}

// recordLoginFailure counts one failure against k: one atomic upsert, so
// concurrent failures on several instances are all counted; a streak that
// has passed starts over at 1. In both dialects every expression in SET
// sees the old row. From k.Limit failures on, the key is locked for
// fpr.LoginDelay from now.
func (tx *Tx) recordLoginFailure(ctx context.Context, k LoginThrottleKey, streak time.Duration) (int, error) {
	now := micros(tx.now)
	var n int
	err := tx.QueryRowContext(ctx, `INSERT INTO login_failures (key, failures, window_start, locked_until, account)
		VALUES ($1, 1, $2, 0, $4)
		ON CONFLICT (key) DO UPDATE SET
			failures = CASE WHEN login_failures.window_start <= $3 THEN 1 ELSE login_failures.failures + 1 END,
			window_start = CASE WHEN login_failures.window_start <= $3 THEN $2 ELSE login_failures.window_start END
		RETURNING failures`, k.Key, now, now-streak.Microseconds(), k.Account).Scan(&n)
	if err != nil {
		return 0, err
	}
	if d := fpr.LoginDelay(n, k.Limit); d > 0 {
		_, err = tx.ExecContext(ctx, `UPDATE login_failures SET locked_until = $1 WHERE key = $2`,
			now+d.Microseconds(), k.Key)
	}
	return n, err
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

// UnlockLogin forgets every failure counted against the account with
// e-mail email from any address (`fpr user unlock`), records login.unlock
// in the audit log when such an account exists, and reports how many keys
// it cleared. Address keys, which belong to no account, stay.
func (db *DB) UnlockLogin(ctx context.Context, email string) (int64, error) {
	key := fpr.NormalizeEmail(email)
	var n int64
	err := db.inTx(ctx, true, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM login_failures WHERE account = $1 OR key = $2`, key, "email:"+key)
		if err != nil {
			return err
		}
		if n, err = res.RowsAffected(); err != nil {
			return err
		}
		var id string
		switch err := tx.QueryRowContext(ctx, `SELECT id FROM users WHERE email_key = $1`, key).Scan(&id); {
		case err == nil:
			return tx.Audit(ctx, fpr.AuditLoginUnlock, fpr.AuditTarget("user", id), map[string]string{"keys": strconv.FormatInt(n, 10)})
		case errors.Is(err, sql.ErrNoRows):
			return nil
		default:
			return err
		}
	})
	if err != nil {
		return 0, fmt.Errorf("unlock login: %w", err)
	}
	return n, nil
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
