package main

import (
	"cmp"
	"context"
	"encoding/base32"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"runtime/pprof"
	"slices"
	"strings"
	"time"

	"github.com/fpr-team/fpr"
	"github.com/fpr-team/fpr/internal/auth"
	"github.com/fpr-team/fpr/internal/store"
)

// runSeed loads deterministic synthetic data: the same flags give the same
// rows (IDs included) on every run and on both databases.
func runSeed(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg := loadConfig(getenv)
	fs := flag.NewFlagSet("seed", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg.addDatabaseFlags(fs)
	var o seedOptions
	fs.IntVar(&o.Farms, "farms", 20, "number of farms")
	fs.IntVar(&o.Products, "products", 500, "number of products")
	fs.IntVar(&o.Users, "users", 1000, "number of users (the first ones own the farms, as producers)")
	fs.IntVar(&o.Reviews, "reviews", 10000, "number of reviews")
	fs.Uint64Var(&o.Seed, "seed", 1, "random seed: the same seed gives the same data")
	tokensFile := fs.String("tokens", "", "write API tokens of seeded members to this file, one a line (for load tests)")
	fs.IntVar(&o.Tokens, "token-users", 1000, "with --tokens: how many members get a token")
	fs.IntVar(&o.Hot, "hot", 0, "reviews of one product, of the total (deep pages for load tests)")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the seed to this file (for go tool pprof)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *cpuProfile != "" {
		stopProfile, err := startCPUProfile(*cpuProfile)
		if err != nil {
			return fmt.Errorf("seed: %w", err)
		}
		defer stopProfile()
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("seed: unexpected argument %q", fs.Arg(0))
	}
	if *tokensFile == "" {
		o.Tokens = 0
	}
	if err := o.validate(); err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	if err := cfg.finish(); err != nil {
		return err
	}
	start := time.Now()
	tokens, err := seedDatabase(ctx, cfg, o, stderr)
	if err != nil {
		return err
	}
	if *tokensFile != "" {
		// Secrets: readable by the operator only.
		if err := os.WriteFile(*tokensFile, []byte(strings.Join(tokens, "\n")+"\n"), 0o600); err != nil {
			return fmt.Errorf("seed: write tokens: %w", err)
		}
	}
	fmt.Fprintf(stdout, "seeded %d users, %d farms, %d products, %d reviews (seed %d) in %s\n",
		o.Users, o.Farms, o.Products, o.Reviews, o.Seed, time.Since(start).Round(time.Millisecond))
	return nil
}

// seedDatabase seeds the database of cfg. A SQLite file that does not
// exist yet is made by store.CreateSQLite (written without a journal under
// a temporary name, renamed when complete); an existing database (a
// PostgreSQL one, or a SQLite file already migrated) must have no farms
// and is loaded in one transaction.
func seedDatabase(ctx context.Context, cfg Config, o seedOptions, stderr io.Writer) ([]string, error) {
	if path, ok := strings.CutPrefix(cfg.DatabaseURL, "sqlite:"); ok {
		var tokens []string
		err := store.CreateSQLite(ctx, path, store.Options{Logger: cfg.newLogger(stderr)}, func(db *store.DB) error {
			var err error
			tokens, err = seed(ctx, db, o)
			return err
		})
		if err == nil {
			return tokens, nil
		}
		if !errors.Is(err, store.ErrDatabaseExists) {
			return nil, fmt.Errorf("seed: %w", err)
		}
	}
	db, err := openDB(ctx, cfg, cfg.newLogger(stderr))
	if err != nil {
		return nil, err
	}
	defer db.Close()
	if has, err := db.HasFarms(ctx); err != nil {
		return nil, err
	} else if has {
		return nil, errors.New("seed: the database already has farms; seed an empty database")
	}
	tokens, err := seed(ctx, db, o)
	if err != nil {
		return nil, fmt.Errorf("seed: %w", err)
	}
	return tokens, nil
}

// startCPUProfile profiles the process into file until the returned
// function is called.
func startCPUProfile(file string) (func(), error) {
	f, err := os.Create(file) //nolint:gosec // G304: the operator names the profile file
	if err != nil {
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	return func() {
		pprof.StopCPUProfile()
		_ = f.Close()
	}, nil
}

// seedOptions are the sizes and seed of a synthetic data set.
type seedOptions struct {
	Farms, Products, Users, Reviews int
	Seed                            uint64
	// Tokens is the number of members (users who own no farm) given an
	// API token.
	Tokens int
	// Hot is the number of reviews, of Reviews, that the first product
	// gets on top of its share, so it has deep pages.
	Hot int
}

func (o seedOptions) validate() error {
	switch {
	case o.Farms < 0 || o.Products < 0 || o.Users < 0 || o.Reviews < 0:
		return errors.New("counts must not be negative")
	case o.Products > 0 && o.Farms == 0:
		return errors.New("products need at least one farm")
	case o.Farms > 0 && o.Users == 0:
		return errors.New("farms need at least one user to own them")
	case o.Reviews > 0 && (o.Products == 0 || o.Users == 0):
		return errors.New("reviews need products and users")
	case o.Hot < 0 || o.Hot > o.Reviews || o.Hot > o.Users:
		return fmt.Errorf("hot reviews %d: want from 0 to the reviews (%d) and the users (%d)", o.Hot, o.Reviews, o.Users)
	case o.Tokens < 0:
		return errors.New("token users must not be negative")
	case o.Tokens > o.Users-min(o.Farms, o.Users):
		return fmt.Errorf("%d token users: only %d users are members (the first %d own the farms)", o.Tokens, o.Users-min(o.Farms, o.Users), min(o.Farms, o.Users))
	case int64(o.Reviews) > int64(o.Products)*int64(o.Users):
		return fmt.Errorf("%d reviews cannot fit: each of %d users reviews a product at most once", o.Reviews, o.Users)
	}
	return nil
}

// seedEpoch is the start of the synthetic year; fixed, so runs agree.
var seedEpoch = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

// seedGen draws everything from PCG streams of the seed, one per kind of
// data, so adding a field to one kind does not shift the others.
type seedGen struct {
	ids     *rand.Rand
	pick    *rand.Rand
	ratings *rand.Rand
	text    *rand.Rand
}

func newSeedGen(seed uint64) *seedGen {
	return &seedGen{
		ids:     rand.New(rand.NewPCG(seed, 1)),
		pick:    rand.New(rand.NewPCG(seed, 2)),
		ratings: rand.New(rand.NewPCG(seed, 3)),
		text:    rand.New(rand.NewPCG(seed, 4)),
	}
}

var seedIDEncoding = base32.NewEncoding("0123456789abcdefghjkmnpqrstvwxyz").WithPadding(base32.NoPadding)

// id returns an identifier in fpr.NewID's format (48 bits of milliseconds,
// then 80 random bits), its random bits drawn from the seed.
func (g *seedGen) id(t time.Time) string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(t.UnixMilli())<<16)
	binary.BigEndian.PutUint16(b[6:8], uint16(g.ids.Uint32())) //nolint:gosec // 16 random bits
	binary.BigEndian.PutUint64(b[8:], g.ids.Uint64())
	return seedIDEncoding.EncodeToString(b[:])
}

// at returns a time d into the synthetic year plus up to span, at
// microsecond precision (what the database keeps).
func (g *seedGen) at(r *rand.Rand, from time.Time, span time.Duration) time.Time {
	if span <= 0 {
		return from
	}
	return from.Add(time.Duration(r.Int64N(int64(span)))).Truncate(time.Microsecond)
}

func pickOne[T any](r *rand.Rand, s []T) T { return s[r.IntN(len(s))] }

// unusableHash is a well-formed argon2id string whose key is random bytes
// rather than the hash of any password: no password logs in, and a login
// attempt is answered like any wrong password.
func (g *seedGen) unusableHash() string {
	var salt [16]byte
	var key [32]byte
	for i := 0; i < len(salt); i += 8 {
		binary.LittleEndian.PutUint64(salt[i:], g.ids.Uint64())
	}
	for i := 0; i < len(key); i += 8 {
		binary.LittleEndian.PutUint64(key[i:], g.ids.Uint64())
	}
	enc := base64.RawStdEncoding
	return "$argon2id$v=19$m=65536,t=1,p=2$" + enc.EncodeToString(salt[:]) + "$" + enc.EncodeToString(key[:])
}

// seed writes the data set of o in one transaction and returns the API
// tokens of the first o.Tokens members.
func seed(ctx context.Context, db *store.DB, o seedOptions) ([]string, error) {
	g := newSeedGen(o.Seed)
	hash := g.unusableHash()
	// Every service call during the load would draw IDs from the seed too.
	db.NewID = g.id

	users := make([]*fpr.User, o.Users)
	producers := 0
	if o.Farms > 0 {
		producers = max(1, min(o.Farms, o.Users))
	}
	for i := range users {
		first, last := pickOne(g.pick, seedFirstNames), pickOne(g.pick, seedLastNames)
		t := g.at(g.pick, seedEpoch, 30*24*time.Hour)
		u := &fpr.User{ID: g.id(t), Email: fmt.Sprintf("user%d@seed.example.net", i+1), DisplayName: first + " " + last[:1] + ".",
			Role: fpr.RoleMember, CreatedAt: t}
		if i < producers {
			u.Role = fpr.RoleProducer
			u.DisplayName = first + " " + last
		}
		users[i] = u
	}
	producerList := slices.Clone(users[:producers])

	farms := make([]*fpr.Farm, o.Farms)
	slugs := map[string]int{}
	for i := range farms {
		name := pickOne(g.pick, seedFarmFirst) + " " + pickOne(g.pick, seedFarmSecond) + " " + pickOne(g.pick, seedFarmKind)
		t := g.at(g.pick, seedEpoch.Add(30*24*time.Hour), 30*24*time.Hour)
		f := &fpr.Farm{ID: g.id(t), OwnerID: producerList[i%producers].ID, Name: name, Region: pickOne(g.pick, seedRegions), CreatedAt: t}
		f.Slug = fpr.Slugify(name)
		if n := slugs[f.Slug]; n > 0 {
			slugs[f.Slug]++
			f.Slug = fmt.Sprintf("%s-%d", f.Slug, n+1)
		} else {
			slugs[f.Slug] = 1
		}
		f.Description = fmt.Sprintf("A family farm in %s. %s", f.Region, pickOne(g.text, seedFarmBlurbs))
		farms[i] = f
	}

	products := make([]*fpr.Product, o.Products)
	quality := make([]float64, o.Products)
	for i := range products {
		kind := pickOne(g.pick, seedKinds)
		farm := farms[g.pick.IntN(len(farms))]
		t := g.at(g.pick, seedEpoch.Add(60*24*time.Hour), 120*24*time.Hour)
		name := pickOne(g.pick, seedVarieties) + " " + kind.name
		p := &fpr.Product{ID: g.id(t), FarmID: farm.ID, FarmName: farm.Name, Name: name, Slug: fpr.Slugify(name),
			Category: kind.category, Unit: kind.unit, CreatedAt: t,
			Description: fmt.Sprintf("%s from %s. %s", name, farm.Name, pickOne(g.text, seedProductBlurbs))}
		products[i] = p
		quality[i] = min(4.9, max(1.5, 3.9+g.ratings.NormFloat64()*0.6))
	}

	// How many reviews each product gets: log-normal weights (a few
	// products have many reviews, most have some), at most one per user.
	counts := make([]int, o.Products)
	if o.Reviews > 0 {
		weights := make([]float64, o.Products)
		total := 0.0
		for i := range weights {
			weights[i] = math.Exp(g.pick.NormFloat64())
			total += weights[i]
		}
		// The hot product's share is on top of its Hot reviews.
		limit := func(i int) int {
			if i == 0 {
				return o.Users - o.Hot
			}
			return o.Users
		}
		rest := o.Reviews - o.Hot
		left := rest
		for i, w := range weights {
			counts[i] = min(limit(i), int(float64(rest)*w/total))
			left -= counts[i]
		}
		for i := 0; left > 0; i = (i + 1) % o.Products {
			if counts[i] < limit(i) {
				counts[i]++
				left--
			}
		}
		counts[0] += o.Hot
	}

	// Products, and so their reviews, are written in ID order: the
	// product-first indexes of reviews then grow at their end, which is
	// much faster than inserting at random places.
	byID := func(a, b int) int { return strings.Compare(products[a].ID, products[b].ID) }
	order := make([]int, o.Products)
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, byID)

	// First pass: each review's stars and status, so the products carry
	// their exact summaries when they are written (before their reviews,
	// for the foreign keys).
	stars := make([]uint8, o.Reviews)
	status := make([]fpr.ReviewStatus, o.Reviews)
	n := 0
	for _, i := range order {
		p := products[i]
		for range counts[i] {
			r := int(math.Round(quality[i] + g.ratings.NormFloat64()*1.1))
			r = min(5, max(1, r))
			st := fpr.StatusPublished
			switch x := g.ratings.IntN(1000); {
			case x < 10:
				st = fpr.StatusPending
			case x < 15:
				st = fpr.StatusRemoved
			}
			stars[n], status[n] = uint8(r), st
			if st == fpr.StatusPublished {
				p.Rating.Count++
				p.Rating.Sum += r
				p.Rating.Histogram[r-1]++
			}
			n++
		}
	}

	end := seedEpoch.Add(365 * 24 * time.Hour)
	tokens := make([]string, o.Tokens)
	err := db.Load(ctx, func(l *store.Loader) error {
		sorted := slices.SortedFunc(slices.Values(users), func(a, b *fpr.User) int { return strings.Compare(a.ID, b.ID) })
		for _, u := range sorted {
			if err := l.AddUser(u, hash); err != nil {
				return err
			}
		}
		for _, f := range farms {
			if err := l.AddFarm(f); err != nil {
				return err
			}
		}
		for _, i := range order {
			if err := l.AddProduct(products[i]); err != nil {
				return err
			}
		}
		n := 0
		var batch []fpr.Review
		for _, i := range order {
			p := products[i]
			openers := newProductOpeners(p.Name)
			// counts[i] distinct authors: start + j*step (mod users) with
			// step coprime to the number of users.
			start, step := g.pick.IntN(o.Users), coprimeStep(g.pick, o.Users)
			batch = batch[:0]
			for j := range counts[i] {
				r := int(stars[n])
				t := g.at(g.pick, p.CreatedAt, end.Sub(p.CreatedAt))
				batch = append(batch, fpr.Review{ID: g.id(t), ProductID: p.ID, Author: fpr.Author{ID: users[(start+j*step)%o.Users].ID},
					Rating: r, Title: pickOne(g.text, seedTitles[r-1]), Body: openers.body(g.text, r),
					Status: status[n], CreatedAt: t, UpdatedAt: t})
				n++
			}
			// In the order of the product's indexes (see AddReview).
			slices.SortFunc(batch, func(a, b fpr.Review) int {
				return cmp.Or(strings.Compare(string(a.Status), string(b.Status)), strings.Compare(a.ID, b.ID))
			})
			for j := range batch {
				if err := l.AddReview(&batch[j]); err != nil {
					return err
				}
			}
		}
		// Sessions start now (not in the synthetic year), so the tokens work.
		now, ttl := time.Now().UTC(), fpr.APITokenTTL
		for i := range tokens {
			token, hash := auth.NewToken()
			if err := l.AddSession(hash, users[producers+i].ID, fpr.SessionAPI, now, now.Add(ttl)); err != nil {
				return err
			}
			tokens[i] = token
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return tokens, nil
}

// coprimeStep returns a step in [1, n) coprime with n (1 when n < 3), so
// that start + j*step visits n distinct values mod n.
func coprimeStep(r *rand.Rand, n int) int {
	if n < 3 {
		return 1
	}
	for {
		s := 1 + r.IntN(n-1)
		if gcd(s, n) == 1 {
			return s
		}
	}
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// productOpeners holds the opening sentences of reviews of one product, made
// once per product rather than once per review.
type productOpeners struct {
	product string
	made    [5][]string
}

func newProductOpeners(product string) *productOpeners {
	return &productOpeners{product: strings.ToLower(product)}
}

// body writes a short review of the product with the tone of stars.
func (o *productOpeners) body(r *rand.Rand, stars int) string {
	made := o.made[stars-1]
	if made == nil {
		for _, f := range seedOpeners[stars-1] {
			made = append(made, fmt.Sprintf(f, o.product))
		}
		o.made[stars-1] = made
	}
	return pickOne(r, made) + " " + pickOne(r, seedDetails[stars-1])
}

type seedKind struct {
	category fpr.Category
	name     string
	unit     string
}

var seedKinds = []seedKind{
	{"vegetables", "Carrots", "per kg"}, {"vegetables", "Tomatoes", "per kg"}, {"vegetables", "Rainbow Chard", "bunch"},
	{"vegetables", "Potatoes", "5 kg sack"}, {"vegetables", "Leeks", "per kg"}, {"vegetables", "Beetroot", "bunch"},
	{"vegetables", "Courgettes", "per kg"}, {"vegetables", "Salad Leaves", "bag 150 g"}, {"vegetables", "Squash", "each"},
	{"fruit", "Apples", "per kg"}, {"fruit", "Pears", "per kg"}, {"fruit", "Strawberries", "punnet 400 g"},
	{"fruit", "Raspberries", "punnet 150 g"}, {"fruit", "Plums", "per kg"}, {"fruit", "Cherries", "punnet 300 g"},
	{"herbs", "Basil", "pot"}, {"herbs", "Flat-leaf Parsley", "bunch"}, {"herbs", "Rosemary", "bunch"},
	{"dairy", "Cheddar", "per 250 g"}, {"dairy", "Goat's Cheese", "each"}, {"dairy", "Whole Milk", "2 l bottle"},
	{"dairy", "Butter", "250 g block"}, {"dairy", "Yoghurt", "500 g pot"}, {"dairy", "Crème Fraîche", "200 ml pot"},
	{"eggs", "Free-range Eggs", "dozen"}, {"eggs", "Duck Eggs", "half dozen"}, {"eggs", "Quail Eggs", "box of 12"},
	{"meat", "Beef Mince", "500 g"}, {"meat", "Pork Sausages", "pack of 6"}, {"meat", "Lamb Shoulder", "per kg"},
	{"meat", "Dry-cured Bacon", "200 g"}, {"poultry", "Whole Chicken", "each"}, {"poultry", "Chicken Thighs", "per kg"},
	{"fish", "Smoked Trout", "200 g"}, {"fish", "Rainbow Trout", "each"},
	{"honey", "Wildflower Honey", "jar 340 g"}, {"honey", "Heather Honey", "jar 227 g"}, {"honey", "Honeycomb", "200 g"},
	{"grains", "Rolled Oats", "1 kg bag"}, {"grains", "Pearl Barley", "1 kg bag"},
	{"flour-and-bakery", "Sourdough Loaf", "800 g loaf"}, {"flour-and-bakery", "Stoneground Flour", "1.5 kg bag"},
	{"preserves", "Strawberry Jam", "jar 340 g"}, {"preserves", "Apple Chutney", "jar 300 g"}, {"preserves", "Pickled Beetroot", "jar 450 g"},
	{"oils-and-vinegars", "Cold-pressed Rapeseed Oil", "500 ml bottle"}, {"oils-and-vinegars", "Cider Vinegar", "500 ml bottle"},
	{"beverages", "Apple Juice", "75 cl bottle"}, {"beverages", "Farmhouse Cider", "50 cl bottle"},
	{"nuts-and-seeds", "Cobnuts", "250 g bag"}, {"nuts-and-seeds", "Walnuts", "250 g bag"},
	{"plants-and-seedlings", "Tomato Seedlings", "tray of 6"}, {"flowers", "Cut Sweet Peas", "bunch"},
	{"feed", "Layers Pellets", "20 kg sack"}, {"feed", "Meadow Hay", "small bale"},
	{"equipment", "Egg Boxes", "pack of 50"}, {"other", "Beeswax Candles", "pair"},
}

var (
	seedFirstNames = []string{"Ann", "Ben", "Chloé", "David", "Elena", "Farid", "Grace", "Hugo", "Ines", "James", "Kofi", "Lena",
		"Marta", "Niamh", "Oskar", "Priya", "Quentin", "Rosa", "Sam", "Tomás", "Uma", "Victor", "Wen", "Yusuf", "Zoë"}
	seedLastNames = []string{"Archer", "Baker", "Carter", "Dubois", "Evans", "Fischer", "García", "Hughes", "Ivanova", "Jones",
		"Kowalski", "Lefèvre", "Morgan", "Nowak", "O'Brien", "Patel", "Quinn", "Rossi", "Smith", "Taylor", "Walsh", "Young"}
	seedFarmFirst  = []string{"Willow", "Oak", "Meadow", "Hazel", "Bramble", "Rowan", "Elder", "Ash", "Clover", "Thistle", "Heather", "Birch", "Linden", "Sorrel", "Yew"}
	seedFarmSecond = []string{"Brook", "Hill", "Field", "Vale", "Cross", "End", "Green", "Lea", "Ridge", "Bank", "Combe", "Moor"}
	seedFarmKind   = []string{"Farm", "Orchard", "Dairy", "Gardens", "Smallholding", "Farmstead"}
	seedRegions    = []string{"Kent", "Devon", "Somerset", "Yorkshire", "Cumbria", "Norfolk", "Herefordshire", "Normandy",
		"Brittany", "Dordogne", "Tuscany", "Asturias", "Bavaria", "Wales", "Aberdeenshire"}
	seedVarieties     = []string{"Organic", "Heritage", "Farmhouse", "Seasonal", "Hand-picked", "Traditional", "Small-batch", "Award-winning", "Local", "Heirloom"}
	seedFarmBlurbs    = []string{"We farm without pesticides and sell at the gate.", "Three generations have worked this land.", "Our animals graze outdoors all year.", "We grow for flavour, not for shelf life.", "Open for farm walks on Saturdays."}
	seedProductBlurbs = []string{"Picked or made to order and sent within two days.", "Grown slowly for a fuller flavour.", "Best kept cool and eaten within the week.", "Sold in season only; stock runs out fast.", "Packed in recyclable paper."}
	seedTitles        = [5][]string{
		{"Not as described", "Very disappointed", "Would not buy again", "Arrived spoiled"},
		{"Disappointing", "Not great this time", "Expected better", "Below par"},
		{"Decent", "Okay, nothing special", "Fine for the price", "Mixed feelings"},
		{"Very good", "Solid choice", "Lovely, nearly perfect", "Would buy again"},
		{"Absolutely delicious", "Best I've had", "Outstanding quality", "Worth every penny", "A new favourite"},
	}
	seedOpeners = [5][]string{
		{"This order of %s was not what the listing promised.", "I had high hopes for the %s, but this batch let me down.", "Sadly my order of %s arrived in poor shape."},
		{"This batch of %s was a bit of a letdown.", "Not the best %s I have bought.", "My last order of %s was below what I expected."},
		{"This order of %s was fine.", "Reasonable %s, nothing more.", "The %s did the job."},
		{"Really good %s.", "This batch of %s was fresh and tasty.", "We enjoyed this order of %s a lot."},
		{"Superb %s.", "This batch of %s was outstanding.", "The best %s we have had in years."},
	}
	seedDetails = [5][]string{
		{"Nobody answered my message about it.", "Half of it went in the bin.", "I asked for a refund."},
		{"Quality seems to have slipped since last season.", "A bit pricey for what you get.", "Delivery took longer than promised."},
		{"Good value, but the supermarket's is similar.", "I might try another farm next time.", "Packaging could be better."},
		{"Delivery was quick and well packed.", "Will order again next month.", "The kids loved it."},
		{"You can taste the care that goes into it.", "Friendly farm, fast delivery, perfect condition.", "Already ordered more for the family."},
	}
)
