package storetest

import (
	"context"
	"testing"
)

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
}
