package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fpr-team/fpr"
	"github.com/fpr-team/fpr/internal/store"
	"github.com/fpr-team/fpr/internal/storetest"
)

// otherConnection opens the SQLite database at url ("sqlite:PATH") apart
// from the store, as another process (`fpr user role`, an older release)
// would; closed when the test ends.
func otherConnection(t *testing.T, url string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+strings.TrimPrefix(url, "sqlite:")+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// The SQLite session cache serves a session again only while nothing
// FindSession reads has changed, whoever changed it: here another
// connection to the file, as `fpr user role` in another process, or an
// older release, would.
func TestSessionCache_EveryChangeTakesEffectAtOnce(t *testing.T) {
	t.Parallel()
	url := storetest.FreshURL(t, storetest.SQLite)
	db := storetest.OpenURL(t, url)
	clk := setClock(db)
	ctx := context.Background()
	other := otherConnection(t, url)
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := other.ExecContext(ctx, q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	u := &fpr.User{Email: "ann@example.org", DisplayName: "Ann"}
	if err := db.CreateUser(ctx, u, "hash"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.CreateSession(ctx, "tok", u.ID, fpr.SessionAPI, time.Hour); err != nil {
		t.Fatal(err)
	}
	last := db.SessionCacheStats()
	// find reads the session and reports whether the cache served it.
	find := func(what string) (*fpr.User, *fpr.Session, bool) {
		t.Helper()
		gu, gs, err := db.FindSession(ctx, "tok")
		if err != nil {
			t.Fatalf("%s: FindSession: %v", what, err)
		}
		now := db.SessionCacheStats()
		hit := now.Hits > last.Hits
		if now.Hits+now.Misses != last.Hits+last.Misses+1 {
			t.Fatalf("%s: stats %+v after %+v: want one hit or one miss", what, now, last)
		}
		last = now
		return gu, gs, hit
	}
	if _, _, hit := find("first use"); hit {
		t.Error("first use: served from the cache, want a read")
	}
	gu, _, hit := find("second use")
	if !hit {
		t.Fatal("second use: read again, want it served from the cache")
	}
	if gu.Role != fpr.RoleMember || gu.DisplayName != "Ann" {
		t.Fatalf("second use: %+v", gu)
	}
	gu.DisplayName = "changed by the caller"
	if gu, _, _ := find("after the caller changed its copy"); gu.DisplayName != "Ann" {
		t.Errorf("the cache shares its copy: display name %q", gu.DisplayName)
	}

	// A touch moves last_used_at and extends the expiry: no change to
	// serve, so the epoch stays (another instance's copy stays good).
	exec(`UPDATE sessions SET last_used_at = last_used_at + 1, expires_at = expires_at + 1000000 WHERE token_hash = 'tok'`)
	if _, _, hit := find("after another process touched it"); !hit {
		t.Error("a touch by another process emptied the cache")
	}
	// An UPDATE that changes nothing (the row lock of notify.go on
	// PostgreSQL) moves nothing either.
	exec(`UPDATE users SET deleted_at = deleted_at WHERE id = ?`, u.ID)
	if _, _, hit := find("after a no-op UPDATE"); !hit {
		t.Error("a no-op UPDATE of users emptied the cache")
	}

	exec(`UPDATE users SET role = 'moderator' WHERE id = ?`, u.ID)
	if gu, _, hit := find("after the role changed"); hit || gu.Role != fpr.RoleModerator {
		t.Errorf("after another process changed the role: role %s (from the cache: %v), want moderator read again", gu.Role, hit)
	}
	exec(`UPDATE users SET display_name = 'Ann B' WHERE id = ?`, u.ID)
	if gu, _, hit := find("after the name changed"); hit || gu.DisplayName != "Ann B" {
		t.Errorf("after another process renamed the user: %q (from the cache: %v)", gu.DisplayName, hit)
	}
	_, gs, _ := find("before the expiry is shortened")
	exec(`UPDATE sessions SET expires_at = expires_at - 1000000 WHERE token_hash = 'tok'`)
	if _, gs2, hit := find("after the expiry was shortened"); hit || !gs2.ExpiresAt.Before(gs.ExpiresAt) {
		t.Errorf("after another process shortened the session: expiry %v, was %v (from the cache: %v)", gs2.ExpiresAt, gs.ExpiresAt, hit)
	}

	// Our own touch drops our copy: the next use reads the new time.
	find("before our touch")
	clk.Advance(2 * time.Minute)
	if err := db.TouchSession(ctx, "tok", clk.Now(), clk.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, gs, hit := find("after our touch"); hit || !gs.LastUsedAt.Equal(clk.Now()) {
		t.Errorf("after TouchSession: last used %v, want %v (from the cache: %v)", gs.LastUsedAt, clk.Now(), hit)
	}

	// Ended sessions: by time alone (no write at all), by another process,
	// by the deletion of the account.
	if _, err := db.CreateSession(ctx, "short", u.ID, fpr.SessionAPI, time.Minute); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, _, err := db.FindSession(ctx, "short"); err != nil {
			t.Fatal(err)
		}
	}
	clk.Advance(2 * time.Minute)
	if _, _, err := db.FindSession(ctx, "short"); fpr.ErrorCode(err) != fpr.CodeNotFound {
		t.Errorf("a kept session past its expiry: err %v, want not_found", err)
	}
	last = db.SessionCacheStats()
	find("before the logout elsewhere")
	exec(`DELETE FROM sessions WHERE token_hash = 'tok'`)
	if _, _, err := db.FindSession(ctx, "tok"); fpr.ErrorCode(err) != fpr.CodeNotFound {
		t.Errorf("a session another process deleted: err %v, want not_found", err)
	}
	if _, err := db.CreateSession(ctx, "tok2", u.ID, fpr.SessionWeb, time.Hour); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, _, err := db.FindSession(ctx, "tok2"); err != nil {
			t.Fatal(err)
		}
	}
	exec(`DELETE FROM users WHERE id = ?`, u.ID)
	if _, _, err := db.FindSession(ctx, "tok2"); fpr.ErrorCode(err) != fpr.CodeNotFound {
		t.Errorf("a session of a deleted account: err %v, want not_found", err)
	}
}

// On PostgreSQL every instance reads each session: there is no cache.
func TestSessionCache_NoneOnPostgres(t *testing.T) {
	t.Parallel()
	db := storetest.OpenDB(t, storetest.Postgres)
	ctx := context.Background()
	u := MustUser(t, db, fpr.RoleMember)
	if _, err := db.CreateSession(ctx, "tok", u.ID, fpr.SessionAPI, time.Hour); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, _, err := db.FindSession(ctx, "tok"); err != nil {
			t.Fatal(err)
		}
	}
	if st := db.SessionCacheStats(); st != (store.SessionCacheStats{}) {
		t.Errorf("stats on PostgreSQL = %+v, want zero", st)
	}
}

// Migration 0021's triggers name every column of users and sessions but
// last_used_at: a column added later and left out would let a change to
// it go unseen by the kept sessions.
func TestSessionCache_TriggersNameEveryColumn(t *testing.T) {
	t.Parallel()
	url := storetest.FreshURL(t, storetest.SQLite)
	_ = storetest.OpenURL(t, url)
	raw := otherConnection(t, url)
	var triggers string
	if err := raw.QueryRow(`SELECT group_concat(sql, ' ') FROM sqlite_schema WHERE type = 'trigger' AND name LIKE 'auth_epoch_%'`).Scan(&triggers); err != nil {
		t.Fatal(err)
	}
	for _, table := range []string{"users", "sessions"} {
		var names string
		if err := raw.QueryRow(`SELECT group_concat(name, ' ') FROM pragma_table_info(?)`, table).Scan(&names); err != nil {
			t.Fatal(err)
		}
		cols := strings.Fields(names)
		if len(cols) < 5 {
			t.Fatalf("%s: columns %v", table, cols)
		}
		for _, c := range cols {
			if table == "sessions" && c == "last_used_at" {
				continue
			}
			if !strings.Contains(triggers, "NEW."+c+" IS OLD."+c) && !strings.Contains(triggers, "NEW."+c+" >= OLD."+c) {
				t.Errorf("%s.%s: no auth_epoch trigger compares it (migration 0021's conditions)", table, c)
			}
		}
	}
}

// Attacks on the cache: tokens that match no session are never kept (a
// flood of guesses, hostile ones among them: NUL, bidi, invalid UTF-8,
// 1 MB, takes no memory), and a logout racing with requests
// that use the token: every read that starts after the logout returned
// finds no session, whether the cache had it or not. Odd rounds log out
// through this instance (DeleteSession), even ones through another
// connection, where only the epoch tells.
func TestSessionCache_GuessesAndARacingLogout(t *testing.T) {
	t.Parallel()
	url := storetest.FreshURL(t, storetest.SQLite)
	db := storetest.OpenURL(t, url)
	ctx := context.Background()
	other := otherConnection(t, url)
	guesses := []string{"\x00", "\u202etok", "\xff\xfe", strings.Repeat("a", 1<<20)}
	for i := range 200 {
		guesses = append(guesses, fmt.Sprintf("guess-%d", i))
	}
	for _, g := range guesses {
		if _, _, err := db.FindSession(ctx, g); fpr.ErrorCode(err) != fpr.CodeNotFound {
			t.Fatalf("a guessed token %.20q: %v, want not_found", g, err)
		}
	}
	if st := db.SessionCacheStats(); st.Kept != 0 {
		t.Fatalf("after %d guessed tokens the cache keeps %d sessions, want 0", len(guesses), st.Kept)
	}
	u := MustUser(t, db, fpr.RoleMember)
	for round := range 20 {
		tok := fmt.Sprintf("tok-%d", round)
		if _, err := db.CreateSession(ctx, tok, u.ID, fpr.SessionAPI, time.Hour); err != nil {
			t.Fatal(err)
		}
		var loggedOut atomic.Bool
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for range 4 {
			wg.Go(func() {
				for {
					after := loggedOut.Load()
					_, _, err := db.FindSession(ctx, tok)
					if after {
						switch {
						case err == nil:
							errs <- fmt.Errorf("round %d: a read begun after the logout found the session", round)
						case fpr.ErrorCode(err) != fpr.CodeNotFound:
							errs <- fmt.Errorf("round %d: a read begun after the logout: %w, want not_found", round, err)
						}
						return
					}
					if err != nil && fpr.ErrorCode(err) != fpr.CodeNotFound {
						errs <- err
						return
					}
				}
			})
		}
		time.Sleep(time.Millisecond)
		var err error
		if round%2 == 1 {
			err = db.DeleteSession(ctx, tok)
		} else {
			_, err = other.ExecContext(ctx, `DELETE FROM sessions WHERE token_hash = ?`, tok)
		}
		if err != nil {
			t.Fatal(err)
		}
		loggedOut.Store(true)
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
	}
}
