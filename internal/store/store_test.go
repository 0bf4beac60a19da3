package store_test

import (
	"context"
	"path/filepath"
	"sync"
	"testing"

	"github.com/fpr-team/fpr/internal/store"
	"github.com/fpr-team/fpr/internal/storetest"
)

// TestConformance runs the conformance suite on SQLite and, when
// FPR_TEST_POSTGRES_URL is set, on PostgreSQL.
func TestConformance(t *testing.T) {
	t.Parallel()
	storetest.ForEachBackend(t, storetest.Run)
}

// TestMigrate_ConcurrentProcesses_Postgres: several processes starting at
// once on an empty database (separate handles, so separate connections and
// sessions) apply each migration exactly once, serialized by the advisory
// lock.
func TestMigrate_ConcurrentProcesses_Postgres(t *testing.T) {
	t.Parallel()
	testConcurrentMigrate(t, storetest.FreshPostgresURL(t))
}

// TestMigrate_ConcurrentProcesses_SQLite: the same on one SQLite file.
func TestMigrate_ConcurrentProcesses_SQLite(t *testing.T) {
	t.Parallel()
	testConcurrentMigrate(t, "sqlite:"+filepath.Join(t.TempDir(), "fpr.db"))
}

func testConcurrentMigrate(t *testing.T, url string) {
	ctx := context.Background()
	const n = 6
	dbs := make([]*store.DB, n)
	for i := range dbs {
		db, err := store.Open(ctx, url, store.Options{MaxOpenConns: 2})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = db.Close() })
		dbs[i] = db
	}
	applied := make([][]store.Migration, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i, db := range dbs {
		wg.Go(func() {
			<-start
			done, err := db.Migrate(ctx)
			if err != nil {
				t.Errorf("Migrate #%d: %v", i, err)
			}
			applied[i] = done
		})
	}
	close(start)
	wg.Wait()
	count := map[int]int{}
	for _, done := range applied {
		for _, m := range done {
			count[m.Version]++
		}
	}
	ms, err := dbs[0].Migrations(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		if count[m.Version] != 1 {
			t.Errorf("migration %s applied %d times by %d concurrent Migrate calls, want exactly once", m.Name, count[m.Version], n)
		}
		if m.AppliedAt.IsZero() {
			t.Errorf("migration %s not recorded", m.Name)
		}
	}
	for i, db := range dbs {
		if p, err := db.PendingMigrations(ctx); err != nil || p != 0 {
			t.Errorf("PendingMigrations on handle %d = %d, %v; want 0, nil", i, p, err)
		}
	}
}

func TestMigrate_OnceAndRecorded(t *testing.T) {
	ctx := context.Background()
	path := "sqlite:" + filepath.Join(t.TempDir(), "fpr.db")
	db, err := store.Open(ctx, path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if n, err := db.PendingMigrations(ctx); err == nil && n == 0 {
		t.Fatalf("PendingMigrations before migrating = 0, want > 0")
	}
	var wg sync.WaitGroup
	applied := make([]int, 4)
	for i := range applied {
		wg.Go(func() {
			done, err := db.Migrate(ctx)
			if err != nil {
				t.Error(err)
			}
			applied[i] = len(done)
		})
	}
	wg.Wait()
	total := 0
	for _, n := range applied {
		total += n
	}
	ms, err := db.Migrations(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if total != len(ms) {
		t.Errorf("concurrent Migrate applied %d migrations in all, want %d (each once)", total, len(ms))
	}
	for _, m := range ms {
		if m.AppliedAt.IsZero() {
			t.Errorf("migration %s not recorded", m.Name)
		}
	}
	if n, err := db.PendingMigrations(ctx); err != nil || n != 0 {
		t.Errorf("PendingMigrations = %d, %v; want 0, nil", n, err)
	}
}
