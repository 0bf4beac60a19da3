package storetest

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/fpr-team/fpr/internal/store"
)

// newestMigration returns the newest migration version db embeds.
func newestMigration(t *testing.T, db *store.DB) int {
	t.Helper()
	ms, err := db.Migrations(context.Background())
	mustOK(t, "Migrations", err)
	v := 0
	for _, m := range ms {
		if !m.Newer {
			v = max(v, m.Version)
		}
	}
	return v
}

// recordNewerMigration writes schema_migrations as a later release would
// after applying a migration this binary does not embed.
func recordNewerMigration(t *testing.T, db *store.DB, version int, name string) {
	t.Helper()
	ctx := context.Background()
	tx, err := db.BeginTx(ctx, true)
	mustOK(t, "BeginTx", err)
	defer func() { _ = tx.Rollback() }()
	_, err = tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, 0)`, version, name)
	mustOK(t, "record migration", err)
	mustOK(t, "Commit", tx.Commit())
}

var migrationTests = map[string]func(t *testing.T, s *suite){
	"MigrateAgainAppliesNothing": func(t *testing.T, s *suite) {
		db := s.db(t, nil)
		ctx := context.Background()
		done, err := db.Migrate(ctx)
		mustOK(t, "Migrate", err)
		if len(done) != 0 {
			t.Errorf("Migrate on a migrated database applied %v, want nothing", done)
		}
		ms, err := db.Migrations(ctx)
		mustOK(t, "Migrations", err)
		if len(ms) == 0 {
			t.Fatal("Migrations = none, want the embedded migrations")
		}
		for i, m := range ms {
			if m.AppliedAt.IsZero() {
				t.Errorf("migration %s not recorded as applied", m.Name)
			}
			// Numbers are reserved per area (0005 is operations), so one
			// may land before a lower one: gaps are fine, order is not.
			if i > 0 && m.Version <= ms[i-1].Version {
				t.Errorf("migration #%d is %s (version %d), after version %d: numbers must increase", i, m.Name, m.Version, ms[i-1].Version)
			}
		}
		n, err := db.PendingMigrations(ctx)
		mustOK(t, "PendingMigrations", err)
		if n != 0 {
			t.Errorf("PendingMigrations = %d, want 0", n)
		}
	},
	// A revert runs release N-1 on release N's schema: additive migrations
	// it does not know are fine, and it says what it sees.
	"NewerAdditiveSchemaRuns": func(t *testing.T, s *suite) {
		db := s.db(t, nil)
		ctx := context.Background()
		recordNewerMigration(t, db, 9998, "9998_review_stickers.sql")
		done, err := db.Migrate(ctx)
		if err != nil || len(done) != 0 {
			t.Fatalf("Migrate on a newer additive schema = %v, %v; want nothing applied and no error", done, err)
		}
		if n, err := db.PendingMigrations(ctx); err != nil || n != 0 {
			t.Errorf("PendingMigrations = %d, %v; want 0", n, err)
		}
		ms, err := db.Migrations(ctx)
		mustOK(t, "Migrations", err)
		last := ms[len(ms)-1]
		if last.Version != 9998 || !last.Newer || last.Contract() || last.AppliedAt.IsZero() {
			t.Errorf("last migration = %+v, want 9998 applied, Newer, not a contract", last)
		}
		if v, err := db.SchemaVersion(ctx); err != nil || v != 9998 {
			t.Errorf("SchemaVersion = %d, %v; want 9998", v, err)
		}
	},
	// A contract migration this binary does not know removed something it
	// may read: refuse to start, naming the migration.
	"NewerContractSchemaRefused": func(t *testing.T, s *suite) {
		db := s.db(t, nil)
		recordNewerMigration(t, db, 9998, "9998_review_stickers.sql")
		recordNewerMigration(t, db, 9999, "9999"+store.ContractMarker+"drop_review_title.sql")
		_, err := db.Migrate(context.Background())
		var incompatible *store.IncompatibleSchemaError
		if !errors.As(err, &incompatible) {
			t.Fatalf("Migrate on a newer contract schema = %v, want *store.IncompatibleSchemaError", err)
		}
		if incompatible.Migration.Version != 9999 || !strings.Contains(err.Error(), "9999_contract_drop_review_title.sql") {
			t.Errorf("error = %q (migration %d), want it to name 9999_contract_drop_review_title.sql", err, incompatible.Migration.Version)
		}
	},
}
