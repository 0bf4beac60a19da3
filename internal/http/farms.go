package http

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/fpr-team/fpr"
)

// The farm pages of SPEC section 8: the directory (/farms), the
// application form (/account/farm-application), the admins' list of
// applications (/admin/farm-applications) and a producer's review inbox
// (/account/farm-reviews). The farm page is in farm.go, embeds and the
// badge in embed.go.

type farmsPage struct {
	basePage
	Farms   []*fpr.Farm
	Query   string
	Region  string
	Sort    string
	Regions []option
	Sorts   []sortLink
	NextURL string
}

// sortLink is one choice of a list's sort.
type sortLink struct {
	Label, URL string
	Current    bool
}

// handleFarmList handles GET /farms?q=&region=&sort=&cursor=: the farm
// directory.
func (s *Server) handleFarmList(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f, err := fpr.ParseFarmQuery(q)
	if err != nil {
		return err
	}
	farms, next, err := s.Farms.FindFarms(r.Context(), f)
	if err != nil {
		return err
	}
	regions, err := s.Farms.FindRegions(r.Context())
	if err != nil {
		return err
	}
	p := &farmsPage{basePage: s.base(w, r, "Farms"), Farms: farms, Query: q.Get("q"), Region: q.Get("region"), Sort: string(f.Sort)}
	choices := []string{"=All regions"}
	for _, reg := range regions {
		choices = append(choices, reg+"="+reg)
	}
	p.Regions = options(p.Region, choices...)
	link := func(sort fpr.FarmSort, cursor string) string {
		v := url.Values{}
		if p.Query != "" {
			v.Set("q", p.Query)
		}
		if p.Region != "" {
			v.Set("region", p.Region)
		}
		if sort != fpr.FarmSortName {
			v.Set("sort", string(sort))
		}
		if cursor != "" {
			v.Set("cursor", cursor)
		}
		if len(v) == 0 {
			return "/farms"
		}
		return "/farms?" + v.Encode()
	}
	for _, x := range []struct {
		sort  fpr.FarmSort
		label string
	}{{fpr.FarmSortName, "Name"}, {fpr.FarmSortTopRated, "Top rated"}, {fpr.FarmSortMostReviewed, "Most reviewed"}} {
		p.Sorts = append(p.Sorts, sortLink{Label: x.label, URL: link(x.sort, ""), Current: f.Sort == x.sort})
	}
	if next != "" {
		p.NextURL = link(f.Sort, next)
	}
	return s.render(w, r, http.StatusOK, "farms", p)
}

type applicationForm struct {
	FarmName    string
	Region      string
	Description string
	Contact     string
	formState
}

type farmApplicationPage struct {
	basePage
	// CanApply shows the form: a member with a verified e-mail and no
	// application waiting.
	CanApply bool
	// NeedsVerification: a member who must verify their e-mail first is
	// offered a new link instead of the form.
	NeedsVerification bool
	// ManagesFarms: a producer or staff, who add farms themselves.
	ManagesFarms bool
	// Latest is the visitor's latest application, nil for none.
	Latest *fpr.FarmApplication
	Form   applicationForm
}

func (s *Server) farmApplicationPage(w http.ResponseWriter, r *http.Request) (*farmApplicationPage, error) {
	u, err := requireUser(r.Context())
	if err != nil {
		return nil, err
	}
	p := &farmApplicationPage{basePage: s.base(w, r, "List your farm"), ManagesFarms: !fpr.FarmApplicantRole(u)}
	apps, _, err := s.Farms.FindOwnFarmApplications(r.Context(), fpr.FarmApplicationFilter{Page: fpr.Page{Limit: 1}})
	if err != nil {
		return nil, err
	}
	if len(apps) > 0 {
		p.Latest = apps[0]
	}
	waiting := p.Latest != nil && p.Latest.Status == fpr.FarmApplicationPending
	p.NeedsVerification = errors.Is(fpr.FarmApplicationRefusal(u), fpr.ErrVerifyToApply)
	p.CanApply = fpr.CanApplyForFarm(u) && !waiting
	return p, nil
}

// handleFarmApplicationForm handles GET /account/farm-application.
func (s *Server) handleFarmApplicationForm(w http.ResponseWriter, r *http.Request) error {
	p, err := s.farmApplicationPage(w, r)
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "farm_application", p)
}

// handleFarmApplicationCreate handles POST /account/farm-application.
func (s *Server) handleFarmApplicationCreate(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r.Context()); err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	f := applicationForm{FarmName: r.PostForm.Get("farm_name"), Region: r.PostForm.Get("region"),
		Description: r.PostForm.Get("description"), Contact: r.PostForm.Get("contact")}
	a := &fpr.FarmApplication{FarmName: f.FarmName, Region: f.Region, Description: f.Description, Contact: f.Contact}
	if err := s.Farms.ApplyForFarm(r.Context(), a); err != nil {
		if errors.Is(err, fpr.ErrVerifyToApply) {
			// The page says so and offers a new verification link.
			p, perr := s.farmApplicationPage(w, r)
			if perr != nil {
				return perr
			}
			return s.render(w, r, http.StatusForbidden, "farm_application", p)
		}
		return formFailed(s, w, r, err, "farm_application", func() (*farmApplicationPage, error) { return s.farmApplicationPage(w, r) },
			func(p *farmApplicationPage, st formState) {
				f.formState = st
				p.Form = f
			})
	}
	return s.redirect(w, r, "/account/farm-application", "farm-applied")
}

type decisionForm struct {
	Action string
	Note   string
	formState
}

// applicationItem is one application with its decision form.
type applicationItem struct {
	*fpr.FarmApplication
	Form decisionForm
}

type adminApplicationsPage struct {
	basePage
	Status   string
	Statuses []sortLink
	Items    []applicationItem
	NextURL  string
}

func (s *Server) adminApplicationsPage(w http.ResponseWriter, r *http.Request) (*adminApplicationsPage, error) {
	if _, err := requireUser(r.Context()); err != nil {
		return nil, err
	}
	q := r.URL.Query()
	if !q.Has("status") {
		q.Set("status", string(fpr.FarmApplicationPending))
	}
	f, err := fpr.ParseFarmApplicationQuery(q)
	if err != nil {
		return nil, err
	}
	apps, next, err := s.Farms.FindFarmApplications(r.Context(), f)
	if err != nil {
		return nil, err
	}
	p := &adminApplicationsPage{basePage: s.base(w, r, "Farm applications"), Status: string(f.Status)}
	for _, st := range []struct{ value, label string }{{"pending", "Waiting"}, {"approved", "Approved"}, {"rejected", "Rejected"}, {"", "All"}} {
		p.Statuses = append(p.Statuses, sortLink{Label: st.label, URL: "/admin/farm-applications?status=" + st.value, Current: st.value == p.Status})
	}
	for _, a := range apps {
		p.Items = append(p.Items, applicationItem{FarmApplication: a})
	}
	if next != "" {
		p.NextURL = "/admin/farm-applications?status=" + url.QueryEscape(p.Status) + "&cursor=" + url.QueryEscape(next)
	}
	return p, nil
}

// handleAdminFarmApplicationList handles GET
// /admin/farm-applications?status=: pending ones by default.
func (s *Server) handleAdminFarmApplicationList(w http.ResponseWriter, r *http.Request) error {
	p, err := s.adminApplicationsPage(w, r)
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "admin_applications", p)
}

// handleAdminFarmApplicationDecide handles POST
// /admin/farm-applications/{id} {action, note}.
func (s *Server) handleAdminFarmApplicationDecide(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r.Context()); err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	id := r.PathValue("id")
	f := decisionForm{Action: r.PostForm.Get("action"), Note: r.PostForm.Get("note")}
	a, err := s.Farms.DecideFarmApplication(r.Context(), id, fpr.FarmApplicationAction(f.Action), f.Note)
	if err != nil {
		return formFailed(s, w, r, err, "admin_applications", func() (*adminApplicationsPage, error) { return s.adminApplicationsPage(w, r) },
			func(p *adminApplicationsPage, st formState) {
				f.formState = st
				for i := range p.Items {
					if p.Items[i].ID == id {
						p.Items[i].Form = f
					}
				}
			})
	}
	flash := "farm-rejected"
	switch {
	case a.Status == fpr.FarmApplicationApproved:
		flash = "farm-approved"
	case !a.Mailed:
		flash = "farm-rejected-quiet"
	}
	return s.redirect(w, r, "/admin/farm-applications", flash)
}

// inboxItem is a review in the inbox with its reply form.
type inboxItem struct {
	*fpr.FarmReview
	ReplyForm replyForm
}

// ReplyLabel labels the reply field: a new reply or a change.
func (it inboxItem) ReplyLabel() string {
	if it.Review != nil && it.Review.Reply != nil {
		return "Your reply (edit it here)"
	}
	return "Your reply"
}

type farmReviewsPage struct {
	basePage
	Unanswered bool
	Items      []inboxItem
	NextURL    string
	AllURL     string
	OpenURL    string
}

func (s *Server) farmReviewsPage(w http.ResponseWriter, r *http.Request) (*farmReviewsPage, error) {
	if _, err := requireUser(r.Context()); err != nil {
		return nil, err
	}
	f, err := fpr.ParseFarmReviewQuery(r.URL.Query())
	if err != nil {
		return nil, err
	}
	items, next, err := s.Farms.FindFarmReviews(r.Context(), f)
	if err != nil {
		return nil, err
	}
	p := &farmReviewsPage{basePage: s.base(w, r, "Reviews of your products"), Unanswered: f.Unanswered,
		AllURL: "/account/farm-reviews", OpenURL: "/account/farm-reviews?unanswered=true"}
	for _, it := range items {
		item := inboxItem{FarmReview: it}
		if it.Review.Reply != nil {
			item.ReplyForm.Body = it.Review.Reply.Body
		}
		p.Items = append(p.Items, item)
	}
	if next != "" {
		v := url.Values{"cursor": {next}}
		if f.Unanswered {
			v.Set("unanswered", "true")
		}
		p.NextURL = "/account/farm-reviews?" + v.Encode()
	}
	return p, nil
}

// handleFarmReviewList handles GET /account/farm-reviews?unanswered=: a
// producer's review inbox, newest first, a reply form under each review.
func (s *Server) handleFarmReviewList(w http.ResponseWriter, r *http.Request) error {
	p, err := s.farmReviewsPage(w, r)
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "farm_reviews", p)
}

// handleFarmReviewReplySet handles POST /account/farm-reviews/{id}/reply
// {body}: the reply from the inbox, which comes back to the inbox.
func (s *Server) handleFarmReviewReplySet(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r.Context()); err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	id := r.PathValue("id")
	f := replyForm{Body: r.PostForm.Get("body")}
	if _, err := s.Reviews.SetReply(r.Context(), id, f.Body); err != nil {
		return formFailed(s, w, r, err, "farm_reviews", func() (*farmReviewsPage, error) { return s.farmReviewsPage(w, r) },
			func(p *farmReviewsPage, st formState) {
				f.formState = st
				for i := range p.Items {
					if p.Items[i].Review.ID == id {
						p.Items[i].ReplyForm = f
					}
				}
			})
	}
	back := "/account/farm-reviews"
	if r.URL.Query().Get("unanswered") == "true" {
		back += "?unanswered=true"
	}
	return s.redirect(w, r, back+"#inbox-review-"+id, "reply-saved")
}
