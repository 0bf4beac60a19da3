package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"

	"github.com/fpr-team/fpr"
)

const farmColumns = `id, owner_id, name, slug, region, description, created_at`

func scanFarm(row interface{ Scan(...any) error }) (*fpr.Farm, error) {
	var f fpr.Farm
	var created int64
	if err := row.Scan(&f.ID, &f.OwnerID, &f.Name, &f.Slug, &f.Region, &f.Description, &created); err != nil {
		return nil, err
	}
	f.CreatedAt = fromMicros(created)
	return &f, nil
}

// FindFarmByID returns a farm or not_found.
func (db *DB) FindFarmByID(ctx context.Context, id string) (*fpr.Farm, error) {
	f, err := scanFarm(db.readRow(ctx, `SELECT `+farmColumns+` FROM farms WHERE id = $1`, id))
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

// FindFarms lists farms by name (then ID), keyset-paginated on (name, id).
// validation_failed for a bad limit or cursor.
func (db *DB) FindFarms(ctx context.Context, f fpr.FarmFilter) ([]*fpr.Farm, string, error) {
	if err := f.Normalize(); err != nil {
		return nil, "", err
	}
	after, err := decodeCursor(f.Cursor, "farms")
	if err != nil {
		return nil, "", err
	}
	q := `SELECT ` + farmColumns + ` FROM farms WHERE 1=1`
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if f.OwnerID != nil {
		q += ` AND owner_id = ` + arg(*f.OwnerID)
	}
	if f.Region != nil {
		q += ` AND region = ` + arg(*f.Region)
	}
	if after != nil {
		q += ` AND (name, id) > (` + arg(after.Str) + `, ` + arg(after.ID) + `)`
	}
	q += ` ORDER BY name, id LIMIT ` + arg(f.Limit+1)
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
		last := farms[len(farms)-1]
		next = cursor{Sort: "farms", ID: last.ID, Str: last.Name}.encode()
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
		slug, err := tx.freeFarmSlug(ctx, f.Slug, "")
		if err != nil {
			return err
		}
		f.ID = db.NewID(tx.now)
		f.Slug = slug
		f.CreatedAt = fromMicros(micros(tx.now)) // as stored
		_, err = tx.ExecContext(ctx, `INSERT INTO farms (`+farmColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			f.ID, f.OwnerID, f.Name, f.Slug, f.Region, f.Description, micros(tx.now))
		return err
	})
	if err != nil {
		return fmt.Errorf("create farm: %w", err)
	}
	return nil
}

// UpdateFarm changes a farm's name (and so its slug), region or
// description. Its owner or an admin only. A new name is written to the
// search index of the farm's products in the same transaction.
// unauthenticated, forbidden, not_found, validation_failed.
func (db *DB) UpdateFarm(ctx context.Context, id string, upd fpr.FarmUpdate) (*fpr.Farm, error) {
	actor, err := fpr.RequireUser(ctx)
	if err != nil {
		return nil, err
	}
	var farm *fpr.Farm
	err = db.inTx(ctx, true, func(tx *Tx) error {
		var err error
		farm, err = scanFarm(tx.QueryRowContext(ctx, `SELECT `+farmColumns+` FROM farms WHERE id = $1`, id))
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("farm")
		}
		if err != nil {
			return err
		}
		if !fpr.CanManageFarm(actor, farm) {
			return fpr.Errorf(fpr.CodeForbidden, "Only the farm's producer or an admin may change it.")
		}
		oldName, oldSlug := farm.Name, farm.Slug
		if upd.Name != nil {
			farm.Name = *upd.Name
		}
		if upd.Region != nil {
			farm.Region = *upd.Region
		}
		if upd.Description != nil {
			farm.Description = *upd.Description
		}
		if err := farm.Validate(); err != nil {
			return err
		}
		if farm.Name == oldName {
			farm.Slug = oldSlug // the slug changes only with the name
		} else if farm.Slug, err = tx.freeFarmSlug(ctx, farm.Slug, farm.ID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE farms SET name = $1, slug = $2, region = $3, description = $4 WHERE id = $5`,
			farm.Name, farm.Slug, farm.Region, farm.Description, farm.ID); err != nil {
			return err
		}
		if err := tx.auditStaff(ctx, farm.OwnerID, fpr.AuditFarmUpdate, fpr.AuditTarget("farm", farm.ID), map[string]string{"owner_id": farm.OwnerID}); err != nil {
			return err
		}
		if farm.Name != oldName {
			return db.dialect.indexProducts(ctx, tx, "p.farm_id = $1", farm.ID)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("update farm: %w", err)
	}
	return farm, nil
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
