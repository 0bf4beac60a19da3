package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/fpr-team/fpr"
	"github.com/fpr-team/fpr/internal/store"
	"github.com/fpr-team/fpr/internal/storetest"
)

// benchSeed is the data set of the catalogue benchmarks: 10,000 products
// and 1,000,000 reviews.
var benchSeed = seedOptions{Farms: 200, Products: 10000, Users: 20000, Reviews: 1000000, Seed: 1}

var (
	benchOnce sync.Once
	benchPath string
	benchErr  error
)

// benchDB opens the seeded benchmark database, building it on first use
// into a file in the temporary folder that later runs reuse (delete it to
// rebuild; its name carries the sizes).
func benchDB(b *testing.B) *store.DB {
	b.Helper()
	benchOnce.Do(func() {
		o := benchSeed
		benchPath = filepath.Join(os.TempDir(), fmt.Sprintf("fpr-bench-v1-%d-%d-%d-%d-%d.db", o.Farms, o.Products, o.Users, o.Reviews, o.Seed))
		if _, err := os.Stat(benchPath); err == nil {
			return
		}
		tmp := benchPath + ".building"
		for _, suffix := range []string{"", "-wal", "-shm"} {
			_ = os.Remove(tmp + suffix)
		}
		db := storetest.OpenURL(b, "sqlite:"+tmp)
		_, benchErr = seed(context.Background(), db, o)
		// Closed now, before the rename; the test's cleanup closes it again,
		// which does nothing.
		if err := db.Close(); err != nil && benchErr == nil {
			benchErr = err
		}
		if benchErr == nil {
			benchErr = os.Rename(tmp, benchPath)
		}
	})
	if benchErr != nil {
		b.Fatalf("build benchmark database: %v", benchErr)
	}
	return storetest.OpenURL(b, "sqlite:"+benchPath)
}

// benchProducts returns n products of the benchmark database.
func benchProducts(b *testing.B, db *store.DB, n int) []*fpr.Product {
	b.Helper()
	ps, _, err := db.FindProducts(context.Background(), fpr.ProductFilter{Page: fpr.Page{Limit: n}})
	if err != nil {
		b.Fatal(err)
	}
	return ps
}

func BenchmarkFindProductByID(b *testing.B) {
	db := benchDB(b)
	ps := benchProducts(b, db, 100)
	ctx := context.Background()
	i := 0
	for b.Loop() {
		if _, err := db.FindProductByID(ctx, ps[i%len(ps)].ID); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

func BenchmarkFindProducts_Search(b *testing.B) {
	db := benchDB(b)
	ctx := context.Background()
	for _, q := range []string{"apples", "organic tom", "willow brook farm honey"} {
		b.Run(q, func(b *testing.B) {
			for b.Loop() {
				if _, _, err := db.FindProducts(ctx, fpr.ProductFilter{Query: &q}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkFindProducts_TopRated compares page 1 with page 450 (of 500 at
// 20 a page): keyset paging makes them cost the same.
func BenchmarkFindProducts_TopRated(b *testing.B) {
	db := benchDB(b)
	ctx := context.Background()
	f := fpr.ProductFilter{Sort: fpr.ProductSortTopRated, Page: fpr.Page{Limit: 20}}
	deep := f
	for range 449 {
		_, next, err := db.FindProducts(ctx, deep)
		if err != nil || next == "" {
			b.Fatalf("paging to page 450: %v (cursor %q)", err, next)
		}
		deep.Cursor = next
	}
	for _, tt := range []struct {
		name string
		f    fpr.ProductFilter
	}{{"page1", f}, {"page450", deep}} {
		b.Run(tt.name, func(b *testing.B) {
			for b.Loop() {
				ps, _, err := db.FindProducts(ctx, tt.f)
				if err != nil || len(ps) != 20 {
					b.Fatalf("FindProducts = %d products, %v", len(ps), err)
				}
			}
		})
	}
}
