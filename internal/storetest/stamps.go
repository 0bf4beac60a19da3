package storetest

import (
	"context"
	"fmt"
	"strconv"
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

// keptPageTests cover the pages the database keeps for the HTTP server
// (fpr.ProductService.KeptPage, KeepPages): one is given back only for
// its product, variant and release, and only while the product's stamp
// is the one it was made at.
var keptPageTests = map[string]func(t *testing.T, s *suite){
	"GivenBackOnlyWhileCurrent": func(t *testing.T, s *suite) {
		db := s.db(t, nil)
		ctx := context.Background()
		sh := mustShop(t, db)
		other := mustProduct(t, db, sh.producer, sh.farm, "Perry pears", "fruit", "Sweet.")
		kept := func(id, variant, release string) (int64, []byte) {
			t.Helper()
			stamp, body, err := db.KeptPage(ctx, id, variant, release, nil)
			mustOK(t, "KeptPage", err)
			if stamp != stampOf(t, db, id) {
				t.Fatalf("KeptPage stamp %d, ProductStamp %d", stamp, stampOf(t, db, id))
			}
			return stamp, body
		}

		stamp, body := kept(sh.product.ID, "reviews/newest", "r1")
		if body != nil {
			t.Fatalf("before any was kept: %q", body)
		}
		page := []byte(`{"items":[]}`)
		mustOK(t, "KeepPages", db.KeepPages(ctx, []fpr.KeptPage{
			{ProductID: sh.product.ID, Variant: "reviews/newest", Release: "r1", Stamp: stamp, Body: page},
		}))
		if _, body := kept(sh.product.ID, "reviews/newest", "r1"); string(body) != string(page) {
			t.Fatalf("kept at the current stamp: got %q, want %q", body, page)
		}
		for _, c := range []struct{ id, variant, release string }{
			{sh.product.ID, "reviews/helpful", "r1"}, // another variant
			{sh.product.ID, "reviews/newest", "r2"},  // another release's encoding
			{other.ID, "reviews/newest", "r1"},       // another product
		} {
			if _, body := kept(c.id, c.variant, c.release); body != nil {
				t.Errorf("KeptPage(%+v) = %q, want none", c, body)
			}
		}
		// A page made at an older stamp (before a change committed while
		// it was made) is not stored at all.
		mustOK(t, "KeepPages", db.KeepPages(ctx, []fpr.KeptPage{
			{ProductID: other.ID, Variant: "reviews/newest", Release: "r1", Stamp: stampOf(t, db, other.ID) - 1, Body: page},
		}))
		if _, body := kept(other.ID, "reviews/newest", "r1"); body != nil {
			t.Errorf("a page made at an older stamp was given back: %q", body)
		}
		if n := keptRows(t, db, other.ID); n != 0 {
			t.Errorf("a page made at an older stamp was stored (%d rows)", n)
		}

		// A review moves the stamp: the pages kept before it are not given
		// back (ATakingAwayDeletesThePage: nor kept at rest when a change
		// takes something away), and one made at the new stamp is kept.
		mustOK(t, "KeepPages", db.KeepPages(ctx, []fpr.KeptPage{
			{ProductID: sh.product.ID, Variant: "reviews/helpful", Release: "r1", Stamp: stamp, Body: page},
		}))
		if n := keptRows(t, db, sh.product.ID); n != 2 {
			t.Fatalf("%d rows kept, want 2", n)
		}
		mustReview(t, db, mustUser(t, db, fpr.RoleMember), sh.product.ID, 4)
		stamp, body = kept(sh.product.ID, "reviews/newest", "r1")
		if body != nil {
			t.Fatalf("after a review, the page kept before it was given back: %q", body)
		}
		newer := []byte(`{"items":[{"rating":4}]}`)
		mustOK(t, "KeepPages", db.KeepPages(ctx, []fpr.KeptPage{
			{ProductID: sh.product.ID, Variant: "reviews/newest", Release: "r1", Stamp: stamp, Body: newer},
		}))
		if _, body := kept(sh.product.ID, "reviews/newest", "r1"); string(body) != string(newer) {
			t.Fatalf("after keeping it again: %q, want %q", body, newer)
		}

		_, _, err := db.KeptPage(ctx, "nope", "reviews/newest", "r1", nil)
		wantCode(t, "KeptPage(unknown)", err, fpr.CodeNotFound)
	},
	"ATakingAwayDeletesThePage": func(t *testing.T, s *suite) {
		// A kept page is never given back once its product changed. Its
		// row is deleted, in the change's own transaction, by every
		// change that could take away something it shows (an edit, a
		// removal, a name changed, an account deleted...), so the text
		// gone stays in no kept page. A change that only adds to the page
		// leaves the stale row on SQLite for the next keep to replace
		// (migration 0022: the delete was the dearest part of a review
		// on its one writer); PostgreSQL deletes it at every change.
		db := s.db(t, nil)
		ctx := context.Background()
		mod := mustUser(t, db, fpr.RoleModerator)
		sh := mustShop(t, db)
		veg := mustProduct(t, db, sh.producer, sh.farm, "Chard", "vegetables", "Rainbow.")
		author, voter, gone := mustUser(t, db, fpr.RoleMember), mustUser(t, db, fpr.RoleMember), mustUser(t, db, fpr.RoleMember)
		var r, goneReview *fpr.Review
		var photo *fpr.Photo
		steps := []struct {
			name string
			// purges: the change updates or deletes what a page shows
			// (publishing a review again too), which could take something
			// away, so the kept page goes on both databases
			purges bool
			change func()
		}{
			{"a new review with aspect scores", false, func() {
				r = &fpr.Review{ProductID: veg.ID, Rating: 4, Title: "Good", Body: "Crisp.", Aspects: map[fpr.Aspect]int{"freshness": 5}}
				mustOK(t, "CreateReview", db.CreateReview(as(author), r))
			}},
			{"the farm's reply", false, func() {
				_, err := db.SetReply(as(sh.producer), r.ID, "Thank you!")
				mustOK(t, "SetReply", err)
			}},
			{"a review photo", false, func() {
				var err error
				photo, err = db.AddPhoto(as(author), fpr.PhotoOwner{ReviewID: r.ID},
					&fpr.PhotoData{ContentType: "image/jpeg", Large: []byte("large"), Width: 640, Height: 480, Thumb: []byte("thumb")})
				mustOK(t, "AddPhoto", err)
			}},
			{"another author's review", false, func() { goneReview = mustReview(t, db, gone, veg.ID, 2) }},
			{"an edit", true, func() {
				_, err := db.UpdateReview(as(author), r.ID, fpr.ReviewUpdate{Body: ptr("Crisp and sweet.")})
				mustOK(t, "UpdateReview", err)
			}},
			{"an edit of the aspect scores alone", true, func() {
				_, err := db.UpdateReview(as(author), r.ID, fpr.ReviewUpdate{Aspects: &map[fpr.Aspect]int{"freshness": 2}})
				mustOK(t, "UpdateReview", err)
			}},
			{"a helpful vote", true, func() { mustOK(t, "SetHelpful", db.SetHelpful(as(voter), r.ID, true)) }},
			{"the reply edited", true, func() {
				_, err := db.SetReply(as(sh.producer), r.ID, "Thank you, come again!")
				mustOK(t, "SetReply", err)
			}},
			{"the author's new name", true, func() { mustOK(t, "SetDisplayName", db.SetDisplayName(as(author), author.ID, "Renamed A.")) }},
			{"the replier's new name", true, func() {
				mustOK(t, "SetDisplayName", db.SetDisplayName(as(sh.producer), sh.producer.ID, "Renamed P."))
			}},
			{"the review photo deleted", true, func() { mustOK(t, "DeletePhoto", db.DeletePhoto(as(author), photo.ID)) }},
			{"a moderator's removal", true, func() {
				_, err := db.ModerateReview(as(mod), goneReview.ID, fpr.ActionRemove, "Personal details.", "")
				mustOK(t, "ModerateReview", err)
			}},
			{"the review published again", true, func() {
				_, err := db.ModerateReview(as(mod), goneReview.ID, fpr.ActionPublish, "Fine after all.", "")
				mustOK(t, "ModerateReview", err)
			}},
			{"that author's account deleted", true, func() { mustOK(t, "DeleteAccount", db.DeleteAccount(as(gone), gone.ID)) }},
			{"the review deleted", true, func() { mustOK(t, "DeleteReview", db.DeleteReview(as(author), r.ID)) }},
		}
		for _, step := range steps {
			mustOK(t, "KeepPages", db.KeepPages(ctx, []fpr.KeptPage{
				{ProductID: veg.ID, Variant: "reviews/newest", Release: "r1", Stamp: stampOf(t, db, veg.ID), Body: []byte(`{"before":true}`)},
			}))
			if n := keptRows(t, db, veg.ID); n != 1 {
				t.Fatalf("before %s: %d rows kept, want 1", step.name, n)
			}
			step.change()
			if _, body, err := db.KeptPage(ctx, veg.ID, "reviews/newest", "r1", nil); err != nil || body != nil {
				t.Errorf("after %s: the page kept before it was given back: %q, %v", step.name, body, err)
			}
			want := 0
			if !step.purges && s.backend == "sqlite" {
				want = 1
			}
			if n := keptRows(t, db, veg.ID); n != want {
				t.Errorf("after %s: %d rows kept, want %d", step.name, n, want)
			}
		}
	},
	"PagesOfDeletedProductsAreSkipped": func(t *testing.T, s *suite) {
		// A page made just before its product was deleted arrives after:
		// it is skipped, and the rest of its batch is kept.
		db := s.db(t, nil)
		ctx := context.Background()
		admin := mustUser(t, db, fpr.RoleAdmin)
		sh := mustShop(t, db)
		gone := mustProduct(t, db, sh.producer, sh.farm, "Gone", "fruit", "Soon deleted.")
		goneStamp := stampOf(t, db, gone.ID)
		mustOK(t, "KeepPages", db.KeepPages(ctx, []fpr.KeptPage{
			{ProductID: gone.ID, Variant: "reviews/newest", Release: "r1", Stamp: goneStamp, Body: []byte(`{}`)},
		}))
		archived, err := db.DeleteProduct(as(admin), gone.ID)
		mustOK(t, "DeleteProduct", err)
		if archived {
			t.Fatal("a product without reviews was archived, want it deleted")
		}
		var pages []fpr.KeptPage
		for i := range 40 { // more than one write's worth
			pages = append(pages, fpr.KeptPage{ProductID: gone.ID, Variant: fmt.Sprintf("v%d", i), Release: "r1", Stamp: goneStamp, Body: []byte(`{}`)})
		}
		pages = append(pages, fpr.KeptPage{ProductID: sh.product.ID, Variant: "reviews/newest", Release: "r1",
			Stamp: stampOf(t, db, sh.product.ID), Body: []byte(`{"kept":true}`)})
		mustOK(t, "KeepPages", db.KeepPages(ctx, pages))
		if _, body, err := db.KeptPage(ctx, sh.product.ID, "reviews/newest", "r1", make([]byte, 3)); err != nil || string(body) != `{"kept":true}` {
			t.Errorf("the live product's page: %q, %v", body, err)
		}
		_, _, err = db.KeptPage(ctx, gone.ID, "reviews/newest", "r1", nil)
		wantCode(t, "KeptPage(deleted)", err, fpr.CodeNotFound)
	},
	"ABatchKeepsEachCurrentPage": func(t *testing.T, s *suite) {
		// One call with pages of several products, out of order: each
		// current page is kept, a stale one and one of an unknown
		// product are skipped, and of two pages of the same product and
		// variant the later wins, as if they came one call after the
		// other.
		db := s.db(t, nil)
		ctx := context.Background()
		sh := mustShop(t, db)
		var products []*fpr.Product
		for i := range 20 { // more than one write's worth
			products = append(products, mustProduct(t, db, sh.producer, sh.farm, fmt.Sprintf("Apple %d", i), "fruit", "Crisp."))
		}
		stale := products[3]
		staleStamp := stampOf(t, db, stale.ID)
		mustReview(t, db, mustUser(t, db, fpr.RoleMember), stale.ID, 5)
		var pages []fpr.KeptPage
		for i := len(products) - 1; i >= 0; i-- {
			p := products[i]
			stamp := stampOf(t, db, p.ID)
			if p == stale {
				stamp = staleStamp
			}
			pages = append(pages, fpr.KeptPage{ProductID: p.ID, Variant: "reviews/newest", Release: "r1", Stamp: stamp, Body: []byte(`{"n":` + strconv.Itoa(i) + `}`)})
		}
		twice := products[7]
		pages = append(pages,
			fpr.KeptPage{ProductID: "no-such-product", Variant: "reviews/newest", Release: "r1", Stamp: 1, Body: []byte(`{}`)},
			fpr.KeptPage{ProductID: twice.ID, Variant: "reviews/newest", Release: "r2", Stamp: stampOf(t, db, twice.ID), Body: []byte(`{"later":true}`)})
		mustOK(t, "KeepPages", db.KeepPages(ctx, pages))
		for i, p := range products {
			want, release := `{"n":`+strconv.Itoa(i)+`}`, "r1"
			switch p {
			case stale:
				if n := keptRows(t, db, p.ID); n != 0 {
					t.Errorf("a page made before its product's last change was stored (%d rows)", n)
				}
				continue
			case twice:
				want, release = `{"later":true}`, "r2"
			}
			if _, body, err := db.KeptPage(ctx, p.ID, "reviews/newest", release, nil); err != nil || string(body) != want {
				t.Errorf("product %d: kept %q (%v), want %s", i, body, err, want)
			}
			if n := keptRows(t, db, p.ID); n != 1 {
				t.Errorf("product %d: %d rows kept, want 1", i, n)
			}
		}
	},
}

// keptRows counts the pages kept for product id, stale or not.
func keptRows(t *testing.T, db *store.DB, id string) int {
	t.Helper()
	tx, err := db.BeginTx(context.Background(), false)
	mustOK(t, "BeginTx", err)
	defer func() { _ = tx.Rollback() }()
	var n int
	mustOK(t, "count kept pages", tx.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM kept_pages WHERE product_id = $1`, id).Scan(&n))
	return n
}
