package http

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/fpr-team/fpr"
)

// The review forms of the product page: write, edit and delete one's
// review, vote helpful, flag, and the farm's reply. Each form carries the
// product's ID (hidden product_id) so a failure can re-render the product
// page with the user's input and the errors beside the fields.

func productURL(id string) string { return "/products/" + url.PathEscape(id) }

// handleReviewCreate handles POST /products/{id}/reviews.
func (s *Server) handleReviewCreate(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r.Context()); err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	f := reviewFormFrom(r)
	rv := &fpr.Review{ProductID: r.PathValue("id"), Rating: f.Rating, Title: f.Title, Body: f.Body,
		Harvest: f.Harvest, Aspects: f.Aspects, PurchaseCode: f.PurchaseCode}
	if err := s.Reviews.CreateReview(r.Context(), rv); err != nil {
		return s.productFormFailure(w, r, rv.ProductID, err, func(p *productPage, st formState) {
			f.formState = st
			f.Category = p.Product.Category
			p.ReviewForm = f
		})
	}
	flash := "review-published"
	if rv.Status != fpr.StatusPublished {
		flash = "review-pending"
	}
	return s.redirect(w, r, productURL(rv.ProductID)+"#your-review", flash)
}

// handleReviewUpdate handles POST /reviews/{id}/edit.
func (s *Server) handleReviewUpdate(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r.Context()); err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	f := reviewFormFrom(r)
	rv, err := s.Reviews.UpdateReview(r.Context(), r.PathValue("id"), fpr.ReviewUpdate{Rating: &f.Rating, Title: &f.Title, Body: &f.Body,
		Harvest: &f.Harvest, Aspects: &f.Aspects})
	if err != nil {
		return s.productFormFailure(w, r, r.PostForm.Get("product_id"), err, func(p *productPage, st formState) {
			f.formState = st
			f.Category = p.Product.Category
			p.ReviewForm = f
		})
	}
	return s.redirect(w, r, productURL(rv.ProductID)+"#your-review", "review-updated")
}

// reviewFormFrom reads the review form: aspect scores come from fields
// named aspect_<name>, an empty one meaning "not rated".
func reviewFormFrom(r *http.Request) reviewForm {
	rating, _ := strconv.Atoi(r.PostForm.Get("rating")) // not a number: 0, which the service refuses
	f := reviewForm{Rating: rating, Title: r.PostForm.Get("title"), Body: r.PostForm.Get("body"),
		Harvest: r.PostForm.Get("harvest"), PurchaseCode: strings.TrimSpace(r.PostForm.Get("purchase_code")),
		Aspects: map[fpr.Aspect]int{}}
	for k, v := range r.PostForm {
		name, ok := strings.CutPrefix(k, "aspect_")
		if !ok || len(v) == 0 || v[0] == "" {
			continue
		}
		n, _ := strconv.Atoi(v[0]) // not a number: 0, which the service refuses
		f.Aspects[fpr.Aspect(name)] = n
	}
	return f
}

// handleReviewDelete handles POST /reviews/{id}/delete, by the author or a
// moderator; it returns to the page named by the form's next field.
func (s *Server) handleReviewDelete(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r.Context()); err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	if err := s.Reviews.DeleteReview(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	return s.redirect(w, r, fpr.SafeNext(r.PostForm.Get("next")), "review-deleted")
}

// handleHelpfulSet handles POST /reviews/{id}/helpful with helpful=1 to vote
// and helpful=0 to withdraw the vote.
func (s *Server) handleHelpfulSet(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r.Context()); err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	id := r.PathValue("id")
	helpful := r.PostForm.Get("helpful") != "0"
	if err := s.Reviews.SetHelpful(r.Context(), id, helpful); err != nil {
		return err
	}
	flash := "vote-saved"
	if !helpful {
		flash = "vote-withdrawn"
	}
	return s.redirect(w, r, fpr.SafeNext(r.PostForm.Get("next"))+"#review-"+id, flash)
}

// handleFlagCreate handles POST /reviews/{id}/flag.
func (s *Server) handleFlagCreate(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r.Context()); err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	id := r.PathValue("id")
	f := flagForm{Reason: r.PostForm.Get("reason"), Note: r.PostForm.Get("note")}
	if err := s.Reviews.FlagReview(r.Context(), &fpr.Flag{ReviewID: id, Reason: fpr.FlagReason(f.Reason), Note: f.Note}); err != nil {
		return s.productFormFailure(w, r, r.PostForm.Get("product_id"), err, setOnReview(id, func(pr *productReview, st formState) {
			f.formState = st
			pr.FlagForm = f
		}))
	}
	return s.redirect(w, r, productURL(r.PostForm.Get("product_id"))+"#review-"+id, "flagged")
}

// handleReplySet handles POST /reviews/{id}/reply: the farm's reply.
func (s *Server) handleReplySet(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r.Context()); err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	id := r.PathValue("id")
	f := replyForm{Body: r.PostForm.Get("body")}
	rv, err := s.Reviews.SetReply(r.Context(), id, f.Body)
	if err != nil {
		return s.productFormFailure(w, r, r.PostForm.Get("product_id"), err, setOnReview(id, func(pr *productReview, st formState) {
			f.formState = st
			pr.ReplyForm = f
		}))
	}
	return s.redirect(w, r, productURL(rv.ProductID)+"#review-"+id, "reply-saved")
}

// productFormFailure re-renders the product page after a form on it
// failed with a validation or conflict error: set puts the user's input
// and the form state (message, errors by field) in place. Other errors go
// to the page adapter.
func (s *Server) productFormFailure(w http.ResponseWriter, r *http.Request, productID string, err error, set func(p *productPage, st formState)) error {
	if productID == "" {
		return err
	}
	return formFailed(s, w, r, err, "product", func() (*productPage, error) { return s.productPage(w, r, productID) }, set)
}

// setOnReview returns a setter for the forms of one review on the page.
func setOnReview(id string, apply func(pr *productReview, st formState)) func(*productPage, formState) {
	return func(p *productPage, st formState) {
		for i := range p.Reviews {
			if p.Reviews[i].ID == id {
				apply(&p.Reviews[i], st)
			}
		}
	}
}
