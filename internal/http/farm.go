package http

import (
	"html"
	"net/http"
	"net/url"
	"strings"

	"github.com/fpr-team/fpr"
)

// The farm page: the farm, its rating over all its products' reviews,
// where to buy, its products; schema.org Organization JSON-LD; for its
// producer, the "embed this" snippets.

type farmPage struct {
	basePage
	Farm      *fpr.Farm
	Products  []*fpr.Product
	NextURL   string
	CanManage bool
	Bars      []histBar
	JSONLD    *ldOrganization
	// EmbedSnippet and BadgeSnippet are the HTML a producer copies to
	// their own site (shown as text, only to those who manage the farm).
	EmbedSnippet string
	BadgeSnippet string
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
		CanManage: fpr.CanManageFarm(fpr.UserFromContext(ctx), farm), JSONLD: s.farmLD(farm)}
	for star := 5; star >= 1; star-- {
		n := farm.Rating.Histogram[star-1]
		p.Bars = append(p.Bars, histBar{Stars: star, Count: n, Pct: pct(n, farm.Rating.Count)})
	}
	if p.CanManage {
		base := s.absURL("/farms/" + url.PathEscape(farm.ID))
		name := html.EscapeString(farm.Name)
		p.EmbedSnippet = `<iframe src="` + s.absURL("/embed/farms/"+url.PathEscape(farm.ID)) + `" title="` + name +
			` on FPR" width="360" height="240" loading="lazy"></iframe>`
		p.BadgeSnippet = `<a href="` + base + `"><img src="` + base + `/badge.svg" alt="` + name + ` on FPR: rating" width="200" height="20"></a>`
	}
	if next != "" {
		p.NextURL = "/farms/" + url.PathEscape(farm.ID) + "?cursor=" + url.QueryEscape(next)
	}
	return s.render(w, r, http.StatusOK, "farm", p)
}

// absURL is path on the site's public URL.
func (s *Server) absURL(path string) string {
	return strings.TrimSuffix(s.BaseURL, "/") + path
}

// ldOrganization is the schema.org JSON-LD of a farm page.
type ldOrganization struct {
	Context         string       `json:"@context"`
	Type            string       `json:"@type"`
	Name            string       `json:"name"`
	Description     string       `json:"description,omitempty"`
	URL             string       `json:"url"`
	SameAs          []string     `json:"sameAs,omitempty"`
	Address         *ldAddress   `json:"address,omitempty"`
	AreaServed      string       `json:"areaServed,omitempty"`
	AggregateRating *ldAggregate `json:"aggregateRating,omitempty"`
	// Image is the farm's photo (the large version), omitted without one.
	Image string `json:"image,omitempty"`
}

type ldAddress struct {
	Type          string `json:"@type"`
	StreetAddress string `json:"streetAddress,omitempty"`
	AddressRegion string `json:"addressRegion"`
}

// farmLD builds a farm's JSON-LD: an Organization with its rating over the
// published reviews of all its products.
func (s *Server) farmLD(f *fpr.Farm) *ldOrganization {
	ld := &ldOrganization{Context: "https://schema.org", Type: "Organization", Name: f.Name, Description: f.Description,
		URL: s.absURL("/farms/" + url.PathEscape(f.ID)), AreaServed: f.Region,
		Address: &ldAddress{Type: "PostalAddress", StreetAddress: f.ShopAddress, AddressRegion: f.Region}}
	if f.Website != "" {
		ld.SameAs = []string{f.Website}
	}
	if f.Photo != nil {
		ld.Image = s.absURL(photoURL(f.Photo.ID, false))
	}
	if avg, ok := f.Rating.Average(); ok {
		ld.AggregateRating = &ldAggregate{Type: "AggregateRating", RatingValue: avg, ReviewCount: f.Rating.Count, BestRating: 5, WorstRating: 1}
	}
	return ld
}
