package fpr_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/fpr-team/fpr"
)

func query(t *testing.T, raw string) url.Values {
	t.Helper()
	q, err := url.ParseQuery(raw)
	if err != nil {
		t.Fatalf("ParseQuery(%q): %v", raw, err)
	}
	return q
}

func TestParsePage(t *testing.T) {
	for _, tt := range []struct {
		name, query string
		limit       int
		cursor      string
		field       string
	}{
		{"Default", "", fpr.DefaultLimit, "", ""},
		{"Limit", "limit=7&cursor=abc", 7, "abc", ""},
		{"MaxLimit", "limit=100", 100, "", ""},
		{"ErrNotANumber", "limit=ten", 0, "", "limit"},
		{"ErrZero", "limit=0", 0, "", "limit"},
		{"ErrNegative", "limit=-3", 0, "", "limit"},
		{"ErrTooBig", "limit=101", 0, "", "limit"},
		{"ErrFraction", "limit=2.5", 0, "", "limit"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p, err := fpr.ParsePage(query(t, tt.query))
			checkField(t, err, tt.field)
			if tt.field == "" && (p.Limit != tt.limit || p.Cursor != tt.cursor) {
				t.Errorf("ParsePage(%q) = %+v, want limit %d cursor %q", tt.query, p, tt.limit, tt.cursor)
			}
		})
	}
}

func TestParseReviewQuery(t *testing.T) {
	for _, tt := range []struct {
		name, query string
		sort        fpr.ReviewSort
		rating      int // 0: no filter
		field       string
	}{
		{"Default", "", fpr.ReviewSortNewest, 0, ""},
		{"EverySort", "sort=helpful", fpr.ReviewSortHelpful, 0, ""},
		{"Rating", "sort=lowest&rating=2&limit=5", fpr.ReviewSortLowest, 2, ""},
		{"ErrSort", "sort=oldest", "", 0, "sort"},
		{"ErrRatingNotANumber", "rating=abc", "", 0, "rating"},
		{"ErrRatingZero", "rating=0", "", 0, "rating"},
		{"ErrRatingSeven", "rating=7", "", 0, "rating"},
		{"ErrLimit", "limit=500", "", 0, "limit"},
		{"HarvestYearVerified", "harvest_year=2025&verified=true", fpr.ReviewSortNewest, 0, ""},
		{"VerifiedFalse", "verified=false", fpr.ReviewSortNewest, 0, ""},
		{"ErrHarvestYearWord", "harvest_year=last", "", 0, "harvest_year"},
		{"ErrHarvestYearSmall", "harvest_year=25", "", 0, "harvest_year"},
		{"ErrVerified", "verified=yes", "", 0, "verified"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f, err := fpr.ParseReviewQuery(query(t, tt.query))
			checkField(t, err, tt.field)
			if tt.field != "" {
				return
			}
			got := 0
			if f.Rating != nil {
				got = *f.Rating
			}
			if strings.Contains(tt.query, "harvest_year=2025") && (f.HarvestYear == nil || *f.HarvestYear != 2025 || !f.Verified) {
				t.Errorf("ParseReviewQuery(%q) = harvest %v verified %v, want 2025 true", tt.query, f.HarvestYear, f.Verified)
			}
			if f.Sort != tt.sort || got != tt.rating {
				t.Errorf("ParseReviewQuery(%q) = sort %q rating %d, want %q %d", tt.query, f.Sort, got, tt.sort, tt.rating)
			}
		})
	}
}

func TestParseProductQuery(t *testing.T) {
	for _, tt := range []struct {
		name, query string
		fields      []string
	}{
		{"Empty", "", nil},
		{"EveryFilter", "q=honey&category=honey&farm_id=f1&min_rating=3.5&sort=top_rated&limit=10&cursor=c", nil},
		{"Relevance", "q=honey&sort=relevance", nil},
		{"ErrLimit", "limit=abc", []string{"limit"}},
		{"ErrLimitZero", "limit=0", []string{"limit"}},
		{"ErrLimitBig", "limit=101", []string{"limit"}},
		{"ErrSort", "sort=cheapest", []string{"sort"}},
		{"ErrCategory", "category=cars", []string{"category"}},
		{"ErrMinRatingText", "min_rating=lots", []string{"min_rating"}},
		{"ErrMinRatingNaN", "min_rating=NaN", []string{"min_rating"}},
		{"ErrMinRatingInf", "min_rating=Inf", []string{"min_rating"}},
		{"ErrMinRatingLow", "min_rating=0.5", []string{"min_rating"}},
		{"ErrMinRatingHigh", "min_rating=6", []string{"min_rating"}},
		{"ErrEveryField", "limit=x&sort=x&category=x&min_rating=x", []string{"limit", "sort", "category", "min_rating"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f, err := fpr.ParseProductQuery(query(t, tt.query))
			if len(tt.fields) == 0 {
				checkField(t, err, "")
				if f.Limit < 1 {
					t.Errorf("limit = %d after a valid query, want the default applied", f.Limit)
				}
				return
			}
			if len(fpr.ErrorFields(err)) != len(tt.fields) {
				t.Errorf("fields = %v, want exactly %v", fpr.ErrorFields(err), tt.fields)
			}
			for _, field := range tt.fields {
				checkField(t, err, field)
			}
		})
	}

	f, err := fpr.ParseProductQuery(query(t, "q=honey&category=honey&farm_id=f1&min_rating=3.5&sort=name&limit=10&cursor=c"))
	if err != nil || *f.Query != "honey" || *f.Category != "honey" || *f.FarmID != "f1" || *f.MinRating != 3.5 ||
		f.Sort != fpr.ProductSortName || f.Limit != 10 || f.Cursor != "c" {
		t.Errorf("ParseProductQuery read %+v, %v", f, err)
	}
}

func TestModerationFilterValidate(t *testing.T) {
	for _, tt := range []struct {
		name, status string
		limit        int
		field        string
	}{
		{"Both", "", 0, ""},
		{"Pending", "pending", 5, ""},
		{"Flagged", "flagged", 0, ""},
		{"ErrStatus", "removed", 0, "status"},
		{"ErrLimit", "", 1000, "limit"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := fpr.ModerationFilter{Status: tt.status, Page: fpr.Page{Limit: tt.limit}}
			checkField(t, f.Validate(), tt.field)
		})
	}
}
