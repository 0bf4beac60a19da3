package http

import (
	"net/http"
	"net/url"

	"github.com/fpr-team/fpr"
)

// The permalink page of one review (/reviews/{id}), its edit history
// (/reviews/{id}/history), and the photo forms of the product page.

func reviewURL(id string) string { return "/reviews/" + url.PathEscape(id) }

type reviewPage struct {
	basePage
	Review  *fpr.Review
	Product *fpr.Product
	// History lists the earlier versions on the history page; nil on the
	// permalink page.
	History     []*fpr.Revision
	ShowHistory bool
}

// AspectLabel names an aspect for people.
func (p reviewPage) AspectLabel(a fpr.Aspect) string { return a.Label() }

// handleReviewShow handles GET /reviews/{id}: one review on its own page,
// wherever it is in its product's list.
func (s *Server) handleReviewShow(w http.ResponseWriter, r *http.Request) error {
	p, err := s.reviewPage(w, r, false)
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "review", p)
}

// handleReviewHistoryList handles GET /reviews/{id}/history: the earlier
// versions of a review, oldest first.
func (s *Server) handleReviewHistoryList(w http.ResponseWriter, r *http.Request) error {
	p, err := s.reviewPage(w, r, true)
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "review", p)
}

func (s *Server) reviewPage(w http.ResponseWriter, r *http.Request, history bool) (*reviewPage, error) {
	ctx := r.Context()
	rv, err := s.Reviews.FindReviewByID(ctx, r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	product, err := s.Products.FindProductByID(ctx, rv.ProductID)
	if err != nil {
		return nil, err
	}
	p := &reviewPage{Review: rv, Product: product, ShowHistory: history}
	title := "Review of " + product.Name + " by " + rv.Author.DisplayName
	if history {
		if p.History, err = s.Reviews.FindReviewHistory(ctx, rv.ID); err != nil {
			return nil, err
		}
		title = "Earlier versions of a review of " + product.Name
	}
	p.basePage = s.base(w, r, title)
	return p, nil
}

// handleReviewPhotoCreate handles POST /reviews/{id}/photos (multipart,
// field photo): the author adds a photo from the product page.
func (s *Server) handleReviewPhotoCreate(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r.Context()); err != nil {
		return err
	}
	id := r.PathValue("id")
	d, fields, err := s.readPhoto(w, r)
	if err == nil {
		ctx, cancel := s.photoStoreContext(r)
		defer cancel()
		_, err = s.Photos.AddPhoto(ctx, fpr.PhotoOwner{ReviewID: id}, d)
	}
	productID := fields.Get("product_id")
	if err != nil {
		if productID == "" {
			return err
		}
		return s.productFormFailure(w, r, productID, err, func(p *productPage, st formState) { p.PhotoForm = st })
	}
	return s.redirect(w, r, productURL(productID)+"#your-review", "photo-added")
}

// handlePhotoDelete handles POST /photos/{id}/delete, returning to the
// page named by the form's next field.
func (s *Server) handlePhotoDelete(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r.Context()); err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	if err := s.Photos.DeletePhoto(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	return s.redirect(w, r, fpr.SafeNext(r.PostForm.Get("next")), "photo-deleted")
}

// handleProductPhotoSet handles POST /products/{id}/photo (multipart): the
// producer sets the product's photo from its admin page.
func (s *Server) handleProductPhotoSet(w http.ResponseWriter, r *http.Request) error {
	return s.ownerPhotoSet(w, r, fpr.PhotoOwner{ProductID: r.PathValue("id")}, "/admin/products/"+url.PathEscape(r.PathValue("id")))
}

// handleFarmPhotoSet handles POST /farms/{id}/photo (multipart): the
// producer sets the farm's photo from its admin page.
func (s *Server) handleFarmPhotoSet(w http.ResponseWriter, r *http.Request) error {
	return s.ownerPhotoSet(w, r, fpr.PhotoOwner{FarmID: r.PathValue("id")}, "/admin/farms/"+url.PathEscape(r.PathValue("id")))
}

// ownerPhotoSet stores a product's or farm's photo and returns to back. A
// refused file shows the error page with its message (the admin pages'
// other forms keep their own state).
func (s *Server) ownerPhotoSet(w http.ResponseWriter, r *http.Request, o fpr.PhotoOwner, back string) error {
	if _, err := requireUser(r.Context()); err != nil {
		return err
	}
	d, _, err := s.readPhoto(w, r)
	if err != nil {
		return err
	}
	ctx, cancel := s.photoStoreContext(r)
	defer cancel()
	if _, err := s.Photos.AddPhoto(ctx, o, d); err != nil {
		return err
	}
	return s.redirect(w, r, back, "photo-set")
}
