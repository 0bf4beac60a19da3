package fpr

import (
	"context"
	"net/url"
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
	// Where to buy, all optional: the farm shop's address and opening
	// hours, the markets it sells at and on which days, its web site
	// (http or https).
	ShopAddress string
	ShopHours   string
	Markets     string
	Website     string
	CreatedAt   time.Time
	// Photo is the farm's photo, nil when it has none.
	Photo *Photo
	// ProductCount counts the farm's listed (not archived) products.
	ProductCount int
	// Rating summarises the published reviews of all the farm's products,
	// archived ones included; it is kept in the same transaction as every
	// change to them, as a product's is.
	Rating Rating
}

// Limits on farm fields.
const (
	MaxFarmNameLength        = 100
	MaxRegionLength          = 100
	MaxFarmDescriptionLength = 5000
	MaxShopAddressLength     = 300
	MaxShopHoursLength       = 300
	MaxMarketsLength         = 1000
	MaxWebsiteLength         = 300
)

// Validate checks a farm's fields and sets its slug from its name.
func (f *Farm) Validate() error {
	fe := FieldErrors{}
	f.Name = strings.TrimSpace(f.Name)
	f.Region = strings.TrimSpace(f.Region)
	f.Description = strings.TrimSpace(NormalizeNewlines(f.Description))
	fe.Text("name", f.Name, SingleLine, 1, MaxFarmNameLength)
	fe.Text("region", f.Region, SingleLine, 1, MaxRegionLength)
	fe.Text("description", f.Description, MultiLine, 0, MaxFarmDescriptionLength)
	fe.Text("owner_id", f.OwnerID, SingleLine, 0, MaxIDLength)
	f.ShopAddress = strings.TrimSpace(NormalizeNewlines(f.ShopAddress))
	f.ShopHours = strings.TrimSpace(NormalizeNewlines(f.ShopHours))
	f.Markets = strings.TrimSpace(NormalizeNewlines(f.Markets))
	f.Website = strings.TrimSpace(f.Website)
	fe.Text("shop_address", f.ShopAddress, MultiLine, 0, MaxShopAddressLength)
	fe.Text("shop_hours", f.ShopHours, MultiLine, 0, MaxShopHoursLength)
	fe.Text("markets", f.Markets, MultiLine, 0, MaxMarketsLength)
	fe.Text("website", f.Website, SingleLine, 0, MaxWebsiteLength)
	if _, bad := fe["website"]; !bad {
		if msg := ValidateWebsite(f.Website); msg != "" {
			fe.Add("website", msg)
		}
	}
	f.Slug = Slugify(f.Name)
	return fe.Err()
}

// ValidateWebsite returns why s is not an acceptable farm web site, or ""
// when it is (an empty s is: the field is optional). Only absolute http
// and https URLs with a host are accepted, so a javascript: or data: URL
// can never become a link on a farm page.
func ValidateWebsite(s string) string {
	if s == "" {
		return ""
	}
	const msg = "Enter a web address starting with http:// or https://."
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
		strings.ContainsAny(s, " \t\r\n\"<>\\") {
		return msg
	}
	return ""
}

// MaxRegions bounds the region filter's choices.
const MaxRegions = 500

// FarmUpdate holds the fields of a PATCH; nil means "not given".
type FarmUpdate struct {
	Name        *string
	Region      *string
	Description *string
	ShopAddress *string
	ShopHours   *string
	Markets     *string
	Website     *string
}

// FarmSort orders farm lists.
type FarmSort string

// Farm sorts.
const (
	FarmSortName         FarmSort = "name"
	FarmSortTopRated     FarmSort = "top_rated"
	FarmSortMostReviewed FarmSort = "most_reviewed"
)

// FarmFilter selects farms. Nil fields are not filtered on.
type FarmFilter struct {
	OwnerID *string
	Region  *string // exact
	Query   *string // full text over name, region and description
	Sort    FarmSort
	Page
}

// FarmService manages farms.
type FarmService interface {
	// FindFarmByID returns a farm or not_found.
	FindFarmByID(ctx context.Context, id string) (*Farm, error)

	// FindFarms lists farms: by name (default), top_rated (Bayesian
	// average of the farm's rating) or most_reviewed; filtered on owner,
	// exact region and a full-text query. validation_failed for a bad
	// sort, limit or cursor.
	FindFarms(ctx context.Context, f FarmFilter) ([]*Farm, string, error)

	// CreateFarm creates f. The acting user must be a producer (who becomes
	// the owner) or an admin (who may set OwnerID to a producer's ID).
	// unauthenticated, forbidden, validation_failed, conflict (slug taken).
	CreateFarm(ctx context.Context, f *Farm) error

	// UpdateFarm changes a farm. Its owner or an admin only.
	UpdateFarm(ctx context.Context, id string, upd FarmUpdate) (*Farm, error)

	// FindRegions lists the distinct regions of farms, alphabetically (at
	// most MaxRegions), for the directory's region filter.
	FindRegions(ctx context.Context) ([]string, error)

	// ApplyForFarm records a's request to list a farm; the acting user is
	// the applicant (CanApplyForFarm: a member with a verified e-mail).
	// Rate-limited (LimitFarmApplication). unauthenticated, forbidden
	// (ErrVerifyToApply for an unverified member), validation_failed,
	// conflict (an application already pending), rate_limited.
	ApplyForFarm(ctx context.Context, a *FarmApplication) error

	// FindFarmApplications lists applications, newest first. Admins only.
	FindFarmApplications(ctx context.Context, f FarmApplicationFilter) ([]*FarmApplication, string, error)

	// FindOwnFarmApplications lists the acting user's own applications,
	// newest first, whatever their role now (an approved applicant is a
	// producer). unauthenticated, validation_failed (status, cursor).
	FindOwnFarmApplications(ctx context.Context, f FarmApplicationFilter) ([]*FarmApplication, string, error)

	// DecideFarmApplication approves or rejects a pending application
	// (admins). Approval creates the farm, owned by the applicant, and
	// makes the applicant a producer, in one transaction; the decision
	// mail to the applicant (MailFarmApplicationDecided) is written to the
	// outbox in the same transaction, either way. not_found, forbidden,
	// validation_failed, conflict (already decided).
	DecideFarmApplication(ctx context.Context, id string, action FarmApplicationAction, note string) (*FarmApplication, error)

	// FindFarmReviews lists the published reviews of the acting
	// producer's products (every farm they own), newest first, with their
	// replies; only those without a reply when unanswered.
	FindFarmReviews(ctx context.Context, f FarmReviewFilter) ([]*FarmReview, string, error)
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
