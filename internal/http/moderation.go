package http

import (
	"net/http"
	"net/url"

	"github.com/fpr-team/fpr"
)

// The moderation pages: the queue of pending and flagged reviews with a
// decision form on each, and one review's page with its audit log. The
// ModerationService decides who may use them (moderators and admins).

type moderationPage struct {
	basePage
	Status  string // "", "pending" or "flagged"
	Items   []moderationItem
	NextURL string
}

// moderationItem is a queue entry with its decision form.
type moderationItem struct {
	*fpr.ModerationItem
	Form moderationForm
}

// moderationForm is a decision: publish, reject or remove, with a note.
type moderationForm struct {
	Action string
	Note   string
	Reason string
	formState
}

// ActionChoices are the decisions.
func (f moderationForm) ActionChoices() []option {
	return options(f.Action, "publish=Publish", "reject=Reject", "remove=Remove")
}

// ReasonChoices are the reasons a rejection or removal may give.
func (f moderationForm) ReasonChoices() []option {
	out := []option{{Value: "", Label: "No reason given", Selected: f.Reason == ""}}
	for _, r := range fpr.FlagReasons {
		out = append(out, option{Value: string(r), Label: flagReasonLabels[r], Selected: f.Reason == string(r)})
	}
	return out
}

// StatusOptions are the queue filters.
func (p moderationPage) StatusOptions() []option {
	return options(p.Status, "=Pending and flagged", "pending=Pending", "flagged=Flagged")
}

// QueueURL is the queue with the current filter, where a decision
// returns.
func (p moderationPage) QueueURL() string {
	if p.Status == "" {
		return "/moderation"
	}
	return "/moderation?status=" + url.QueryEscape(p.Status)
}

// decisionView is what the "decision" partial gets.
type decisionView struct {
	ReviewID string
	Next     string
	Form     moderationForm
}

// FlagReasons lists flag reasons with their counts, in display order.
func (it moderationItem) FlagReasons() []flagCount {
	var out []flagCount
	for _, r := range fpr.FlagReasons {
		if n := it.Flags[r]; n > 0 {
			out = append(out, flagCount{Reason: string(r), Count: n})
		}
	}
	return out
}

type flagCount struct {
	Reason string
	Count  int
}

// handleModerationQueueList handles GET /moderation?status=&cursor=.
func (s *Server) handleModerationQueueList(w http.ResponseWriter, r *http.Request) error {
	p, err := s.moderationPage(w, r)
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "moderation", p)
}

func (s *Server) moderationPage(w http.ResponseWriter, r *http.Request) (*moderationPage, error) {
	if _, err := requireUser(r.Context()); err != nil {
		return nil, err
	}
	q := r.URL.Query()
	p := &moderationPage{Status: q.Get("status")}
	items, next, err := s.Moderation.FindModerationQueue(r.Context(), fpr.ModerationFilter{Status: p.Status, Page: fpr.Page{Cursor: q.Get("cursor")}})
	if err != nil {
		return nil, err
	}
	for _, it := range items {
		p.Items = append(p.Items, moderationItem{ModerationItem: it})
	}
	if next != "" {
		v := url.Values{"cursor": {next}}
		if p.Status != "" {
			v.Set("status", p.Status)
		}
		p.NextURL = "/moderation?" + v.Encode()
	}
	p.basePage = s.base(w, r, "Moderation")
	return p, nil
}

type moderationReviewPage struct {
	basePage
	Review      *fpr.Review
	ProductName string
	Log         []*fpr.ModerationEntry
	Form        moderationForm
}

// handleModerationReviewShow handles GET /moderation/reviews/{id}: one review,
// its audit log and the decision form.
func (s *Server) handleModerationReviewShow(w http.ResponseWriter, r *http.Request) error {
	p, err := s.moderationReviewPage(w, r, r.PathValue("id"))
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "moderation_review", p)
}

func (s *Server) moderationReviewPage(w http.ResponseWriter, r *http.Request, id string) (*moderationReviewPage, error) {
	u, err := requireUser(r.Context())
	if err != nil {
		return nil, err
	}
	if !u.CanModerate() {
		// FindReviewByID would show an author their own review here; the
		// page is the moderators'.
		return nil, fpr.Errorf(fpr.CodeForbidden, "Only moderators can see this page.")
	}
	rv, err := s.Reviews.FindReviewByID(r.Context(), id)
	if err != nil {
		return nil, err
	}
	log, err := s.Moderation.FindModerationLog(r.Context(), id)
	if err != nil {
		return nil, err
	}
	p := &moderationReviewPage{Review: rv, Log: log, ProductName: "(a product that was removed)"}
	if prod, err := s.Products.FindProductByID(r.Context(), rv.ProductID); err == nil {
		p.ProductName = prod.Name
	} else if fpr.ErrorCode(err) != fpr.CodeNotFound {
		return nil, err
	}
	p.basePage = s.base(w, r, "Review by "+rv.Author.DisplayName)
	return p, nil
}

// handleReviewModerate handles POST /moderation/reviews/{id}: a decision from
// the queue (next=/moderation…) or the review's page.
func (s *Server) handleReviewModerate(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r.Context()); err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	id := r.PathValue("id")
	f := moderationForm{Action: r.PostForm.Get("action"), Note: r.PostForm.Get("note"), Reason: r.PostForm.Get("reason")}
	next := fpr.SafeNext(r.PostForm.Get("next"))
	if _, err := s.Moderation.ModerateReview(r.Context(), id, fpr.ModerationAction(f.Action), f.Note, fpr.FlagReason(f.Reason)); err != nil {
		if next == "/moderation/reviews/"+id {
			return formFailed(s, w, r, err, "moderation_review", func() (*moderationReviewPage, error) { return s.moderationReviewPage(w, r, id) },
				func(p *moderationReviewPage, st formState) {
					f.formState = st
					p.Form = f
				})
		}
		return formFailed(s, w, r, err, "moderation", func() (*moderationPage, error) { return s.moderationPage(w, r) },
			func(p *moderationPage, st formState) {
				f.formState = st
				for i := range p.Items {
					if p.Items[i].Review.ID == id {
						p.Items[i].Form = f
					}
				}
			})
	}
	return s.redirect(w, r, next, "moderated")
}
