package store

import (
	"encoding/base64"
	"encoding/json"
	"strconv"

	"github.com/fpr-team/fpr"
)

// cursor is the position after the last row of a page: the sort key values
// of that row. Encoded as base64 JSON it is opaque to clients, and the next
// page is one index seek (WHERE (key, id) < (last key, last id)), so page
// 500 costs what page 1 costs.
type cursor struct {
	// Sort names the order the cursor belongs to; a cursor from another
	// order is refused rather than silently misread.
	Sort string  `json:"s"`
	ID   string  `json:"i"`
	Int  int64   `json:"n,omitempty"`
	Num  float64 `json:"f,omitempty"`
	Str  string  `json:"t,omitempty"`
}

func (c cursor) encode() string {
	b, _ := json.Marshal(c) // a struct of plain fields always marshals
	return base64.RawURLEncoding.EncodeToString(b)
}

// decodeCursor parses s; "" is the first page (nil). A cursor that does not
// parse, or belongs to another sort, is validation_failed.
func decodeCursor(s, sort string) (*cursor, error) {
	if s == "" {
		return nil, nil
	}
	bad := &fpr.Error{Code: fpr.CodeValidationFailed, Message: "The cursor is not valid for this list.",
		Fields: map[string]string{"cursor": "Use the next_cursor of the previous page, with the same sort."}}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, bad
	}
	var c cursor
	// Its text goes into a query: NUL ("\u0000" decodes to one) would be
	// an error on PostgreSQL, so a 500, rather than the 422 it is.
	if err := json.Unmarshal(b, &c); err != nil || c.Sort != sort || c.ID == "" ||
		fpr.TextProblem(c.ID, fpr.SingleLine) != "" || fpr.TextProblem(c.Str, fpr.MultiLine) != "" {
		return nil, bad
	}
	return &c, nil
}

// limitClause is the LIMIT of a public list (products, farms, reviews),
// written into the SQL as a number, not bound as a parameter. PostgreSQL
// plans a prepared statement anew on each run (a custom plan) for as long
// as its plan for any parameter values (the generic plan) looks costlier,
// and with an unknown LIMIT that generic plan is costed for a tenth of the
// matching rows. With 10 million reviews, about 1,000 a product, it always
// looked costlier, so every page of reviews was planned again: 2,900 pages
// a second where the same query with its LIMIT written in ran 12,000
// (pgbench -M prepared, one core). Pages have few sizes (fpr.MaxLimit at
// most), so the statements stay few in both databases' caches.
func limitClause(n int) string { return ` LIMIT ` + strconv.Itoa(n) }
