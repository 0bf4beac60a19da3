// Package storetest is the conformance suite of the store: every behaviour
// the fpr service contracts promise, run as subtests against a backend.
// internal/store runs it on SQLite and, when FPR_TEST_POSTGRES_URL is set,
// on PostgreSQL, so both databases give the same results and error codes.
//
//	func TestConformance(t *testing.T) {
//		storetest.ForEachBackend(t, storetest.Run)
//	}
//
// It is also the one way every test opens a database (open.go): OpenDB for
// a fresh one, OpenURL to reopen one, ForEachBackend to run on both.
package storetest

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fpr-team/fpr"
	"github.com/fpr-team/fpr/internal/store"
)

// Run runs the conformance suite on backend (SQLite or Postgres); subtests
// run in parallel, each on a fresh database of its own (OpenDB).
func Run(t *testing.T, backend string) {
	s := &suite{backend: backend}
	groups := []struct {
		name  string
		tests map[string]func(t *testing.T, s *suite)
	}{
		{"Migrations", migrationTests},
		{"Users", userTests},
		{"Sessions", sessionTests},
		{"Throttle", throttleTests},
		{"MFA", mfaTests},
		{"Idempotency", idempotencyTests},
		{"Catalog", catalogTests},
		{"Reviews", reviewTests},
		{"ReviewDepth", depthTests},
		{"Farms", farmTests},
		{"Ops", opsTests},
		{"Trust", trustTests},
		{"Notify", notifyTests},
		{"Stamps", stampTests},
		{"KeptPages", keptPageTests},
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
	backend string
}

// db opens a fresh database whose clock is c (nil: the real clock).
func (s *suite) db(t *testing.T, c *Clock) *store.DB {
	t.Helper()
	db := OpenDB(t, s.backend)
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
	return mustUserVerified(t, db, role, true)
}

func mustUserVerified(t *testing.T, db *store.DB, role fpr.Role, verified bool) *fpr.User {
	t.Helper()
	n := seq.Add(1)
	u := &fpr.User{Email: fmt.Sprintf("user%d@example.test", n), DisplayName: fmt.Sprintf("User %d", n), Role: role, EmailVerified: verified}
	if err := db.CreateUser(context.Background(), u, "hash-"+u.Email); err != nil {
		t.Fatalf("CreateUser(%s): %v", u.Email, err)
	}
	return u
}

// mustUnverifiedUser creates a member whose e-mail is not verified yet:
// their verification mail is in the outbox.
func mustUnverifiedUser(t *testing.T, db *store.DB) *fpr.User {
	t.Helper()
	n := seq.Add(1)
	u := &fpr.User{Email: fmt.Sprintf("unverified%d@example.test", n), DisplayName: fmt.Sprintf("Unverified %d", n), Role: fpr.RoleMember}
	if err := db.CreateUser(context.Background(), u, "hash-"+u.Email); err != nil {
		t.Fatalf("CreateUser(%s): %v", u.Email, err)
	}
	if u.EmailVerified {
		t.Fatalf("CreateUser(%s) made a verified user", u.Email)
	}
	return u
}

// mustVerify follows u's verification link, read from the outbox by
// admin as the mail worker would send it, and returns u as loaded again.
func mustVerify(t *testing.T, db *store.DB, admin, u *fpr.User) *fpr.User {
	t.Helper()
	mails, _, err := db.FindMail(as(admin), fpr.MailFilter{Page: fpr.Page{Limit: fpr.MaxLimit}})
	mustOK(t, "FindMail", err)
	for _, m := range mails {
		if m.Kind == fpr.MailVerifyEmail && m.To == u.Email && m.Data["token"] != "" {
			mustOK(t, "VerifyEmail", db.VerifyEmail(context.Background(), fpr.TokenHash(m.Data["token"])))
			got, err := db.FindUserByID(context.Background(), u.ID)
			mustOK(t, "FindUserByID", err)
			if !got.EmailVerified {
				t.Fatalf("%s is not verified after following the link", u.Email)
			}
			return got
		}
	}
	t.Fatalf("no verification mail to %s in the outbox", u.Email)
	return nil
}

// mustAgedUser is mustUser for an account old enough that its flags count
// (fpr.FlagCounts): created FlagWeightAge and a minute before db's now.
func mustAgedUser(t *testing.T, db *store.DB, role fpr.Role) *fpr.User {
	t.Helper()
	return mustAgedUserVerified(t, db, role, true)
}

// mustAgedUserVerified is mustAgedUser with or without a verified e-mail.
func mustAgedUserVerified(t *testing.T, db *store.DB, role fpr.Role, verified bool) *fpr.User {
	t.Helper()
	now := db.Now
	db.Now = func() time.Time { return now().Add(-fpr.FlagWeightAge - time.Minute) }
	defer func() { db.Now = now }()
	return mustUserVerified(t, db, role, verified)
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
