package http

import (
	"fmt"
	"html/template"
	"image/color"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/boombuler/barcode/qr"

	"github.com/fpr-team/fpr"
)

// The purchase-code pages: a producer's form (GET /farms/{id}/purchase-codes)
// and, on POST, the printable sheet of the new codes, each with a QR code
// to the review form carrying it. The codes are shown this once: only their
// hashes are stored.

type purchaseCodesPage struct {
	basePage
	Farm     *fpr.Farm
	Products []*fpr.Product
	Form     purchaseCodeForm
	// Codes is the printed sheet; empty on the form.
	Codes []printedCode
}

type purchaseCodeForm struct {
	ProductID string
	Count     string
	ExpiresOn string // YYYY-MM-DD, the end of that day in UTC
	formState
}

// ProductChoices are the farm's products, and "any product".
func (p purchaseCodesPage) ProductChoices() []option {
	out := []option{{Value: "", Label: "Any of the farm's products", Selected: p.Form.ProductID == ""}}
	for _, pr := range p.Products {
		out = append(out, option{Value: pr.ID, Label: pr.Name, Selected: p.Form.ProductID == pr.ID})
	}
	return out
}

// printedCode is one code on the sheet.
type printedCode struct {
	Code    string // grouped in fours
	Product string // "" for any product
	URL     string // the review form with the code
	QR      template.HTML
}

// handlePurchaseCodeForm handles GET /farms/{id}/purchase-codes.
func (s *Server) handlePurchaseCodeForm(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r.Context()); err != nil {
		return err
	}
	p, err := s.purchaseCodesPage(w, r)
	if err != nil {
		return err
	}
	p.Form.Count = "20"
	return s.render(w, r, http.StatusOK, "purchase_codes", p)
}

func (s *Server) purchaseCodesPage(w http.ResponseWriter, r *http.Request) (*purchaseCodesPage, error) {
	ctx := r.Context()
	farm, err := s.Farms.FindFarmByID(ctx, r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	if !fpr.CanManageFarm(fpr.UserFromContext(ctx), farm) {
		return nil, fpr.Errorf(fpr.CodeForbidden, "Only the farm's producer or an admin may make purchase codes.")
	}
	products, _, err := s.Products.FindProducts(ctx, fpr.ProductFilter{FarmID: &farm.ID, Sort: fpr.ProductSortName, Page: fpr.Page{Limit: fpr.MaxLimit}})
	if err != nil {
		return nil, err
	}
	p := &purchaseCodesPage{Farm: farm, Products: products}
	p.basePage = s.base(w, r, "Purchase codes for "+farm.Name)
	return p, nil
}

// handlePurchaseCodeCreate handles POST /farms/{id}/purchase-codes: it
// makes the codes and answers with the printable sheet.
func (s *Server) handlePurchaseCodeCreate(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r.Context()); err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	f := purchaseCodeForm{ProductID: r.PostForm.Get("product_id"), Count: r.PostForm.Get("count"), ExpiresOn: r.PostForm.Get("expires_on")}
	b := &fpr.PurchaseCodeBatch{FarmID: r.PathValue("id"), ProductID: f.ProductID}
	var err error
	if b.Count, err = strconv.Atoi(strings.TrimSpace(f.Count)); err != nil {
		b.Count = 0 // refused by Validate with the count's message
	}
	if f.ExpiresOn != "" {
		day, perr := time.Parse(time.DateOnly, f.ExpiresOn)
		if perr != nil {
			err = &fpr.Error{Code: fpr.CodeValidationFailed, Message: "Some fields need another look.",
				Fields: map[string]string{"expires_on": "Use a date such as 2027-06-30."}}
		}
		end := day.Add(24*time.Hour - time.Second)
		b.ExpiresAt = &end
	}
	var codes []string
	if err == nil {
		codes, err = s.PurchaseCodes.CreatePurchaseCodes(r.Context(), b)
	}
	if err != nil {
		return formFailed(s, w, r, err, "purchase_codes", func() (*purchaseCodesPage, error) { return s.purchaseCodesPage(w, r) },
			func(p *purchaseCodesPage, st formState) {
				f.formState = st
				p.Form = f
			})
	}
	p, err := s.purchaseCodesPage(w, r)
	if err != nil {
		return err
	}
	p.Form = f
	product := ""
	target := ""
	for _, pr := range p.Products {
		if pr.ID == f.ProductID {
			product, target = pr.Name, pr.ID
		}
	}
	for _, c := range codes {
		pc := printedCode{Code: fpr.FormatPurchaseCode(c), Product: product}
		if target != "" {
			pc.URL = s.absURL(productURL(target) + "?code=" + url.QueryEscape(pc.Code) + "#your-review")
		} else {
			pc.URL = s.absURL(farmURL(p.Farm.ID) + "?code=" + url.QueryEscape(pc.Code))
		}
		if pc.QR, err = qrSVG(pc.URL); err != nil {
			return err
		}
		p.Codes = append(p.Codes, pc)
	}
	return s.render(w, r, http.StatusCreated, "purchase_codes", p)
}

func farmURL(id string) string { return "/farms/" + url.PathEscape(id) }

// qrSVG draws text as a QR code in inline SVG: one path of unit squares
// with a quiet zone, sized by CSS, so the sheet needs no image requests
// and prints crisply.
func qrSVG(text string) (template.HTML, error) {
	code, err := qr.Encode(text, qr.M, qr.Auto)
	if err != nil {
		return "", fmt.Errorf("qr code: %w", err)
	}
	n := code.Bounds().Dx()
	var b strings.Builder
	for y := range n {
		for x := range n {
			if code.At(x, y) == color.Black {
				fmt.Fprintf(&b, "M%d %dh1v1h-1z", x+4, y+4)
			}
		}
	}
	size := n + 8
	//nolint:gosec // G203: the SVG is built from numbers only; no user text reaches it
	return template.HTML(fmt.Sprintf(`<svg class="qr" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" role="img" aria-label="QR code of the review link"><rect width="%d" height="%d" fill="#fff"/><path d="%s" fill="#000"/></svg>`,
		size, size, size, size, b.String())), nil
}
