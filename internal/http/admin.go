package http

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/fpr-team/fpr"
)

// The administration pages: farms and their products for producers (their
// own) and admins (all), and users and roles for admins. The services
// check every permission; the pages also refuse visitors who could do
// nothing there, so a member gets the 403 page rather than empty forms.

type farmForm struct {
	Name        string
	Region      string
	Description string
	OwnerEmail  string
	formState
}

type productForm struct {
	Name        string
	Category    string
	Description string
	Unit        string
	formState
}

// CategoryOptions are the product categories.
func (f productForm) CategoryOptions() []option {
	out := []option{{Value: "", Label: "Choose a category", Selected: f.Category == ""}}
	for _, c := range fpr.Categories {
		out = append(out, option{Value: string(c), Label: c.Label(), Selected: string(c) == f.Category})
	}
	return out
}

type adminPage struct {
	basePage
	Farms    []*fpr.Farm
	NextURL  string
	FarmForm farmForm
}

// handleAdmin handles GET /admin: the farms the visitor manages and the
// new-farm form; admins also get the link to users.
func (s *Server) handleAdmin(w http.ResponseWriter, r *http.Request) error {
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
	if !u.IsAdmin() {
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

// handleCreateFarm handles POST /admin/farms.
func (s *Server) handleCreateFarm(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireProducer(r); err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	f := farmFormFrom(r)
	farm := &fpr.Farm{Name: f.Name, Region: f.Region, Description: f.Description}
	err := s.setFarmOwner(r, farm, f.OwnerEmail)
	if err == nil {
		err = s.Farms.CreateFarm(r.Context(), farm)
	}
	if err != nil {
		status, st, ok := formFailure(err)
		if !ok {
			return err
		}
		p, perr := s.adminPage(w, r)
		if perr != nil {
			return perr
		}
		f.formState = st
		p.FarmForm = f
		return s.render(w, r, status, "admin", p)
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
		Description: r.PostForm.Get("description"), OwnerEmail: r.PostForm.Get("owner_email")}
}

func productFormFrom(r *http.Request) productForm {
	return productForm{Name: r.PostForm.Get("name"), Category: r.PostForm.Get("category"),
		Description: r.PostForm.Get("description"), Unit: r.PostForm.Get("unit")}
}

type adminFarmPage struct {
	basePage
	Farm        *fpr.Farm
	FarmForm    farmForm
	Products    []*fpr.Product
	NextURL     string
	ProductForm productForm
}

// handleAdminFarm handles GET /admin/farms/{id}: the farm's form, its
// products and the new-product form.
func (s *Server) handleAdminFarm(w http.ResponseWriter, r *http.Request) error {
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
		FarmForm: farmForm{Name: farm.Name, Region: farm.Region, Description: farm.Description}}
	if next != "" {
		p.NextURL = "/admin/farms/" + url.PathEscape(farm.ID) + "?cursor=" + url.QueryEscape(next)
	}
	return p, nil
}

// handleUpdateFarm handles POST /admin/farms/{id}.
func (s *Server) handleUpdateFarm(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireProducer(r); err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	id := r.PathValue("id")
	f := farmFormFrom(r)
	farm, err := s.Farms.UpdateFarm(r.Context(), id, fpr.FarmUpdate{Name: &f.Name, Region: &f.Region, Description: &f.Description})
	if err != nil {
		return s.adminFarmFailure(w, r, id, err, func(p *adminFarmPage, st formState) {
			f.formState = st
			p.FarmForm = f
		})
	}
	return s.redirect(w, r, "/admin/farms/"+url.PathEscape(farm.ID), "farm-updated")
}

// handleCreateProduct handles POST /admin/farms/{id}/products.
func (s *Server) handleCreateProduct(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireProducer(r); err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	farmID := r.PathValue("id")
	f := productFormFrom(r)
	prod := &fpr.Product{FarmID: farmID, Name: f.Name, Category: fpr.Category(f.Category), Description: f.Description, Unit: f.Unit}
	if err := s.Products.CreateProduct(r.Context(), prod); err != nil {
		return s.adminFarmFailure(w, r, farmID, err, func(p *adminFarmPage, st formState) {
			f.formState = st
			p.ProductForm = f
		})
	}
	return s.redirect(w, r, "/admin/farms/"+url.PathEscape(farmID), "product-created")
}

// adminFarmFailure re-renders the farm's admin page after a failed form.
func (s *Server) adminFarmFailure(w http.ResponseWriter, r *http.Request, id string, err error, set func(*adminFarmPage, formState)) error {
	status, st, ok := formFailure(err)
	if !ok {
		return err
	}
	p, perr := s.adminFarmPage(w, r, id)
	if perr != nil {
		return perr
	}
	set(p, st)
	return s.render(w, r, status, "admin_farm", p)
}

type adminProductPage struct {
	basePage
	Product *fpr.Product
	Form    productForm
}

// handleAdminProduct handles GET /admin/products/{id}: the product's form
// and its delete button.
func (s *Server) handleAdminProduct(w http.ResponseWriter, r *http.Request) error {
	p, err := s.adminProductPage(w, r, r.PathValue("id"))
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "admin_product", p)
}

func (s *Server) adminProductPage(w http.ResponseWriter, r *http.Request, id string) (*adminProductPage, error) {
	u, err := requireProducer(r)
	if err != nil {
		return nil, err
	}
	prod, err := s.Products.FindProductByID(r.Context(), id)
	if err != nil {
		return nil, err
	}
	farm, err := s.Farms.FindFarmByID(r.Context(), prod.FarmID)
	if err != nil {
		return nil, err
	}
	if !fpr.CanManageFarm(u, farm) {
		return nil, fpr.Errorf(fpr.CodeForbidden, "Only the farm's producer and admins can manage its products.")
	}
	return &adminProductPage{basePage: s.base(w, r, "Edit "+prod.Name), Product: prod,
		Form: productForm{Name: prod.Name, Category: string(prod.Category), Description: prod.Description, Unit: prod.Unit}}, nil
}

// handleUpdateProduct handles POST /admin/products/{id}.
func (s *Server) handleUpdateProduct(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireProducer(r); err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	id := r.PathValue("id")
	f := productFormFrom(r)
	cat := fpr.Category(f.Category)
	prod, err := s.Products.UpdateProduct(r.Context(), id, fpr.ProductUpdate{Name: &f.Name, Category: &cat, Description: &f.Description, Unit: &f.Unit})
	if err != nil {
		status, st, ok := formFailure(err)
		if !ok {
			return err
		}
		p, perr := s.adminProductPage(w, r, id)
		if perr != nil {
			return perr
		}
		f.formState = st
		p.Form = f
		return s.render(w, r, status, "admin_product", p)
	}
	return s.redirect(w, r, "/products/"+url.PathEscape(prod.ID), "product-updated")
}

// handleDeleteProduct handles POST /admin/products/{id}/delete.
func (s *Server) handleDeleteProduct(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireProducer(r); err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	if err := s.Products.DeleteProduct(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	return s.redirect(w, r, safeNext(r.PostForm.Get("next")), "product-deleted")
}

type adminUsersPage struct {
	basePage
	Query   string
	Role    string
	Users   []*fpr.User
	NextURL string
	// RoleForm is the failed role change, shown on its user's row.
	RoleForm roleForm
}

type roleForm struct {
	UserID string
	Role   string
	formState
}

// RoleOptions are the roles of the filter, with "any role".
func (p adminUsersPage) RoleOptions() []option {
	out := []option{{Value: "", Label: "Any role", Selected: p.Role == ""}}
	for _, r := range fpr.Roles {
		out = append(out, option{Value: string(r), Label: string(r), Selected: string(r) == p.Role})
	}
	return out
}

// ListURL is the current list, where a role change returns.
func (p adminUsersPage) ListURL() string {
	v := url.Values{}
	if p.Query != "" {
		v.Set("q", p.Query)
	}
	if p.Role != "" {
		v.Set("role", p.Role)
	}
	if len(v) == 0 {
		return "/admin/users"
	}
	return "/admin/users?" + v.Encode()
}

// roleOptions are the roles with current selected.
func roleOptions(current fpr.Role) []option {
	out := make([]option, 0, len(fpr.Roles))
	for _, r := range fpr.Roles {
		out = append(out, option{Value: string(r), Label: string(r), Selected: r == current})
	}
	return out
}

// handleAdminUsers handles GET /admin/users?q=&role=&cursor=.
func (s *Server) handleAdminUsers(w http.ResponseWriter, r *http.Request) error {
	p, err := s.adminUsersPage(w, r, r.URL.Query())
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "admin_users", p)
}

func (s *Server) adminUsersPage(w http.ResponseWriter, r *http.Request, q url.Values) (*adminUsersPage, error) {
	if _, err := requireUser(r.Context()); err != nil {
		return nil, err
	}
	p := &adminUsersPage{Query: strings.TrimSpace(q.Get("q")), Role: q.Get("role")}
	f := fpr.UserFilter{Page: fpr.Page{Cursor: q.Get("cursor")}}
	if p.Query != "" {
		f.Query = &p.Query
	}
	if p.Role != "" {
		role := fpr.Role(p.Role)
		f.Role = &role
	}
	users, next, err := s.Users.FindUsers(r.Context(), f)
	if err != nil {
		return nil, err
	}
	p.Users = users
	if next != "" {
		v := url.Values{"cursor": {next}}
		if p.Query != "" {
			v.Set("q", p.Query)
		}
		if p.Role != "" {
			v.Set("role", p.Role)
		}
		p.NextURL = "/admin/users?" + v.Encode()
	}
	p.basePage = s.base(w, r, "Users")
	return p, nil
}

// handleSetRole handles POST /admin/users/{id}/role.
func (s *Server) handleSetRole(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r.Context()); err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	id := r.PathValue("id")
	f := roleForm{UserID: id, Role: r.PostForm.Get("role")}
	next := safeNext(r.PostForm.Get("next"))
	if _, err := s.Users.SetUserRole(r.Context(), id, fpr.Role(f.Role)); err != nil {
		status, st, ok := formFailure(err)
		if !ok {
			return err
		}
		var q url.Values
		if u, perr := url.Parse(next); perr == nil {
			q = u.Query()
		}
		p, perr := s.adminUsersPage(w, r, q)
		if perr != nil {
			return perr
		}
		f.formState = st
		p.RoleForm = f
		return s.render(w, r, status, "admin_users", p)
	}
	return s.redirect(w, r, next, "role-changed")
}
