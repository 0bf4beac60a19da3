package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"
	mrand "math/rand/v2"
	"strings"
	"time"

	"github.com/fpr-team/fpr"
	"github.com/fpr-team/fpr/internal/auth"
	"github.com/fpr-team/fpr/internal/store"
)

// demoAdminEmail is the login of the demo catalogue's admin.
const demoAdminEmail = "admin@demo.fpr.example"

// loadDemo fills an empty catalogue with demo farms, products, reviews and
// replies, and creates an admin whose login it prints once to stdout. On a
// database that already has products it does nothing and says so.
func loadDemo(ctx context.Context, db *store.DB, a *auth.Service, stdout io.Writer, log *slog.Logger) error {
	has, err := db.HasProducts(ctx)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	if has {
		log.Info("demo: the database already has products; nothing loaded")
		fmt.Fprintln(stdout, "demo: the database already has products; nothing loaded")
		return nil
	}
	password := rand.Text()
	admin, err := a.Register(ctx, fpr.Registration{Email: demoAdminEmail, Password: password, DisplayName: "Demo Admin", Verified: true})
	if err != nil {
		return fmt.Errorf("demo: create admin: %s", describe(err))
	}
	if _, err := db.SetUserRoleUnchecked(ctx, admin.ID, fpr.RoleAdmin); err != nil {
		return fmt.Errorf("demo: create admin: %w", err)
	}
	now := db.Now().UTC()
	stats, err := demoCatalogue(ctx, db, now, mrand.New(mrand.NewPCG(uint64(now.UnixNano()), 7))) //nolint:gosec // demo data, not a secret
	if err != nil {
		return err
	}
	log.Info("demo catalogue loaded", "farms", stats.farms, "products", stats.products, "reviews", stats.reviews)
	fmt.Fprintf(stdout, "demo: loaded %d farms, %d products and %d reviews\n", stats.farms, stats.products, stats.reviews)
	fmt.Fprintf(stdout, "demo: admin login %s / %s (shown once)\n", demoAdminEmail, password)
	return nil
}

type demoStats struct{ farms, products, reviews int }

// demoCatalogue writes the demo farms, products, reviewers, reviews and
// replies in one transaction; the rating summaries are recounted from the
// reviews at the end of it.
func demoCatalogue(ctx context.Context, db *store.DB, now time.Time, r *mrand.Rand) (demoStats, error) {
	var st demoStats
	hash := unusableHashFrom(r)
	ago := func(d time.Duration) time.Time { return now.Add(-d).Truncate(time.Microsecond) }
	day := 24 * time.Hour
	err := db.Load(ctx, func(l *store.Loader) error {
		reviewers := make([]*fpr.User, len(demoReviewers))
		for i, name := range demoReviewers {
			t := ago(time.Duration(200+r.IntN(100)) * day)
			u := &fpr.User{ID: fpr.NewID(t), Email: fmt.Sprintf("%s%d@demo.fpr.example", fpr.Slugify(strings.Fields(name)[0]), i+1),
				DisplayName: name, Role: fpr.RoleMember, CreatedAt: t}
			if err := l.AddUser(u, hash); err != nil {
				return err
			}
			reviewers[i] = u
		}
		for _, df := range demoFarms {
			t := ago(time.Duration(300+r.IntN(60)) * day)
			owner := &fpr.User{ID: fpr.NewID(t), Email: fpr.Slugify(strings.Fields(df.owner)[0]) + "@" + fpr.Slugify(df.name) + ".demo.fpr.example",
				DisplayName: df.owner, Role: fpr.RoleProducer, CreatedAt: t}
			if err := l.AddUser(owner, hash); err != nil {
				return err
			}
			ft := t.Add(time.Hour)
			farm := &fpr.Farm{ID: fpr.NewID(ft), OwnerID: owner.ID, Name: df.name, Slug: fpr.Slugify(df.name), Region: df.region,
				Description: df.description, CreatedAt: ft}
			if err := l.AddFarm(farm); err != nil {
				return err
			}
			st.farms++
			for _, dp := range df.products {
				pt := ago(time.Duration(120+r.IntN(150)) * day)
				p := &fpr.Product{ID: fpr.NewID(pt), FarmID: farm.ID, Name: dp.name, Slug: fpr.Slugify(dp.name), Category: dp.category,
					Description: dp.description, Unit: dp.unit, CreatedAt: pt}
				if err := l.AddProduct(p); err != nil {
					return err
				}
				st.products++
				n, err := demoReviews(l, r, p, owner, reviewers, dp.reviews, now, pt)
				if err != nil {
					return err
				}
				st.reviews += n
			}
		}
		// The summaries follow from the reviews just written.
		return l.RecountRatings()
	})
	if err != nil {
		return st, fmt.Errorf("demo: %w", err)
	}
	return st, nil
}

// demoReviews adds n reviews of p by distinct reviewers, with a rating
// spread that leans positive as real ones do, and the farm's reply to some
// of the critical ones.
func demoReviews(l *store.Loader, r *mrand.Rand, p *fpr.Product, owner *fpr.User, reviewers []*fpr.User, n int,
	now, since time.Time) (int, error) {
	authors := r.Perm(len(reviewers))[:n]
	used := map[int]bool{}
	for _, ai := range authors {
		stars := demoStars[r.IntN(len(demoStars))]
		// A different text for each review of a product.
		var tmpl demoReview
		for range 20 {
			i := r.IntN(len(demoReviewTexts[stars-1]))
			tmpl = demoReviewTexts[stars-1][i]
			if !used[stars*100+i] {
				used[stars*100+i] = true
				break
			}
		}
		// Between the product's listing and now; a reply follows within
		// two days, never in the future.
		t := since.Add(time.Duration(r.Int64N(int64(now.Sub(since))))).Truncate(time.Microsecond)
		name := strings.ToLower(p.Name)
		rv := &fpr.Review{ID: fpr.NewID(t), ProductID: p.ID, Author: fpr.Author{ID: reviewers[ai].ID}, Rating: stars,
			Title: tmpl.title, Body: strings.ReplaceAll(tmpl.body, "{p}", name), Status: fpr.StatusPublished, CreatedAt: t, UpdatedAt: t}
		if err := l.AddReview(rv); err != nil {
			return 0, err
		}
		if stars <= 3 && r.IntN(2) == 0 {
			rt := t.Add(time.Duration(r.Int64N(int64(min(48*time.Hour, now.Sub(t)) + 1)))).Truncate(time.Microsecond)
			reply := &fpr.Reply{Body: demoReplies[r.IntN(len(demoReplies))], Author: fpr.Author{ID: owner.ID}, CreatedAt: rt, UpdatedAt: rt}
			if err := l.AddReply(rv.ID, reply); err != nil {
				return 0, err
			}
		}
	}
	return n, nil
}

// unusableHashFrom is seedGen.unusableHash for the demo's users: no
// password logs them in.
func unusableHashFrom(r *mrand.Rand) string {
	g := &seedGen{ids: r}
	return g.unusableHash()
}

// demoStars is the distribution of the demo's ratings: mostly 4 and 5
// stars, some 3, a few 1 and 2.
var demoStars = []int{5, 5, 5, 5, 5, 5, 4, 4, 4, 4, 4, 3, 3, 2, 1}

type demoProduct struct {
	name, unit, description string
	category                fpr.Category
	reviews                 int
}

type demoFarm struct {
	name, owner, region, description string
	products                         []demoProduct
}

var demoFarms = []demoFarm{
	{"Willowbrook Farm", "Hannah Pryce", "Herefordshire",
		"A mixed farm on the banks of the Lugg: orchards, a small dairy herd and a walled vegetable garden, farmed organically since 1998.",
		[]demoProduct{
			{"Cox's Orange Pippin Apples", "per kg", "Crisp, aromatic eating apples picked from our old standard trees from late September.", "fruit", 7},
			{"Cloudy Apple Juice", "75 cl bottle", "Pressed from a blend of Cox, Bramley and Discovery, gently pasteurised, nothing added.", "beverages", 6},
			{"Unpasteurised Whole Milk", "2 l bottle", "From our twenty Jersey cows, bottled the morning it is milked. Rich, with a thick cream line.", "dairy", 5},
			{"Rainbow Chard", "bunch", "Red, yellow and white stems with tender leaves; cut the day it is sent.", "vegetables", 2},
			{"Bramley Apple Chutney", "jar 300 g", "Slow-cooked with onions, sultanas and a little ginger. Lovely with a sharp cheddar.", "preserves", 3},
		}},
	{"Ferme du Château Lavande", "Élodie Marchand", "Provence",
		"Lavender fields, bees and olive trees on a south-facing slope below the old château.",
		[]demoProduct{
			{"Lavender Honey", "jar 250 g", "Pale, floral honey from hives set among our lavender in July. Creamed naturally by autumn.", "honey", 8},
			{"Cold-pressed Olive Oil", "500 ml bottle", "Aglandau olives pressed within hours of picking: peppery, green and fresh.", "oils-and-vinegars", 5},
			{"Dried Lavender Bunches", "bunch", "Fine lavender dried in the shade to keep its colour and scent.", "flowers", 2},
			{"Herbes de Provence", "tin 40 g", "Our own thyme, savory, rosemary and oregano, dried and blended by hand.", "herbs", 4},
			{"Beeswax Candles", "pair", "Hand-dipped from our own wax; they burn slowly and smell faintly of honey.", "other", 0},
		}},
	{"Glen Ardoch Croft", "Callum MacLeod", "Argyll",
		"A hill croft with Blackface sheep, Highland cattle and a smokehouse by the loch.",
		[]demoProduct{
			{"Hebridean Lamb Shoulder", "per kg", "Slow-grown on heather hill grazing; dark, sweet meat that wants a long, slow roast.", "meat", 6},
			{"Oak-smoked Trout", "200 g", "Loch-reared trout cured and cold-smoked over oak chips for twelve hours.", "fish", 7},
			{"Heather Honey", "jar 227 g", "Thick, jelly-like honey from the August heather bloom, with a bittersweet edge.", "honey", 4},
			{"Highland Beef Mince", "500 g", "From grass-fed Highland cattle, hung for three weeks before butchering.", "meat", 3},
		}},
	{"Hollow Oak Eggs", "Priya Raman", "Kent",
		"Free-range hens and ducks in orchards of old cobnut trees, moved to fresh ground every week.",
		[]demoProduct{
			{"Free-range Eggs", "dozen", "Mixed sizes from our Light Sussex and Marans hens; deep orange yolks.", "eggs", 9},
			{"Duck Eggs", "half dozen", "Large Khaki Campbell eggs, perfect for baking and for a proper fried egg.", "eggs", 4},
			{"Kentish Cobnuts", "500 g bag", "Fresh cobnuts harvested green in August and brown in October; crack and eat.", "nuts-and-seeds", 3},
			{"Whole Free-range Chicken", "each (about 2 kg)", "Slow-growing birds reared for 81 days outdoors, dry-plucked and hung.", "poultry", 5},
			{"Layers Pellets", "20 kg sack", "The organic layers feed we use for our own flock, for keepers of backyard hens.", "feed", 1},
		}},
	{"Stonemill Bakery Farm", "Tom Ashdown", "Norfolk",
		"We grow heritage wheat and rye, mill it in our own stone mill and bake in a wood-fired oven.",
		[]demoProduct{
			{"Country Sourdough Loaf", "800 g loaf", "Made with our stoneground flour and a 48-hour ferment; chewy crumb, dark crust.", "flour-and-bakery", 8},
			{"Stoneground Wholemeal Flour", "1.5 kg bag", "Heritage Maris Widgeon wheat, milled slowly between French burr stones.", "flour-and-bakery", 4},
			{"Wholegrain Rye Flour", "1 kg bag", "Nutty, dark rye for dense breads and sourdough starters.", "grains", 2},
			{"Rolled Oats", "1 kg bag", "Oats grown on our lighter fields, rolled thick for porridge with bite.", "grains", 3},
		}},
	{"Quinta do Vale Verde", "Inês Carvalho", "Minho",
		"A terraced smallholding of vines, citrus and vegetables in the green valleys of northern Portugal.",
		[]demoProduct{
			{"Heirloom Tomatoes", "per kg", "A mix of Coração de Boi, Black Krim and yellow pear tomatoes, ripened on the vine.", "vegetables", 6},
			{"Bitter Orange Marmalade", "jar 340 g", "Thick-cut Seville-type oranges from our old trees, boiled in small batches.", "preserves", 5},
			{"Piri-piri Chillies", "punnet 100 g", "Small, fiery bird's eye chillies, fresh from the plant.", "vegetables", 2},
			{"Tomato Seedlings", "tray of 6", "Young plants of our favourite heirloom varieties, ready to pot on in spring.", "plants-and-seedlings", 3},
		}},
	{"Meadowsweet Dairy", "Gwen Pritchard", "Carmarthenshire",
		"A small herd of Ayrshire cows on permanent pasture, and a cheese room in the old stable.",
		[]demoProduct{
			{"Mature Farmhouse Cheddar", "per 250 g", "Cloth-bound and aged for fourteen months: crumbly, nutty and long.", "dairy", 8},
			{"Salted Butter", "250 g block", "Churned from cultured cream and salted with sea salt from the Gower.", "dairy", 5},
			{"Natural Yoghurt", "500 g pot", "Thick, set yoghurt from whole milk, mildly tangy.", "dairy", 4},
			{"Crème Fraîche", "200 ml pot", "Slowly soured double cream, for sauces and for spooning over fruit.", "dairy", 3},
		}},
	{"Bramble End Market Garden", "Sam Okafor", "Devon",
		"Four acres of no-dig beds, polytunnels and a cut-flower patch, worked by hand and one small tractor.",
		[]demoProduct{
			{"Mixed Salad Leaves", "bag 150 g", "A changing mix of lettuces, mustards, rocket and edible flowers, washed and ready.", "vegetables", 6},
			{"Baby Carrots", "bunch", "Sweet early carrots with their tops on, pulled the morning they are sent.", "vegetables", 4},
			{"Sweet Pea Bouquet", "bunch of 20 stems", "Scented sweet peas in soft colours; cut in bud so they open at home.", "flowers", 3},
			{"Basil Plant", "pot", "Genovese basil grown in peat-free compost; keep it on a sunny sill.", "herbs", 2},
			{"Garden Trowel", "each", "A forged steel trowel with an ash handle, the one we use every day.", "equipment", 1},
		}},
}

var demoReviewers = []string{
	"Alice Thornton", "Ben Adeyemi", "Chloé Besson", "Dan Whitfield", "Eleanor Shaw", "Farah Haddad", "George Llewellyn",
	"Hana Suzuki", "Isaac Morgan", "Julia Novak", "Kieran Doyle", "Laura Bianchi", "Marcus Reid", "Nadia Petrova",
	"Oliver Hartley", "Phoebe Lane", "Rahul Mehta", "Sophie Durand", "Theo Williams", "Ursula Becker", "Vikram Singh",
	"Wendy Chambers", "Xavier Ortiz", "Yasmin Khan", "Zac Fletcher",
}

type demoReview struct{ title, body string }

// demoReviewTexts holds review texts by star value; {p} is the product's
// name in lower case.
var demoReviewTexts = [5][]demoReview{
	{
		{"Arrived in a sorry state", "The {p} arrived crushed and warm after three days in transit. I have written to the farm but it was not a good first order."},
		{"Not what was described", "The listing promised much more than the {p} I received. Bland and clearly not fresh. I won't be ordering again."},
		{"Very disappointed", "I had read such good things, but my {p} went straight in the compost. Perhaps a bad batch, but at this price I expected better."},
	},
	{
		{"Disappointing this time", "I've had better {p} from this farm before. This batch was underwhelming and the delivery was late."},
		{"Overpriced for what it is", "Decent enough {p}, but the price is hard to justify compared with the market."},
		{"Packaging let it down", "Nothing wrong with the {p} itself, but a lot of the order was damaged because of the flimsy packaging."},
	},
	{
		{"Good, not great", "Perfectly decent {p}. Nothing wrong, but nothing that made me stop and notice either."},
		{"Fine, a bit variable", "Parts of my order of {p} were excellent and parts ordinary. Delivery was quick and the farm was friendly."},
		{"Okay for everyday use", "Reasonable {p} for the price. I'd buy again if it were convenient, but I wouldn't go out of my way."},
		{"Mixed feelings", "Good flavour from the {p}, but the quantity felt a little mean for the price."},
	},
	{
		{"Very good indeed", "Really good {p}, clearly fresh and well looked after. Knocked off a star only because delivery took an extra day."},
		{"Solid and reliable", "This is my third order of the {p} and every one has been consistently good."},
		{"Lovely, will buy again", "We enjoyed the {p} very much. Well packed, arrived quickly, and the note from the farm was a nice touch."},
		{"Great quality", "Excellent {p}, much better than anything in the supermarket. A little pricey but worth it for a treat."},
		{"Nearly perfect", "Beautiful {p}. My only wish is that they sold a larger size."},
	},
	{
		{"Absolutely delicious", "The best {p} I have had in years. You can taste the care that goes into it. Already ordered more."},
		{"Worth every penny", "Fantastic {p}. Fresh, full of flavour and beautifully packed. This is now a regular order in our house."},
		{"Outstanding", "We had friends round and everyone asked which farm sold us the {p}. Exceptional quality."},
		{"A new favourite", "I bought the {p} on a whim and now I can't go back. Friendly farm, quick delivery, perfect condition."},
		{"Just like it used to be", "Buying {p} from this farm takes me back to my grandparents' kitchen garden. Proper food, made properly."},
		{"Five stars, no question", "Superb {p}. Arrived the day after I ordered and kept well all week."},
	},
}

var demoReplies = []string{
	"Thank you for telling us, and sorry this order fell short. We've changed courier for your area; please get in touch and we'll make it right.",
	"We're sorry to read this. That batch was from the end of the season; we've refunded your order and hope you'll give us another try.",
	"Thanks for the honest feedback. We've switched to sturdier boxes since, and we'd love to send you a replacement.",
	"Sorry it wasn't up to our usual standard. Weather this year has been hard on us, but that's no excuse; do drop us a line.",
}
