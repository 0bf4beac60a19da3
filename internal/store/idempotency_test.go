package store_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/fpr-team/fpr"
	"github.com/fpr-team/fpr/internal/store"
	"github.com/fpr-team/fpr/internal/storetest"
)

// testClock is a settable clock for db.Now.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

func (c *testClock) Advance(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.now = c.now.Add(d) }

// setClock makes db read time from a test clock, and returns it.
func setClock(db *store.DB) *testClock {
	c := &testClock{now: time.Date(2026, 5, 10, 12, 0, 0, 0, time.UTC)}
	db.Now = c.Now
	return c
}

func TestIdempotency(t *testing.T) {
	t.Parallel()
	storetest.ForEachBackend(t, func(t *testing.T, backend string) {
		db := storetest.OpenDB(t, backend)
		clk := setClock(db)
		ctx := context.Background()
		const scope = "POST /api/v1/auth/register anon"

		// First use claims the key.
		resp, err := db.BeginIdempotent(ctx, scope, "k1", "hash-a")
		if resp != nil || err != nil {
			t.Fatalf("first Begin = %v, %v; want the claim (nil, nil)", resp, err)
		}
		// A retry while it runs waits, then gives up with conflict.
		start := time.Now()
		if _, err := db.BeginIdempotent(ctx, scope, "k1", "hash-a"); fpr.ErrorCode(err) != fpr.CodeConflict {
			t.Errorf("Begin while in flight = %v, want conflict", err)
		}
		t.Logf("waited %v before conflict", time.Since(start))

		// A retry that starts waiting sees the completion.
		done := make(chan *fpr.IdempotentResponse)
		go func() {
			r, err := db.BeginIdempotent(ctx, scope, "k1", "hash-a")
			if err != nil {
				t.Error(err)
			}
			done <- r
		}()
		time.Sleep(100 * time.Millisecond)
		want := fpr.IdempotentResponse{Status: 201, Body: []byte(`{"user":{}}`)}
		if err := db.CompleteIdempotent(ctx, scope, "k1", want); err != nil {
			t.Fatal(err)
		}
		if got := <-done; got == nil || got.Status != 201 || string(got.Body) != string(want.Body) {
			t.Errorf("waiting retry got %+v, want %+v", got, want)
		}

		// Same key, other body: validation_failed. Another scope: independent.
		if _, err := db.BeginIdempotent(ctx, scope, "k1", "hash-b"); fpr.ErrorCode(err) != fpr.CodeValidationFailed {
			t.Errorf("Begin with another hash = %v, want validation_failed", err)
		}
		if r, err := db.BeginIdempotent(ctx, scope+" other", "k1", "hash-b"); r != nil || err != nil {
			t.Errorf("Begin in another scope = %v, %v; want a fresh claim", r, err)
		}

		// Abandon releases a claim, not a completed key.
		if r, err := db.BeginIdempotent(ctx, scope, "k2", "hash-a"); r != nil || err != nil {
			t.Fatal(r, err)
		}
		if err := db.AbandonIdempotent(ctx, scope, "k2"); err != nil {
			t.Fatal(err)
		}
		if r, err := db.BeginIdempotent(ctx, scope, "k2", "hash-c"); r != nil || err != nil {
			t.Errorf("Begin after Abandon = %v, %v; want a fresh claim", r, err)
		}
		if err := db.AbandonIdempotent(ctx, scope, "k1"); err != nil {
			t.Fatal(err)
		}
		if r, err := db.BeginIdempotent(ctx, scope, "k1", "hash-a"); err != nil || r == nil || r.Status != 201 {
			t.Errorf("Begin after abandoning a completed key = %v, %v; want the stored response", r, err)
		}

		// A claim whose process died is taken over after a minute.
		clk.Advance(2 * time.Minute)
		if r, err := db.BeginIdempotent(ctx, scope, "k2", "hash-d"); r != nil || err != nil {
			t.Errorf("Begin over a stale claim = %v, %v; want a fresh claim", r, err)
		}

		// After 24 hours a key is forgotten: it may be used again.
		clk.Advance(24*time.Hour + time.Minute)
		if r, err := db.BeginIdempotent(ctx, scope, "k1", "hash-z"); r != nil || err != nil {
			t.Errorf("Begin of a day-old key = %v, %v; want a fresh claim", r, err)
		}
		n, err := db.DeleteExpiredIdempotencyKeys(ctx)
		if err != nil || n != 2 { // (scope+" other", k1) and (scope, k2)
			t.Errorf("DeleteExpiredIdempotencyKeys = %d, %v; want 2, nil", n, err)
		}
	})
}

// TestIdempotency_ConcurrentClaims: of many simultaneous first requests,
// exactly one holds the claim.
func TestIdempotency_ConcurrentClaims(t *testing.T) {
	t.Parallel()
	storetest.ForEachBackend(t, func(t *testing.T, backend string) {
		db := storetest.OpenDB(t, backend)
		ctx := context.Background()
		var mu sync.Mutex
		claims, conflicts := 0, 0
		var wg sync.WaitGroup
		for range 10 {
			wg.Go(func() {
				r, err := db.BeginIdempotent(ctx, "s", "k", "h")
				mu.Lock()
				defer mu.Unlock()
				switch {
				case r == nil && err == nil:
					claims++
				case fpr.ErrorCode(err) == fpr.CodeConflict:
					conflicts++
				default:
					t.Errorf("Begin = %v, %v", r, err)
				}
			})
		}
		wg.Wait()
		if claims != 1 || conflicts != 9 {
			t.Errorf("claims = %d, conflicts = %d; want 1 and 9", claims, conflicts)
		}
	})
}
