package fpr

import (
	"fmt"
	"time"
)

// HarvestYears is how far back a review's harvest month may go: the
// month of now and the 3 years before it (36 earlier months).
const HarvestYears = 3

// msgHarvest is the field message of a harvest month that is not valid.
const msgHarvest = "Use the month you bought or harvested it, as YYYY-MM, not in the future and at most 3 years ago."

// HarvestRange returns the first and last harvest months ("YYYY-MM") a
// review written at now may carry: HarvestYears years back to now's month,
// in UTC.
func HarvestRange(now time.Time) (first, last string) {
	now = now.UTC()
	last = now.Format("2006-01")
	first = time.Date(now.Year()-HarvestYears, now.Month(), 1, 0, 0, 0, 0, time.UTC).Format("2006-01")
	return first, last
}

// ValidateHarvest returns a user-facing message when h, a review's harvest
// month written at now, is not "" and not a "YYYY-MM" month from
// HarvestRange(now).
func ValidateHarvest(h string, now time.Time) string {
	if h == "" {
		return ""
	}
	t, err := time.Parse("2006-01", h)
	if err != nil || t.Format("2006-01") != h {
		return msgHarvest
	}
	first, last := HarvestRange(now)
	if h < first || h > last {
		return msgHarvest
	}
	return ""
}

// HarvestYear returns the year of a valid harvest month, 0 for "".
func HarvestYear(h string) int {
	t, err := time.Parse("2006-01", h)
	if err != nil {
		return 0
	}
	return t.Year()
}

// ValidateHarvestYear returns a user-facing message when y is not a year
// a harvest filter can match: 1900 to 9999.
func ValidateHarvestYear(y int) string {
	if y < 1900 || y > 9999 {
		return "Use a year such as 2025."
	}
	return ""
}

// HarvestYearRange returns the bounds of year y's harvest months for
// range queries: "YYYY-01" and "YYYY-12".
func HarvestYearRange(y int) (first, last string) {
	return fmt.Sprintf("%04d-01", y), fmt.Sprintf("%04d-12", y)
}

// YearRating is a product's rating over the reviews harvested in one year.
type YearRating struct {
	Year int
	Rating
}
