package fpr

import (
	"math"
	"strings"
)

// Aspect is one quality a review may score besides its stars, such as a
// vegetable's freshness or an egg's yolk.
type Aspect string

// MaxAspects is how many aspects a category has at most.
const MaxAspects = 3

// categoryAspects is the one table of each category's aspects, in display
// order. GET /api/v1/categories and the review forms show it.
var categoryAspects = map[Category][]Aspect{
	"vegetables":           {"freshness", "flavour", "value"},
	"fruit":                {"ripeness", "flavour", "value"},
	"herbs":                {"freshness", "aroma", "value"},
	"dairy":                {"freshness", "flavour", "value"},
	"eggs":                 {"freshness", "yolk", "value"},
	"meat":                 {"tenderness", "flavour", "value"},
	"poultry":              {"tenderness", "flavour", "value"},
	"fish":                 {"freshness", "flavour", "value"},
	"honey":                {"flavour", "texture", "value"},
	"grains":               {"quality", "flavour", "value"},
	"flour-and-bakery":     {"freshness", "texture", "flavour"},
	"preserves":            {"flavour", "texture", "value"},
	"oils-and-vinegars":    {"flavour", "aroma", "value"},
	"beverages":            {"flavour", "aroma", "value"},
	"nuts-and-seeds":       {"freshness", "flavour", "value"},
	"plants-and-seedlings": {"health", "growth", "value"},
	"flowers":              {"freshness", "vase_life", "value"},
	"feed":                 {"quality", "value"},
	"equipment":            {"quality", "durability", "value"},
	"other":                {"quality", "value"},
}

// Aspects returns the aspects reviews of category c may score, in display
// order; none for an unknown category.
func (c Category) Aspects() []Aspect { return categoryAspects[c] }

// HasAspect reports whether a is one of c's aspects.
func (c Category) HasAspect(a Aspect) bool {
	for _, v := range categoryAspects[c] {
		if v == a {
			return true
		}
	}
	return false
}

// Label returns the aspect's name for people: "vase_life" becomes "Vase
// life".
func (a Aspect) Label() string {
	s := strings.ReplaceAll(string(a), "_", " ")
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// ValidateAspects checks a review's aspect scores for a product of
// category c: each a known aspect of c, scored 1–5. It returns field
// messages keyed "aspects.<name>" (or "aspects" for an unknown one).
func ValidateAspects(c Category, scores map[Aspect]int) FieldErrors {
	fe := FieldErrors{}
	for a, n := range scores {
		if !c.HasAspect(a) {
			names := make([]string, 0, MaxAspects)
			for _, v := range c.Aspects() {
				names = append(names, string(v))
			}
			fe.Add("aspects", "Rate only this category's aspects: "+strings.Join(names, ", ")+".")
			continue
		}
		if n < 1 || n > 5 {
			fe.Add("aspects."+string(a), "Choose from 1 to 5.")
		}
	}
	return fe
}

// AspectRating is a product's summary of one aspect over its counted
// reviews (CountsInRating).
type AspectRating struct {
	Count int
	Sum   int
}

// Average returns the mean score rounded to 2 decimals, and false when no
// review scored the aspect.
func (r AspectRating) Average() (float64, bool) {
	if r.Count == 0 {
		return 0, false
	}
	return math.Round(float64(r.Sum)/float64(r.Count)*100) / 100, true
}
