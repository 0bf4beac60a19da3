package store_test

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/fpr-team/fpr"
	"github.com/fpr-team/fpr/internal/store"
)

// TestCreateSQLite_AllOrNothing: a load into a new file appears at its
// path only when complete, in WAL mode; a failed load, or one that finds
// the path taken, leaves the disk as it was (a file left by a killed load
// is replaced).
func TestCreateSQLite_AllOrNothing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	at := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	user := func(l *store.Loader, email string) error {
		return l.AddUser(&fpr.User{ID: fpr.NewID(at), Email: email, DisplayName: "Ann", Role: fpr.RoleMember, CreatedAt: at}, "x")
	}
	count := func(path string) (n int, mode string) {
		t.Helper()
		raw, err := sql.Open("sqlite", "file:"+path)
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = raw.Close() }()
		if err := raw.QueryRow(`SELECT COUNT(*) FROM users`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if err := raw.QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil {
			t.Fatal(err)
		}
		return n, mode
	}

	t.Run("Failed", func(t *testing.T) {
		path := filepath.Join(dir, "failed.db")
		boom := errors.New("boom")
		err := store.CreateSQLite(ctx, path, store.Options{}, func(db *store.DB) error {
			return db.Load(ctx, func(l *store.Loader) error {
				if err := user(l, "a@example.org"); err != nil {
					return err
				}
				return boom
			})
		})
		if !errors.Is(err, boom) {
			t.Fatalf("CreateSQLite = %v, want boom", err)
		}
		for _, p := range []string{path, path + ".loading"} {
			if _, err := os.Stat(p); !os.IsNotExist(err) {
				t.Errorf("%s after a failed load: %v, want no file", filepath.Base(p), err)
			}
		}
	})

	t.Run("KilledBefore", func(t *testing.T) {
		path := filepath.Join(dir, "killed.db")
		// What a killed load leaves: a partial temporary file.
		if err := os.WriteFile(path+".loading", []byte("half a database"), 0o600); err != nil {
			t.Fatal(err)
		}
		err := store.CreateSQLite(ctx, path, store.Options{}, func(db *store.DB) error {
			return db.Load(ctx, func(l *store.Loader) error { return user(l, "b@example.org") })
		})
		if err != nil {
			t.Fatalf("CreateSQLite: %v", err)
		}
		if n, mode := count(path); n != 1 || mode != "wal" {
			t.Errorf("users %d, journal_mode %s; want 1, wal", n, mode)
		}
		if _, err := os.Stat(path + ".loading"); !os.IsNotExist(err) {
			t.Errorf("the temporary file is left: %v", err)
		}
		// A normal open works on it, and it is migrated.
		db, err := store.Open(ctx, "sqlite:"+path, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if n, err := db.PendingMigrations(ctx); err != nil || n != 0 {
			t.Errorf("pending migrations = %d, %v; want 0", n, err)
		}
	})

	t.Run("Exists", func(t *testing.T) {
		path := filepath.Join(dir, "exists.db")
		if err := os.WriteFile(path, []byte("someone's data"), 0o600); err != nil {
			t.Fatal(err)
		}
		called := false
		err := store.CreateSQLite(ctx, path, store.Options{}, func(*store.DB) error { called = true; return nil })
		if !errors.Is(err, store.ErrDatabaseExists) || called {
			t.Errorf("CreateSQLite on an existing file = %v (load ran: %v), want ErrDatabaseExists", err, called)
		}
		if b, _ := os.ReadFile(path); string(b) != "someone's data" {
			t.Errorf("the existing file changed: %q", b)
		}
	})
}
