package http

import (
	"net/http"

	"github.com/fpr-team/fpr"
)

// apiRatingJSON is the API's RatingSummary.
type apiRatingJSON struct {
	// Average is null when there are no reviews.
	Average   *float64         `json:"average"`
	Count     int              `json:"count"`
	Histogram apiHistogramJSON `json:"histogram"`
}

type apiHistogramJSON struct {
	One   int `json:"1"`
	Two   int `json:"2"`
	Three int `json:"3"`
	Four  int `json:"4"`
	Five  int `json:"5"`
}

// apiRating builds the JSON of a rating summary: the average rounded to 2
// decimals (fpr.Rating.Average), null without reviews.
func apiRating(r fpr.Rating) apiRatingJSON {
	j := apiRatingJSON{Count: r.Count, Histogram: apiHistogramJSON{
		One: r.Histogram[0], Two: r.Histogram[1], Three: r.Histogram[2], Four: r.Histogram[3], Five: r.Histogram[4]}}
	if avg, ok := r.Average(); ok {
		j.Average = &avg
	}
	return j
}

// apiProductJSON is the API's Product.
type apiProductJSON struct {
	ID          string               `json:"id"`
	FarmID      string               `json:"farm_id"`
	FarmName    string               `json:"farm_name"`
	Name        string               `json:"name"`
	Slug        string               `json:"slug"`
	Category    fpr.Category         `json:"category"`
	Description string               `json:"description"`
	Unit        string               `json:"unit"`
	CreatedAt   string               `json:"created_at"`
	Rating      apiProductRatingJSON `json:"rating"`
	Photo       *apiPhotoJSON        `json:"photo"`
	// ArchivedAt is set once the product was removed while it had
	// reviews; null while it is listed.
	ArchivedAt *string `json:"archived_at"`
}

// apiProductRatingJSON is the API's ProductRating: the rating summary and
// the average of each aspect some counted review scored.
type apiProductRatingJSON struct {
	apiRatingJSON
	Aspects map[fpr.Aspect]apiAspectRatingJSON `json:"aspects"`
}

type apiAspectRatingJSON struct {
	Average float64 `json:"average"`
	Count   int     `json:"count"`
}

// apiProduct builds the JSON of p.
func apiProduct(p *fpr.Product) apiProductJSON {
	j := apiProductJSON{ID: p.ID, FarmID: p.FarmID, FarmName: p.FarmName, Name: p.Name, Slug: p.Slug,
		Category: p.Category, Description: p.Description, Unit: p.Unit, CreatedAt: apiTime(p.CreatedAt),
		Rating: apiProductRatingJSON{apiRatingJSON: apiRating(p.Rating), Aspects: map[fpr.Aspect]apiAspectRatingJSON{}},
		Photo:  apiPhotoRef(p.Photo)}
	for a, ar := range p.Aspects {
		if avg, ok := ar.Average(); ok {
			j.Rating.Aspects[a] = apiAspectRatingJSON{Average: avg, Count: ar.Count}
		}
	}
	if p.ArchivedAt != nil {
		t := apiTime(*p.ArchivedAt)
		j.ArchivedAt = &t
	}
	return j
}

// apiCategoryJSON is the API's CategoryInfo.
type apiCategoryJSON struct {
	Name    fpr.Category    `json:"name"`
	Label   string          `json:"label"`
	Aspects []apiAspectJSON `json:"aspects"`
}

type apiAspectJSON struct {
	Name  fpr.Aspect `json:"name"`
	Label string     `json:"label"`
}

// handleAPICategoryList handles GET /api/v1/categories: every category
// with the aspects its reviews may score.
func (s *Server) handleAPICategoryList(w http.ResponseWriter, r *http.Request) error {
	out := struct {
		Items []apiCategoryJSON `json:"items"`
	}{Items: make([]apiCategoryJSON, 0, len(fpr.Categories))}
	for _, c := range fpr.Categories {
		j := apiCategoryJSON{Name: c, Label: c.Label(), Aspects: []apiAspectJSON{}}
		for _, a := range c.Aspects() {
			j.Aspects = append(j.Aspects, apiAspectJSON{Name: a, Label: a.Label()})
		}
		out.Items = append(out.Items, j)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

type apiProductEnvelope struct {
	Product apiProductJSON `json:"product"`
}

type apiProductListJSON struct {
	Items      []apiProductJSON `json:"items"`
	NextCursor *string          `json:"next_cursor"`
}

// handleAPIProductList handles GET /api/v1/products?q=&category=&farm_id=
// &min_rating=&sort=&limit=&cursor=.
func (s *Server) handleAPIProductList(w http.ResponseWriter, r *http.Request) error {
	f, err := fpr.ParseProductQuery(r.URL.Query())
	if err != nil {
		return err
	}
	products, next, err := s.Products.FindProducts(r.Context(), f)
	if err != nil {
		return err
	}
	out := apiProductListJSON{Items: make([]apiProductJSON, 0, len(products)), NextCursor: nextCursor(next)}
	for _, p := range products {
		out.Items = append(out.Items, apiProduct(p))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// handleAPIProductShow handles GET /api/v1/products/{id}.
func (s *Server) handleAPIProductShow(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	// The same for every viewer: kept for all of them.
	return s.servePublic(w, r, s.details, id, id, "", func(int64, bool, bool) (any, int64, error) {
		p, err := s.Products.FindProductByID(r.Context(), id)
		if err != nil {
			return nil, 0, err
		}
		// The stamp was read by the same statement as the product.
		return apiProductEnvelope{Product: apiProduct(p)}, p.Stamp, nil
	})
}

// handleAPIProductCreate handles POST /api/v1/products {farm_id, name,
// category, description, unit}: the farm's producer or an admin.
func (s *Server) handleAPIProductCreate(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r.Context()); err != nil {
		return err
	}
	var in struct {
		FarmID      string       `json:"farm_id"`
		Name        string       `json:"name"`
		Category    fpr.Category `json:"category"`
		Description string       `json:"description"`
		Unit        string       `json:"unit"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	p := &fpr.Product{FarmID: in.FarmID, Name: in.Name, Category: in.Category, Description: in.Description, Unit: in.Unit}
	if err := s.Products.CreateProduct(r.Context(), p); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, apiProductEnvelope{Product: apiProduct(p)})
	return nil
}

// handleAPIProductUpdate handles PATCH /api/v1/products/{id} {name?,
// category?, description?, unit?}: the farm's producer or an admin.
func (s *Server) handleAPIProductUpdate(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r.Context()); err != nil {
		return err
	}
	var in struct {
		Name        *string       `json:"name"`
		Category    *fpr.Category `json:"category"`
		Description *string       `json:"description"`
		Unit        *string       `json:"unit"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	p, err := s.Products.UpdateProduct(r.Context(), r.PathValue("id"),
		fpr.ProductUpdate{Name: in.Name, Category: in.Category, Description: in.Description, Unit: in.Unit})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, apiProductEnvelope{Product: apiProduct(p)})
	return nil
}

// handleAPIProductDelete handles DELETE /api/v1/products/{id}: deletes
// the product, or archives it when it has reviews (the answer is 204
// either way; GET shows archived_at). The farm's producer or an admin.
func (s *Server) handleAPIProductDelete(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r.Context()); err != nil {
		return err
	}
	if _, err := s.Products.DeleteProduct(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
