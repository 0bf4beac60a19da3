package storetest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fpr-team/fpr"
	"github.com/fpr-team/fpr/internal/store"
)

// shop is a producer's farm with one product.
type shop struct {
	producer *fpr.User
	farm     *fpr.Farm
	product  *fpr.Product
}

func mustShop(t *testing.T, db *store.DB) shop {
	t.Helper()
	p := mustUser(t, db, fpr.RoleProducer)
	f := mustFarm(t, db, p, "Orchard "+p.ID[len(p.ID)-4:])
	return shop{p, f, mustProduct(t, db, p, f, "Cider apples", "fruit", "Sharp.")}
}

// mustReview creates a review of product by author.
func mustReview(t *testing.T, db *store.DB, author *fpr.User, productID string, stars int) *fpr.Review {
	t.Helper()
	r := &fpr.Review{ProductID: productID, Rating: stars, Title: "T", Body: "Body."}
	mustOK(t, "CreateReview", db.CreateReview(as(author), r))
	return r
}

// allReviews walks every page of f as u.
func allReviews(t *testing.T, db *store.DB, u *fpr.User, f fpr.ReviewFilter, limit int) []*fpr.Review {
	t.Helper()
	f.Limit = limit
	var all []*fpr.Review
	for pages := 0; ; pages++ {
		if pages > 1000 {
			t.Fatal("FindReviews paging did not end")
		}
		got, next, err := db.FindReviews(as(u), f)
		mustOK(t, fmt.Sprintf("FindReviews(%+v)", f), err)
		all = append(all, got...)
		if next == "" {
			return all
		}
		f.Cursor = next
	}
}

// checkSummary compares the product's rating summary with a recount of
// its public reviews list.
func checkSummary(t *testing.T, db *store.DB, productID string) fpr.Rating {
	t.Helper()
	p, err := db.FindProductByID(context.Background(), productID)
	mustOK(t, "FindProductByID", err)
	var want fpr.Rating
	for _, r := range allReviews(t, db, nil, fpr.ReviewFilter{ProductID: &productID}, fpr.MaxLimit) {
		want.Count++
		want.Sum += r.Rating
		want.Histogram[r.Rating-1]++
	}
	if p.Rating != want {
		t.Errorf("rating summary %+v, recount of the published reviews %+v", p.Rating, want)
	}
	return p.Rating
}

func reviewIDs(rs []*fpr.Review) string {
	var out []string
	for _, r := range rs {
		out = append(out, fmt.Sprintf("%d/%d", r.Rating, r.HelpfulCount))
	}
	return strings.Join(out, ",")
}

var reviewTests = map[string]func(t *testing.T, s *suite){
	"CreateReview_RulesAndSummary": func(t *testing.T, s *suite) {
		db := s.db(t, nil)
		sh := mustShop(t, db)
		ann := mustUser(t, db, fpr.RoleMember)
		bad := []struct {
			name string
			r    fpr.Review
			code fpr.Code
		}{
			{"Rating0", fpr.Review{Rating: 0, Body: "x"}, fpr.CodeValidationFailed},
			{"Rating6", fpr.Review{Rating: 6, Body: "x"}, fpr.CodeValidationFailed},
			{"EmptyBody", fpr.Review{Rating: 3, Body: "   "}, fpr.CodeValidationFailed},
			{"LongTitle", fpr.Review{Rating: 3, Title: strings.Repeat("é", fpr.MaxReviewTitleLength+1), Body: "x"}, fpr.CodeValidationFailed},
			{"LongBody", fpr.Review{Rating: 3, Body: strings.Repeat("b", fpr.MaxReviewBodyLength+1)}, fpr.CodeValidationFailed},
			{"UnknownProduct", fpr.Review{ProductID: "nope", Rating: 3, Body: "x"}, fpr.CodeNotFound},
		}
		for _, b := range bad {
			r := b.r
			if r.ProductID == "" {
				r.ProductID = sh.product.ID
			}
			wantCode(t, "CreateReview "+b.name, db.CreateReview(as(ann), &r), b.code)
		}
		wantCode(t, "CreateReview anonymous", db.CreateReview(as(nil), &fpr.Review{ProductID: sh.product.ID, Rating: 3, Body: "x"}),
			fpr.CodeUnauthenticated)
		if got := checkSummary(t, db, sh.product.ID); got.Count != 0 {
			t.Fatalf("refused reviews counted: %+v", got)
		}
		r := mustReview(t, db, ann, sh.product.ID, 4)
		if r.ID == "" || r.Status != fpr.StatusPublished || r.Author.ID != ann.ID {
			t.Errorf("CreateReview = %+v, want a published review by ann", r)
		}
		wantCode(t, "second review by the same user", db.CreateReview(as(ann),
			&fpr.Review{ProductID: sh.product.ID, Rating: 1, Body: "again"}), fpr.CodeConflict)
		if got := checkSummary(t, db, sh.product.ID); got != (fpr.Rating{Count: 1, Sum: 4, Histogram: [5]int{0, 0, 0, 1, 0}}) {
			t.Errorf("summary after one 4-star review = %+v", got)
		}
		got, err := db.FindReviewByID(as(nil), r.ID)
		mustOK(t, "FindReviewByID", err)
		if got.Body != "Body." || got.Title != "T" || got.Rating != 4 || !got.CreatedAt.Equal(r.CreatedAt) || got.Reply != nil {
			t.Errorf("FindReviewByID = %+v, want %+v", got, r)
		}
	},
	"CreateReview_ConcurrentOneWinsSummaryExact": func(t *testing.T, s *suite) {
		db := s.db(t, nil)
		sh := mustShop(t, db)
		ann := mustUser(t, db, fpr.RoleMember)
		const n = 12
		var wg sync.WaitGroup
		codes := make([]fpr.Code, n)
		for i := range n {
			wg.Go(func() {
				codes[i] = fpr.ErrorCode(db.CreateReview(as(ann), &fpr.Review{ProductID: sh.product.ID, Rating: 1 + i%5, Body: "race"}))
			})
		}
		// Meanwhile other users review the same product.
		others := make([]*fpr.User, n)
		for i := range others {
			others[i] = mustUser(t, db, fpr.RoleMember)
		}
		for i, u := range others {
			wg.Go(func() {
				if err := db.CreateReview(as(u), &fpr.Review{ProductID: sh.product.ID, Rating: 1 + i%5, Body: "mine"}); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		ok := 0
		for i, c := range codes {
			switch c {
			case "":
				ok++
			case fpr.CodeConflict:
			default:
				t.Errorf("concurrent CreateReview #%d: code %q, want success or conflict", i, c)
			}
		}
		if ok != 1 {
			t.Errorf("%d of %d concurrent reviews by one user succeeded, want 1", ok, n)
		}
		if got := checkSummary(t, db, sh.product.ID); got.Count != n+1 {
			t.Errorf("summary count = %d, want %d", got.Count, n+1)
		}
	},
	"UpdateDelete_PermissionsAndSummary": func(t *testing.T, s *suite) {
		db := s.db(t, nil)
		sh := mustShop(t, db)
		ann, bob, mod := mustUser(t, db, fpr.RoleMember), mustUser(t, db, fpr.RoleMember), mustUser(t, db, fpr.RoleModerator)
		r := mustReview(t, db, ann, sh.product.ID, 2)
		rb := mustReview(t, db, bob, sh.product.ID, 5)
		_, err := db.UpdateReview(as(bob), r.ID, fpr.ReviewUpdate{Rating: ptr(5)})
		wantCode(t, "UpdateReview by another member", err, fpr.CodeForbidden)
		_, err = db.UpdateReview(as(mod), r.ID, fpr.ReviewUpdate{Rating: ptr(5)})
		wantCode(t, "UpdateReview by a moderator", err, fpr.CodeForbidden)
		_, err = db.UpdateReview(as(ann), r.ID, fpr.ReviewUpdate{Rating: ptr(9)})
		wantCode(t, "UpdateReview(rating 9)", err, fpr.CodeValidationFailed)
		_, err = db.UpdateReview(as(ann), "nope", fpr.ReviewUpdate{Rating: ptr(3)})
		wantCode(t, "UpdateReview(unknown)", err, fpr.CodeNotFound)
		if got := checkSummary(t, db, sh.product.ID); got.Sum != 7 {
			t.Fatalf("summary after refused edits = %+v, want sum 7", got)
		}
		up, err := db.UpdateReview(as(ann), r.ID, fpr.ReviewUpdate{Rating: ptr(3), Body: ptr("Better now.")})
		mustOK(t, "UpdateReview", err)
		if up.Rating != 3 || up.Body != "Better now." || up.Title != "T" {
			t.Errorf("UpdateReview = %+v, want rating 3, new body, title kept", up)
		}
		if got := checkSummary(t, db, sh.product.ID); got != (fpr.Rating{Count: 2, Sum: 8, Histogram: [5]int{0, 0, 1, 0, 1}}) {
			t.Errorf("summary after edit = %+v", got)
		}
		wantCode(t, "DeleteReview by another member", db.DeleteReview(as(bob), r.ID), fpr.CodeForbidden)
		wantCode(t, "DeleteReview anonymous", db.DeleteReview(as(nil), r.ID), fpr.CodeUnauthenticated)
		mustOK(t, "DeleteReview by a moderator", db.DeleteReview(as(mod), rb.ID))
		mustOK(t, "DeleteReview by its author", db.DeleteReview(as(ann), r.ID))
		_, err = db.FindReviewByID(as(ann), r.ID)
		wantCode(t, "FindReviewByID after delete", err, fpr.CodeNotFound)
		if got := checkSummary(t, db, sh.product.ID); got != (fpr.Rating{}) {
			t.Errorf("summary after deleting both = %+v, want empty", got)
		}
		// Removing a product with a review archives it: the review and
		// the summaries stay.
		r2 := mustReview(t, db, ann, sh.product.ID, 4)
		archived, err := db.DeleteProduct(as(sh.producer), sh.product.ID)
		mustOK(t, "DeleteProduct", err)
		if !archived {
			t.Error("DeleteProduct of a reviewed product deleted it, want archived")
		}
		_, err = db.FindReviewByID(as(ann), r2.ID)
		mustOK(t, "review of an archived product", err)
		if got := checkSummary(t, db, sh.product.ID); got.Count != 1 {
			t.Errorf("summary after archiving = %+v, want the review kept", got)
		}
	},
	"Visibility_PreModeration": func(t *testing.T, s *suite) {
		db := s.db(t, nil)
		db.Moderation = fpr.ModerationPre
		sh := mustShop(t, db)
		ann, bob, mod := mustUser(t, db, fpr.RoleMember), mustUser(t, db, fpr.RoleMember), mustUser(t, db, fpr.RoleModerator)
		r := mustReview(t, db, ann, sh.product.ID, 5)
		if r.Status != fpr.StatusPending {
			t.Fatalf("status under pre-moderation = %s, want pending", r.Status)
		}
		for _, u := range []*fpr.User{nil, bob, sh.producer} {
			_, err := db.FindReviewByID(as(u), r.ID)
			wantCode(t, "FindReviewByID(pending) by someone else", err, fpr.CodeNotFound)
		}
		for _, u := range []*fpr.User{ann, mod, mustUser(t, db, fpr.RoleAdmin)} {
			if _, err := db.FindReviewByID(as(u), r.ID); err != nil {
				t.Errorf("FindReviewByID(pending) by %s: %v", u.Role, err)
			}
		}
		_, err := db.FindReviewByID(as(ann), "missing")
		wantCode(t, "FindReviewByID(unknown)", err, fpr.CodeNotFound)
		if got := allReviews(t, db, nil, fpr.ReviewFilter{ProductID: &sh.product.ID}, 10); len(got) != 0 {
			t.Errorf("public list shows %d pending reviews, want 0", len(got))
		}
		if got := allReviews(t, db, ann, fpr.ReviewFilter{AuthorID: &ann.ID}, 10); len(got) != 1 {
			t.Errorf("author's own list has %d reviews, want her pending one", len(got))
		}
		if got := allReviews(t, db, bob, fpr.ReviewFilter{AuthorID: &ann.ID}, 10); len(got) != 0 {
			t.Errorf("another user's view of ann's reviews has %d, want 0", len(got))
		}
		checkSummary(t, db, sh.product.ID)

		_, _, err = db.FindModerationQueue(as(bob), fpr.ModerationFilter{})
		wantCode(t, "FindModerationQueue by a member", err, fpr.CodeForbidden)
		q, _, err := db.FindModerationQueue(as(mod), fpr.ModerationFilter{Status: "pending"})
		mustOK(t, "FindModerationQueue", err)
		if len(q) != 1 || q[0].Review.ID != r.ID || q[0].ProductName != "Cider apples" {
			t.Fatalf("pending queue = %+v, want ann's review of Cider apples", q)
		}
		_, err = db.ModerateReview(as(bob), r.ID, fpr.ActionPublish, "", "")
		wantCode(t, "ModerateReview by a member", err, fpr.CodeForbidden)
		_, err = db.ModerateReview(as(mod), r.ID, "bless", "", "")
		wantCode(t, "ModerateReview(bless)", err, fpr.CodeValidationFailed)
		pub, err := db.ModerateReview(as(mod), r.ID, fpr.ActionPublish, "Looks genuine.", "")
		mustOK(t, "ModerateReview(publish)", err)
		if pub.Status != fpr.StatusPublished {
			t.Errorf("status after publish = %s", pub.Status)
		}
		_, err = db.ModerateReview(as(mod), r.ID, fpr.ActionPublish, "", "")
		wantCode(t, "ModerateReview(publish again)", err, fpr.CodeConflict)
		if got := checkSummary(t, db, sh.product.ID); got.Count != 1 {
			t.Errorf("summary after publishing = %+v, want count 1", got)
		}
		_, err = db.ModerateReview(as(mod), r.ID, fpr.ActionRemove, "Spam after all.", "")
		mustOK(t, "ModerateReview(remove)", err)
		if got := checkSummary(t, db, sh.product.ID); got.Count != 0 {
			t.Errorf("summary after removing = %+v, want count 0", got)
		}
		log, err := db.FindModerationLog(as(mod), r.ID)
		mustOK(t, "FindModerationLog", err)
		var lines []string
		for _, e := range log {
			lines = append(lines, fmt.Sprintf("%s by %s: %s", e.Action, e.Moderator.ID, e.Note))
		}
		want := []string{"publish by " + mod.ID + ": Looks genuine.", "remove by " + mod.ID + ": Spam after all."}
		if fmt.Sprint(lines) != fmt.Sprint(want) {
			t.Errorf("audit log = %q, want %q", lines, want)
		}
		_, err = db.FindModerationLog(as(ann), r.ID)
		wantCode(t, "FindModerationLog by a member", err, fpr.CodeForbidden)
	},
	"FindReviews_SortsFiltersCursors": func(t *testing.T, s *suite) {
		clk := NewClock(start)
		db := s.db(t, clk)
		sh := mustShop(t, db)
		voters := []*fpr.User{mustUser(t, db, fpr.RoleMember), mustUser(t, db, fpr.RoleMember), mustUser(t, db, fpr.RoleMember)}
		// rating, helpful votes; created in this order.
		specs := [][2]int{{3, 0}, {5, 2}, {1, 1}, {5, 0}, {4, 3}, {3, 2}, {2, 0}}
		for _, sp := range specs {
			clk.Advance(time.Millisecond)
			r := mustReview(t, db, mustUser(t, db, fpr.RoleMember), sh.product.ID, sp[0])
			for _, v := range voters[:sp[1]] {
				mustOK(t, "SetHelpful", db.SetHelpful(as(v), r.ID, true))
			}
		}
		pid := &sh.product.ID
		tests := []struct {
			name string
			f    fpr.ReviewFilter
			want string // rating/helpful
		}{
			{"Newest", fpr.ReviewFilter{ProductID: pid}, "2/0,3/2,4/3,5/0,1/1,5/2,3/0"},
			{"Helpful", fpr.ReviewFilter{ProductID: pid, Sort: fpr.ReviewSortHelpful}, "4/3,3/2,5/2,1/1,2/0,5/0,3/0"},
			{"Highest", fpr.ReviewFilter{ProductID: pid, Sort: fpr.ReviewSortHighest}, "5/0,5/2,4/3,3/2,3/0,2/0,1/1"},
			{"Lowest", fpr.ReviewFilter{ProductID: pid, Sort: fpr.ReviewSortLowest}, "1/1,2/0,3/2,3/0,4/3,5/0,5/2"},
			{"Rating5", fpr.ReviewFilter{ProductID: pid, Rating: ptr(5)}, "5/0,5/2"},
			{"Rating5Helpful", fpr.ReviewFilter{ProductID: pid, Rating: ptr(5), Sort: fpr.ReviewSortHelpful}, "5/2,5/0"},
		}
		for _, tt := range tests {
			for _, limit := range []int{100, 3, 1} {
				if got := reviewIDs(allReviews(t, db, nil, tt.f, limit)); got != tt.want {
					t.Errorf("%s by pages of %d = %s, want %s", tt.name, limit, got, tt.want)
				}
			}
		}
		_, next, err := db.FindReviews(as(nil), fpr.ReviewFilter{ProductID: pid, Sort: fpr.ReviewSortHelpful, Page: fpr.Page{Limit: 1}})
		mustOK(t, "FindReviews", err)
		for _, bad := range []fpr.ReviewFilter{
			{ProductID: pid, Sort: "oldest"},
			{ProductID: pid, Rating: ptr(0)},
			{ProductID: pid, Page: fpr.Page{Limit: 101}},
			{ProductID: pid, Page: fpr.Page{Limit: -1}},
			{ProductID: pid, Page: fpr.Page{Cursor: "x"}},
			{ProductID: pid, Page: fpr.Page{Cursor: next}}, // a helpful cursor in the newest sort
		} {
			_, _, err := db.FindReviews(as(nil), bad)
			wantCode(t, fmt.Sprintf("FindReviews(%+v)", bad), err, fpr.CodeValidationFailed)
		}
		_, _, err = db.FindReviews(as(nil), fpr.ReviewFilter{ProductID: ptr("missing")})
		wantCode(t, "FindReviews(unknown product)", err, fpr.CodeNotFound)
		_, _, err = db.FindReviews(as(nil), fpr.ReviewFilter{AuthorID: ptr("missing")})
		wantCode(t, "FindReviews(unknown author)", err, fpr.CodeNotFound)
	},
	"Helpful_RulesAndConcurrentVotesExact": func(t *testing.T, s *suite) {
		db := s.db(t, nil)
		sh := mustShop(t, db)
		ann := mustUser(t, db, fpr.RoleMember)
		r := mustReview(t, db, ann, sh.product.ID, 4)
		wantCode(t, "SetHelpful on one's own review", db.SetHelpful(as(ann), r.ID, true), fpr.CodeForbidden)
		wantCode(t, "SetHelpful anonymous", db.SetHelpful(as(nil), r.ID, true), fpr.CodeUnauthenticated)
		wantCode(t, "SetHelpful(unknown review)", db.SetHelpful(as(sh.producer), "nope", true), fpr.CodeNotFound)
		const n = 16
		voters := make([]*fpr.User, n)
		for i := range voters {
			voters[i] = mustUser(t, db, fpr.RoleMember)
		}
		var wg sync.WaitGroup
		for _, v := range voters {
			// Each votes twice at once: one vote counts.
			for range 2 {
				wg.Go(func() {
					if err := db.SetHelpful(as(v), r.ID, true); err != nil {
						t.Error(err)
					}
				})
			}
		}
		wg.Wait()
		helpful := func() int {
			got, err := db.FindReviewByID(as(nil), r.ID)
			mustOK(t, "FindReviewByID", err)
			return got.HelpfulCount
		}
		if got := helpful(); got != n {
			t.Errorf("helpful count after %d users voted twice concurrently = %d, want %d", n, got, n)
		}
		for _, v := range voters[:5] {
			wg.Go(func() {
				if err := db.SetHelpful(as(v), r.ID, false); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		mustOK(t, "withdrawing a vote never given", db.SetHelpful(as(sh.producer), r.ID, false))
		if got := helpful(); got != n-5 {
			t.Errorf("helpful count after 5 withdrawals = %d, want %d", got, n-5)
		}
		seen, err := db.FindReviewByID(as(voters[10]), r.ID)
		mustOK(t, "FindReviewByID", err)
		if !seen.ViewerHelpful {
			t.Error("ViewerHelpful = false for a voter, want true")
		}
	},
	"Flags_ThirdFlagUnpublishes": func(t *testing.T, s *suite) {
		db := s.db(t, nil)
		sh := mustShop(t, db)
		ann, mod := mustUser(t, db, fpr.RoleMember), mustUser(t, db, fpr.RoleModerator)
		r := mustReview(t, db, ann, sh.product.ID, 5)
		wantCode(t, "FlagReview(bad reason)", db.FlagReview(as(mod), &fpr.Flag{ReviewID: r.ID, Reason: "boring"}), fpr.CodeValidationFailed)
		wantCode(t, "FlagReview own", db.FlagReview(as(ann), &fpr.Flag{ReviewID: r.ID, Reason: fpr.FlagSpam}), fpr.CodeForbidden)
		flaggers := []*fpr.User{mustAgedUser(t, db, fpr.RoleMember), mustAgedUser(t, db, fpr.RoleMember), mustAgedUser(t, db, fpr.RoleMember)}
		mustOK(t, "FlagReview", db.FlagReview(as(flaggers[0]), &fpr.Flag{ReviewID: r.ID, Reason: fpr.FlagSpam}))
		wantCode(t, "FlagReview twice", db.FlagReview(as(flaggers[0]), &fpr.Flag{ReviewID: r.ID, Reason: fpr.FlagFake}), fpr.CodeConflict)
		mustOK(t, "FlagReview", db.FlagReview(as(flaggers[1]), &fpr.Flag{ReviewID: r.ID, Reason: fpr.FlagFake}))
		if got, _ := db.FindReviewByID(as(nil), r.ID); got == nil || got.Status != fpr.StatusPublished {
			t.Fatalf("after two flags the review is %+v, want still published", got)
		}
		q, _, err := db.FindModerationQueue(as(mod), fpr.ModerationFilter{Status: "flagged"})
		mustOK(t, "FindModerationQueue(flagged)", err)
		if len(q) != 1 || q[0].FlagCount != 2 || q[0].Flags[fpr.FlagSpam] != 1 || q[0].Flags[fpr.FlagFake] != 1 {
			t.Fatalf("flagged queue = %+v, want the review with 2 flags (spam, fake)", q)
		}
		mustOK(t, "FlagReview", db.FlagReview(as(flaggers[2]), &fpr.Flag{ReviewID: r.ID, Reason: fpr.FlagOffensive, Note: "rude"}))
		_, err = db.FindReviewByID(as(nil), r.ID)
		wantCode(t, "FindReviewByID after the third flag", err, fpr.CodeNotFound)
		if got := checkSummary(t, db, sh.product.ID); got.Count != 0 {
			t.Errorf("summary after the third flag = %+v, want the review out of it", got)
		}
		_, err = db.ModerateReview(as(mod), r.ID, fpr.ActionPublish, "Fine.", "")
		mustOK(t, "ModerateReview(publish)", err)
		if got := checkSummary(t, db, sh.product.ID); got.Count != 1 {
			t.Errorf("summary after republishing = %+v", got)
		}
		if q, _, _ := db.FindModerationQueue(as(mod), fpr.ModerationFilter{}); len(q) != 0 {
			t.Errorf("queue after the decision has %d items, want 0 (flags resolved)", len(q))
		}
	},
	"Reply_ProducerOnly": func(t *testing.T, s *suite) {
		db := s.db(t, nil)
		sh := mustShop(t, db)
		ann, otherProducer, admin := mustUser(t, db, fpr.RoleMember), mustUser(t, db, fpr.RoleProducer), mustUser(t, db, fpr.RoleAdmin)
		r := mustReview(t, db, ann, sh.product.ID, 3)
		_, err := db.SetReply(as(otherProducer), r.ID, "Thanks!")
		wantCode(t, "SetReply by another producer", err, fpr.CodeForbidden)
		_, err = db.SetReply(as(ann), r.ID, "Thanks!")
		wantCode(t, "SetReply by the author", err, fpr.CodeForbidden)
		_, err = db.SetReply(as(sh.producer), r.ID, "  ")
		wantCode(t, "SetReply(empty)", err, fpr.CodeValidationFailed)
		got, err := db.SetReply(as(sh.producer), r.ID, "Thanks, Ann!")
		mustOK(t, "SetReply", err)
		if got.Reply == nil || got.Reply.Body != "Thanks, Ann!" || got.Reply.Author.ID != sh.producer.ID {
			t.Fatalf("SetReply = %+v, want the producer's reply", got.Reply)
		}
		_, err = db.SetReply(as(admin), r.ID, "Edited by an admin.")
		mustOK(t, "SetReply by an admin", err)
		read, err := db.FindReviewByID(as(nil), r.ID)
		mustOK(t, "FindReviewByID", err)
		if read.Reply == nil || read.Reply.Body != "Edited by an admin." {
			t.Errorf("reply after edit = %+v, want the edited body (one reply per review)", read.Reply)
		}
	},
	"Summary_RandomOperationsMatchRecount": func(t *testing.T, s *suite) {
		db := s.db(t, nil)
		sh := mustShop(t, db)
		mod := mustUser(t, db, fpr.RoleModerator)
		rng := rand.New(rand.NewPCG(1, 2))
		users := make([]*fpr.User, 8)
		for i := range users {
			users[i] = mustUser(t, db, fpr.RoleMember)
		}
		reviews := map[string]*fpr.Review{} // by author
		for step := range 120 {
			u := users[rng.IntN(len(users))]
			r := reviews[u.ID]
			switch op := rng.IntN(4); {
			case r == nil:
				r = &fpr.Review{ProductID: sh.product.ID, Rating: 1 + rng.IntN(5), Body: "x"}
				mustOK(t, "CreateReview", db.CreateReview(as(u), r))
				reviews[u.ID] = r
			case op == 0:
				_, err := db.UpdateReview(as(u), r.ID, fpr.ReviewUpdate{Rating: ptr(1 + rng.IntN(5))})
				if fpr.ErrorCode(err) != fpr.CodeNotFound { // not_found: hidden by moderation
					mustOK(t, "UpdateReview", err)
				}
			case op == 1:
				mustOK(t, "DeleteReview", db.DeleteReview(as(mod), r.ID))
				delete(reviews, u.ID)
			default:
				action := []fpr.ModerationAction{fpr.ActionPublish, fpr.ActionReject, fpr.ActionRemove}[rng.IntN(3)]
				_, err := db.ModerateReview(as(mod), r.ID, action, "", "")
				if fpr.ErrorCode(err) != fpr.CodeConflict {
					mustOK(t, "ModerateReview", err)
				}
			}
			if step%10 == 0 {
				checkSummary(t, db, sh.product.ID)
			}
		}
		checkSummary(t, db, sh.product.ID)
	},
	"CreateReview_TrimsAndNamesTheField": func(t *testing.T, s *suite) {
		db := s.db(t, nil)
		sh := mustShop(t, db)
		ann := mustUser(t, db, fpr.RoleMember)
		r := &fpr.Review{ProductID: sh.product.ID, Rating: 4, Title: "  Good honey ", Body: " Thick and floral. "}
		mustOK(t, "CreateReview", db.CreateReview(as(ann), r))
		if r.Title != "Good honey" || r.Body != "Thick and floral." {
			t.Errorf("created %q / %q, want trimmed text", r.Title, r.Body)
		}
		got, err := db.FindReviewByID(as(nil), r.ID)
		mustOK(t, "FindReviewByID", err)
		if got.Author.DisplayName != ann.DisplayName {
			t.Errorf("author name %q, want %q", got.Author.DisplayName, ann.DisplayName)
		}
		bob := mustUser(t, db, fpr.RoleMember)
		for _, tc := range []struct {
			name  string
			r     fpr.Review
			field string
		}{
			{"RatingLow", fpr.Review{Rating: 0, Body: "b"}, "rating"},
			{"RatingHigh", fpr.Review{Rating: 6, Body: "b"}, "rating"},
			{"TitleLong", fpr.Review{Rating: 3, Title: strings.Repeat("t", fpr.MaxReviewTitleLength+1), Body: "b"}, "title"},
			{"BodyEmpty", fpr.Review{Rating: 3, Body: "   "}, "body"},
			{"BodyLong", fpr.Review{Rating: 3, Body: strings.Repeat("é", fpr.MaxReviewBodyLength+1)}, "body"},
		} {
			r := tc.r
			r.ProductID = sh.product.ID
			err := db.CreateReview(as(bob), &r)
			wantCode(t, tc.name, err, fpr.CodeValidationFailed)
			if _, ok := fpr.ErrorFields(err)[tc.field]; !ok {
				t.Errorf("%s: fields = %v, want a message for %s", tc.name, fpr.ErrorFields(err), tc.field)
			}
		}
		if got := allReviews(t, db, bob, fpr.ReviewFilter{AuthorID: &bob.ID}, 10); len(got) != 0 {
			t.Errorf("refused reviews stored: %d", len(got))
		}
		atLimits := &fpr.Review{ProductID: sh.product.ID, Rating: 5,
			Title: strings.Repeat("t", fpr.MaxReviewTitleLength), Body: strings.Repeat("é", fpr.MaxReviewBodyLength)}
		mustOK(t, "CreateReview at the limits", db.CreateReview(as(bob), atLimits))
		wantCode(t, "CreateReview by the farm's owner", db.CreateReview(as(sh.producer),
			&fpr.Review{ProductID: sh.product.ID, Rating: 5, Body: "Our best!"}), fpr.CodeForbidden)
		if got := checkSummary(t, db, sh.product.ID); got.Count != 2 {
			t.Errorf("summary = %+v, want ann's and bob's reviews", got)
		}
	},
	"CreateReview_ProbeOutOfPublicAndSummary": func(t *testing.T, s *suite) {
		db := s.db(t, nil)
		sh := mustShop(t, db)
		mustReview(t, db, mustUser(t, db, fpr.RoleMember), sh.product.ID, 4)
		probe := &fpr.User{Email: fmt.Sprintf("probe%d@example.test", seq.Add(1)), DisplayName: "Probe", Probe: true}
		mustOK(t, "CreateUser(probe)", db.CreateUser(context.Background(), probe, "hash"))
		r := mustReview(t, db, probe, sh.product.ID, 1)
		if !r.Probe || r.Status != fpr.StatusPublished {
			t.Errorf("probe review = %+v, want probe, published", r)
		}
		if got := checkSummary(t, db, sh.product.ID); got != (fpr.Rating{Count: 1, Sum: 4, Histogram: [5]int{0, 0, 0, 1, 0}}) {
			t.Errorf("summary with a probe review = %+v, want only the member's", got)
		}
		for _, x := range allReviews(t, db, nil, fpr.ReviewFilter{ProductID: &sh.product.ID}, 10) {
			if x.ID == r.ID {
				t.Errorf("public list holds the probe review %s", r.ID)
			}
		}
		if own := allReviews(t, db, probe, fpr.ReviewFilter{AuthorID: &probe.ID}, 10); len(own) != 1 || own[0].ID != r.ID {
			t.Errorf("probe's own list = %d reviews, want its review", len(own))
		}
		_, err := db.FindReviewByID(as(probe), r.ID)
		mustOK(t, "probe reads its review", err)
	},
	"Flags_PreModerationKeepsPublished": func(t *testing.T, s *suite) {
		db := s.db(t, nil)
		db.Moderation = fpr.ModerationPre
		sh := mustShop(t, db)
		mod := mustUser(t, db, fpr.RoleModerator)
		r := mustReview(t, db, mustUser(t, db, fpr.RoleMember), sh.product.ID, 5)
		if got := checkSummary(t, db, sh.product.ID); got.Count != 0 {
			t.Errorf("summary of a pending review = %+v, want empty", got)
		}
		_, err := db.ModerateReview(as(mod), r.ID, fpr.ActionPublish, "fine", "")
		mustOK(t, "ModerateReview(publish)", err)
		if got := checkSummary(t, db, sh.product.ID); got.Count != 1 || got.Sum != 5 {
			t.Errorf("summary after publish = %+v, want count 1 sum 5", got)
		}
		for range fpr.FlagsToUnpublish {
			mustOK(t, "FlagReview", db.FlagReview(as(mustUser(t, db, fpr.RoleMember)), &fpr.Flag{ReviewID: r.ID, Reason: fpr.FlagSpam}))
		}
		if got, _ := db.FindReviewByID(as(nil), r.ID); got == nil || got.Status != fpr.StatusPublished {
			t.Errorf("flagged review under pre-moderation = %+v, want still published", got)
		}
	},
	"UpdateReview_RefusedChangesNothing": func(t *testing.T, s *suite) {
		db := s.db(t, nil)
		sh := mustShop(t, db)
		author := mustUser(t, db, fpr.RoleMember)
		r := mustReview(t, db, author, sh.product.ID, 2)
		mustReview(t, db, mustUser(t, db, fpr.RoleMember), sh.product.ID, 5)
		_, err := db.UpdateReview(as(author), r.ID, fpr.ReviewUpdate{Rating: ptr(4), Body: ptr("Better than I said.")})
		mustOK(t, "UpdateReview", err)
		if got := checkSummary(t, db, sh.product.ID); got != (fpr.Rating{Count: 2, Sum: 9, Histogram: [5]int{0, 0, 0, 1, 1}}) {
			t.Errorf("summary after edit = %+v, want the 2 moved to 4", got)
		}
		for _, tc := range []struct {
			name string
			u    *fpr.User
			upd  fpr.ReviewUpdate
			want fpr.Code
		}{
			{"Unauthenticated", nil, fpr.ReviewUpdate{Rating: ptr(1)}, fpr.CodeUnauthenticated},
			{"Member", mustUser(t, db, fpr.RoleMember), fpr.ReviewUpdate{Rating: ptr(1)}, fpr.CodeForbidden},
			{"Moderator", mustUser(t, db, fpr.RoleModerator), fpr.ReviewUpdate{Rating: ptr(1)}, fpr.CodeForbidden},
			{"Admin", mustUser(t, db, fpr.RoleAdmin), fpr.ReviewUpdate{Rating: ptr(1)}, fpr.CodeForbidden},
			{"Rating", author, fpr.ReviewUpdate{Rating: ptr(9)}, fpr.CodeValidationFailed},
			{"BodyEmpty", author, fpr.ReviewUpdate{Body: ptr(" ")}, fpr.CodeValidationFailed},
			{"TitleLong", author, fpr.ReviewUpdate{Title: ptr(strings.Repeat("x", fpr.MaxReviewTitleLength+1))}, fpr.CodeValidationFailed},
		} {
			_, err := db.UpdateReview(as(tc.u), r.ID, tc.upd)
			wantCode(t, "UpdateReview by "+tc.name, err, tc.want)
			got, err := db.FindReviewByID(as(author), r.ID)
			mustOK(t, "FindReviewByID", err)
			if got.Rating != 4 || got.Body != "Better than I said." || got.Title != "T" {
				t.Errorf("%s: after a refused update the review is %+v, want unchanged", tc.name, got)
			}
			if got := checkSummary(t, db, sh.product.ID); got.Sum != 9 {
				t.Errorf("%s: summary after a refused update = %+v", tc.name, got)
			}
		}
		// An edit of a rejected review keeps it out of the summary.
		carl := mustUser(t, db, fpr.RoleMember)
		rejected := mustReview(t, db, carl, sh.product.ID, 1)
		_, err = db.ModerateReview(as(mustUser(t, db, fpr.RoleModerator)), rejected.ID, fpr.ActionReject, "", "")
		mustOK(t, "ModerateReview(reject)", err)
		_, err = db.UpdateReview(as(carl), rejected.ID, fpr.ReviewUpdate{Rating: ptr(5)})
		mustOK(t, "UpdateReview of a rejected review", err)
		if got := checkSummary(t, db, sh.product.ID); got.Count != 2 || got.Sum != 9 {
			t.Errorf("summary after editing a rejected review = %+v, want it still out", got)
		}
	},
	"DeleteReview_WhoMay": func(t *testing.T, s *suite) {
		db := s.db(t, nil)
		sh := mustShop(t, db)
		for _, tc := range []struct {
			name  string
			actor func(author *fpr.User) *fpr.User
			want  fpr.Code
		}{
			{"Author", func(a *fpr.User) *fpr.User { return a }, ""},
			{"Moderator", func(*fpr.User) *fpr.User { return mustUser(t, db, fpr.RoleModerator) }, ""},
			{"Admin", func(*fpr.User) *fpr.User { return mustUser(t, db, fpr.RoleAdmin) }, ""},
			{"Unauthenticated", func(*fpr.User) *fpr.User { return nil }, fpr.CodeUnauthenticated},
			{"Member", func(*fpr.User) *fpr.User { return mustUser(t, db, fpr.RoleMember) }, fpr.CodeForbidden},
			{"Producer", func(*fpr.User) *fpr.User { return sh.producer }, fpr.CodeForbidden},
		} {
			author := mustUser(t, db, fpr.RoleMember)
			r := mustReview(t, db, author, sh.product.ID, 3)
			// A review with a vote can be deleted.
			mustOK(t, "SetHelpful", db.SetHelpful(as(mustUser(t, db, fpr.RoleMember)), r.ID, true))
			wantCode(t, "DeleteReview by "+tc.name, db.DeleteReview(as(tc.actor(author)), r.ID), tc.want)
			_, err := db.FindReviewByID(as(author), r.ID)
			if tc.want == "" {
				wantCode(t, tc.name+": read after delete", err, fpr.CodeNotFound)
			} else {
				wantCode(t, tc.name+": read after refused delete", err, "")
			}
			checkSummary(t, db, sh.product.ID)
		}
		wantCode(t, "DeleteReview(unknown)", db.DeleteReview(as(mustUser(t, db, fpr.RoleAdmin)), "missing"), fpr.CodeNotFound)
	},
	"Helpful_StepsAndHiddenReviews": func(t *testing.T, s *suite) {
		db := s.db(t, nil)
		sh := mustShop(t, db)
		author, voter := mustUser(t, db, fpr.RoleMember), mustUser(t, db, fpr.RoleMember)
		r := mustReview(t, db, author, sh.product.ID, 4)
		for _, st := range []struct {
			name    string
			u       *fpr.User
			helpful bool
			want    fpr.Code
			count   int
		}{
			{"Vote", voter, true, "", 1},
			{"VoteAgain", voter, true, "", 1},
			{"Unvote", voter, false, "", 0},
			{"UnvoteAgain", voter, false, "", 0},
			{"OwnReview", author, true, fpr.CodeForbidden, 0},
			{"Unauthenticated", nil, true, fpr.CodeUnauthenticated, 0},
			{"VoteBack", voter, true, "", 1},
		} {
			wantCode(t, st.name, db.SetHelpful(as(st.u), r.ID, st.helpful), st.want)
			got, err := db.FindReviewByID(as(voter), r.ID)
			mustOK(t, "FindReviewByID", err)
			if got.HelpfulCount != st.count || got.ViewerHelpful != (st.count == 1) {
				t.Errorf("%s: helpful count %d, viewer voted %v; want %d", st.name, got.HelpfulCount, got.ViewerHelpful, st.count)
			}
		}
		if got, _ := db.FindReviewByID(as(author), r.ID); got == nil || got.ViewerHelpful {
			t.Errorf("author reads %+v, want ViewerHelpful false", got)
		}
		// A pending review cannot be voted on by those who cannot see it.
		db.Moderation = fpr.ModerationPre
		hidden := mustReview(t, db, mustUser(t, db, fpr.RoleMember), sh.product.ID, 2)
		wantCode(t, "SetHelpful on a hidden review", db.SetHelpful(as(voter), hidden.ID, true), fpr.CodeNotFound)
	},
	"Helpful_ConcurrentVoteUnvoteExact": func(t *testing.T, s *suite) {
		db := s.db(t, nil)
		sh := mustShop(t, db)
		r := mustReview(t, db, mustUser(t, db, fpr.RoleMember), sh.product.ID, 4)
		const n = 30
		users := make([]*fpr.User, n)
		for i := range users {
			users[i] = mustUser(t, db, fpr.RoleMember)
		}
		var wg sync.WaitGroup
		gate := make(chan struct{})
		for i, u := range users {
			wg.Go(func() {
				<-gate
				// Each user votes twice, unvotes, votes; odd users then unvote.
				votes := []bool{true, true, false, true}
				if i%2 == 1 {
					votes = append(votes, false)
				}
				for _, v := range votes {
					if err := db.SetHelpful(as(u), r.ID, v); err != nil {
						t.Error(err)
					}
				}
			})
		}
		close(gate)
		wg.Wait()
		voted := 0
		for i, u := range users {
			got, err := db.FindReviewByID(as(u), r.ID)
			mustOK(t, "FindReviewByID", err)
			if got.ViewerHelpful != (i%2 == 0) {
				t.Errorf("user %d: ViewerHelpful %v, want %v", i, got.ViewerHelpful, i%2 == 0)
			}
			if got.ViewerHelpful {
				voted++
			}
			if got.HelpfulCount != n/2 {
				t.Fatalf("helpful count %d, want %d", got.HelpfulCount, n/2)
			}
		}
		if voted != n/2 {
			t.Errorf("%d users see their vote, want %d", voted, n/2)
		}
	},
	"Flags_ReasonsFieldsAndAccess": func(t *testing.T, s *suite) {
		db := s.db(t, nil)
		sh := mustShop(t, db)
		author, flagger := mustUser(t, db, fpr.RoleMember), mustUser(t, db, fpr.RoleMember)
		r := mustReview(t, db, author, sh.product.ID, 5)
		f := &fpr.Flag{ReviewID: r.ID, Reason: fpr.FlagFake, Note: " bought by the farm "}
		mustOK(t, "FlagReview", db.FlagReview(as(flagger), f))
		if f.ID == "" || f.UserID != flagger.ID || f.Note != "bought by the farm" || f.CreatedAt.IsZero() {
			t.Errorf("flag = %+v, want ID, user, trimmed note, time", f)
		}
		for _, tc := range []struct {
			name string
			u    *fpr.User
			f    fpr.Flag
			want fpr.Code
		}{
			{"Unauthenticated", nil, fpr.Flag{ReviewID: r.ID, Reason: fpr.FlagSpam}, fpr.CodeUnauthenticated},
			{"NoteLong", mustUser(t, db, fpr.RoleMember), fpr.Flag{ReviewID: r.ID, Reason: fpr.FlagOther, Note: strings.Repeat("n", 1001)}, fpr.CodeValidationFailed},
			{"NotFound", mustUser(t, db, fpr.RoleMember), fpr.Flag{ReviewID: "missing", Reason: fpr.FlagSpam}, fpr.CodeNotFound},
		} {
			f := tc.f
			wantCode(t, "FlagReview "+tc.name, db.FlagReview(as(tc.u), &f), tc.want)
		}
		for range fpr.FlagsToUnpublish {
			mustOK(t, "FlagReview", db.FlagReview(as(mustAgedUser(t, db, fpr.RoleMember)), &fpr.Flag{ReviewID: r.ID, Reason: fpr.FlagSpam}))
		}
		got, err := db.FindReviewByID(as(author), r.ID)
		mustOK(t, "FindReviewByID by the author", err)
		if got.Status != fpr.StatusPending {
			t.Errorf("after %d flags the author reads status %s, want pending", fpr.FlagsToUnpublish, got.Status)
		}
	},
	"Reply_FieldsAndWhoMay": func(t *testing.T, s *suite) {
		db := s.db(t, nil)
		sh := mustShop(t, db)
		owner := sh.producer
		author := mustUser(t, db, fpr.RoleMember)
		r := mustReview(t, db, author, sh.product.ID, 2)
		got, err := db.SetReply(as(owner), r.ID, "  Sorry, we will do better. ")
		mustOK(t, "SetReply", err)
		if got.Reply == nil || got.Reply.Body != "Sorry, we will do better." || got.Reply.Author.DisplayName != owner.DisplayName {
			t.Fatalf("reply = %+v, want the owner's trimmed reply with their name", got.Reply)
		}
		first := got.Reply.CreatedAt
		got, err = db.SetReply(as(owner), r.ID, "Edited reply.")
		mustOK(t, "SetReply(edit)", err)
		if got.Reply.Body != "Edited reply." || !got.Reply.CreatedAt.Equal(first) {
			t.Errorf("edited reply = %+v, want new body and the first creation time %v", got.Reply, first)
		}
		list := allReviews(t, db, nil, fpr.ReviewFilter{ProductID: &sh.product.ID}, 10)
		if len(list) != 1 || list[0].Reply == nil || list[0].Reply.Body != "Edited reply." {
			t.Errorf("list does not carry the reply: %+v", list)
		}
		for _, tc := range []struct {
			name string
			u    *fpr.User
			body string
			want fpr.Code
		}{
			{"Unauthenticated", nil, "x", fpr.CodeUnauthenticated},
			{"Member", mustUser(t, db, fpr.RoleMember), "x", fpr.CodeForbidden},
			{"Moderator", mustUser(t, db, fpr.RoleModerator), "x", fpr.CodeForbidden},
			{"Long", owner, strings.Repeat("b", 5001), fpr.CodeValidationFailed},
		} {
			_, err := db.SetReply(as(tc.u), r.ID, tc.body)
			wantCode(t, "SetReply by "+tc.name, err, tc.want)
		}
		if got, _ := db.FindReviewByID(as(nil), r.ID); got == nil || got.Reply == nil || got.Reply.Body != "Edited reply." {
			t.Errorf("reply after refused edits = %+v, want unchanged", got)
		}
		_, err = db.SetReply(as(owner), "missing", "x")
		wantCode(t, "SetReply(unknown)", err, fpr.CodeNotFound)
	},
	"Moderation_QueueDecideLog": func(t *testing.T, s *suite) {
		db := s.db(t, nil)
		sh := mustShop(t, db)
		owner, product := sh.producer, sh.product.ID
		mod, admin, member := mustUser(t, db, fpr.RoleModerator), mustUser(t, db, fpr.RoleAdmin), mustUser(t, db, fpr.RoleMember)
		db.Moderation = fpr.ModerationPre
		pending := mustReview(t, db, mustUser(t, db, fpr.RoleMember), product, 2)
		db.Moderation = fpr.ModerationPost
		flagged := mustReview(t, db, mustUser(t, db, fpr.RoleMember), product, 5)
		mustReview(t, db, mustUser(t, db, fpr.RoleMember), product, 4) // neither
		for _, reason := range []fpr.FlagReason{fpr.FlagSpam, fpr.FlagSpam, fpr.FlagFake} {
			mustOK(t, "FlagReview", db.FlagReview(as(mustUser(t, db, fpr.RoleMember)), &fpr.Flag{ReviewID: flagged.ID, Reason: reason}))
		}
		// flagged is now pending as well (three flags).

		items, next, err := db.FindModerationQueue(as(mod), fpr.ModerationFilter{})
		mustOK(t, "FindModerationQueue", err)
		if len(items) != 2 || next != "" {
			t.Fatalf("queue = %d items (next %q), want 2", len(items), next)
		}
		// Oldest (lowest ID) first.
		first, second := pending.ID, flagged.ID
		if first > second {
			first, second = second, first
		}
		if items[0].Review.ID != first || items[1].Review.ID != second {
			t.Fatalf("queue order = %s, %s; want oldest first %s, %s", items[0].Review.ID, items[1].Review.ID, first, second)
		}
		if items[0].Review.ID == flagged.ID {
			items[0], items[1] = items[1], items[0]
		}
		if it := items[1]; it.FlagCount != 3 || it.Flags[fpr.FlagSpam] != 2 || it.Flags[fpr.FlagFake] != 1 || it.ProductName == "" {
			t.Errorf("flagged item = %+v, want 3 flags (2 spam, 1 fake) and a product name", it)
		}
		if it := items[0]; it.FlagCount != 0 || len(it.Flags) != 0 {
			t.Errorf("pending item flags = %d %v, want none", it.FlagCount, it.Flags)
		}
		flaggedOnly, _, err := db.FindModerationQueue(as(admin), fpr.ModerationFilter{Status: "flagged"})
		mustOK(t, "FindModerationQueue(flagged)", err)
		if len(flaggedOnly) != 1 || flaggedOnly[0].Review.ID != flagged.ID {
			t.Errorf("flagged queue = %d items, want the flagged review", len(flaggedOnly))
		}
		page1, next, err := db.FindModerationQueue(as(mod), fpr.ModerationFilter{Page: fpr.Page{Limit: 1}})
		if err != nil || len(page1) != 1 || next == "" {
			t.Fatalf("page 1 = %d items, next %q, %v", len(page1), next, err)
		}
		page2, next2, err := db.FindModerationQueue(as(mod), fpr.ModerationFilter{Page: fpr.Page{Limit: 1, Cursor: next}})
		if err != nil || len(page2) != 1 || next2 != "" || page2[0].Review.ID != second {
			t.Errorf("page 2 = %d items, next %q, %v; want the newer review and no next", len(page2), next2, err)
		}
		for _, tc := range []struct {
			name string
			u    *fpr.User
			f    fpr.ModerationFilter
			want fpr.Code
		}{
			{"Anonymous", nil, fpr.ModerationFilter{}, fpr.CodeUnauthenticated},
			{"Member", member, fpr.ModerationFilter{}, fpr.CodeForbidden},
			{"Producer", owner, fpr.ModerationFilter{}, fpr.CodeForbidden},
			{"BadStatus", mod, fpr.ModerationFilter{Status: "all"}, fpr.CodeValidationFailed},
			{"BadCursor", mod, fpr.ModerationFilter{Page: fpr.Page{Cursor: "zzz"}}, fpr.CodeValidationFailed},
			{"BadLimit", mod, fpr.ModerationFilter{Page: fpr.Page{Limit: 101}}, fpr.CodeValidationFailed},
		} {
			_, _, err := db.FindModerationQueue(as(tc.u), tc.f)
			wantCode(t, "FindModerationQueue "+tc.name, err, tc.want)
		}

		for _, tc := range []struct {
			name   string
			u      *fpr.User
			id     string
			action fpr.ModerationAction
			note   string
			want   fpr.Code
		}{
			{"Anonymous", nil, pending.ID, fpr.ActionPublish, "", fpr.CodeUnauthenticated},
			{"Member", member, pending.ID, fpr.ActionPublish, "", fpr.CodeForbidden},
			{"Producer", owner, pending.ID, fpr.ActionPublish, "", fpr.CodeForbidden},
			{"BadAction", mod, pending.ID, "hide", "", fpr.CodeValidationFailed},
			{"LongNote", mod, pending.ID, fpr.ActionPublish, strings.Repeat("n", 1001), fpr.CodeValidationFailed},
			{"NotFound", mod, "missing", fpr.ActionPublish, "", fpr.CodeNotFound},
			{"Publish", mod, pending.ID, fpr.ActionPublish, "Looks fine.", ""},
			{"Already", mod, pending.ID, fpr.ActionPublish, "", fpr.CodeConflict},
			{"Reject", admin, flagged.ID, fpr.ActionReject, "Fake.", ""},
			{"Republish", mod, flagged.ID, fpr.ActionPublish, "On appeal.", ""},
			{"Remove", mod, flagged.ID, fpr.ActionRemove, "", ""},
		} {
			r, err := db.ModerateReview(as(tc.u), tc.id, tc.action, tc.note, "")
			wantCode(t, "ModerateReview "+tc.name, err, tc.want)
			if err == nil && r.Status != tc.action.Status() {
				t.Errorf("%s: status %s, want %s", tc.name, r.Status, tc.action.Status())
			}
			checkSummary(t, db, product)
		}
		if got := checkSummary(t, db, product); got.Count != 2 || got.Sum != 6 {
			t.Errorf("summary = %+v, want the 2 (published) and the 4", got)
		}
		if items, _, err := db.FindModerationQueue(as(mod), fpr.ModerationFilter{}); err != nil || len(items) != 0 {
			t.Errorf("queue after decisions = %d items, %v; want empty (flags resolved)", len(items), err)
		}

		entries, err := db.FindModerationLog(as(admin), flagged.ID)
		mustOK(t, "FindModerationLog", err)
		var got []string
		for _, e := range entries {
			got = append(got, string(e.Action)+":"+e.Moderator.ID+":"+e.Note)
			if e.ReviewID != flagged.ID || e.CreatedAt.IsZero() || e.Moderator.DisplayName == "" {
				t.Errorf("entry %+v lacks review, time or moderator name", e)
			}
		}
		want := []string{"reject:" + admin.ID + ":Fake.", "publish:" + mod.ID + ":On appeal.", "remove:" + mod.ID + ":"}
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("log = %v, want %v", got, want)
		}
		// The log outlives the review.
		mustOK(t, "DeleteReview", db.DeleteReview(as(admin), flagged.ID))
		if entries, err := db.FindModerationLog(as(mod), flagged.ID); err != nil || len(entries) != 3 {
			t.Errorf("log after delete = %d entries, %v; want 3", len(entries), err)
		}
		for _, tc := range []struct {
			name string
			u    *fpr.User
			id   string
			want fpr.Code
		}{
			{"Anonymous", nil, pending.ID, fpr.CodeUnauthenticated},
			{"Member", member, pending.ID, fpr.CodeForbidden},
			{"NotFound", mod, "missing", fpr.CodeNotFound},
			{"NoDecisions", mod, mustReview(t, db, mustUser(t, db, fpr.RoleMember), product, 1).ID, ""},
		} {
			_, err := db.FindModerationLog(as(tc.u), tc.id)
			wantCode(t, "FindModerationLog "+tc.name, err, tc.want)
		}
	},
	"Flags_VettedReviewQueuedNotHidden": func(t *testing.T, s *suite) {
		// Issue 10: after a moderator republishes a flagged review, three
		// more flags hid it again. Now they queue it for a moderator and
		// it stays published, until its author edits it.
		db := s.db(t, nil)
		sh := mustShop(t, db)
		mod, author := mustUser(t, db, fpr.RoleModerator), mustUser(t, db, fpr.RoleMember)
		r := mustReview(t, db, author, sh.product.ID, 4)
		flag := func() {
			t.Helper()
			mustOK(t, "FlagReview", db.FlagReview(as(mustAgedUser(t, db, fpr.RoleMember)), &fpr.Flag{ReviewID: r.ID, Reason: fpr.FlagOther, Note: "again"}))
		}
		status := func() fpr.ReviewStatus {
			t.Helper()
			got, err := db.FindReviewByID(as(mod), r.ID)
			mustOK(t, "FindReviewByID", err)
			return got.Status
		}
		for range fpr.FlagsToUnpublish {
			flag()
		}
		if s := status(); s != fpr.StatusPending {
			t.Fatalf("after %d flags status = %s, want pending", fpr.FlagsToUnpublish, s)
		}
		_, err := db.ModerateReview(as(mod), r.ID, fpr.ActionPublish, "Fine.", "")
		mustOK(t, "ModerateReview(publish)", err)
		for range fpr.FlagsToUnpublish + 2 {
			flag()
		}
		if s := status(); s != fpr.StatusPublished {
			t.Errorf("a vetted review after %d new flags: status = %s, want published", fpr.FlagsToUnpublish+2, s)
		}
		q, _, err := db.FindModerationQueue(as(mod), fpr.ModerationFilter{Status: "flagged"})
		mustOK(t, "FindModerationQueue(flagged)", err)
		if len(q) != 1 || q[0].Review.ID != r.ID || q[0].FlagCount != fpr.FlagsToUnpublish+2 {
			t.Fatalf("flagged queue = %+v, want the vetted review with its %d new flags", q, fpr.FlagsToUnpublish+2)
		}
		if got := checkSummary(t, db, sh.product.ID); got.Count != 1 {
			t.Errorf("summary = %+v, want the vetted review still counted", got)
		}
		// An edit makes it a text no moderator has read: the next flag
		// unpublishes it.
		body := "Changed my mind completely."
		_, err = db.UpdateReview(as(author), r.ID, fpr.ReviewUpdate{Body: &body})
		mustOK(t, "UpdateReview", err)
		flag()
		if s := status(); s != fpr.StatusPending {
			t.Errorf("after an edit and a flag: status = %s, want pending", s)
		}
		checkSummary(t, db, sh.product.ID)
	},
	"Flags_FreshAccountsOnlyQueue": func(t *testing.T, s *suite) {
		// Issue 10: three fresh accounts made a published review vanish.
		// Their flags queue it; only accounts a day old count.
		db := s.db(t, nil)
		sh := mustShop(t, db)
		mod := mustUser(t, db, fpr.RoleModerator)
		r := mustReview(t, db, mustUser(t, db, fpr.RoleMember), sh.product.ID, 5)
		for range fpr.FlagsToUnpublish + 3 {
			mustOK(t, "FlagReview(fresh)", db.FlagReview(as(mustUser(t, db, fpr.RoleMember)), &fpr.Flag{ReviewID: r.ID, Reason: fpr.FlagFake}))
		}
		if got, err := db.FindReviewByID(as(nil), r.ID); err != nil || got.Status != fpr.StatusPublished {
			t.Fatalf("after %d flags by fresh accounts the review is %+v, %v; want still published", fpr.FlagsToUnpublish+3, got, err)
		}
		q, _, err := db.FindModerationQueue(as(mod), fpr.ModerationFilter{Status: "flagged"})
		mustOK(t, "FindModerationQueue(flagged)", err)
		if len(q) != 1 || q[0].FlagCount != fpr.FlagsToUnpublish+3 {
			t.Fatalf("flagged queue = %+v, want the review with every flag", q)
		}
		// Old enough, but nobody verified their e-mail: throwaway
		// addresses, so their flags do not count either.
		for range fpr.FlagsToUnpublish + 1 {
			u := mustAgedUserVerified(t, db, fpr.RoleMember, false)
			mustOK(t, "FlagReview(aged, unverified)", db.FlagReview(as(u), &fpr.Flag{ReviewID: r.ID, Reason: fpr.FlagFake}))
		}
		if got, err := db.FindReviewByID(as(nil), r.ID); err != nil || got.Status != fpr.StatusPublished {
			t.Fatalf("after flags by day-old unverified accounts the review is %+v, %v; want still published", got, err)
		}
		for range fpr.FlagsToUnpublish - 1 {
			mustOK(t, "FlagReview(aged)", db.FlagReview(as(mustAgedUser(t, db, fpr.RoleMember)), &fpr.Flag{ReviewID: r.ID, Reason: fpr.FlagFake}))
		}
		if got, _ := db.FindReviewByID(as(nil), r.ID); got == nil || got.Status != fpr.StatusPublished {
			t.Fatalf("after %d counting flags the review is %+v, want still published", fpr.FlagsToUnpublish-1, got)
		}
		mustOK(t, "FlagReview(aged)", db.FlagReview(as(mustAgedUser(t, db, fpr.RoleMember)), &fpr.Flag{ReviewID: r.ID, Reason: fpr.FlagFake}))
		_, err = db.FindReviewByID(as(nil), r.ID)
		wantCode(t, "FindReviewByID after the third counting flag", err, fpr.CodeNotFound)
		checkSummary(t, db, sh.product.ID)
	},
}

// CheckSummary fails t unless the rating summary of productID equals a
// recount of its published reviews, and returns it: for the crash,
// durability and backup tests outside this package.
func CheckSummary(t *testing.T, db *store.DB, productID string) fpr.Rating {
	t.Helper()
	return checkSummary(t, db, productID)
}
