package store_test

import (
	"context"
	"path/filepath"
	"sync"
	"testing"

	"github.com/fpr-team/fpr/internal/store"
)

// MustOpenSQLite opens and migrates a fresh SQLite database in a temporary
// folder, closed when the test ends.
func MustOpenSQLite(t testing.TB) *store.DB {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "fpr.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return db
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
