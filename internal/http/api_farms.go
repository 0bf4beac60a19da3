package http

import (
	"net/http"

	"github.com/fpr-team/fpr"
)

// apiFarmJSON is the API's Farm.
type apiFarmJSON struct {
	ID           string        `json:"id"`
	Name         string        `json:"name"`
	Slug         string        `json:"slug"`
	Region       string        `json:"region"`
	Description  string        `json:"description"`
	ShopAddress  string        `json:"shop_address"`
	ShopHours    string        `json:"shop_hours"`
	Markets      string        `json:"markets"`
	Website      string        `json:"website"`
	OwnerID      string        `json:"owner_id"`
	CreatedAt    string        `json:"created_at"`
	ProductCount int           `json:"product_count"`
	Rating       apiRatingJSON `json:"rating"`
	Photo        *apiPhotoJSON `json:"photo"`
}

// apiFarm builds the JSON of f.
func apiFarm(f *fpr.Farm) apiFarmJSON {
	return apiFarmJSON{ID: f.ID, Name: f.Name, Slug: f.Slug, Region: f.Region, Description: f.Description,
		ShopAddress: f.ShopAddress, ShopHours: f.ShopHours, Markets: f.Markets, Website: f.Website,
		OwnerID: f.OwnerID, CreatedAt: apiTime(f.CreatedAt), ProductCount: f.ProductCount, Rating: apiRating(f.Rating),
		Photo: apiPhotoRef(f.Photo)}
}

type apiFarmEnvelope struct {
	Farm apiFarmJSON `json:"farm"`
}

type apiFarmListJSON struct {
	Items      []apiFarmJSON `json:"items"`
	NextCursor *string       `json:"next_cursor"`
}

// handleAPIFarmList handles GET /api/v1/farms?region=&q=&sort=&limit=
// &cursor=: the farm directory.
func (s *Server) handleAPIFarmList(w http.ResponseWriter, r *http.Request) error {
	f, err := fpr.ParseFarmQuery(r.URL.Query())
	if err != nil {
		return err
	}
	farms, next, err := s.Farms.FindFarms(r.Context(), f)
	if err != nil {
		return err
	}
	out := apiFarmListJSON{Items: make([]apiFarmJSON, 0, len(farms)), NextCursor: nextCursor(next)}
	for _, f := range farms {
		out.Items = append(out.Items, apiFarm(f))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// handleAPIFarmShow handles GET /api/v1/farms/{id}.
func (s *Server) handleAPIFarmShow(w http.ResponseWriter, r *http.Request) error {
	f, err := s.Farms.FindFarmByID(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, apiFarmEnvelope{Farm: apiFarm(f)})
	return nil
}

// apiFarmFields are the writable fields of a farm, in POST and PATCH.
type apiFarmFields struct {
	Name        *string `json:"name"`
	Region      *string `json:"region"`
	Description *string `json:"description"`
	ShopAddress *string `json:"shop_address"`
	ShopHours   *string `json:"shop_hours"`
	Markets     *string `json:"markets"`
	Website     *string `json:"website"`
}

func (in apiFarmFields) update() fpr.FarmUpdate {
	return fpr.FarmUpdate{Name: in.Name, Region: in.Region, Description: in.Description,
		ShopAddress: in.ShopAddress, ShopHours: in.ShopHours, Markets: in.Markets, Website: in.Website}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// handleAPIFarmCreate handles POST /api/v1/farms {name, region,
// description, shop_address?, shop_hours?, markets?, website?,
// owner_id?}: a producer's own farm, or an admin's for owner_id.
func (s *Server) handleAPIFarmCreate(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r.Context()); err != nil {
		return err
	}
	var in struct {
		apiFarmFields
		OwnerID *string `json:"owner_id"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	owner, err := fpr.GivenID("owner_id", in.OwnerID)
	if err != nil {
		return err
	}
	f := &fpr.Farm{Name: deref(in.Name), Region: deref(in.Region), Description: deref(in.Description),
		ShopAddress: deref(in.ShopAddress), ShopHours: deref(in.ShopHours), Markets: deref(in.Markets),
		Website: deref(in.Website), OwnerID: owner}
	if err := s.Farms.CreateFarm(r.Context(), f); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, apiFarmEnvelope{Farm: apiFarm(f)})
	return nil
}

// handleAPIFarmUpdate handles PATCH /api/v1/farms/{id} {name?, region?,
// description?, shop_address?, shop_hours?, markets?, website?}: the
// farm's owner or an admin.
func (s *Server) handleAPIFarmUpdate(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r.Context()); err != nil {
		return err
	}
	var in apiFarmFields
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	f, err := s.Farms.UpdateFarm(r.Context(), r.PathValue("id"), in.update())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, apiFarmEnvelope{Farm: apiFarm(f)})
	return nil
}

// apiFarmApplicationJSON is the API's FarmApplication.
type apiFarmApplicationJSON struct {
	ID          string        `json:"id"`
	Applicant   apiAuthorJSON `json:"applicant"`
	FarmName    string        `json:"farm_name"`
	Region      string        `json:"region"`
	Description string        `json:"description"`
	Contact     string        `json:"contact"`
	Status      string        `json:"status"`
	Note        string        `json:"note"`
	FarmID      *string       `json:"farm_id"`
	DecidedAt   *string       `json:"decided_at"`
	CreatedAt   string        `json:"created_at"`
}

func apiFarmApplication(a *fpr.FarmApplication) apiFarmApplicationJSON {
	j := apiFarmApplicationJSON{ID: a.ID, Applicant: apiAuthor(a.Applicant), FarmName: a.FarmName, Region: a.Region,
		Description: a.Description, Contact: a.Contact, Status: string(a.Status), Note: a.Note, CreatedAt: apiTime(a.CreatedAt)}
	if a.FarmID != "" {
		j.FarmID = &a.FarmID
	}
	if a.DecidedAt != nil {
		t := apiTime(*a.DecidedAt)
		j.DecidedAt = &t
	}
	return j
}

type apiFarmApplicationEnvelope struct {
	Application apiFarmApplicationJSON `json:"application"`
}

// handleAPIFarmApplicationCreate handles POST /api/v1/farm-applications
// {farm_name, region, description, contact}: a member asks to list a farm.
func (s *Server) handleAPIFarmApplicationCreate(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r.Context()); err != nil {
		return err
	}
	var in struct {
		FarmName    string `json:"farm_name"`
		Region      string `json:"region"`
		Description string `json:"description"`
		Contact     string `json:"contact"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	a := &fpr.FarmApplication{FarmName: in.FarmName, Region: in.Region, Description: in.Description, Contact: in.Contact}
	if err := s.Farms.ApplyForFarm(r.Context(), a); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, apiFarmApplicationEnvelope{Application: apiFarmApplication(a)})
	return nil
}

// handleAPIFarmApplicationList handles GET /api/v1/farm-applications
// ?status=&limit=&cursor=: admins.
func (s *Server) handleAPIFarmApplicationList(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r.Context()); err != nil {
		return err
	}
	f, err := fpr.ParseFarmApplicationQuery(r.URL.Query())
	if err != nil {
		return err
	}
	apps, next, err := s.Farms.FindFarmApplications(r.Context(), f)
	if err != nil {
		return err
	}
	writeApplications(w, apps, next)
	return nil
}

// handleAPIOwnFarmApplicationList handles GET
// /api/v1/me/farm-applications?status=&limit=&cursor=: the acting user's
// own applications, newest first, with their decisions.
func (s *Server) handleAPIOwnFarmApplicationList(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r.Context()); err != nil {
		return err
	}
	f, err := fpr.ParseFarmApplicationQuery(r.URL.Query())
	if err != nil {
		return err
	}
	apps, next, err := s.Farms.FindOwnFarmApplications(r.Context(), f)
	if err != nil {
		return err
	}
	writeApplications(w, apps, next)
	return nil
}

// writeApplications writes a FarmApplicationList.
func writeApplications(w http.ResponseWriter, apps []*fpr.FarmApplication, next string) {
	out := struct {
		Items      []apiFarmApplicationJSON `json:"items"`
		NextCursor *string                  `json:"next_cursor"`
	}{Items: make([]apiFarmApplicationJSON, 0, len(apps)), NextCursor: nextCursor(next)}
	for _, a := range apps {
		out.Items = append(out.Items, apiFarmApplication(a))
	}
	writeJSON(w, http.StatusOK, out)
}

// handleAPIFarmApplicationDecide handles POST
// /api/v1/farm-applications/{id} {action: approve|reject, note}: admins.
func (s *Server) handleAPIFarmApplicationDecide(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r.Context()); err != nil {
		return err
	}
	var in struct {
		Action string `json:"action"`
		Note   string `json:"note"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	a, err := s.Farms.DecideFarmApplication(r.Context(), r.PathValue("id"), fpr.FarmApplicationAction(in.Action), in.Note)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, apiFarmApplicationEnvelope{Application: apiFarmApplication(a)})
	return nil
}

// apiRefJSON names a product or farm: {id, name}.
type apiRefJSON struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// apiFarmReviewJSON is a review in a producer's inbox, with the product
// and farm it is about.
type apiFarmReviewJSON struct {
	Review  apiReviewJSON `json:"review"`
	Product apiRefJSON    `json:"product"`
	Farm    apiRefJSON    `json:"farm"`
}

// handleAPIFarmReviewList handles GET /api/v1/me/farm-reviews
// ?unanswered=&limit=&cursor=: the acting producer's review inbox.
func (s *Server) handleAPIFarmReviewList(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r.Context()); err != nil {
		return err
	}
	f, err := fpr.ParseFarmReviewQuery(r.URL.Query())
	if err != nil {
		return err
	}
	items, next, err := s.Farms.FindFarmReviews(r.Context(), f)
	if err != nil {
		return err
	}
	out := struct {
		Items      []apiFarmReviewJSON `json:"items"`
		NextCursor *string             `json:"next_cursor"`
	}{Items: make([]apiFarmReviewJSON, 0, len(items)), NextCursor: nextCursor(next)}
	for _, it := range items {
		out.Items = append(out.Items, apiFarmReviewJSON{Review: apiReview(it.Review),
			Product: apiRefJSON{ID: it.Review.ProductID, Name: it.ProductName}, Farm: apiRefJSON{ID: it.FarmID, Name: it.FarmName}})
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
