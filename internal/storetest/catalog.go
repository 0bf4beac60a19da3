package storetest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fpr-team/fpr"
	"github.com/fpr-team/fpr/internal/store"
)

// mustFarm creates a farm owned by producer.
func mustFarm(t *testing.T, db *store.DB, producer *fpr.User, name string) *fpr.Farm {
	t.Helper()
	f := &fpr.Farm{Name: name, Region: "Normandie", Description: "A farm."}
	mustOK(t, "CreateFarm("+name+")", db.CreateFarm(as(producer), f))
	return f
}

// mustProduct creates a product of farm as its owner.
func mustProduct(t *testing.T, db *store.DB, owner *fpr.User, farm *fpr.Farm, name, category, description string) *fpr.Product {
	t.Helper()
	p := &fpr.Product{FarmID: farm.ID, Name: name, Category: fpr.Category(category), Description: description, Unit: "per kg"}
	mustOK(t, "CreateProduct("+name+")", db.CreateProduct(as(owner), p))
	return p
}

func productIDs(ps []*fpr.Product) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Name)
	}
	return out
}

// walkProducts reads every page of f, limit per page.
func walkProducts(t *testing.T, db *store.DB, f fpr.ProductFilter, limit int) []*fpr.Product {
	t.Helper()
	f.Limit = limit
	var all []*fpr.Product
	for pages := 0; ; pages++ {
		if pages > 100 {
			t.Fatal("FindProducts paging did not end")
		}
		got, next, err := db.FindProducts(context.Background(), f)
		mustOK(t, fmt.Sprintf("FindProducts(%+v)", f), err)
		all = append(all, got...)
		if next == "" {
			return all
		}
		f.Cursor = next
	}
}

func ptr[T any](v T) *T { return &v }

var catalogTests = map[string]func(t *testing.T, s *suite){
	"CreateFarm_Permissions": func(t *testing.T, s *suite) {
		db := s.db(t, nil)
		producer, other := mustUser(t, db, fpr.RoleProducer), mustUser(t, db, fpr.RoleProducer)
		admin, member := mustUser(t, db, fpr.RoleAdmin), mustUser(t, db, fpr.RoleMember)
		newFarm := func() *fpr.Farm { return &fpr.Farm{Name: "Ferme du Château", Region: "Loire"} }
		wantCode(t, "CreateFarm anonymous", db.CreateFarm(as(nil), newFarm()), fpr.CodeUnauthenticated)
		wantCode(t, "CreateFarm by a member", db.CreateFarm(as(member), newFarm()), fpr.CodeForbidden)
		wantCode(t, "CreateFarm without a name", db.CreateFarm(as(producer), &fpr.Farm{Region: "Loire"}), fpr.CodeValidationFailed)
		bad := newFarm()
		bad.OwnerID = member.ID
		wantCode(t, "CreateFarm by an admin for a member", db.CreateFarm(as(admin), bad), fpr.CodeValidationFailed)
		if farms, _, _ := db.FindFarms(context.Background(), fpr.FarmFilter{}); len(farms) != 0 {
			t.Fatalf("refused CreateFarm calls left %d farms, want 0", len(farms))
		}

		f1 := newFarm()
		f1.OwnerID = other.ID // ignored for a producer
		mustOK(t, "CreateFarm by a producer", db.CreateFarm(as(producer), f1))
		if f1.OwnerID != producer.ID || f1.Slug != "ferme-du-chateau" {
			t.Errorf("producer's farm = owner %s slug %q, want owner %s slug ferme-du-chateau", f1.OwnerID, f1.Slug, producer.ID)
		}
		f2 := newFarm()
		f2.OwnerID = other.ID
		mustOK(t, "CreateFarm by an admin for a producer", db.CreateFarm(as(admin), f2))
		if f2.OwnerID != other.ID || f2.Slug != "ferme-du-chateau-2" {
			t.Errorf("admin's farm = owner %s slug %q, want owner %s slug ferme-du-chateau-2", f2.OwnerID, f2.Slug, other.ID)
		}
		got, err := db.FindFarmByID(context.Background(), f1.ID)
		mustOK(t, "FindFarmByID", err)
		if got.Name != f1.Name || got.Region != "Loire" || got.OwnerID != producer.ID || !got.CreatedAt.Equal(f1.CreatedAt) {
			t.Errorf("FindFarmByID = %+v, want %+v", got, f1)
		}
		_, err = db.FindFarmByID(context.Background(), "nope")
		wantCode(t, "FindFarmByID(unknown)", err, fpr.CodeNotFound)
	},
	"UpdateFarm": func(t *testing.T, s *suite) {
		db := s.db(t, nil)
		owner, other, admin := mustUser(t, db, fpr.RoleProducer), mustUser(t, db, fpr.RoleProducer), mustUser(t, db, fpr.RoleAdmin)
		f := mustFarm(t, db, owner, "Green Acres")
		_, err := db.UpdateFarm(as(other), f.ID, fpr.FarmUpdate{Name: ptr("Stolen")})
		wantCode(t, "UpdateFarm by another producer", err, fpr.CodeForbidden)
		_, err = db.UpdateFarm(as(nil), f.ID, fpr.FarmUpdate{Name: ptr("Stolen")})
		wantCode(t, "UpdateFarm anonymous", err, fpr.CodeUnauthenticated)
		_, err = db.UpdateFarm(as(owner), "nope", fpr.FarmUpdate{Name: ptr("X")})
		wantCode(t, "UpdateFarm(unknown)", err, fpr.CodeNotFound)
		_, err = db.UpdateFarm(as(owner), f.ID, fpr.FarmUpdate{Name: ptr("  ")})
		wantCode(t, "UpdateFarm(blank name)", err, fpr.CodeValidationFailed)
		if got, _ := db.FindFarmByID(context.Background(), f.ID); got.Name != "Green Acres" {
			t.Fatalf("name after refused updates = %q, want Green Acres", got.Name)
		}
		got, err := db.UpdateFarm(as(admin), f.ID, fpr.FarmUpdate{Name: ptr("Blue Acres"), Region: ptr("Alsace")})
		mustOK(t, "UpdateFarm by an admin", err)
		if got.Name != "Blue Acres" || got.Slug != "blue-acres" || got.Region != "Alsace" || got.Description != "A farm." {
			t.Errorf("UpdateFarm = %+v, want name, slug and region changed, description kept", got)
		}
	},
	"FindFarms_ByteOrderAndCursor": func(t *testing.T, s *suite) {
		db := s.db(t, nil)
		p1, p2 := mustUser(t, db, fpr.RoleProducer), mustUser(t, db, fpr.RoleProducer)
		// Names compare byte by byte in both databases, whatever the
		// PostgreSQL server's locale: upper case before lower case, and
		// accented letters after z.
		for i, name := range []string{"apple Farm", "Banana Farm", "Émile Farm", "zucchini Farm", "apple Farm", "Cherry Farm"} {
			owner := p1
			if i%2 == 1 {
				owner = p2
			}
			mustFarm(t, db, owner, name)
		}
		names := func(fs []*fpr.Farm) string {
			var out []string
			for _, f := range fs {
				out = append(out, f.Name)
			}
			return strings.Join(out, ",")
		}
		var all []*fpr.Farm
		f := fpr.FarmFilter{Page: fpr.Page{Limit: 2}}
		for {
			got, next, err := db.FindFarms(context.Background(), f)
			mustOK(t, "FindFarms", err)
			all = append(all, got...)
			if next == "" {
				break
			}
			f.Cursor = next
		}
		if got, want := names(all), "Banana Farm,Cherry Farm,apple Farm,apple Farm,zucchini Farm,Émile Farm"; got != want {
			t.Errorf("FindFarms by pages of 2 = %s, want %s", got, want)
		}
		got, _, err := db.FindFarms(context.Background(), fpr.FarmFilter{OwnerID: &p2.ID})
		mustOK(t, "FindFarms(owner)", err)
		if g, w := names(got), "Banana Farm,Cherry Farm,zucchini Farm"; g != w {
			t.Errorf("FindFarms(owner) = %s, want %s", g, w)
		}
		got, _, err = db.FindFarms(context.Background(), fpr.FarmFilter{Region: ptr("Nowhere")})
		mustOK(t, "FindFarms(region)", err)
		if len(got) != 0 {
			t.Errorf("FindFarms(unknown region) = %s, want none", names(got))
		}
		_, _, err = db.FindFarms(context.Background(), fpr.FarmFilter{Page: fpr.Page{Cursor: "bad"}})
		wantCode(t, "FindFarms(bad cursor)", err, fpr.CodeValidationFailed)
	},
	"Product_CRUDAndPermissions": func(t *testing.T, s *suite) {
		db := s.db(t, nil)
		owner, other, admin, member := mustUser(t, db, fpr.RoleProducer), mustUser(t, db, fpr.RoleProducer),
			mustUser(t, db, fpr.RoleAdmin), mustUser(t, db, fpr.RoleMember)
		farm := mustFarm(t, db, owner, "Les Prés")
		newProduct := func() *fpr.Product {
			return &fpr.Product{FarmID: farm.ID, Name: "Crème fraîche", Category: "dairy", Unit: "pot 250 g"}
		}
		wantCode(t, "CreateProduct anonymous", db.CreateProduct(as(nil), newProduct()), fpr.CodeUnauthenticated)
		wantCode(t, "CreateProduct by a member", db.CreateProduct(as(member), newProduct()), fpr.CodeForbidden)
		wantCode(t, "CreateProduct by another producer", db.CreateProduct(as(other), newProduct()), fpr.CodeForbidden)
		unknown := newProduct()
		unknown.FarmID = "nope"
		wantCode(t, "CreateProduct(unknown farm)", db.CreateProduct(as(owner), unknown), fpr.CodeNotFound)
		badCat := newProduct()
		badCat.Category = "rocks"
		wantCode(t, "CreateProduct(bad category)", db.CreateProduct(as(owner), badCat), fpr.CodeValidationFailed)
		if got, _, _ := db.FindProducts(context.Background(), fpr.ProductFilter{}); len(got) != 0 {
			t.Fatalf("refused CreateProduct calls left %d products", len(got))
		}

		p := newProduct()
		mustOK(t, "CreateProduct", db.CreateProduct(as(owner), p))
		got, err := db.FindProductByID(context.Background(), p.ID)
		mustOK(t, "FindProductByID", err)
		if got.Name != "Crème fraîche" || got.Slug != "creme-fraiche" || got.FarmName != "Les Prés" || got.Category != "dairy" ||
			got.Unit != "pot 250 g" || got.Rating != (fpr.Rating{}) || !got.CreatedAt.Equal(p.CreatedAt) {
			t.Errorf("FindProductByID = %+v, want the created product with farm name and an empty rating", got)
		}
		_, err = db.UpdateProduct(as(other), p.ID, fpr.ProductUpdate{Name: ptr("Mine")})
		wantCode(t, "UpdateProduct by another producer", err, fpr.CodeForbidden)
		_, err = db.UpdateProduct(as(owner), p.ID, fpr.ProductUpdate{Category: ptr(fpr.Category("rocks"))})
		wantCode(t, "UpdateProduct(bad category)", err, fpr.CodeValidationFailed)
		_, err = db.UpdateProduct(as(owner), "nope", fpr.ProductUpdate{Name: ptr("X")})
		wantCode(t, "UpdateProduct(unknown)", err, fpr.CodeNotFound)
		up, err := db.UpdateProduct(as(admin), p.ID, fpr.ProductUpdate{Name: ptr("Beurre doux"), Unit: ptr("250 g")})
		mustOK(t, "UpdateProduct by an admin", err)
		if up.Name != "Beurre doux" || up.Slug != "beurre-doux" || up.Unit != "250 g" || up.Category != "dairy" {
			t.Errorf("UpdateProduct = %+v, want name, slug and unit changed, category kept", up)
		}
		_, err = db.DeleteProduct(as(member), p.ID)
		wantCode(t, "DeleteProduct by a member", err, fpr.CodeForbidden)
		archived, err := db.DeleteProduct(as(owner), p.ID)
		mustOK(t, "DeleteProduct", err)
		if archived {
			t.Error("DeleteProduct of a product without reviews archived it, want deleted")
		}
		_, err = db.FindProductByID(context.Background(), p.ID)
		wantCode(t, "FindProductByID after delete", err, fpr.CodeNotFound)
		_, err = db.DeleteProduct(as(owner), p.ID)
		wantCode(t, "DeleteProduct again", err, fpr.CodeNotFound)
	},
	"FindProducts_FiltersSortsCursors": func(t *testing.T, s *suite) {
		clk := NewClock(start)
		db := s.db(t, clk)
		owner, owner2 := mustUser(t, db, fpr.RoleProducer), mustUser(t, db, fpr.RoleProducer)
		farm, farm2 := mustFarm(t, db, owner, "Hillside"), mustFarm(t, db, owner2, "Valley")
		// name, category, farm, ratings of its reviews
		specs := []struct {
			name, cat string
			farm2     bool
			ratings   []int
		}{
			{"apples", "fruit", false, []int{5, 5, 4}},
			{"Beets", "vegetables", false, []int{2}},
			{"carrots", "vegetables", true, nil},
			{"Dill", "herbs", true, []int{5}},
			{"eggs", "eggs", false, []int{3, 4, 4, 4, 5, 5}},
			{"Figs", "fruit", true, []int{1, 2}},
			{"garlic", "vegetables", false, []int{4, 4}},
		}
		byName := map[string]*fpr.Product{}
		for _, sp := range specs {
			clk.Advance(time.Millisecond)
			f, o := farm, owner
			if sp.farm2 {
				f, o = farm2, owner2
			}
			p := mustProduct(t, db, o, f, sp.name, sp.cat, "")
			byName[sp.name] = p
			for _, stars := range sp.ratings {
				r := &fpr.Review{ProductID: p.ID, Rating: stars, Body: "Fine."}
				mustOK(t, "CreateReview", db.CreateReview(as(mustUser(t, db, fpr.RoleMember)), r))
			}
		}
		join := func(ps []*fpr.Product) string { return strings.Join(productIDs(ps), ",") }
		tests := []struct {
			name string
			f    fpr.ProductFilter
			want string
		}{
			{"NewestDefault", fpr.ProductFilter{}, "garlic,Figs,eggs,Dill,carrots,Beets,apples"},
			{"Name", fpr.ProductFilter{Sort: fpr.ProductSortName}, "Beets,Dill,Figs,apples,carrots,eggs,garlic"},
			// Bayesian (35+sum)/(10+count): apples 3.77, eggs 3.75, Dill 3.64,
			// garlic 3.58, carrots 3.5, Beets 3.36, Figs 3.17.
			{"TopRated", fpr.ProductFilter{Sort: fpr.ProductSortTopRated}, "apples,eggs,Dill,garlic,carrots,Beets,Figs"},
			{"MostReviewed", fpr.ProductFilter{Sort: fpr.ProductSortMostReviewed}, "eggs,apples,garlic,Figs,Dill,Beets,carrots"},
			{"Category", fpr.ProductFilter{Category: ptr(fpr.Category("vegetables"))}, "garlic,carrots,Beets"},
			{"Farm", fpr.ProductFilter{FarmID: &farm2.ID, Sort: fpr.ProductSortName}, "Dill,Figs,carrots"},
			{"MinRating4", fpr.ProductFilter{MinRating: ptr(4.0), Sort: fpr.ProductSortName}, "Dill,apples,eggs,garlic"},
			{"MinRating4.5", fpr.ProductFilter{MinRating: ptr(4.5), Sort: fpr.ProductSortName}, "Dill,apples"},
			{"CategoryAndMinRating", fpr.ProductFilter{Category: ptr(fpr.Category("fruit")), MinRating: ptr(1.0)}, "Figs,apples"},
		}
		for _, tt := range tests {
			for _, limit := range []int{100, 2, 1} {
				if got := join(walkProducts(t, db, tt.f, limit)); got != tt.want {
					t.Errorf("%s by pages of %d = %s, want %s", tt.name, limit, got, tt.want)
				}
			}
		}
		got, err := db.FindProductByID(context.Background(), byName["eggs"].ID)
		mustOK(t, "FindProductByID", err)
		if want := (fpr.Rating{Count: 6, Sum: 25, Histogram: [5]int{0, 0, 1, 3, 2}}); got.Rating != want {
			t.Errorf("eggs rating = %+v, want %+v", got.Rating, want)
		}
		if avg, ok := got.Rating.Average(); !ok || avg != 4.17 {
			t.Errorf("eggs average = %v %v, want 4.17", avg, ok)
		}

		_, next, err := db.FindProducts(context.Background(), fpr.ProductFilter{Sort: fpr.ProductSortName, Page: fpr.Page{Limit: 1}})
		mustOK(t, "FindProducts", err)
		for _, bad := range []fpr.ProductFilter{
			{Sort: "price"},
			{Category: ptr(fpr.Category("rocks"))},
			{MinRating: ptr(0.5)},
			{MinRating: ptr(5.5)},
			{Page: fpr.Page{Limit: 101}},
			{Page: fpr.Page{Cursor: "garbage"}},
			{Sort: fpr.ProductSortNewest, Page: fpr.Page{Cursor: next}}, // a cursor of the name sort
		} {
			_, _, err := db.FindProducts(context.Background(), bad)
			wantCode(t, fmt.Sprintf("FindProducts(%+v)", bad), err, fpr.CodeValidationFailed)
		}
	},
	"Search_FieldsAccentsPrefixRanking": func(t *testing.T, s *suite) {
		db := s.db(t, nil)
		owner := mustUser(t, db, fpr.RoleProducer)
		chateau := mustFarm(t, db, owner, "Ferme du Château")
		orchard := mustFarm(t, db, owner, "Tomato Orchard")
		mustProduct(t, db, owner, chateau, "Crème fraîche", "dairy", "Thick, from our free-range cows.")
		mustProduct(t, db, owner, chateau, "Heirloom tomatoes", "vegetables", "Mixed colours, picked ripe.")
		mustProduct(t, db, owner, orchard, "Apple juice", "beverages", "Pressed from apples; see www.orchard.example.")
		mustProduct(t, db, owner, chateau, "Green salsa", "preserves", "Made with green tomatoes and chili.")
		mustProduct(t, db, owner, chateau, "Honey", "honey", "Wildflower honey.")
		// Decomposed accents (e + U+0301), as some systems type them.
		mustProduct(t, db, owner, chateau, "Pear brandy", "beverages", "Made by pe\u0300re Martin.")

		search := func(q string) []string {
			t.Helper()
			got, _, err := db.FindProducts(context.Background(), fpr.ProductFilter{Query: &q})
			mustOK(t, fmt.Sprintf("FindProducts(q=%q)", q), err)
			return productIDs(got)
		}
		sorted := func(q string) []string { n := search(q); slices.Sort(n); return n }
		tests := []struct {
			name, q string
			want    []string
			ranked  bool // order matters
		}{
			{"ProductName", "honey", []string{"Honey"}, false},
			{"Description", "wildflower", []string{"Honey"}, false},
			{"FarmName", "chateau", []string{"Crème fraîche", "Green salsa", "Heirloom tomatoes", "Honey", "Pear brandy"}, false},
			{"AccentsFolded", "CRÈME", []string{"Crème fraîche"}, false},
			{"AccentsFoldedBothWays", "creme fraiche", []string{"Crème fraîche"}, false},
			{"CombiningAccents", "cre\u0301me", []string{"Crème fraîche"}, false},
			{"CombiningAccentsInDocument", "pere martin", []string{"Pear brandy"}, false},
			{"PrefixOfLastWord", "tomat", []string{"Apple juice", "Green salsa", "Heirloom tomatoes"}, false},
			{"EveryWordMustMatch", "green tomatoes", []string{"Green salsa"}, false},
			{"EarlierWordsAreWhole", "tom salsa", nil, false},
			{"HyphenatedWordsSplit", "free-range", []string{"Crème fraîche"}, false},
			{"URLWordsSplit", "orchard example", []string{"Apple juice"}, false},
			{"SyntaxIsText", `honey" OR NEAR(x) * -`, nil, false},
			{"NoWords", "  ... ", []string{"Apple juice", "Crème fraîche", "Green salsa", "Heirloom tomatoes", "Honey", "Pear brandy"}, false},
			// Name (A) before farm name (B) before description (C).
			{"Ranking", "tomato", []string{"Heirloom tomatoes", "Apple juice", "Green salsa"}, true},
		}
		for _, tt := range tests {
			got := search(tt.q)
			if !tt.ranked {
				got = sorted(tt.q)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("%s: search %q = %q, want %q", tt.name, tt.q, got, tt.want)
			}
		}
		// Relevance pages walk the same ranked list.
		if got := productIDs(walkProducts(t, db, fpr.ProductFilter{Query: ptr("tomato")}, 1)); !slices.Equal(got, tests[len(tests)-1].want) {
			t.Errorf("search tomato by pages of 1 = %q, want %q", got, tests[len(tests)-1].want)
		}
	},
	"Search_FollowsUpdates": func(t *testing.T, s *suite) {
		db := s.db(t, nil)
		owner := mustUser(t, db, fpr.RoleProducer)
		farm := mustFarm(t, db, owner, "Sunny Slopes")
		p := mustProduct(t, db, owner, farm, "Rye flour", "flour-and-bakery", "Stone ground.")
		count := func(q string) int {
			t.Helper()
			got, _, err := db.FindProducts(context.Background(), fpr.ProductFilter{Query: &q})
			mustOK(t, "FindProducts", err)
			return len(got)
		}
		steps := []struct {
			name   string
			change func()
			q      string
			want   int
		}{
			{"BeforeRename", func() {}, "sunny", 1},
			{"FarmRenamedNewName", func() {
				_, err := db.UpdateFarm(as(owner), farm.ID, fpr.FarmUpdate{Name: ptr("Misty Moor")})
				mustOK(t, "UpdateFarm", err)
			}, "misty", 1},
			{"FarmRenamedOldName", func() {}, "sunny", 0},
			{"ProductRenamed", func() {
				_, err := db.UpdateProduct(as(owner), p.ID, fpr.ProductUpdate{Name: ptr("Spelt flour")})
				mustOK(t, "UpdateProduct", err)
			}, "spelt", 1},
			{"ProductOldName", func() {}, "rye", 0},
			{"DescriptionChanged", func() {
				_, err := db.UpdateProduct(as(owner), p.ID, fpr.ProductUpdate{Description: ptr("Water milled.")})
				mustOK(t, "UpdateProduct", err)
			}, "milled", 1},
			{"Deleted", func() {
				_, err := db.DeleteProduct(as(owner), p.ID)
				mustOK(t, "DeleteProduct", err)
			}, "spelt", 0},
		}
		for _, st := range steps {
			st.change()
			if got := count(st.q); got != st.want {
				t.Errorf("%s: search %q found %d, want %d", st.name, st.q, got, st.want)
			}
		}
	},
}
