package store

import (
	"context"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/fpr-team/fpr"
)

// BenchmarkCreateReview_Concurrent submits reviews from 32 goroutines on
// SQLite (synchronous=FULL), with group commit and with one commit per
// review, so the two can be compared on the same machine:
//
//	go test -run '^$' -bench CreateReview_Concurrent ./internal/store
func BenchmarkCreateReview_Concurrent(b *testing.B) {
	for _, tc := range []struct {
		name string
		opt  Options
	}{{"group", Options{}}, {"one_commit_each", Options{NoGroupCommit: true}}} {
		b.Run(tc.name, func(b *testing.B) {
			ctx := context.Background()
			db, err := Open(ctx, "sqlite:"+filepath.Join(b.TempDir(), "fpr.db"), tc.opt)
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { _ = db.Close() })
			if _, err := db.Migrate(ctx); err != nil {
				b.Fatal(err)
			}
			products := mustRawProduct(b, db, 64)
			users := make([]*fpr.User, 512)
			for i := range users {
				users[i] = &fpr.User{Email: fmt.Sprintf("b%d@example.test", i), DisplayName: "Bench", Role: fpr.RoleMember}
				if err := db.CreateUser(ctx, users[i], "x"); err != nil {
					b.Fatal(err)
				}
			}
			var next atomic.Int64
			b.SetParallelism(16) // 32 goroutines on 2 CPUs
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					n := int(next.Add(1))
					u, p := users[n%len(users)], products[(n/len(users))%len(products)]
					err := db.CreateReview(actAs(u), &fpr.Review{ProductID: p, Rating: 1 + n%5, Body: "Benchmark review."})
					if err != nil && fpr.ErrorCode(err) != fpr.CodeConflict {
						b.Error(err)
						return
					}
				}
			})
			b.StopTimer()
			s := db.GroupCommitStats()
			if s.Batches > 0 {
				b.ReportMetric(float64(s.Committed)/float64(s.Batches), "ops/commit")
			}
		})
	}
}
