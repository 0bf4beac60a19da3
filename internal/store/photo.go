package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/fpr-team/fpr"
)

// Photos of reviews, products and farms, both versions stored in the
// photos table (BLOB on SQLite, BYTEA on PostgreSQL). Exactly one owner
// column is set; deleting the owner deletes its photos (ON DELETE CASCADE).

const photoColumns = `id, content_type, width, height, created_at`

// scanPhoto scans pre's destinations, then photoColumns.
func scanPhoto(row interface{ Scan(...any) error }, pre ...any) (*fpr.Photo, error) {
	var (
		p       fpr.Photo
		created int64
	)
	if err := row.Scan(append(pre, &p.ID, &p.ContentType, &p.Width, &p.Height, &created)...); err != nil {
		return nil, err
	}
	p.CreatedAt = fromMicros(created)
	return &p, nil
}

// photoOwner is the owner of a stored photo.
type photoOwner struct {
	reviewID, productID, farmID sql.NullString
}

// AddPhoto stores d as a photo of o. A review's author adds up to
// fpr.MaxReviewPhotos photos to it (conflict beyond: the count is read
// after the review's row lock, so concurrent uploads cannot pass it); a
// product's or farm's photo is set by whoever may manage the farm and
// replaces the previous one. unauthenticated, validation_failed (no owner
// or two), not_found, forbidden, conflict.
func (db *DB) AddPhoto(ctx context.Context, o fpr.PhotoOwner, d *fpr.PhotoData) (*fpr.Photo, error) {
	actor, err := fpr.RequireUser(ctx)
	if err != nil {
		return nil, err
	}
	n := 0
	for _, id := range []string{o.ReviewID, o.ProductID, o.FarmID} {
		if id != "" {
			n++
		}
	}
	if n != 1 || d == nil || len(d.Large) == 0 || len(d.Thumb) == 0 {
		return nil, fmt.Errorf("add photo: one owner and both versions are needed")
	}
	var p *fpr.Photo
	err = db.inTx(ctx, true, func(tx *Tx) error {
		switch {
		case o.ReviewID != "":
			r, err := tx.lockVisibleReview(ctx, o.ReviewID)
			if err != nil {
				return err
			}
			if !fpr.CanAddReviewPhoto(actor, r) {
				return fpr.Errorf(fpr.CodeForbidden, "Only its author may add photos to a review.")
			}
			var count int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM photos WHERE review_id = $1`, r.ID).Scan(&count); err != nil {
				return err
			}
			if count >= fpr.MaxReviewPhotos {
				return fpr.Errorf(fpr.CodeConflict, "A review has at most %d photos; delete one first.", fpr.MaxReviewPhotos)
			}
		case o.ProductID != "":
			farm, err := tx.farmOfProduct(ctx, o.ProductID)
			if err != nil {
				return err
			}
			if _, err := tx.manageableFarm(ctx, farm.ID); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `DELETE FROM photos WHERE product_id = $1`, o.ProductID); err != nil {
				return err
			}
		default:
			if _, err := tx.manageableFarm(ctx, o.FarmID); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `DELETE FROM photos WHERE farm_id = $1`, o.FarmID); err != nil {
				return err
			}
		}
		p = &fpr.Photo{ID: db.NewID(tx.now), ContentType: d.ContentType, Width: d.Width, Height: d.Height,
			CreatedAt: fromMicros(micros(tx.now))}
		_, err := tx.ExecContext(ctx, `INSERT INTO photos (id, review_id, product_id, farm_id, uploader_id, content_type, width, height, large, thumb, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`, p.ID, nullString(o.ReviewID), nullString(o.ProductID),
			nullString(o.FarmID), actor.ID, d.ContentType, d.Width, d.Height, d.Large, d.Thumb, micros(tx.now))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("add photo: %w", err)
	}
	return p, nil
}

// findPhotoOwner reads what photo id belongs to; not_found.
func (tx *Tx) findPhotoOwner(ctx context.Context, id string) (photoOwner, error) {
	var o photoOwner
	err := tx.QueryRowContext(ctx, `SELECT review_id, product_id, farm_id FROM photos WHERE id = $1`, id).
		Scan(&o.reviewID, &o.productID, &o.farmID)
	if errors.Is(err, sql.ErrNoRows) {
		return o, notFound("photo")
	}
	return o, err
}

// DeletePhoto deletes a photo: of a review, by its author or a moderator;
// of a product or farm, by whoever may manage the farm. unauthenticated,
// not_found (also a photo of a review the user may not see), forbidden.
func (db *DB) DeletePhoto(ctx context.Context, id string) error {
	actor, err := fpr.RequireUser(ctx)
	if err != nil {
		return err
	}
	err = db.inTx(ctx, true, func(tx *Tx) error {
		o, err := tx.findPhotoOwner(ctx, id)
		if err != nil {
			return err
		}
		switch {
		case o.reviewID.Valid:
			r, err := tx.lockVisibleReview(ctx, o.reviewID.String)
			if err != nil {
				return notFound("photo")
			}
			if !fpr.CanDeleteReviewPhoto(actor, r) {
				return fpr.Errorf(fpr.CodeForbidden, "Only the review's author or a moderator may delete its photos.")
			}
			if err := tx.auditStaff(ctx, r.Author.ID, fpr.AuditPhotoDelete, fpr.AuditTarget("photo", id),
				map[string]string{"review_id": r.ID, "author_id": r.Author.ID}); err != nil {
				return err
			}
		case o.productID.Valid:
			farm, err := tx.farmOfProduct(ctx, o.productID.String)
			if err != nil {
				return err
			}
			if _, err := tx.manageableFarm(ctx, farm.ID); err != nil {
				return err
			}
		default:
			if _, err := tx.manageableFarm(ctx, o.farmID.String); err != nil {
				return err
			}
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM photos WHERE id = $1`, id)
		return err
	})
	if err != nil {
		return fmt.Errorf("delete photo: %w", err)
	}
	return nil
}

// FindPhotoData returns the bytes of a photo's large version or thumbnail
// and their content type. A review's photo is served to whoever may see
// the review; products' and farms' to anyone. not_found.
func (db *DB) FindPhotoData(ctx context.Context, id string, thumb bool) (string, []byte, error) {
	var (
		ct   string
		data []byte
	)
	err := db.inTx(ctx, false, func(tx *Tx) error {
		o, err := tx.findPhotoOwner(ctx, id)
		if err != nil {
			return err
		}
		if o.reviewID.Valid {
			r, err := tx.findReview(ctx, o.reviewID.String)
			if err != nil {
				return err
			}
			if !fpr.CanSeeReview(fpr.UserFromContext(ctx), r) {
				return notFound("photo")
			}
		}
		col := "large"
		if thumb {
			col = "thumb"
		}
		return tx.QueryRowContext(ctx, `SELECT content_type, `+col+` FROM photos WHERE id = $1`, id).Scan(&ct, &data)
	})
	if err != nil {
		return "", nil, fmt.Errorf("find photo: %w", err)
	}
	return ct, data, nil
}

// fillOwnerPhotos sets the photo of each product or farm (column
// "product_id" or "farm_id") in one query: set is called with the owner's
// ID and its newest photo.
func (tx *Tx) fillOwnerPhotos(ctx context.Context, column string, ids []string, set func(id string, p *fpr.Photo)) error {
	if len(ids) == 0 {
		return nil
	}
	args := make([]any, 0, len(ids))
	ph := make([]string, 0, len(ids))
	for _, id := range ids {
		args = append(args, id)
		ph = append(ph, fmt.Sprintf("$%d", len(args)))
	}
	rows, err := tx.QueryContext(ctx, `SELECT `+column+`, `+photoColumns+` FROM photos
		WHERE `+column+` IN (`+strings.Join(ph, ", ")+`) ORDER BY id`, args...)
	if err != nil {
		return fmt.Errorf("owner photos: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		p, err := scanPhoto(rows, &id)
		if err != nil {
			return fmt.Errorf("owner photos: %w", err)
		}
		set(id, p)
	}
	return rows.Err()
}

// fillFarmPhotos sets the photos of farms, in one query.
func (db *DB) fillFarmPhotos(ctx context.Context, farms ...*fpr.Farm) error {
	byID := make(map[string]*fpr.Farm, len(farms))
	ids := make([]string, 0, len(farms))
	for _, f := range farms {
		byID[f.ID] = f
		ids = append(ids, f.ID)
	}
	err := db.inTx(ctx, false, func(tx *Tx) error {
		return tx.fillOwnerPhotos(ctx, "farm_id", ids, func(id string, p *fpr.Photo) { byID[id].Photo = p })
	})
	if err != nil {
		return fmt.Errorf("farm photos: %w", err)
	}
	return nil
}
