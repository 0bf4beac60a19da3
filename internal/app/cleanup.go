package app

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/fpr-team/fpr"
	"github.com/fpr-team/fpr/internal/store"
)

// startCleanup removes expired sessions, stale login failure counts, rate
// limit counts past their window and expired idempotency keys now and every interval, until the returned stop
// function is called (which waits for a pass in progress). Nothing depends
// on it for correctness, since expired rows are ignored where they are
// read; it keeps the tables small. Several instances may run it at once:
// each pass is a few idempotent DELETEs.
func startCleanup(ctx context.Context, db *store.DB, log *slog.Logger, interval time.Duration) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			cleanupOnce(ctx, db, log)
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	})
	return func() { cancel(); wg.Wait() }
}

// cleanupOnce runs one pass; failures are logged, and the next pass tries
// again.
func cleanupOnce(ctx context.Context, db *store.DB, log *slog.Logger) {
	sessions, err := db.DeleteExpiredSessions(ctx)
	if err != nil && ctx.Err() == nil {
		log.WarnContext(ctx, "cleanup: expired sessions", "err", err)
	}
	failures, err := db.DeleteStaleLoginFailures(ctx, fpr.LoginStreakWindow)
	if err != nil && ctx.Err() == nil {
		log.WarnContext(ctx, "cleanup: stale login failures", "err", err)
	}
	counts, err := db.DeleteStaleRateCounts(ctx, db.RateLimits.LongestWindow())
	if err != nil && ctx.Err() == nil {
		log.WarnContext(ctx, "cleanup: stale rate counts", "err", err)
	}
	keys, err := db.DeleteExpiredIdempotencyKeys(ctx)
	if err != nil && ctx.Err() == nil {
		log.WarnContext(ctx, "cleanup: expired idempotency keys", "err", err)
	}
	if sessions+failures+keys+counts > 0 {
		log.InfoContext(ctx, "cleanup", "sessions", sessions, "login_failures", failures, "idempotency_keys", keys, "rate_counts", counts)
	}
}
