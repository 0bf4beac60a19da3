package storetest

import (
	"context"
	"fmt"
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
		// ones wait in one mail due when the interval ends, which counts
		// them and names the newest.
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
		claimAll(t, db)
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
		if waiting.Data["count"] != "2" || waiting.Data["review_id"] != third.ID || waiting.Data["product_id"] != other.ID ||
			waiting.Data["product_name"] != "Perry pears" || waiting.Data["rating"] != "5" || waiting.To != sh.producer.Email {
			t.Errorf("waiting mail = %+v, want count 2 naming the third review (%s, not %s)", waiting.Data, third.ID, second.ID)
		}
		// Nothing is due before the interval ends; then it is, once.
		if got := claimAll(t, db); len(got) != 0 {
			t.Errorf("claimed %d mails before the interval ended", len(got))
		}
		clock.Advance(fpr.ReviewMailInterval)
		if got := claimAll(t, db); len(got) != 1 || got[0].ID != waiting.ID || got[0].Data["count"] != "2" {
			t.Fatalf("claimed %+v at the interval's end, want the waiting mail", got)
		}
		// A review after a quiet spell is mailed at once again.
		clock.Advance(fpr.ReviewMailInterval)
		mustReview(t, db, mustUser(t, db, fpr.RoleMember), other.ID, 3)
		mails = reviewMails(t, db, admin, sh.producer)
		if len(mails) != 3 || !mails[0].NextAttemptAt.Equal(clock.Now()) || mails[0].Data["count"] != "1" {
			t.Errorf("after a quiet spell: %+v, want a new mail due now", mails[0])
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
		mustReview(t, db, mustUser(t, db, fpr.RoleMember), sh.product.ID, 4)
		held, err := db.ClaimMail(context.Background(), "test", time.Hour, 100, fpr.MailMaxAttempts)
		mustOK(t, "ClaimMail", err)
		if len(held) != 1 {
			t.Fatalf("claimed %d mails, want 1", len(held))
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
	},
	"ReviewMails_SwitchedOffOrProbeMailsNothing": func(t *testing.T, s *suite) {
		db := s.db(t, nil)
		admin := mustUser(t, db, fpr.RoleAdmin)
		sh := mustShop(t, db)
		switchTo := func(on bool) {
			t.Helper()
			mustOK(t, "SetNotifications", db.SetNotifications(context.Background(), sh.producer.ID,
				[]fpr.NotificationSetting{{Topic: fpr.TopicReviewReceived, Enabled: on}}))
		}
		switchTo(false)
		mustReview(t, db, mustUser(t, db, fpr.RoleMember), sh.product.ID, 4)
		if mails := reviewMails(t, db, admin, sh.producer); len(mails) != 0 {
			t.Errorf("switched off: %d mails", len(mails))
		}
		switchTo(true)
		mustReview(t, db, mustUser(t, db, fpr.RoleMember), sh.product.ID, 4)
		// The probe's review neither joins the waiting mail nor writes one.
		probe := &fpr.User{Email: fmt.Sprintf("probe%d@example.test", seq.Add(1)), DisplayName: "Probe", Probe: true}
		mustOK(t, "CreateUser(probe)", db.CreateUser(context.Background(), probe, "hash"))
		mustReview(t, db, probe, sh.product.ID, 1)
		// Switched off again while a mail waits: later reviews do not
		// join it (the waiting mail, written before, still goes out).
		switchTo(false)
		mustReview(t, db, mustUser(t, db, fpr.RoleMember), sh.product.ID, 4)
		if mails := reviewMails(t, db, admin, sh.producer); len(mails) != 1 || mails[0].Data["count"] != "1" {
			t.Errorf("after a probe's review and a review switched off, with a mail waiting: %+v, want it alone and counting 1", mails)
		}
	},
	"ReviewMails_ConcurrentReviewsAllCounted": func(t *testing.T, s *suite) {
		// Reviews of one producer's products at once: every one is
		// counted in a mail, none twice, none lost. The products are on
		// two farms of the producer, whose reviews do not wait for each
		// other's farm lock on PostgreSQL, so they race for the waiting
		// mail: its update is checked again under the row's lock.
		clock := NewClock(start)
		db := s.db(t, clock)
		admin := mustUser(t, db, fpr.RoleAdmin)
		sh := mustShop(t, db)
		second := mustFarm(t, db, sh.producer, "Second farm "+sh.producer.ID[len(sh.producer.ID)-4:])
		var products []*fpr.Product
		for i := range 4 {
			farm := sh.farm
			if i%2 == 1 {
				farm = second
			}
			products = append(products, mustProduct(t, db, sh.producer, farm, fmt.Sprintf("Apples %d", i), "fruit", "Crisp."))
		}
		mustReview(t, db, mustUser(t, db, fpr.RoleMember), sh.product.ID, 3) // mailed at once
		const n = 16
		authors := make([]*fpr.User, n)
		for i := range authors {
			authors[i] = mustUser(t, db, fpr.RoleMember)
		}
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for i, a := range authors {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := &fpr.Review{ProductID: products[i%len(products)].ID, Rating: 1 + i%5, Title: "T", Body: "Body."}
				errs <- db.CreateReview(as(a), r)
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			mustOK(t, "CreateReview", err)
		}
		total := 0
		for _, m := range reviewMails(t, db, admin, sh.producer) {
			var c int
			if _, err := fmt.Sscan(m.Data["count"], &c); err != nil {
				t.Fatalf("mail %s count %q", m.ID, m.Data["count"])
			}
			total += c
		}
		if total != n+1 {
			t.Errorf("the mails count %d reviews, want %d", total, n+1)
		}
	},
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
