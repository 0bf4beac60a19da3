package http

import (
	"bytes"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"runtime/debug"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/fpr-team/fpr"
)

// Embeds for a farm's own web site (SPEC section 8): /embed/farms/{id} and
// /embed/products/{id} are small pages meant for an iframe, the only
// routes that may be framed (withSecurityHeaders), and /farms/{id}/badge.svg
// is an SVG rating badge. None of them reads or sets a cookie: withAuth
// skips them (cookieless), they render without the layout (no flash, no
// visitor), and their errors are a minimal page. They show public data
// only, so shared caches may keep them a few minutes.

// embedMaxAge is how long browsers and caches may keep an embed or badge.
const embedMaxAge = 300

// isEmbed reports whether path is a frameable embed page.
func isEmbed(path string) bool { return strings.HasPrefix(path, "/embed/") }

// cookieless reports whether path is served without reading or setting
// cookies: the embeds and the badge.
func cookieless(path string) bool {
	return isEmbed(path) || (strings.HasPrefix(path, "/farms/") && strings.HasSuffix(path, "/badge.svg"))
}

// embed adapts an embed or badge handler: an error becomes a minimal page
// with its status, never the site's error page (which reads the flash
// cookie).
func (s *Server) embed(h pageFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		err := h(w, r)
		if err == nil {
			return
		}
		if fpr.ErrorCode(err) == fpr.CodeInternal {
			s.reportError(r, err, debug.Stack())
		}
		status := errorStatus(err)
		msg := fpr.ErrorMessage(err)
		if status >= 500 {
			msg = "Sorry, something went wrong on our side."
		}
		setRetryAfter(w, err)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(status)
		_, _ = fmt.Fprintf(w, "<!doctype html><html lang=en><title>FPR</title><p>%s</p></html>", html.EscapeString(msg))
	})
}

type embedFarmPage struct {
	Farm     *fpr.Farm
	Products []*fpr.Product
	FarmURL  string
	CSS      string
}

type embedProductPage struct {
	Product    *fpr.Product
	Reviews    []*fpr.Review
	ProductURL string
	CSS        string
}

// renderEmbed writes one of the embed templates of _embed.html, with
// caching headers and nothing that depends on the visitor.
func (s *Server) renderEmbed(w http.ResponseWriter, name string, data any) error {
	var buf bytes.Buffer
	if err := s.web.pages["farm"].ExecuteTemplate(&buf, name, data); err != nil {
		return fmt.Errorf("render %s: %w", name, err)
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "public, max-age="+strconv.Itoa(embedMaxAge))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(buf.Bytes())
	return nil
}

// handleEmbedFarmShow handles GET /embed/farms/{id}: the farm's rating and
// its best-rated products, for an iframe.
func (s *Server) handleEmbedFarmShow(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	farm, err := s.Farms.FindFarmByID(ctx, r.PathValue("id"))
	if err != nil {
		return err
	}
	products, _, err := s.Products.FindProducts(ctx, fpr.ProductFilter{FarmID: &farm.ID, Sort: fpr.ProductSortTopRated, Page: fpr.Page{Limit: 3}})
	if err != nil {
		return err
	}
	return s.renderEmbed(w, "embed-farm", &embedFarmPage{Farm: farm, Products: products,
		FarmURL: s.absURL("/farms/" + url.PathEscape(farm.ID)), CSS: s.staticURL("app.css")})
}

// handleEmbedProductShow handles GET /embed/products/{id}: the product's
// rating and its newest reviews, for an iframe.
func (s *Server) handleEmbedProductShow(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	p, err := s.Products.FindProductByID(ctx, r.PathValue("id"))
	if err != nil {
		return err
	}
	reviews, _, err := s.Reviews.FindReviews(ctx, fpr.ReviewFilter{ProductID: &p.ID, Page: fpr.Page{Limit: 3}})
	if err != nil {
		return err
	}
	return s.renderEmbed(w, "embed-product", &embedProductPage{Product: p, Reviews: reviews,
		ProductURL: s.absURL("/products/" + url.PathEscape(p.ID)), CSS: s.staticURL("app.css")})
}

// staticURL is the fingerprinted URL of a static file, absolute so that
// it loads inside another site's page.
func (s *Server) staticURL(name string) string {
	f, ok := s.web.static[name]
	if !ok {
		return ""
	}
	return s.absURL("/static/" + f.hash + "/" + name)
}

// handleFarmBadgeShow handles GET /farms/{id}/badge.svg: "FPR | 4.6 ★ 12
// reviews" as an SVG image. Every text in it is escaped for XML.
func (s *Server) handleFarmBadgeShow(w http.ResponseWriter, r *http.Request) error {
	farm, err := s.Farms.FindFarmByID(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	value := "no reviews yet"
	if avg, ok := farm.Rating.Average(); ok {
		value = strconv.FormatFloat(avg, 'f', 1, 64) + " ★ · " + strconv.Itoa(farm.Rating.Count) + " review"
		if farm.Rating.Count != 1 {
			value += "s"
		}
	}
	w.Header().Set("Content-Type", "image/svg+xml")
	w.Header().Set("Cache-Control", "public, max-age="+strconv.Itoa(embedMaxAge))
	_, _ = w.Write(badgeSVG(farm.Name, "FPR", value))
	return nil
}

// badgeSVG draws a two-part badge: label on the left, value on the right,
// with title (the farm's name) for screen readers. Widths follow the text
// length at about 7 px per character.
func badgeSVG(title, label, value string) []byte {
	lw := 10 + 7*utf8.RuneCountInString(label)
	vw := 10 + 7*utf8.RuneCountInString(value)
	esc := html.EscapeString
	var b bytes.Buffer
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="20" role="img" aria-label="%s: %s">`, lw+vw, esc(title), esc(value))
	fmt.Fprintf(&b, `<title>%s: %s</title>`, esc(title), esc(value))
	fmt.Fprintf(&b, `<rect width="%d" height="20" fill="#2f5d3a"/><rect x="%d" width="%d" height="20" fill="#8a5a00"/>`, lw, lw, vw)
	fmt.Fprintf(&b, `<g fill="#fff" font-family="Verdana,DejaVu Sans,sans-serif" font-size="11">`)
	fmt.Fprintf(&b, `<text x="5" y="14">%s</text><text x="%d" y="14">%s</text></g></svg>`, esc(label), lw+5, esc(value))
	return b.Bytes()
}
