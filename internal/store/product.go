package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/fpr-team/fpr"
)

// productSelect reads a product with its farm's name and rating summary.
const productSelect = `SELECT p.id, p.farm_id, f.name, p.name, p.slug, p.category, p.description, p.unit, p.created_at,
	p.archived_at, p.rating_count, p.rating_sum, p.rating_1, p.rating_2, p.rating_3, p.rating_4, p.rating_5, p.rating_score, p.stamp`

const productFrom = ` FROM products p JOIN farms f ON f.id = p.farm_id`

// scanProduct scans productSelect's columns, then extra destinations.
func scanProduct(row interface{ Scan(...any) error }, score *float64, extra ...any) (*fpr.Product, error) {
	var p fpr.Product
	var created, archived int64
	h := &p.Rating.Histogram
	dest := append([]any{&p.ID, &p.FarmID, &p.FarmName, &p.Name, &p.Slug, &p.Category, &p.Description, &p.Unit, &created,
		&archived, &p.Rating.Count, &p.Rating.Sum, &h[0], &h[1], &h[2], &h[3], &h[4], score, &p.Stamp}, extra...)
	if err := row.Scan(dest...); err != nil {
		return nil, err
	}
	p.CreatedAt = fromMicros(created)
	if archived != 0 {
		t := fromMicros(archived)
		p.ArchivedAt = &t
	}
	return &p, nil
}

// FindProductByID returns a product with its farm name and rating summary,
// its aspect summaries and its photo, or not_found. An archived product is
// found (its page stays).
//
// It is one statement (productDetailSQL) on the read pool, outside any
// transaction: one statement reads one snapshot, so the aspect summaries
// agree with the rating summary as they did when three queries shared a
// read transaction, without its BEGIN and COMMIT. It is the most read
// page of the site.
func (db *DB) FindProductByID(ctx context.Context, id string) (*fpr.Product, error) {
	rows, err := db.readRows(ctx, productDetailSQL, id)
	if err != nil {
		return nil, db.dialect.translate(fmt.Errorf("find product: %w", err))
	}
	defer rows.Close()
	var p *fpr.Product
	for rows.Next() {
		var (
			score      float64
			aspect     sql.NullString
			aCount     sql.NullInt64
			aSum       sql.NullInt64
			photoID    sql.NullString
			photoType  sql.NullString
			photoW     sql.NullInt64
			photoH     sql.NullInt64
			photoAt    sql.NullInt64
			rowProduct *fpr.Product
		)
		rowProduct, err = scanProduct(rows, &score, &aspect, &aCount, &aSum, &photoID, &photoType, &photoW, &photoH, &photoAt)
		if err != nil {
			return nil, db.dialect.translate(fmt.Errorf("find product: %w", err))
		}
		if p == nil {
			p = rowProduct
			if photoID.Valid {
				p.Photo = &fpr.Photo{ID: photoID.String, ContentType: photoType.String, Width: int(photoW.Int64),
					Height: int(photoH.Int64), CreatedAt: fromMicros(photoAt.Int64)}
			}
		}
		if aspect.Valid {
			if p.Aspects == nil {
				p.Aspects = map[fpr.Aspect]fpr.AspectRating{}
			}
			p.Aspects[fpr.Aspect(aspect.String)] = fpr.AspectRating{Count: int(aCount.Int64), Sum: int(aSum.Int64)}
		}
	}
	if err := rows.Err(); err != nil {
		return nil, db.dialect.translate(fmt.Errorf("find product: %w", err))
	}
	if p == nil {
		return nil, fmt.Errorf("find product: %w", notFound("product"))
	}
	return p, nil
}

// stampSQL is how a dialect reads a product's stamp for a kept answer:
// alone (ProductStamp) and with the page kept at it (KeptPage). hint
// follows the products table in both (newStampSQL).
type stampSQL struct {
	product, keptPage string
}

// newStampSQL builds a dialect's stampSQL, hint naming the index that
// holds the stamp (sqliteStamps) or "".
func newStampSQL(hint string) stampSQL {
	return stampSQL{
		product: `SELECT stamp FROM products` + hint + ` WHERE id = $1`,
		keptPage: `SELECT p.stamp, k.body FROM products p` + hint + `
		LEFT JOIN kept_pages k ON k.product_id = p.id AND k.variant = $2 AND k.release = $3 AND k.stamp = p.stamp
		WHERE p.id = $1`,
	}
}

// ProductStamp returns product id's stamp (fpr.Product.Stamp), or
// not_found: one index search on the read pool (stampSQL).
func (db *DB) ProductStamp(ctx context.Context, id string) (int64, error) {
	var stamp int64
	if err := db.readRow(ctx, db.dialect.stampSQL().product, id).Scan(&stamp); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return 0, fmt.Errorf("product stamp: %w", notFound("product"))
		}
		return 0, db.dialect.translate(fmt.Errorf("product stamp: %w", err))
	}
	return stamp, nil
}

// KeptPage returns product id's stamp and the answer kept under variant
// by release at that stamp, appended to dst[:0], or a nil body: one
// primary key read of the product and one of its kept page, in one
// statement, on the read pool. The body is read without a copy of its
// own (sql.RawBytes), so that a caller reusing dst allocates only what
// the driver does.
func (db *DB) KeptPage(ctx context.Context, id, variant, release string, dst []byte) (int64, []byte, error) {
	rows, err := db.readRows(ctx, db.dialect.stampSQL().keptPage, id, variant, release)
	if err != nil {
		return 0, nil, db.dialect.translate(fmt.Errorf("kept page: %w", err))
	}
	defer func() { _ = rows.Close() }()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return 0, nil, db.dialect.translate(fmt.Errorf("kept page: %w", err))
		}
		return 0, nil, fmt.Errorf("kept page: %w", notFound("product"))
	}
	var (
		stamp int64
		raw   sql.RawBytes
	)
	if err := rows.Scan(&stamp, &raw); err != nil {
		return 0, nil, db.dialect.translate(fmt.Errorf("kept page: %w", err))
	}
	var body []byte
	if raw != nil {
		body = append(dst[:0], raw...)
	}
	if err := rows.Close(); err != nil {
		return 0, nil, db.dialect.translate(fmt.Errorf("kept page: %w", err))
	}
	return stamp, body, nil
}

// keepPagesPerOp bounds the pages one write of KeepPages carries (about
// 10 KB each), so that a batch of them holds up the reviews sharing its
// group commit no longer than a few reviews would.
const keepPagesPerOp = 16

// KeepPages stores pages for KeptPage, replacing what was kept under the
// same product and variant. A page is stored only while its product's
// stamp is still the one it was made at: the trigger kept_pages_stale
// deletes a product's pages when its stamp moves, and a page made before
// that move must not come back after it (it may show a review since
// removed). Pages of products deleted or changed since are skipped. Each
// write takes keepPagesPerOp pages at most, locking their products in ID
// order on PostgreSQL until it commits, so a change cannot commit between
// the check and the write.
func (db *DB) KeepPages(ctx context.Context, pages []fpr.KeptPage) error {
	pages = slices.Clone(pages)
	slices.SortStableFunc(pages, func(a, b fpr.KeptPage) int { return strings.Compare(a.ProductID, b.ProductID) })
	for len(pages) > 0 {
		n := min(len(pages), keepPagesPerOp)
		chunk := pages[:n]
		pages = pages[n:]
		err := db.inTx(ctx, true, func(tx *Tx) error {
			if db.dialect.name() == "postgres" {
				return keepPagesPostgres(ctx, tx, chunk)
			}
			for i := range chunk {
				p := &chunk[i]
				var stamp int64
				err := tx.QueryRowContext(ctx, `SELECT stamp FROM products WHERE id = $1`+db.dialect.forUpdate(), p.ProductID).Scan(&stamp)
				if errors.Is(err, sql.ErrNoRows) || err == nil && stamp != p.Stamp {
					continue
				}
				if err != nil {
					return err
				}
				if _, err := tx.ExecContext(ctx, `INSERT INTO kept_pages (product_id, variant, release, stamp, body)
					VALUES ($1, $2, $3, $4, $5)
					ON CONFLICT (product_id, variant) DO UPDATE
					SET release = excluded.release, stamp = excluded.stamp, body = excluded.body`,
					p.ProductID, p.Variant, p.Release, p.Stamp, p.Body); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("keep pages: %w", err)
		}
	}
	return nil
}

// keepPagesPostgresSQL stores pages whose product's stamp is still the
// one they were made at, as KeepPages does page by page, in one statement:
// it locks the products in ID order (FOR UPDATE, which re-reads a row a
// concurrent change committed), and inserts only the pages whose stamp
// matches. The ID columns are the table's "C" collation.
const keepPagesPostgresSQL = `WITH pages AS (
		SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::bytea[])
			AS v(product_id, variant, release, stamp, body)
	), locked AS (
		SELECT p.id, p.stamp FROM products p WHERE p.id = ANY($1::text[]) ORDER BY p.id FOR UPDATE
	)
	INSERT INTO kept_pages (product_id, variant, release, stamp, body)
	SELECT v.product_id, v.variant, v.release, v.stamp, v.body
	FROM pages v JOIN locked l ON l.id = v.product_id COLLATE "C" AND l.stamp = v.stamp
	ON CONFLICT (product_id, variant) DO UPDATE
	SET release = excluded.release, stamp = excluded.stamp, body = excluded.body`

// keepPagesPostgres is KeepPages's write of pages (sorted by product) on
// PostgreSQL: one round trip where the page by page loop took two a page,
// each waiting for the server. In the first 5 s of the bench's reads of
// 2,000 products' first pages, the keeper stored 467 and 880 pages that
// way (two runs), dropping 5,236 and 4,816; this way, 1,699, dropping
// 2,755 (issue 14, stop 24).
//
// Of two pages of the same product and variant, the later wins, as in
// the loop: only it is sent (ON CONFLICT cannot change one row twice in
// one statement).
func keepPagesPostgres(ctx context.Context, tx *Tx, pages []fpr.KeptPage) error {
	last := make(map[[2]string]int, len(pages))
	for i, p := range pages {
		last[[2]string{p.ProductID, p.Variant}] = i
	}
	var (
		ids, variants, releases = make([]string, 0, len(pages)), make([]string, 0, len(pages)), make([]string, 0, len(pages))
		stamps                  = make([]int64, 0, len(pages))
		bodies                  = make([][]byte, 0, len(pages))
	)
	for i, p := range pages {
		if last[[2]string{p.ProductID, p.Variant}] != i {
			continue
		}
		ids, variants, releases = append(ids, p.ProductID), append(variants, p.Variant), append(releases, p.Release)
		stamps, bodies = append(stamps, p.Stamp), append(bodies, p.Body)
	}
	_, err := tx.ExecContext(ctx, keepPagesPostgresSQL, ids, variants, releases, stamps, bodies)
	return err
}

// productDetailSQL reads a product (productSelect), one row per aspect
// with a summary (at most fpr.MaxAspects; one row with NULL aspect
// columns when there is none), and its photo, the newest (as
// fillOwnerPhotos sets it), on each row.
const productDetailSQL = productSelect + `,
	pa.aspect, pa.count, pa.sum,
	ph.id, ph.content_type, ph.width, ph.height, ph.created_at` + productFrom + `
	LEFT JOIN product_aspects pa ON pa.product_id = p.id AND pa.count > 0
	LEFT JOIN photos ph ON ph.id = (SELECT MAX(id) FROM photos WHERE product_id = p.id)
	WHERE p.id = $1`

// fillProducts reads the aspect summaries and photos of products.
func (tx *Tx) fillProducts(ctx context.Context, products []*fpr.Product) error {
	if err := tx.fillProductAspects(ctx, products...); err != nil {
		return err
	}
	byID := make(map[string]*fpr.Product, len(products))
	ids := make([]string, 0, len(products))
	for _, p := range products {
		byID[p.ID] = p
		ids = append(ids, p.ID)
	}
	return tx.fillOwnerPhotos(ctx, "product_id", ids, func(id string, ph *fpr.Photo) { byID[id].Photo = ph })
}

// maxSearchTerms bounds the words of a search query, so a pasted essay
// does not become a huge index query (both dialects).
const maxSearchTerms = 16

// searchTerms splits a user's query into plain words: runs of letters,
// digits and combining marks. Everything else (quotes, operators, column
// filters, parentheses, stars) only separates words, so user input can
// never be read as query syntax. An empty result means "no text filter".
func searchTerms(q string) []string {
	terms := strings.FieldsFunc(q, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.Is(unicode.Mn, r)
	})
	if len(terms) > maxSearchTerms {
		terms = terms[:maxSearchTerms]
	}
	return terms
}

// productOrder is how one sort orders and pages a product list.
type productOrder struct {
	// orderBy is the ORDER BY list; rank is the dialect's search rank
	// expression (relevance only).
	orderBy func(rank string) string
	// after is the keyset condition for rows after the cursor; key and id
	// are the placeholders of the cursor's values.
	after func(rank, key, id string) string
	// key returns the cursor's key value (Int, Num or Str) for arg.
	key func(c *cursor) any
	// set stores the last row's key in the next cursor.
	set func(c *cursor, p *fpr.Product, score, rank float64)
}

var productOrders = map[fpr.ProductSort]productOrder{
	fpr.ProductSortNewest: {
		orderBy: func(string) string { return `p.id DESC` },
		after:   func(_, _, id string) string { return `p.id < ` + id },
		key:     nil,
		set:     func(*cursor, *fpr.Product, float64, float64) {},
	},
	fpr.ProductSortTopRated: {
		orderBy: func(string) string { return `p.rating_score DESC, p.id DESC` },
		after: func(_, key, id string) string {
			return `(p.rating_score, p.id) < (CAST(` + key + ` AS DOUBLE PRECISION), ` + id + `)`
		},
		key: func(c *cursor) any { return c.Num },
		set: func(c *cursor, _ *fpr.Product, score, _ float64) { c.Num = score },
	},
	fpr.ProductSortMostReviewed: {
		orderBy: func(string) string { return `p.rating_count DESC, p.id DESC` },
		after:   func(_, key, id string) string { return `(p.rating_count, p.id) < (` + key + `, ` + id + `)` },
		key:     func(c *cursor) any { return c.Int },
		set:     func(c *cursor, p *fpr.Product, _, _ float64) { c.Int = int64(p.Rating.Count) },
	},
	fpr.ProductSortName: {
		orderBy: func(string) string { return `p.name, p.id` },
		after:   func(_, key, id string) string { return `(p.name, p.id) > (` + key + `, ` + id + `)` },
		key:     func(c *cursor) any { return c.Str },
		set:     func(c *cursor, p *fpr.Product, _, _ float64) { c.Str = p.Name },
	},
	fpr.ProductSortRelevance: {
		orderBy: func(rank string) string { return rank + `, p.id` },
		after: func(rank, key, id string) string {
			return `(` + rank + `, p.id) > (CAST(` + key + ` AS DOUBLE PRECISION), ` + id + `)`
		},
		key: func(c *cursor) any { return c.Num },
		set: func(c *cursor, _ *fpr.Product, _, rank float64) { c.Num = rank },
	},
}

// FindProducts lists products matching f, keyset-paginated in every sort:
// newest (default), top_rated (Bayesian average), most_reviewed, name, and
// relevance (the default when f.Query has words). validation_failed, with
// every bad field, for a bad sort, category, min_rating, limit or cursor.
func (db *DB) FindProducts(ctx context.Context, f fpr.ProductFilter) ([]*fpr.Product, string, error) {
	if err := f.Validate(); err != nil {
		return nil, "", err
	}
	var terms []string
	if f.Query != nil {
		terms = searchTerms(*f.Query)
	}
	sort := f.Sort
	if sort == "" || (sort == fpr.ProductSortRelevance && len(terms) == 0) {
		sort = fpr.ProductSortNewest
		if len(terms) > 0 {
			sort = fpr.ProductSortRelevance
		}
	}
	order := productOrders[sort] // every valid sort has one
	after, err := decodeCursor(f.Cursor, string(sort))
	if err != nil {
		return nil, "", err
	}

	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	// Archived products leave every list and search.
	sel, from, where := productSelect, productFrom, ` WHERE p.archived_at = 0`
	rank := ""
	if len(terms) > 0 {
		join, cond, r, err := db.dialect.productSearch(terms, arg)
		if err != nil {
			return nil, "", db.dialect.translate(fmt.Errorf("find products: %w", err))
		}
		if join != "" {
			from += ` ` + join
		}
		where += ` AND ` + cond
		rank = r
	}
	if sort == fpr.ProductSortRelevance {
		sel += `, ` + rank
	}
	if f.Category != nil {
		where += ` AND p.category = ` + arg(string(*f.Category))
	}
	if f.FarmID != nil {
		where += ` AND p.farm_id = ` + arg(*f.FarmID)
	}
	if f.MinRating != nil {
		where += ` AND p.rating_count > 0 AND p.rating_sum >= CAST(` + arg(*f.MinRating) + ` AS DOUBLE PRECISION) * p.rating_count`
	}
	if after != nil {
		var key string
		if order.key != nil {
			key = arg(order.key(after))
		}
		where += ` AND ` + order.after(rank, key, arg(after.ID))
	}
	q := sel + from + where + ` ORDER BY ` + order.orderBy(rank) + limitClause(f.Limit+1)
	var (
		products      []*fpr.Product
		lastScore, lr float64
	)
	// One read transaction: the page, then its aspect summaries and
	// photos, from one snapshot.
	err = db.inTx(ctx, false, func(tx *Tx) error {
		rows, err := tx.QueryContext(ctx, q, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var score, r float64
			var extra []any
			if sort == fpr.ProductSortRelevance {
				extra = append(extra, &r)
			}
			p, err := scanProduct(rows, &score, extra...)
			if err != nil {
				return err
			}
			if len(products) < f.Limit {
				lastScore, lr = score, r
			}
			products = append(products, p)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		rows.Close()
		return tx.fillProducts(ctx, products)
	})
	if err != nil {
		return nil, "", fmt.Errorf("find products: %w", err)
	}
	next := ""
	if len(products) > f.Limit {
		products = products[:f.Limit]
		last := products[len(products)-1]
		c := cursor{Sort: string(sort), ID: last.ID}
		order.set(&c, last, lastScore, lr)
		next = c.encode()
	}
	return products, next, nil
}

// manageableFarm reads the farm of a product being created or changed and
// checks that the acting user may manage it.
func (tx *Tx) manageableFarm(ctx context.Context, farmID string) (*fpr.Farm, error) {
	farm, err := scanFarm(tx.QueryRowContext(ctx, farmSelect+` WHERE f.id = $1`, farmID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("farm")
	}
	if err != nil {
		return nil, err
	}
	if !fpr.CanManageFarm(fpr.UserFromContext(ctx), farm) {
		return nil, fpr.Errorf(fpr.CodeForbidden, "Only the farm's producer or an admin may manage its products.")
	}
	return farm, nil
}

// CreateProduct adds p to farm p.FarmID and indexes it for search. The
// farm's owner or an admin. unauthenticated, validation_failed (an empty
// farm_id among them), not_found (farm), forbidden.
func (db *DB) CreateProduct(ctx context.Context, p *fpr.Product) error {
	if _, err := fpr.RequireUser(ctx); err != nil {
		return err
	}
	if p.FarmID == "" {
		err := p.Validate()
		fe := fpr.FieldErrors{"farm_id": "Choose a farm."}
		for k, v := range fpr.ErrorFields(err) {
			fe.Add(k, v)
		}
		return fe.Err()
	}
	err := db.inTx(ctx, true, func(tx *Tx) error {
		farm, err := tx.manageableFarm(ctx, p.FarmID)
		if err != nil {
			return err
		}
		if err := p.Validate(); err != nil {
			return err
		}
		p.ID = db.NewID(tx.now)
		p.FarmName = farm.Name
		p.CreatedAt = fromMicros(micros(tx.now)) // as stored
		p.Rating = fpr.Rating{}
		p.ArchivedAt = nil
		if _, err := tx.ExecContext(ctx, `UPDATE farms SET product_count = product_count + 1 WHERE id = $1`, p.FarmID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO products (id, farm_id, name, slug, category, description, unit, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
			p.ID, p.FarmID, p.Name, p.Slug, string(p.Category), p.Description, p.Unit, micros(tx.now)); err != nil {
			return err
		}
		if err := tx.auditStaff(ctx, farm.OwnerID, fpr.AuditProductCreate, fpr.AuditTarget("product", p.ID), map[string]string{"farm_id": farm.ID}); err != nil {
			return err
		}
		return db.dialect.indexProducts(ctx, tx, "p.id = $1", p.ID)
	})
	if err != nil {
		return fmt.Errorf("create product: %w", err)
	}
	return nil
}

// UpdateProduct changes a product's name (and slug), category, description
// or unit, and its search entry. The farm's owner or an admin.
// unauthenticated, not_found, forbidden, validation_failed.
func (db *DB) UpdateProduct(ctx context.Context, id string, upd fpr.ProductUpdate) (*fpr.Product, error) {
	if _, err := fpr.RequireUser(ctx); err != nil {
		return nil, err
	}
	var p *fpr.Product
	err := db.inTx(ctx, true, func(tx *Tx) error {
		var score float64
		var err error
		p, err = scanProduct(tx.QueryRowContext(ctx, productSelect+productFrom+` WHERE p.id = $1`, id), &score)
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("product")
		}
		if err != nil {
			return err
		}
		farm, err := tx.manageableFarm(ctx, p.FarmID)
		if err != nil {
			return err
		}
		if upd.Name != nil {
			p.Name = *upd.Name
		}
		if upd.Category != nil {
			p.Category = *upd.Category
		}
		if upd.Description != nil {
			p.Description = *upd.Description
		}
		if upd.Unit != nil {
			p.Unit = *upd.Unit
		}
		if err := p.Validate(); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE products SET name = $1, slug = $2, category = $3, description = $4, unit = $5 WHERE id = $6`,
			p.Name, p.Slug, string(p.Category), p.Description, p.Unit, p.ID); err != nil {
			return err
		}
		if err := tx.auditStaff(ctx, farm.OwnerID, fpr.AuditProductUpdate, fpr.AuditTarget("product", p.ID), map[string]string{"farm_id": farm.ID}); err != nil {
			return err
		}
		if upd.Name != nil || upd.Description != nil {
			if err := db.dialect.indexProducts(ctx, tx, "p.id = $1", p.ID); err != nil {
				return err
			}
		}
		// The answer is the whole product, its aspects and photo too.
		return tx.fillProducts(ctx, []*fpr.Product{p})
	})
	if err != nil {
		return nil, fmt.Errorf("update product: %w", err)
	}
	return p, nil
}

// DeleteProduct removes a product. One without reviews is deleted with its
// search entry; one with reviews (in any status) is archived
// (fpr.ArchiveInsteadOfDelete): it leaves lists and search, and its page,
// reviews and its farm's rating stay. Either way the farm's product count
// drops, in the same transaction. The farm's owner or an admin.
// unauthenticated, not_found (also for an archived product), forbidden.
//
// The farm's row is locked first, as CreateReview locks it before adding
// a review, so a review cannot slip in between the count of reviews and
// the delete (whose cascade would lose it) on PostgreSQL.
func (db *DB) DeleteProduct(ctx context.Context, id string) (bool, error) {
	if _, err := fpr.RequireUser(ctx); err != nil {
		return false, err
	}
	archived := false
	err := db.inTx(ctx, true, func(tx *Tx) error {
		farm, err := tx.lockFarmOfProduct(ctx, id)
		if err != nil {
			return err
		}
		if !fpr.CanManageFarm(fpr.UserFromContext(ctx), farm) {
			return fpr.Errorf(fpr.CodeForbidden, "Only the farm's producer or an admin may manage its products.")
		}
		var archivedAt int64
		var reviews int
		if err := tx.QueryRowContext(ctx, `SELECT archived_at, (SELECT COUNT(*) FROM reviews r WHERE r.product_id = p.id)
			FROM products p WHERE p.id = $1`, id).Scan(&archivedAt, &reviews); err != nil {
			return err
		}
		if archivedAt != 0 {
			return notFound("product")
		}
		if err := tx.auditStaff(ctx, farm.OwnerID, fpr.AuditProductDelete, fpr.AuditTarget("product", id), map[string]string{"farm_id": farm.ID}); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE farms SET product_count = product_count - 1 WHERE id = $1`, farm.ID); err != nil {
			return err
		}
		if err := db.dialect.unindexProducts(ctx, tx, "p.id = $1", id); err != nil {
			return err
		}
		if fpr.ArchiveInsteadOfDelete(reviews) {
			archived = true
			_, err = tx.ExecContext(ctx, `UPDATE products SET archived_at = $1 WHERE id = $2`, micros(tx.now), id)
			return err
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM products WHERE id = $1`, id)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("delete product: %w", err)
	}
	return archived, nil
}
