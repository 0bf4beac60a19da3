package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"

	"github.com/fpr-team/fpr"
)

// farmColumns are the columns a farm is written with; farmSelect reads
// them with the farm's rating summary and product count, from "farms f".
const farmColumns = `id, owner_id, name, slug, region, description, created_at, shop_address, shop_hours, markets, website`

const farmSelect = `SELECT f.id, f.owner_id, f.name, f.slug, f.region, f.description, f.created_at,
	f.shop_address, f.shop_hours, f.markets, f.website, f.product_count,
	f.rating_count, f.rating_sum, f.rating_1, f.rating_2, f.rating_3, f.rating_4, f.rating_5, f.rating_score FROM farms f`

// scanFarm scans farmSelect's columns.
func scanFarm(row interface{ Scan(...any) error }) (*fpr.Farm, error) {
	var f fpr.Farm
	var created int64
	var score float64
	h := &f.Rating.Histogram
	if err := row.Scan(&f.ID, &f.OwnerID, &f.Name, &f.Slug, &f.Region, &f.Description, &created,
		&f.ShopAddress, &f.ShopHours, &f.Markets, &f.Website, &f.ProductCount,
		&f.Rating.Count, &f.Rating.Sum, &h[0], &h[1], &h[2], &h[3], &h[4], &score); err != nil {
		return nil, err
	}
	f.CreatedAt = fromMicros(created)
	return &f, nil
}

// FindFarmByID returns a farm with its rating summary (one row: O(1)), or
// not_found.
func (db *DB) FindFarmByID(ctx context.Context, id string) (*fpr.Farm, error) {
	f, err := scanFarm(db.readRow(ctx, farmSelect+` WHERE f.id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("farm")
	}
	if err != nil {
		return nil, db.dialect.translate(fmt.Errorf("find farm: %w", err))
	}
	if err := db.fillFarmPhotos(ctx, f); err != nil {
		return nil, err
	}
	return f, nil
}

// farmOrder is how one farm sort orders and pages (see productOrder).
type farmOrder struct {
	orderBy string
	after   func(key, id string) string
	key     func(c *cursor) any
	set     func(c *cursor, f *fpr.Farm)
}

var farmOrders = map[fpr.FarmSort]farmOrder{
	fpr.FarmSortName: {
		orderBy: `f.name, f.id`,
		after:   func(key, id string) string { return `(f.name, f.id) > (` + key + `, ` + id + `)` },
		key:     func(c *cursor) any { return c.Str },
		set:     func(c *cursor, f *fpr.Farm) { c.Str = f.Name },
	},
	fpr.FarmSortTopRated: {
		orderBy: `f.rating_score DESC, f.id DESC`,
		after: func(key, id string) string {
			return `(f.rating_score, f.id) < (CAST(` + key + ` AS DOUBLE PRECISION), ` + id + `)`
		},
		key: func(c *cursor) any { return c.Num },
		set: func(c *cursor, f *fpr.Farm) { c.Num = f.Rating.BayesianAverage() },
	},
	fpr.FarmSortMostReviewed: {
		orderBy: `f.rating_count DESC, f.id DESC`,
		after:   func(key, id string) string { return `(f.rating_count, f.id) < (` + key + `, ` + id + `)` },
		key:     func(c *cursor) any { return c.Int },
		set:     func(c *cursor, f *fpr.Farm) { c.Int = int64(f.Rating.Count) },
	},
}

// FindFarms lists farms, keyset-paginated in each sort: name (default),
// top_rated (the Bayesian average of the farm's rating, as products'),
// most_reviewed; filtered on owner, exact region and full text over name,
// region and description (every word, the last as a prefix, stemmed).
// validation_failed for a bad sort, limit or cursor.
func (db *DB) FindFarms(ctx context.Context, f fpr.FarmFilter) ([]*fpr.Farm, string, error) {
	if err := f.Validate(); err != nil {
		return nil, "", err
	}
	order := farmOrders[f.Sort] // every valid sort has one
	after, err := decodeCursor(f.Cursor, "farms:"+string(f.Sort))
	if err != nil {
		return nil, "", err
	}
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	q := farmSelect
	where := ` WHERE 1=1`
	if f.Query != nil {
		if terms := searchTerms(*f.Query); len(terms) > 0 {
			join, cond, _, err := db.dialect.farmSearch(terms, arg)
			if err != nil {
				return nil, "", fmt.Errorf("find farms: %w", err)
			}
			if join != "" {
				q += ` ` + join
			}
			where += ` AND ` + cond
		}
	}
	if f.OwnerID != nil {
		where += ` AND f.owner_id = ` + arg(*f.OwnerID)
	}
	if f.Region != nil {
		where += ` AND f.region = ` + arg(*f.Region)
	}
	if after != nil {
		where += ` AND ` + order.after(arg(order.key(after)), arg(after.ID))
	}
	q += where + ` ORDER BY ` + order.orderBy + limitClause(f.Limit+1)
	rows, err := db.readRows(ctx, q, args...)
	if err != nil {
		return nil, "", db.dialect.translate(fmt.Errorf("find farms: %w", err))
	}
	defer rows.Close()
	var farms []*fpr.Farm
	for rows.Next() {
		farm, err := scanFarm(rows)
		if err != nil {
			return nil, "", db.dialect.translate(fmt.Errorf("find farms: %w", err))
		}
		farms = append(farms, farm)
	}
	if err := rows.Err(); err != nil {
		return nil, "", db.dialect.translate(fmt.Errorf("find farms: %w", err))
	}
	next := ""
	if len(farms) > f.Limit {
		farms = farms[:f.Limit]
		c := cursor{Sort: "farms:" + string(f.Sort), ID: farms[len(farms)-1].ID}
		order.set(&c, farms[len(farms)-1])
		next = c.encode()
	}
	if err := db.fillFarmPhotos(ctx, farms...); err != nil {
		return nil, "", err
	}
	return farms, next, nil
}

// CreateFarm creates f. A producer creates their own farm (f.OwnerID is
// ignored); an admin may set f.OwnerID to a producer's ID, or leave it empty
// to own the farm. The slug comes from the name; a taken slug gets -2, -3…
// unauthenticated, forbidden, validation_failed.
func (db *DB) CreateFarm(ctx context.Context, f *fpr.Farm) error {
	actor, err := fpr.RequireUser(ctx)
	if err != nil {
		return err
	}
	if !fpr.CanCreateFarm(actor) {
		return fpr.Errorf(fpr.CodeForbidden, "Only producers and admins may create farms.")
	}
	f.OwnerID = fpr.FarmOwnerID(actor, f.OwnerID)
	if err := f.Validate(); err != nil {
		return err
	}
	err = db.inTx(ctx, true, func(tx *Tx) error {
		if f.OwnerID != actor.ID {
			var role fpr.Role
			err := tx.QueryRowContext(ctx, `SELECT role FROM users WHERE id = $1`, f.OwnerID).Scan(&role)
			if errors.Is(err, sql.ErrNoRows) || (err == nil && !fpr.CanOwnFarm(role)) {
				return &fpr.Error{Code: fpr.CodeValidationFailed, Message: "Some fields need another look.",
					Fields: map[string]string{"owner_id": "The owner must be an existing producer."}}
			}
			if err != nil {
				return err
			}
		}
		return db.insertFarm(ctx, tx, f)
	})
	if err != nil {
		return fmt.Errorf("create farm: %w", err)
	}
	return nil
}

// UpdateFarm changes a farm's name (and so its slug), region,
// description or where-to-buy fields. Its owner or an admin only. A new
// name or region is written to the search index of the farm's products in
// the same transaction.
// unauthenticated, forbidden, not_found, validation_failed.
func (db *DB) UpdateFarm(ctx context.Context, id string, upd fpr.FarmUpdate) (*fpr.Farm, error) {
	actor, err := fpr.RequireUser(ctx)
	if err != nil {
		return nil, err
	}
	var farm *fpr.Farm
	err = db.inTx(ctx, true, func(tx *Tx) error {
		var err error
		farm, err = scanFarm(tx.QueryRowContext(ctx, farmSelect+` WHERE f.id = $1`, id))
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("farm")
		}
		if err != nil {
			return err
		}
		if !fpr.CanManageFarm(actor, farm) {
			return fpr.Errorf(fpr.CodeForbidden, "Only the farm's producer or an admin may change it.")
		}
		oldName, oldSlug, oldRegion := farm.Name, farm.Slug, farm.Region
		for _, f := range []struct {
			to   *string
			from *string
		}{{&farm.Name, upd.Name}, {&farm.Region, upd.Region}, {&farm.Description, upd.Description},
			{&farm.ShopAddress, upd.ShopAddress}, {&farm.ShopHours, upd.ShopHours},
			{&farm.Markets, upd.Markets}, {&farm.Website, upd.Website}} {
			if f.from != nil {
				*f.to = *f.from
			}
		}
		if err := farm.Validate(); err != nil {
			return err
		}
		if farm.Name == oldName {
			farm.Slug = oldSlug // the slug changes only with the name
		} else if farm.Slug, err = tx.freeFarmSlug(ctx, farm.Slug, farm.ID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE farms SET name = $1, slug = $2, region = $3, description = $4,
			shop_address = $5, shop_hours = $6, markets = $7, website = $8 WHERE id = $9`,
			farm.Name, farm.Slug, farm.Region, farm.Description,
			farm.ShopAddress, farm.ShopHours, farm.Markets, farm.Website, farm.ID); err != nil {
			return err
		}
		if err := db.dialect.indexFarms(ctx, tx, "f.id = $1", farm.ID); err != nil {
			return err
		}
		if err := tx.auditStaff(ctx, farm.OwnerID, fpr.AuditFarmUpdate, fpr.AuditTarget("farm", farm.ID), map[string]string{"owner_id": farm.OwnerID}); err != nil {
			return err
		}
		if farm.Name != oldName || farm.Region != oldRegion {
			if err := db.dialect.indexProducts(ctx, tx, "p.farm_id = $1", farm.ID); err != nil {
				return err
			}
		}
		// The answer is the whole farm, its photo too.
		return tx.fillOwnerPhotos(ctx, "farm_id", []string{farm.ID}, func(_ string, p *fpr.Photo) { farm.Photo = p })
	})
	if err != nil {
		return nil, fmt.Errorf("update farm: %w", err)
	}
	return farm, nil
}

// FindRegions lists the distinct regions of farms, alphabetically, at
// most fpr.MaxRegions.
func (db *DB) FindRegions(ctx context.Context) ([]string, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT DISTINCT region FROM farms ORDER BY region LIMIT $1`, fpr.MaxRegions)
	if err != nil {
		return nil, fmt.Errorf("find regions: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var r string
		if err := rows.Scan(&r); err != nil {
			return nil, fmt.Errorf("find regions: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("find regions: %w", err)
	}
	return out, nil
}

// insertFarm writes a validated farm f (its slug made free, its ID and
// time set) and its search entry.
func (db *DB) insertFarm(ctx context.Context, tx *Tx, f *fpr.Farm) error {
	slug, err := tx.freeFarmSlug(ctx, f.Slug, "")
	if err != nil {
		return err
	}
	f.ID = db.NewID(tx.now)
	f.Slug = slug
	f.CreatedAt = fromMicros(micros(tx.now)) // as stored
	f.ProductCount, f.Rating = 0, fpr.Rating{}
	if _, err := tx.ExecContext(ctx, `INSERT INTO farms (`+farmColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		f.ID, f.OwnerID, f.Name, f.Slug, f.Region, f.Description, micros(tx.now),
		f.ShopAddress, f.ShopHours, f.Markets, f.Website); err != nil {
		return err
	}
	return db.dialect.indexFarms(ctx, tx, "f.id = $1", f.ID)
}

// freeFarmSlug returns slug when no farm other than exceptID has it, else
// the first free slug-2, slug-3… The unique index still decides between
// two concurrent writers on PostgreSQL (the loser gets conflict).
func (tx *Tx) freeFarmSlug(ctx context.Context, slug, exceptID string) (string, error) {
	rows, err := tx.QueryContext(ctx, `SELECT slug FROM farms WHERE (slug = $1 OR slug LIKE $2 ESCAPE '\') AND id <> $3`,
		slug, likeEscaper.Replace(slug)+"-%", exceptID)
	if err != nil {
		return "", fmt.Errorf("farm slugs: %w", err)
	}
	defer rows.Close()
	taken := map[string]bool{}
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return "", fmt.Errorf("farm slugs: %w", err)
		}
		taken[s] = true
	}
	if err := rows.Err(); err != nil {
		return "", fmt.Errorf("farm slugs: %w", err)
	}
	candidate := slug
	for n := 2; taken[candidate]; n++ {
		candidate = slug + "-" + strconv.Itoa(n)
	}
	return candidate, nil
}
