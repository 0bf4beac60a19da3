package storetest

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/fpr-team/fpr"
	"github.com/fpr-team/fpr/internal/store"
)

// reviewMails returns the new-review mails to u in the outbox, newest
// first, read by admin.
func reviewMails(t *testing.T, db *store.DB, admin, u *fpr.User) []*fpr.Mail {
	t.Helper()
	mails, _, err := db.FindMail(as(admin), fpr.MailFilter{Page: fpr.Page{Limit: fpr.MaxLimit}})
	mustOK(t, "FindMail", err)
	var out []*fpr.Mail
	for _, m := range mails {
		if m.Kind == fpr.MailReviewReceived && m.UserID == u.ID {
			out = append(out, m)
		}
	}
	return out
}

var notifyTests = map[string]func(t *testing.T, s *suite){
	"ReviewMails_OneEachIntervalTellingOfAll": func(t *testing.T, s *suite) {
		// A producer's new-review mails (fpr.ReviewMailInterval): the
		// first review after a quiet spell is mailed at once; the next
		// ones wait in one mail due when the interval ends, which, when
		// it goes out, counts them and names the newest.
		clock := NewClock(start)
		db := s.db(t, clock)
		admin := mustUser(t, db, fpr.RoleAdmin)
		sh := mustShop(t, db)
		other := mustProduct(t, db, sh.producer, sh.farm, "Perry pears", "fruit", "Sweet.")

		first := mustReview(t, db, mustUser(t, db, fpr.RoleMember), sh.product.ID, 4)
		mails := reviewMails(t, db, admin, sh.producer)
		if len(mails) != 1 || !mails[0].NextAttemptAt.Equal(start) || mails[0].Data["count"] != "1" ||
			mails[0].Data["review_id"] != first.ID || mails[0].Data["unsubscribe_token"] == "" {
			t.Fatalf("after the first review: %+v, want one mail due now, count 1, naming it", mails)
		}
		// The worker sends it: the next review waits for the interval.
		if got := claimReviewMails(t, db); len(got) != 1 || got[0].Data["count"] != "1" || got[0].Data["review_id"] != first.ID {
			t.Fatalf("claimed %+v, want the first review's mail, counting 1", got)
		}
		clock.Advance(time.Minute)
		second := mustReview(t, db, mustUser(t, db, fpr.RoleMember), sh.product.ID, 2)
		clock.Advance(time.Minute)
		third := mustReview(t, db, mustUser(t, db, fpr.RoleMember), other.ID, 5)
		mails = reviewMails(t, db, admin, sh.producer)
		if len(mails) != 2 {
			t.Fatalf("after three reviews: %d mails, want 2 (the sent one and one waiting)", len(mails))
		}
		waiting := mails[0]
		if want := start.Add(fpr.ReviewMailInterval); !waiting.NextAttemptAt.Equal(want) {
			t.Errorf("waiting mail due %v, want %v (the interval after the first)", waiting.NextAttemptAt, want)
		}
		if waiting.Data["review_id"] != second.ID {
			t.Errorf("waiting mail = %+v, want it written by the second review", waiting.Data)
		}
		// Nothing is due before the interval ends; then it is, once,
		// counting both reviews and naming the newest.
		if got := claimReviewMails(t, db); len(got) != 0 {
			t.Errorf("claimed %d mails before the interval ended", len(got))
		}
		clock.Advance(fpr.ReviewMailInterval)
		got, err := db.ClaimMail(context.Background(), "test", time.Minute, 100, fpr.MailMaxAttempts)
		mustOK(t, "ClaimMail", err)
		if len(got) != 1 || got[0].ID != waiting.ID {
			t.Fatalf("claimed %+v at the interval's end, want the waiting mail", got)
		}
		want := map[string]string{"count": "2", "review_id": third.ID, "product_id": other.ID, "product_name": "Perry pears", "rating": "5",
			"unsubscribe_token": waiting.Data["unsubscribe_token"]}
		for k, v := range want {
			if got[0].Data[k] != v {
				t.Errorf("claimed mail's %s = %q, want %q (count 2 naming the third review, %s, not %s)", k, got[0].Data[k], v, third.ID, second.ID)
			}
		}
		if got[0].To != sh.producer.Email {
			t.Errorf("claimed mail to %q, want %q", got[0].To, sh.producer.Email)
		}
		// The outbox keeps what the mail says until it is sent.
		if mails := reviewMails(t, db, admin, sh.producer); mails[0].Data["count"] != "2" || mails[0].Data["review_id"] != third.ID {
			t.Errorf("the claimed mail in the outbox = %+v, want its data filled in", mails[0].Data)
		}
		mustOK(t, "MarkMailSent", db.MarkMailSent(context.Background(), got[0].ID))
		// A review after a quiet spell is mailed at once again, telling
		// of itself alone.
		clock.Advance(fpr.ReviewMailInterval)
		fourth := mustReview(t, db, mustUser(t, db, fpr.RoleMember), other.ID, 3)
		mails = reviewMails(t, db, admin, sh.producer)
		if len(mails) != 3 || !mails[0].NextAttemptAt.Equal(clock.Now()) || mails[0].Data["count"] != "1" {
			t.Errorf("after a quiet spell: %+v, want a new mail due now", mails[0])
		}
		if got := claimReviewMails(t, db); len(got) != 1 || got[0].Data["count"] != "1" || got[0].Data["review_id"] != fourth.ID {
			t.Errorf("claimed %+v after a quiet spell, want one mail counting the fourth review alone", got)
		}
	},
	"ReviewMails_ClaimedMailIsNotJoined": func(t *testing.T, s *suite) {
		// A mail the worker holds is being sent: a review then gets a
		// mail of its own, due the interval after it, and the mail being
		// sent is left as it was.
		clock := NewClock(start)
		db := s.db(t, clock)
		admin := mustUser(t, db, fpr.RoleAdmin)
		sh := mustShop(t, db)
		first := mustReview(t, db, mustUser(t, db, fpr.RoleMember), sh.product.ID, 4)
		held, err := db.ClaimMail(context.Background(), "test", time.Hour, 100, fpr.MailMaxAttempts)
		mustOK(t, "ClaimMail", err)
		if len(held) != 1 || held[0].Data["count"] != "1" || held[0].Data["review_id"] != first.ID {
			t.Fatalf("claimed %+v, want 1 mail counting the first review", held)
		}
		clock.Advance(time.Minute)
		r := mustReview(t, db, mustUser(t, db, fpr.RoleMember), sh.product.ID, 1)
		mails := reviewMails(t, db, admin, sh.producer)
		if len(mails) != 2 || mails[0].Data["review_id"] != r.ID || mails[0].Data["count"] != "1" || mails[0].Attempts != 0 ||
			!mails[0].NextAttemptAt.Equal(start.Add(fpr.ReviewMailInterval)) {
			t.Fatalf("after a review while the first mail is claimed: %+v", mails[0])
		}
		if mails[1].ID != held[0].ID || mails[1].Data["count"] != "1" || mails[1].Data["review_id"] == r.ID {
			t.Errorf("the claimed mail changed: %+v", mails[1].Data)
		}
		// The new mail tells of the new review only: the first was told
		// of by the mail being sent.
		clock.Advance(fpr.ReviewMailInterval)
		if got := claimReviewMails(t, db); len(got) != 1 || got[0].ID != mails[0].ID || got[0].Data["count"] != "1" || got[0].Data["review_id"] != r.ID {
			t.Errorf("claimed %+v, want the second mail, counting its own review alone", got)
		}
	},
	"ReviewMails_SwitchedOffOrProbeMailsNothing": func(t *testing.T, s *suite) {
		clock := NewClock(start)
		db := s.db(t, clock)
		admin := mustUser(t, db, fpr.RoleAdmin)
		sh := mustShop(t, db)
		switchTo := func(on bool) {
			t.Helper()
			mustOK(t, "SetNotifications", db.SetNotifications(context.Background(), sh.producer.ID,
				[]fpr.NotificationSetting{{Topic: fpr.TopicReviewReceived, Enabled: on}}))
			clock.Advance(time.Second)
		}
		switchTo(false)
		mustReview(t, db, mustUser(t, db, fpr.RoleMember), sh.product.ID, 4)
		if mails := reviewMails(t, db, admin, sh.producer); len(mails) != 0 {
			t.Errorf("switched off: %d mails", len(mails))
		}
		switchTo(true)
		on := mustReview(t, db, mustUser(t, db, fpr.RoleMember), sh.product.ID, 4)
		clock.Advance(time.Second)
		// The probe's review is neither counted nor writes a mail.
		probe := &fpr.User{Email: fmt.Sprintf("probe%d@example.test", seq.Add(1)), DisplayName: "Probe", Probe: true}
		mustOK(t, "CreateUser(probe)", db.CreateUser(context.Background(), probe, "hash"))
		mustReview(t, db, probe, sh.product.ID, 1)
		// Switched off again while a mail waits: later reviews are not
		// counted (the waiting mail, written before, still goes out).
		switchTo(false)
		mustReview(t, db, mustUser(t, db, fpr.RoleMember), sh.product.ID, 4)
		if mails := reviewMails(t, db, admin, sh.producer); len(mails) != 1 || mails[0].Data["count"] != "1" {
			t.Errorf("after a probe's review and a review switched off, with a mail waiting: %+v, want it alone", mails)
		}
		if got := claimReviewMails(t, db); len(got) != 1 || got[0].Data["count"] != "1" || got[0].Data["review_id"] != on.ID {
			t.Errorf("claimed %+v, want the waiting mail counting the one review written while switched on", got)
		}
	},
	"ReviewMails_SwitchedOffWhileWaiting": func(t *testing.T, s *suite) {
		// A producer who switches new-review mail off while a mail waits
		// still gets it, as a mail written before the switch always
		// went out, telling of the reviews written before they switched
		// off; after it, nothing.
		clock := NewClock(start)
		db := s.db(t, clock)
		admin := mustUser(t, db, fpr.RoleAdmin)
		sh := mustShop(t, db)
		mustReview(t, db, mustUser(t, db, fpr.RoleMember), sh.product.ID, 4)
		claimReviewMails(t, db)
		clock.Advance(time.Minute)
		a := mustReview(t, db, mustUser(t, db, fpr.RoleMember), sh.product.ID, 2)
		clock.Advance(time.Minute)
		b := mustReview(t, db, mustUser(t, db, fpr.RoleMember), sh.product.ID, 3)
		clock.Advance(time.Minute)
		mustOK(t, "SetNotifications", db.SetNotifications(context.Background(), sh.producer.ID,
			[]fpr.NotificationSetting{{Topic: fpr.TopicReviewReceived, Enabled: false}}))
		clock.Advance(time.Minute)
		mustReview(t, db, mustUser(t, db, fpr.RoleMember), sh.product.ID, 5)
		clock.Advance(fpr.ReviewMailInterval)
		got := claimReviewMails(t, db)
		if len(got) != 1 || got[0].Data["count"] != "2" || got[0].Data["review_id"] != b.ID {
			t.Fatalf("claimed %+v, want the waiting mail counting the two reviews before the switch (%s, %s)", got, a.ID, b.ID)
		}
		clock.Advance(fpr.ReviewMailInterval)
		mustReview(t, db, mustUser(t, db, fpr.RoleMember), sh.product.ID, 5)
		if mails := reviewMails(t, db, admin, sh.producer); len(mails) != 2 {
			t.Errorf("after the switch: %d mails, want the 2 written before", len(mails))
		}
		if got := claimReviewMails(t, db); len(got) != 0 {
			t.Errorf("claimed %+v after the switch, want nothing", got)
		}
	},
	"ReviewMails_RemovedReviewNotCounted": func(t *testing.T, s *suite) {
		// A mail tells of the reviews still published when it goes out:
		// one a moderator removed meanwhile is neither counted nor named.
		clock := NewClock(start)
		db := s.db(t, clock)
		mod := mustUser(t, db, fpr.RoleModerator)
		sh := mustShop(t, db)
		mustReview(t, db, mustUser(t, db, fpr.RoleMember), sh.product.ID, 4)
		claimReviewMails(t, db)
		var rs []*fpr.Review
		for i := range 3 {
			clock.Advance(time.Minute)
			rs = append(rs, mustReview(t, db, mustUser(t, db, fpr.RoleMember), sh.product.ID, 1+i))
		}
		_, err := db.ModerateReview(as(mod), rs[2].ID, fpr.ActionRemove, "Not about apples.", fpr.FlagOffTopic)
		mustOK(t, "ModerateReview(remove)", err)
		clock.Advance(fpr.ReviewMailInterval)
		got := claimReviewMails(t, db)
		if len(got) != 1 || got[0].Data["count"] != "2" || got[0].Data["review_id"] != rs[1].ID || got[0].Data["rating"] != "2" {
			t.Errorf("claimed %+v, want one mail counting 2 and naming %s (the newest still published), not the removed %s", got, rs[1].ID, rs[2].ID)
		}
	},
	"ReviewMails_AllRemovedNotSent": func(t *testing.T, s *suite) {
		// When a moderator removed every review a waiting mail would
		// tell of, it is not sent: it leaves the outbox, and the next
		// review is mailed as if it had never been written.
		clock := NewClock(start)
		db := s.db(t, clock)
		admin := mustUser(t, db, fpr.RoleAdmin)
		mod := mustUser(t, db, fpr.RoleModerator)
		sh := mustShop(t, db)
		mustReview(t, db, mustUser(t, db, fpr.RoleMember), sh.product.ID, 4)
		sent := claimReviewMails(t, db)
		clock.Advance(time.Minute)
		var rs []*fpr.Review
		for i := range 2 {
			rs = append(rs, mustReview(t, db, mustUser(t, db, fpr.RoleMember), sh.product.ID, 1+i))
		}
		for _, r := range rs {
			_, err := db.ModerateReview(as(mod), r.ID, fpr.ActionRemove, "Spam.", fpr.FlagSpam)
			mustOK(t, "ModerateReview(remove)", err)
		}
		clock.Advance(fpr.ReviewMailInterval)
		if got := claimReviewMails(t, db); len(got) != 0 {
			t.Fatalf("claimed %+v, want nothing: every review it told of was removed", got)
		}
		if mails := reviewMails(t, db, admin, sh.producer); len(mails) != 1 || mails[0].ID != sent[0].ID {
			t.Fatalf("outbox = %+v, want only the mail sent before", mails)
		}
		// The last mail sent is an interval old: the next review is
		// mailed at once, telling of itself alone.
		next := mustReview(t, db, mustUser(t, db, fpr.RoleMember), sh.product.ID, 5)
		mails := reviewMails(t, db, admin, sh.producer)
		if len(mails) != 2 || !mails[0].NextAttemptAt.Equal(clock.Now()) {
			t.Fatalf("after the next review: %+v, want a new mail due now", mails)
		}
		if got := claimReviewMails(t, db); len(got) != 1 || got[0].Data["count"] != "1" || got[0].Data["review_id"] != next.ID {
			t.Errorf("claimed %+v, want one mail counting the next review alone", got)
		}
	},
	"ReviewMails_HeldReviewToldWhenPublished": func(t *testing.T, s *suite) {
		// A review held until its author verifies their e-mail is told
		// of when it is published, in the mail waiting then, though it
		// was written before reviews an earlier mail told of.
		clock := NewClock(start)
		db := s.db(t, clock)
		admin := mustUser(t, db, fpr.RoleAdmin)
		sh := mustShop(t, db)
		dan := mustUnverifiedUser(t, db)
		danToken := verifyToken(t, db, admin, dan) // before the worker sends its mail
		clock.Advance(time.Minute)
		held := mustReview(t, db, dan, sh.product.ID, 2)
		clock.Advance(time.Minute)
		mustReview(t, db, mustUser(t, db, fpr.RoleMember), sh.product.ID, 4)
		if got := claimReviewMails(t, db); len(got) != 1 || got[0].Data["count"] != "1" {
			t.Fatalf("claimed %+v, want one mail counting the published review", got)
		}
		clock.Advance(time.Minute)
		later := mustReview(t, db, mustUser(t, db, fpr.RoleMember), sh.product.ID, 5)
		clock.Advance(time.Minute)
		mustOK(t, "VerifyEmail", db.VerifyEmail(context.Background(), fpr.TokenHash(danToken)))
		clock.Advance(fpr.ReviewMailInterval)
		got := claimReviewMails(t, db)
		if len(got) != 1 || got[0].Data["count"] != "2" || got[0].Data["review_id"] != later.ID {
			t.Errorf("claimed %+v, want one mail counting %s and the held %s, naming the first", got, later.ID, held.ID)
		}
		// Once only: a held review published with no mail waiting gets
		// a mail of its own.
		erin := mustUnverifiedUser(t, db)
		held2 := mustReview(t, db, erin, sh.product.ID, 3)
		clock.Advance(fpr.ReviewMailInterval)
		mustVerify(t, db, admin, erin)
		if got := claimReviewMails(t, db); len(got) != 1 || got[0].Data["count"] != "1" || got[0].Data["review_id"] != held2.ID {
			t.Errorf("claimed %+v, want one mail counting %s alone", got, held2.ID)
		}
	},
	"ReviewMails_ConcurrentReviewsAllCounted": func(t *testing.T, s *suite) {
		// Reviews of one producer's products at once: every one is
		// counted in a mail, none twice, none lost. The products are on
		// two farms of the producer, whose reviews do not wait for each
		// other's farm lock on PostgreSQL, so they race for the waiting
		// mail, which they lock.
		clock := NewClock(start)
		db := s.db(t, clock)
		sh := mustShop(t, db)
		products := twoFarmsOfProducts(t, db, sh)
		mustReview(t, db, mustUser(t, db, fpr.RoleMember), sh.product.ID, 3) // mailed at once
		const n = 16
		authors := make([]*fpr.User, n)
		for i := range authors {
			authors[i] = mustUser(t, db, fpr.RoleMember)
		}
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for i, a := range authors {
			wg.Go(func() {
				r := &fpr.Review{ProductID: products[i%len(products)].ID, Rating: 1 + i%5, Title: "T", Body: "Body."}
				errs <- db.CreateReview(as(a), r)
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			mustOK(t, "CreateReview", err)
		}
		clock.Advance(fpr.ReviewMailInterval)
		if total := countTold(t, claimReviewMails(t, db)); total != n+1 {
			t.Errorf("the mails count %d reviews, want %d", total, n+1)
		}
	},
	"ReviewMails_ConcurrentReviewsAndClaimsEachToldOnce": func(t *testing.T, s *suite) {
		// Reviews of one producer's products at once while a worker
		// claims mail again and again, each round an interval later, so
		// every waiting mail is due: every review is told of in exactly
		// one mail. On PostgreSQL a review and a claim race for the
		// waiting mail, and reviews commit in another order than their
		// IDs.
		clock := NewClock(start)
		db := s.db(t, clock)
		sh := mustShop(t, db)
		products := twoFarmsOfProducts(t, db, sh)
		const n = 48
		authors := make([]*fpr.User, n)
		for i := range authors {
			authors[i] = mustUser(t, db, fpr.RoleMember)
		}
		var (
			mu    sync.Mutex
			told  int
			mails int
		)
		claim := func() error {
			got, err := db.ClaimMail(context.Background(), "test", time.Minute, 100, fpr.MailMaxAttempts)
			if err != nil {
				return err
			}
			var ids []string
			for _, m := range got {
				ids = append(ids, m.ID)
			}
			mu.Lock()
			told += countTold(t, got)
			mails += len(got)
			mu.Unlock()
			return db.MarkMailSent(context.Background(), ids...)
		}
		done := make(chan struct{})
		claimErr := make(chan error, 1)
		go func() {
			defer close(claimErr)
			for {
				select {
				case <-done:
					return
				default:
				}
				clock.Advance(fpr.ReviewMailInterval)
				if err := claim(); err != nil {
					claimErr <- err
					return
				}
			}
		}()
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for i, a := range authors {
			wg.Go(func() {
				r := &fpr.Review{ProductID: products[i%len(products)].ID, Rating: 1 + i%5, Title: "T", Body: "Body."}
				errs <- db.CreateReview(as(a), r)
			})
		}
		wg.Wait()
		close(done)
		mustOK(t, "ClaimMail while reviews were written", <-claimErr)
		close(errs)
		for err := range errs {
			mustOK(t, "CreateReview", err)
		}
		clock.Advance(fpr.ReviewMailInterval)
		mustOK(t, "ClaimMail after", claim())
		if told != n {
			t.Errorf("%d mails told of %d reviews, want %d", mails, told, n)
		}
	},
}

// twoFarmsOfProducts adds a second farm to sh's producer and returns four
// products, two on each farm.
func twoFarmsOfProducts(t *testing.T, db *store.DB, sh shop) []*fpr.Product {
	t.Helper()
	second := mustFarm(t, db, sh.producer, "Second farm "+sh.producer.ID[len(sh.producer.ID)-4:])
	var products []*fpr.Product
	for i := range 4 {
		farm := sh.farm
		if i%2 == 1 {
			farm = second
		}
		products = append(products, mustProduct(t, db, sh.producer, farm, fmt.Sprintf("Apples %d", i), "fruit", "Crisp."))
	}
	return products
}

// verifyToken returns the token of u's verification mail, read from the
// outbox by admin.
func verifyToken(t *testing.T, db *store.DB, admin, u *fpr.User) string {
	t.Helper()
	mails, _, err := db.FindMail(as(admin), fpr.MailFilter{Page: fpr.Page{Limit: fpr.MaxLimit}})
	mustOK(t, "FindMail", err)
	for _, m := range mails {
		if m.Kind == fpr.MailVerifyEmail && m.To == u.Email && m.Data["token"] != "" {
			return m.Data["token"]
		}
	}
	t.Fatalf("no verification mail to %s in the outbox", u.Email)
	return ""
}

// claimReviewMails is claimAll, returning the new-review mails alone.
func claimReviewMails(t *testing.T, db *store.DB) []*fpr.Mail {
	t.Helper()
	var out []*fpr.Mail
	for _, m := range claimAll(t, db) {
		if m.Kind == fpr.MailReviewReceived {
			out = append(out, m)
		}
	}
	return out
}

// countTold sums the counts of new-review mails as claimed (filled in).
func countTold(t *testing.T, mails []*fpr.Mail) int {
	t.Helper()
	total := 0
	for _, m := range mails {
		if m.Kind != fpr.MailReviewReceived {
			continue
		}
		c, err := strconv.Atoi(m.Data["count"])
		if err != nil || c < 1 {
			t.Errorf("mail %s count %q", m.ID, m.Data["count"])
		}
		total += c
	}
	return total
}

// claimAll claims every due mail and records it sent, as a worker would,
// and returns them.
func claimAll(t *testing.T, db *store.DB) []*fpr.Mail {
	t.Helper()
	mails, err := db.ClaimMail(context.Background(), "test", time.Minute, 100, fpr.MailMaxAttempts)
	mustOK(t, "ClaimMail", err)
	var ids []string
	for _, m := range mails {
		ids = append(ids, m.ID)
	}
	mustOK(t, "MarkMailSent", db.MarkMailSent(context.Background(), ids...))
	return mails
}
