package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fpr-team/fpr"
	"github.com/fpr-team/fpr/internal/store"
)

// Trust and limits (SPEC section 7): rate limits counted in the database,
// the audit log written in each action's transaction, pre-moderation of
// edits.

// asFrom is as(u) from client address addr.
func asFrom(u *fpr.User, addr string) context.Context {
	return fpr.NewContextWithClient(as(u), fpr.Client{Address: addr})
}

// products makes n products of one shop, so one user can write n reviews.
func products(t *testing.T, db *store.DB, n int) (shop, []string) {
	t.Helper()
	sh := mustShop(t, db)
	ids := []string{sh.product.ID}
	for i := 1; i < n; i++ {
		ids = append(ids, mustProduct(t, db, sh.producer, sh.farm, fmt.Sprintf("Pear %d", i), "fruit", "Ripe.").ID)
	}
	return sh, ids
}

func wantRetryAfter(t *testing.T, what string, err error, want time.Duration) {
	t.Helper()
	wantCode(t, what, err, fpr.CodeRateLimited)
	var secs int
	if fe := asFprError(err); fe != nil {
		secs = fe.RetryAfterSeconds
	}
	if secs != int(want.Seconds()) {
		t.Errorf("%s: Retry-After %d s, want %v", what, secs, want)
	}
}

func asFprError(err error) *fpr.Error {
	var e *fpr.Error
	if errors.As(err, &e) {
		return e
	}
	return nil
}

var trustTests = map[string]func(t *testing.T, s *suite){
	"RateLimit_PerAccountWindow": func(t *testing.T, s *suite) {
		clk := NewClock(start)
		db := s.db(t, clk)
		db.RateLimits = fpr.RateLimits{{Kind: fpr.LimitReview, Subject: fpr.PerAccount, Count: 3, Window: time.Hour}}
		_, ids := products(t, db, 6)
		ann, bob := mustUser(t, db, fpr.RoleMember), mustUser(t, db, fpr.RoleMember)
		for i := range 3 {
			mustOK(t, "CreateReview", db.CreateReview(as(ann), &fpr.Review{ProductID: ids[i], Rating: 4, Body: "Good."}))
			clk.Advance(10 * time.Minute)
		}
		// A refused write is not counted, nor is one that fails.
		err := db.CreateReview(as(ann), &fpr.Review{ProductID: ids[3], Rating: 4, Body: "Good."})
		wantRetryAfter(t, "the 4th review in the hour", err, 30*time.Minute)
		wantCode(t, "a review of no product", db.CreateReview(as(bob), &fpr.Review{ProductID: "missing", Rating: 4, Body: "x"}), fpr.CodeNotFound)
		// Another account is not affected.
		mustOK(t, "another account's review", db.CreateReview(as(bob), &fpr.Review{ProductID: ids[0], Rating: 3, Body: "Fine."}))
		mustOK(t, "another account's review", db.CreateReview(as(bob), &fpr.Review{ProductID: ids[1], Rating: 3, Body: "Fine."}))
		mustOK(t, "another account's review", db.CreateReview(as(bob), &fpr.Review{ProductID: ids[2], Rating: 3, Body: "Fine."}))
		clk.Advance(30 * time.Minute)
		mustOK(t, "a review once the window has passed", db.CreateReview(as(ann), &fpr.Review{ProductID: ids[3], Rating: 4, Body: "Good."}))
		if n := len(allReviews(t, db, ann, fpr.ReviewFilter{AuthorID: &ann.ID}, 50)); n != 4 {
			t.Errorf("ann has %d reviews, want 4 (the refused one not written)", n)
		}
	},
	"RateLimit_PerAddress": func(t *testing.T, s *suite) {
		db := s.db(t, nil)
		db.RateLimits = fpr.RateLimits{{Kind: fpr.LimitVote, Subject: fpr.PerAddress, Count: 4, Window: time.Hour}}
		sh := mustShop(t, db)
		r := mustReview(t, db, mustUser(t, db, fpr.RoleMember), sh.product.ID, 4)
		for i := range 4 {
			mustOK(t, fmt.Sprintf("vote %d", i+1), db.SetHelpful(asFrom(mustUser(t, db, fpr.RoleMember), "192.0.2.1"), r.ID, true))
		}
		err := db.SetHelpful(asFrom(mustUser(t, db, fpr.RoleMember), "192.0.2.1"), r.ID, true)
		wantRetryAfter(t, "the 5th vote from one address", err, time.Hour)
		mustOK(t, "a vote from another address", db.SetHelpful(asFrom(mustUser(t, db, fpr.RoleMember), "192.0.2.2"), r.ID, true))
		got, err := db.FindReviewByID(as(nil), r.ID)
		mustOK(t, "FindReviewByID", err)
		if got.HelpfulCount != 5 {
			t.Errorf("helpful count = %d, want 5 (the refused vote not counted)", got.HelpfulCount)
		}
	},
	"RateLimit_ConcurrentExact": func(t *testing.T, s *suite) {
		// Twenty votes at once by one account with a limit of 8: exactly
		// 8 are accepted, whatever the interleaving.
		db := s.db(t, nil)
		db.RateLimits = fpr.RateLimits{{Kind: fpr.LimitVote, Subject: fpr.PerAccount, Count: 8, Window: time.Hour}}
		sh := mustShop(t, db)
		voter := mustUser(t, db, fpr.RoleMember)
		var reviews []*fpr.Review
		for range 20 {
			reviews = append(reviews, mustReview(t, db, mustUser(t, db, fpr.RoleMember), sh.product.ID, 4))
		}
		var ok, limited atomic.Int64
		var wg sync.WaitGroup
		for _, r := range reviews {
			wg.Go(func() {
				for {
					err := db.SetHelpful(as(voter), r.ID, true)
					switch fpr.ErrorCode(err) {
					case "":
						ok.Add(1)
					case fpr.CodeRateLimited:
						limited.Add(1)
					case fpr.CodeUnavailable:
						continue // contention the caller may retry
					default:
						t.Error(err)
					}
					return
				}
			})
		}
		wg.Wait()
		if ok.Load() != 8 || limited.Load() != 12 {
			t.Errorf("accepted %d, limited %d; want 8 and 12", ok.Load(), limited.Load())
		}
	},
	"RateLimit_SharedByTwoInstances": func(t *testing.T, s *suite) {
		// Two store handles on one database, as two instances: the
		// count is one.
		url := FreshURL(t, s.backend)
		a, b := OpenURL(t, url), OpenURL(t, url)
		limits := fpr.RateLimits{{Kind: fpr.LimitRegister, Subject: fpr.PerAddress, Count: 3, Window: time.Hour}}
		a.RateLimits, b.RateLimits = limits, limits
		ctx := fpr.NewContextWithClient(context.Background(), fpr.Client{Address: "203.0.113.5"})
		for i, db := range []*store.DB{a, b, a} {
			mustOK(t, fmt.Sprintf("registration %d", i+1), db.CreateUser(ctx, &fpr.User{Email: fmt.Sprintf("r%d@x.test", i), DisplayName: "R"}, "h"))
		}
		for _, db := range []*store.DB{a, b} {
			wantCode(t, "the 4th registration on either instance", db.CreateUser(ctx, &fpr.User{Email: "r9@x.test", DisplayName: "R"}, "h"), fpr.CodeRateLimited)
			wantCode(t, "RateLimitReached", db.RateLimitReached(ctx, fpr.LimitRegister), fpr.CodeRateLimited)
		}
		if _, err := a.FindUserByEmail(ctx, "r9@x.test"); fpr.ErrorCode(err) != fpr.CodeNotFound {
			t.Errorf("the refused registration exists: %v", err)
		}
	},
	"RateLimit_PeekCountsNothingAndCleanup": func(t *testing.T, s *suite) {
		clk := NewClock(start)
		db := s.db(t, clk)
		db.RateLimits = fpr.RateLimits{{Kind: fpr.LimitMail, Subject: fpr.PerAccount, Count: 2, Window: time.Hour},
			{Kind: fpr.LimitMail, Subject: fpr.PerAddress, Count: 2, Window: time.Hour}}
		u := mustUser(t, db, fpr.RoleMember)
		ctx := asFrom(u, "192.0.2.8")
		for range 5 {
			mustOK(t, "RateLimitReached", db.RateLimitReached(ctx, fpr.LimitMail))
		}
		mustOK(t, "mail 1", db.RateLimit(ctx, fpr.LimitMail))
		mustOK(t, "mail 2", db.RateLimitFor(fpr.NewContextWithClient(context.Background(), fpr.Client{Address: "192.0.2.8"}), fpr.LimitMail, u.ID))
		wantCode(t, "RateLimitReached at the limit", db.RateLimitReached(ctx, fpr.LimitMail), fpr.CodeRateLimited)
		wantCode(t, "mail 3", db.RateLimit(ctx, fpr.LimitMail), fpr.CodeRateLimited)
		// The address alone is at its limit too.
		wantCode(t, "mail 3 for another account, same address", db.RateLimit(asFrom(mustUser(t, db, fpr.RoleMember), "192.0.2.8"), fpr.LimitMail), fpr.CodeRateLimited)
		clk.Advance(2 * time.Hour)
		n, err := db.DeleteStaleRateCounts(context.Background(), time.Hour)
		mustOK(t, "DeleteStaleRateCounts", err)
		if n != 2 {
			t.Errorf("DeleteStaleRateCounts = %d, want 2 (account and address)", n)
		}
		mustOK(t, "a mail after the window", db.RateLimit(ctx, fpr.LimitMail))
	},
	"Audit_RecordsStaffActions": func(t *testing.T, s *suite) {
		// A clock a millisecond on after each action, so newest first has
		// one order (IDs order only to the millisecond).
		clk := NewClock(start)
		db := s.db(t, clk)
		tick := func() { clk.Advance(time.Millisecond) }
		sh := mustShop(t, db)
		admin, mod, ann := mustUser(t, db, fpr.RoleAdmin), mustUser(t, db, fpr.RoleModerator), mustUser(t, db, fpr.RoleMember)
		const addr = "198.51.100.20"
		r1 := mustReview(t, db, ann, sh.product.ID, 2)
		_, err := db.ModerateReview(asFrom(mod, addr), r1.ID, fpr.ActionReject, " Spam. ", "")
		mustOK(t, "ModerateReview", err)
		tick()
		_, err = db.SetUserRole(asFrom(admin, addr), ann.ID, fpr.RoleProducer)
		mustOK(t, "SetUserRole", err)
		tick()
		mustOK(t, "DeleteReview by a moderator", db.DeleteReview(asFrom(mod, addr), r1.ID))
		tick()
		name := "Renamed by admin"
		_, err = db.UpdateFarm(asFrom(admin, addr), sh.farm.ID, fpr.FarmUpdate{Name: &name})
		mustOK(t, "UpdateFarm by admin", err)
		tick()
		// Owners changing their own things are not staff actions.
		desc := "Own words."
		_, err = db.UpdateFarm(asFrom(sh.producer, addr), sh.farm.ID, fpr.FarmUpdate{Description: &desc})
		mustOK(t, "UpdateFarm by owner", err)
		r2 := mustReview(t, db, mod, sh.product.ID, 5)
		mustOK(t, "DeleteReview by its author (a moderator)", db.DeleteReview(asFrom(mod, addr), r2.ID))

		all, _, err := db.FindAuditEntries(as(admin), fpr.AuditFilter{})
		mustOK(t, "FindAuditEntries", err)
		var got []string
		for _, e := range all {
			got = append(got, string(e.Action)+" "+e.Target)
			if e.Address != addr || e.Actor == nil || e.CreatedAt.IsZero() {
				t.Errorf("entry %+v: want address %s, an actor and a time", e, addr)
			}
		}
		want := []string{"farm.update farm:" + sh.farm.ID, "review.delete review:" + r1.ID, "user.role user:" + ann.ID, "review.moderate review:" + r1.ID}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("audit log, newest first = %q, want %q", got, want)
		}
		role, _, err := db.FindAuditEntries(as(admin), fpr.AuditFilter{Action: "user.role"})
		mustOK(t, "FindAuditEntries(action)", err)
		if len(role) != 1 || role[0].Actor.ID != admin.ID || role[0].Actor.DisplayName != admin.DisplayName ||
			role[0].Details["from"] != "member" || role[0].Details["to"] != "producer" {
			t.Errorf("user.role entries = %+v", role)
		}
		mod1, _, err := db.FindAuditEntries(as(admin), fpr.AuditFilter{Actor: mod.ID, Target: "review:" + r1.ID})
		mustOK(t, "FindAuditEntries(actor, target)", err)
		if len(mod1) != 2 || mod1[1].Details["action"] != "reject" || mod1[1].Details["note"] != "Spam." {
			t.Errorf("the moderator's entries on r1 = %+v", mod1)
		}
		// Pages of one, newest first, cover the log exactly once.
		var paged []string
		cursor := ""
		for range 10 {
			page, next, err := db.FindAuditEntries(as(admin), fpr.AuditFilter{Page: fpr.Page{Limit: 1, Cursor: cursor}})
			mustOK(t, "FindAuditEntries(page)", err)
			for _, e := range page {
				paged = append(paged, e.ID)
			}
			if cursor = next; next == "" {
				break
			}
		}
		if len(paged) != len(all) {
			t.Errorf("paging gave %d entries, want %d", len(paged), len(all))
		}
		_, _, err = db.FindAuditEntries(as(mod), fpr.AuditFilter{})
		wantCode(t, "FindAuditEntries as a moderator", err, fpr.CodeForbidden)
		_, _, err = db.FindAuditEntries(as(nil), fpr.AuditFilter{})
		wantCode(t, "FindAuditEntries anonymous", err, fpr.CodeUnauthenticated)
		for _, f := range []fpr.AuditFilter{{Target: "review"}, {Target: "review:a b"}, {Action: "DROP TABLE"}, {Actor: "a'b"}, {Page: fpr.Page{Cursor: "junk"}}} {
			_, _, err = db.FindAuditEntries(as(admin), f)
			wantCode(t, fmt.Sprintf("FindAuditEntries(%+v)", f), err, fpr.CodeValidationFailed)
		}
	},
	"Audit_SameTransaction": func(t *testing.T, s *suite) {
		// An action that fails records nothing; an audit entry that cannot
		// be written undoes its action.
		db := s.db(t, nil)
		admin, ann := mustUser(t, db, fpr.RoleAdmin), mustUser(t, db, fpr.RoleMember)
		_, err := db.SetUserRole(as(admin), "nobody", fpr.RoleModerator)
		wantCode(t, "SetUserRole(unknown user)", err, fpr.CodeNotFound)
		_, err = db.ModerateReview(as(admin), "missing", fpr.ActionRemove, "", "")
		wantCode(t, "ModerateReview(missing)", err, fpr.CodeNotFound)
		if all, _, _ := db.FindAuditEntries(as(admin), fpr.AuditFilter{}); len(all) != 0 {
			t.Fatalf("failed actions wrote %d audit entries, want 0", len(all))
		}
		failAuditWrites(t, db, s.backend)
		_, err = db.SetUserRole(as(admin), ann.ID, fpr.RoleModerator)
		if err == nil {
			t.Fatal("SetUserRole succeeded although its audit entry could not be written")
		}
		u, err := db.FindUserByID(context.Background(), ann.ID)
		mustOK(t, "FindUserByID", err)
		if u.Role != fpr.RoleMember {
			t.Errorf("role after a failed audit write = %s, want member (the change undone)", u.Role)
		}
	},
	"Edit_PreModerationWaitsAgain": func(t *testing.T, s *suite) {
		// Issue 10: under pre-moderation an approved review edited to spam
		// stayed published with the new text.
		db := s.db(t, nil)
		db.Moderation = fpr.ModerationPre
		sh := mustShop(t, db)
		author, mod := mustUser(t, db, fpr.RoleMember), mustUser(t, db, fpr.RoleModerator)
		r := mustReview(t, db, author, sh.product.ID, 5)
		_, err := db.ModerateReview(as(mod), r.ID, fpr.ActionPublish, "", "")
		mustOK(t, "ModerateReview(publish)", err)
		if got := checkSummary(t, db, sh.product.ID); got.Count != 1 {
			t.Fatalf("summary after approval = %+v", got)
		}
		spam := "BUY CHEAP PILLS"
		got, err := db.UpdateReview(as(author), r.ID, fpr.ReviewUpdate{Body: &spam})
		mustOK(t, "UpdateReview", err)
		if got.Status != fpr.StatusPending {
			t.Errorf("status after the edit = %s, want pending", got.Status)
		}
		_, err = db.FindReviewByID(as(nil), r.ID)
		wantCode(t, "FindReviewByID(anonymous) after the edit", err, fpr.CodeNotFound)
		if got := checkSummary(t, db, sh.product.ID); got.Count != 0 {
			t.Errorf("summary after the edit = %+v, want the review out of it", got)
		}
		q, _, err := db.FindModerationQueue(as(mod), fpr.ModerationFilter{Status: "pending"})
		mustOK(t, "FindModerationQueue", err)
		if len(q) != 1 || q[0].Review.Body != spam {
			t.Errorf("pending queue = %+v, want the edited review", q)
		}
	},
}

// failAuditWrites makes every INSERT into audit_log fail, as a database
// that refuses that one write would.
func failAuditWrites(t *testing.T, db *store.DB, backend string) {
	t.Helper()
	stmts := []string{`CREATE TRIGGER audit_down BEFORE INSERT ON audit_log BEGIN SELECT RAISE(ABORT, 'audit log down'); END`}
	if backend == Postgres {
		stmts = []string{
			`CREATE FUNCTION audit_down() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'audit log down'; END $$ LANGUAGE plpgsql`,
			`CREATE TRIGGER audit_down BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_down()`,
		}
	}
	tx, err := db.BeginTx(context.Background(), true)
	mustOK(t, "BeginTx", err)
	defer func() { _ = tx.Rollback() }()
	for _, q := range stmts {
		_, err := tx.ExecContext(context.Background(), q)
		mustOK(t, q, err)
	}
	mustOK(t, "Commit", tx.Commit())
}
