package storetest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fpr-team/fpr"
	"github.com/fpr-team/fpr/internal/store"
)

// checkFarm compares the farm's stored rating summary with a recount of
// the published reviews of every product it ever had (productIDs, archived
// ones included), and its product count with its listed products.
func checkFarm(t *testing.T, db *store.DB, farmID string, productIDs []string) *fpr.Farm {
	t.Helper()
	f, err := db.FindFarmByID(context.Background(), farmID)
	mustOK(t, "FindFarmByID", err)
	var want fpr.Rating
	for _, id := range productIDs {
		if _, err := db.FindProductByID(context.Background(), id); fpr.ErrorCode(err) == fpr.CodeNotFound {
			continue // deleted, with no reviews
		}
		for _, r := range allReviews(t, db, nil, fpr.ReviewFilter{ProductID: &id}, fpr.MaxLimit) {
			want.Count++
			want.Sum += r.Rating
			want.Histogram[r.Rating-1]++
		}
	}
	if f.Rating != want {
		t.Errorf("farm rating summary %+v, recount of the published reviews %+v", f.Rating, want)
	}
	listed := walkProducts(t, db, fpr.ProductFilter{FarmID: &farmID}, fpr.MaxLimit)
	if f.ProductCount != len(listed) {
		t.Errorf("farm product_count %d, listed products %d", f.ProductCount, len(listed))
	}
	return f
}

// farmsFound returns the names of the farms f finds, in order, walking
// every page.
func farmsFound(t *testing.T, db *store.DB, f fpr.FarmFilter) []string {
	t.Helper()
	var names []string
	for {
		farms, next, err := db.FindFarms(context.Background(), f)
		mustOK(t, "FindFarms", err)
		for _, farm := range farms {
			names = append(names, farm.Name)
		}
		if next == "" {
			return names
		}
		f.Cursor = next
	}
}

var farmTests = map[string]func(t *testing.T, s *suite){
	"Rating_RandomOperationsMatchRecount": func(t *testing.T, s *suite) {
		db := s.db(t, nil)
		sh := mustShop(t, db)
		mod := mustUser(t, db, fpr.RoleModerator)
		products := []*fpr.Product{sh.product}
		ids := []string{sh.product.ID}
		rng := rand.New(rand.NewPCG(3, 4))
		users := make([]*fpr.User, 6)
		for i := range users {
			users[i] = mustUser(t, db, fpr.RoleMember)
		}
		type key struct{ user, product string }
		reviews := map[key]*fpr.Review{}
		for step := range 160 {
			u := users[rng.IntN(len(users))]
			p := products[rng.IntN(len(products))]
			r := reviews[key{u.ID, p.ID}]
			switch op := rng.IntN(12); {
			case op == 0: // a new product
				np := mustProduct(t, db, sh.producer, sh.farm, fmt.Sprintf("Product %d", step), "fruit", "x")
				products = append(products, np)
				ids = append(ids, np.ID)
			case op == 1 && len(products) > 1: // remove a product: archived when reviewed
				_, err := db.DeleteProduct(as(sh.producer), p.ID)
				mustOK(t, "DeleteProduct", err)
				products = slices.DeleteFunc(products, func(q *fpr.Product) bool { return q.ID == p.ID })
			case r == nil:
				r = &fpr.Review{ProductID: p.ID, Rating: 1 + rng.IntN(5), Body: "x"}
				mustOK(t, "CreateReview", db.CreateReview(as(u), r))
				reviews[key{u.ID, p.ID}] = r
			case op < 5:
				_, err := db.UpdateReview(as(u), r.ID, fpr.ReviewUpdate{Rating: ptr(1 + rng.IntN(5))})
				if fpr.ErrorCode(err) != fpr.CodeNotFound { // hidden by moderation
					mustOK(t, "UpdateReview", err)
				}
			case op < 7:
				mustOK(t, "DeleteReview", db.DeleteReview(as(mod), r.ID))
				delete(reviews, key{u.ID, p.ID})
			default:
				action := []fpr.ModerationAction{fpr.ActionPublish, fpr.ActionReject, fpr.ActionRemove}[rng.IntN(3)]
				_, err := db.ModerateReview(as(mod), r.ID, action, "", "")
				if fpr.ErrorCode(err) != fpr.CodeConflict {
					mustOK(t, "ModerateReview", err)
				}
			}
			if step%20 == 0 {
				checkFarm(t, db, sh.farm.ID, ids)
			}
		}
		f := checkFarm(t, db, sh.farm.ID, ids)
		if f.Rating.Count == 0 {
			t.Error("the random walk left no published review: it tested little")
		}
	},
	"Rating_ConcurrentOperationsMatchRecount": func(t *testing.T, s *suite) {
		db := s.db(t, nil)
		sh := mustShop(t, db)
		mod := mustUser(t, db, fpr.RoleModerator)
		ids := []string{sh.product.ID}
		for i := range 3 {
			ids = append(ids, mustProduct(t, db, sh.producer, sh.farm, fmt.Sprintf("Pear %d", i), "fruit", "x").ID)
		}
		const workers = 8
		users := make([]*fpr.User, workers)
		for i := range users {
			users[i] = mustUser(t, db, fpr.RoleMember)
		}
		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() {
				rng := rand.New(rand.NewPCG(uint64(w), 9))
				for i := range 12 {
					pid := ids[rng.IntN(len(ids))]
					r := &fpr.Review{ProductID: pid, Rating: 1 + rng.IntN(5), Body: "race"}
					err := db.CreateReview(as(users[w]), r)
					switch fpr.ErrorCode(err) {
					case "":
					case fpr.CodeConflict, fpr.CodeNotFound: // reviewed already; archived or removed meanwhile
						continue
					default:
						t.Errorf("CreateReview: %v", err)
						return
					}
					switch i % 4 {
					case 1:
						if _, err := db.UpdateReview(as(users[w]), r.ID, fpr.ReviewUpdate{Rating: ptr(1 + rng.IntN(5))}); err != nil && fpr.ErrorCode(err) != fpr.CodeNotFound {
							t.Errorf("UpdateReview: %v", err)
						}
					case 2:
						if _, err := db.ModerateReview(as(mod), r.ID, fpr.ActionReject, "", ""); err != nil && fpr.ErrorCode(err) != fpr.CodeConflict {
							t.Errorf("ModerateReview: %v", err)
						}
					case 3:
						if err := db.DeleteReview(as(users[w]), r.ID); err != nil && fpr.ErrorCode(err) != fpr.CodeNotFound {
							t.Errorf("DeleteReview: %v", err)
						}
					}
				}
			})
		}
		// Meanwhile the producer removes two products (archived when
		// they have reviews by then) and adds one.
		wg.Go(func() {
			for _, id := range ids[2:] {
				if _, err := db.DeleteProduct(as(sh.producer), id); err != nil {
					t.Errorf("DeleteProduct: %v", err)
				}
			}
		})
		var added *fpr.Product
		wg.Go(func() {
			added = &fpr.Product{FarmID: sh.farm.ID, Name: "Quince", Category: "fruit", Unit: "per kg"}
			if err := db.CreateProduct(as(sh.producer), added); err != nil {
				t.Errorf("CreateProduct: %v", err)
			}
		})
		wg.Wait()
		checkFarm(t, db, sh.farm.ID, append(ids, added.ID))
		for _, id := range ids {
			if _, err := db.FindProductByID(context.Background(), id); err == nil {
				checkSummary(t, db, id)
			}
		}
	},
	"Archive_KeepsReviewsAndRating": func(t *testing.T, s *suite) {
		db := s.db(t, nil)
		sh := mustShop(t, db)
		ann, bob := mustUser(t, db, fpr.RoleMember), mustUser(t, db, fpr.RoleMember)
		mustReview(t, db, ann, sh.product.ID, 2)
		before := checkFarm(t, db, sh.farm.ID, []string{sh.product.ID})
		if before.ProductCount != 1 || before.Rating.Count != 1 {
			t.Fatalf("farm before = %+v", before)
		}
		_, err := db.DeleteProduct(as(ann), sh.product.ID)
		wantCode(t, "DeleteProduct by a member", err, fpr.CodeForbidden)
		archived, err := db.DeleteProduct(as(sh.producer), sh.product.ID)
		mustOK(t, "DeleteProduct", err)
		if !archived {
			t.Fatal("a reviewed product was deleted, want archived")
		}
		p, err := db.FindProductByID(context.Background(), sh.product.ID)
		mustOK(t, "FindProductByID of an archived product", err)
		if p.ArchivedAt == nil || p.Rating.Count != 1 {
			t.Errorf("archived product = %+v, want ArchivedAt set and its rating kept", p)
		}
		after := checkFarm(t, db, sh.farm.ID, []string{sh.product.ID})
		if after.ProductCount != 0 || after.Rating != before.Rating {
			t.Errorf("farm after archive = count %d rating %+v, want 0 and %+v", after.ProductCount, after.Rating, before.Rating)
		}
		if got := walkProducts(t, db, fpr.ProductFilter{}, fpr.MaxLimit); len(got) != 0 {
			t.Errorf("lists after archive = %v, want none", productIDs(got))
		}
		if got := walkProducts(t, db, fpr.ProductFilter{Query: ptr("cider")}, fpr.MaxLimit); len(got) != 0 {
			t.Errorf("search after archive = %v, want none", productIDs(got))
		}
		wantCode(t, "CreateReview of an archived product",
			db.CreateReview(as(bob), &fpr.Review{ProductID: sh.product.ID, Rating: 5, Body: "x"}), fpr.CodeConflict)
		_, err = db.DeleteProduct(as(sh.producer), sh.product.ID)
		wantCode(t, "DeleteProduct of an archived product", err, fpr.CodeNotFound)
		// A product with only a pending review is archived too: any review counts.
		db.Moderation = fpr.ModerationPre
		p2 := mustProduct(t, db, sh.producer, sh.farm, "Perry pears", "fruit", "x")
		mustReview(t, db, bob, p2.ID, 5)
		archived, err = db.DeleteProduct(as(sh.producer), p2.ID)
		if err != nil || !archived {
			t.Errorf("DeleteProduct with a pending review = %v, %v; want archived", archived, err)
		}
		checkFarm(t, db, sh.farm.ID, []string{sh.product.ID, p2.ID})
	},
	"FindFarms_RegionQuerySorts": func(t *testing.T, s *suite) {
		db := s.db(t, nil)
		users := make([]*fpr.User, 4)
		for i := range users {
			users[i] = mustUser(t, db, fpr.RoleProducer)
		}
		mk := func(u *fpr.User, name, region, desc string) *fpr.Farm {
			f := &fpr.Farm{Name: name, Region: region, Description: desc}
			mustOK(t, "CreateFarm", db.CreateFarm(as(u), f))
			return f
		}
		alder := mk(users[0], "Alder Farm", "Normandie", "Cheeses and cider apples.")
		birch := mk(users[1], "Birch Dairy", "Bretagne", "Butter, milk and buckwheat.")
		cedar := mk(users[2], "Cedar Orchard", "Normandie", "Pears and plums.")
		mk(users[3], "Dune Honey", "Provence", "Lavender hives.")
		// Ratings: birch 2×5 (top rated, most reviewed), cedar 1×4, alder 1×1.
		member := func() *fpr.User { return mustUser(t, db, fpr.RoleMember) }
		for _, x := range []struct {
			f     *fpr.Farm
			u     *fpr.User
			stars []int
		}{{birch, users[1], []int{5, 5}}, {cedar, users[2], []int{4}}, {alder, users[0], []int{1}}} {
			p := mustProduct(t, db, x.u, x.f, "Thing of "+x.f.Name, "other", "x")
			for _, st := range x.stars {
				mustReview(t, db, member(), p.ID, st)
			}
		}
		for _, tt := range []struct {
			name string
			f    fpr.FarmFilter
			want []string
		}{
			{"ByName", fpr.FarmFilter{}, []string{"Alder Farm", "Birch Dairy", "Cedar Orchard", "Dune Honey"}},
			{"RegionExact", fpr.FarmFilter{Region: ptr("Normandie")}, []string{"Alder Farm", "Cedar Orchard"}},
			{"RegionNotPrefix", fpr.FarmFilter{Region: ptr("Norman")}, nil},
			{"QueryRegion", fpr.FarmFilter{Query: ptr("bretagne")}, []string{"Birch Dairy"}},
			{"QueryStemmedDescription", fpr.FarmFilter{Query: ptr("cheese")}, []string{"Alder Farm"}},
			{"QueryPrefix", fpr.FarmFilter{Query: ptr("lav")}, []string{"Dune Honey"}},
			{"QueryName", fpr.FarmFilter{Query: ptr("orchards")}, []string{"Cedar Orchard"}},
			{"QueryAndRegion", fpr.FarmFilter{Query: ptr("pear"), Region: ptr("Bretagne")}, nil},
			{"QuerySyntaxIsWords", fpr.FarmFilter{Query: ptr(`"pears" OR butter`)}, nil},
			{"TopRated", fpr.FarmFilter{Sort: fpr.FarmSortTopRated}, []string{"Birch Dairy", "Cedar Orchard", "Dune Honey", "Alder Farm"}},
			{"MostReviewed", fpr.FarmFilter{Sort: fpr.FarmSortMostReviewed, Page: fpr.Page{Limit: 1}}, nil},
		} {
			t.Run(tt.name, func(t *testing.T) {
				got := farmsFound(t, db, tt.f)
				if tt.name == "MostReviewed" {
					// Paged one by one: birch (2) first, then the two with 1
					// (by ID, newest first), then dune (0).
					if len(got) != 4 || got[0] != "Birch Dairy" || got[3] != "Dune Honey" {
						t.Errorf("most_reviewed = %v", got)
					}
					return
				}
				if fmt.Sprint(got) != fmt.Sprint(tt.want) {
					t.Errorf("FindFarms %+v = %v, want %v", tt.f, got, tt.want)
				}
			})
		}
		for _, f := range []fpr.FarmFilter{{Sort: "stars"}, {Page: fpr.Page{Limit: 101}}, {Page: fpr.Page{Cursor: "x"}}} {
			_, _, err := db.FindFarms(context.Background(), f)
			wantCode(t, fmt.Sprintf("FindFarms(%+v)", f), err, fpr.CodeValidationFailed)
		}
		regions, err := db.FindRegions(context.Background())
		mustOK(t, "FindRegions", err)
		if fmt.Sprint(regions) != "[Bretagne Normandie Provence]" {
			t.Errorf("FindRegions = %v, want each region once, sorted", regions)
		}
		// A cursor of one sort is refused by another.
		_, next, err := db.FindFarms(context.Background(), fpr.FarmFilter{Page: fpr.Page{Limit: 1}})
		mustOK(t, "FindFarms", err)
		_, _, err = db.FindFarms(context.Background(), fpr.FarmFilter{Sort: fpr.FarmSortTopRated, Page: fpr.Page{Cursor: next}})
		wantCode(t, "FindFarms with another sort's cursor", err, fpr.CodeValidationFailed)
		// Search follows a farm's edits.
		_, err = db.UpdateFarm(as(users[3]), farmsByName(t, db)["Dune Honey"], fpr.FarmUpdate{Region: ptr("Corsica"), Description: ptr("Chestnut honey.")})
		mustOK(t, "UpdateFarm", err)
		if got := farmsFound(t, db, fpr.FarmFilter{Query: ptr("corsica chestnut")}); fmt.Sprint(got) != "[Dune Honey]" {
			t.Errorf("search after edit = %v", got)
		}
		if got := farmsFound(t, db, fpr.FarmFilter{Query: ptr("lavender")}); len(got) != 0 {
			t.Errorf("search for the old description = %v", got)
		}
	},
	"Farm_WhereToBuyFields": func(t *testing.T, s *suite) {
		db := s.db(t, nil)
		sh := mustShop(t, db)
		other := mustUser(t, db, fpr.RoleProducer)
		upd := fpr.FarmUpdate{ShopAddress: ptr(" 1 Mill Lane "), ShopHours: ptr("Sat 9–12"), Markets: ptr("Caen, Sunday"), Website: ptr("https://orchard.example/")}
		f, err := db.UpdateFarm(as(sh.producer), sh.farm.ID, upd)
		mustOK(t, "UpdateFarm", err)
		if f.ShopAddress != "1 Mill Lane" || f.Website != "https://orchard.example/" {
			t.Errorf("UpdateFarm = %+v", f)
		}
		got, err := db.FindFarmByID(context.Background(), sh.farm.ID)
		mustOK(t, "FindFarmByID", err)
		if got.ShopHours != "Sat 9–12" || got.Markets != "Caen, Sunday" || got.ShopAddress != "1 Mill Lane" {
			t.Errorf("stored farm = %+v", got)
		}
		for _, bad := range []string{"javascript:alert(1)", "ftp://x.example", "//x.example", "https://", "data:text/html,hi", "http://a b.example", "https://" + strings.Repeat("a", fpr.MaxWebsiteLength)} {
			_, err := db.UpdateFarm(as(sh.producer), sh.farm.ID, fpr.FarmUpdate{Website: ptr(bad)})
			wantCode(t, "website "+bad, err, fpr.CodeValidationFailed)
			if _, ok := fpr.ErrorFields(err)["website"]; !ok {
				t.Errorf("website %q: fields %v, want website", bad, fpr.ErrorFields(err))
			}
		}
		_, err = db.UpdateFarm(as(sh.producer), sh.farm.ID, fpr.FarmUpdate{Markets: ptr(strings.Repeat("m", fpr.MaxMarketsLength+1))})
		wantCode(t, "markets too long", err, fpr.CodeValidationFailed)
		_, err = db.UpdateFarm(as(other), sh.farm.ID, fpr.FarmUpdate{Website: ptr("https://mine.example")})
		wantCode(t, "UpdateFarm by another producer", err, fpr.CodeForbidden)
		again, _ := db.FindFarmByID(context.Background(), sh.farm.ID)
		if again.Website != "https://orchard.example/" {
			t.Errorf("refused edits changed the farm: %+v", again)
		}
	},
	"Applications_ApplyListDecide": func(t *testing.T, s *suite) {
		db := s.db(t, nil)
		admin, ann, bob := mustUser(t, db, fpr.RoleAdmin), mustUser(t, db, fpr.RoleMember), mustUser(t, db, fpr.RoleMember)
		producer := mustUser(t, db, fpr.RoleProducer)
		app := func() *fpr.FarmApplication {
			return &fpr.FarmApplication{FarmName: "Green Acre", Region: "Kent", Description: "Apples and hops.", Contact: "01234 567890"}
		}
		wantCode(t, "ApplyForFarm anonymous", db.ApplyForFarm(as(nil), app()), fpr.CodeUnauthenticated)
		wantCode(t, "ApplyForFarm by a producer", db.ApplyForFarm(as(producer), app()), fpr.CodeForbidden)
		bad := app()
		bad.FarmName, bad.Contact = " ", strings.Repeat("c", fpr.MaxContactLength+1)
		err := db.ApplyForFarm(as(ann), bad)
		wantCode(t, "ApplyForFarm invalid", err, fpr.CodeValidationFailed)
		if f := fpr.ErrorFields(err); f["farm_name"] == "" || f["contact"] == "" {
			t.Errorf("fields = %v, want farm_name and contact", f)
		}
		a := app()
		mustOK(t, "ApplyForFarm", db.ApplyForFarm(as(ann), a))
		if a.Status != fpr.FarmApplicationPending || a.Applicant.ID != ann.ID {
			t.Errorf("application = %+v", a)
		}
		wantCode(t, "a second pending application", db.ApplyForFarm(as(ann), app()), fpr.CodeConflict)
		b := app()
		b.FarmName = "Green Acre" // the same name: the slug is made free on approval
		mustOK(t, "ApplyForFarm by bob", db.ApplyForFarm(as(bob), b))

		_, _, err = db.FindFarmApplications(as(ann), fpr.FarmApplicationFilter{})
		wantCode(t, "FindFarmApplications by a member", err, fpr.CodeForbidden)
		_, _, err = db.FindFarmApplications(as(admin), fpr.FarmApplicationFilter{Status: "maybe"})
		wantCode(t, "FindFarmApplications bad status", err, fpr.CodeValidationFailed)
		list, _, err := db.FindFarmApplications(as(admin), fpr.FarmApplicationFilter{Status: fpr.FarmApplicationPending})
		mustOK(t, "FindFarmApplications", err)
		if len(list) != 2 || list[0].ID != b.ID || list[1].Contact != a.Contact {
			t.Fatalf("pending applications = %+v, want bob's then ann's", list)
		}

		_, err = db.DecideFarmApplication(as(ann), a.ID, fpr.FarmApplicationApprove, "")
		wantCode(t, "decide by a member", err, fpr.CodeForbidden)
		_, err = db.DecideFarmApplication(as(admin), a.ID, "maybe", "")
		wantCode(t, "decide with a bad action", err, fpr.CodeValidationFailed)
		_, err = db.DecideFarmApplication(as(admin), b.ID, fpr.FarmApplicationReject, " ")
		wantCode(t, "reject without a note", err, fpr.CodeValidationFailed)
		_, err = db.DecideFarmApplication(as(admin), "nope", fpr.FarmApplicationApprove, "")
		wantCode(t, "decide an unknown application", err, fpr.CodeNotFound)

		got, err := db.DecideFarmApplication(as(admin), a.ID, fpr.FarmApplicationApprove, "Welcome!")
		mustOK(t, "approve", err)
		if !got.Mailed {
			t.Error("approval: Mailed = false, want true")
		}
		if got.Status != fpr.FarmApplicationApproved || got.FarmID == "" || got.DecidedAt == nil || got.Note != "Welcome!" {
			t.Errorf("approved application = %+v", got)
		}
		farm, err := db.FindFarmByID(context.Background(), got.FarmID)
		mustOK(t, "the approved farm", err)
		if farm.OwnerID != ann.ID || farm.Name != "Green Acre" || farm.Region != "Kent" || farm.Slug != "green-acre" {
			t.Errorf("farm = %+v", farm)
		}
		u, err := db.FindUserByID(context.Background(), ann.ID)
		mustOK(t, "FindUserByID", err)
		if u.Role != fpr.RoleProducer {
			t.Errorf("applicant role = %s, want producer", u.Role)
		}
		_, err = db.DecideFarmApplication(as(admin), a.ID, fpr.FarmApplicationReject, "No.")
		wantCode(t, "decide twice", err, fpr.CodeConflict)
		// Audited in the decision's transaction: the decision and the role change.
		entries, _, err := db.FindAuditEntries(as(admin), fpr.AuditFilter{Target: fpr.AuditTarget("farm_application", a.ID)})
		mustOK(t, "FindAuditEntries", err)
		if len(entries) != 1 || entries[0].Action != fpr.AuditFarmDecide || entries[0].Actor == nil || entries[0].Actor.ID != admin.ID ||
			entries[0].Details["action"] != "approve" || entries[0].Details["farm_id"] != got.FarmID {
			t.Errorf("audit of the approval = %+v", entries)
		}
		entries, _, err = db.FindAuditEntries(as(admin), fpr.AuditFilter{Target: fpr.AuditTarget("user", ann.ID), Action: string(fpr.AuditRoleChange)})
		mustOK(t, "FindAuditEntries", err)
		if len(entries) != 1 || entries[0].Details["from"] != "member" || entries[0].Details["to"] != "producer" {
			t.Errorf("audit of the role change = %+v", entries)
		}
		// The new producer manages the farm.
		mustProduct(t, db, u, farm, "Bramley apples", "fruit", "x")

		rej, err := db.DecideFarmApplication(as(admin), b.ID, fpr.FarmApplicationReject, "We could not reach you.")
		mustOK(t, "reject", err)
		if rej.Status != fpr.FarmApplicationRejected || rej.FarmID != "" {
			t.Errorf("rejected = %+v", rej)
		}
		if u, _ := db.FindUserByID(context.Background(), bob.ID); u.Role != fpr.RoleMember {
			t.Errorf("rejected applicant role = %s, want member", u.Role)
		}
		entries, _, err = db.FindAuditEntries(as(admin), fpr.AuditFilter{Target: fpr.AuditTarget("farm_application", b.ID)})
		mustOK(t, "FindAuditEntries", err)
		if len(entries) != 1 || entries[0].Details["action"] != "reject" || entries[0].Details["note"] != "We could not reach you." {
			t.Errorf("audit of the rejection = %+v", entries)
		}
		// Refused decisions record nothing.
		all, _, err := db.FindAuditEntries(as(admin), fpr.AuditFilter{Action: string(fpr.AuditFarmDecide)})
		mustOK(t, "FindAuditEntries", err)
		if len(all) != 2 {
			t.Errorf("decision entries = %d, want 2 (refused decisions record nothing)", len(all))
		}
		// Rejected, bob may apply again; the approved farm's slug is taken.
		c := app()
		mustOK(t, "apply again after a rejection", db.ApplyForFarm(as(bob), c))
		c2, err := db.DecideFarmApplication(as(admin), c.ID, fpr.FarmApplicationApprove, "")
		mustOK(t, "approve bob", err)
		f2, _ := db.FindFarmByID(context.Background(), c2.FarmID)
		if f2.Slug != "green-acre-2" {
			t.Errorf("second farm slug = %q, want green-acre-2", f2.Slug)
		}
		apps, _, err := db.FindFarmApplications(as(admin), fpr.FarmApplicationFilter{})
		mustOK(t, "FindFarmApplications", err)
		if len(apps) != 3 {
			t.Errorf("applications = %d, want 3", len(apps))
		}
	},
	"Applications_VerifiedEmailOnly": func(t *testing.T, s *suite) {
		// SPEC section 8: "member with a verified e-mail". A refusal
		// writes nothing and is not counted against the limit.
		db := s.db(t, nil)
		db.RateLimits = fpr.RateLimits{{Kind: fpr.LimitFarmApplication, Subject: fpr.PerAccount, Count: 1, Window: 24 * time.Hour}}
		admin := mustUser(t, db, fpr.RoleAdmin)
		dan := mustUnverifiedUser(t, db)
		for i := range 3 {
			err := db.ApplyForFarm(as(dan), &fpr.FarmApplication{FarmName: "Dan's Dairy", Region: "Kent", Description: "Cows.", Contact: "0123"})
			wantCode(t, fmt.Sprintf("ApplyForFarm unverified #%d", i+1), err, fpr.CodeForbidden)
			if msg := fpr.ErrorMessage(err); msg != fpr.ErrorMessage(fpr.ErrVerifyToApply) {
				t.Errorf("unverified applicant told %q, want to verify first", msg)
			}
		}
		if apps, _, err := db.FindFarmApplications(as(admin), fpr.FarmApplicationFilter{}); err != nil || len(apps) != 0 {
			t.Fatalf("applications after refusals = %d, %v; want none", len(apps), err)
		}
		if own, _, err := db.FindOwnFarmApplications(as(dan), fpr.FarmApplicationFilter{}); err != nil || len(own) != 0 {
			t.Fatalf("dan's applications = %d, %v; want none", len(own), err)
		}
		dan = mustVerify(t, db, admin, dan)
		a := &fpr.FarmApplication{FarmName: "Dan's Dairy", Region: "Kent", Description: "Cows.", Contact: "0123"}
		mustOK(t, "ApplyForFarm once verified (the refusals were not counted)", db.ApplyForFarm(as(dan), a))
		own, _, err := db.FindOwnFarmApplications(as(dan), fpr.FarmApplicationFilter{})
		mustOK(t, "FindOwnFarmApplications", err)
		if len(own) != 1 || own[0].ID != a.ID || own[0].Status != fpr.FarmApplicationPending {
			t.Errorf("dan's applications = %+v, want the pending one", own)
		}
	},
	"Applications_RateLimited": func(t *testing.T, s *suite) {
		clk := NewClock(start)
		db := s.db(t, clk)
		db.RateLimits = fpr.RateLimits{{Kind: fpr.LimitFarmApplication, Subject: fpr.PerAccount, Count: 2, Window: 24 * time.Hour},
			{Kind: fpr.LimitFarmApplication, Subject: fpr.PerAddress, Count: 3, Window: 24 * time.Hour}}
		admin, ann := mustUser(t, db, fpr.RoleAdmin), mustUser(t, db, fpr.RoleMember)
		app := func() *fpr.FarmApplication {
			return &fpr.FarmApplication{FarmName: "Green Acre", Region: "Kent", Description: "Apples.", Contact: "0123"}
		}
		// Per account: apply, be rejected, apply again, be rejected: the
		// third application within the day is refused. A conflict (one
		// pending) in between is not counted.
		for i := range 2 {
			a := app()
			mustOK(t, fmt.Sprintf("application %d", i+1), db.ApplyForFarm(as(ann), a))
			if i == 0 {
				wantCode(t, "a second pending application", db.ApplyForFarm(as(ann), app()), fpr.CodeConflict)
			}
			_, err := db.DecideFarmApplication(as(admin), a.ID, fpr.FarmApplicationReject, "Not yet.")
			mustOK(t, "reject", err)
		}
		clk.Advance(time.Hour)
		wantRetryAfter(t, "the third application of the day", db.ApplyForFarm(as(ann), app()), 23*time.Hour)
		if own, _, _ := db.FindOwnFarmApplications(as(ann), fpr.FarmApplicationFilter{}); len(own) != 2 {
			t.Errorf("ann has %d applications, want 2 (the refused one not written)", len(own))
		}
		clk.Advance(23 * time.Hour)
		mustOK(t, "an application the next day", db.ApplyForFarm(as(ann), app()))
		// Per address: fresh accounts from one address.
		for i := range 3 {
			mustOK(t, fmt.Sprintf("application %d from one address", i+1), db.ApplyForFarm(asFrom(mustUser(t, db, fpr.RoleMember), "192.0.2.7"), app()))
		}
		wantRetryAfter(t, "the fourth application from one address", db.ApplyForFarm(asFrom(mustUser(t, db, fpr.RoleMember), "192.0.2.7"), app()), 24*time.Hour)
		mustOK(t, "an application from another address", db.ApplyForFarm(asFrom(mustUser(t, db, fpr.RoleMember), "192.0.2.8"), app()))
	},
	"Applications_DecisionMailed": func(t *testing.T, s *suite) {
		// SPEC section 8: "the applicant is mailed either way", in the
		// decision's transaction; a refused decision mails nothing.
		db := s.db(t, nil)
		admin, ann, bob, cy := mustUser(t, db, fpr.RoleAdmin), mustUser(t, db, fpr.RoleMember), mustUser(t, db, fpr.RoleMember), mustUser(t, db, fpr.RoleMember)
		// Switching every notification off does not stop the answer to
		// one's own application.
		off := []fpr.NotificationSetting{}
		for _, topic := range fpr.Topics {
			off = append(off, fpr.NotificationSetting{Topic: topic})
		}
		mustOK(t, "SetNotifications", db.SetNotifications(context.Background(), bob.ID, off))
		apply := func(u *fpr.User, name string) *fpr.FarmApplication {
			a := &fpr.FarmApplication{FarmName: name, Region: "Kent", Description: "Apples.", Contact: "0123"}
			mustOK(t, "ApplyForFarm", db.ApplyForFarm(as(u), a))
			return a
		}
		a, b, c := apply(ann, `Ann's <b>"Orchard"</b>`), apply(bob, "Bob's Barn"), apply(cy, "Cy's Cider")
		decided := func() []*fpr.Mail {
			t.Helper()
			mails, _, err := db.FindMail(as(admin), fpr.MailFilter{Page: fpr.Page{Limit: fpr.MaxLimit}})
			mustOK(t, "FindMail", err)
			var out []*fpr.Mail
			for _, m := range mails {
				if m.Kind == fpr.MailFarmApplicationDecided {
					out = append(out, m)
				}
			}
			return out
		}
		_, err := db.DecideFarmApplication(as(ann), a.ID, fpr.FarmApplicationApprove, "")
		wantCode(t, "decide by a member", err, fpr.CodeForbidden)
		_, err = db.DecideFarmApplication(as(admin), a.ID, "maybe", "")
		wantCode(t, "a bad action", err, fpr.CodeValidationFailed)
		_, err = db.DecideFarmApplication(as(admin), b.ID, fpr.FarmApplicationReject, "")
		wantCode(t, "reject without a note", err, fpr.CodeValidationFailed)
		_, err = db.DecideFarmApplication(as(admin), "nope", fpr.FarmApplicationApprove, "")
		wantCode(t, "an unknown application", err, fpr.CodeNotFound)
		if m := decided(); len(m) != 0 {
			t.Fatalf("refused decisions wrote %d mails, want none", len(m))
		}

		got, err := db.DecideFarmApplication(as(admin), a.ID, fpr.FarmApplicationApprove, "Welcome!")
		mustOK(t, "approve", err)
		_, err = db.DecideFarmApplication(as(admin), a.ID, fpr.FarmApplicationReject, "No.")
		wantCode(t, "decide twice", err, fpr.CodeConflict)
		mails := decided()
		if len(mails) != 1 {
			t.Fatalf("decision mails after one approval = %d, want 1", len(mails))
		}
		m := mails[0]
		if m.To != ann.Email || m.UserID != ann.ID || m.Status != fpr.MailPending || m.Data["action"] != "approve" ||
			m.Data["farm_id"] != got.FarmID || m.Data["farm_name"] != a.FarmName || m.Data["note"] != "Welcome!" ||
			m.Data["display_name"] != ann.DisplayName || m.Data["unsubscribe_token"] != "" {
			t.Errorf("approval mail = %+v", m)
		}

		rejected, err := db.DecideFarmApplication(as(admin), b.ID, fpr.FarmApplicationReject, "  We could not reach you.  ")
		mustOK(t, "reject", err)
		if !rejected.Mailed {
			t.Error("rejection: Mailed = false, want true")
		}
		mails = decided()
		if len(mails) != 2 || mails[0].To != bob.Email || mails[0].Data["action"] != "reject" ||
			mails[0].Data["note"] != "We could not reach you." || mails[0].Data["farm_id"] != "" || mails[0].Data["farm_name"] != "Bob's Barn" {
			t.Fatalf("rejection mail (bob switched notifications off) = %+v", mails)
		}

		// An applicant who deleted their account: nobody to own a farm,
		// nobody to mail.
		mustOK(t, "DeleteAccount", db.DeleteAccount(context.Background(), cy.ID))
		_, err = db.DecideFarmApplication(as(admin), c.ID, fpr.FarmApplicationApprove, "")
		wantCode(t, "approve a deleted applicant", err, fpr.CodeConflict)
		quiet, err := db.DecideFarmApplication(as(admin), c.ID, fpr.FarmApplicationReject, "Gone.")
		mustOK(t, "reject a deleted applicant", err)
		if quiet.Mailed {
			t.Error("rejection of a deleted applicant: Mailed = true, want false (the admin's page must not say e-mailed)")
		}
		if mails := decided(); len(mails) != 2 {
			t.Errorf("decision mails = %d, want 2 (none to a deleted account)", len(mails))
		}
		if farms := farmsFound(t, db, fpr.FarmFilter{}); len(farms) != 1 {
			t.Errorf("farms = %d, want ann's only", len(farms))
		}
	},
	"Applications_ExportedAndContactErased": func(t *testing.T, s *suite) {
		// The contact an applicant gave is personal data: it is in their
		// export, and gone when they delete their account (SPEC 7).
		db := s.db(t, nil)
		admin, ann := mustUser(t, db, fpr.RoleAdmin), mustUser(t, db, fpr.RoleMember)
		a := &fpr.FarmApplication{FarmName: "Export Farm", Region: "Kent", Description: "Apples.", Contact: "Ann, 01234 567890"}
		mustOK(t, "ApplyForFarm", db.ApplyForFarm(as(ann), a))
		x, err := db.ExportAccount(context.Background(), ann.ID)
		mustOK(t, "ExportAccount", err)
		if len(x.FarmApplications) != 1 || x.FarmApplications[0].ID != a.ID || x.FarmApplications[0].Contact != a.Contact {
			t.Fatalf("export's farm applications = %+v, want the one with its contact", x.FarmApplications)
		}
		mustOK(t, "DeleteAccount", db.DeleteAccount(context.Background(), ann.ID))
		apps, _, err := db.FindFarmApplications(as(admin), fpr.FarmApplicationFilter{})
		mustOK(t, "FindFarmApplications", err)
		if len(apps) != 1 || apps[0].Contact != "" || apps[0].FarmName != "Export Farm" {
			t.Fatalf("applications after the applicant deleted their account = %+v, want the farm's facts without the contact", apps)
		}
	},
	"Applications_ConcurrentDecisionsOneWins": func(t *testing.T, s *suite) {
		db := s.db(t, nil)
		admin, ann := mustUser(t, db, fpr.RoleAdmin), mustUser(t, db, fpr.RoleMember)
		a := &fpr.FarmApplication{FarmName: "Race Farm", Region: "Kent", Description: "x", Contact: "y"}
		mustOK(t, "ApplyForFarm", db.ApplyForFarm(as(ann), a))
		var wg sync.WaitGroup
		codes := make([]fpr.Code, 6)
		for i := range codes {
			wg.Go(func() {
				action := fpr.FarmApplicationApprove
				if i%2 == 1 {
					action = fpr.FarmApplicationReject
				}
				_, err := db.DecideFarmApplication(as(admin), a.ID, action, "note")
				codes[i] = fpr.ErrorCode(err)
			})
		}
		wg.Wait()
		ok := 0
		for _, c := range codes {
			switch c {
			case "":
				ok++
			case fpr.CodeConflict:
			default:
				t.Errorf("concurrent decision: code %q", c)
			}
		}
		farms := farmsFound(t, db, fpr.FarmFilter{})
		if ok != 1 || len(farms) > 1 {
			t.Errorf("%d decisions succeeded and %d farms exist, want 1 and at most 1", ok, len(farms))
		}
	},
	"Inbox_ProducersReviewsNewestFirst": func(t *testing.T, s *suite) {
		clk := NewClock(start)
		db := s.db(t, clk)
		sh, other := mustShop(t, db), mustShop(t, db)
		ann, bob, cy := mustUser(t, db, fpr.RoleMember), mustUser(t, db, fpr.RoleMember), mustUser(t, db, fpr.RoleMember)
		p2 := mustProduct(t, db, sh.producer, sh.farm, "Pears", "fruit", "x")
		// A millisecond between reviews, so newest first has one order.
		review := func(u *fpr.User, productID string, stars int) *fpr.Review {
			clk.Advance(time.Millisecond)
			return mustReview(t, db, u, productID, stars)
		}
		r1 := review(ann, sh.product.ID, 4)
		r2 := review(bob, p2.ID, 2)
		review(cy, other.product.ID, 5) // another farm's
		r3 := review(cy, sh.product.ID, 1)
		mod := mustUser(t, db, fpr.RoleModerator)
		_, err := db.ModerateReview(as(mod), r3.ID, fpr.ActionReject, "spam", "")
		mustOK(t, "ModerateReview", err) // no longer published: out of the inbox
		_, err = db.SetReply(as(sh.producer), r1.ID, "Thank you!")
		mustOK(t, "SetReply", err)

		got, next, err := db.FindFarmReviews(as(sh.producer), fpr.FarmReviewFilter{})
		mustOK(t, "FindFarmReviews", err)
		if len(got) != 2 || next != "" || got[0].Review.ID != r2.ID || got[1].Review.ID != r1.ID ||
			got[0].ProductName != "Pears" || got[1].Review.Reply == nil || got[0].FarmID != sh.farm.ID {
			t.Errorf("inbox = %+v", got)
		}
		un, _, err := db.FindFarmReviews(as(sh.producer), fpr.FarmReviewFilter{Unanswered: true})
		mustOK(t, "FindFarmReviews unanswered", err)
		if len(un) != 1 || un[0].Review.ID != r2.ID {
			t.Errorf("unanswered = %+v", un)
		}
		page, next, err := db.FindFarmReviews(as(sh.producer), fpr.FarmReviewFilter{Page: fpr.Page{Limit: 1}})
		mustOK(t, "FindFarmReviews page 1", err)
		page2, _, err := db.FindFarmReviews(as(sh.producer), fpr.FarmReviewFilter{Page: fpr.Page{Limit: 1, Cursor: next}})
		mustOK(t, "FindFarmReviews page 2", err)
		if len(page) != 1 || len(page2) != 1 || page[0].Review.ID != r2.ID || page2[0].Review.ID != r1.ID {
			t.Errorf("pages = %v / %v", page, page2)
		}
		_, _, err = db.FindFarmReviews(as(ann), fpr.FarmReviewFilter{})
		wantCode(t, "FindFarmReviews by a member", err, fpr.CodeForbidden)
		_, _, err = db.FindFarmReviews(as(nil), fpr.FarmReviewFilter{})
		wantCode(t, "FindFarmReviews anonymous", err, fpr.CodeUnauthenticated)
		_, _, err = db.FindFarmReviews(as(sh.producer), fpr.FarmReviewFilter{Page: fpr.Page{Cursor: "zz"}})
		wantCode(t, "FindFarmReviews bad cursor", err, fpr.CodeValidationFailed)
		// A producer may not review their own farm's products.
		wantCode(t, "CreateReview of one's own product",
			db.CreateReview(as(sh.producer), &fpr.Review{ProductID: p2.ID, Rating: 5, Body: "Best!"}), fpr.CodeForbidden)
	},
	"Search_StemmingPrefixTable": func(t *testing.T, s *suite) {
		db := s.db(t, nil)
		producer := mustUser(t, db, fpr.RoleProducer)
		farm := &fpr.Farm{Name: "Green Valley", Region: "Somerset", Description: "x"}
		mustOK(t, "CreateFarm", db.CreateFarm(as(producer), farm))
		mk := func(name, desc string) *fpr.Product {
			return mustProduct(t, db, producer, farm, name, "other", desc)
		}
		tomato := mk("Tomato", "A red fruit.")
		cherry := mk("Cherry tomatoes", "Sweet and small.")
		berries := mk("Strawberries", "Picked daily.")
		apple := mk("Apple juice", "Pressed from our orchards.")
		eggs := mk("Free-range eggs", "From happy hens.")
		cheese := mk("Goat cheese", "Aged, creamy.")
		all := []*fpr.Product{tomato, cherry, berries, apple, eggs, cheese}
		for _, tt := range []struct {
			q         string
			must, not []*fpr.Product
		}{
			{"tomatoes", []*fpr.Product{tomato, cherry}, []*fpr.Product{berries, apple}}, // plural finds singular
			{"tomato", []*fpr.Product{tomato, cherry}, nil},                              // singular finds plural
			{"tom", []*fpr.Product{tomato, cherry}, []*fpr.Product{apple}},               // prefix
			{"strawberry", []*fpr.Product{berries}, []*fpr.Product{tomato}},              // -ies / -y
			{"apples", []*fpr.Product{apple}, nil},                                       // plural of a singular name
			{"orchard", []*fpr.Product{apple}, nil},                                      // description, stemmed
			{"pressing", []*fpr.Product{apple}, nil},                                     // -ing / -ed
			{"hen", []*fpr.Product{eggs}, nil},                                           // prefix of "hens"
			{"free range egg", []*fpr.Product{eggs}, []*fpr.Product{cheese}},             // hyphenated words
			{"somerset", all, nil},                                                       // the farm's region
			{"green valley cheese", []*fpr.Product{cheese}, []*fpr.Product{eggs}},        // farm name and product
			{"cheeses", []*fpr.Product{cheese}, nil},                                     //
			{"cherry apple", nil, all},                                                   // every word must match
			{"tomatoes or apples", nil, all},                                             // "or" is a word
			{"xyz", nil, all},                                                            //
		} {
			t.Run(tt.q, func(t *testing.T) {
				got := productIDs(walkProducts(t, db, fpr.ProductFilter{Query: ptr(tt.q)}, fpr.MaxLimit))
				for _, p := range tt.must {
					if !slices.Contains(got, p.Name) {
						t.Errorf("search %q did not find %q (found %v)", tt.q, p.Name, got)
					}
				}
				for _, p := range tt.not {
					if slices.Contains(got, p.Name) {
						t.Errorf("search %q found %q", tt.q, p.Name)
					}
				}
			})
		}
		// Ranked: a hit in the name comes before one in the description.
		juice := mk("Pear juice", "Not made from tomatoes.")
		got := productIDs(walkProducts(t, db, fpr.ProductFilter{Query: ptr("tomatoes")}, fpr.MaxLimit))
		if len(got) != 3 || got[2] != juice.Name {
			t.Errorf("search tomatoes = %v, want the description-only hit %s last", got, juice.Name)
		}
	},
}

// farmsByName maps farm names to IDs.
func farmsByName(t *testing.T, db *store.DB) map[string]string {
	t.Helper()
	m := map[string]string{}
	farms, _, err := db.FindFarms(context.Background(), fpr.FarmFilter{Page: fpr.Page{Limit: fpr.MaxLimit}})
	mustOK(t, "FindFarms", err)
	for _, f := range farms {
		m[f.Name] = f.ID
	}
	return m
}
