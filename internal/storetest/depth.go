package storetest

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fpr-team/fpr"
	"github.com/fpr-team/fpr/internal/store"
)

// The reviews farm products need (SPEC section 8, "Reviews"): purchase
// codes, harvest months, aspects, food-safety reports and edit history,
// on both databases.

// foodSafetyMails returns the food-safety mails in db's outbox, by
// recipient address, read as admin.
func foodSafetyMails(t *testing.T, db *store.DB, admin *fpr.User) map[string][]*fpr.Mail {
	t.Helper()
	out := map[string][]*fpr.Mail{}
	f := fpr.MailFilter{Page: fpr.Page{Limit: fpr.MaxLimit}}
	for pages := 0; ; pages++ {
		if pages > 100 {
			t.Fatal("FindMail paging did not end")
		}
		ms, next, err := db.FindMail(as(admin), f)
		mustOK(t, "FindMail", err)
		for _, m := range ms {
			if m.Kind == fpr.MailFoodSafetyReport {
				out[m.To] = append(out[m.To], m)
			}
		}
		if next == "" {
			return out
		}
		f.Cursor = next
	}
}

// mailCounts renders foodSafetyMails as "address:n" sorted, for messages.
func mailCounts(ms map[string][]*fpr.Mail) string {
	var out []string
	for to, l := range ms {
		out = append(out, fmt.Sprintf("%s:%d", to, len(l)))
	}
	sort.Strings(out)
	return strings.Join(out, " ")
}

// recountAspects compares the product's aspect summary with a recount of
// its public reviews' scores.
func recountAspects(t *testing.T, db *store.DB, productID, when string) {
	t.Helper()
	p, err := db.FindProductByID(context.Background(), productID)
	mustOK(t, "FindProductByID", err)
	want := map[fpr.Aspect]fpr.AspectRating{}
	for _, r := range allReviews(t, db, nil, fpr.ReviewFilter{ProductID: &productID}, fpr.MaxLimit) {
		for a, n := range r.Aspects {
			ar := want[a]
			ar.Count++
			ar.Sum += n
			want[a] = ar
		}
	}
	got := map[fpr.Aspect]fpr.AspectRating{}
	for a, ar := range p.Aspects {
		if ar.Count != 0 {
			got[a] = ar
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("%s: aspect summary %v, recount of the published reviews %v", when, got, want)
	}
	checkSummary(t, db, productID)
}

func wantField(t *testing.T, what string, err error, field, msg string) {
	t.Helper()
	wantCode(t, what, err, fpr.CodeValidationFailed)
	got, ok := fpr.ErrorFields(err)[field]
	if !ok || (msg != "" && got != msg) {
		t.Errorf("%s: fields %v, want %s: %q", what, fpr.ErrorFields(err), field, msg)
	}
}

var depthTests = map[string]func(t *testing.T, s *suite){
	"FoodSafety_MailsProducerAndAdminsOncePerOpenReport": func(t *testing.T, s *suite) {
		db := s.db(t, nil)
		// One flag a day per account, so the test can meet the limit.
		db.RateLimits = fpr.RateLimits{{Kind: fpr.LimitFlag, Subject: fpr.PerAccount, Count: 1, Window: 24 * time.Hour}}
		sh := mustShop(t, db)
		admins := []*fpr.User{mustUser(t, db, fpr.RoleAdmin), mustUser(t, db, fpr.RoleAdmin)}
		probeAdmin := &fpr.User{Email: fmt.Sprintf("probe%d@example.test", seq.Add(1)), DisplayName: "Probe admin", Role: fpr.RoleAdmin, Probe: true, EmailVerified: true}
		mustOK(t, "CreateUser(probe)", db.CreateUser(context.Background(), probeAdmin, "hash"))
		gone := mustUser(t, db, fpr.RoleAdmin)
		mustOK(t, "DeleteAccount", db.DeleteAccount(as(gone), gone.ID))
		mod := mustUser(t, db, fpr.RoleModerator)
		// The producer switched every notification off: a safety mail
		// comes all the same.
		var off []fpr.NotificationSetting
		for _, tp := range fpr.Topics {
			off = append(off, fpr.NotificationSetting{Topic: tp})
		}
		mustOK(t, "SetNotifications(off)", db.SetNotifications(as(sh.producer), sh.producer.ID, off))

		ann := mustUser(t, db, fpr.RoleMember)
		r := mustReview(t, db, ann, sh.product.ID, 2)
		reporters := []*fpr.User{mustUser(t, db, fpr.RoleMember), mustUser(t, db, fpr.RoleMember), mustUser(t, db, fpr.RoleMember)}

		// Refused reports mail nobody.
		wantCode(t, "report without a note", db.FlagReview(as(reporters[0]), &fpr.Flag{ReviewID: r.ID, Reason: fpr.FlagFoodSafety, Note: " \n "}), fpr.CodeValidationFailed)
		wantCode(t, "report of one's own review", db.FlagReview(as(ann), &fpr.Flag{ReviewID: r.ID, Reason: fpr.FlagFoodSafety, Note: "Mine."}), fpr.CodeForbidden)
		if got := foodSafetyMails(t, db, admins[0]); len(got) != 0 {
			t.Fatalf("refused reports mailed %s, want nothing", mailCounts(got))
		}

		note := "Mould inside <b>sealed</b> jars & two of us were ill."
		mustOK(t, "report", db.FlagReview(as(reporters[0]), &fpr.Flag{ReviewID: r.ID, Reason: fpr.FlagFoodSafety, Note: note}))
		got := foodSafetyMails(t, db, admins[0])
		want := map[string]string{sh.producer.Email: "false", admins[0].Email: "true", admins[1].Email: "true"}
		if len(got) != len(want) {
			t.Fatalf("mails after the report: %s, want one each to the producer and the two admins", mailCounts(got))
		}
		for to, staff := range want {
			ms := got[to]
			if len(ms) != 1 {
				t.Fatalf("mails to %s: %d, want 1 (all: %s)", to, len(ms), mailCounts(got))
			}
			d := ms[0].Data
			if d["review_id"] != r.ID || d["product_id"] != sh.product.ID || d["product_name"] != sh.product.Name ||
				d["farm_name"] != sh.farm.Name || d["note"] != note || d["staff"] != staff || ms[0].Status != fpr.MailPending {
				t.Errorf("mail to %s: %+v, want the review, product, farm, the note as written, staff=%s", to, ms[0], staff)
			}
		}
		// A second report while the first is open: the queue shows it,
		// nobody is mailed again.
		mustOK(t, "second report", db.FlagReview(as(reporters[1]), &fpr.Flag{ReviewID: r.ID, Reason: fpr.FlagFoodSafety, Note: "Same here."}))
		if got := foodSafetyMails(t, db, admins[0]); mailCounts(got) != mailCounts(map[string][]*fpr.Mail{sh.producer.Email: {nil}, admins[0].Email: {nil}, admins[1].Email: {nil}}) {
			t.Errorf("mails after a second open report: %s, want still one each", mailCounts(got))
		}
		q, _, err := db.FindModerationQueue(as(mod), fpr.ModerationFilter{})
		mustOK(t, "FindModerationQueue", err)
		if len(q) != 1 || !q[0].FoodSafety || q[0].Flags[fpr.FlagFoodSafety] != 2 {
			t.Fatalf("queue = %+v, want the review with two food-safety reports", q)
		}
		// A moderator closes it; a new report mails again.
		_, err = db.ModerateReview(as(mod), r.ID, fpr.ActionPublish, "Farm checked the batch.", "")
		mustOK(t, "ModerateReview", err)
		mustOK(t, "report after the decision", db.FlagReview(as(reporters[2]), &fpr.Flag{ReviewID: r.ID, Reason: fpr.FlagFoodSafety, Note: "Again."}))
		got = foodSafetyMails(t, db, admins[0])
		for to := range want {
			if len(got[to]) != 2 {
				t.Errorf("mails to %s after a new report: %d, want 2 (all: %s)", to, len(got[to]), mailCounts(got))
			}
		}
		if len(got) != len(want) {
			t.Errorf("mails went to %s; want only the producer and the live, real admins", mailCounts(got))
		}
		// Past the flag limit: refused, nothing mailed.
		other := mustReview(t, db, mustUser(t, db, fpr.RoleMember), sh.product.ID, 4)
		wantCode(t, "report past the limit", db.FlagReview(as(reporters[2]), &fpr.Flag{ReviewID: other.ID, Reason: fpr.FlagFoodSafety, Note: "Also."}), fpr.CodeRateLimited)
		if after := foodSafetyMails(t, db, admins[0]); mailCounts(after) != mailCounts(got) {
			t.Errorf("a rate-limited report mailed: %s, before %s", mailCounts(after), mailCounts(got))
		}
	},
	"FoodSafety_StaysPublishedFirstInQueue": func(t *testing.T, s *suite) {
		db := s.db(t, nil)
		sh := mustShop(t, db)
		mod := mustUser(t, db, fpr.RoleModerator)
		older := mustReview(t, db, mustUser(t, db, fpr.RoleMember), sh.product.ID, 4)
		newer := mustReview(t, db, mustUser(t, db, fpr.RoleMember), sh.product.ID, 2)
		mustOK(t, "spam flag", db.FlagReview(as(mustAgedUser(t, db, fpr.RoleMember)), &fpr.Flag{ReviewID: older.ID, Reason: fpr.FlagSpam}))
		// More food-safety reports than it takes flags to unpublish, all
		// from accounts whose flags count: the review stays published.
		for i := range fpr.FlagsToUnpublish + 1 {
			mustOK(t, "report", db.FlagReview(as(mustAgedUser(t, db, fpr.RoleMember)),
				&fpr.Flag{ReviewID: newer.ID, Reason: fpr.FlagFoodSafety, Note: fmt.Sprint("Ill after eating it, ", i)}))
		}
		got, err := db.FindReviewByID(as(nil), newer.ID)
		mustOK(t, "FindReviewByID", err)
		if got.Status != fpr.StatusPublished {
			t.Errorf("reported review is %s, want published", got.Status)
		}
		if sum := checkSummary(t, db, sh.product.ID); sum.Count != 2 {
			t.Errorf("summary = %+v, want both reviews counted", sum)
		}
		for _, status := range []string{"", "flagged"} {
			q, _, err := db.FindModerationQueue(as(mod), fpr.ModerationFilter{Status: status})
			mustOK(t, "FindModerationQueue", err)
			if len(q) != 2 || q[0].Review.ID != newer.ID || !q[0].FoodSafety || q[1].FoodSafety {
				t.Errorf("queue(%q) = %+v, want the food-safety report first, then the spam flag", status, q)
			}
		}
		// Only a decision with a note closes it.
		_, err = db.ModerateReview(as(mod), newer.ID, fpr.ActionPublish, " ", "")
		wantField(t, "decision without a note", err, "note", "")
		if q, _, _ := db.FindModerationQueue(as(mod), fpr.ModerationFilter{}); len(q) != 2 || !q[0].FoodSafety {
			t.Errorf("a refused decision changed the queue: %+v", q)
		}
	},
	"PurchaseCode_ConcurrentRedeemOneWins": func(t *testing.T, s *suite) {
		db := s.db(t, nil)
		sh := mustShop(t, db)
		const rounds = 4
		for i := range rounds {
			p := mustProduct(t, db, sh.producer, sh.farm, fmt.Sprint("Box ", i), "vegetables", "Mixed.")
			codes, err := db.CreatePurchaseCodes(as(sh.producer), &fpr.PurchaseCodeBatch{FarmID: sh.farm.ID, ProductID: p.ID, Count: 1})
			mustOK(t, "CreatePurchaseCodes", err)
			buyers := []*fpr.User{mustUser(t, db, fpr.RoleMember), mustUser(t, db, fpr.RoleMember)}
			errs := make([]error, len(buyers))
			var ready, wg sync.WaitGroup
			ready.Add(len(buyers))
			gate := make(chan struct{})
			for j, b := range buyers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					ready.Done()
					<-gate
					errs[j] = db.CreateReview(as(b), &fpr.Review{ProductID: p.ID, Rating: 5, Body: "Fresh.", PurchaseCode: codes[0]})
				}()
			}
			ready.Wait()
			close(gate)
			wg.Wait()
			won := 0
			for j, err := range errs {
				if err == nil {
					won++
					continue
				}
				wantField(t, fmt.Sprint("round ", i, " buyer ", j), err, "purchase_code", fpr.MsgPurchaseCodeUsed)
			}
			if won != 1 {
				t.Fatalf("round %d: %d redemptions of one code succeeded (%v), want exactly 1", i, won, errs)
			}
			all := allReviews(t, db, nil, fpr.ReviewFilter{ProductID: &p.ID}, fpr.MaxLimit)
			verified := allReviews(t, db, nil, fpr.ReviewFilter{ProductID: &p.ID, Verified: true}, fpr.MaxLimit)
			if len(all) != 1 || len(verified) != 1 || !verified[0].VerifiedPurchase {
				t.Errorf("round %d: %d reviews, %d verified; want the winner's only, verified", i, len(all), len(verified))
			}
		}
	},
	"PurchaseCode_ExpiredOtherProductOtherFarmRefused": func(t *testing.T, s *suite) {
		c := NewClock(start)
		db := s.db(t, c)
		sh := mustShop(t, db)
		second := mustProduct(t, db, sh.producer, sh.farm, "Perry pears", "fruit", "Soft.")
		elsewhere := mustShop(t, db)
		expires := start.Add(time.Hour)
		expiring, err := db.CreatePurchaseCodes(as(sh.producer), &fpr.PurchaseCodeBatch{FarmID: sh.farm.ID, Count: 1, ExpiresAt: &expires})
		mustOK(t, "CreatePurchaseCodes(expiring)", err)
		forProduct, err := db.CreatePurchaseCodes(as(sh.producer), &fpr.PurchaseCodeBatch{FarmID: sh.farm.ID, ProductID: sh.product.ID, Count: 1})
		mustOK(t, "CreatePurchaseCodes(product)", err)
		buyer := mustUser(t, db, fpr.RoleMember)
		try := func(productID, code string) error {
			return db.CreateReview(as(buyer), &fpr.Review{ProductID: productID, Rating: 4, Body: "Good.", PurchaseCode: code})
		}
		wantField(t, "code for another product", try(second.ID, forProduct[0]), "purchase_code", fpr.MsgPurchaseCodeOtherProduct)
		wantField(t, "code of another farm", try(elsewhere.product.ID, forProduct[0]), "purchase_code", fpr.MsgPurchaseCodeOtherProduct)
		wantField(t, "unknown code", try(sh.product.ID, "ABCD-EFGH-JKMN-PQRS"), "purchase_code", fpr.MsgPurchaseCodeUnknown)
		c.Advance(2 * time.Hour)
		wantField(t, "expired code", try(second.ID, expiring[0]), "purchase_code", fpr.MsgPurchaseCodeExpired)
		for _, p := range []string{sh.product.ID, second.ID, elsewhere.product.ID} {
			if rs := allReviews(t, db, nil, fpr.ReviewFilter{ProductID: &p}, fpr.MaxLimit); len(rs) != 0 {
				t.Errorf("refused codes created %d reviews of %s", len(rs), p)
			}
		}
		// The refusals left the product's code unused: on its product, in
		// another spelling, it verifies the review.
		r := &fpr.Review{ProductID: sh.product.ID, Rating: 4, Body: "Good.", PurchaseCode: strings.ToLower(strings.ReplaceAll(forProduct[0], "-", " "))}
		mustOK(t, "code on its product", db.CreateReview(as(buyer), r))
		if !r.VerifiedPurchase {
			t.Error("review with a valid code is not a verified purchase")
		}
		wantField(t, "used code", try(second.ID, forProduct[0]), "purchase_code", fpr.MsgPurchaseCodeUsed)
	},
	"Harvest_Bounds": func(t *testing.T, s *suite) {
		c := NewClock(time.Date(2026, 5, 10, 12, 0, 0, 0, time.UTC))
		db := s.db(t, c)
		sh := mustShop(t, db)
		for _, h := range []string{"2026-06", "2023-04", "2026-13", "26-05", "2026-5"} {
			u := mustUser(t, db, fpr.RoleMember)
			wantField(t, "harvest "+h, db.CreateReview(as(u), &fpr.Review{ProductID: sh.product.ID, Rating: 3, Body: "Fine.", Harvest: h}), "harvest", "")
		}
		if rs := allReviews(t, db, nil, fpr.ReviewFilter{ProductID: &sh.product.ID}, fpr.MaxLimit); len(rs) != 0 {
			t.Fatalf("refused harvests created %d reviews", len(rs))
		}
		var ids []string
		var authors []*fpr.User
		for _, h := range []string{"2023-05", "2026-05"} {
			u := mustUser(t, db, fpr.RoleMember)
			r := &fpr.Review{ProductID: sh.product.ID, Rating: 3, Body: "Fine.", Harvest: h}
			mustOK(t, "harvest "+h, db.CreateReview(as(u), r))
			ids, authors = append(ids, r.ID), append(authors, u)
		}
		// An edit is checked at its own time: a month later, 2023-05 is
		// more than three years back and June is no longer in the future.
		c.Advance(31 * 24 * time.Hour)
		old, june := "2023-05", "2026-06"
		_, err := db.UpdateReview(as(authors[1]), ids[1], fpr.ReviewUpdate{Harvest: &old})
		wantField(t, "edit to a month now too old", err, "harvest", "")
		got, err := db.UpdateReview(as(authors[1]), ids[1], fpr.ReviewUpdate{Harvest: &june})
		mustOK(t, "edit to the new current month", err)
		if got.Harvest != june {
			t.Errorf("harvest after the edit = %q, want %q", got.Harvest, june)
		}
		year := 2026
		if rs := allReviews(t, db, nil, fpr.ReviewFilter{ProductID: &sh.product.ID, HarvestYear: &year}, fpr.MaxLimit); len(rs) != 1 || rs[0].ID != ids[1] {
			t.Errorf("harvest_year=2026 lists %d reviews, want the one edited to June", len(rs))
		}
	},
	// A review read alone, in each list order, and after an edit carries
	// its own aspect scores and its photos, oldest first (one statement
	// reads them with the review: store.reviewSQL).
	"Reviews_CarryScoresAndPhotos": func(t *testing.T, s *suite) {
		db := s.db(t, nil)
		sh := mustShop(t, db)
		veg := mustProduct(t, db, sh.producer, sh.farm, "Chard", "vegetables", "Rainbow.")
		scores := []map[fpr.Aspect]int{{"freshness": 5, "flavour": 2, "value": 4}, nil, {"value": 1}}
		var (
			reviews []*fpr.Review
			authors []*fpr.User
		)
		photos := map[string][]string{}
		for i, sc := range scores {
			u := mustUser(t, db, fpr.RoleMember)
			r := &fpr.Review{ProductID: veg.ID, Rating: 5 - i, Body: "Chard.", Aspects: sc}
			mustOK(t, "CreateReview", db.CreateReview(as(u), r))
			for j := range 2 - i%2 { // 2, 1, 2 photos
				ph, err := db.AddPhoto(as(u), fpr.PhotoOwner{ReviewID: r.ID},
					&fpr.PhotoData{ContentType: "image/jpeg", Large: []byte("large"), Width: 640 + j, Height: 480 + i, Thumb: []byte("thumb")})
				mustOK(t, "AddPhoto", err)
				photos[r.ID] = append(photos[r.ID], ph.ID)
			}
			reviews, authors = append(reviews, r), append(authors, u)
		}
		check := func(when string, got *fpr.Review, want map[fpr.Aspect]int) {
			t.Helper()
			if len(got.Aspects) != len(want) {
				t.Errorf("%s: review %s aspects = %v, want %v", when, got.ID, got.Aspects, want)
			}
			for a, n := range want {
				if got.Aspects[a] != n {
					t.Errorf("%s: review %s aspects = %v, want %v", when, got.ID, got.Aspects, want)
				}
			}
			var ids []string
			for _, ph := range got.Photos {
				ids = append(ids, ph.ID)
				if ph.ContentType != "image/jpeg" || ph.Width < 640 || ph.Height < 480 || ph.CreatedAt.IsZero() {
					t.Errorf("%s: photo %+v lost a field", when, ph)
				}
			}
			if strings.Join(ids, " ") != strings.Join(photos[got.ID], " ") {
				t.Errorf("%s: review %s photos = %v, want %v in upload order", when, got.ID, ids, photos[got.ID])
			}
		}
		for i, r := range reviews {
			got, err := db.FindReviewByID(context.Background(), r.ID)
			mustOK(t, "FindReview", err)
			check("FindReview", got, scores[i])
		}
		for _, sort := range []fpr.ReviewSort{fpr.ReviewSortNewest, fpr.ReviewSortHelpful, fpr.ReviewSortHighest, fpr.ReviewSortLowest} {
			page, _, err := db.FindReviews(context.Background(), fpr.ReviewFilter{ProductID: &veg.ID, Sort: sort, Page: fpr.Page{Limit: 10}})
			mustOK(t, "FindReviews "+string(sort), err)
			if len(page) != len(reviews) {
				t.Fatalf("%s: %d reviews, want %d", sort, len(page), len(reviews))
			}
			for _, got := range page {
				for i, r := range reviews {
					if r.ID == got.ID {
						check("FindReviews "+string(sort), got, scores[i])
					}
				}
			}
		}
		// An edit that replaces the scores answers, and then reads, the new
		// ones; one that clears them, none.
		for _, want := range []map[fpr.Aspect]int{{"flavour": 3}, {}} {
			edited, err := db.UpdateReview(as(authors[0]), reviews[0].ID, fpr.ReviewUpdate{Aspects: &want})
			mustOK(t, "UpdateReview", err)
			check("UpdateReview's answer", edited, want)
			got, err := db.FindReviewByID(context.Background(), reviews[0].ID)
			mustOK(t, "FindReview after the edit", err)
			check("FindReview after the edit", got, want)
		}
	},
	"Aspects_AveragesMatchRecount": func(t *testing.T, s *suite) {
		db := s.db(t, nil)
		sh := mustShop(t, db)
		veg := mustProduct(t, db, sh.producer, sh.farm, "Leeks", "vegetables", "Long.")
		mod := mustUser(t, db, fpr.RoleModerator)
		type written struct {
			author *fpr.User
			review *fpr.Review
		}
		var ws []written
		for i, sc := range []map[fpr.Aspect]int{
			{"freshness": 5, "flavour": 4, "value": 3},
			{"freshness": 2},
			{"flavour": 1, "value": 5},
			{},
			{"freshness": 4, "value": 4},
		} {
			u := mustUser(t, db, fpr.RoleMember)
			r := &fpr.Review{ProductID: veg.ID, Rating: 1 + i%5, Body: "Leeks.", Aspects: sc}
			mustOK(t, "CreateReview", db.CreateReview(as(u), r))
			ws = append(ws, written{u, r})
		}
		recountAspects(t, db, veg.ID, "after create")
		wantField(t, "unknown aspect", db.CreateReview(as(mustUser(t, db, fpr.RoleMember)),
			&fpr.Review{ProductID: veg.ID, Rating: 3, Body: "x", Aspects: map[fpr.Aspect]int{"yolk": 3}}), "aspects", "")
		wantField(t, "score out of range", db.CreateReview(as(mustUser(t, db, fpr.RoleMember)),
			&fpr.Review{ProductID: veg.ID, Rating: 3, Body: "x", Aspects: map[fpr.Aspect]int{"freshness": 6}}), "aspects.freshness", "")
		recountAspects(t, db, veg.ID, "after refused reviews")

		edit := map[fpr.Aspect]int{"flavour": 2}
		_, err := db.UpdateReview(as(ws[0].author), ws[0].review.ID, fpr.ReviewUpdate{Aspects: &edit})
		mustOK(t, "UpdateReview(aspects)", err)
		recountAspects(t, db, veg.ID, "after an edit")
		bad := map[fpr.Aspect]int{"flavour": 0}
		_, err = db.UpdateReview(as(ws[1].author), ws[1].review.ID, fpr.ReviewUpdate{Aspects: &bad})
		wantCode(t, "UpdateReview(bad aspect)", err, fpr.CodeValidationFailed)
		recountAspects(t, db, veg.ID, "after a refused edit")

		mustOK(t, "DeleteReview", db.DeleteReview(as(ws[2].author), ws[2].review.ID))
		recountAspects(t, db, veg.ID, "after a delete")
		_, err = db.ModerateReview(as(mod), ws[4].review.ID, fpr.ActionRemove, "Not about leeks.", fpr.FlagOffTopic)
		mustOK(t, "ModerateReview(remove)", err)
		recountAspects(t, db, veg.ID, "after a removal")
		_, err = db.ModerateReview(as(mod), ws[4].review.ID, fpr.ActionPublish, "On appeal.", "")
		mustOK(t, "ModerateReview(publish)", err)
		recountAspects(t, db, veg.ID, "after publishing it again")
		p, err := db.FindProductByID(context.Background(), veg.ID)
		mustOK(t, "FindProductByID", err)
		// By hand: freshness 2, 4 (the first review's was edited away);
		// flavour 2; value 4.
		if avg, _ := p.Aspects["freshness"].Average(); avg != 3 || p.Aspects["freshness"].Count != 2 {
			t.Errorf("freshness = %+v (average %v), want 2 scores averaging 3", p.Aspects["freshness"], avg)
		}
	},
	"FoodSafety_UnalertedReportsForTheSweep": func(t *testing.T, s *suite) {
		db := s.db(t, nil)
		sh := mustShop(t, db)
		mod := mustUser(t, db, fpr.RoleModerator)
		r1 := mustReview(t, db, mustUser(t, db, fpr.RoleMember), sh.product.ID, 2)
		r2 := mustReview(t, db, mustUser(t, db, fpr.RoleMember), sh.product.ID, 3)
		unalerted := func() []string {
			t.Helper()
			fs, err := db.FindUnalertedFoodSafetyReports(context.Background(), 10)
			mustOK(t, "FindUnalertedFoodSafetyReports", err)
			var out []string
			for _, f := range fs {
				if f.Reason != fpr.FlagFoodSafety || f.Note == "" || f.ReviewID == "" {
					t.Errorf("swept flag %+v lacks its reason, note or review", f)
				}
				out = append(out, f.ID)
			}
			return out
		}
		spam := &fpr.Flag{ReviewID: r1.ID, Reason: fpr.FlagSpam}
		mustOK(t, "spam flag", db.FlagReview(as(mustUser(t, db, fpr.RoleMember)), spam))
		a := &fpr.Flag{ReviewID: r1.ID, Reason: fpr.FlagFoodSafety, Note: "Ill."}
		mustOK(t, "report a", db.FlagReview(as(mustUser(t, db, fpr.RoleMember)), a))
		b := &fpr.Flag{ReviewID: r2.ID, Reason: fpr.FlagFoodSafety, Note: "Mould."}
		mustOK(t, "report b", db.FlagReview(as(mustUser(t, db, fpr.RoleMember)), b))
		if got := unalerted(); fmt.Sprint(got) != fmt.Sprint([]string{a.ID, b.ID}) {
			t.Fatalf("unalerted = %v, want both reports, oldest first, not the spam flag", got)
		}
		claimed, err := db.ClaimAlert(context.Background(), &fpr.Alert{Key: fpr.FoodSafetyAlertKey(a.ID), Kind: fpr.AlertFoodSafety, Message: "m"})
		mustOK(t, "ClaimAlert", err)
		if !claimed {
			t.Fatal("ClaimAlert of a new key = false")
		}
		if got := unalerted(); fmt.Sprint(got) != fmt.Sprint([]string{b.ID}) {
			t.Fatalf("unalerted after a's alert = %v, want b only", got)
		}
		// A closed report needs no alert any more.
		_, err = db.ModerateReview(as(mod), r2.ID, fpr.ActionPublish, "Checked.", "")
		mustOK(t, "ModerateReview", err)
		if got := unalerted(); len(got) != 0 {
			t.Errorf("unalerted after the decision = %v, want none", got)
		}
	},
	"History_ListsEarlierVersions": func(t *testing.T, s *suite) {
		c := NewClock(start)
		db := s.db(t, c)
		sh := mustShop(t, db)
		ann := mustUser(t, db, fpr.RoleMember)
		r := &fpr.Review{ProductID: sh.product.ID, Rating: 2, Title: "First", Body: "Too sour."}
		mustOK(t, "CreateReview", db.CreateReview(as(ann), r))
		h, err := db.FindReviewHistory(as(nil), r.ID)
		mustOK(t, "FindReviewHistory", err)
		if len(h) != 0 {
			t.Fatalf("history of an unedited review = %d versions, want none", len(h))
		}
		edits := []struct {
			rating      int
			title, body string
		}{{3, "Second", "Better after a week."}, {5, "Third", "Now perfect."}}
		for _, e := range edits {
			c.Advance(time.Hour)
			_, err := db.UpdateReview(as(ann), r.ID, fpr.ReviewUpdate{Rating: &e.rating, Title: &e.title, Body: &e.body})
			mustOK(t, "UpdateReview", err)
		}
		// A refused edit leaves no version.
		bad := 9
		_, err = db.UpdateReview(as(ann), r.ID, fpr.ReviewUpdate{Rating: &bad})
		wantCode(t, "UpdateReview(bad rating)", err, fpr.CodeValidationFailed)
		h, err = db.FindReviewHistory(as(nil), r.ID)
		mustOK(t, "FindReviewHistory", err)
		if len(h) != 2 || h[0].Rating != 2 || h[0].Title != "First" || h[0].Body != "Too sour." ||
			h[1].Rating != 3 || h[1].Title != "Second" || !h[0].ReplacedAt.Before(h[1].ReplacedAt) {
			t.Fatalf("history = %+v, want the first and second versions, oldest first", h)
		}
		got, err := db.FindReviewByID(as(nil), r.ID)
		mustOK(t, "FindReviewByID", err)
		if got.Revisions != 2 || got.Rating != 5 || got.Title != "Third" {
			t.Errorf("review = %+v, want the third version with 2 revisions", got)
		}
		_, err = db.FindReviewHistory(as(nil), "missing")
		wantCode(t, "FindReviewHistory(missing)", err, fpr.CodeNotFound)
	},
}
