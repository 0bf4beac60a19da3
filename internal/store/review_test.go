package store_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/fpr-team/fpr"
	"github.com/fpr-team/fpr/internal/store"
)

func ptr[T any](v T) *T { return &v }

func TestReviewService_CreateReview(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, db *store.DB) {
		producer := MustUser(t, db, fpr.RoleProducer)
		product := MustProduct(t, db, producer)
		ann := MustUser(t, db, fpr.RoleMember)

		t.Run("OK", func(t *testing.T) {
			r := &fpr.Review{ProductID: product, Rating: 4, Title: "  Good honey ", Body: " Thick and floral. "}
			if err := db.CreateReview(as(ann), r); err != nil {
				t.Fatal(err)
			}
			if r.ID == "" || r.Status != fpr.StatusPublished || r.Author.ID != ann.ID || r.Title != "Good honey" || r.Body != "Thick and floral." {
				t.Errorf("created %+v, want an ID, published, author %s, trimmed text", r, ann.ID)
			}
			got, err := db.FindReviewByID(as(nil), r.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Rating != 4 || got.Author.DisplayName != ann.DisplayName || got.Reply != nil || !got.CreatedAt.Equal(r.CreatedAt) {
				t.Errorf("FindReviewByID = %+v, want rating 4 by %s, no reply, created %v", got, ann.DisplayName, r.CreatedAt)
			}
			if s := storedSummary(t, db, product); s.Count != 1 || s.Sum != 4 || s.Hist[3] != 1 {
				t.Errorf("summary after create = %+v, want count 1 sum 4 one 4-star", s)
			}
			checkSummary(t, db, product, "after create")
		})

		t.Run("ErrConflict", func(t *testing.T) {
			err := db.CreateReview(as(ann), &fpr.Review{ProductID: product, Rating: 1, Body: "Again."})
			wantCode(t, "second review", err, fpr.CodeConflict)
			if n := reviewCount(t, db, product); n != 1 {
				t.Errorf("reviews after conflict = %d, want 1", n)
			}
			checkSummary(t, db, product, "after conflict")
		})

		bob := MustUser(t, db, fpr.RoleMember)
		for _, tc := range []struct {
			name  string
			r     fpr.Review
			field string
		}{
			{"ErrRatingLow", fpr.Review{Rating: 0, Body: "b"}, "rating"},
			{"ErrRatingHigh", fpr.Review{Rating: 6, Body: "b"}, "rating"},
			{"ErrTitleLong", fpr.Review{Rating: 3, Title: strings.Repeat("t", 121), Body: "b"}, "title"},
			{"ErrBodyEmpty", fpr.Review{Rating: 3, Body: "   "}, "body"},
			{"ErrBodyLong", fpr.Review{Rating: 3, Body: strings.Repeat("é", 5001)}, "body"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := tc.r
				r.ProductID = product
				err := db.CreateReview(as(bob), &r)
				wantCode(t, tc.name, err, fpr.CodeValidationFailed)
				if _, ok := fpr.ErrorFields(err)[tc.field]; !ok {
					t.Errorf("fields = %v, want a message for %s", fpr.ErrorFields(err), tc.field)
				}
				if n := reviewCount(t, db, product); n != 1 {
					t.Errorf("reviews after invalid create = %d, want 1", n)
				}
			})
		}
		t.Run("LimitsOK", func(t *testing.T) {
			carl := MustUser(t, db, fpr.RoleMember)
			r := &fpr.Review{ProductID: product, Rating: 5, Title: strings.Repeat("t", 120), Body: strings.Repeat("é", 5000)}
			if err := db.CreateReview(as(carl), r); err != nil {
				t.Fatalf("review at the limits: %v", err)
			}
			checkSummary(t, db, product, "after limits")
		})
		t.Run("ErrUnauthenticated", func(t *testing.T) {
			err := db.CreateReview(as(nil), &fpr.Review{ProductID: product, Rating: 3, Body: "b"})
			wantCode(t, "anonymous", err, fpr.CodeUnauthenticated)
		})
		t.Run("ErrOwnProduct", func(t *testing.T) {
			err := db.CreateReview(as(producer), &fpr.Review{ProductID: product, Rating: 5, Body: "Our best honey!"})
			wantCode(t, "the farm's owner", err, fpr.CodeForbidden)
		})
		t.Run("ErrProductNotFound", func(t *testing.T) {
			err := db.CreateReview(as(bob), &fpr.Review{ProductID: "nope", Rating: 3, Body: "b"})
			wantCode(t, "unknown product", err, fpr.CodeNotFound)
		})
		t.Run("Probe", func(t *testing.T) {
			probe := MustProbeUser(t, db)
			before := storedSummary(t, db, product)
			r := MustReview(t, db, probe, product, 1)
			if !r.Probe || r.Status != fpr.StatusPublished {
				t.Errorf("probe review = %+v, want probe, published", r)
			}
			if after := storedSummary(t, db, product); after != before {
				t.Errorf("summary after probe review = %+v, want unchanged %+v", after, before)
			}
			list, _, err := db.FindReviews(as(nil), fpr.ReviewFilter{ProductID: &product})
			if err != nil {
				t.Fatal(err)
			}
			for _, x := range list {
				if x.ID == r.ID {
					t.Errorf("public list holds the probe review %s", r.ID)
				}
			}
			own, _, err := db.FindReviews(as(probe), fpr.ReviewFilter{AuthorID: &probe.ID})
			if err != nil {
				t.Fatal(err)
			}
			if len(own) != 1 || own[0].ID != r.ID {
				t.Errorf("probe's own list = %d reviews, want its review", len(own))
			}
			if _, err := db.FindReviewByID(as(probe), r.ID); err != nil {
				t.Errorf("probe reads its review: %v", err)
			}
		})
	})
}

func TestReviewService_CreateReview_PreModeration(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, db *store.DB) {
		db.Moderation = fpr.ModerationPre
		product := MustProduct(t, db, MustUser(t, db, fpr.RoleProducer))
		ann := MustUser(t, db, fpr.RoleMember)
		mod := MustUser(t, db, fpr.RoleModerator)
		r := MustReview(t, db, ann, product, 5)
		if r.Status != fpr.StatusPending {
			t.Fatalf("status under pre-moderation = %s, want pending", r.Status)
		}
		if s := storedSummary(t, db, product); s.Count != 0 {
			t.Errorf("summary count of a pending review = %d, want 0", s.Count)
		}
		_, err := db.FindReviewByID(as(nil), r.ID)
		wantCode(t, "anonymous reads pending", err, fpr.CodeNotFound)
		if list, _, _ := db.FindReviews(as(nil), fpr.ReviewFilter{ProductID: &product}); len(list) != 0 {
			t.Errorf("public list holds %d pending reviews, want 0", len(list))
		}
		got, err := db.ModerateReview(as(mod), r.ID, fpr.ActionPublish, "fine")
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != fpr.StatusPublished {
			t.Errorf("after publish status = %s", got.Status)
		}
		if s := storedSummary(t, db, product); s.Count != 1 || s.Sum != 5 {
			t.Errorf("summary after publish = %+v, want count 1 sum 5", s)
		}
		checkSummary(t, db, product, "after publish")
		// Flags do not unpublish under pre-moderation.
		for range fpr.FlagsToUnpublish {
			if err := db.FlagReview(as(MustUser(t, db, fpr.RoleMember)), &fpr.Flag{ReviewID: r.ID, Reason: fpr.FlagSpam}); err != nil {
				t.Fatal(err)
			}
		}
		if got, _ := db.FindReviewByID(as(nil), r.ID); got == nil || got.Status != fpr.StatusPublished {
			t.Errorf("flagged review under pre-moderation = %+v, want still published", got)
		}
	})
}

// TestReviewService_CreateReview_Concurrent: 60 concurrent submissions by
// one user for one product give exactly one review; the rest are conflicts.
func TestReviewService_CreateReview_Concurrent(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, db *store.DB) {
		product := MustProduct(t, db, MustUser(t, db, fpr.RoleProducer))
		ann := MustUser(t, db, fpr.RoleMember)
		const n = 60
		errs := make([]error, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			wg.Go(func() {
				<-start
				errs[i] = db.CreateReview(as(ann), &fpr.Review{ProductID: product, Rating: 1 + i%5, Body: "Same user, many tries."})
			})
		}
		close(start)
		wg.Wait()
		ok, conflicts := 0, 0
		for _, err := range errs {
			switch fpr.ErrorCode(err) {
			case "":
				ok++
			case fpr.CodeConflict:
				conflicts++
			default:
				t.Errorf("unexpected error: %v", err)
			}
		}
		if ok != 1 || conflicts != n-1 {
			t.Errorf("%d successes and %d conflicts, want 1 and %d", ok, conflicts, n-1)
		}
		if c := reviewCount(t, db, product); c != 1 {
			t.Errorf("review rows = %d, want 1", c)
		}
		checkSummary(t, db, product, "after concurrent submissions")
	})
}

func TestReviewService_Visibility(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, db *store.DB) {
		db.Moderation = fpr.ModerationPre
		producer := MustUser(t, db, fpr.RoleProducer)
		product := MustProduct(t, db, producer)
		author := MustUser(t, db, fpr.RoleMember)
		r := MustReview(t, db, author, product, 3)
		for _, tc := range []struct {
			name string
			u    *fpr.User
			want fpr.Code
		}{
			{"Anonymous", nil, fpr.CodeNotFound},
			{"Member", MustUser(t, db, fpr.RoleMember), fpr.CodeNotFound},
			{"Producer", producer, fpr.CodeNotFound},
			{"Author", author, ""},
			{"Moderator", MustUser(t, db, fpr.RoleModerator), ""},
			{"Admin", MustUser(t, db, fpr.RoleAdmin), ""},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := db.FindReviewByID(as(tc.u), r.ID)
				wantCode(t, "FindReviewByID(pending)", err, tc.want)
			})
		}
		_, err := db.FindReviewByID(as(author), "missing")
		wantCode(t, "unknown review", err, fpr.CodeNotFound)
	})
}

func TestReviewService_UpdateReview(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, db *store.DB) {
		product := MustProduct(t, db, MustUser(t, db, fpr.RoleProducer))
		author := MustUser(t, db, fpr.RoleMember)
		r := MustReview(t, db, author, product, 2)
		MustReview(t, db, MustUser(t, db, fpr.RoleMember), product, 5)

		t.Run("OK", func(t *testing.T) {
			got, err := db.UpdateReview(as(author), r.ID, fpr.ReviewUpdate{Rating: ptr(4), Body: ptr("Better than I said.")})
			if err != nil {
				t.Fatal(err)
			}
			if got.Rating != 4 || got.Body != "Better than I said." || got.Title != "Title" {
				t.Errorf("updated = %+v, want rating 4, new body, old title", got)
			}
			if s := storedSummary(t, db, product); s.Sum != 9 || s.Hist[1] != 0 || s.Hist[3] != 1 {
				t.Errorf("summary after edit = %+v, want sum 9 with the 2 moved to 4", s)
			}
			checkSummary(t, db, product, "after edit")
		})
		for _, tc := range []struct {
			name string
			u    *fpr.User
			upd  fpr.ReviewUpdate
			want fpr.Code
		}{
			{"ErrUnauthenticated", nil, fpr.ReviewUpdate{Rating: ptr(1)}, fpr.CodeUnauthenticated},
			{"ErrForbiddenMember", MustUser(t, db, fpr.RoleMember), fpr.ReviewUpdate{Rating: ptr(1)}, fpr.CodeForbidden},
			{"ErrForbiddenModerator", MustUser(t, db, fpr.RoleModerator), fpr.ReviewUpdate{Rating: ptr(1)}, fpr.CodeForbidden},
			{"ErrForbiddenAdmin", MustUser(t, db, fpr.RoleAdmin), fpr.ReviewUpdate{Rating: ptr(1)}, fpr.CodeForbidden},
			{"ErrRating", author, fpr.ReviewUpdate{Rating: ptr(9)}, fpr.CodeValidationFailed},
			{"ErrBodyEmpty", author, fpr.ReviewUpdate{Body: ptr(" ")}, fpr.CodeValidationFailed},
			{"ErrTitleLong", author, fpr.ReviewUpdate{Title: ptr(strings.Repeat("x", 121))}, fpr.CodeValidationFailed},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := db.UpdateReview(as(tc.u), r.ID, tc.upd)
				wantCode(t, tc.name, err, tc.want)
				got, err := db.FindReviewByID(as(author), r.ID)
				if err != nil {
					t.Fatal(err)
				}
				if got.Rating != 4 || got.Body != "Better than I said." || got.Title != "Title" {
					t.Errorf("after a refused update the review is %+v, want unchanged", got)
				}
				checkSummary(t, db, product, tc.name)
			})
		}
		t.Run("ErrNotFound", func(t *testing.T) {
			_, err := db.UpdateReview(as(author), "missing", fpr.ReviewUpdate{Rating: ptr(1)})
			wantCode(t, "unknown review", err, fpr.CodeNotFound)
		})
		t.Run("PendingStaysOut", func(t *testing.T) {
			db2 := MustUser(t, db, fpr.RoleMember)
			p := MustReview(t, db, db2, product, 1)
			mod := MustUser(t, db, fpr.RoleModerator)
			if _, err := db.ModerateReview(as(mod), p.ID, fpr.ActionReject, ""); err != nil {
				t.Fatal(err)
			}
			if _, err := db.UpdateReview(as(db2), p.ID, fpr.ReviewUpdate{Rating: ptr(5)}); err != nil {
				t.Fatal(err)
			}
			checkSummary(t, db, product, "edit of a rejected review")
		})
	})
}

func TestReviewService_DeleteReview(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, db *store.DB) {
		producer := MustUser(t, db, fpr.RoleProducer)
		product := MustProduct(t, db, producer)
		for _, tc := range []struct {
			name  string
			actor func(author *fpr.User) *fpr.User
			want  fpr.Code
		}{
			{"Author", func(a *fpr.User) *fpr.User { return a }, ""},
			{"Moderator", func(*fpr.User) *fpr.User { return MustUser(t, db, fpr.RoleModerator) }, ""},
			{"Admin", func(*fpr.User) *fpr.User { return MustUser(t, db, fpr.RoleAdmin) }, ""},
			{"ErrUnauthenticated", func(*fpr.User) *fpr.User { return nil }, fpr.CodeUnauthenticated},
			{"ErrForbiddenMember", func(*fpr.User) *fpr.User { return MustUser(t, db, fpr.RoleMember) }, fpr.CodeForbidden},
			{"ErrForbiddenProducer", func(*fpr.User) *fpr.User { return producer }, fpr.CodeForbidden},
		} {
			t.Run(tc.name, func(t *testing.T) {
				author := MustUser(t, db, fpr.RoleMember)
				r := MustReview(t, db, author, product, 3)
				voter := MustUser(t, db, fpr.RoleMember)
				if err := db.SetHelpful(as(voter), r.ID, true); err != nil {
					t.Fatal(err)
				}
				err := db.DeleteReview(as(tc.actor(author)), r.ID)
				wantCode(t, tc.name, err, tc.want)
				_, ferr := db.FindReviewByID(as(author), r.ID)
				if tc.want == "" {
					wantCode(t, "read after delete", ferr, fpr.CodeNotFound)
				} else {
					wantCode(t, "read after refused delete", ferr, "")
				}
				checkSummary(t, db, product, tc.name)
			})
		}
		t.Run("ErrNotFound", func(t *testing.T) {
			err := db.DeleteReview(as(MustUser(t, db, fpr.RoleAdmin)), "missing")
			wantCode(t, "unknown review", err, fpr.CodeNotFound)
		})
	})
}

func TestReviewService_SetHelpful(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, db *store.DB) {
		product := MustProduct(t, db, MustUser(t, db, fpr.RoleProducer))
		author := MustUser(t, db, fpr.RoleMember)
		r := MustReview(t, db, author, product, 4)
		voter := MustUser(t, db, fpr.RoleMember)

		steps := []struct {
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
			{"ErrOwnReview", author, true, fpr.CodeForbidden, 0},
			{"ErrUnauthenticated", nil, true, fpr.CodeUnauthenticated, 0},
			{"VoteBack", voter, true, "", 1},
		}
		for _, s := range steps {
			err := db.SetHelpful(as(s.u), r.ID, s.helpful)
			wantCode(t, s.name, err, s.want)
			stored, votes := helpfulCount(t, db, r.ID)
			if stored != s.count || votes != s.count {
				t.Errorf("%s: helpful_count %d, votes %d, want %d", s.name, stored, votes, s.count)
			}
		}
		got, err := db.FindReviewByID(as(voter), r.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !got.ViewerHelpful || got.HelpfulCount != 1 {
			t.Errorf("voter reads ViewerHelpful %v, count %d; want true, 1", got.ViewerHelpful, got.HelpfulCount)
		}
		if got, _ := db.FindReviewByID(as(author), r.ID); got.ViewerHelpful {
			t.Errorf("author reads ViewerHelpful true, want false")
		}
		wantCode(t, "unknown review", db.SetHelpful(as(voter), "missing", true), fpr.CodeNotFound)

		// A pending review cannot be voted on by those who cannot see it.
		db.Moderation = fpr.ModerationPre
		hidden := MustReview(t, db, MustUser(t, db, fpr.RoleMember), product, 2)
		db.Moderation = fpr.ModerationPost
		wantCode(t, "vote on hidden review", db.SetHelpful(as(voter), hidden.ID, true), fpr.CodeNotFound)
	})
}

// TestReviewService_SetHelpful_Concurrent: users voting and unvoting at
// once leave helpful_count equal to the votes.
func TestReviewService_SetHelpful_Concurrent(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, db *store.DB) {
		product := MustProduct(t, db, MustUser(t, db, fpr.RoleProducer))
		r := MustReview(t, db, MustUser(t, db, fpr.RoleMember), product, 4)
		const n = 30
		users := make([]*fpr.User, n)
		for i := range users {
			users[i] = MustUser(t, db, fpr.RoleMember)
		}
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i, u := range users {
			wg.Go(func() {
				<-start
				// Each user votes twice, unvotes, votes; odd users then unvote.
				for _, v := range []bool{true, true, false, true} {
					if err := db.SetHelpful(as(u), r.ID, v); err != nil {
						t.Error(err)
					}
				}
				if i%2 == 1 {
					if err := db.SetHelpful(as(u), r.ID, false); err != nil {
						t.Error(err)
					}
				}
			})
		}
		close(start)
		wg.Wait()
		stored, votes := helpfulCount(t, db, r.ID)
		if stored != n/2 || votes != n/2 {
			t.Errorf("helpful_count %d, votes %d, want %d", stored, votes, n/2)
		}
	})
}

func TestReviewService_FlagReview(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, db *store.DB) {
		product := MustProduct(t, db, MustUser(t, db, fpr.RoleProducer))
		author := MustUser(t, db, fpr.RoleMember)
		r := MustReview(t, db, author, product, 5)
		MustReview(t, db, MustUser(t, db, fpr.RoleMember), product, 3)
		flagger := MustUser(t, db, fpr.RoleMember)

		f := &fpr.Flag{ReviewID: r.ID, Reason: fpr.FlagFake, Note: " bought by the farm "}
		if err := db.FlagReview(as(flagger), f); err != nil {
			t.Fatal(err)
		}
		if f.ID == "" || f.UserID != flagger.ID || f.Note != "bought by the farm" || f.CreatedAt.IsZero() {
			t.Errorf("flag = %+v, want ID, user, trimmed note, time", f)
		}
		for _, tc := range []struct {
			name string
			u    *fpr.User
			f    fpr.Flag
			want fpr.Code
		}{
			{"ErrConflict", flagger, fpr.Flag{ReviewID: r.ID, Reason: fpr.FlagSpam}, fpr.CodeConflict},
			{"ErrOwnReview", author, fpr.Flag{ReviewID: r.ID, Reason: fpr.FlagSpam}, fpr.CodeForbidden},
			{"ErrUnauthenticated", nil, fpr.Flag{ReviewID: r.ID, Reason: fpr.FlagSpam}, fpr.CodeUnauthenticated},
			{"ErrReason", MustUser(t, db, fpr.RoleMember), fpr.Flag{ReviewID: r.ID, Reason: "boring"}, fpr.CodeValidationFailed},
			{"ErrNoteLong", MustUser(t, db, fpr.RoleMember), fpr.Flag{ReviewID: r.ID, Reason: fpr.FlagOther, Note: strings.Repeat("n", 1001)}, fpr.CodeValidationFailed},
			{"ErrNotFound", MustUser(t, db, fpr.RoleMember), fpr.Flag{ReviewID: "missing", Reason: fpr.FlagSpam}, fpr.CodeNotFound},
		} {
			f := tc.f
			wantCode(t, tc.name, db.FlagReview(as(tc.u), &f), tc.want)
		}
		if got, _ := db.FindReviewByID(as(nil), r.ID); got == nil || got.Status != fpr.StatusPublished {
			t.Fatalf("after one flag the review is %+v, want published", got)
		}
		// Two more distinct users: the third flag unpublishes.
		wantCode(t, "second flag", db.FlagReview(as(MustUser(t, db, fpr.RoleMember)), &fpr.Flag{ReviewID: r.ID, Reason: fpr.FlagSpam}), "")
		if got, _ := db.FindReviewByID(as(nil), r.ID); got == nil || got.Status != fpr.StatusPublished {
			t.Fatalf("after two flags the review is %+v, want published", got)
		}
		wantCode(t, "third flag", db.FlagReview(as(MustUser(t, db, fpr.RoleMember)), &fpr.Flag{ReviewID: r.ID, Reason: fpr.FlagOffensive}), "")
		got, err := db.FindReviewByID(as(author), r.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != fpr.StatusPending {
			t.Errorf("after three flags status = %s, want pending", got.Status)
		}
		wantCode(t, "public read after unpublish", func() error { _, err := db.FindReviewByID(as(nil), r.ID); return err }(), fpr.CodeNotFound)
		if s := storedSummary(t, db, product); s.Count != 1 || s.Sum != 3 {
			t.Errorf("summary after unpublish = %+v, want only the 3-star review", s)
		}
		checkSummary(t, db, product, "after flags")
	})
}

func TestReviewService_SetReply(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, db *store.DB) {
		owner := MustUser(t, db, fpr.RoleProducer)
		product := MustProduct(t, db, owner)
		author := MustUser(t, db, fpr.RoleMember)
		r := MustReview(t, db, author, product, 2)

		got, err := db.SetReply(as(owner), r.ID, "  Sorry, we will do better. ")
		if err != nil {
			t.Fatal(err)
		}
		if got.Reply == nil || got.Reply.Body != "Sorry, we will do better." || got.Reply.Author.ID != owner.ID || got.Reply.Author.DisplayName != owner.DisplayName {
			t.Fatalf("reply = %+v, want the owner's trimmed reply", got.Reply)
		}
		first := got.Reply.CreatedAt
		got, err = db.SetReply(as(owner), r.ID, "Edited reply.")
		if err != nil {
			t.Fatal(err)
		}
		if got.Reply.Body != "Edited reply." || !got.Reply.CreatedAt.Equal(first) {
			t.Errorf("edited reply = %+v, want new body and the first creation time %v", got.Reply, first)
		}
		list, _, err := db.FindReviews(as(nil), fpr.ReviewFilter{ProductID: &product})
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 1 || list[0].Reply == nil || list[0].Reply.Body != "Edited reply." {
			t.Errorf("list does not carry the reply: %+v", list)
		}
		for _, tc := range []struct {
			name string
			u    *fpr.User
			body string
			want fpr.Code
		}{
			{"Admin", MustUser(t, db, fpr.RoleAdmin), "From the admin.", ""},
			{"ErrUnauthenticated", nil, "x", fpr.CodeUnauthenticated},
			{"ErrMember", MustUser(t, db, fpr.RoleMember), "x", fpr.CodeForbidden},
			{"ErrAuthor", author, "x", fpr.CodeForbidden},
			{"ErrOtherProducer", MustUser(t, db, fpr.RoleProducer), "x", fpr.CodeForbidden},
			{"ErrModerator", MustUser(t, db, fpr.RoleModerator), "x", fpr.CodeForbidden},
			{"ErrEmpty", owner, "  ", fpr.CodeValidationFailed},
			{"ErrLong", owner, strings.Repeat("b", 5001), fpr.CodeValidationFailed},
		} {
			_, err := db.SetReply(as(tc.u), r.ID, tc.body)
			wantCode(t, tc.name, err, tc.want)
		}
		got, _ = db.FindReviewByID(as(nil), r.ID)
		if got.Reply == nil || got.Reply.Body != "From the admin." {
			t.Errorf("reply after refused edits = %+v, want the admin's", got.Reply)
		}
		_, err = db.SetReply(as(owner), "missing", "x")
		wantCode(t, "unknown review", err, fpr.CodeNotFound)
	})
}

func TestModerationService(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, db *store.DB) {
		owner := MustUser(t, db, fpr.RoleProducer)
		product := MustProduct(t, db, owner)
		mod := MustUser(t, db, fpr.RoleModerator)
		admin := MustUser(t, db, fpr.RoleAdmin)
		member := MustUser(t, db, fpr.RoleMember)

		db.Moderation = fpr.ModerationPre
		pending := MustReview(t, db, MustUser(t, db, fpr.RoleMember), product, 2)
		db.Moderation = fpr.ModerationPost
		flagged := MustReview(t, db, MustUser(t, db, fpr.RoleMember), product, 5)
		MustReview(t, db, MustUser(t, db, fpr.RoleMember), product, 4) // neither
		for _, reason := range []fpr.FlagReason{fpr.FlagSpam, fpr.FlagSpam} {
			if err := db.FlagReview(as(MustUser(t, db, fpr.RoleMember)), &fpr.Flag{ReviewID: flagged.ID, Reason: reason}); err != nil {
				t.Fatal(err)
			}
		}
		if err := db.FlagReview(as(MustUser(t, db, fpr.RoleMember)), &fpr.Flag{ReviewID: flagged.ID, Reason: fpr.FlagFake}); err != nil {
			t.Fatal(err)
		}
		// flagged is now pending as well (three flags).

		t.Run("Queue", func(t *testing.T) {
			items, next, err := db.FindModerationQueue(as(mod), fpr.ModerationFilter{})
			if err != nil {
				t.Fatal(err)
			}
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
			if err != nil {
				t.Fatal(err)
			}
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
		})
		t.Run("QueueErrors", func(t *testing.T) {
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
				wantCode(t, tc.name, err, tc.want)
			}
		})
		t.Run("Decide", func(t *testing.T) {
			for _, tc := range []struct {
				name   string
				u      *fpr.User
				id     string
				action fpr.ModerationAction
				note   string
				want   fpr.Code
			}{
				{"ErrAnonymous", nil, pending.ID, fpr.ActionPublish, "", fpr.CodeUnauthenticated},
				{"ErrMember", member, pending.ID, fpr.ActionPublish, "", fpr.CodeForbidden},
				{"ErrProducer", owner, pending.ID, fpr.ActionPublish, "", fpr.CodeForbidden},
				{"ErrAction", mod, pending.ID, "hide", "", fpr.CodeValidationFailed},
				{"ErrNote", mod, pending.ID, fpr.ActionPublish, strings.Repeat("n", 1001), fpr.CodeValidationFailed},
				{"ErrNotFound", mod, "missing", fpr.ActionPublish, "", fpr.CodeNotFound},
				{"Publish", mod, pending.ID, fpr.ActionPublish, "Looks fine.", ""},
				{"ErrAlready", mod, pending.ID, fpr.ActionPublish, "", fpr.CodeConflict},
				{"Reject", admin, flagged.ID, fpr.ActionReject, "Fake.", ""},
				{"Republish", mod, flagged.ID, fpr.ActionPublish, "On appeal.", ""},
				{"Remove", mod, flagged.ID, fpr.ActionRemove, "", ""},
			} {
				r, err := db.ModerateReview(as(tc.u), tc.id, tc.action, tc.note)
				wantCode(t, tc.name, err, tc.want)
				if err == nil && r.Status != tc.action.Status() {
					t.Errorf("%s: status %s, want %s", tc.name, r.Status, tc.action.Status())
				}
				checkSummary(t, db, product, tc.name)
			}
			if s := storedSummary(t, db, product); s.Count != 2 || s.Sum != 6 {
				t.Errorf("summary = %+v, want the 2 (published) and the 4", s)
			}
			items, _, err := db.FindModerationQueue(as(mod), fpr.ModerationFilter{})
			if err != nil || len(items) != 0 {
				t.Errorf("queue after decisions = %d items, %v; want empty (flags resolved)", len(items), err)
			}
		})
		t.Run("Log", func(t *testing.T) {
			entries, err := db.FindModerationLog(as(admin), flagged.ID)
			if err != nil {
				t.Fatal(err)
			}
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
			if err := db.DeleteReview(as(admin), flagged.ID); err != nil {
				t.Fatal(err)
			}
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
				{"NoDecisions", mod, MustReview(t, db, MustUser(t, db, fpr.RoleMember), product, 1).ID, ""},
			} {
				_, err := db.FindModerationLog(as(tc.u), tc.id)
				wantCode(t, "log "+tc.name, err, tc.want)
			}
		})
	})
}

// TestModerationService_FlagsAfterDecision: a moderator's publish resolves
// the flags, so it takes three new flags to unpublish again.
func TestModerationService_FlagsAfterDecision(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, db *store.DB) {
		product := MustProduct(t, db, MustUser(t, db, fpr.RoleProducer))
		mod := MustUser(t, db, fpr.RoleModerator)
		r := MustReview(t, db, MustUser(t, db, fpr.RoleMember), product, 4)
		flag := func() {
			t.Helper()
			if err := db.FlagReview(as(MustUser(t, db, fpr.RoleMember)), &fpr.Flag{ReviewID: r.ID, Reason: fpr.FlagOther}); err != nil {
				t.Fatal(err)
			}
		}
		status := func() fpr.ReviewStatus {
			got, err := db.FindReviewByID(as(mod), r.ID)
			if err != nil {
				t.Fatal(err)
			}
			return got.Status
		}
		flag()
		if _, err := db.ModerateReview(as(mod), r.ID, fpr.ActionPublish, "Flag dismissed."); err != nil {
			t.Fatalf("dismissing one flag of a published review: %v", err)
		}
		flag()
		flag()
		if s := status(); s != fpr.StatusPublished {
			t.Errorf("after 2 new flags status = %s, want published", s)
		}
		flag()
		if s := status(); s != fpr.StatusPending {
			t.Errorf("after 3 new flags status = %s, want pending", s)
		}
		checkSummary(t, db, product, "after flags")
	})
}

func TestReviewService_FindReviews_Errors(t *testing.T) {
	t.Parallel()
	db := MustOpenSQLite(t)
	product := MustProduct(t, db, MustUser(t, db, fpr.RoleProducer))
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		f    fpr.ReviewFilter
		want fpr.Code
	}{
		{"BadSort", fpr.ReviewFilter{ProductID: &product, Sort: "oldest"}, fpr.CodeValidationFailed},
		{"BadRating", fpr.ReviewFilter{ProductID: &product, Rating: ptr(0)}, fpr.CodeValidationFailed},
		{"BadLimit", fpr.ReviewFilter{ProductID: &product, Page: fpr.Page{Limit: -1}}, fpr.CodeValidationFailed},
		{"BadCursor", fpr.ReviewFilter{ProductID: &product, Page: fpr.Page{Cursor: "!!"}}, fpr.CodeValidationFailed},
		{"UnknownProduct", fpr.ReviewFilter{ProductID: ptr("missing")}, fpr.CodeNotFound},
		{"UnknownAuthor", fpr.ReviewFilter{AuthorID: ptr("missing")}, fpr.CodeNotFound},
		{"Empty", fpr.ReviewFilter{ProductID: &product}, ""},
	} {
		_, _, err := db.FindReviews(ctx, tc.f)
		wantCode(t, tc.name, err, tc.want)
	}
	// A cursor of one sort is refused by another.
	for i := range 3 {
		MustReview(t, db, MustUser(t, db, fpr.RoleMember), product, i+1)
	}
	_, next, err := db.FindReviews(ctx, fpr.ReviewFilter{ProductID: &product, Page: fpr.Page{Limit: 1}})
	if err != nil || next == "" {
		t.Fatalf("first page: next %q, %v", next, err)
	}
	_, _, err = db.FindReviews(ctx, fpr.ReviewFilter{ProductID: &product, Sort: fpr.ReviewSortHelpful, Page: fpr.Page{Limit: 1, Cursor: next}})
	wantCode(t, "cursor of another sort", err, fpr.CodeValidationFailed)
}
