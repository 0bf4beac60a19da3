package http

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/fpr-team/fpr"
)

// The administration pages of farms: the farms a producer manages (an
// admin: all), the new-farm form, and one farm's page with its products.
// Products are in admin_products.go, users and roles in admin_users.go.
// The services check every permission; the pages also refuse visitors who
// could do nothing there (requireProducer), so a member gets the 403 page
// rather than empty forms.

type farmForm struct {
	Name        string
	Region      string
	Description string
	ShopAddress string
	ShopHours   string
	Markets     string
	Website     string
	OwnerEmail  string
	formState
}

type adminPage struct {
	basePage
	Farms    []*fpr.Farm
	NextURL  string
	FarmForm farmForm
}

// handleAdminFarmList handles GET /admin: the farms the visitor manages and the
// new-farm form; admins also get the link to users.
func (s *Server) handleAdminFarmList(w http.ResponseWriter, r *http.Request) error {
	p, err := s.adminPage(w, r)
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "admin", p)
}

func (s *Server) adminPage(w http.ResponseWriter, r *http.Request) (*adminPage, error) {
	u, err := requireProducer(r)
	if err != nil {
		return nil, err
	}
	f := fpr.FarmFilter{Page: fpr.Page{Cursor: r.URL.Query().Get("cursor")}}
	if !fpr.CanManageEveryFarm(u) {
		f.OwnerID = &u.ID
	}
	farms, next, err := s.Farms.FindFarms(r.Context(), f)
	if err != nil {
		return nil, err
	}
	p := &adminPage{basePage: s.base(w, r, "Farms and products"), Farms: farms}
	if next != "" {
		p.NextURL = "/admin?cursor=" + url.QueryEscape(next)
	}
	return p, nil
}

// handleAdminFarmCreate handles POST /admin/farms.
func (s *Server) handleAdminFarmCreate(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireProducer(r); err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	f := farmFormFrom(r)
	farm := &fpr.Farm{Name: f.Name, Region: f.Region, Description: f.Description,
		ShopAddress: f.ShopAddress, ShopHours: f.ShopHours, Markets: f.Markets, Website: f.Website}
	err := s.setFarmOwner(r, farm, f.OwnerEmail)
	if err == nil {
		err = s.Farms.CreateFarm(r.Context(), farm)
	}
	if err != nil {
		return formFailed(s, w, r, err, "admin", func() (*adminPage, error) { return s.adminPage(w, r) },
			func(p *adminPage, st formState) {
				f.formState = st
				p.FarmForm = f
			})
	}
	return s.redirect(w, r, "/admin/farms/"+url.PathEscape(farm.ID), "farm-created")
}

// setFarmOwner sets farm.OwnerID from the owner's e-mail address an admin
// typed; an empty address leaves the service's default (the acting user).
func (s *Server) setFarmOwner(r *http.Request, farm *fpr.Farm, email string) error {
	email = strings.TrimSpace(email)
	if email == "" {
		return nil
	}
	owner, err := s.Users.FindUserByEmail(r.Context(), email)
	if fpr.ErrorCode(err) == fpr.CodeNotFound {
		return &fpr.Error{Code: fpr.CodeValidationFailed, Message: "Some fields need another look.",
			Fields: map[string]string{"owner_email": "No account has this e-mail address."}}
	}
	if err != nil {
		return err
	}
	farm.OwnerID = owner.ID
	return nil
}

func farmFormFrom(r *http.Request) farmForm {
	return farmForm{Name: r.PostForm.Get("name"), Region: r.PostForm.Get("region"),
		Description: r.PostForm.Get("description"), ShopAddress: r.PostForm.Get("shop_address"),
		ShopHours: r.PostForm.Get("shop_hours"), Markets: r.PostForm.Get("markets"), Website: r.PostForm.Get("website"),
		OwnerEmail: r.PostForm.Get("owner_email")}
}

type adminFarmPage struct {
	basePage
	Farm        *fpr.Farm
	FarmForm    farmForm
	Products    []*fpr.Product
	NextURL     string
	ProductForm productForm
}

// handleAdminFarmShow handles GET /admin/farms/{id}: the farm's form, its
// products and the new-product form.
func (s *Server) handleAdminFarmShow(w http.ResponseWriter, r *http.Request) error {
	p, err := s.adminFarmPage(w, r, r.PathValue("id"))
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "admin_farm", p)
}

func (s *Server) adminFarmPage(w http.ResponseWriter, r *http.Request, id string) (*adminFarmPage, error) {
	u, err := requireProducer(r)
	if err != nil {
		return nil, err
	}
	farm, err := s.Farms.FindFarmByID(r.Context(), id)
	if err != nil {
		return nil, err
	}
	if !fpr.CanManageFarm(u, farm) {
		return nil, fpr.Errorf(fpr.CodeForbidden, "Only the farm's producer and admins can manage it.")
	}
	products, next, err := s.Products.FindProducts(r.Context(), fpr.ProductFilter{FarmID: &farm.ID, Sort: fpr.ProductSortName,
		Page: fpr.Page{Cursor: r.URL.Query().Get("cursor")}})
	if err != nil {
		return nil, err
	}
	p := &adminFarmPage{basePage: s.base(w, r, farm.Name), Farm: farm, Products: products,
		FarmForm: farmForm{Name: farm.Name, Region: farm.Region, Description: farm.Description,
			ShopAddress: farm.ShopAddress, ShopHours: farm.ShopHours, Markets: farm.Markets, Website: farm.Website}}
	if next != "" {
		p.NextURL = "/admin/farms/" + url.PathEscape(farm.ID) + "?cursor=" + url.QueryEscape(next)
	}
	return p, nil
}

// handleAdminFarmUpdate handles POST /admin/farms/{id}.
func (s *Server) handleAdminFarmUpdate(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireProducer(r); err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	id := r.PathValue("id")
	f := farmFormFrom(r)
	farm, err := s.Farms.UpdateFarm(r.Context(), id, fpr.FarmUpdate{Name: &f.Name, Region: &f.Region, Description: &f.Description,
		ShopAddress: &f.ShopAddress, ShopHours: &f.ShopHours, Markets: &f.Markets, Website: &f.Website})
	if err != nil {
		return s.adminFarmFailure(w, r, id, err, func(p *adminFarmPage, st formState) {
			f.formState = st
			p.FarmForm = f
		})
	}
	return s.redirect(w, r, "/admin/farms/"+url.PathEscape(farm.ID), "farm-updated")
}

// adminFarmFailure re-renders the farm's admin page after a failed form.
func (s *Server) adminFarmFailure(w http.ResponseWriter, r *http.Request, id string, err error, set func(*adminFarmPage, formState)) error {
	return formFailed(s, w, r, err, "admin_farm", func() (*adminFarmPage, error) { return s.adminFarmPage(w, r, id) }, set)
}
