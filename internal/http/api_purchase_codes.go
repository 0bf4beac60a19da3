package http

import (
	"net/http"
	"time"

	"github.com/fpr-team/fpr"
)

// apiPurchaseCodesJSON is the API's PurchaseCodes: the new codes, in
// clear, the only time they are shown.
type apiPurchaseCodesJSON struct {
	Codes     []string `json:"codes"`
	ProductID *string  `json:"product_id"`
	ExpiresAt *string  `json:"expires_at"`
}

// handleAPIPurchaseCodeCreate handles POST /api/v1/farms/{id}/purchase-codes
// {product_id?, count, expires_at?}: the farm's producer makes codes.
func (s *Server) handleAPIPurchaseCodeCreate(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r.Context()); err != nil {
		return err
	}
	var in struct {
		ProductID *string    `json:"product_id"`
		Count     int        `json:"count"`
		ExpiresAt *time.Time `json:"expires_at"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	b := &fpr.PurchaseCodeBatch{FarmID: r.PathValue("id"), Count: in.Count, ExpiresAt: in.ExpiresAt}
	if in.ProductID != nil {
		b.ProductID = *in.ProductID
	}
	codes, err := s.PurchaseCodes.CreatePurchaseCodes(r.Context(), b)
	if err != nil {
		return err
	}
	out := apiPurchaseCodesJSON{Codes: make([]string, 0, len(codes)), ProductID: in.ProductID}
	for _, c := range codes {
		out.Codes = append(out.Codes, fpr.FormatPurchaseCode(c))
	}
	if in.ExpiresAt != nil {
		e := apiTime(*in.ExpiresAt)
		out.ExpiresAt = &e
	}
	writeJSON(w, http.StatusCreated, out)
	return nil
}
