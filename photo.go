package fpr

import (
	"context"
	"time"
)

// Photos of reviews, products and farms. Uploads are decoded and
// re-encoded before they are stored (internal/media), so no metadata (GPS
// included) survives; the database keeps a large version and a thumbnail.

// Limits on photos.
const (
	// MaxPhotoBytes is the largest upload accepted: 8 MB.
	MaxPhotoBytes = 8 << 20
	// MaxPhotoPixels is the largest image decoded: width × height, read
	// from the header before decoding, so a small file announcing a huge
	// image (a decompression bomb) is refused without allocating it.
	MaxPhotoPixels = 40_000_000
	// MaxReviewPhotos is how many photos a review may carry.
	MaxReviewPhotos = 5
	// PhotoLargeSize and PhotoThumbSize bound the longer side, in pixels,
	// of the two stored versions.
	PhotoLargeSize = 1600
	PhotoThumbSize = 400
)

// Photo is one stored image. Width and Height are those of the large
// version.
type Photo struct {
	ID          string
	ContentType string
	Width       int
	Height      int
	CreatedAt   time.Time
}

// PhotoData is an image ready to store: both versions encoded, with the
// type the encoder wrote.
type PhotoData struct {
	ContentType string
	Large       []byte
	Width       int
	Height      int
	Thumb       []byte
}

// PhotoOwner names what a photo belongs to: exactly one of the fields.
type PhotoOwner struct {
	ReviewID  string
	ProductID string
	FarmID    string
}

// CanAddReviewPhoto reports whether u may add a photo to r: its author.
func CanAddReviewPhoto(u *User, r *Review) bool { return isAuthor(u, r) }

// CanDeleteReviewPhoto reports whether u may delete a photo of r: its
// author and moderators.
func CanDeleteReviewPhoto(u *User, r *Review) bool { return isAuthor(u, r) || u.CanModerate() }

// PhotoService stores photos and serves their bytes.
type PhotoService interface {
	// AddPhoto stores d as a photo of o. A review's author may add up to
	// MaxReviewPhotos to it (conflict beyond); a product's or farm's photo
	// is set by whoever may manage the farm (CanManageFarm) and replaces
	// the previous one. unauthenticated, not_found, forbidden, conflict.
	AddPhoto(ctx context.Context, o PhotoOwner, d *PhotoData) (*Photo, error)

	// DeletePhoto deletes a photo: a review photo by the review's author
	// or a moderator, a product or farm photo by whoever may manage the
	// farm. unauthenticated, not_found, forbidden.
	DeletePhoto(ctx context.Context, id string) error

	// FindPhotoData returns the bytes of a photo's large version (or its
	// thumbnail) and their content type, for anyone when the photo's
	// review is published (products' and farms' always are). not_found.
	FindPhotoData(ctx context.Context, id string, thumb bool) (contentType string, data []byte, err error)
}
