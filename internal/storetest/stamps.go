package storetest

import (
	"context"
	"testing"

	"github.com/fpr-team/fpr"
	"github.com/fpr-team/fpr/internal/store"
)

// stampOf reads product id's stamp.
func stampOf(t *testing.T, db *store.DB, id string) int64 {
	t.Helper()
	st, err := db.ProductStamp(context.Background(), id)
	mustOK(t, "ProductStamp", err)
	return st
}

var stampTests = map[string]func(t *testing.T, s *suite){
	// Every change that a product's public JSON shows moves its stamp
	// (migration 0019's triggers), whichever table it writes, and a
	// change to another product's page leaves it as it was: the HTTP
	// server's kept answers (internal/http/respcache.go) rely on both.
	"EveryChangeOnThePageMovesIt": func(t *testing.T, s *suite) {
		db := s.db(t, nil)
		admin := mustUser(t, db, fpr.RoleAdmin)
		mod := mustUser(t, db, fpr.RoleModerator)
		sh := mustShop(t, db)
		veg := mustProduct(t, db, sh.producer, sh.farm, "Chard", "vegetables", "Rainbow.")
		other := mustShop(t, db)
		author, voter, gone := mustUser(t, db, fpr.RoleMember), mustUser(t, db, fpr.RoleMember), mustUser(t, db, fpr.RoleMember)

		p, err := db.FindProductByID(context.Background(), veg.ID)
		mustOK(t, "FindProductByID", err)
		if p.Stamp != stampOf(t, db, veg.ID) {
			t.Fatalf("FindProductByID stamp %d, ProductStamp %d", p.Stamp, stampOf(t, db, veg.ID))
		}
		_, err = db.ProductStamp(context.Background(), "nope")
		wantCode(t, "ProductStamp(unknown)", err, fpr.CodeNotFound)

		var r *fpr.Review
		var photo *fpr.Photo
		steps := []struct {
			name   string
			change func()
		}{
			{"a new review with aspect scores", func() {
				r = &fpr.Review{ProductID: veg.ID, Rating: 4, Title: "Good", Body: "Crisp.", Aspects: map[fpr.Aspect]int{"freshness": 5}}
				mustOK(t, "CreateReview", db.CreateReview(as(author), r))
			}},
			{"an edit", func() {
				_, err := db.UpdateReview(as(author), r.ID, fpr.ReviewUpdate{Body: ptr("Crisp and sweet.")})
				mustOK(t, "UpdateReview", err)
			}},
			{"an edit of the aspect scores alone", func() {
				_, err := db.UpdateReview(as(author), r.ID, fpr.ReviewUpdate{Aspects: &map[fpr.Aspect]int{"freshness": 2}})
				mustOK(t, "UpdateReview", err)
			}},
			{"a helpful vote", func() { mustOK(t, "SetHelpful", db.SetHelpful(as(voter), r.ID, true)) }},
			{"a vote taken back", func() { mustOK(t, "SetHelpful", db.SetHelpful(as(voter), r.ID, false)) }},
			{"the farm's reply", func() {
				_, err := db.SetReply(as(sh.producer), r.ID, "Thank you!")
				mustOK(t, "SetReply", err)
			}},
			{"the reply edited", func() {
				_, err := db.SetReply(as(sh.producer), r.ID, "Thank you, come again!")
				mustOK(t, "SetReply", err)
			}},
			{"the author's new name", func() { mustOK(t, "SetDisplayName", db.SetDisplayName(as(author), author.ID, "Renamed A.")) }},
			{"the replier's new name", func() {
				mustOK(t, "SetDisplayName", db.SetDisplayName(as(sh.producer), sh.producer.ID, "Renamed P."))
			}},
			{"a review photo", func() {
				var err error
				photo, err = db.AddPhoto(as(author), fpr.PhotoOwner{ReviewID: r.ID},
					&fpr.PhotoData{ContentType: "image/jpeg", Large: []byte("large"), Width: 640, Height: 480, Thumb: []byte("thumb")})
				mustOK(t, "AddPhoto", err)
			}},
			{"the review photo deleted", func() { mustOK(t, "DeletePhoto", db.DeletePhoto(as(author), photo.ID)) }},
			{"a product photo", func() {
				_, err := db.AddPhoto(as(sh.producer), fpr.PhotoOwner{ProductID: veg.ID},
					&fpr.PhotoData{ContentType: "image/jpeg", Large: []byte("large"), Width: 800, Height: 600, Thumb: []byte("thumb")})
				mustOK(t, "AddPhoto", err)
			}},
			{"a moderator's removal", func() {
				_, err := db.ModerateReview(as(mod), r.ID, fpr.ActionRemove, "Off topic.", "")
				mustOK(t, "ModerateReview", err)
			}},
			{"the review published again", func() {
				_, err := db.ModerateReview(as(mod), r.ID, fpr.ActionPublish, "On second look.", "")
				mustOK(t, "ModerateReview", err)
			}},
			{"the product renamed", func() {
				_, err := db.UpdateProduct(as(sh.producer), veg.ID, fpr.ProductUpdate{Name: ptr("Rainbow chard")})
				mustOK(t, "UpdateProduct", err)
			}},
			{"the farm renamed", func() {
				_, err := db.UpdateFarm(as(sh.producer), sh.farm.ID, fpr.FarmUpdate{Name: ptr("Chard Acres")})
				mustOK(t, "UpdateFarm", err)
			}},
			{"another author's review", func() { mustReview(t, db, gone, veg.ID, 2) }},
			{"that author's account deleted", func() { mustOK(t, "DeleteAccount", db.DeleteAccount(as(gone), gone.ID)) }},
			{"the review deleted", func() { mustOK(t, "DeleteReview", db.DeleteReview(as(author), r.ID)) }},
			{"the product archived", func() {
				archived, err := db.DeleteProduct(as(admin), veg.ID)
				mustOK(t, "DeleteProduct", err)
				if !archived {
					t.Fatalf("DeleteProduct of a reviewed product deleted it, want it archived")
				}
			}},
		}
		for _, step := range steps {
			before, otherBefore := stampOf(t, db, veg.ID), stampOf(t, db, other.product.ID)
			step.change()
			if after := stampOf(t, db, veg.ID); after <= before {
				t.Errorf("%s: stamp %d → %d, want it moved forward", step.name, before, after)
			}
			if after := stampOf(t, db, other.product.ID); after != otherBefore {
				t.Errorf("%s: another farm's product's stamp %d → %d, want it unchanged", step.name, otherBefore, after)
			}
		}

		// A review of another product leaves this one's stamp alone.
		before := stampOf(t, db, sh.product.ID)
		mustReview(t, db, voter, other.product.ID, 5)
		if after := stampOf(t, db, sh.product.ID); after != before {
			t.Errorf("a review of another product moved this one's stamp %d → %d", before, after)
		}
	},
}
