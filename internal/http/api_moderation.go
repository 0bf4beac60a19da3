package http

import (
	"net/http"

	"github.com/fpr-team/fpr"
)

// apiProductRefJSON is the API's ProductRef.
type apiProductRefJSON struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

type apiFlagCountJSON struct {
	Reason fpr.FlagReason `json:"reason"`
	Count  int            `json:"count"`
}

// apiOpenFlagJSON is one unresolved flag as moderators see it.
type apiOpenFlagJSON struct {
	Reason    fpr.FlagReason `json:"reason"`
	Note      string         `json:"note"`
	Counts    bool           `json:"counts"`
	CreatedAt string         `json:"created_at"`
}

// apiModerationItemJSON is the API's ModerationItem.
type apiModerationItemJSON struct {
	Review    apiReviewJSON      `json:"review"`
	Product   apiProductRefJSON  `json:"product"`
	FlagCount int                `json:"flag_count"`
	Flags     []apiFlagCountJSON `json:"flags"`
	// FoodSafety is true while a food-safety report is open.
	FoodSafety bool              `json:"food_safety"`
	OpenFlags  []apiOpenFlagJSON `json:"open_flags"`
}

// apiModerationItem builds a queue entry; flags are listed in the order of
// fpr.FlagReasons, reasons without flags left out.
func apiModerationItem(it *fpr.ModerationItem) apiModerationItemJSON {
	j := apiModerationItemJSON{
		Review:     apiReview(it.Review),
		Product:    apiProductRefJSON{ID: it.Review.ProductID, Name: it.ProductName},
		FlagCount:  it.FlagCount,
		Flags:      []apiFlagCountJSON{},
		FoodSafety: it.FoodSafety,
		OpenFlags:  []apiOpenFlagJSON{},
	}
	for _, f := range it.OpenFlags {
		j.OpenFlags = append(j.OpenFlags, apiOpenFlagJSON{Reason: f.Reason, Note: f.Note, Counts: f.Counts, CreatedAt: apiTime(f.CreatedAt)})
	}
	for _, reason := range fpr.FlagReasons {
		if n := it.Flags[reason]; n > 0 {
			j.Flags = append(j.Flags, apiFlagCountJSON{Reason: reason, Count: n})
		}
	}
	return j
}

type apiModerationQueueJSON struct {
	Items      []apiModerationItemJSON `json:"items"`
	NextCursor *string                 `json:"next_cursor"`
}

// apiModerationEntryJSON is the API's ModerationLogEntry.
type apiModerationEntryJSON struct {
	ID        string               `json:"id"`
	ReviewID  string               `json:"review_id"`
	Moderator apiAuthorJSON        `json:"moderator"`
	Action    fpr.ModerationAction `json:"action"`
	Note      string               `json:"note"`
	Reason    *fpr.FlagReason      `json:"reason"`
	CreatedAt string               `json:"created_at"`
}

func apiModerationEntry(e *fpr.ModerationEntry) apiModerationEntryJSON {
	j := apiModerationEntryJSON{ID: e.ID, ReviewID: e.ReviewID, Moderator: apiAuthor(e.Moderator),
		Action: e.Action, Note: e.Note, CreatedAt: apiTime(e.CreatedAt)}
	if e.Reason != "" {
		reason := e.Reason
		j.Reason = &reason
	}
	return j
}

// apiModerationLogJSON is the API's ModerationLog: the whole log of one
// review on one page, so next_cursor is always null.
type apiModerationLogJSON struct {
	Items      []apiModerationEntryJSON `json:"items"`
	NextCursor *string                  `json:"next_cursor"`
}

// handleAPIModerationQueueList handles GET /api/v1/moderation/queue?status=:
// pending and flagged reviews, oldest first. Moderators and admins.
func (s *Server) handleAPIModerationQueueList(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r.Context()); err != nil {
		return err
	}
	page, err := pageFromQuery(r)
	if err != nil {
		return err
	}
	items, next, err := s.Moderation.FindModerationQueue(r.Context(), fpr.ModerationFilter{Status: r.URL.Query().Get("status"), Page: page})
	if err != nil {
		return err
	}
	out := apiModerationQueueJSON{Items: make([]apiModerationItemJSON, 0, len(items)), NextCursor: nextCursor(next)}
	for _, it := range items {
		out.Items = append(out.Items, apiModerationItem(it))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// handleAPIReviewModerate handles POST /api/v1/moderation/reviews/{id} {action,
// note, reason?}: a moderator's decision, audited.
func (s *Server) handleAPIReviewModerate(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r.Context()); err != nil {
		return err
	}
	var in struct {
		Action fpr.ModerationAction `json:"action"`
		Note   string               `json:"note"`
		Reason fpr.FlagReason       `json:"reason"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	rv, err := s.Moderation.ModerateReview(r.Context(), r.PathValue("id"), in.Action, in.Note, in.Reason)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, apiReviewEnvelope{Review: apiReview(rv)})
	return nil
}

// handleAPIModerationLogList handles GET /api/v1/moderation/reviews/{id}/log:
// the review's decisions, oldest first. Moderators and admins.
func (s *Server) handleAPIModerationLogList(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r.Context()); err != nil {
		return err
	}
	entries, err := s.Moderation.FindModerationLog(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	out := apiModerationLogJSON{Items: make([]apiModerationEntryJSON, 0, len(entries))}
	for _, e := range entries {
		out.Items = append(out.Items, apiModerationEntry(e))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// apiModerationCountsJSON is the API's ModerationCounts.
type apiModerationCountsJSON struct {
	Removed  map[fpr.FlagReason]int `json:"removed"`
	Rejected map[fpr.FlagReason]int `json:"rejected"`
}

// handleAPIProductModerationShow handles GET /api/v1/products/{id}/moderation:
// the product's reject and remove decisions counted by reason, for anyone.
func (s *Server) handleAPIProductModerationShow(w http.ResponseWriter, r *http.Request) error {
	c, err := s.Moderation.FindModerationCounts(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, apiModerationCountsJSON{Removed: c.Removed, Rejected: c.Rejected})
	return nil
}
