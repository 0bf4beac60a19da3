// Package storetest is the conformance suite of the store: every behaviour
// the fpr service contracts promise, run as subtests against a backend.
// internal/store runs it on SQLite and, when FPR_TEST_POSTGRES_URL is set,
// on PostgreSQL, so both databases give the same results and error codes.
//
//	func TestConformance_SQLite(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) *store.DB { return MustOpenSQLite(t) })
//	}
//
// It also gives tests a fresh PostgreSQL database (FreshPostgresURL).
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fpr-team/fpr"
	"github.com/fpr-team/fpr/internal/store"
	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver, for the admin connection
)

// Run runs the conformance suite. open must return a fresh, migrated
// database for each call, closed when its test ends; subtests run in
// parallel, each on its own database.
func Run(t *testing.T, open func(t *testing.T) *store.DB) {
	s := &suite{open: open}
	groups := []struct {
		name  string
		tests map[string]func(t *testing.T, s *suite)
	}{
		{"Migrations", migrationTests},
		{"Users", userTests},
		{"Sessions", sessionTests},
		{"Throttle", throttleTests},
		{"Idempotency", idempotencyTests},
		{"Catalog", catalogTests},
		{"Reviews", reviewTests},
		{"Ops", opsTests},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			t.Parallel()
			for name, fn := range g.tests {
				t.Run(name, func(t *testing.T) {
					t.Parallel()
					fn(t, s)
				})
			}
		})
	}
}

type suite struct {
	open func(t *testing.T) *store.DB
}

// db opens a fresh database whose clock is c (nil: the real clock).
func (s *suite) db(t *testing.T, c *Clock) *store.DB {
	t.Helper()
	db := s.open(t)
	if c != nil {
		db.Now = c.Now
	}
	return db
}

// as returns a context whose acting user is u (nil: anonymous).
func as(u *fpr.User) context.Context {
	return fpr.NewContextWithUser(context.Background(), u)
}

var seq atomic.Int64

// mustUser creates a user of role directly in the store.
func mustUser(t *testing.T, db *store.DB, role fpr.Role) *fpr.User {
	t.Helper()
	n := seq.Add(1)
	u := &fpr.User{Email: fmt.Sprintf("user%d@example.test", n), DisplayName: fmt.Sprintf("User %d", n), Role: role}
	if err := db.CreateUser(context.Background(), u, "hash-"+u.Email); err != nil {
		t.Fatalf("CreateUser(%s): %v", u.Email, err)
	}
	return u
}

// wantCode fails the test unless err has code want.
func wantCode(t *testing.T, what string, err error, want fpr.Code) {
	t.Helper()
	if got := fpr.ErrorCode(err); got != want {
		t.Fatalf("%s: error %v (code %q), want code %q", what, err, got, want)
	}
}

// mustOK fails the test on err.
func mustOK(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// Clock is a settable clock for a store's Now.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a clock stopped at t.
func NewClock(t time.Time) *Clock { return &Clock{now: t.UTC()} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// start is the time test clocks start at.
var start = time.Date(2026, 5, 10, 12, 0, 0, 0, time.UTC)

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
// database of dbURL ("" for FPR_TEST_POSTGRES_URL's) and returns a URL whose
// connections use it (search_path), so every table the store creates and
// uses lives there; the schema is dropped when the test ends. It is a
// fresh database for the store at a tenth of the cost. It skips or fails
// as FreshPostgresURL does.
func FreshPostgresSchemaURL(t testing.TB, dbURL string) string {
	t.Helper()
	admin, base := postgresAdmin(t)
	if dbURL != "" {
		u, err := url.Parse(dbURL)
		if err != nil {
			t.Fatalf("database url: %v", err)
		}
		base = u
		if admin, err = sql.Open("pgx", dbURL); err != nil {
			t.Fatalf("open %s: %v", dbURL, err)
		}
		t.Cleanup(func() { _ = admin.Close() })
	}
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

// MustOpen opens and migrates the database at url, closed when the test
// ends.
func MustOpen(t testing.TB, url string) *store.DB {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, url, store.Options{MaxOpenConns: 8})
	if err != nil {
		t.Fatalf("open %s: %v", url, err)
	}
	t.Cleanup(func() { _ = db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return db
}
