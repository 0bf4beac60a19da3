package fpr

import (
	"math"
	"net/url"
	"strconv"
)

// The query parameters of lists (?limit=, ?cursor=, ?sort=, ?rating=,
// ?min_rating=, …), parsed and checked here once for the pages and the
// API. The stores call the filters' Validate too, so a caller that builds
// a filter by hand gets the same answers.

// errLimit is the error of a limit that is not a whole number from 1 to
// MaxLimit.
func errLimit() *Error {
	return &Error{Code: CodeValidationFailed, Message: "The limit must be a whole number between 1 and 100.",
		Fields: map[string]string{"limit": "Must be between 1 and 100."}}
}

// ParsePage reads ?limit= and ?cursor=. An absent limit is DefaultLimit;
// one that is not a whole number from 1 to MaxLimit is validation_failed.
// The cursor is opaque here: the store that made it checks it.
func ParsePage(q url.Values) (Page, error) {
	fe := FieldErrors{}
	p := parsePageFields(q, fe)
	if len(fe) > 0 {
		return p, errLimit()
	}
	return p, p.Normalize()
}

// parsePageFields reads ?limit= and ?cursor= for a list whose Validate
// applies the default and the upper bound, adding a limit that is not a
// whole number of at least 1 to fe (0 would mean "default" to Normalize).
func parsePageFields(q url.Values, fe FieldErrors) Page {
	p := Page{Cursor: q.Get("cursor")}
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			fe.Add("limit", errLimit().Fields["limit"])
		} else {
			p.Limit = n
		}
	}
	return p
}

// Valid reports whether s is one of the review sorts.
func (s ReviewSort) Valid() bool {
	switch s {
	case ReviewSortNewest, ReviewSortHelpful, ReviewSortHighest, ReviewSortLowest:
		return true
	}
	return false
}

// Validate applies the defaults of a review list (DefaultLimit, newest
// first) and checks its limit, sort and star rating: validation_failed
// naming the first bad one.
func (f *ReviewFilter) Validate() error {
	if err := f.Normalize(); err != nil {
		return err
	}
	if f.Sort == "" {
		f.Sort = ReviewSortNewest
	}
	if !f.Sort.Valid() {
		return &Error{Code: CodeValidationFailed, Message: "That sort does not exist.",
			Fields: map[string]string{"sort": "Use newest, helpful, highest or lowest."}}
	}
	if f.Rating != nil {
		if msg := ValidateRating(*f.Rating); msg != "" {
			return &Error{Code: CodeValidationFailed, Message: msg, Fields: map[string]string{"rating": msg}}
		}
	}
	if f.HarvestYear != nil {
		if msg := ValidateHarvestYear(*f.HarvestYear); msg != "" {
			return &Error{Code: CodeValidationFailed, Message: msg, Fields: map[string]string{"harvest_year": msg}}
		}
	}
	return nil
}

// ParseReviewQuery reads a review list's ?sort=, ?rating=,
// ?harvest_year=, ?verified=, ?limit= and ?cursor= and validates them
// (ReviewFilter.Validate). An empty rating or harvest_year means every
// one; verified is "true", "false" or empty.
func ParseReviewQuery(q url.Values) (ReviewFilter, error) {
	page, err := ParsePage(q)
	if err != nil {
		return ReviewFilter{}, err
	}
	f := ReviewFilter{Sort: ReviewSort(q.Get("sort")), Page: page}
	if s := q.Get("rating"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			msg := ValidateRating(0)
			return f, &Error{Code: CodeValidationFailed, Message: msg, Fields: map[string]string{"rating": msg}}
		}
		f.Rating = &n
	}
	if s := q.Get("harvest_year"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			msg := ValidateHarvestYear(0)
			return f, &Error{Code: CodeValidationFailed, Message: msg, Fields: map[string]string{"harvest_year": msg}}
		}
		f.HarvestYear = &n
	}
	switch q.Get("verified") {
	case "", "false":
	case "true":
		f.Verified = true
	default:
		return f, &Error{Code: CodeValidationFailed, Message: "Use verified=true for verified purchases only.",
			Fields: map[string]string{"verified": "Use true or false."}}
	}
	return f, f.Validate()
}

// Valid reports whether s is one of the product sorts.
func (s ProductSort) Valid() bool {
	switch s {
	case ProductSortNewest, ProductSortTopRated, ProductSortMostReviewed, ProductSortName, ProductSortRelevance:
		return true
	}
	return false
}

// msgMinRating is the field message of a bad min_rating.
const msgMinRating = "Must be a number from 1 to 5."

// Validate applies the default limit of a product list and checks its
// limit, sort, category and minimum rating: validation_failed naming every
// bad field. An empty sort stays empty: the store picks newest, or
// relevance when the query has words.
func (f *ProductFilter) Validate() error {
	fe := FieldErrors{}
	if err := f.Normalize(); err != nil {
		for k, v := range ErrorFields(err) {
			fe.Add(k, v)
		}
	}
	if f.Sort != "" && !f.Sort.Valid() {
		fe.Add("sort", "Use newest, top_rated, most_reviewed or name.")
	}
	if f.Category != nil && !f.Category.Valid() {
		fe.Add("category", "Choose one of the listed categories.")
	}
	if f.MinRating != nil && (math.IsNaN(*f.MinRating) || *f.MinRating < 1 || *f.MinRating > 5) {
		fe.Add("min_rating", msgMinRating)
	}
	return fe.Err()
}

// ParseProductQuery reads a product list's ?q=, ?category=, ?farm_id=,
// ?min_rating=, ?sort=, ?limit= and ?cursor= and validates them
// (ProductFilter.Validate): validation_failed naming every bad field.
// Empty values are not filters.
func ParseProductQuery(q url.Values) (ProductFilter, error) {
	fe := FieldErrors{}
	f := ProductFilter{Sort: ProductSort(q.Get("sort")), Page: parsePageFields(q, fe)}
	if v := q.Get("q"); v != "" {
		f.Query = &v
	}
	if v := q.Get("category"); v != "" {
		c := Category(v)
		f.Category = &c
	}
	if v := q.Get("farm_id"); v != "" {
		f.FarmID = &v
	}
	if v := q.Get("min_rating"); v != "" {
		n, err := strconv.ParseFloat(v, 64)
		if err != nil || math.IsNaN(n) || math.IsInf(n, 0) {
			fe.Add("min_rating", msgMinRating)
		} else {
			f.MinRating = &n
		}
	}
	for k, v := range ErrorFields(f.Validate()) {
		fe.Add(k, v)
	}
	return f, fe.Err()
}

// Valid reports whether s is one of the farm sorts.
func (s FarmSort) Valid() bool {
	switch s {
	case FarmSortName, FarmSortTopRated, FarmSortMostReviewed:
		return true
	}
	return false
}

// Validate applies the defaults of a farm list (DefaultLimit, by name) and
// checks its limit and sort: validation_failed naming every bad field.
func (f *FarmFilter) Validate() error {
	fe := FieldErrors{}
	if err := f.Normalize(); err != nil {
		for k, v := range ErrorFields(err) {
			fe.Add(k, v)
		}
	}
	if f.Sort == "" {
		f.Sort = FarmSortName
	}
	if !f.Sort.Valid() {
		fe.Add("sort", "Use name, top_rated or most_reviewed.")
	}
	return fe.Err()
}

// ParseFarmQuery reads a farm list's ?region= (exact), ?q=, ?sort=,
// ?limit= and ?cursor= and validates them (FarmFilter.Validate). Empty
// values are not filters.
func ParseFarmQuery(q url.Values) (FarmFilter, error) {
	fe := FieldErrors{}
	f := FarmFilter{Sort: FarmSort(q.Get("sort")), Page: parsePageFields(q, fe)}
	if v := q.Get("q"); v != "" {
		f.Query = &v
	}
	if v := q.Get("region"); v != "" {
		f.Region = &v
	}
	for k, v := range ErrorFields(f.Validate()) {
		fe.Add(k, v)
	}
	return f, fe.Err()
}
