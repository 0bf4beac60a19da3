package http

import (
	"net/http"

	"github.com/fpr-team/fpr"
)

type homePage struct {
	basePage
	RecentReviews []namedReview
	TopRated      []*fpr.Product
	Categories    []fpr.Category
}

// handleHomeShow handles GET /: recent reviews, top-rated products and the
// categories.
func (s *Server) handleHomeShow(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	top, _, err := s.Products.FindProducts(ctx, fpr.ProductFilter{Sort: fpr.ProductSortTopRated, Page: fpr.Page{Limit: 6}})
	if err != nil {
		return err
	}
	reviews, _, err := s.Reviews.FindReviews(ctx, fpr.ReviewFilter{Sort: fpr.ReviewSortNewest, Page: fpr.Page{Limit: 6}})
	if err != nil {
		return err
	}
	p := &homePage{basePage: s.base(w, r, ""), TopRated: top, Categories: fpr.Categories}
	p.RecentReviews, err = s.withProductNames(r, reviews)
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "home", p)
}

// withProductNames pairs reviews with their products' names.
func (s *Server) withProductNames(r *http.Request, reviews []*fpr.Review) ([]namedReview, error) {
	names := map[string]string{}
	out := make([]namedReview, 0, len(reviews))
	for _, rv := range reviews {
		name, ok := names[rv.ProductID]
		if !ok {
			name = "(a product that was removed)"
			if prod, err := s.Products.FindProductByID(r.Context(), rv.ProductID); err == nil {
				name = prod.Name
			} else if fpr.ErrorCode(err) != fpr.CodeNotFound {
				return nil, err
			}
			names[rv.ProductID] = name
		}
		out = append(out, namedReview{Review: rv, ProductName: name})
	}
	return out, nil
}
