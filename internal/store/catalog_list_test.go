package store

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/fpr-team/fpr"
)

// allPages pages through f with limit and returns the products in order.
func allPages(t testing.TB, db *DB, f fpr.ProductFilter, limit int) []*fpr.Product {
	t.Helper()
	var out []*fpr.Product
	f.Limit = limit
	for pages := 0; ; pages++ {
		if pages > 1000 {
			t.Fatal("paging does not end")
		}
		ps, next, err := db.FindProducts(context.Background(), f)
		if err != nil {
			t.Fatalf("FindProducts(%+v): %v", f, err)
		}
		if len(ps) > limit {
			t.Fatalf("page of %d products, want at most %d", len(ps), limit)
		}
		out = append(out, ps...)
		if next == "" {
			return out
		}
		f.Cursor = next
	}
}

func ids(ps []*fpr.Product) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.ID
	}
	return out
}

// TestProductService_FindProducts_Paging creates 57 products with tied names,
// scores and counts and checks that paging by 10 visits every product
// exactly once, in each sort's order.
func TestProductService_FindProducts_Paging(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *DB) {
		c := newCatalog(t, db)
		farms := []*fpr.Farm{c.mustFarm(t, c.producer, "North Farm"), c.mustFarm(t, c.other, "South Farm")}
		var all []*fpr.Product
		for i := range 57 {
			cat := []string{"vegetables", "fruit", "dairy"}[i%3]
			// Names repeat (ties broken by id); "apple" words make some match q.
			name := fmt.Sprintf("Item %02d", i%20)
			desc := "Plain."
			if i%4 == 0 {
				desc = "Crisp apple flavour."
			}
			if i%9 == 0 {
				name += " apple"
			}
			p := c.mustProduct(t, farms[i%2], name, cat, desc)
			// Patterns repeat every 7 products: ties in score and in count.
			stars := [][]int{nil, {5}, {4, 4}, {1, 2, 3}, {5, 5, 5, 5}, {3}, {4, 4}}[i%7]
			c.mustRatings(t, p.ID, stars...)
			for _, s := range stars {
				p.Rating.Count++
				p.Rating.Sum += s
				p.Rating.Histogram[s-1]++
			}
			all = append(all, p)
		}
		byID := func(a, b *fpr.Product) int { return strings.Compare(a.ID, b.ID) }
		desc := func(x, y float64) int {
			if x != y {
				if x > y {
					return -1
				}
				return 1
			}
			return 0
		}
		order := map[fpr.ProductSort]func(a, b *fpr.Product) int{
			fpr.ProductSortNewest: func(a, b *fpr.Product) int { return -byID(a, b) },
			fpr.ProductSortTopRated: func(a, b *fpr.Product) int {
				if d := desc(a.Rating.BayesianAverage(), b.Rating.BayesianAverage()); d != 0 {
					return d
				}
				return -byID(a, b)
			},
			fpr.ProductSortMostReviewed: func(a, b *fpr.Product) int {
				if d := desc(float64(a.Rating.Count), float64(b.Rating.Count)); d != 0 {
					return d
				}
				return -byID(a, b)
			},
			fpr.ProductSortName: func(a, b *fpr.Product) int {
				if d := strings.Compare(a.Name, b.Name); d != 0 {
					return d
				}
				return byID(a, b)
			},
		}
		dairy := fpr.Category("dairy")
		minRating := 4.0
		for _, tt := range []struct {
			name string
			f    fpr.ProductFilter
			keep func(p *fpr.Product) bool
		}{
			{"all", fpr.ProductFilter{}, func(*fpr.Product) bool { return true }},
			{"category", fpr.ProductFilter{Category: &dairy}, func(p *fpr.Product) bool { return p.Category == dairy }},
			{"farm", fpr.ProductFilter{FarmID: &farms[1].ID}, func(p *fpr.Product) bool { return p.FarmID == farms[1].ID }},
			{"min_rating", fpr.ProductFilter{MinRating: &minRating}, func(p *fpr.Product) bool {
				return p.Rating.Count > 0 && float64(p.Rating.Sum) >= minRating*float64(p.Rating.Count)
			}},
			{"farm and category", fpr.ProductFilter{FarmID: &farms[0].ID, Category: &dairy}, func(p *fpr.Product) bool {
				return p.FarmID == farms[0].ID && p.Category == dairy
			}},
		} {
			for sort, cmp := range order {
				t.Run(tt.name+"/"+string(sort), func(t *testing.T) {
					var want []*fpr.Product
					for _, p := range all {
						if tt.keep(p) {
							want = append(want, p)
						}
					}
					slices.SortFunc(want, cmp)
					f := tt.f
					f.Sort = sort
					got := allPages(t, c.db, f, 10)
					if fmt.Sprint(ids(got)) != fmt.Sprint(ids(want)) {
						t.Errorf("paged ids =\n%v\nwant\n%v", ids(got), ids(want))
					}
					for i := range min(len(got), len(want)) {
						if got[i].Rating != want[i].Rating || got[i].FarmName == "" {
							t.Errorf("product %d = %+v, want rating %+v and a farm name", i, got[i], want[i].Rating)
							break
						}
					}
				})
			}
		}

		t.Run("relevance", func(t *testing.T) {
			q := "apple"
			one, _, err := c.db.FindProducts(context.Background(), fpr.ProductFilter{Query: &q, Page: fpr.Page{Limit: 100}})
			if err != nil {
				t.Fatal(err)
			}
			var want int
			for _, p := range all {
				if strings.Contains(p.Name, "apple") || strings.Contains(p.Description, "apple") {
					want++
				}
			}
			if len(one) != want {
				t.Fatalf("q=apple found %d, want %d", len(one), want)
			}
			got := allPages(t, c.db, fpr.ProductFilter{Query: &q}, 3)
			if fmt.Sprint(ids(got)) != fmt.Sprint(ids(one)) {
				t.Errorf("relevance paged by 3 = %v, want %v", ids(got), ids(one))
			}
			// Name matches first.
			seenDescOnly := false
			for _, p := range got {
				inName := strings.Contains(p.Name, "apple")
				if inName && seenDescOnly {
					t.Errorf("a name match (%q) comes after a description-only match", p.Name)
				}
				seenDescOnly = seenDescOnly || !inName
			}
			for sort, cmp := range order {
				got := allPages(t, c.db, fpr.ProductFilter{Query: &q, Sort: sort}, 4)
				wantSorted := slices.Clone(one)
				slices.SortFunc(wantSorted, cmp)
				if fmt.Sprint(ids(got)) != fmt.Sprint(ids(wantSorted)) {
					t.Errorf("q=apple sort=%s paged = %v, want %v", sort, ids(got), ids(wantSorted))
				}
			}
		})

		t.Run("ErrCursor", func(t *testing.T) {
			_, next, err := c.db.FindProducts(context.Background(), fpr.ProductFilter{Sort: fpr.ProductSortName, Page: fpr.Page{Limit: 5}})
			if err != nil || next == "" {
				t.Fatalf("first page: %q, %v", next, err)
			}
			for _, tt := range []struct {
				name string
				f    fpr.ProductFilter
			}{
				{"garbage", fpr.ProductFilter{Page: fpr.Page{Cursor: "!!not-a-cursor"}}},
				{"base64 of junk", fpr.ProductFilter{Page: fpr.Page{Cursor: "bm9wZQ"}}},
				{"other sort's cursor", fpr.ProductFilter{Sort: fpr.ProductSortTopRated, Page: fpr.Page{Cursor: next}}},
				{"default sort with a name cursor", fpr.ProductFilter{Page: fpr.Page{Cursor: next}}},
			} {
				_, _, err := c.db.FindProducts(context.Background(), tt.f)
				if _, ok := fpr.ErrorFields(err)["cursor"]; codeOf(err) != fpr.CodeValidationFailed || !ok {
					t.Errorf("%s: FindProducts = %v (fields %v), want validation_failed on cursor", tt.name, err, fpr.ErrorFields(err))
				}
			}
		})
	})
}

func TestProductService_FindProducts_ErrFilters(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *DB) {
		c := newCatalog(t, db)
		f64 := func(v float64) *float64 { return &v }
		cat := fpr.Category("spaceships")
		for _, tt := range []struct {
			name   string
			f      fpr.ProductFilter
			fields []string
		}{
			{"sort", fpr.ProductFilter{Sort: "cheapest"}, []string{"sort"}},
			{"category", fpr.ProductFilter{Category: &cat}, []string{"category"}},
			{"min_rating low", fpr.ProductFilter{MinRating: f64(0.5)}, []string{"min_rating"}},
			{"min_rating high", fpr.ProductFilter{MinRating: f64(5.01)}, []string{"min_rating"}},
			{"min_rating NaN", fpr.ProductFilter{MinRating: f64(math.NaN())}, []string{"min_rating"}},
			{"limit", fpr.ProductFilter{Page: fpr.Page{Limit: 101}}, []string{"limit"}},
			{"limit negative", fpr.ProductFilter{Page: fpr.Page{Limit: -1}}, []string{"limit"}},
			{"several", fpr.ProductFilter{Sort: "x", Category: &cat, Page: fpr.Page{Limit: 1000}}, []string{"sort", "category", "limit"}},
		} {
			t.Run(tt.name, func(t *testing.T) {
				_, _, err := c.db.FindProducts(context.Background(), tt.f)
				var got []string
				for k := range fpr.ErrorFields(err) {
					got = append(got, k)
				}
				slices.Sort(got)
				want := slices.Sorted(slices.Values(tt.fields))
				if codeOf(err) != fpr.CodeValidationFailed || fmt.Sprint(got) != fmt.Sprint(want) {
					t.Errorf("FindProducts = %v fields %v, want validation_failed on %v", err, got, want)
				}
			})
		}
	})
}

func TestProductService_Search(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *DB) {
		c := newCatalog(t, db)
		lavande := c.mustFarm(t, c.producer, "Château Lavande")
		hill := c.mustFarm(t, c.other, "Hill Farm")
		tomatoes := c.mustProduct(t, hill, "Heirloom Tomatoes", "vegetables", "Red and juicy, picked ripe.")
		passata := c.mustProduct(t, hill, "Passata", "preserves", "Made from our own tomatoes, slowly cooked.")
		honey := c.mustProduct(t, lavande, "Lavender honey", "honey", "Runny honey from the hives by the fields.")
		creme := c.mustProduct(t, lavande, "Crème fraîche", "dairy", "Thick and tangy.")

		for _, tt := range []struct {
			q    string
			want []*fpr.Product
		}{
			{"tomatoes", []*fpr.Product{tomatoes, passata}},                   // name match ranks above description-only
			{"TOMATOES", []*fpr.Product{tomatoes, passata}},                   // case
			{"tomat", []*fpr.Product{tomatoes, passata}},                      // the last word is a prefix
			{"lavande", []*fpr.Product{creme, honey}},                         // farm name matches; then newest-first ties? see below
			{"chateau", []*fpr.Product{creme, honey}},                         // diacritics
			{"CHÂTEAU", []*fpr.Product{creme, honey}},                         // diacritics and case
			{"creme fraiche", []*fpr.Product{creme}},                          // every word must match
			{"crème", []*fpr.Product{creme}},                                  //
			{"honey tomatoes", nil},                                           // no product has both
			{"juicy heirloom", []*fpr.Product{tomatoes}},                      // any column
			{`tomatoes OR honey`, nil},                                        // OR is a word, not an operator
			{`"tomatoes`, []*fpr.Product{tomatoes, passata}},                  // unbalanced quote
			{`name:passata`, nil},                                             // column filters are words
			{`passata*`, []*fpr.Product{passata}},                             // star is punctuation
			{`(passata) AND -NOT`, nil},                                       // operators and parentheses are words
			{`NEAR(tomatoes passata)`, nil},                                   //
			{`^passata`, []*fpr.Product{passata}},                             // initial-token syntax ignored
			{`passata; DROP TABLE products; --`, nil},                         // just words
			{"\u00a0 ***  ", []*fpr.Product{creme, honey, passata, tomatoes}}, // only punctuation: no filter
			{"", []*fpr.Product{creme, honey, passata, tomatoes}},             // empty: no filter
		} {
			t.Run(tt.q, func(t *testing.T) {
				got := searchIDs(t, c.db, tt.q)
				want := ids(tt.want)
				if tt.q == "lavande" || strings.Contains(strings.ToLower(tt.q), "chateau") || strings.Contains(tt.q, "CHÂTEAU") {
					// Both match only through the farm name with equal weight:
					// compare as sets.
					slices.Sort(got)
					slices.Sort(want)
				}
				if fmt.Sprint(got) != fmt.Sprint(want) {
					t.Errorf("search %q = %v, want %v", tt.q, got, want)
				}
			})
		}
		if got := mustCount(t, c.db, "products"); got != 4 {
			t.Errorf("products after searches = %d, want 4", got)
		}
	})
}

func TestProductService_TopRatedAndMinRating(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *DB) {
		c := newCatalog(t, db)
		farm := c.mustFarm(t, c.producer, "Orchard")
		proven := c.mustProduct(t, farm, "Cox apples", "fruit", "")
		single := c.mustProduct(t, farm, "Quince", "fruit", "")
		none := c.mustProduct(t, farm, "Medlar", "fruit", "")
		poor := c.mustProduct(t, farm, "Crab apples", "fruit", "")
		var stars []int
		for i := range 200 {
			stars = append(stars, 5-(i%5)/4) // 160 fives, 40 fours: 4.8
		}
		c.mustRatings(t, proven.ID, stars...)
		c.mustRatings(t, single.ID, 5)
		c.mustRatings(t, poor.ID, 2, 2)

		got, err := c.db.FindProductByID(context.Background(), proven.ID)
		if err != nil {
			t.Fatal(err)
		}
		if avg, ok := got.Rating.Average(); !ok || avg != 4.8 || got.Rating.Count != 200 || got.Rating.Histogram != [5]int{0, 0, 0, 40, 160} {
			t.Fatalf("proven rating = %+v (avg %v), want 200 reviews averaging 4.8", got.Rating, avg)
		}
		top, _, err := c.db.FindProducts(context.Background(), fpr.ProductFilter{Sort: fpr.ProductSortTopRated})
		if err != nil {
			t.Fatal(err)
		}
		if want := []string{proven.ID, single.ID, none.ID, poor.ID}; fmt.Sprint(ids(top)) != fmt.Sprint(want) {
			t.Errorf("top_rated = %v, want 200×4.8, 1×5, unrated, 2×2 = %v", ids(top), want)
		}
		most, _, err := c.db.FindProducts(context.Background(), fpr.ProductFilter{Sort: fpr.ProductSortMostReviewed})
		if err != nil {
			t.Fatal(err)
		}
		if want := []string{proven.ID, poor.ID, single.ID, none.ID}; fmt.Sprint(ids(most)) != fmt.Sprint(want) {
			t.Errorf("most_reviewed = %v, want %v", ids(most), want)
		}
		for _, tt := range []struct {
			min  float64
			want []string
		}{
			{1, []string{proven.ID, poor.ID, single.ID}},
			{2, []string{proven.ID, poor.ID, single.ID}},
			{2.01, []string{proven.ID, single.ID}},
			{4.8, []string{proven.ID, single.ID}},
			{4.81, []string{single.ID}},
			{5, []string{single.ID}},
		} {
			// By name: products made in one millisecond have no fixed
			// "newest" order (an ID's random part decides).
			ps, _, err := c.db.FindProducts(context.Background(), fpr.ProductFilter{MinRating: &tt.min, Sort: fpr.ProductSortName})
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(ids(ps)) != fmt.Sprint(tt.want) {
				t.Errorf("min_rating=%v = %v, want %v", tt.min, ids(ps), tt.want)
			}
		}
	})
}
