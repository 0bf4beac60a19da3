package store_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/fpr-team/fpr"
	"github.com/fpr-team/fpr/internal/store"
	"github.com/fpr-team/fpr/internal/storetest"
)

// openClocked opens a fresh database of backend whose clock the test sets.
func openClocked(t *testing.T, backend string, mode fpr.ModerationMode) (*store.DB, *storetest.Clock) {
	t.Helper()
	db := storetest.OpenDB(t, backend)
	clock := storetest.NewClock(time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC))
	db.Now, db.Moderation = clock.Now, mode
	return db, clock
}

// mustUnverified creates a member whose e-mail is not verified and returns
// them with the token of their verification mail, read from the outbox as
// the mail worker reads it.
func mustUnverified(t *testing.T, db *store.DB) (*fpr.User, string) {
	t.Helper()
	n := seq.Add(1)
	u := &fpr.User{Email: fmt.Sprintf("unverified%d@example.test", n), DisplayName: "Unverified"}
	if err := db.CreateUser(context.Background(), u, "x"); err != nil {
		t.Fatal(err)
	}
	return u, mustMailToken(t, db, u.Email, fpr.MailVerifyEmail)
}

// mustMailToken claims the outbox's due mail and returns the token of the
// one of kind to email.
func mustMailToken(t *testing.T, db *store.DB, email string, kind fpr.MailKind) string {
	t.Helper()
	mails, err := db.ClaimMail(context.Background(), "test", time.Minute, 100, fpr.MailMaxAttempts)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range mails {
		if m.To == email && m.Kind == kind && m.Data["token"] != "" {
			return m.Data["token"]
		}
	}
	t.Fatalf("no %s mail to %s in the outbox (%d due)", kind, email, len(mails))
	return ""
}

func TestVerifyEmail_ReleasesHeldReviews(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, backend string) {
		for _, mode := range []fpr.ModerationMode{fpr.ModerationPost, fpr.ModerationPre} {
			t.Run(string(mode), func(t *testing.T) {
				db, _ := openClocked(t, backend, mode)
				owner := MustUser(t, db, fpr.RoleProducer)
				product := MustProduct(t, db, owner)
				u, token := mustUnverified(t, db)
				held := MustReview(t, db, u, product, 3)
				if held.Status != fpr.StatusPending {
					t.Fatalf("review by an unverified member = %s, want pending", held.Status)
				}
				MustReview(t, db, MustUser(t, db, fpr.RoleMember), product, 5)
				checkSummary(t, db, product, "before verification")
				if err := db.VerifyEmail(context.Background(), fpr.TokenHash(token)); err != nil {
					t.Fatal(err)
				}
				checkSummary(t, db, product, "after verification")
				got, err := db.FindReviewByID(as(u), held.ID)
				if err != nil {
					t.Fatal(err)
				}
				if want := fpr.ReviewStatusOnVerified(mode); got.Status != want {
					t.Errorf("held review after verification = %s, want %s", got.Status, want)
				}
				if v, err := db.FindUserByID(context.Background(), u.ID); err != nil || !v.EmailVerified {
					t.Errorf("user after verification = %+v, %v; want verified", v, err)
				}
				// Single use.
				if err := db.VerifyEmail(context.Background(), fpr.TokenHash(token)); fpr.ErrorCode(err) != fpr.CodeValidationFailed {
					t.Errorf("second use of the token = %v, want validation_failed", err)
				}
			})
		}
	})
}

// A review held for verification that a moderator meanwhile decided on
// keeps the moderator's decision when the e-mail is verified.
func TestVerifyEmail_ModeratorDecisionStands(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, backend string) {
		db, _ := openClocked(t, backend, fpr.ModerationPost)
		product := MustProduct(t, db, MustUser(t, db, fpr.RoleProducer))
		u, token := mustUnverified(t, db)
		r := MustReview(t, db, u, product, 1)
		if _, err := db.ModerateReview(as(MustUser(t, db, fpr.RoleModerator)), r.ID, fpr.ActionReject, "spam", ""); err != nil {
			t.Fatal(err)
		}
		if err := db.VerifyEmail(context.Background(), fpr.TokenHash(token)); err != nil {
			t.Fatal(err)
		}
		got, err := db.FindReviewByID(as(u), r.ID)
		if err != nil || got.Status != fpr.StatusRejected {
			t.Errorf("rejected review after verification = %+v, %v; want rejected", got, err)
		}
		checkSummary(t, db, product, "after verification")
	})
}

func TestVerifyEmail_ExpiresAfter24Hours(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, backend string) {
		db, clock := openClocked(t, backend, fpr.ModerationPost)
		_, token := mustUnverified(t, db)
		clock.Advance(fpr.VerifyTokenTTL)
		if err := db.VerifyEmail(context.Background(), fpr.TokenHash(token)); fpr.ErrorCode(err) != fpr.CodeValidationFailed {
			t.Errorf("token at 24 h = %v, want validation_failed", err)
		}
	})
}

// Two requests with one token at once: exactly one wins.
func TestVerifyEmail_ConcurrentUseOnce(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, backend string) {
		db, _ := openClocked(t, backend, fpr.ModerationPost)
		_, token := mustUnverified(t, db)
		const n = 8
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() { errs[i] = db.VerifyEmail(context.Background(), fpr.TokenHash(token)) })
		}
		wg.Wait()
		ok := 0
		for _, err := range errs {
			switch fpr.ErrorCode(err) {
			case "":
				ok++
			case fpr.CodeValidationFailed, fpr.CodeUnavailable:
			default:
				t.Errorf("concurrent verify: %v", err)
			}
		}
		if ok != 1 {
			t.Errorf("%d of %d concurrent uses of one token succeeded, want 1", ok, n)
		}
	})
}

func TestPasswordReset_Store(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, backend string) {
		db, clock := openClocked(t, backend, fpr.ModerationPost)
		u := MustUser(t, db, fpr.RoleMember)
		if _, err := db.CreateSession(context.Background(), "session-hash-"+u.ID, u.ID, fpr.SessionAPI, time.Hour); err != nil {
			t.Fatal(err)
		}
		token, hash := fpr.NewToken()
		if err := db.RequestPasswordReset(context.Background(), u.Email, token, hash); err != nil {
			t.Fatal(err)
		}
		// An unknown address writes nothing.
		other, otherHash := fpr.NewToken()
		if err := db.RequestPasswordReset(context.Background(), "nobody@example.test", other, otherHash); err != nil {
			t.Fatal(err)
		}
		if _, err := db.FindResetTokenUser(context.Background(), otherHash); fpr.ErrorCode(err) != fpr.CodeValidationFailed {
			t.Errorf("token for an unknown address = %v, want none stored", err)
		}
		if got := mustMailToken(t, db, u.Email, fpr.MailPasswordReset); got != token {
			t.Errorf("mailed token = %q, want %q", got, token)
		}
		if found, err := db.FindResetTokenUser(context.Background(), hash); err != nil || found.ID != u.ID {
			t.Fatalf("FindResetTokenUser = %v, %v", found, err)
		}
		clock.Advance(fpr.ResetTokenTTL - time.Second)
		if _, err := db.ResetPassword(context.Background(), hash, "new-hash"); err != nil {
			t.Fatal(err)
		}
		if _, _, err := db.FindSession(context.Background(), "session-hash-"+u.ID); fpr.ErrorCode(err) != fpr.CodeNotFound {
			t.Errorf("session after reset = %v, want gone", err)
		}
		if _, h, err := db.FindUserCredentials(context.Background(), u.Email); err != nil || h != "new-hash" {
			t.Errorf("password hash after reset = %q, %v", h, err)
		}
		if _, err := db.ResetPassword(context.Background(), hash, "third-hash"); fpr.ErrorCode(err) != fpr.CodeValidationFailed {
			t.Errorf("second use = %v, want validation_failed", err)
		}
		// A reset link expires after an hour.
		token2, hash2 := fpr.NewToken()
		if err := db.RequestPasswordReset(context.Background(), u.Email, token2, hash2); err != nil {
			t.Fatal(err)
		}
		clock.Advance(fpr.ResetTokenTTL)
		if _, err := db.ResetPassword(context.Background(), hash2, "late-hash"); fpr.ErrorCode(err) != fpr.CodeValidationFailed {
			t.Errorf("reset after an hour = %v, want validation_failed", err)
		}
	})
}

// Notifications are written in the transaction of their cause: a review
// that fails (a second one by the same author) leaves no mail behind.
func TestNotify_RolledBackWithItsCause(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, backend string) {
		db, _ := openClocked(t, backend, fpr.ModerationPost)
		owner := MustUser(t, db, fpr.RoleProducer)
		product := MustProduct(t, db, owner)
		u := MustUser(t, db, fpr.RoleMember)
		MustReview(t, db, u, product, 4)
		err := db.CreateReview(as(u), &fpr.Review{ProductID: product, Rating: 2, Body: "Again."})
		if fpr.ErrorCode(err) != fpr.CodeConflict {
			t.Fatalf("second review = %v, want conflict", err)
		}
		counts, err := db.CountMail(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if counts[fpr.MailPending] != 1 {
			t.Errorf("outbox = %v, want the first review's one mail", counts)
		}
	})
}
