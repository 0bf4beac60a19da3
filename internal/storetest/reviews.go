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
		// Deleting the product deletes its reviews.
		r2 := mustReview(t, db, ann, sh.product.ID, 4)
		mustOK(t, "DeleteProduct", db.DeleteProduct(as(sh.producer), sh.product.ID))
		_, err = db.FindReviewByID(as(ann), r2.ID)
		wantCode(t, "review of a deleted product", err, fpr.CodeNotFound)
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
		for _, u := range []*fpr.User{ann, mod} {
			if _, err := db.FindReviewByID(as(u), r.ID); err != nil {
				t.Errorf("FindReviewByID(pending) by %s: %v", u.Role, err)
			}
		}
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

		_, _, err := db.FindModerationQueue(as(bob), fpr.ModerationFilter{})
		wantCode(t, "FindModerationQueue by a member", err, fpr.CodeForbidden)
		q, _, err := db.FindModerationQueue(as(mod), fpr.ModerationFilter{Status: "pending"})
		mustOK(t, "FindModerationQueue", err)
		if len(q) != 1 || q[0].Review.ID != r.ID || q[0].ProductName != "Cider apples" {
			t.Fatalf("pending queue = %+v, want ann's review of Cider apples", q)
		}
		_, err = db.ModerateReview(as(bob), r.ID, fpr.ActionPublish, "")
		wantCode(t, "ModerateReview by a member", err, fpr.CodeForbidden)
		_, err = db.ModerateReview(as(mod), r.ID, "bless", "")
		wantCode(t, "ModerateReview(bless)", err, fpr.CodeValidationFailed)
		pub, err := db.ModerateReview(as(mod), r.ID, fpr.ActionPublish, "Looks genuine.")
		mustOK(t, "ModerateReview(publish)", err)
		if pub.Status != fpr.StatusPublished {
			t.Errorf("status after publish = %s", pub.Status)
		}
		_, err = db.ModerateReview(as(mod), r.ID, fpr.ActionPublish, "")
		wantCode(t, "ModerateReview(publish again)", err, fpr.CodeConflict)
		if got := checkSummary(t, db, sh.product.ID); got.Count != 1 {
			t.Errorf("summary after publishing = %+v, want count 1", got)
		}
		_, err = db.ModerateReview(as(mod), r.ID, fpr.ActionRemove, "Spam after all.")
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
			{ProductID: pid, Page: fpr.Page{Cursor: "x"}},
			{ProductID: pid, Page: fpr.Page{Cursor: next}}, // a helpful cursor in the newest sort
		} {
			_, _, err := db.FindReviews(as(nil), bad)
			wantCode(t, fmt.Sprintf("FindReviews(%+v)", bad), err, fpr.CodeValidationFailed)
		}
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
		flaggers := []*fpr.User{mustUser(t, db, fpr.RoleMember), mustUser(t, db, fpr.RoleMember), mustUser(t, db, fpr.RoleMember)}
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
		_, err = db.ModerateReview(as(mod), r.ID, fpr.ActionPublish, "Fine.")
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
				_, err := db.ModerateReview(as(mod), r.ID, action, "")
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
}
