package fpr

import (
	"context"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Farm is a producer's farm; it sells products.
type Farm struct {
	ID          string
	OwnerID     string
	Name        string
	Slug        string
	Region      string
	Description string
	CreatedAt   time.Time
	// Photo is the farm's photo, nil when it has none.
	Photo *Photo
}

// Limits on farm fields.
const (
	MaxFarmNameLength        = 100
	MaxRegionLength          = 100
	MaxFarmDescriptionLength = 5000
)

// Validate checks a farm's fields and sets its slug from its name.
func (f *Farm) Validate() error {
	fe := FieldErrors{}
	f.Name = strings.TrimSpace(f.Name)
	f.Region = strings.TrimSpace(f.Region)
	f.Description = strings.TrimSpace(f.Description)
	checkText(fe, "name", f.Name, 1, MaxFarmNameLength)
	checkText(fe, "region", f.Region, 1, MaxRegionLength)
	checkText(fe, "description", f.Description, 0, MaxFarmDescriptionLength)
	f.Slug = Slugify(f.Name)
	return fe.Err()
}

// FarmUpdate holds the fields of a PATCH; nil means "not given".
type FarmUpdate struct {
	Name        *string
	Region      *string
	Description *string
}

// FarmFilter selects farms. Nil fields are not filtered on.
type FarmFilter struct {
	OwnerID *string
	Region  *string
	Page
}

// FarmService manages farms.
type FarmService interface {
	// FindFarmByID returns a farm or not_found.
	FindFarmByID(ctx context.Context, id string) (*Farm, error)

	// FindFarms lists farms by name.
	FindFarms(ctx context.Context, f FarmFilter) ([]*Farm, string, error)

	// CreateFarm creates f. The acting user must be a producer (who becomes
	// the owner) or an admin (who may set OwnerID to a producer's ID).
	// unauthenticated, forbidden, validation_failed, conflict (slug taken).
	CreateFarm(ctx context.Context, f *Farm) error

	// UpdateFarm changes a farm. Its owner or an admin only.
	UpdateFarm(ctx context.Context, id string, upd FarmUpdate) (*Farm, error)
}

// Slugify turns a name into a URL-friendly slug of ASCII lowercase letters,
// digits and single dashes: "Ferme du Château" becomes "ferme-du-chateau".
// Common accented Latin letters are folded; other characters separate words.
// A name with nothing usable gives "item".
func Slugify(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if f, ok := foldLatin[r]; ok {
			b.WriteString(f)
			dash = false
			continue
		}
		if r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
			b.WriteRune(r)
			dash = false
			continue
		}
		if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	out := strings.TrimSuffix(b.String(), "-")
	if out == "" {
		return "item"
	}
	return out
}

// foldLatin maps accented lowercase Latin letters to ASCII.
var foldLatin = func() map[rune]string {
	m := map[rune]string{'ß': "ss", 'æ': "ae", 'œ': "oe", 'ø': "o", 'ð': "d", 'þ': "th", 'ł': "l"}
	for base, accented := range map[string]string{
		"a": "àáâãäåāăą", "c": "çćĉċč", "d": "ď", "e": "èéêëēĕėęě", "g": "ĝğġģ",
		"h": "ĥ", "i": "ìíîïĩīĭį", "j": "ĵ", "k": "ķ", "l": "ĺļľ", "n": "ñńņň",
		"o": "òóôõöōŏő", "r": "ŕŗř", "s": "śŝşš", "t": "ţť", "u": "ùúûüũūŭůűų",
		"w": "ŵ", "y": "ýÿŷ", "z": "źżž",
	} {
		for _, r := range accented {
			m[r] = base
		}
	}
	return m
}()

// checkText records a message for field when s is shorter than min or
// longer than max characters.
func checkText(fe FieldErrors, field, s string, minLen, maxLen int) {
	n := utf8.RuneCountInString(s)
	switch {
	case n < minLen && n == 0:
		fe.Add(field, "This field is required.")
	case n < minLen:
		fe.Add(field, "This is too short.")
	case n > maxLen:
		fe.Add(field, "Use at most "+strconv.Itoa(maxLen)+" characters.")
	}
}
