package http

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"

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
	// Harvest is "YYYY-MM" or null.
	Harvest          *string        `json:"harvest"`
	VerifiedPurchase bool           `json:"verified_purchase"`
	Aspects          map[string]int `json:"aspects"`
	// Edited is true when an edit left an earlier version (history).
	Edited bool           `json:"edited"`
	Photos []apiPhotoJSON `json:"photos"`
}

// apiPhotoJSON is the API's Photo.
type apiPhotoJSON struct {
	ID           string `json:"id"`
	URL          string `json:"url"`
	ThumbnailURL string `json:"thumbnail_url"`
	Width        int    `json:"width"`
	Height       int    `json:"height"`
}

func apiPhoto(p *fpr.Photo) apiPhotoJSON {
	return apiPhotoJSON{ID: p.ID, URL: photoURL(p.ID, false), ThumbnailURL: photoURL(p.ID, true), Width: p.Width, Height: p.Height}
}

// apiPhotoRef is the JSON of a product's or farm's photo: null when none.
func apiPhotoRef(p *fpr.Photo) *apiPhotoJSON {
	if p == nil {
		return nil
	}
	j := apiPhoto(p)
	return &j
}

// apiReview builds the JSON of a review.
func apiReview(r *fpr.Review) apiReviewJSON {
	j := apiReviewJSON{
		ID: r.ID, ProductID: r.ProductID, Author: apiAuthor(r.Author), Rating: r.Rating, Title: r.Title, Body: r.Body,
		Status: r.Status, HelpfulCount: r.HelpfulCount, CreatedAt: apiTime(r.CreatedAt), UpdatedAt: apiTime(r.UpdatedAt),
		VerifiedPurchase: r.VerifiedPurchase, Aspects: map[string]int{}, Edited: r.Revisions > 0,
		Photos: make([]apiPhotoJSON, 0, len(r.Photos)),
	}
	if r.Harvest != "" {
		h := r.Harvest
		j.Harvest = &h
	}
	for a, n := range r.Aspects {
		j.Aspects[string(a)] = n
	}
	for _, p := range r.Photos {
		j.Photos = append(j.Photos, apiPhoto(p))
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
// product's published reviews, sorted, and filtered by star value, harvest
// year and verified purchase.
func (s *Server) handleAPIProductReviewList(w http.ResponseWriter, r *http.Request) error {
	query := r.URL.Query()
	f, err := fpr.ParseReviewQuery(query)
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	f.ProductID = &id
	// The page is the same for every viewer (apiReview shows nothing of
	// the viewer's own, such as their votes): kept for all of them.
	c := s.reviewPages
	return s.servePublic(w, r, c, reviewPageKey(id, query), id, storedReviewPage(f), func(stamp int64, known, keep bool) (any, int64, error) {
		if keep && !known {
			var err error
			if stamp, err = s.Products.ProductStamp(r.Context(), id); err != nil {
				return nil, 0, err
			}
		}
		reviews, next, err := s.Reviews.FindReviews(r.Context(), f)
		if err != nil {
			return nil, 0, err
		}
		return apiReviewList(reviews, next), stamp, nil
	})
}

// storedReviewPage returns the variant under which the database keeps
// the page of reviews f chooses (servePublic), or "" for a page not kept
// there. Only a product's first page in each sort, of the default size and
// unfiltered, is: the page its product page and most clients ask for, and
// a handful of pages a product, whatever a client asks for.
func storedReviewPage(f fpr.ReviewFilter) string {
	if f.Cursor != "" || f.Limit != fpr.DefaultLimit || f.Rating != nil || f.HarvestYear != nil || f.Verified {
		return ""
	}
	return "reviews/" + string(f.Sort)
}

// reviewPageParams are the query parameters that choose a page of a
// product's reviews: those of the OpenAPI operation listProductReviews
// (TestReviewPageKey_NamesEveryParameter keeps the two lists equal).
var reviewPageParams = []string{"sort", "rating", "harvest_year", "verified", "limit", "cursor"}

// reviewPageKey names a page of product id's reviews by the values of
// reviewPageParams as they came (the first of each, as
// fpr.ParseReviewQuery reads them). Other parameters are ignored by the
// page and by the key, so a client cannot fill the cache with copies of
// one page.
func reviewPageKey(id string, q url.Values) string {
	var b strings.Builder
	b.WriteString(id)
	for _, name := range reviewPageParams {
		b.WriteByte(0)
		b.WriteString(q.Get(name))
	}
	return b.String()
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
// {rating, title, body, harvest?, aspects?, purchase_code?}, retry-safe
// with an Idempotency-Key.
func (s *Server) handleAPIReviewCreate(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r.Context()); err != nil {
		return err
	}
	return s.idempotent(w, r, func(w http.ResponseWriter, r *http.Request) error {
		var in struct {
			Rating       int                `json:"rating"`
			Title        string             `json:"title"`
			Body         string             `json:"body"`
			Harvest      string             `json:"harvest"`
			Aspects      map[fpr.Aspect]int `json:"aspects"`
			PurchaseCode string             `json:"purchase_code"`
		}
		if err := decodeJSON(w, r, &in); err != nil {
			return err
		}
		rv := &fpr.Review{ProductID: r.PathValue("id"), Rating: in.Rating, Title: in.Title, Body: in.Body,
			Harvest: in.Harvest, Aspects: in.Aspects, PurchaseCode: in.PurchaseCode}
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
// title?, body?, harvest?, aspects?}: the author changes their review; a
// null harvest clears it.
func (s *Server) handleAPIReviewUpdate(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r.Context()); err != nil {
		return err
	}
	var in struct {
		Rating  *int                `json:"rating"`
		Title   *string             `json:"title"`
		Body    *string             `json:"body"`
		Harvest optionalString      `json:"harvest"`
		Aspects *map[fpr.Aspect]int `json:"aspects"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	upd := fpr.ReviewUpdate{Rating: in.Rating, Title: in.Title, Body: in.Body, Aspects: in.Aspects}
	if in.Harvest.Set {
		upd.Harvest = &in.Harvest.Value
	}
	rv, err := s.Reviews.UpdateReview(r.Context(), r.PathValue("id"), upd)
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

// optionalString is a JSON string field that may be absent (Set false),
// null (Set, Value "") or a string.
type optionalString struct {
	Set   bool
	Value string
}

// UnmarshalJSON implements json.Unmarshaler.
func (o *optionalString) UnmarshalJSON(b []byte) error {
	o.Set = true
	if string(b) == "null" {
		o.Value = ""
		return nil
	}
	return json.Unmarshal(b, &o.Value)
}

// apiRevisionJSON is the API's ReviewRevision: an earlier version.
type apiRevisionJSON struct {
	Rating     int     `json:"rating"`
	Title      string  `json:"title"`
	Body       string  `json:"body"`
	Harvest    *string `json:"harvest"`
	WrittenAt  string  `json:"written_at"`
	ReplacedAt string  `json:"replaced_at"`
}

type apiReviewHistoryJSON struct {
	Items      []apiRevisionJSON `json:"items"`
	NextCursor *string           `json:"next_cursor"`
}

// handleAPIReviewHistoryList handles GET /api/v1/reviews/{id}/history: the
// earlier versions of a review, oldest first, on one page.
func (s *Server) handleAPIReviewHistoryList(w http.ResponseWriter, r *http.Request) error {
	revs, err := s.Reviews.FindReviewHistory(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	out := apiReviewHistoryJSON{Items: make([]apiRevisionJSON, 0, len(revs))}
	for _, v := range revs {
		j := apiRevisionJSON{Rating: v.Rating, Title: v.Title, Body: v.Body, WrittenAt: apiTime(v.WrittenAt), ReplacedAt: apiTime(v.ReplacedAt)}
		if v.Harvest != "" {
			h := v.Harvest
			j.Harvest = &h
		}
		out.Items = append(out.Items, j)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
