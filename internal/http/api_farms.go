package http

import (
	"net/http"

	"github.com/fpr-team/fpr"
)

// apiFarmJSON is the API's Farm.
type apiFarmJSON struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Slug        string `json:"slug"`
	Region      string `json:"region"`
	Description string `json:"description"`
	OwnerID     string `json:"owner_id"`
	CreatedAt   string `json:"created_at"`
}

// apiFarm builds the JSON of f.
func apiFarm(f *fpr.Farm) apiFarmJSON {
	return apiFarmJSON{ID: f.ID, Name: f.Name, Slug: f.Slug, Region: f.Region, Description: f.Description,
		OwnerID: f.OwnerID, CreatedAt: apiTime(f.CreatedAt)}
}

type apiFarmEnvelope struct {
	Farm apiFarmJSON `json:"farm"`
}

type apiFarmListJSON struct {
	Items      []apiFarmJSON `json:"items"`
	NextCursor *string       `json:"next_cursor"`
}

// handleAPIFarmList handles GET /api/v1/farms: farms by name.
func (s *Server) handleAPIFarmList(w http.ResponseWriter, r *http.Request) error {
	page, err := pageFromQuery(r)
	if err != nil {
		return err
	}
	farms, next, err := s.Farms.FindFarms(r.Context(), fpr.FarmFilter{Page: page})
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

// handleAPIFarmCreate handles POST /api/v1/farms {name, region,
// description, owner_id?}: a producer's own farm, or an admin's for
// owner_id.
func (s *Server) handleAPIFarmCreate(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r.Context()); err != nil {
		return err
	}
	var in struct {
		Name        string  `json:"name"`
		Region      string  `json:"region"`
		Description string  `json:"description"`
		OwnerID     *string `json:"owner_id"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	owner, err := fpr.GivenID("owner_id", in.OwnerID)
	if err != nil {
		return err
	}
	f := &fpr.Farm{Name: in.Name, Region: in.Region, Description: in.Description, OwnerID: owner}
	if err := s.Farms.CreateFarm(r.Context(), f); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, apiFarmEnvelope{Farm: apiFarm(f)})
	return nil
}

// handleAPIFarmUpdate handles PATCH /api/v1/farms/{id} {name?, region?,
// description?}: the farm's owner or an admin.
func (s *Server) handleAPIFarmUpdate(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r.Context()); err != nil {
		return err
	}
	var in struct {
		Name        *string `json:"name"`
		Region      *string `json:"region"`
		Description *string `json:"description"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	f, err := s.Farms.UpdateFarm(r.Context(), r.PathValue("id"), fpr.FarmUpdate{Name: in.Name, Region: in.Region, Description: in.Description})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, apiFarmEnvelope{Farm: apiFarm(f)})
	return nil
}
