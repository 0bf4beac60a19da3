package storetest

import (
	"database/sql"
	"path/filepath"
	"slices"
	"testing"

	_ "modernc.org/sqlite" // the "sqlite" driver, to read both files as they are
)

// The copy OpenDB opens is the database a fresh file migrates into: the
// same schema, the same migrations recorded, WAL mode, and nothing wrong
// with it.
func TestOpenDB_CopyIsAFreshlyMigratedDatabase(t *testing.T) {
	dir := t.TempDir()
	copied := filepath.Join(dir, "copied.db")
	if err := copyMigratedSQLite(copied); err != nil {
		t.Fatal(err)
	}
	if err := copyMigratedSQLite(copied); err == nil {
		t.Fatal("copyMigratedSQLite wrote over an existing file")
	}
	fresh := filepath.Join(dir, "fresh.db")
	OpenURL(t, "sqlite:"+fresh) // migrates (each stays open; WAL lets others read)
	OpenURL(t, "sqlite:"+copied)

	read := func(path string) map[string][]string {
		db, err := sql.Open("sqlite", "file:"+path)
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = db.Close() }()
		out := map[string][]string{}
		for name, q := range map[string]string{
			"schema":       `SELECT type || ' ' || name || ' ' || coalesce(sql, '') FROM sqlite_master WHERE name NOT LIKE 'sqlite_stat%' ORDER BY type, name`,
			"migrations":   `SELECT version || ' ' || name FROM schema_migrations ORDER BY version`,
			"journal_mode": `PRAGMA journal_mode`,
			"integrity":    `PRAGMA integrity_check`,
		} {
			out[name] = QueryStrings(t, db, q)
		}
		return out
	}
	want, got := read(fresh), read(copied)
	if len(want["schema"]) < 20 || len(want["migrations"]) < 10 {
		t.Fatalf("fresh database has %d schema objects and %d migrations: not migrated?", len(want["schema"]), len(want["migrations"]))
	}
	for _, k := range []string{"schema", "migrations", "journal_mode", "integrity"} {
		if !slices.Equal(got[k], want[k]) {
			t.Errorf("%s of the copy:\n%q\nwant (a fresh file, migrated):\n%q", k, got[k], want[k])
		}
	}
	if !slices.Equal(got["journal_mode"], []string{"wal"}) || !slices.Equal(got["integrity"], []string{"ok"}) {
		t.Errorf("copy: journal_mode %q, integrity %q; want wal, ok", got["journal_mode"], got["integrity"])
	}
}
