package http

import (
	"net/http"
	"net/url"

	"github.com/fpr-team/fpr"
)

// The farm page: the farm and its products.

type farmPage struct {
	basePage
	Farm      *fpr.Farm
	Products  []*fpr.Product
	NextURL   string
	CanManage bool
}

// handleFarmShow handles GET /farms/{id}: the farm and its products.
func (s *Server) handleFarmShow(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	farm, err := s.Farms.FindFarmByID(ctx, r.PathValue("id"))
	if err != nil {
		return err
	}
	products, next, err := s.Products.FindProducts(ctx, fpr.ProductFilter{FarmID: &farm.ID, Sort: fpr.ProductSortName, Page: fpr.Page{Cursor: r.URL.Query().Get("cursor")}})
	if err != nil {
		return err
	}
	p := &farmPage{basePage: s.base(w, r, farm.Name), Farm: farm, Products: products,
		CanManage: fpr.CanManageFarm(fpr.UserFromContext(ctx), farm)}
	if next != "" {
		p.NextURL = "/farms/" + url.PathEscape(farm.ID) + "?cursor=" + url.QueryEscape(next)
	}
	return s.render(w, r, http.StatusOK, "farm", p)
}
