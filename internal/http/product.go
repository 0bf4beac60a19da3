package http

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/fpr-team/fpr"
)

// The catalogue pages: product search and the product page with its
// reviews and forms (the review forms' handlers are in review.go, the farm
// page in farm.go).

type productsPage struct {
	basePage
	Query     string
	Category  string
	MinRating string
	Sort      string
	Products  []*fpr.Product
	NextURL   string
	Filters   formState
}

// CategoryOptions are the choices of the category filter.
func (p productsPage) CategoryOptions() []option {
	out := []option{{Value: "", Label: "All categories", Selected: p.Category == ""}}
	for _, c := range fpr.Categories {
		out = append(out, option{Value: string(c), Label: c.Label(), Selected: string(c) == p.Category})
	}
	return out
}

// RatingOptions are the choices of the minimum rating filter.
func (p productsPage) RatingOptions() []option {
	return options(p.MinRating, "=Any rating", "4=4 stars and up", "3=3 stars and up", "2=2 stars and up", "1=1 star and up")
}

// SortOptions are the product orders.
func (p productsPage) SortOptions() []option {
	first := "=Newest"
	if p.Query != "" {
		first = "=Best match"
	}
	return options(p.Sort, first, "newest=Newest", "top_rated=Top rated", "most_reviewed=Most reviewed", "name=Name")
}

// Heading describes the list shown.
func (p productsPage) Heading() string {
	switch {
	case p.Query != "":
		return "Products matching “" + p.Query + "”"
	case p.Category != "":
		return fpr.Category(p.Category).Label()
	default:
		return "Products"
	}
}

// handleProductList handles GET /products?q=&category=&min_rating=&sort=&cursor=.
func (s *Server) handleProductList(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	p := &productsPage{
		Query:     strings.TrimSpace(q.Get("q")),
		Category:  q.Get("category"),
		MinRating: q.Get("min_rating"),
		Sort:      q.Get("sort"),
	}
	f, err := fpr.ParseProductQuery(q)
	if err == nil {
		var next string
		p.Products, next, err = s.Products.FindProducts(r.Context(), f)
		if next != "" {
			v := url.Values{}
			for _, k := range []string{"q", "category", "min_rating", "sort", "limit"} {
				if q.Get(k) != "" {
					v.Set(k, q.Get(k))
				}
			}
			v.Set("cursor", next)
			p.NextURL = "/products?" + v.Encode()
		}
	}
	if err != nil {
		// The filters are a form: a bad one is shown beside its field.
		return formFailed(s, w, r, err, "products", func() (*productsPage, error) {
			p.basePage = s.base(w, r, p.Heading())
			return p, nil
		}, func(p *productsPage, st formState) { p.Filters = st })
	}
	p.basePage = s.base(w, r, p.Heading())
	return s.render(w, r, http.StatusOK, "products", p)
}

type productPage struct {
	basePage
	Product *fpr.Product
	Farm    *fpr.Farm
	Bars    []histBar
	Reviews []productReview
	Sort    string
	Star    int // the star filter; 0 for all
	NextURL string
	// Mine is the visitor's own review of the product, in any status.
	Mine       *fpr.Review
	ReviewForm reviewForm
	// CanReply is true for the producer of the farm (and admins).
	CanReply bool
	JSONLD   *ldProduct
	// OwnFarm is true when the visitor owns the product's farm: they see
	// a note instead of the review form (fpr.CanReviewProduct).
	OwnFarm bool
	// Closed is true when the product is archived: no new reviews
	// (fpr.OpenForReviews).
	Closed bool
	// PhotoForm is the state of the add-a-photo form of one's review.
	PhotoForm formState
	// ByYear is the rating by harvest year, newest first.
	ByYear []fpr.YearRating
	// Moderation counts the product's rejected and removed reviews.
	Moderation *fpr.ModerationCounts
	// HarvestMin and HarvestMax bound the harvest month input.
	HarvestMin, HarvestMax string
}

// AspectRows are the product's aspect averages, in the category's order.
func (p productPage) AspectRows() []aspectRow {
	var out []aspectRow
	for _, a := range p.Product.Category.Aspects() {
		if ar, ok := p.Product.Aspects[a]; ok && ar.Count > 0 {
			avg, _ := ar.Average()
			out = append(out, aspectRow{Aspect: a, Label: a.Label(), Average: avg, Count: ar.Count})
		}
	}
	return out
}

// aspectRow is one aspect's average on the product page.
type aspectRow struct {
	Aspect  fpr.Aspect
	Label   string
	Average float64
	Count   int
}

// ModerationLines describes the moderation record in sentences, largest
// first; empty when no review was rejected or removed.
func (p productPage) ModerationLines() []string {
	if p.Moderation == nil {
		return nil
	}
	var out []string
	for _, part := range []struct {
		verb string
		m    map[fpr.FlagReason]int
	}{{"removed", p.Moderation.Removed}, {"rejected", p.Moderation.Rejected}} {
		for _, reason := range fpr.FlagReasons {
			if n := part.m[reason]; n > 0 {
				out = append(out, fmt.Sprintf("%d %s %s: %s", n, map[bool]string{true: "review", false: "reviews"}[n == 1], part.verb, reasonNoun[reason]))
			}
		}
	}
	return out
}

// reasonNoun names a reason in the moderation record.
var reasonNoun = map[fpr.FlagReason]string{
	fpr.FlagFoodSafety: "food safety", fpr.FlagSpam: "spam", fpr.FlagOffensive: "offensive",
	fpr.FlagOffTopic: "off topic", fpr.FlagFake: "fake or paid", fpr.FlagOther: "other reasons",
}

// histBar is one line of the rating histogram.
type histBar struct {
	Stars, Count, Pct int
	URL               string
	Current           bool
}

// productReview is a review on the product page with the visitor's forms.
type productReview struct {
	*fpr.Review
	CanVote   bool
	CanFlag   bool
	FlagForm  flagForm
	ReplyForm replyForm
}

type reviewForm struct {
	Rating       int
	Title        string
	Body         string
	Harvest      string
	Aspects      map[fpr.Aspect]int
	PurchaseCode string
	// Category gives the aspects the form offers.
	Category fpr.Category
	formState
}

// AspectChoices are the category's aspects, each with its 1–5 choices
// (and "not rated") as radio buttons.
func (f reviewForm) AspectChoices() []aspectChoice {
	var out []aspectChoice
	for _, a := range f.Category.Aspects() {
		c := aspectChoice{Name: string(a), Label: a.Label(), Error: f.Errors["aspects."+string(a)]}
		cur := f.Aspects[a]
		c.Options = append(c.Options, option{Value: "", Label: "Not rated", Selected: cur == 0})
		for i := 1; i <= 5; i++ {
			c.Options = append(c.Options, option{Value: strconv.Itoa(i), Label: strconv.Itoa(i), Selected: cur == i})
		}
		out = append(out, c)
	}
	return out
}

// aspectChoice is one aspect's radio group in the review form.
type aspectChoice struct {
	Name, Label, Error string
	Options            []option
}

// RatingChoices are the star radio buttons, 5 first.
func (f reviewForm) RatingChoices() []option {
	out := make([]option, 0, 5)
	for i := 5; i >= 1; i-- {
		n := strconv.Itoa(i)
		label := n + " stars"
		if i == 1 {
			label = "1 star"
		}
		out = append(out, option{Value: n, Label: label, Selected: f.Rating == i})
	}
	return out
}

type flagForm struct {
	Reason string
	Note   string
	formState
}

// flagReasonLabels name the flag reasons for people.
var flagReasonLabels = map[fpr.FlagReason]string{
	fpr.FlagFoodSafety: "Food safety: a risk to health (say what in the note)",
	fpr.FlagSpam:       "Spam or advertising", fpr.FlagOffensive: "Offensive", fpr.FlagOffTopic: "Not about this product",
	fpr.FlagFake: "Fake or paid review", fpr.FlagOther: "Something else",
}

// ReasonChoices are the flag reasons.
func (f flagForm) ReasonChoices() []option {
	out := make([]option, 0, len(fpr.FlagReasons))
	for _, reason := range fpr.FlagReasons {
		out = append(out, option{Value: string(reason), Label: flagReasonLabels[reason], Selected: f.Reason == string(reason)})
	}
	return out
}

type replyForm struct {
	Body string
	formState
}

// SortOptions are the review orders.
func (p productPage) SortOptions() []option {
	return options(p.Sort, "newest=Newest first", "helpful=Most helpful", "highest=Highest rating", "lowest=Lowest rating")
}

// StarOptions are the choices of the star filter.
func (p productPage) StarOptions() []option {
	star := ""
	if p.Star != 0 {
		star = strconv.Itoa(p.Star)
	}
	return options(star, "=All ratings", "5=5 stars", "4=4 stars", "3=3 stars", "2=2 stars", "1=1 star")
}

// handleProductShow handles GET /products/{id}?sort=&rating=&cursor=.
func (s *Server) handleProductShow(w http.ResponseWriter, r *http.Request) error {
	p, err := s.productPage(w, r, r.PathValue("id"))
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "product", p)
}

// productPage gathers the product page. A form post that fails calls it
// too, then sets the failed form's state before rendering.
func (s *Server) productPage(w http.ResponseWriter, r *http.Request, id string) (*productPage, error) {
	ctx := r.Context()
	product, err := s.Products.FindProductByID(ctx, id)
	if err != nil {
		return nil, err
	}
	farm, err := s.Farms.FindFarmByID(ctx, product.FarmID)
	if err != nil {
		return nil, err
	}
	q := r.URL.Query()
	f, err := fpr.ParseReviewQuery(q)
	if err != nil {
		return nil, err
	}
	f.ProductID = &product.ID
	p := &productPage{Product: product, Farm: farm, Sort: string(f.Sort)}
	// A printed purchase code's QR code links here with ?code=.
	p.ReviewForm.PurchaseCode = q.Get("code")
	p.HarvestMin, p.HarvestMax = fpr.HarvestRange(s.now())
	if f.Rating != nil {
		p.Star = *f.Rating
	}
	if p.ByYear, err = s.Reviews.FindHarvestRatings(ctx, product.ID); err != nil {
		return nil, err
	}
	if p.Moderation, err = s.Moderation.FindModerationCounts(ctx, product.ID); err != nil {
		return nil, err
	}
	reviews, next, err := s.Reviews.FindReviews(ctx, f)
	if err != nil {
		return nil, err
	}
	u := fpr.UserFromContext(ctx)
	if u != nil {
		mine, _, err := s.Reviews.FindReviews(ctx, fpr.ReviewFilter{ProductID: &product.ID, AuthorID: &u.ID, Page: fpr.Page{Limit: 1}})
		if err != nil {
			return nil, err
		}
		if len(mine) > 0 {
			p.Mine = mine[0]
			p.ReviewForm = reviewForm{Rating: p.Mine.Rating, Title: p.Mine.Title, Body: p.Mine.Body,
				Harvest: p.Mine.Harvest, Aspects: p.Mine.Aspects}
		}
		p.CanReply = fpr.CanReplyToReview(u, farm)
		p.OwnFarm = !fpr.CanReviewProduct(u, farm)
	}
	p.Closed = !fpr.OpenForReviews(product)
	for _, rv := range reviews {
		pr := productReview{Review: rv, CanVote: fpr.CanVoteOnReview(u, rv), CanFlag: fpr.CanFlagReview(u, rv)}
		if rv.Reply != nil {
			pr.ReplyForm.Body = rv.Reply.Body
		}
		p.Reviews = append(p.Reviews, pr)
	}
	base := "/products/" + url.PathEscape(product.ID)
	listQuery := func(star int, cursor string) string {
		v := url.Values{}
		if p.Sort != string(fpr.ReviewSortNewest) {
			v.Set("sort", p.Sort)
		}
		if star != 0 {
			v.Set("rating", strconv.Itoa(star))
		}
		if f.Limit != fpr.DefaultLimit {
			v.Set("limit", strconv.Itoa(f.Limit))
		}
		if cursor != "" {
			v.Set("cursor", cursor)
		}
		if len(v) == 0 {
			return base + "#reviews"
		}
		return base + "?" + v.Encode() + "#reviews"
	}
	for star := 5; star >= 1; star-- {
		n := product.Rating.Histogram[star-1]
		p.Bars = append(p.Bars, histBar{Stars: star, Count: n, Pct: pct(n, product.Rating.Count), URL: listQuery(star, ""), Current: p.Star == star})
	}
	if next != "" {
		p.NextURL = listQuery(p.Star, next)
	}
	p.ReviewForm.Category = product.Category
	p.JSONLD = s.productLD(product, farm, reviews)
	p.basePage = s.base(w, r, product.Name)
	return p, nil
}

// The schema.org JSON-LD of a product page. html/template marshals it
// inside <script type="application/ld+json"> and escapes "<" and friends,
// so review text cannot end the script element.
type ldProduct struct {
	Context         string       `json:"@context"`
	Type            string       `json:"@type"`
	Name            string       `json:"name"`
	Description     string       `json:"description,omitempty"`
	Category        string       `json:"category"`
	URL             string       `json:"url"`
	Brand           ldThing      `json:"brand"`
	Manufacturer    ldThing      `json:"manufacturer"`
	AggregateRating *ldAggregate `json:"aggregateRating,omitempty"`
	Review          []ldReview   `json:"review,omitempty"`
	Image           []string     `json:"image,omitempty"`
}

type ldThing struct {
	Type string `json:"@type"`
	Name string `json:"name"`
}

type ldAggregate struct {
	Type        string  `json:"@type"`
	RatingValue float64 `json:"ratingValue"`
	ReviewCount int     `json:"reviewCount"`
	BestRating  int     `json:"bestRating"`
	WorstRating int     `json:"worstRating"`
}

type ldReview struct {
	Type          string   `json:"@type"`
	Author        ldThing  `json:"author"`
	ReviewRating  ldRating `json:"reviewRating"`
	Name          string   `json:"name,omitempty"`
	ReviewBody    string   `json:"reviewBody"`
	DatePublished string   `json:"datePublished"`
	Image         []string `json:"image,omitempty"`
}

type ldRating struct {
	Type        string `json:"@type"`
	RatingValue int    `json:"ratingValue"`
	BestRating  int    `json:"bestRating"`
	WorstRating int    `json:"worstRating"`
}

// productLD builds the JSON-LD of a product with the reviews on the page.
func (s *Server) productLD(p *fpr.Product, farm *fpr.Farm, reviews []*fpr.Review) *ldProduct {
	ld := &ldProduct{
		Context: "https://schema.org", Type: "Product",
		Name: p.Name, Description: p.Description, Category: p.Category.Label(),
		URL:          strings.TrimSuffix(s.BaseURL, "/") + "/products/" + url.PathEscape(p.ID),
		Brand:        ldThing{Type: "Brand", Name: farm.Name},
		Manufacturer: ldThing{Type: "Organization", Name: farm.Name},
	}
	if p.Photo != nil {
		ld.Image = append(ld.Image, s.absURL(photoURL(p.Photo.ID, false)))
	}
	if avg, ok := p.Rating.Average(); ok {
		ld.AggregateRating = &ldAggregate{Type: "AggregateRating", RatingValue: avg, ReviewCount: p.Rating.Count, BestRating: 5, WorstRating: 1}
	}
	for _, rv := range reviews {
		if rv.Status != fpr.StatusPublished {
			continue
		}
		lr := ldReview{
			Type: "Review", Author: ldThing{Type: "Person", Name: rv.Author.DisplayName},
			ReviewRating: ldRating{Type: "Rating", RatingValue: rv.Rating, BestRating: 5, WorstRating: 1},
			Name:         rv.Title, ReviewBody: rv.Body, DatePublished: rv.CreatedAt.UTC().Format(time.DateOnly),
		}
		for _, ph := range rv.Photos {
			lr.Image = append(lr.Image, s.absURL(photoURL(ph.ID, false)))
		}
		ld.Review = append(ld.Review, lr)
	}
	return ld
}

// reviewView is what the "product-review" template of product.html gets:
// the page (for the visitor and the farm) and the review.
type reviewView struct {
	Page   *productPage
	Review productReview
}
