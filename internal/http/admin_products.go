package http

import (
	"net/http"
	"net/url"

	"github.com/fpr-team/fpr"
)

// The administration pages of products: create one on its farm's page,
// edit and delete it. The ProductService checks every permission.

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

func productFormFrom(r *http.Request) productForm {
	return productForm{Name: r.PostForm.Get("name"), Category: r.PostForm.Get("category"),
		Description: r.PostForm.Get("description"), Unit: r.PostForm.Get("unit")}
}

// handleAdminProductCreate handles POST /admin/farms/{id}/products.
func (s *Server) handleAdminProductCreate(w http.ResponseWriter, r *http.Request) error {
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

type adminProductPage struct {
	basePage
	Product *fpr.Product
	Form    productForm
}

// handleAdminProductShow handles GET /admin/products/{id}: the product's form
// and its delete button.
func (s *Server) handleAdminProductShow(w http.ResponseWriter, r *http.Request) error {
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

// handleAdminProductUpdate handles POST /admin/products/{id}.
func (s *Server) handleAdminProductUpdate(w http.ResponseWriter, r *http.Request) error {
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
		return formFailed(s, w, r, err, "admin_product", func() (*adminProductPage, error) { return s.adminProductPage(w, r, id) },
			func(p *adminProductPage, st formState) {
				f.formState = st
				p.Form = f
			})
	}
	return s.redirect(w, r, "/products/"+url.PathEscape(prod.ID), "product-updated")
}

// handleAdminProductDelete handles POST /admin/products/{id}/delete.
func (s *Server) handleAdminProductDelete(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireProducer(r); err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	archived, err := s.Products.DeleteProduct(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	if archived {
		return s.redirect(w, r, fpr.SafeNext(r.PostForm.Get("next")), "product-archived")
	}
	return s.redirect(w, r, fpr.SafeNext(r.PostForm.Get("next")), "product-deleted")
}
