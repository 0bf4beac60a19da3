package fpr

import (
	"context"
	"math"
	"strings"
	"time"
)

// Category is a kind of farm product.
type Category string

// Categories is the fixed list of product categories, in display order.
// It is documented in the OpenAPI document and the README.
var Categories = []Category{
	"vegetables", "fruit", "herbs", "dairy", "eggs", "meat", "poultry", "fish",
	"honey", "grains", "flour-and-bakery", "preserves", "oils-and-vinegars",
	"beverages", "nuts-and-seeds", "plants-and-seedlings", "flowers", "feed",
	"equipment", "other",
}

// Valid reports whether c is one of Categories.
func (c Category) Valid() bool {
	for _, v := range Categories {
		if c == v {
			return true
		}
	}
	return false
}

// Label returns the category's name for people: "plants-and-seedlings"
// becomes "Plants and seedlings".
func (c Category) Label() string {
	s := strings.ReplaceAll(string(c), "-", " ")
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// Rating is a product's summary of its published reviews. It is stored on
// the product and changed in the same transaction as the reviews, so it is
// exact at every moment.
type Rating struct {
	Count     int
	Sum       int
	Histogram [5]int // Histogram[0] counts 1-star reviews
}

// Average returns the mean rating rounded to 2 decimals, and false when
// there are no reviews.
func (r Rating) Average() (float64, bool) {
	if r.Count == 0 {
		return 0, false
	}
	return math.Round(float64(r.Sum)/float64(r.Count)*100) / 100, true
}

// Bayesian prior of the top_rated sort: a product is ranked as if it had
// PriorWeight extra reviews of PriorMean stars. With these values one 5-star
// review scores (3.5*10+5)/11 = 3.64, while 200 reviews averaging 4.8 score
// (3.5*10+960)/210 = 4.74, so well-proven products rank first.
const (
	PriorMean   = 3.5
	PriorWeight = 10
)

// BayesianAverage returns the score used by the top_rated sort.
func (r Rating) BayesianAverage() float64 {
	return (PriorMean*PriorWeight + float64(r.Sum)) / float64(PriorWeight+r.Count)
}

// Product is something a farm sells.
type Product struct {
	ID          string
	FarmID      string
	FarmName    string
	Name        string
	Slug        string
	Category    Category
	Description string
	Unit        string // "per kg", "dozen", "jar 340 g"
	CreatedAt   time.Time
	Rating      Rating
	// Aspects summarizes the aspect scores of the counted reviews; an
	// aspect no review scored is absent.
	Aspects map[Aspect]AspectRating
	// Photo is the product's photo, nil when it has none.
	Photo *Photo
	// ArchivedAt is set when the product was removed while it had
	// reviews: it left lists and search, its page and reviews stay.
	ArchivedAt *time.Time
	// Stamp changes, in the transaction of the change, with everything
	// the product's public JSON shows: the product, its farm's name, its
	// reviews with their replies, scores and photos, and their authors'
	// names. A page made after reading a stamp is current while the stamp
	// is the same.
	Stamp int64
}

// Limits on product fields.
const (
	MaxProductNameLength        = 120
	MaxProductDescriptionLength = 5000
	MaxUnitLength               = 40
)

// Validate checks a product's fields and sets its slug.
func (p *Product) Validate() error {
	fe := FieldErrors{}
	p.Name = strings.TrimSpace(p.Name)
	p.Description = strings.TrimSpace(NormalizeNewlines(p.Description))
	p.Unit = strings.TrimSpace(p.Unit)
	fe.Text("name", p.Name, SingleLine, 1, MaxProductNameLength)
	fe.Text("description", p.Description, MultiLine, 0, MaxProductDescriptionLength)
	fe.Text("unit", p.Unit, SingleLine, 1, MaxUnitLength)
	if !p.Category.Valid() {
		fe.Add("category", "Choose one of the listed categories.")
	}
	p.Slug = Slugify(p.Name)
	return fe.Err()
}

// ProductUpdate holds the fields of a PATCH; nil means "not given".
type ProductUpdate struct {
	Name        *string
	Category    *Category
	Description *string
	Unit        *string
}

// ProductSort orders product lists.
type ProductSort string

// Product sorts.
const (
	ProductSortNewest       ProductSort = "newest"
	ProductSortTopRated     ProductSort = "top_rated"
	ProductSortMostReviewed ProductSort = "most_reviewed"
	ProductSortName         ProductSort = "name"
	// ProductSortRelevance is used when a query is given and no sort is.
	ProductSortRelevance ProductSort = "relevance"
)

// ProductFilter selects products. Nil fields are not filtered on.
type ProductFilter struct {
	Query     *string // full text over name, description and farm name
	Category  *Category
	FarmID    *string
	MinRating *float64 // on the plain average, 1–5
	Sort      ProductSort
	Page
}

// ProductService manages products.
type ProductService interface {
	// FindProductByID returns a product with its rating summary, or not_found.
	FindProductByID(ctx context.Context, id string) (*Product, error)

	// ProductStamp returns the product's Stamp, or not_found: one read,
	// for answers kept since that stamp.
	ProductStamp(ctx context.Context, id string) (int64, error)

	// KeptPage returns product id's stamp, as ProductStamp does, and in
	// the same read the answer kept under variant by release at that
	// stamp (KeepPages), appended to dst[:0], or nil when none is:
	// not_found for no product.
	KeptPage(ctx context.Context, id, variant, release string, dst []byte) (stamp int64, body []byte, err error)

	// KeepPages stores answers for KeptPage, each replacing the one kept
	// under its product and variant. A cache: a page of a product deleted
	// meanwhile is skipped.
	KeepPages(ctx context.Context, pages []KeptPage) error

	// FindProducts lists products. validation_failed for a bad sort, limit,
	// cursor or min_rating.
	FindProducts(ctx context.Context, f ProductFilter) ([]*Product, string, error)

	// CreateProduct adds p to farm p.FarmID. The farm's owner or an admin.
	CreateProduct(ctx context.Context, p *Product) error

	// UpdateProduct changes a product. The farm's owner or an admin.
	UpdateProduct(ctx context.Context, id string, upd ProductUpdate) (*Product, error)

	// DeleteProduct removes a product. The farm's owner or an admin. A
	// product with reviews is archived instead (ArchiveInsteadOfDelete):
	// archived is true then.
	DeleteProduct(ctx context.Context, id string) (archived bool, err error)
}

// KeptPage is an answer of a public product read kept in the database
// (ProductService.KeepPages): Body as Release encoded it, made after the
// product's stamp was read as Stamp.
type KeptPage struct {
	ProductID, Variant, Release string
	Stamp                       int64
	Body                        []byte
}
