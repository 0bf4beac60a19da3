package http

import (
	"net/http"
	"net/url"

	"github.com/fpr-team/fpr"
)

// userPage is a person's public page: their display name and published
// reviews (GET /api/v1/users/{id}/reviews as a page).
type userPage struct {
	basePage
	Person  fpr.Author
	Since   string
	Reviews []namedReview
	NextURL string
}

// handleUserShow handles GET /users/{id}.
func (s *Server) handleUserShow(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	u, err := s.Users.FindUserByID(ctx, r.PathValue("id"))
	if err != nil {
		return err
	}
	reviews, next, err := s.Reviews.FindReviews(ctx, fpr.ReviewFilter{AuthorID: &u.ID, Sort: fpr.ReviewSortNewest,
		Page: fpr.Page{Cursor: r.URL.Query().Get("cursor")}})
	if err != nil {
		return err
	}
	// The author sees their own reviews in every status on their account
	// page; this page is the public view.
	var public []*fpr.Review
	for _, rv := range reviews {
		if rv.Status == fpr.StatusPublished {
			public = append(public, rv)
		}
	}
	p := &userPage{basePage: s.base(w, r, u.DisplayName), Person: fpr.Author{ID: u.ID, DisplayName: u.DisplayName},
		Since: u.CreatedAt.UTC().Format("January 2006")}
	if p.Reviews, err = s.withProductNames(r, public); err != nil {
		return err
	}
	if next != "" {
		p.NextURL = "/users/" + url.PathEscape(u.ID) + "?cursor=" + url.QueryEscape(next)
	}
	return s.render(w, r, http.StatusOK, "user", p)
}
