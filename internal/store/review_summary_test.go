package store_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"

	"github.com/fpr-team/fpr"
	"github.com/fpr-team/fpr/internal/storetest"
)

// TestRatingSummary_RandomOperations runs a fixed-seed random sequence of
// creates, edits, deletes, votes, flags and moderation decisions over two
// products, by members, a probe user and moderators, in both moderation
// modes, and checks after every operation that each product's stored
// summary equals a recount of its published, non-probe reviews.
func TestRatingSummary_RandomOperations(t *testing.T) {
	t.Parallel()
	storetest.ForEachBackend(t, func(t *testing.T, backend string) {
		db := storetest.OpenDB(t, backend)
		rng := rand.New(rand.NewPCG(42, 7))
		producer := MustUser(t, db, fpr.RoleProducer)
		products := []string{MustProduct(t, db, producer), MustProduct(t, db, producer)}
		users := []*fpr.User{MustProbeUser(t, db)}
		for range 11 {
			users = append(users, MustUser(t, db, fpr.RoleMember))
		}
		mods := []*fpr.User{MustUser(t, db, fpr.RoleModerator), MustUser(t, db, fpr.RoleAdmin)}
		var ids []string // reviews created, some since deleted
		pick := func() string {
			if len(ids) == 0 || rng.IntN(20) == 0 {
				return "missing"
			}
			return ids[rng.IntN(len(ids))]
		}
		anyone := func() *fpr.User {
			if rng.IntN(8) == 0 {
				return mods[rng.IntN(len(mods))]
			}
			return users[rng.IntN(len(users))]
		}
		authors := map[string]*fpr.User{}
		// ownerOr returns id's author most of the time, else anyone.
		ownerOr := func(id string) *fpr.User {
			if a := authors[id]; a != nil && rng.IntN(4) > 0 {
				return a
			}
			return anyone()
		}
		modOr := func() *fpr.User {
			if rng.IntN(4) > 0 {
				return mods[rng.IntN(len(mods))]
			}
			return anyone()
		}
		counts := map[string]int{}
		const ops = 300
		for i := range ops {
			if rng.IntN(25) == 0 {
				db.Moderation = map[bool]fpr.ModerationMode{true: fpr.ModerationPre, false: fpr.ModerationPost}[db.Moderation == fpr.ModerationPost]
			}
			var (
				op  string
				err error
			)
			switch k := rng.IntN(100); {
			case k < 30:
				op = "create"
				r := &fpr.Review{ProductID: products[rng.IntN(2)], Rating: rng.IntN(6), Body: "Random review."}
				u := users[rng.IntN(len(users))]
				if err = db.CreateReview(as(u), r); err == nil {
					ids = append(ids, r.ID)
					authors[r.ID] = u
				}
			case k < 42:
				op = "edit"
				upd := fpr.ReviewUpdate{Rating: ptr(1 + rng.IntN(5))}
				id := pick()
				_, err = db.UpdateReview(as(ownerOr(id)), id, upd)
			case k < 50:
				op = "delete"
				id := pick()
				err = db.DeleteReview(as(ownerOr(id)), id)
			case k < 62:
				op = "vote"
				err = db.SetHelpful(as(anyone()), pick(), rng.IntN(3) > 0)
			case k < 78:
				op = "flag"
				err = db.FlagReview(as(anyone()), &fpr.Flag{ReviewID: pick(), Reason: fpr.FlagReasons[rng.IntN(len(fpr.FlagReasons))], Note: "n"})
			default:
				op = "moderate"
				actions := []fpr.ModerationAction{fpr.ActionPublish, fpr.ActionPublish, fpr.ActionReject, fpr.ActionRemove}
				_, err = db.ModerateReview(as(modOr()), pick(), actions[rng.IntN(len(actions))], "", "")
			}
			code := fpr.ErrorCode(err)
			if code == fpr.CodeInternal {
				t.Fatalf("op %d %s: %v", i, op, err)
			}
			counts[op+":"+string(code)]++
			for _, p := range products {
				checkSummary(t, db, p, fmt.Sprintf("op %d (%s, %q)", i, op, code))
			}
		}
		// The sequence must exercise successes and refusals of each kind.
		for _, k := range []string{"create:", "create:conflict", "create:validation_failed", "edit:", "edit:forbidden",
			"delete:", "vote:", "flag:", "flag:conflict", "moderate:", "moderate:forbidden"} {
			if counts[k] == 0 {
				t.Errorf("the random sequence never had %s; counts %v", k, counts)
			}
		}
		t.Logf("operations by outcome: %v", counts)
		var published int
		for _, p := range products {
			published += storedSummary(t, db, p).Count
		}
		if published == 0 {
			t.Errorf("no published review at the end: the test checks nothing interesting")
		}
	})
}

// TestRatingSummary_Concurrent: 50 users review one product at once, then
// edit and delete concurrently while moderators decide; the summary equals
// a recount at the end.
func TestRatingSummary_Concurrent(t *testing.T) {
	t.Parallel()
	storetest.ForEachBackend(t, func(t *testing.T, backend string) {
		db := storetest.OpenDB(t, backend)
		product := MustProduct(t, db, MustUser(t, db, fpr.RoleProducer))
		mod := MustUser(t, db, fpr.RoleModerator)
		const n = 50
		users := make([]*fpr.User, n)
		for i := range users {
			users[i] = MustUser(t, db, fpr.RoleMember)
		}
		reviews := make([]*fpr.Review, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i, u := range users {
			wg.Go(func() {
				<-start
				r := &fpr.Review{ProductID: product, Rating: 1 + i%5, Body: "Concurrent review."}
				if err := db.CreateReview(as(u), r); err != nil {
					t.Error(err)
					return
				}
				reviews[i] = r
				// Edit the rating a few times.
				for k := range 3 {
					if _, err := db.UpdateReview(as(u), r.ID, fpr.ReviewUpdate{Rating: ptr(1 + (i+k)%5)}); err != nil {
						t.Error(err)
					}
				}
				switch i % 5 {
				case 0:
					if err := db.DeleteReview(as(u), r.ID); err != nil {
						t.Error(err)
					}
				case 1:
					// A moderator's decision racing the author's edit.
					go1 := make(chan error, 1)
					go func() { _, err := db.ModerateReview(as(mod), r.ID, fpr.ActionReject, "", ""); go1 <- err }()
					_, err := db.UpdateReview(as(u), r.ID, fpr.ReviewUpdate{Rating: ptr(5)})
					if err != nil {
						t.Error(err)
					}
					if err := <-go1; err != nil {
						t.Error(err)
					}
				case 2:
					// Delete racing a moderator's removal: both apply once.
					go1 := make(chan error, 1)
					go func() { _, err := db.ModerateReview(as(mod), r.ID, fpr.ActionRemove, "", ""); go1 <- err }()
					derr := db.DeleteReview(as(u), r.ID)
					merr := <-go1
					if fpr.ErrorCode(derr) != "" || (merr != nil && fpr.ErrorCode(merr) != fpr.CodeNotFound) {
						t.Errorf("delete %v, removal %v; want the delete to succeed and the removal to succeed or find nothing", derr, merr)
					}
				}
			})
		}
		close(start)
		wg.Wait()
		checkSummary(t, db, product, "after concurrent reviews, edits, deletes and decisions")
		want := 0
		for i := range n {
			if i%5 >= 3 {
				want++
			}
		}
		if got := storedSummary(t, db, product).Count; got != want {
			t.Errorf("published count = %d, want %d", got, want)
		}
	})
}

// TestReviewService_FindReviews_Order pages through every sort with a
// small limit and compares the concatenated pages with the order computed
// here, with and without a rating filter.
func TestReviewService_FindReviews_Order(t *testing.T) {
	t.Parallel()
	storetest.ForEachBackend(t, func(t *testing.T, backend string) {
		db := storetest.OpenDB(t, backend)
		product := MustProduct(t, db, MustUser(t, db, fpr.RoleProducer))
		other := MustProduct(t, db, MustUser(t, db, fpr.RoleProducer))
		rng := rand.New(rand.NewPCG(1, 2))
		voters := make([]*fpr.User, 4)
		for i := range voters {
			voters[i] = MustUser(t, db, fpr.RoleMember)
		}
		var all []*fpr.Review
		for i := range 23 {
			u := MustUser(t, db, fpr.RoleMember)
			r := MustReview(t, db, u, product, 1+rng.IntN(5))
			for _, v := range voters[:rng.IntN(len(voters)+1)] {
				if err := db.SetHelpful(as(v), r.ID, true); err != nil {
					t.Fatal(err)
				}
				r.HelpfulCount++
			}
			MustReview(t, db, u, other, 3)
			if i%7 == 0 {
				if _, err := db.ModerateReview(as(MustUser(t, db, fpr.RoleModerator)), r.ID, fpr.ActionReject, "", ""); err != nil {
					t.Fatal(err)
				}
				continue
			}
			all = append(all, r)
		}
		MustReview(t, db, MustProbeUser(t, db), product, 5)

		less := map[fpr.ReviewSort]func(a, b *fpr.Review) int{
			fpr.ReviewSortNewest: func(a, b *fpr.Review) int { return -cmpStr(a.ID, b.ID) },
			fpr.ReviewSortHelpful: func(a, b *fpr.Review) int {
				if a.HelpfulCount != b.HelpfulCount {
					return b.HelpfulCount - a.HelpfulCount
				}
				return -cmpStr(a.ID, b.ID)
			},
			fpr.ReviewSortHighest: func(a, b *fpr.Review) int {
				if a.Rating != b.Rating {
					return b.Rating - a.Rating
				}
				return -cmpStr(a.ID, b.ID)
			},
			fpr.ReviewSortLowest: func(a, b *fpr.Review) int {
				if a.Rating != b.Rating {
					return a.Rating - b.Rating
				}
				return -cmpStr(a.ID, b.ID)
			},
		}
		viewer := voters[0]
		for sort, cmp := range less {
			for _, rating := range []*int{nil, ptr(1), ptr(3), ptr(5)} {
				name := string(sort)
				if rating != nil {
					name += fmt.Sprintf("/rating=%d", *rating)
				}
				t.Run(name, func(t *testing.T) {
					var want []string
					sorted := slices.Clone(all)
					slices.SortFunc(sorted, cmp)
					for _, r := range sorted {
						if rating == nil || r.Rating == *rating {
							want = append(want, r.ID)
						}
					}
					var got []string
					cur := ""
					for page := 0; ; page++ {
						list, next, err := db.FindReviews(as(viewer), fpr.ReviewFilter{ProductID: &product, Sort: sort, Rating: rating,
							Page: fpr.Page{Limit: 4, Cursor: cur}})
						if err != nil {
							t.Fatal(err)
						}
						if len(list) > 4 {
							t.Fatalf("page %d has %d items, want at most 4", page, len(list))
						}
						for _, r := range list {
							got = append(got, r.ID)
							voted := false
							for _, a := range all {
								if a.ID == r.ID {
									voted = a.HelpfulCount > 0 // voters[0] votes first
								}
							}
							if r.ViewerHelpful != voted {
								t.Errorf("review %s ViewerHelpful = %v, want %v", r.ID, r.ViewerHelpful, voted)
							}
						}
						if next == "" {
							break
						}
						if page > 10 {
							t.Fatal("too many pages")
						}
						cur = next
					}
					if !slices.Equal(got, want) {
						t.Errorf("pages = %v\nwant  %v", got, want)
					}
				})
			}
		}

		t.Run("Author", func(t *testing.T) {
			author := MustUser(t, db, fpr.RoleMember)
			pub := MustReview(t, db, author, product, 4)
			rej := MustReview(t, db, author, other, 2)
			if _, err := db.ModerateReview(as(MustUser(t, db, fpr.RoleModerator)), rej.ID, fpr.ActionReject, "", ""); err != nil {
				t.Fatal(err)
			}
			own, _, err := db.FindReviews(as(author), fpr.ReviewFilter{AuthorID: &author.ID})
			if err != nil {
				t.Fatal(err)
			}
			// IDs order by creation time to the millisecond; within one
			// the order is the IDs'.
			first, second := rej.ID, pub.ID
			if first < second {
				first, second = second, first
			}
			if len(own) != 2 || own[0].ID != first || own[1].ID != second {
				t.Errorf("own list = %d reviews, want both, newest (highest ID) first", len(own))
			}
			public, _, err := db.FindReviews(as(viewer), fpr.ReviewFilter{AuthorID: &author.ID})
			if err != nil {
				t.Fatal(err)
			}
			if len(public) != 1 || public[0].ID != pub.ID {
				t.Errorf("public list of the author = %d reviews, want the published one", len(public))
			}
		})
	})
}

func cmpStr(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
