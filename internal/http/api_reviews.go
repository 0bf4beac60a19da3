package http

import (
	"fmt"
	"net/http"

	"github.com/fpr-team/fpr"
)

// apiAuthorJSON is the API's UserRef: the public face of a user.
type apiAuthorJSON struct {
	ID          string `json:"id"`
	DisplayName string `json:"display_name"`
}

func apiAuthor(a fpr.Author) apiAuthorJSON {
	return apiAuthorJSON{ID: a.ID, DisplayName: a.DisplayName}
}

// apiReplyJSON is the API's Reply.
type apiReplyJSON struct {
	Body      string        `json:"body"`
	Author    apiAuthorJSON `json:"author"`
	CreatedAt string        `json:"created_at"`
	UpdatedAt string        `json:"updated_at"`
}

// apiReviewJSON is the API's Review.
type apiReviewJSON struct {
	ID           string           `json:"id"`
	ProductID    string           `json:"product_id"`
	Author       apiAuthorJSON    `json:"author"`
	Rating       int              `json:"rating"`
	Title        string           `json:"title"`
	Body         string           `json:"body"`
	Status       fpr.ReviewStatus `json:"status"`
	HelpfulCount int              `json:"helpful_count"`
	CreatedAt    string           `json:"created_at"`
	UpdatedAt    string           `json:"updated_at"`
	Reply        *apiReplyJSON    `json:"reply"`
}

// apiReview builds the JSON of a review.
func apiReview(r *fpr.Review) apiReviewJSON {
	j := apiReviewJSON{
		ID: r.ID, ProductID: r.ProductID, Author: apiAuthor(r.Author), Rating: r.Rating, Title: r.Title, Body: r.Body,
		Status: r.Status, HelpfulCount: r.HelpfulCount, CreatedAt: apiTime(r.CreatedAt), UpdatedAt: apiTime(r.UpdatedAt),
	}
	if r.Reply != nil {
		j.Reply = &apiReplyJSON{Body: r.Reply.Body, Author: apiAuthor(r.Reply.Author),
			CreatedAt: apiTime(r.Reply.CreatedAt), UpdatedAt: apiTime(r.Reply.UpdatedAt)}
	}
	return j
}

type apiReviewEnvelope struct {
	Review apiReviewJSON `json:"review"`
}

type apiReviewListJSON struct {
	Items      []apiReviewJSON `json:"items"`
	NextCursor *string         `json:"next_cursor"`
}

func apiReviewList(reviews []*fpr.Review, next string) apiReviewListJSON {
	out := apiReviewListJSON{Items: make([]apiReviewJSON, 0, len(reviews)), NextCursor: nextCursor(next)}
	for _, r := range reviews {
		out.Items = append(out.Items, apiReview(r))
	}
	return out
}

// apiFlagJSON is the API's Flag. The flagging user is not shown.
type apiFlagJSON struct {
	ID        string         `json:"id"`
	ReviewID  string         `json:"review_id"`
	Reason    fpr.FlagReason `json:"reason"`
	Note      string         `json:"note"`
	CreatedAt string         `json:"created_at"`
}

func apiFlag(f *fpr.Flag) apiFlagJSON {
	return apiFlagJSON{ID: f.ID, ReviewID: f.ReviewID, Reason: f.Reason, Note: f.Note, CreatedAt: apiTime(f.CreatedAt)}
}

type apiFlagEnvelope struct {
	Flag apiFlagJSON `json:"flag"`
}

// handleAPIProductReviewList handles GET /api/v1/products/{id}/reviews: the
// product's published reviews, sorted and filtered by star value.
func (s *Server) handleAPIProductReviewList(w http.ResponseWriter, r *http.Request) error {
	f, err := fpr.ParseReviewQuery(r.URL.Query())
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	f.ProductID = &id
	reviews, next, err := s.Reviews.FindReviews(r.Context(), f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, apiReviewList(reviews, next))
	return nil
}

// handleAPIUserReviewList handles GET /api/v1/users/{id}/reviews: a user's
// published reviews, newest first; all of them for the user themselves.
func (s *Server) handleAPIUserReviewList(w http.ResponseWriter, r *http.Request) error {
	page, err := pageFromQuery(r)
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	reviews, next, err := s.Reviews.FindReviews(r.Context(), fpr.ReviewFilter{AuthorID: &id, Sort: fpr.ReviewSortNewest, Page: page})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, apiReviewList(reviews, next))
	return nil
}

// handleAPIReviewCreate handles POST /api/v1/products/{id}/reviews
// {rating, title, body}, retry-safe with an Idempotency-Key.
func (s *Server) handleAPIReviewCreate(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r.Context()); err != nil {
		return err
	}
	return s.idempotent(w, r, func(w http.ResponseWriter, r *http.Request) error {
		var in struct {
			Rating int    `json:"rating"`
			Title  string `json:"title"`
			Body   string `json:"body"`
		}
		if err := decodeJSON(w, r, &in); err != nil {
			return err
		}
		rv := &fpr.Review{ProductID: r.PathValue("id"), Rating: in.Rating, Title: in.Title, Body: in.Body}
		if err := s.Reviews.CreateReview(r.Context(), rv); err != nil {
			return err
		}
		writeJSON(w, http.StatusCreated, apiReviewEnvelope{Review: apiReview(rv)})
		return nil
	}, func(written any) (any, error) {
		rv, ok := written.(*fpr.Review)
		if !ok {
			return nil, fmt.Errorf("idempotent review: wrote a %T", written)
		}
		return apiReviewEnvelope{Review: apiReview(rv)}, nil
	})
}

// handleAPIReviewShow handles GET /api/v1/reviews/{id}.
func (s *Server) handleAPIReviewShow(w http.ResponseWriter, r *http.Request) error {
	rv, err := s.Reviews.FindReviewByID(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, apiReviewEnvelope{Review: apiReview(rv)})
	return nil
}

// handleAPIReviewUpdate handles PATCH /api/v1/reviews/{id} {rating?,
// title?, body?}: the author changes their review.
func (s *Server) handleAPIReviewUpdate(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r.Context()); err != nil {
		return err
	}
	var in struct {
		Rating *int    `json:"rating"`
		Title  *string `json:"title"`
		Body   *string `json:"body"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	rv, err := s.Reviews.UpdateReview(r.Context(), r.PathValue("id"), fpr.ReviewUpdate{Rating: in.Rating, Title: in.Title, Body: in.Body})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, apiReviewEnvelope{Review: apiReview(rv)})
	return nil
}

// handleAPIReviewDelete handles DELETE /api/v1/reviews/{id}.
func (s *Server) handleAPIReviewDelete(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r.Context()); err != nil {
		return err
	}
	if err := s.Reviews.DeleteReview(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// handleAPIHelpfulSet handles PUT /api/v1/reviews/{id}/helpful.
func (s *Server) handleAPIHelpfulSet(w http.ResponseWriter, r *http.Request) error {
	return s.setHelpful(w, r, true)
}

// handleAPIHelpfulDelete handles DELETE /api/v1/reviews/{id}/helpful.
func (s *Server) handleAPIHelpfulDelete(w http.ResponseWriter, r *http.Request) error {
	return s.setHelpful(w, r, false)
}

func (s *Server) setHelpful(w http.ResponseWriter, r *http.Request, helpful bool) error {
	if _, err := requireUser(r.Context()); err != nil {
		return err
	}
	if err := s.Reviews.SetHelpful(r.Context(), r.PathValue("id"), helpful); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// handleAPIFlagCreate handles POST /api/v1/reviews/{id}/flags {reason,
// note?}.
func (s *Server) handleAPIFlagCreate(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r.Context()); err != nil {
		return err
	}
	var in struct {
		Reason fpr.FlagReason `json:"reason"`
		Note   string         `json:"note"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	f := &fpr.Flag{ReviewID: r.PathValue("id"), Reason: in.Reason, Note: in.Note}
	if err := s.Reviews.FlagReview(r.Context(), f); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, apiFlagEnvelope{Flag: apiFlag(f)})
	return nil
}

// handleAPIReplySet handles PUT /api/v1/reviews/{id}/reply {body}: the
// farm's reply, created or edited.
func (s *Server) handleAPIReplySet(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r.Context()); err != nil {
		return err
	}
	var in struct {
		Body string `json:"body"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	rv, err := s.Reviews.SetReply(r.Context(), r.PathValue("id"), in.Body)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, apiReviewEnvelope{Review: apiReview(rv)})
	return nil
}
