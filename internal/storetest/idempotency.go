package storetest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/fpr-team/fpr"
)

var idempotencyTests = map[string]func(t *testing.T, s *suite){
	"ClaimCompleteReplay": func(t *testing.T, s *suite) {
		db := s.db(t, nil)
		ctx := context.Background()
		resp, err := db.BeginIdempotent(ctx, "register:anon", "k1", "hash-a")
		mustOK(t, "BeginIdempotent", err)
		if resp != nil {
			t.Fatalf("first BeginIdempotent = %+v, want a claim (nil)", resp)
		}
		mustOK(t, "CompleteIdempotent", db.CompleteIdempotent(ctx, "register:anon", "k1",
			fpr.IdempotentResponse{Status: 201, Body: []byte(`{"user":{"id":"x"}}`)}))
		resp, err = db.BeginIdempotent(ctx, "register:anon", "k1", "hash-a")
		mustOK(t, "BeginIdempotent(retry)", err)
		if resp == nil || resp.Status != 201 || string(resp.Body) != `{"user":{"id":"x"}}` {
			t.Fatalf("retry BeginIdempotent = %+v, want the stored 201 response", resp)
		}
		_, err = db.BeginIdempotent(ctx, "register:anon", "k1", "hash-b")
		wantCode(t, "BeginIdempotent(same key, other body)", err, fpr.CodeValidationFailed)
		// The same key in another scope is another request.
		resp, err = db.BeginIdempotent(ctx, "review:u2", "k1", "hash-b")
		if err != nil || resp != nil {
			t.Fatalf("BeginIdempotent(other scope) = %+v, %v; want a claim", resp, err)
		}
	},
	"AbandonLetsRetryRun": func(t *testing.T, s *suite) {
		db := s.db(t, nil)
		ctx := context.Background()
		if resp, err := db.BeginIdempotent(ctx, "s", "k", "h"); err != nil || resp != nil {
			t.Fatalf("BeginIdempotent = %+v, %v; want a claim", resp, err)
		}
		mustOK(t, "AbandonIdempotent", db.AbandonIdempotent(ctx, "s", "k"))
		if resp, err := db.BeginIdempotent(ctx, "s", "k", "h"); err != nil || resp != nil {
			t.Fatalf("BeginIdempotent after abandon = %+v, %v; want a new claim", resp, err)
		}
		// Abandoning a completed key changes nothing.
		mustOK(t, "CompleteIdempotent", db.CompleteIdempotent(ctx, "s", "k", fpr.IdempotentResponse{Status: 201, Body: []byte("{}")}))
		mustOK(t, "AbandonIdempotent(completed)", db.AbandonIdempotent(ctx, "s", "k"))
		if resp, err := db.BeginIdempotent(ctx, "s", "k", "h"); err != nil || resp == nil || resp.Status != 201 {
			t.Fatalf("BeginIdempotent after abandoning a completed key = %+v, %v; want the stored response", resp, err)
		}
	},
	"InFlightConflictThenExpiry": func(t *testing.T, s *suite) {
		clk := NewClock(start)
		db := s.db(t, clk)
		ctx := context.Background()
		if resp, err := db.BeginIdempotent(ctx, "s", "k", "h"); err != nil || resp != nil {
			t.Fatalf("BeginIdempotent = %+v, %v; want a claim", resp, err)
		}
		_, err := db.BeginIdempotent(ctx, "s", "k", "h")
		wantCode(t, "BeginIdempotent while the first runs", err, fpr.CodeConflict)
		// A claim whose process died is taken over after a minute.
		clk.Advance(2 * time.Minute)
		if resp, err := db.BeginIdempotent(ctx, "s", "k", "h"); err != nil || resp != nil {
			t.Fatalf("BeginIdempotent over a stale claim = %+v, %v; want a new claim", resp, err)
		}
		mustOK(t, "CompleteIdempotent", db.CompleteIdempotent(ctx, "s", "k", fpr.IdempotentResponse{Status: 201, Body: []byte("{}")}))
		// After the key's lifetime it may be used for a new request.
		clk.Advance(25 * time.Hour)
		if resp, err := db.BeginIdempotent(ctx, "s", "k", "other"); err != nil || resp != nil {
			t.Fatalf("BeginIdempotent over an expired key = %+v, %v; want a new claim", resp, err)
		}
		mustOK(t, "BeginIdempotent(k2)", func() error { _, err := db.BeginIdempotent(ctx, "s", "k2", "h"); return err }())
		clk.Advance(25 * time.Hour)
		n, err := db.DeleteExpiredIdempotencyKeys(ctx)
		mustOK(t, "DeleteExpiredIdempotencyKeys", err)
		if n != 2 {
			t.Errorf("DeleteExpiredIdempotencyKeys = %d, want 2", n)
		}
	},
	"ConcurrentRetriesOneClaim": func(t *testing.T, s *suite) {
		db := s.db(t, nil)
		const n = 10
		type result struct {
			resp *fpr.IdempotentResponse
			err  error
		}
		results := make([]result, n)
		claimed := make(chan int, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				resp, err := db.BeginIdempotent(context.Background(), "s", "k", "h")
				results[i] = result{resp, err}
				if err == nil && resp == nil {
					claimed <- i
					// The claimant finishes while the others wait.
					time.Sleep(100 * time.Millisecond)
					if err := db.CompleteIdempotent(context.Background(), "s", "k",
						fpr.IdempotentResponse{Status: 201, Body: []byte(`{"n":1}`)}); err != nil {
						t.Error(err)
					}
				}
			})
		}
		wg.Wait()
		close(claimed)
		if len(claimed) != 1 {
			t.Fatalf("%d of %d concurrent BeginIdempotent calls claimed the key, want 1", len(claimed), n)
		}
		winner := <-claimed
		for i, r := range results {
			if i == winner {
				continue
			}
			if r.err != nil || r.resp == nil || r.resp.Status != 201 {
				t.Errorf("BeginIdempotent #%d = %+v, %v; want the claimant's 201 after waiting", i, r.resp, r.err)
			}
		}
	},
}
