package store

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fpr-team/fpr"
)

// catalog is a database with one user of each role and helpers to act as
// them.
type catalog struct {
	db                                  *DB
	admin, producer, other, member, mod *fpr.User
}

func newCatalog(t testing.TB, db *DB) *catalog {
	t.Helper()
	c := &catalog{db: db}
	// Each transaction a millisecond after the last: IDs made in one
	// millisecond order by their random part, so "newest first" would
	// have no fixed order between rows a test makes quickly.
	var mu sync.Mutex
	now := db.Now()
	db.Now = func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		now = now.Add(time.Millisecond)
		return now
	}
	for _, u := range []struct {
		p    **fpr.User
		role fpr.Role
	}{{&c.admin, fpr.RoleAdmin}, {&c.producer, fpr.RoleProducer}, {&c.other, fpr.RoleProducer},
		{&c.member, fpr.RoleMember}, {&c.mod, fpr.RoleModerator}} {
		user := &fpr.User{Email: db.NewID(db.Now()) + "@example.test", DisplayName: "User " + string(u.role), Role: u.role, EmailVerified: true}
		if err := db.CreateUser(context.Background(), user, "!"); err != nil {
			t.Fatal(err)
		}
		*u.p = user
	}
	return c
}

// as returns a context acting as u (nil: anonymous).
func as(u *fpr.User) context.Context { return fpr.NewContextWithUser(context.Background(), u) }

func (c *catalog) mustFarm(t testing.TB, owner *fpr.User, name string) *fpr.Farm {
	t.Helper()
	f := &fpr.Farm{Name: name, Region: "Normandy", Description: "A farm."}
	if err := c.db.CreateFarm(as(owner), f); err != nil {
		t.Fatalf("CreateFarm(%q): %v", name, err)
	}
	return f
}

func (c *catalog) mustProduct(t testing.TB, farm *fpr.Farm, name, category, description string) *fpr.Product {
	t.Helper()
	p := &fpr.Product{FarmID: farm.ID, Name: name, Category: fpr.Category(category), Description: description, Unit: "per kg"}
	if err := c.db.CreateProduct(as(c.admin), p); err != nil {
		t.Fatalf("CreateProduct(%q): %v", name, err)
	}
	return p
}

// mustRatings applies published reviews with the given star values to a
// product's summary.
func (c *catalog) mustRatings(t testing.TB, productID string, stars ...int) {
	t.Helper()
	ctx := context.Background()
	err := c.db.inTx(ctx, true, func(tx *Tx) error {
		for _, s := range stars {
			if err := tx.applyRatingDelta(ctx, productID, 0, s, false, true); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func codeOf(err error) fpr.Code { return fpr.ErrorCode(err) }

func TestFarmService_CreateFarm(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *DB) {
		c := newCatalog(t, db)
		tests := []struct {
			name      string
			actor     *fpr.User
			ownerID   string
			farm      fpr.Farm
			wantCode  fpr.Code
			wantOwner *fpr.User
			wantField string
		}{
			{"OK producer", c.producer, "", fpr.Farm{Name: "Green Acres", Region: "Kent"}, "", c.producer, ""},
			{"OK producer owner ignored", c.producer, c.other.ID, fpr.Farm{Name: "Blue Acres", Region: "Kent"}, "", c.producer, ""},
			{"OK admin for producer", c.admin, c.other.ID, fpr.Farm{Name: "Red Acres", Region: "Kent"}, "", c.other, ""},
			{"OK admin for self", c.admin, "", fpr.Farm{Name: "Admin Acres", Region: "Kent"}, "", c.admin, ""},
			{"ErrAdminOwnerNotProducer", c.admin, c.member.ID, fpr.Farm{Name: "X", Region: "Kent"}, fpr.CodeValidationFailed, nil, "owner_id"},
			{"ErrAdminOwnerUnknown", c.admin, "nope", fpr.Farm{Name: "X", Region: "Kent"}, fpr.CodeValidationFailed, nil, "owner_id"},
			{"ErrMember", c.member, "", fpr.Farm{Name: "X", Region: "Kent"}, fpr.CodeForbidden, nil, ""},
			{"ErrModerator", c.mod, "", fpr.Farm{Name: "X", Region: "Kent"}, fpr.CodeForbidden, nil, ""},
			{"ErrAnonymous", nil, "", fpr.Farm{Name: "X", Region: "Kent"}, fpr.CodeUnauthenticated, nil, ""},
			{"ErrNameEmpty", c.producer, "", fpr.Farm{Name: "  ", Region: "Kent"}, fpr.CodeValidationFailed, nil, "name"},
			{"ErrNameLong", c.producer, "", fpr.Farm{Name: strings.Repeat("a", 101), Region: "Kent"}, fpr.CodeValidationFailed, nil, "name"},
			{"ErrRegionEmpty", c.producer, "", fpr.Farm{Name: "X"}, fpr.CodeValidationFailed, nil, "region"},
			{"ErrDescriptionLong", c.producer, "", fpr.Farm{Name: "X", Region: "K", Description: strings.Repeat("d", 5001)}, fpr.CodeValidationFailed, nil, "description"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				before := mustCount(t, c.db, "farms")
				f := tt.farm
				f.OwnerID = tt.ownerID
				err := c.db.CreateFarm(as(tt.actor), &f)
				if got := codeOf(err); got != tt.wantCode {
					t.Fatalf("CreateFarm code = %q (%v), want %q", got, err, tt.wantCode)
				}
				if tt.wantCode != "" {
					if tt.wantField != "" {
						if _, ok := fpr.ErrorFields(err)[tt.wantField]; !ok {
							t.Errorf("CreateFarm fields = %v, want a message for %q", fpr.ErrorFields(err), tt.wantField)
						}
					}
					if after := mustCount(t, c.db, "farms"); after != before {
						t.Errorf("farms after a refused create = %d, want %d", after, before)
					}
					return
				}
				got, err := c.db.FindFarmByID(context.Background(), f.ID)
				if err != nil {
					t.Fatal(err)
				}
				if got.OwnerID != tt.wantOwner.ID || got.Name != tt.farm.Name || got.Slug != fpr.Slugify(tt.farm.Name) {
					t.Errorf("farm = %+v, want owner %s, name %q", got, tt.wantOwner.ID, tt.farm.Name)
				}
			})
		}
	})
}

// mustSearchEntries counts the products' search entries: rows of the FTS5
// table on SQLite, non-empty vectors on PostgreSQL.
func mustSearchEntries(t testing.TB, db *DB) int {
	t.Helper()
	q := `SELECT COUNT(*) FROM products_search`
	if db.Dialect() == "postgres" {
		q = `SELECT COUNT(*) FROM products WHERE search <> ''::tsvector`
	}
	var n int
	if err := db.read.QueryRowContext(context.Background(), q).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func mustCount(t testing.TB, db *DB, table string) int {
	t.Helper()
	var n int
	if err := db.read.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM `+table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestFarmService_SlugConflicts(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *DB) {
		c := newCatalog(t, db)
		var got []string
		for _, name := range []string{"Ferme du Château", "Ferme du Chateau", "FERME DU CHATEAU!", "Ferme du Château 2"} {
			got = append(got, c.mustFarm(t, c.producer, name).Slug)
		}
		want := []string{"ferme-du-chateau", "ferme-du-chateau-2", "ferme-du-chateau-3", "ferme-du-chateau-2-2"}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("slugs = %v, want %v", got, want)
		}
	})
}

func TestFarmService_UpdateFarm(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *DB) {
		c := newCatalog(t, db)
		farm := c.mustFarm(t, c.producer, "Old Mill")
		p := c.mustProduct(t, farm, "Rye bread", "flour-and-bakery", "Sourdough.")
		str := func(s string) *string { return &s }
		farm.ProductCount = 1 // as mustProduct left it

		for _, tt := range []struct {
			name     string
			actor    *fpr.User
			id       string
			upd      fpr.FarmUpdate
			wantCode fpr.Code
			field    string
		}{
			{"ErrAnonymous", nil, farm.ID, fpr.FarmUpdate{Region: str("X")}, fpr.CodeUnauthenticated, ""},
			{"ErrOtherProducer", c.other, farm.ID, fpr.FarmUpdate{Region: str("X")}, fpr.CodeForbidden, ""},
			{"ErrMember", c.member, farm.ID, fpr.FarmUpdate{Region: str("X")}, fpr.CodeForbidden, ""},
			{"ErrNotFound", c.admin, "nope", fpr.FarmUpdate{Region: str("X")}, fpr.CodeNotFound, ""},
			{"ErrNameEmpty", c.producer, farm.ID, fpr.FarmUpdate{Name: str(""), Region: str("X")}, fpr.CodeValidationFailed, "name"},
			{"ErrRegionLong", c.producer, farm.ID, fpr.FarmUpdate{Region: str(strings.Repeat("r", 101))}, fpr.CodeValidationFailed, "region"},
		} {
			t.Run(tt.name, func(t *testing.T) {
				_, err := c.db.UpdateFarm(as(tt.actor), tt.id, tt.upd)
				if got := codeOf(err); got != tt.wantCode {
					t.Fatalf("UpdateFarm code = %q (%v), want %q", got, err, tt.wantCode)
				}
				if _, ok := fpr.ErrorFields(err)[tt.field]; tt.field != "" && !ok {
					t.Errorf("UpdateFarm fields = %v, want %q", fpr.ErrorFields(err), tt.field)
				}
				got, err := c.db.FindFarmByID(context.Background(), farm.ID)
				if err != nil {
					t.Fatal(err)
				}
				if *got != *farm {
					t.Errorf("farm after refused update = %+v, want unchanged %+v", got, farm)
				}
			})
		}

		t.Run("OK owner renames; search follows", func(t *testing.T) {
			got, err := c.db.UpdateFarm(as(c.producer), farm.ID, fpr.FarmUpdate{Name: str("Windmill Bakery")})
			if err != nil {
				t.Fatal(err)
			}
			if got.Name != "Windmill Bakery" || got.Slug != "windmill-bakery" || got.Region != farm.Region {
				t.Errorf("UpdateFarm = %+v, want the new name and slug, region kept", got)
			}
			if ids := searchIDs(t, c.db, "windmill"); fmt.Sprint(ids) != fmt.Sprint([]string{p.ID}) {
				t.Errorf("search windmill = %v, want [%s]", ids, p.ID)
			}
			if ids := searchIDs(t, c.db, "mill"); len(ids) != 0 {
				t.Errorf("search for the old farm name = %v, want none", ids)
			}
			prod, err := c.db.FindProductByID(context.Background(), p.ID)
			if err != nil || prod.FarmName != "Windmill Bakery" {
				t.Errorf("product farm_name = %q (%v), want the new name", prod.FarmName, err)
			}
		})
		t.Run("OK admin", func(t *testing.T) {
			got, err := c.db.UpdateFarm(as(c.admin), farm.ID, fpr.FarmUpdate{Description: str("Stone-ground.")})
			if err != nil || got.Description != "Stone-ground." || got.Slug != "windmill-bakery" {
				t.Errorf("UpdateFarm by admin = %+v, %v", got, err)
			}
		})
	})
}

func TestFarmService_FindFarms(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *DB) {
		c := newCatalog(t, db)
		var want []string
		for i := range 23 {
			owner := c.producer
			if i%2 == 1 {
				owner = c.other
			}
			f := c.mustFarm(t, owner, fmt.Sprintf("Farm %02d", 22-i))
			want = append([]string{f.ID}, want...)
		}
		var got []string
		cur := ""
		for range 10 {
			farms, next, err := c.db.FindFarms(context.Background(), fpr.FarmFilter{Page: fpr.Page{Limit: 5, Cursor: cur}})
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range farms {
				got = append(got, f.ID)
			}
			if cur = next; cur == "" {
				break
			}
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("farms by name = %v, want %v", got, want)
		}
		mine, _, err := c.db.FindFarms(context.Background(), fpr.FarmFilter{OwnerID: &c.other.ID, Page: fpr.Page{Limit: 100}})
		if err != nil || len(mine) != 11 {
			t.Errorf("farms of the other producer = %d (%v), want 11", len(mine), err)
		}
		if _, _, err := c.db.FindFarms(context.Background(), fpr.FarmFilter{Page: fpr.Page{Cursor: "garbage"}}); codeOf(err) != fpr.CodeValidationFailed {
			t.Errorf("FindFarms(bad cursor) = %v, want validation_failed", err)
		}
	})
}

func searchIDs(t testing.TB, db *DB, q string) []string {
	t.Helper()
	ps, _, err := db.FindProducts(context.Background(), fpr.ProductFilter{Query: &q, Page: fpr.Page{Limit: 100}})
	if err != nil {
		t.Fatalf("FindProducts(q=%q): %v", q, err)
	}
	ids := []string{}
	for _, p := range ps {
		ids = append(ids, p.ID)
	}
	return ids
}

func TestProductService_CreateUpdateDelete(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *DB) {
		c := newCatalog(t, db)
		farm := c.mustFarm(t, c.producer, "Hill Farm")
		valid := func() *fpr.Product {
			return &fpr.Product{FarmID: farm.ID, Name: "Duck eggs", Category: "eggs", Description: "Large.", Unit: "half dozen"}
		}
		for _, tt := range []struct {
			name     string
			actor    *fpr.User
			edit     func(p *fpr.Product)
			wantCode fpr.Code
			field    string
		}{
			{"OK producer", c.producer, nil, "", ""},
			{"OK admin", c.admin, nil, "", ""},
			{"ErrOtherProducer", c.other, nil, fpr.CodeForbidden, ""},
			{"ErrMember", c.member, nil, fpr.CodeForbidden, ""},
			{"ErrAnonymous", nil, nil, fpr.CodeUnauthenticated, ""},
			{"ErrFarmUnknown", c.admin, func(p *fpr.Product) { p.FarmID = "nope" }, fpr.CodeNotFound, ""},
			{"ErrFarmEmpty", c.admin, func(p *fpr.Product) { p.FarmID = "" }, fpr.CodeValidationFailed, "farm_id"},
			{"ErrNameEmpty", c.producer, func(p *fpr.Product) { p.Name = " " }, fpr.CodeValidationFailed, "name"},
			{"ErrNameLong", c.producer, func(p *fpr.Product) { p.Name = strings.Repeat("n", 121) }, fpr.CodeValidationFailed, "name"},
			{"ErrCategory", c.producer, func(p *fpr.Product) { p.Category = "cars" }, fpr.CodeValidationFailed, "category"},
			{"ErrUnitEmpty", c.producer, func(p *fpr.Product) { p.Unit = "" }, fpr.CodeValidationFailed, "unit"},
			{"ErrUnitLong", c.producer, func(p *fpr.Product) { p.Unit = strings.Repeat("u", 41) }, fpr.CodeValidationFailed, "unit"},
			{"ErrDescriptionLong", c.producer, func(p *fpr.Product) { p.Description = strings.Repeat("d", 5001) }, fpr.CodeValidationFailed, "description"},
		} {
			t.Run("Create/"+tt.name, func(t *testing.T) {
				before := mustCount(t, c.db, "products")
				beforeFTS := mustSearchEntries(t, c.db)
				p := valid()
				if tt.edit != nil {
					tt.edit(p)
				}
				err := c.db.CreateProduct(as(tt.actor), p)
				if got := codeOf(err); got != tt.wantCode {
					t.Fatalf("CreateProduct code = %q (%v), want %q", got, err, tt.wantCode)
				}
				if _, ok := fpr.ErrorFields(err)[tt.field]; tt.field != "" && !ok {
					t.Errorf("CreateProduct fields = %v, want %q", fpr.ErrorFields(err), tt.field)
				}
				if tt.wantCode != "" {
					if n, m := mustCount(t, c.db, "products"), mustSearchEntries(t, c.db); n != before || m != beforeFTS {
						t.Errorf("products, fts rows after a refused create = %d, %d, want %d, %d", n, m, before, beforeFTS)
					}
					return
				}
				got, err := c.db.FindProductByID(context.Background(), p.ID)
				if err != nil {
					t.Fatal(err)
				}
				if got.FarmName != "Hill Farm" || got.Name != "Duck eggs" || got.Slug != "duck-eggs" || got.Unit != "half dozen" ||
					got.Rating != (fpr.Rating{}) || !got.CreatedAt.Equal(p.CreatedAt) {
					t.Errorf("FindProductByID = %+v, want what was created (%+v)", got, p)
				}
			})
		}

		p := c.mustProduct(t, farm, "Goose eggs", "eggs", "Seasonal.")
		str := func(s string) *string { return &s }
		cat := func(s string) *fpr.Category { v := fpr.Category(s); return &v }
		for _, tt := range []struct {
			name     string
			actor    *fpr.User
			id       string
			upd      fpr.ProductUpdate
			wantCode fpr.Code
			field    string
		}{
			{"ErrAnonymous", nil, p.ID, fpr.ProductUpdate{Unit: str("each")}, fpr.CodeUnauthenticated, ""},
			{"ErrOtherProducer", c.other, p.ID, fpr.ProductUpdate{Unit: str("each")}, fpr.CodeForbidden, ""},
			{"ErrMember", c.member, p.ID, fpr.ProductUpdate{Unit: str("each")}, fpr.CodeForbidden, ""},
			{"ErrNotFound", c.admin, "nope", fpr.ProductUpdate{Unit: str("each")}, fpr.CodeNotFound, ""},
			{"ErrCategory", c.producer, p.ID, fpr.ProductUpdate{Unit: str("each"), Category: cat("boats")}, fpr.CodeValidationFailed, "category"},
			{"ErrName", c.producer, p.ID, fpr.ProductUpdate{Name: str("")}, fpr.CodeValidationFailed, "name"},
		} {
			t.Run("Update/"+tt.name, func(t *testing.T) {
				_, err := c.db.UpdateProduct(as(tt.actor), tt.id, tt.upd)
				if got := codeOf(err); got != tt.wantCode {
					t.Fatalf("UpdateProduct code = %q (%v), want %q", got, err, tt.wantCode)
				}
				if _, ok := fpr.ErrorFields(err)[tt.field]; tt.field != "" && !ok {
					t.Errorf("UpdateProduct fields = %v, want %q", fpr.ErrorFields(err), tt.field)
				}
				got, err := c.db.FindProductByID(context.Background(), p.ID)
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(got, p) {
					t.Errorf("product after refused update = %+v, want unchanged %+v", got, p)
				}
			})
		}
		t.Run("Update/OK", func(t *testing.T) {
			got, err := c.db.UpdateProduct(as(c.producer), p.ID, fpr.ProductUpdate{Name: str("Quail eggs"), Unit: str("box of 12")})
			if err != nil {
				t.Fatal(err)
			}
			if got.Name != "Quail eggs" || got.Slug != "quail-eggs" || got.Unit != "box of 12" || got.Description != "Seasonal." || got.FarmName != "Hill Farm" {
				t.Errorf("UpdateProduct = %+v", got)
			}
			if ids := searchIDs(t, c.db, "quail"); fmt.Sprint(ids) != fmt.Sprint([]string{p.ID}) {
				t.Errorf("search quail = %v, want [%s]", ids, p.ID)
			}
			if ids := searchIDs(t, c.db, "goose"); len(ids) != 0 {
				t.Errorf("search for the old name = %v, want none", ids)
			}
		})

		t.Run("Delete", func(t *testing.T) {
			ctx := context.Background()
			// A review with a reply and a vote, to see the cascade.
			err := c.db.inTx(ctx, true, func(tx *Tx) error {
				if _, err := tx.ExecContext(ctx, `INSERT INTO reviews (id, product_id, author_id, rating, body, status, created_at, updated_at)
				VALUES ('r1', $1, $2, 4, 'Good.', 'published', 0, 0)`, p.ID, c.member.ID); err != nil {
					return err
				}
				if _, err := tx.ExecContext(ctx, `INSERT INTO review_replies (review_id, author_id, body, created_at, updated_at)
				VALUES ('r1', $1, 'Thanks', 0, 0)`, c.producer.ID); err != nil {
					return err
				}
				_, err := tx.ExecContext(ctx, `INSERT INTO review_votes (review_id, user_id, created_at) VALUES ('r1', $1, 0)`, c.other.ID)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			for _, tt := range []struct {
				name  string
				actor *fpr.User
				id    string
				want  fpr.Code
			}{
				{"ErrAnonymous", nil, p.ID, fpr.CodeUnauthenticated},
				{"ErrOtherProducer", c.other, p.ID, fpr.CodeForbidden},
				{"ErrMember", c.member, p.ID, fpr.CodeForbidden},
				{"ErrNotFound", c.admin, "nope", fpr.CodeNotFound},
			} {
				if _, err := c.db.DeleteProduct(as(tt.actor), tt.id); codeOf(err) != tt.want {
					t.Errorf("%s: DeleteProduct code = %q (%v), want %q", tt.name, codeOf(err), err, tt.want)
				}
			}
			if _, err := c.db.FindProductByID(ctx, p.ID); err != nil {
				t.Fatalf("product after refused deletes: %v", err)
			}
			// With a review, removal archives: the product's page, its
			// review, reply and vote stay; it leaves search.
			archived, err := c.db.DeleteProduct(as(c.producer), p.ID)
			if err != nil || !archived {
				t.Fatalf("DeleteProduct = %v, %v; want archived", archived, err)
			}
			got, err := c.db.FindProductByID(ctx, p.ID)
			if err != nil || got.ArchivedAt == nil {
				t.Errorf("FindProductByID after archive = %+v, %v; want it, archived", got, err)
			}
			for table, want := range map[string]int{"reviews": 1, "review_replies": 1, "review_votes": 1} {
				if got := mustCount(t, c.db, table); got != want {
					t.Errorf("%s rows after archive = %d, want %d", table, got, want)
				}
			}
			if ids := searchIDs(t, c.db, "quail"); len(ids) != 0 {
				t.Errorf("search after archive = %v, want none", ids)
			}
			if _, err := c.db.DeleteProduct(as(c.producer), p.ID); codeOf(err) != fpr.CodeNotFound {
				t.Errorf("DeleteProduct of an archived product = %v, want not_found", err)
			}
		})
	})
}
