package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fpr-team/fpr/internal/store"
	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver, for the admin connection
)

// This file is the one way tests open a database: OpenDB for a fresh one
// of a backend, OpenURL for one the test already made (a file it reopens,
// a database several processes share), ForEachBackend to run a test on
// every backend.

// Backends a test can run on.
const (
	SQLite   = "sqlite"
	Postgres = "postgres"
)

// DefaultBackend is the backend of FPR_TEST_BACKEND, SQLite when unset: the
// one tests that run once (such as the HTTP tests) use.
func DefaultBackend() string {
	if b := os.Getenv("FPR_TEST_BACKEND"); b != "" {
		return b
	}
	return SQLite
}

// ForEachBackend runs fn as a parallel subtest named for each backend:
// SQLite and PostgreSQL. The PostgreSQL subtest is skipped without
// FPR_TEST_POSTGRES_URL (failed under FPR_REQUIRE_POSTGRES=1) as soon as it
// opens a database.
func ForEachBackend(t *testing.T, fn func(t *testing.T, backend string)) {
	t.Helper()
	for _, backend := range []string{SQLite, Postgres} {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			fn(t, backend)
		})
	}
}

// OpenDB opens a fresh, migrated database of backend (SQLite or Postgres),
// closed (and for PostgreSQL dropped) when the test ends. SQLite lives in
// t.TempDir(). Postgres is a schema of its own in the database of
// FPR_TEST_POSTGRES_URL (FreshPostgresSchemaURL); without the variable the
// test is skipped, and with FPR_REQUIRE_POSTGRES=1 it fails.
func OpenDB(t testing.TB, backend string) *store.DB {
	t.Helper()
	switch backend {
	case SQLite:
		path := filepath.Join(t.TempDir(), "fpr.db")
		if err := copyMigratedSQLite(path); err != nil {
			t.Fatalf("storetest: %v", err)
		}
		return OpenURL(t, "sqlite:"+path)
	case Postgres:
		return OpenURL(t, FreshPostgresSchemaURL(t))
	}
	t.Fatalf("storetest: unknown backend %q (want %q or %q)", backend, SQLite, Postgres)
	return nil
}

// migratedSQLite holds the files of a SQLite database migrated once per
// test process: the database and, if closing left one, its WAL.
// Migrating a fresh file costs about 1.5 s under the race detector (the
// SQLite driver is Go translated from C, and every statement of every
// migration runs instrumented), 20 times what it costs without; the HTTP
// and store suites open hundreds. A copy of the migrated files is the same
// database, made in a millisecond. OpenURL still migrates it, which finds
// nothing to apply: the copy is checked as any database FPR opens is.
var migratedSQLite struct {
	once    sync.Once
	db, wal []byte
	err     error
}

// copyMigratedSQLite writes a migrated SQLite database at path, which
// must not exist.
func copyMigratedSQLite(path string) error {
	m := &migratedSQLite
	m.once.Do(func() {
		m.db, m.wal, m.err = migrateTemplate()
	})
	if m.err != nil {
		return fmt.Errorf("migrated template: %w", m.err)
	}
	if err := writeNew(path, m.db); err != nil {
		return err
	}
	if m.wal != nil {
		return writeNew(path+"-wal", m.wal)
	}
	return nil
}

// migrateTemplate migrates a new SQLite file in a folder of its own,
// closes it and returns its files' bytes.
func migrateTemplate() (db, wal []byte, err error) {
	dir, err := os.MkdirTemp("", "fpr-storetest-")
	if err != nil {
		return nil, nil, err
	}
	defer func() { _ = os.RemoveAll(dir) }()
	path := filepath.Join(dir, "fpr.db")
	ctx := context.Background()
	s, err := store.Open(ctx, "sqlite:"+path, store.Options{})
	if err != nil {
		return nil, nil, err
	}
	if _, err := s.Migrate(ctx); err != nil {
		_ = s.Close()
		return nil, nil, err
	}
	if err := s.Close(); err != nil {
		return nil, nil, err
	}
	if db, err = os.ReadFile(path); err != nil {
		return nil, nil, err
	}
	wal, err = os.ReadFile(path + "-wal")
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return db, nil, nil
	case err != nil:
		return nil, nil, err
	}
	return db, wal, nil
}

// writeNew writes body to a new file at path; an existing file is an
// error, never overwritten.
func writeNew(path string, body []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(body)
	return errors.Join(err, f.Close())
}

// FreshURL returns the URL of a fresh, empty database of backend, for
// tests that open it more than once (several instances on one database).
func FreshURL(t testing.TB, backend string) string {
	t.Helper()
	switch backend {
	case SQLite:
		return "sqlite:" + filepath.Join(t.TempDir(), "fpr.db")
	case Postgres:
		return FreshPostgresSchemaURL(t)
	}
	t.Fatalf("storetest: unknown backend %q (want %q or %q)", backend, SQLite, Postgres)
	return ""
}

// OpenURL opens and migrates the database at dbURL ("sqlite:PATH" or
// "postgres://…"), closed when the test ends.
func OpenURL(t testing.TB, dbURL string) *store.DB {
	t.Helper()
	ctx := context.Background()
	var opt store.Options
	if !strings.HasPrefix(dbURL, "sqlite:") {
		// Test packages run in parallel against one server, whose
		// max_connections (100) they share: a small pool each.
		opt.MaxOpenConns = 6
	}
	db, err := store.Open(ctx, dbURL, opt)
	if err != nil {
		t.Fatalf("storetest: open %s: %v", dbURL, err)
	}
	t.Cleanup(func() { _ = db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatalf("storetest: migrate %s: %v", dbURL, err)
	}
	return db
}

// FreshPostgresURL creates an empty database with a random name on the
// server of FPR_TEST_POSTGRES_URL (a role that may create databases) and
// returns its URL; the database is dropped when the test ends. Without the
// variable the test is skipped, unless FPR_REQUIRE_POSTGRES=1, when it
// fails, as it does when the server cannot be reached. Creating a database
// takes about a second on a small machine: tests that need many fresh
// schemas take one each with FreshPostgresSchemaURL.
func FreshPostgresURL(t testing.TB) string {
	t.Helper()
	admin, base := postgresAdmin(t)
	name := "fpr_test_" + strings.ToLower(rand.Text()[:16]) // random: test processes share the server
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := admin.ExecContext(ctx, `CREATE DATABASE "`+name+`"`); err != nil {
		t.Fatalf("create database %s: %v", name, err)
	}
	// Tests need no durability across a crash of the server; waiting for
	// each commit's fsync only makes them slow.
	if _, err := admin.ExecContext(ctx, `ALTER DATABASE "`+name+`" SET synchronous_commit = off`); err != nil {
		t.Fatalf("alter database %s: %v", name, err)
	}
	// Cleanups run last-registered first: this one is registered before the
	// caller opens the database, so it runs after the caller has closed it.
	// WITH (FORCE) ends any connection left over all the same.
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if _, err := admin.ExecContext(ctx, `DROP DATABASE IF EXISTS "`+name+`" WITH (FORCE)`); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
	})
	u := *base
	u.Path = "/" + name
	return u.String()
}

// FreshPostgresSchemaURL creates an empty schema with a random name in the
// database of FPR_TEST_POSTGRES_URL and returns a URL whose connections use
// it (search_path), so every table the store creates and uses lives there;
// the schema is dropped when the test ends. It is a fresh database for the
// store at a tenth of the cost. It skips or fails as FreshPostgresURL does.
func FreshPostgresSchemaURL(t testing.TB) string {
	t.Helper()
	admin, base := postgresAdmin(t)
	name := "fpr_test_" + strings.ToLower(rand.Text()[:16])
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := admin.ExecContext(ctx, `CREATE SCHEMA "`+name+`"`); err != nil {
		t.Fatalf("create schema %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if _, err := admin.ExecContext(ctx, `DROP SCHEMA IF EXISTS "`+name+`" CASCADE`); err != nil {
			t.Errorf("drop schema %s: %v", name, err)
		}
	})
	u := *base
	q := u.Query()
	q.Set("search_path", name)
	q.Set("synchronous_commit", "off")
	u.RawQuery = q.Encode()
	return u.String()
}

// postgresAdmin connects to FPR_TEST_POSTGRES_URL, closed when the test
// ends, or skips or fails the test.
func postgresAdmin(t testing.TB) (*sql.DB, *url.URL) {
	t.Helper()
	base := os.Getenv("FPR_TEST_POSTGRES_URL")
	required := os.Getenv("FPR_REQUIRE_POSTGRES") == "1"
	if base == "" {
		if required {
			t.Fatal("FPR_REQUIRE_POSTGRES=1 but FPR_TEST_POSTGRES_URL is not set")
		}
		t.Skip("PostgreSQL tests skipped: FPR_TEST_POSTGRES_URL is not set " +
			"(e.g. postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable)")
	}
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("FPR_TEST_POSTGRES_URL: %v", err)
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("open FPR_TEST_POSTGRES_URL: %v", err)
	}
	t.Cleanup(func() { _ = admin.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := admin.PingContext(ctx); err != nil {
		if required {
			t.Fatalf("FPR_REQUIRE_POSTGRES=1 but PostgreSQL at FPR_TEST_POSTGRES_URL does not answer: %v", err)
		}
		t.Skipf("PostgreSQL tests skipped: FPR_TEST_POSTGRES_URL does not answer: %v", err)
	}
	return admin, u
}

// QueryStrings returns the one text column of every row of q, run on db
// directly (not through the store): for tests that compare what is in a
// database file, such as its schema.
func QueryStrings(t testing.TB, db *sql.DB, q string) []string {
	t.Helper()
	rows, err := db.QueryContext(context.Background(), q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer func() { _ = rows.Close() }()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return out
}
