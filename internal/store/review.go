package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/fpr-team/fpr"
)

// Reviews. Every change that can move a review in or out of the product's
// rating summary (create, rating edit, delete, status change) locks the
// review row first (lockReview), reads its current state, and applies the
// summary delta with relative UPDATEs in the same transaction. On SQLite the
// one-connection write pool serializes writers anyway; on PostgreSQL the row
// locks make two concurrent changes of one review see each other's result,
// so no delta is applied twice or computed from a stale rating.

// reviewSelect reads a review with its author's name and the farm's reply.
func (tx *Tx) reviewSelect() string {
	rs := tx.db.dialect.reviewSQL()
	return `SELECT ` + rs.columns + ` FROM ` + rs.from
}

// reviewSQL is how a dialect reads whole reviews in one statement: the
// review, its author's name, the farm's reply, the count of its edits, its
// aspect scores and its photos. A page of reviews is then one query, not
// one for the reviews and one each for their scores and photos, which cost
// as much as the page itself on SQLite.
type reviewSQL struct {
	columns string // scanReview reads them in this order
	from    string // the joins the columns name
}

// newReviewSQL builds a dialect's reviewSQL. usersHint follows each alias
// of the users table, which is read for the authors' names; agg(expr,
// order) is the dialect's aggregate joining expr's values with commas in
// no order (parseAspects and parsePhotos read them back; parsePhotos
// sorts). An ORDER BY inside the aggregate would cost a temporary B-tree
// per review on SQLite, whose planner does not see that the index already
// gives the order.
func newReviewSQL(usersHint string, agg func(expr string) string) reviewSQL {
	return reviewSQL{
		columns: `r.id, r.product_id, r.author_id, u.display_name, r.rating, r.title, r.body,
	r.status, r.helpful_count, r.probe, r.created_at, r.updated_at,
	rr.body, rr.author_id, ru.display_name, rr.created_at, rr.updated_at,
	r.harvest, r.verified_purchase, (SELECT COUNT(*) FROM review_revisions rv WHERE rv.review_id = r.id),
	(SELECT ` + agg(`ra.aspect || '=' || ra.score`) + ` FROM review_aspects ra WHERE ra.review_id = r.id),
	(SELECT ` + agg(`ph.id || ' ' || ph.content_type || ' ' || ph.width || ' ' || ph.height || ' ' || ph.created_at`) +
			` FROM photos ph WHERE ph.review_id = r.id)`,
		from: `reviews r
	JOIN users u` + usersHint + ` ON u.id = r.author_id
	LEFT JOIN review_replies rr ON rr.review_id = r.id
	LEFT JOIN users ru` + usersHint + ` ON ru.id = rr.author_id`,
	}
}

// scanReview reads the reviewSQL columns of a row, then extra columns into
// extra.
func scanReview(row interface{ Scan(...any) error }, extra ...any) (*fpr.Review, error) {
	var (
		r                  fpr.Review
		created, updated   int64
		replyBody          sql.NullString
		replyAuthorID      sql.NullString
		replyAuthorName    sql.NullString
		replyCreated, rupd sql.NullInt64
		harvest            sql.NullString
		aspects, photos    sql.NullString
	)
	dest := append([]any{&r.ID, &r.ProductID, &r.Author.ID, &r.Author.DisplayName, &r.Rating, &r.Title, &r.Body,
		&r.Status, &r.HelpfulCount, &r.Probe, &created, &updated,
		&replyBody, &replyAuthorID, &replyAuthorName, &replyCreated, &rupd,
		&harvest, &r.VerifiedPurchase, &r.Revisions, &aspects, &photos}, extra...)
	if err := row.Scan(dest...); err != nil {
		return nil, err
	}
	r.Harvest = harvest.String
	r.CreatedAt = fromMicros(created)
	r.UpdatedAt = fromMicros(updated)
	if replyBody.Valid {
		r.Reply = &fpr.Reply{
			Body:      replyBody.String,
			Author:    fpr.Author{ID: replyAuthorID.String, DisplayName: replyAuthorName.String},
			CreatedAt: fromMicros(replyCreated.Int64),
			UpdatedAt: fromMicros(rupd.Int64),
		}
	}
	var err error
	if r.Aspects, err = parseAspects(aspects.String); err != nil {
		return nil, fmt.Errorf("review %s: %w", r.ID, err)
	}
	if r.Photos, err = parsePhotos(photos.String); err != nil {
		return nil, fmt.Errorf("review %s: %w", r.ID, err)
	}
	return &r, nil
}

// parseAspects reads a review's aspect scores as reviewSQL joins them:
// "aspect=score,…" (aspects are fpr.Aspect names, letters and
// underscores). Empty: nil.
func parseAspects(s string) (map[fpr.Aspect]int, error) {
	if s == "" {
		return nil, nil
	}
	out := make(map[fpr.Aspect]int, strings.Count(s, ",")+1)
	for item := range strings.SplitSeq(s, ",") {
		name, score, ok := strings.Cut(item, "=")
		n, err := strconv.Atoi(score)
		if !ok || err != nil || name == "" {
			return nil, fmt.Errorf("aspect scores %q: not name=score", s)
		}
		out[fpr.Aspect(name)] = n
	}
	return out, nil
}

// parsePhotos reads a review's photos as reviewSQL joins them, and
// returns them oldest first: "id content_type width height created_at,…" (ids are opaque
// letters and digits, content types image/…). Empty: nil.
func parsePhotos(s string) ([]*fpr.Photo, error) {
	if s == "" {
		return nil, nil
	}
	var out []*fpr.Photo
	for item := range strings.SplitSeq(s, ",") {
		f := strings.Fields(item)
		if len(f) != 5 {
			return nil, fmt.Errorf("photos %q: want 5 fields a photo", s)
		}
		w, err1 := strconv.Atoi(f[2])
		h, err2 := strconv.Atoi(f[3])
		created, err3 := strconv.ParseInt(f[4], 10, 64)
		if err := errors.Join(err1, err2, err3); err != nil {
			return nil, fmt.Errorf("photos %q: %w", s, err)
		}
		out = append(out, &fpr.Photo{ID: f[0], ContentType: f[1], Width: w, Height: h, CreatedAt: fromMicros(created)})
	}
	// Photo ids grow with time, as the photos_review index orders them.
	slices.SortFunc(out, func(a, b *fpr.Photo) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

// findReview reads one review in tx; not_found when it does not exist.
func (tx *Tx) findReview(ctx context.Context, id string) (*fpr.Review, error) {
	r, err := scanReview(tx.QueryRowContext(ctx, tx.reviewSelect()+` WHERE r.id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("review")
	}
	return r, err
}

// lockReview takes the write lock of a review's row (a no-op UPDATE: a row
// lock on PostgreSQL, nothing more than the held write lock on SQLite) and
// reads it. not_found when it does not exist.
func (tx *Tx) lockReview(ctx context.Context, id string) (*fpr.Review, error) {
	if !tx.db.dialect.rowLocks() {
		return tx.findReview(ctx, id)
	}
	res, err := tx.ExecContext(ctx, `UPDATE reviews SET status = status WHERE id = $1`, id)
	if err != nil {
		return nil, fmt.Errorf("lock review: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return nil, fmt.Errorf("lock review: %w", err)
	} else if n == 0 {
		return nil, notFound("review")
	}
	return tx.findReview(ctx, id)
}

// lockVisibleReview locks review id and checks that the acting user may
// see it: not_found otherwise, so hidden reviews do not reveal themselves.
func (tx *Tx) lockVisibleReview(ctx context.Context, id string) (*fpr.Review, error) {
	r, err := tx.lockReview(ctx, id)
	if err != nil {
		return nil, err
	}
	if !fpr.CanSeeReview(fpr.UserFromContext(ctx), r) {
		return nil, notFound("review")
	}
	return r, nil
}

// farmOfProduct reads the farm selling product productID; not_found
// (product) when there is no such product.
func (tx *Tx) farmOfProduct(ctx context.Context, productID string) (*fpr.Farm, error) {
	farm, err := scanFarm(tx.QueryRowContext(ctx, farmSelect+`
		WHERE f.id = (SELECT farm_id FROM products WHERE id = $1)`, productID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("product")
	}
	return farm, err
}

// lockFarmOfProduct takes the write lock of the row of the farm selling
// productID (a no-op UPDATE) and reads the farm. Transactions that write
// a farm and its products take the farm first (see applyRatingDelta).
// not_found (product) when there is no such product.
func (tx *Tx) lockFarmOfProduct(ctx context.Context, productID string) (*fpr.Farm, error) {
	if err := tx.lockFarmRowOfProduct(ctx, productID); err != nil {
		return nil, err
	}
	return tx.farmOfProduct(ctx, productID)
}

// lockFarmRowOfProduct takes the write lock of the row of the farm selling
// productID, where the database has row locks (a no-op UPDATE; SQLite's
// one writer needs none). not_found (product) when PostgreSQL finds no
// such product; on SQLite the caller's read of the product finds out.
func (tx *Tx) lockFarmRowOfProduct(ctx context.Context, productID string) error {
	if !tx.db.dialect.rowLocks() {
		return nil
	}
	res, err := tx.ExecContext(ctx, `UPDATE farms SET product_count = product_count
		WHERE id = (SELECT farm_id FROM products WHERE id = $1)`, productID)
	if err != nil {
		return fmt.Errorf("lock farm: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("lock farm: %w", err)
	} else if n == 0 {
		return notFound("product")
	}
	return nil
}

// setReviewStatus changes a locked review's status and moves it in or out
// of the rating summary.
func (tx *Tx) setReviewStatus(ctx context.Context, r *fpr.Review, status fpr.ReviewStatus) error {
	if r.Status == status {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `UPDATE reviews SET status = $1 WHERE id = $2`, string(status), r.ID); err != nil {
		return fmt.Errorf("set review status: %w", err)
	}
	oldC, newC := fpr.CountsInRating(r.Status, r.Probe), fpr.CountsInRating(status, r.Probe)
	if err := tx.applyRatingDelta(ctx, r.ProductID, r.Rating, r.Rating, oldC, newC); err != nil {
		return err
	}
	if oldC != newC {
		scores, err := tx.reviewAspects(ctx, r.ID)
		if err != nil {
			return err
		}
		if err := tx.applyAspectDelta(ctx, r.ProductID, scores, scores, oldC, newC); err != nil {
			return err
		}
	}
	r.Status = status
	return nil
}

// FindReviewByID returns a review the acting user may see, else not_found.
// ViewerHelpful is filled for a signed-in viewer.
func (db *DB) FindReviewByID(ctx context.Context, id string) (*fpr.Review, error) {
	var r *fpr.Review
	err := db.inTx(ctx, false, func(tx *Tx) error {
		var err error
		if r, err = tx.findReview(ctx, id); err != nil {
			return err
		}
		if !fpr.CanSeeReview(fpr.UserFromContext(ctx), r) {
			return notFound("review")
		}
		return tx.fillViewerHelpful(ctx, []*fpr.Review{r})
	})
	if err != nil {
		return nil, fmt.Errorf("find review: %w", err)
	}
	return r, nil
}

// CreateReview publishes (post-moderation) or queues (pre-moderation) a
// review by the acting user and updates the product's rating summary in the
// same transaction. The unique index on (product_id, author_id) decides a
// second review, so concurrent submissions give exactly one.
// A review may carry a harvest month (fpr.ValidateHarvest), aspect scores
// (fpr.ValidateAspects for the product's category), and a purchase code,
// redeemed in the same transaction as the insert (see redeemPurchaseCode):
// of two reviews racing for one code, one is verified and the other is
// refused. Refused codes count under fpr.LimitPurchaseCode; past its
// limits an attempt is rate_limited before it starts.
// unauthenticated, not_found (product), validation_failed, forbidden (the
// owner of the product's farm), conflict, rate_limited.
func (db *DB) CreateReview(ctx context.Context, r *fpr.Review) error {
	actor, err := fpr.RequireUser(ctx)
	if err != nil {
		return err
	}
	if err := r.Validate(); err != nil {
		return err
	}
	r.Author = fpr.Author{ID: actor.ID, DisplayName: actor.DisplayName}
	r.Probe = actor.Probe
	r.Status = fpr.ReviewStartStatus(db.Moderation, actor)
	r.HelpfulCount = 0
	r.Reply = nil
	r.VerifiedPurchase = false
	r.Revisions = 0
	r.Photos = nil
	if r.PurchaseCode != "" {
		if err := db.RateLimitReached(ctx, fpr.LimitPurchaseCode); err != nil {
			return err
		}
	}
	err = db.inIdempotentTx(ctx, r, func(tx *Tx) error {
		if err := tx.RateLimit(ctx, fpr.LimitReview); err != nil {
			return err
		}
		// The product, and of its farm what the rules need (the owner),
		// in one read after the farm's row lock.
		if err := tx.lockFarmRowOfProduct(ctx, r.ProductID); err != nil {
			return err
		}
		var score float64
		farm := &fpr.Farm{}
		p, err := scanProduct(tx.QueryRowContext(ctx, productSelect+`, f.owner_id`+productFrom+` WHERE p.id = $1`, r.ProductID),
			&score, &farm.OwnerID)
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("product")
		}
		if err != nil {
			return err
		}
		farm.ID = p.FarmID
		if !fpr.CanReviewProduct(actor, farm) {
			return fpr.Errorf(fpr.CodeForbidden, "You cannot review your own farm's products.")
		}
		if !fpr.OpenForReviews(p) {
			return fpr.Errorf(fpr.CodeConflict, "This product is no longer sold, so it takes no new reviews.")
		}
		if err := tx.validateReviewDetails(p.Category, r.Harvest, r.Aspects); err != nil {
			return err
		}
		r.ID = db.NewID(tx.now)
		r.CreatedAt = fromMicros(micros(tx.now))
		r.UpdatedAt = r.CreatedAt
		if r.PurchaseCode != "" {
			if err := tx.redeemPurchaseCode(ctx, r.PurchaseCode, farm.ID, r.ProductID, r.ID); err != nil {
				return err
			}
			r.VerifiedPurchase = true
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO reviews
			(id, product_id, author_id, rating, title, body, status, helpful_count, probe, created_at, updated_at, harvest, verified_purchase, held_unverified)
			VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $8, $9, $9, $10, $11, $12)`,
			r.ID, r.ProductID, r.Author.ID, r.Rating, r.Title, r.Body, string(r.Status), r.Probe, micros(tx.now),
			nullString(r.Harvest), r.VerifiedPurchase, fpr.HeldUntilVerified(actor)); err != nil {
			if fpr.ErrorCode(db.dialect.translate(err)) == fpr.CodeConflict {
				return fpr.Errorf(fpr.CodeConflict, "You have already reviewed this product; edit your review instead.")
			}
			return err
		}
		counted := fpr.CountsInRating(r.Status, r.Probe)
		if err := tx.insertReviewAspects(ctx, r.ID, r.Aspects); err != nil {
			return err
		}
		if err := tx.applyAspectDelta(ctx, r.ProductID, nil, r.Aspects, false, counted); err != nil {
			return err
		}
		if err := tx.applyRatingDelta(ctx, r.ProductID, 0, r.Rating, false, counted); err != nil {
			return err
		}
		return tx.notifyReviewReceivedOf(ctx, r, farm.OwnerID, p.Name)
	})
	if err != nil {
		if _, bad := fpr.ErrorFields(err)["purchase_code"]; bad {
			if rerr := db.countRefusedPurchaseCode(ctx); rerr != nil {
				return fmt.Errorf("create review: %w", rerr)
			}
		}
		return fmt.Errorf("create review: %w", err)
	}
	return nil
}

// nullString stores "" as NULL.
func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// validateReviewDetails checks a review's harvest month (at the
// transaction's time) and its aspect scores against its product's
// category. validation_failed naming every bad field.
func (tx *Tx) validateReviewDetails(category fpr.Category, harvest string, aspects map[fpr.Aspect]int) error {
	fe := fpr.FieldErrors{}
	if msg := fpr.ValidateHarvest(harvest, tx.now); msg != "" {
		fe.Add("harvest", msg)
	}
	for k, v := range fpr.ValidateAspects(category, aspects) {
		fe.Add(k, v)
	}
	return fe.Err()
}

// UpdateReview changes the author's review; the rating summary follows in
// the same transaction. not_found when the acting user may not see it,
// forbidden for anyone but the author, validation_failed.
func (db *DB) UpdateReview(ctx context.Context, id string, upd fpr.ReviewUpdate) (*fpr.Review, error) {
	actor, err := fpr.RequireUser(ctx)
	if err != nil {
		return nil, err
	}
	var r *fpr.Review
	err = db.inTx(ctx, true, func(tx *Tx) error {
		if err := tx.RateLimit(ctx, fpr.LimitEdit); err != nil {
			return err
		}
		var err error
		if r, err = tx.lockVisibleReview(ctx, id); err != nil {
			return err
		}
		if !fpr.CanEditReview(actor, r) {
			return fpr.Errorf(fpr.CodeForbidden, "Only its author may edit a review.")
		}
		old := *r
		if upd.Rating != nil {
			r.Rating = *upd.Rating
		}
		if upd.Title != nil {
			r.Title = *upd.Title
		}
		if upd.Body != nil {
			r.Body = *upd.Body
		}
		if upd.Harvest != nil {
			r.Harvest = *upd.Harvest
		}
		if err := r.Validate(); err != nil {
			return err
		}
		oldAspects, err := tx.reviewAspects(ctx, r.ID)
		if err != nil {
			return err
		}
		newAspects := oldAspects
		if upd.Aspects != nil {
			newAspects = *upd.Aspects
		}
		// A harvest month kept as it was is not checked again: it stays
		// valid although time moved on.
		harvest := r.Harvest
		if harvest == old.Harvest {
			harvest = ""
		}
		var category fpr.Category
		if len(newAspects) > 0 {
			if err := tx.QueryRowContext(ctx, `SELECT category FROM products WHERE id = $1`, r.ProductID).Scan(&category); err != nil {
				return err
			}
		}
		if err := tx.validateReviewDetails(category, harvest, newAspects); err != nil {
			return err
		}
		if r.Rating != old.Rating || r.Title != old.Title || r.Body != old.Body || r.Harvest != old.Harvest {
			// The version this edit replaces goes to the history.
			if _, err := tx.ExecContext(ctx, `INSERT INTO review_revisions (id, review_id, rating, title, body, harvest, written_at, replaced_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, db.NewID(tx.now), r.ID, old.Rating, old.Title, old.Body,
				nullString(old.Harvest), micros(old.UpdatedAt), micros(tx.now)); err != nil {
				return err
			}
			r.Revisions++
		}
		r.UpdatedAt = fromMicros(micros(tx.now))
		// An edited review is no longer the one a moderator vetted.
		if _, err := tx.ExecContext(ctx, `UPDATE reviews SET rating = $1, title = $2, body = $3, harvest = $4, updated_at = $5, vetted = FALSE WHERE id = $6`,
			r.Rating, r.Title, r.Body, nullString(r.Harvest), micros(tx.now), r.ID); err != nil {
			return err
		}
		c := fpr.CountsInRating(r.Status, r.Probe)
		if err := tx.applyRatingDelta(ctx, r.ProductID, old.Rating, r.Rating, c, c); err != nil {
			return err
		}
		if upd.Aspects != nil {
			if err := tx.applyAspectDelta(ctx, r.ProductID, oldAspects, newAspects, c, c); err != nil {
				return err
			}
			if err := tx.setReviewAspects(ctx, r.ID, newAspects); err != nil {
				return err
			}
			r.Aspects = nil
			if len(newAspects) > 0 {
				r.Aspects = maps.Clone(newAspects)
			}
		}
		if err := tx.setReviewStatus(ctx, r, fpr.ReviewStatusAfterEdit(db.Moderation, r.Status)); err != nil {
			return err
		}
		return tx.fillViewerHelpful(ctx, []*fpr.Review{r})
	})
	if err != nil {
		return nil, fmt.Errorf("update review: %w", err)
	}
	return r, nil
}

// DeleteReview deletes a review with its votes, flags and reply; its
// author, moderators or admins. The rating summary follows in the same
// transaction. not_found when the acting user may not see it, forbidden.
func (db *DB) DeleteReview(ctx context.Context, id string) error {
	actor, err := fpr.RequireUser(ctx)
	if err != nil {
		return err
	}
	err = db.inTx(ctx, true, func(tx *Tx) error {
		r, err := tx.lockVisibleReview(ctx, id)
		if err != nil {
			return err
		}
		if !fpr.CanDeleteReview(actor, r) {
			return fpr.Errorf(fpr.CodeForbidden, "Only its author or a moderator may delete a review.")
		}
		scores, err := tx.reviewAspects(ctx, r.ID)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM reviews WHERE id = $1`, r.ID); err != nil {
			return err
		}
		if err := tx.auditStaff(ctx, r.Author.ID, fpr.AuditReviewDelete, fpr.AuditTarget("review", r.ID), map[string]string{
			"author_id": r.Author.ID, "product_id": r.ProductID, "status": string(r.Status)}); err != nil {
			return err
		}
		counted := fpr.CountsInRating(r.Status, r.Probe)
		if err := tx.applyAspectDelta(ctx, r.ProductID, scores, nil, counted, false); err != nil {
			return err
		}
		return tx.applyRatingDelta(ctx, r.ProductID, r.Rating, 0, counted, false)
	})
	if err != nil {
		return fmt.Errorf("delete review: %w", err)
	}
	return nil
}

// FindReviews lists reviews by f.Sort: newest (id desc), helpful
// (helpful_count desc, id desc), highest (rating desc, id desc) or lowest
// (rating asc, id desc), with keyset cursors. Lists show published,
// non-probe reviews, except an author listing their own (AuthorID = acting
// user), who sees every status. not_found for an unknown product or
// author; validation_failed for a bad sort, rating, limit or cursor.
func (db *DB) FindReviews(ctx context.Context, f fpr.ReviewFilter) ([]*fpr.Review, string, error) {
	if err := f.Validate(); err != nil {
		return nil, "", err
	}
	after, err := decodeCursor(f.Cursor, "reviews:"+string(f.Sort))
	if err != nil {
		return nil, "", err
	}
	if after != nil && (f.Sort == fpr.ReviewSortHighest || f.Sort == fpr.ReviewSortLowest) && fpr.ValidateRating(int(after.Int)) != "" {
		return nil, "", errBadCursor()
	}
	var (
		reviews []*fpr.Review
		next    string
	)
	find := func(q querier) error {
		var err error
		if reviews, err = findReviews(ctx, q, db.dialect, f, after); err != nil {
			return err
		}
		// A review found proves its product and author exist (foreign
		// keys); only an empty page asks, to tell not_found from none.
		if len(reviews) == 0 && f.ProductID != nil {
			if err := exists(ctx, q, `SELECT 1 FROM products WHERE id = $1`, *f.ProductID, "product"); err != nil {
				return err
			}
		}
		if len(reviews) == 0 && f.AuthorID != nil {
			if err := exists(ctx, q, `SELECT 1 FROM users WHERE id = $1`, *f.AuthorID, "user"); err != nil {
				return err
			}
		}
		if len(reviews) > f.Limit {
			reviews = reviews[:f.Limit]
			last := reviews[len(reviews)-1]
			c := cursor{Sort: "reviews:" + string(f.Sort), ID: last.ID}
			switch f.Sort {
			case fpr.ReviewSortHelpful:
				c.Int = int64(last.HelpfulCount)
			case fpr.ReviewSortHighest, fpr.ReviewSortLowest:
				c.Int = int64(last.Rating)
			}
			next = c.encode()
		}
		return fillViewerHelpful(ctx, q, reviews)
	}
	if f.Sort == fpr.ReviewSortHighest || f.Sort == fpr.ReviewSortLowest {
		// Up to five statements (findReviews) must see one snapshot, or
		// a review re-rated between two of them could be listed twice.
		err = db.inTx(ctx, false, func(tx *Tx) error { return find(tx) })
	} else {
		// One statement reads the page: no transaction to begin and end.
		// The emptiness check and the viewer's votes may see a moment
		// later, which changes nothing a reader could tell.
		err = db.dialect.translate(find(poolReader{db}))
	}
	if err != nil {
		return nil, "", fmt.Errorf("find reviews: %w", err)
	}
	return reviews, next, nil
}

func errBadCursor() error {
	return &fpr.Error{Code: fpr.CodeValidationFailed, Message: "The cursor is not valid for this list.",
		Fields: map[string]string{"cursor": "Use the next_cursor of the previous page, with the same sort."}}
}

// querier runs queries: a transaction (*Tx) or the read pool outside one
// (poolReader).
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// poolReader runs each query on the read pool by itself, prepared once on
// SQLite (DB.readRows).
type poolReader struct{ db *DB }

func (r poolReader) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return r.db.readRows(ctx, query, args...)
}

func (r poolReader) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return r.db.readRow(ctx, query, args...)
}

// exists returns not_found (naming what) unless query finds a row for id.
func (tx *Tx) exists(ctx context.Context, query, id, what string) error {
	return exists(ctx, tx, query, id, what)
}

func exists(ctx context.Context, q querier, query, id, what string) error {
	var one int
	err := q.QueryRowContext(ctx, query, id).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return notFound(what)
	}
	return err
}

// findReviews returns up to f.Limit+1 reviews after the cursor.
//
// Each order is an index seek on reviews_product_* (or
// reviews_author_status, or reviews_status) that reads only the rows of
// the page. Ordering by rating with id descending inside each star value
// cannot be one index range in both directions, so highest and lowest
// read star value by star value
// (at most five seeks, each `rating = v AND id < cursor`), which keeps a
// deep page as cheap as the first.
func findReviews(ctx context.Context, q querier, d dialect, f fpr.ReviewFilter, after *cursor) ([]*fpr.Review, error) {
	if f.Sort == fpr.ReviewSortHighest || f.Sort == fpr.ReviewSortLowest {
		stars := []int{5, 4, 3, 2, 1}
		if f.Sort == fpr.ReviewSortLowest {
			stars = []int{1, 2, 3, 4, 5}
		}
		var out []*fpr.Review
		started := after == nil
		for _, v := range stars {
			if f.Rating != nil && *f.Rating != v {
				continue
			}
			var afterID *string
			if !started {
				if int64(v) != after.Int {
					continue
				}
				started = true
				afterID = &after.ID
			}
			page, err := queryReviews(ctx, q, d, f, &v, afterID, nil, f.Limit+1-len(out))
			if err != nil {
				return nil, err
			}
			out = append(out, page...)
			if len(out) > f.Limit {
				break
			}
		}
		return out, nil
	}
	var afterID *string
	var afterHelpful *int64
	if after != nil {
		afterID = &after.ID
		if f.Sort == fpr.ReviewSortHelpful {
			afterHelpful = &after.Int
		}
	}
	return queryReviews(ctx, q, d, f, f.Rating, afterID, afterHelpful, f.Limit+1)
}

// queryReviews runs one keyset query: reviews matching f (with rating when
// not nil) after (afterHelpful, afterID), newest first or by helpful_count
// when f.Sort is helpful.
func queryReviews(ctx context.Context, q querier, d dialect, f fpr.ReviewFilter, rating *int, afterID *string, afterHelpful *int64, limit int) ([]*fpr.Review, error) {
	query, args := reviewQuery(d, fpr.UserIDFromContext(ctx), f, rating, afterID, afterHelpful, limit)
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make([]*fpr.Review, 0, limit)
	for rows.Next() {
		r, err := scanReview(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// reviewQuery builds the SQL of queryReviews in d for the acting user
// viewerID.
func reviewQuery(d dialect, viewerID string, f fpr.ReviewFilter, rating *int, afterID *string, afterHelpful *int64, limit int) (string, []any) {
	var (
		where []string
		args  []any
	)
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	if f.ProductID != nil {
		where = append(where, `r.product_id = `+arg(*f.ProductID))
	}
	own := f.AuthorID != nil && *f.AuthorID == viewerID && viewerID != ""
	if f.AuthorID != nil {
		where = append(where, `r.author_id = `+arg(*f.AuthorID))
	}
	if !own {
		where = append(where, `r.status = 'published'`, `r.probe = FALSE`)
	}
	if rating != nil {
		where = append(where, `r.rating = `+arg(*rating))
	}
	if f.HarvestYear != nil {
		first, last := fpr.HarvestYearRange(*f.HarvestYear)
		where = append(where, `r.harvest BETWEEN `+arg(first)+` AND `+arg(last))
	}
	if f.Verified {
		where = append(where, `r.verified_purchase = TRUE`)
	}
	order := `r.id DESC`
	if f.Sort == fpr.ReviewSortHelpful {
		order = `r.helpful_count DESC, r.id DESC`
		if afterHelpful != nil {
			where = append(where, `(r.helpful_count, r.id) < (`+arg(*afterHelpful)+`, `+arg(*afterID)+`)`)
		}
	} else if afterID != nil {
		where = append(where, `r.id < `+arg(*afterID))
	}
	rs := d.reviewSQL()
	q := `SELECT ` + rs.columns + ` FROM ` + rs.from
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, ` AND `)
	}
	q += ` ORDER BY ` + order + limitClause(limit)
	return q, args
}

// fillViewerHelpful sets ViewerHelpful on reviews for the acting user, in
// one query for the whole page.
func (tx *Tx) fillViewerHelpful(ctx context.Context, reviews []*fpr.Review) error {
	return fillViewerHelpful(ctx, tx, reviews)
}

func fillViewerHelpful(ctx context.Context, q querier, reviews []*fpr.Review) error {
	uid := fpr.UserIDFromContext(ctx)
	if uid == "" || len(reviews) == 0 {
		return nil
	}
	byID := make(map[string]*fpr.Review, len(reviews))
	args := []any{uid}
	ph := make([]string, 0, len(reviews))
	for _, r := range reviews {
		byID[r.ID] = r
		args = append(args, r.ID)
		ph = append(ph, fmt.Sprintf("$%d", len(args)))
	}
	rows, err := q.QueryContext(ctx, `SELECT review_id FROM review_votes WHERE user_id = $1 AND review_id IN (`+
		strings.Join(ph, ", ")+`)`, args...)
	if err != nil {
		return fmt.Errorf("viewer votes: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return fmt.Errorf("viewer votes: %w", err)
		}
		if r := byID[id]; r != nil {
			r.ViewerHelpful = true
		}
	}
	return rows.Err()
}
