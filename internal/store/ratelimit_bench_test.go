package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/fpr-team/fpr"
	"github.com/fpr-team/fpr/internal/storetest"
)

// BenchmarkSetHelpful measures a vote (a write transaction) without and
// with the rate limits that count it: the cost of counting a write in the
// database. Each iteration withdraws or gives one account's vote.
func BenchmarkSetHelpful(b *testing.B) {
	for _, limits := range []struct {
		name string
		ls   fpr.RateLimits
	}{
		{"NoLimits", nil},
		{"AccountAndAddress", fpr.RateLimits{
			{Kind: fpr.LimitVote, Subject: fpr.PerAccount, Count: 1 << 30, Window: time.Hour},
			{Kind: fpr.LimitVote, Subject: fpr.PerAddress, Count: 1 << 30, Window: time.Hour},
		}},
	} {
		b.Run(limits.name, func(b *testing.B) {
			db := storetest.OpenDB(b, storetest.DefaultBackend())
			db.RateLimits = limits.ls
			ctx := context.Background()
			producer := &fpr.User{Email: "p@x.test", DisplayName: "P", Role: fpr.RoleProducer}
			author := &fpr.User{Email: "a@x.test", DisplayName: "A"}
			voter := &fpr.User{Email: "v@x.test", DisplayName: "V"}
			for _, u := range []*fpr.User{producer, author, voter} {
				if err := db.CreateUser(ctx, u, "h"); err != nil {
					b.Fatal(err)
				}
			}
			farm := &fpr.Farm{Name: "Bench Farm", Region: "North"}
			if err := db.CreateFarm(fpr.NewContextWithUser(ctx, producer), farm); err != nil {
				b.Fatal(err)
			}
			p := &fpr.Product{FarmID: farm.ID, Name: "Honey", Category: "honey", Unit: "jar"}
			if err := db.CreateProduct(fpr.NewContextWithUser(ctx, producer), p); err != nil {
				b.Fatal(err)
			}
			r := &fpr.Review{ProductID: p.ID, Rating: 4, Body: "Good."}
			if err := db.CreateReview(fpr.NewContextWithUser(ctx, author), r); err != nil {
				b.Fatal(err)
			}
			vctx := fpr.NewContextWithClient(fpr.NewContextWithUser(ctx, voter), fpr.Client{Address: "192.0.2.1"})
			b.ResetTimer()
			for i := range b.N {
				if err := db.SetHelpful(vctx, r.ID, i%2 == 0); err != nil {
					b.Fatal(fmt.Errorf("vote %d: %w", i, err))
				}
			}
		})
	}
}
