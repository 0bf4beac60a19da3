// Command bench measures a built `fpr serve` against the floor server of
// ../shared/bench and prints every figure as a ratio to the floor measured
// in the same run (see bench/README.md):
//
//	go run ./bench                  10,000 products, 200,000 reviews, 3 runs of 8 s
//	go run ./bench -smoke           tiny sizes, 1 run of 1 s: checks that the harness works
//	go run ./bench -dir D -keep     seed into (or reuse) folder D and keep it
//	go run ./bench -backend postgres   the same on a new PostgreSQL database (dropped after)
//
// The servers run pinned to one CPU (taskset -c 1, so GOMAXPROCS is 1),
// wrk on another; floor and FPR runs alternate and the medians are taken.
package main

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the PostgreSQL driver, to read ids
	_ "modernc.org/sqlite"             // the SQLite driver, to read ids and write the floor's table
)

type options struct {
	products, reviews, users, farms, tokenUsers, hot int
	runs, conns                                      int
	duration                                         time.Duration
	serverCPU, wrkCPU                                string
	floorSrc, lua, dir                               string
	backend, pgURL, pgDB                             string
	modes                                            []string
	keep, smoke                                      bool
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, out io.Writer) error {
	var o options
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.IntVar(&o.products, "products", 10000, "products to seed")
	fs.IntVar(&o.reviews, "reviews", 200000, "reviews to seed")
	fs.IntVar(&o.users, "users", 20000, "users to seed")
	fs.IntVar(&o.farms, "farms", 200, "farms to seed")
	fs.IntVar(&o.tokenUsers, "token-users", 5000, "members given an API token (review submission)")
	fs.IntVar(&o.hot, "hot", 10200, "reviews of one product, so that page 500 exists (500 pages of 20 published reviews need 10,000; 1% of seeded reviews are not published)")
	fs.IntVar(&o.runs, "runs", 3, "alternating runs per figure (the median is reported)")
	fs.IntVar(&o.conns, "c", 32, "wrk connections")
	fs.DurationVar(&o.duration, "d", 8*time.Second, "length of each wrk run (keep it at most 8s on a shared machine)")
	fs.StringVar(&o.serverCPU, "server-cpu", "1", "CPU list the servers are pinned to (taskset -c)")
	fs.StringVar(&o.wrkCPU, "wrk-cpu", "0", "CPU list wrk is pinned to")
	fs.StringVar(&o.floorSrc, "floor", "../shared/bench/floor", "source folder of the floor server")
	fs.StringVar(&o.lua, "lua", "../shared/bench/fpr.lua", "wrk script for FPR")
	fs.StringVar(&o.dir, "dir", "", "working folder: seeds fpr.db there unless it exists (default: a new temporary folder)")
	fs.StringVar(&o.backend, "backend", "sqlite", "database FPR runs on: sqlite (a file in the working folder) or postgres (a database on -pg-url's server)")
	fs.StringVar(&o.pgURL, "pg-url", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable", "with -backend postgres: a database URL of the server, whose user may create and drop databases")
	fs.StringVar(&o.pgDB, "pg-db", "", "with -backend postgres: the database to seed, or reuse when it exists (default: a new one, dropped at the end unless -keep)")
	modes := fs.String("modes", strings.Join(modeNames, ","), "figures to measure, from "+strings.Join(modeNames, ", "))
	fs.BoolVar(&o.keep, "keep", false, "keep the working folder")
	fs.BoolVar(&o.smoke, "smoke", false, "tiny sizes, one short run: check that the harness works")
	if err := fs.Parse(args); err != nil {
		return err
	}
	o.modes = strings.Split(*modes, ",")
	for _, m := range o.modes {
		if !slices.Contains(modeNames, m) {
			return fmt.Errorf("unknown mode %q", m)
		}
	}
	if o.smoke {
		o.products, o.reviews, o.users, o.farms, o.tokenUsers, o.hot = 40, 2000, 400, 4, 100, 300
		o.runs, o.conns, o.duration = 1, 4, time.Second
	}
	if o.backend != "sqlite" && o.backend != "postgres" {
		return fmt.Errorf("-backend %q: want sqlite or postgres", o.backend)
	}
	if o.pgDB != "" && !pgNameRE.MatchString(o.pgDB) {
		return fmt.Errorf("-pg-db %q: want lower-case letters, digits and _", o.pgDB)
	}
	if o.duration > 8*time.Second {
		return errors.New("-d: at most 8s a run on a shared machine")
	}
	for _, tool := range []string{"wrk", "taskset", "go"} {
		if _, err := exec.LookPath(tool); err != nil {
			return fmt.Errorf("%s is needed: %w", tool, err)
		}
	}
	b := &bench{o: o, out: out}
	if err := b.setup(ctx); err != nil {
		b.cleanup()
		return err
	}
	err := b.measure(ctx)
	b.cleanup()
	return err
}

// bench holds the working folder and the servers it started.
type bench struct {
	o                     options
	out                   io.Writer
	dir                   string
	temp                  bool
	fprURL, floorURL      string
	fprCmd, floorCmd      *exec.Cmd
	ids, floorIDs, deep   string // wrk id files
	fullIDs               string // products whose first page holds 20 reviews (mode full)
	fullProducts          int
	pageReviews           float64 // reviews on a random product's first page, on average (mode reviews)
	tokens, db            string
	dbURL                 string // what fpr seed and fpr serve are given
	pgCreated             bool   // the PostgreSQL database was made by this run
	deepPage              int
	seedTime              time.Duration
	seeded                bool
	reviewsInDB           int                  // seeded, or counted in a reused database
	results               map[string][]float64 // mode → rps of each run
	ratios                map[string][]float64 // mode → ratio to the floor of the same run
	accepted              []float64            // reviews committed per second (post)
	sqlite                []sqliteFigures      // SQLite's writer and session cache during each post run
	httpErrs, sockErrs    map[string]int
	p99                   map[string][]float64
	cpuPerReq             map[string][]float64 // mode → fpr serve's CPU µs per request of each run
	fprHWM, fprRSSAtStart string
	fprRSSAtEnd           [3]string // VmRSS, RssAnon, RssFile after the runs
	memPeak               memSample // the sample of largest VmRSS while FPR ran (sampleMemory)
}

func (b *bench) logf(format string, args ...any) { fmt.Fprintf(b.out, format+"\n", args...) }

func (b *bench) setup(ctx context.Context) error {
	b.dir = b.o.dir
	if b.dir == "" {
		d, err := os.MkdirTemp("", "fpr-bench-")
		if err != nil {
			return err
		}
		b.dir, b.temp = d, true
	} else if err := os.MkdirAll(b.dir, 0o750); err != nil {
		return err
	}
	abs, err := filepath.Abs(b.dir)
	if err != nil {
		return err
	}
	b.dir = abs
	b.db = filepath.Join(b.dir, "fpr.db")
	b.dbURL = "sqlite:" + b.db
	b.tokens = filepath.Join(b.dir, "tokens.txt")
	b.logf("working folder %s", b.dir)
	exists := false
	if b.o.backend == "postgres" {
		if exists, err = b.createPostgres(ctx); err != nil {
			return err
		}
	} else if _, err := os.Stat(b.db); err == nil {
		exists = true
	} else if !errors.Is(err, os.ErrNotExist) {
		return err
	}

	b.logf("building the floor (%s) and fpr", b.o.floorSrc)
	floorSrc, err := filepath.Abs(b.o.floorSrc)
	if err != nil {
		return err
	}
	if err := runCmd(ctx, floorSrc, "go", "build", "-o", filepath.Join(b.dir, "floor"), "."); err != nil {
		return fmt.Errorf("build the floor: %w", err)
	}
	if err := runCmd(ctx, "", "go", "build", "-o", filepath.Join(b.dir, "fpr"), "./cmd/fpr"); err != nil {
		return fmt.Errorf("build fpr: %w", err)
	}

	if !exists {
		b.logf("seeding %d products, %d reviews, %d users (%d reviews on the deepest product)", b.o.products, b.o.reviews, b.o.users, b.o.hot)
		start := time.Now()
		err := runCmd(ctx, "", filepath.Join(b.dir, "fpr"), "seed", "--database", b.dbURL,
			"--products", strconv.Itoa(b.o.products), "--reviews", strconv.Itoa(b.o.reviews), "--users", strconv.Itoa(b.o.users),
			"--farms", strconv.Itoa(b.o.farms), "--hot", strconv.Itoa(b.o.hot),
			"--tokens", b.tokens, "--token-users", strconv.Itoa(b.o.tokenUsers))
		if err != nil {
			return fmt.Errorf("seed: %w", err)
		}
		b.seedTime, b.seeded = time.Since(start), true
		b.reviewsInDB = b.o.reviews
	} else {
		n, err := b.countReviews(ctx)
		if err != nil {
			return fmt.Errorf("count the reused database's reviews: %w", err)
		}
		b.reviewsInDB = n
		b.logf("reusing %s (%d reviews)", redact(b.dbURL), n)
	}
	if err := b.writeIDs(ctx); err != nil {
		return err
	}

	fprAddr, err := freeAddr()
	if err != nil {
		return err
	}
	floorAddr, err := freeAddr()
	if err != nil {
		return err
	}
	b.fprURL, b.floorURL = "http://"+fprAddr, "http://"+floorAddr
	b.fprCmd, err = b.start(ctx, "fpr.log", []string{"FPR_ADDR=" + fprAddr, "FPR_DATABASE_URL=" + b.dbURL, "FPR_ENV=development", "FPR_LOG_FORMAT=json",
		// Every request comes from 127.0.0.1 and a few thousand members:
		// the per-address and per-account write limits would answer 429.
		"FPR_RATE_LIMITS=off"},
		filepath.Join(b.dir, "fpr"), "serve")
	if err != nil {
		return err
	}
	b.floorCmd, err = b.start(ctx, "floor.log", nil, filepath.Join(b.dir, "floor"), "-mode", "sqlite", "-db", filepath.Join(b.dir, "floor.db"), "-addr", floorAddr)
	if err != nil {
		return err
	}
	if err := waitUp(ctx, b.fprURL+"/readyz"); err != nil {
		return fmt.Errorf("fpr serve: %w (see %s)", err, filepath.Join(b.dir, "fpr.log"))
	}
	if err := waitUp(ctx, b.floorURL+"/api/v1/products/1"); err != nil {
		return fmt.Errorf("floor: %w", err)
	}
	b.fprRSSAtStart = procStatus(b.fprCmd.Process.Pid, "VmRSS")
	return b.writeDeepPage(ctx)
}

// pageSize is the reviews a page holds (fpr.lua asks for ?limit=20).
const pageSize = 20

// fullProductsMax bounds the products mode full asks for: the first 2,000
// (in ID order) with pageSize or more published reviews. At 200,000 reviews
// about 2,900 have that many, at 10 million all 10,000: with the same
// number at both sizes, as many of their pages are asked for again, and so
// kept, in a run of either.
const fullProductsMax = 2000

// writeIDs writes the product ids for FPR and the floor, and the floor's
// table: FPR's products with integer ids.
func (b *bench) writeIDs(ctx context.Context) error {
	src, err := b.openSource()
	if err != nil {
		return err
	}
	defer func() { _ = src.Close() }()
	// shown: the reviews the first page of the product's reviews holds
	// (at most pageSize), as FPR lists them.
	rows, err := src.QueryContext(ctx, `SELECT p.id, p.farm_id, p.name, p.category, p.description, p.rating_count, p.rating_sum,
		(SELECT COUNT(*) FROM (SELECT 1 FROM reviews r WHERE r.product_id = p.id AND r.status = 'published' AND r.probe = FALSE LIMIT $1) AS s)
		FROM products p ORDER BY p.id`, pageSize)
	if err != nil {
		return fmt.Errorf("read products: %w", err)
	}
	defer rows.Close()
	_ = os.Remove(filepath.Join(b.dir, "floor.db"))
	floor, err := sql.Open("sqlite", "file:"+filepath.Join(b.dir, "floor.db")+"?_pragma=journal_mode(WAL)")
	if err != nil {
		return err
	}
	defer func() { _ = floor.Close() }()
	if _, err := floor.ExecContext(ctx, `CREATE TABLE fpr_product (id integer primary key, farm_id integer, name text, category text,
		description text, review_count integer, rating_sum integer)`); err != nil {
		return fmt.Errorf("floor table: %w", err)
	}
	tx, err := floor.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()
	farms := map[string]int{}
	var ids, floorIDs, fullIDs strings.Builder
	n, shownSum := 0, 0
	b.fullProducts = 0
	for rows.Next() {
		var id, farm, name, category, desc string
		var count, sum, shown int
		if err := rows.Scan(&id, &farm, &name, &category, &desc, &count, &sum, &shown); err != nil {
			return err
		}
		shownSum += shown
		if shown == pageSize && b.fullProducts < fullProductsMax {
			fullIDs.WriteString(id + "\n")
			b.fullProducts++
		}
		if farms[farm] == 0 {
			farms[farm] = len(farms) + 1
		}
		n++
		if _, err := tx.ExecContext(ctx, `INSERT INTO fpr_product VALUES (?, ?, ?, ?, ?, ?, ?)`, n, farms[farm], name, category, desc, count, sum); err != nil {
			return err
		}
		ids.WriteString(id + "\n")
		floorIDs.WriteString(strconv.Itoa(n) + "\n")
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	if n > 0 {
		b.pageReviews = float64(shownSum) / float64(n)
	}
	if b.fullProducts == 0 && slices.Contains(b.o.modes, "full") {
		return errors.New("mode full: no product has 20 published reviews")
	}
	b.ids, b.floorIDs = filepath.Join(b.dir, "ids.txt"), filepath.Join(b.dir, "floor-ids.txt")
	b.fullIDs = filepath.Join(b.dir, "full-ids.txt")
	if err := os.WriteFile(b.ids, []byte(ids.String()), 0o600); err != nil {
		return err
	}
	if err := os.WriteFile(b.fullIDs, []byte(fullIDs.String()), 0o600); err != nil {
		return err
	}
	return os.WriteFile(b.floorIDs, []byte(floorIDs.String()), 0o600)
}

// writeDeepPage follows next_cursor through the reviews of the product
// with the most published reviews, to page 500 or its last page, and
// writes that page's path in the form fpr.lua's detail mode appends to
// /api/v1/products/.
func (b *bench) writeDeepPage(ctx context.Context) error {
	src, err := b.openSource()
	if err != nil {
		return err
	}
	defer func() { _ = src.Close() }()
	var id string
	if err := src.QueryRowContext(ctx, `SELECT id FROM products ORDER BY rating_count DESC, id LIMIT 1`).Scan(&id); err != nil {
		return fmt.Errorf("deepest product: %w", err)
	}
	cursor, page := "", 1
	for page < 500 {
		u := b.fprURL + "/api/v1/products/" + id + "/reviews?limit=20"
		if cursor != "" {
			u += "&cursor=" + url.QueryEscape(cursor)
		}
		var list struct {
			NextCursor *string `json:"next_cursor"`
		}
		if err := getJSON(ctx, u, &list); err != nil {
			return fmt.Errorf("walk to page 500: %w", err)
		}
		if list.NextCursor == nil {
			break
		}
		cursor = *list.NextCursor
		page++
	}
	b.deepPage = page
	path := id + "/reviews?limit=20"
	if cursor != "" {
		path += "&cursor=" + url.QueryEscape(cursor)
	}
	b.deep = filepath.Join(b.dir, "deep.txt")
	return os.WriteFile(b.deep, []byte(path+"\n"), 0o600)
}

var resultRE = regexp.MustCompile(`RESULT rps=([0-9.]+) p50_ms=([0-9.]+) p99_ms=([0-9.]+) http_err=(\d+) sockerr=(\d+)`)

// wrk runs one measurement and returns requests per second, p99 in ms,
// HTTP errors (non-2xx/3xx) and socket errors.
func (b *bench) wrk(ctx context.Context, target, mode, ids string) (rps, p99 float64, httpErr, sockErr int, err error) {
	lua, err := filepath.Abs(b.o.lua)
	if err != nil {
		return 0, 0, 0, 0, err
	}
	cmd := exec.CommandContext(ctx, "taskset", "-c", b.o.wrkCPU, "wrk", "-t2", "-c"+strconv.Itoa(b.o.conns), //nolint:gosec // G204: the operator's own flags name the CPUs
		"-d"+b.o.duration.String(), "-s", lua, target)
	cmd.Env = append(os.Environ(), "FPR_MODE="+mode, "FPR_IDS="+ids, "FPR_TOKENS="+b.tokens)
	outb, err := cmd.CombinedOutput()
	if err != nil {
		return 0, 0, 0, 0, fmt.Errorf("wrk: %w\n%s", err, outb)
	}
	m := resultRE.FindSubmatch(outb)
	if m == nil {
		return 0, 0, 0, 0, fmt.Errorf("wrk printed no RESULT line:\n%s", outb)
	}
	rps, _ = strconv.ParseFloat(string(m[1]), 64)
	p99, _ = strconv.ParseFloat(string(m[3]), 64)
	httpErr, _ = strconv.Atoi(string(m[4]))
	sockErr, _ = strconv.Atoi(string(m[5]))
	return rps, p99, httpErr, sockErr, nil
}

func (b *bench) countReviews(ctx context.Context) (int, error) {
	src, err := b.openSource()
	if err != nil {
		return 0, err
	}
	defer func() { _ = src.Close() }()
	var n int
	err = src.QueryRowContext(ctx, `SELECT COUNT(*) FROM reviews`).Scan(&n)
	return n, err
}

func (b *bench) measure(ctx context.Context) error {
	b.results, b.ratios, b.p99 = map[string][]float64{}, map[string][]float64{}, map[string][]float64{}
	b.cpuPerReq = map[string][]float64{}
	b.httpErrs, b.sockErrs = map[string]int{}, map[string]int{}
	var running atomic.Value // the FPR run under way: "post, run 2"
	running.Store("")
	stopSampling := b.sampleMemory(&running)
	defer stopSampling()
	for run := 1; run <= b.o.runs; run++ {
		running.Store("")
		floor, p99, he, se, err := b.wrk(ctx, b.floorURL, "detail", b.floorIDs)
		if err != nil {
			return err
		}
		b.record("floor", floor, p99, he, se)
		b.logf("run %d: floor %.0f/s", run, floor)
		for _, mode := range b.o.modes {
			wrkMode, ids := mode, b.ids
			switch mode {
			case "page500":
				wrkMode, ids = "detail", b.deep
			case "full":
				wrkMode, ids = "reviews", b.fullIDs
			case "post":
			}
			before := 0
			var metricsBefore map[string]float64
			if mode == "post" {
				if before, err = b.countReviews(ctx); err != nil {
					return err
				}
				if metricsBefore, err = readMetrics(b.fprURL + "/metrics"); err != nil {
					return err
				}
			}
			cpuBefore := procCPU(b.fprCmd.Process.Pid)
			running.Store(fmt.Sprintf("%s, run %d", mode, run))
			rps, p99, he, se, err := b.wrk(ctx, b.fprURL, wrkMode, ids)
			running.Store("")
			if err != nil {
				return err
			}
			if n := rps * b.o.duration.Seconds(); n > 0 && cpuBefore >= 0 {
				b.cpuPerReq[mode] = append(b.cpuPerReq[mode], float64(procCPU(b.fprCmd.Process.Pid)-cpuBefore)/n)
			}
			if mode == "post" {
				after, err := b.countReviews(ctx)
				if err != nil {
					return err
				}
				b.accepted = append(b.accepted, float64(after-before)/b.o.duration.Seconds())
				metricsAfter, err := readMetrics(b.fprURL + "/metrics")
				if err != nil {
					return err
				}
				if f, ok := newSQLiteFigures(metricsBefore, metricsAfter, b.o.duration); ok {
					b.sqlite = append(b.sqlite, f)
				}
			}
			b.record(mode, rps, p99, he, se)
			b.ratios[mode] = append(b.ratios[mode], rps/floor)
			b.logf("run %d: %s %.0f/s (%.3f of the floor)", run, mode, rps, rps/floor)
		}
	}
	stopSampling()
	pid := b.fprCmd.Process.Pid
	b.fprHWM = procStatus(pid, "VmHWM")
	b.fprRSSAtEnd = [3]string{procStatus(pid, "VmRSS"), procStatus(pid, "RssAnon"), procStatus(pid, "RssFile")}
	return b.report()
}

func (b *bench) record(mode string, rps, p99 float64, httpErr, sockErr int) {
	b.results[mode] = append(b.results[mode], rps)
	b.p99[mode] = append(b.p99[mode], p99)
	b.httpErrs[mode] += httpErr
	b.sockErrs[mode] += sockErr
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// modeNames are the figures the bench can measure, in the order it
// measures them (-modes; labels names each).
var modeNames = []string{"detail", "reviews", "full", "page500", "post"}

var labels = map[string]string{
	"floor":   "floor (one SQLite row by primary key)",
	"detail":  "product detail  GET /api/v1/products/{id}",
	"reviews": "reviews page 1  GET …/reviews?limit=20",
	"full":    "  the same, 20 reviews on each page",
	"page500": "reviews page %d GET …/reviews?limit=20&cursor=…",
	"post":    "submit review   POST …/reviews",
}

func (b *bench) report() error {
	o := b.o
	b.logf("")
	how := "seeded"
	if !b.seeded {
		how = "in the reused database (its product count is the -products flag's)"
	}
	b.logf("FPR on %s vs the floor (SQLite): %d products, %d reviews %s, servers on CPU %s, wrk on CPU %s, %d connections, %d runs of %s (medians)",
		map[string]string{"sqlite": "SQLite", "postgres": "PostgreSQL"}[o.backend], o.products, b.reviewsInDB, how, o.serverCPU, o.wrkCPU, o.conns, o.runs, o.duration)
	if b.seeded {
		b.logf("seed time: %s", b.seedTime.Round(time.Millisecond))
	}
	b.logf("%-52s %10s %8s %9s %8s %10s", "figure", "req/s", "ratio", "p99 ms", "errors", "fpr CPU µs")
	b.logf("%-52s %10.0f %8s %9.2f %8d", labels["floor"], median(b.results["floor"]), "1", median(b.p99["floor"]), b.httpErrs["floor"]+b.sockErrs["floor"])
	var problems []string
	if b.httpErrs["floor"]+b.sockErrs["floor"] > 0 {
		problems = append(problems, "the floor answered errors")
	}
	for _, mode := range o.modes {
		label := labels[mode]
		if mode == "page500" {
			label = fmt.Sprintf(label, b.deepPage)
		}
		errs := b.httpErrs[mode] + b.sockErrs[mode]
		b.logf("%-52s %10.0f %8.3f %9.2f %8d %10.0f", label, median(b.results[mode]), median(b.ratios[mode]), median(b.p99[mode]), errs, median(b.cpuPerReq[mode]))
		if median(b.results[mode]) <= 0 {
			problems = append(problems, mode+": no requests answered")
		}
		// A few answers may fail when wrk closes its connections at the end
		// of a run (the request's context is cancelled); the smoke run
		// tolerates none.
		if mode != "post" && errs > 0 && b.o.smoke {
			problems = append(problems, fmt.Sprintf("%s: %d errors", mode, errs))
		}
	}
	if slices.Contains(o.modes, "post") {
		acc := median(b.accepted)
		b.logf("%-52s %10.0f %8.3f   (errors above: 409 for a second review by the same user, and socket errors)", "  reviews committed per second", acc, acc/median(b.results["floor"]))
		if len(b.sqlite) > 0 {
			var busy, commit, perBatch, sessionHits []float64
			for _, f := range b.sqlite {
				busy, commit, perBatch = append(busy, f.busy), append(commit, f.commit), append(perBatch, f.perBatch)
				sessionHits = append(sessionHits, f.sessionHits)
			}
			b.logf("  SQLite's one writer during the submission runs (fpr_sqlite_* on /metrics, medians): busy %.2f of the time, %.2f of that in COMMIT (WAL writes, fsync, checkpoints), %.1f writes a batch; %.0f%% of the bearer tokens' sessions served from the instance's cache",
				median(busy), median(commit), median(perBatch), 100*median(sessionHits))
		}
		if acc <= 0 {
			problems = append(problems, "post: no review was committed")
		}
		if o.backend == "sqlite" && len(b.sqlite) != len(b.accepted) {
			problems = append(problems, "post: fpr serve's /metrics lacked the fpr_sqlite_* figures of its writer and session cache, or they did not move")
		}
	}
	if slices.Contains(o.modes, "reviews") || slices.Contains(o.modes, "full") {
		b.logf("  (reviews page 1 asks for any product's first page: %.1[1]f reviews on average, as the shorter pages of products with fewer than %[3]d are counted; the same, %[3]d reviews on each page, asks only for %[2]d products with %[3]d or more)",
			b.pageReviews, b.fullProducts, pageSize)
	}
	b.logf("fpr serve memory: VmRSS %s at start, VmHWM %s (peak) after the runs; then VmRSS %s = RssAnon %s (heap, stacks, SQLite caches) + RssFile %s (the binary's and mapped files' pages)",
		b.fprRSSAtStart, b.fprHWM, b.fprRSSAtEnd[0], b.fprRSSAtEnd[1], b.fprRSSAtEnd[2])
	if p := b.memPeak; p.rssKB == 0 {
		problems = append(problems, "the memory sampler took no sample (fpr serve's /proc status or /metrics could not be read)")
	} else {
		b.logf("  largest sample (every %v, during %s): VmRSS %d kB = RssFile %d kB + RssAnon %d kB; the Go runtime held %d kB (go_memstats_sys_bytes − heap_released_bytes); RssAnon less that: %d kB (SQLite's caches and the C allocator, less a few MB the runtime mapped but never touched: on PostgreSQL, with no SQLite, it is about −3 MB)",
			memSampleEvery, p.during, p.rssKB, p.fileKB, p.anonKB, p.goKB, p.anonKB-p.goKB)
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "; "))
	}
	return nil
}

func (b *bench) start(ctx context.Context, logName string, env []string, name string, args ...string) (*exec.Cmd, error) {
	logf, err := os.Create(filepath.Join(b.dir, logName)) //nolint:gosec // G304: a log file in the working folder this command made
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, "taskset", append([]string{"-c", b.o.serverCPU, name}, args...)...) //nolint:gosec // G204: binaries this command just built
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 10 * time.Second
	if err := cmd.Start(); err != nil {
		_ = logf.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	return cmd, nil
}

// cleanup stops the servers this command started and removes a temporary
// working folder unless -keep.
func (b *bench) cleanup() {
	for _, c := range []*exec.Cmd{b.fprCmd, b.floorCmd} {
		if c == nil || c.Process == nil {
			continue
		}
		_ = c.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = c.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = c.Process.Kill()
			<-done
		}
	}
	if b.pgCreated && !b.o.keep {
		if err := b.dropPostgres(); err != nil {
			b.logf("drop database %s: %v", b.o.pgDB, err)
		}
	} else if b.o.backend == "postgres" && b.o.pgDB != "" {
		b.logf("kept database %s", b.o.pgDB)
	}
	if b.temp && !b.o.keep {
		_ = os.RemoveAll(b.dir)
	} else if b.dir != "" {
		b.logf("kept %s", b.dir)
	}
}

func runCmd(ctx context.Context, dir, name string, args ...string) error {
	cmd := exec.CommandContext(ctx, name, args...) //nolint:gosec // G204: go and the fpr binary this command built
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %w\n%s", name, strings.Join(args, " "), err, out)
	}
	return nil
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	addr := l.Addr().String()
	return addr, l.Close()
}

func waitUp(ctx context.Context, u string) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return err
		}
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not answering 200 after 30s (last error: %w)", u, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func getJSON(ctx context.Context, u string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", u, resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}

// memSample is FPR's memory at one moment (sampleMemory).
type memSample struct {
	during                      string // the run under way
	rssKB, anonKB, fileKB, goKB int64
}

// memSampleEvery is how often sampleMemory looks.
const memSampleEvery = 500 * time.Millisecond

// sampleMemory reads fpr serve's resident memory and the Go runtime's
// share of it every memSampleEvery while FPR runs (running names the
// run), keeping the sample of largest VmRSS in b.memPeak: VmHWM alone
// cannot tell the Go heap, which GOMEMLIMIT bounds, from SQLite's memory,
// which it does not. Each look costs the server one GET /metrics. The
// returned function stops it and may be called more than once.
func (b *bench) sampleMemory(running *atomic.Value) func() {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(memSampleEvery)
		defer t.Stop()
		pid := b.fprCmd.Process.Pid
		for {
			select {
			case <-done:
				return
			case <-t.C:
			}
			during, _ := running.Load().(string)
			if during == "" {
				continue
			}
			s := memSample{during: during, rssKB: procStatusKB(pid, "VmRSS"), anonKB: procStatusKB(pid, "RssAnon"), fileKB: procStatusKB(pid, "RssFile")}
			goBytes, err := goResident(b.fprURL + "/metrics")
			if err != nil || s.rssKB <= b.memPeak.rssKB {
				continue
			}
			s.goKB = goBytes >> 10
			b.memPeak = s
		}
	}()
	var once sync.Once
	return func() { once.Do(func() { close(done); wg.Wait() }) }
}

// goResident returns what the Go runtime of the server at metricsURL holds
// from the OS: go_memstats_sys_bytes less heap_released_bytes.
func goResident(metricsURL string) (int64, error) {
	m, err := readMetrics(metricsURL)
	if err != nil {
		return 0, err
	}
	sys, ok1 := m["go_memstats_sys_bytes"]
	released, ok2 := m["go_memstats_heap_released_bytes"]
	if !ok1 || !ok2 {
		return 0, errors.New("no go_memstats_sys_bytes or heap_released_bytes in /metrics")
	}
	return int64(sys - released), nil
}

// readMetrics returns the unlabelled samples of the server's metrics at
// metricsURL, by name.
func readMetrics(metricsURL string) (map[string]float64, error) {
	resp, err := metricsClient.Get(metricsURL)
	if err != nil {
		return nil, err
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", metricsURL, resp.Status)
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		name, v, ok := strings.Cut(sc.Text(), " ")
		if !ok || strings.HasPrefix(name, "#") || strings.Contains(name, "{") {
			continue
		}
		if f, err := strconv.ParseFloat(v, 64); err == nil {
			out[name] = f
		}
	}
	return out, sc.Err()
}

// sqliteFigures is what SQLite did inside fpr serve during one run: the
// share of the run its one writer was busy, the share of that in COMMIT,
// writes a batch, and the share of sessions its session cache served.
type sqliteFigures struct{ busy, commit, perBatch, sessionHits float64 }

// sqliteSeries are the fpr_sqlite_* counters newSQLiteFigures reads.
var sqliteSeries = []string{"fpr_sqlite_writer_busy_seconds_total", "fpr_sqlite_commit_seconds_total",
	"fpr_sqlite_write_batches_total", "fpr_sqlite_writes_committed_total",
	"fpr_sqlite_session_cache_hits_total", "fpr_sqlite_session_cache_misses_total"}

// newSQLiteFigures compares two readings of the metrics taken d apart;
// false when the server has no such series (PostgreSQL) or they did not
// move (no batch, no session read).
func newSQLiteFigures(before, after map[string]float64, d time.Duration) (sqliteFigures, bool) {
	delta := map[string]float64{}
	for _, name := range sqliteSeries {
		a, ok1 := after[name]
		b, ok2 := before[name]
		if !ok1 || !ok2 {
			return sqliteFigures{}, false
		}
		delta[name] = a - b
	}
	busy, batches := delta["fpr_sqlite_writer_busy_seconds_total"], delta["fpr_sqlite_write_batches_total"]
	hits, misses := delta["fpr_sqlite_session_cache_hits_total"], delta["fpr_sqlite_session_cache_misses_total"]
	if batches <= 0 || busy <= 0 || hits+misses <= 0 {
		return sqliteFigures{}, false
	}
	return sqliteFigures{busy: busy / d.Seconds(), commit: delta["fpr_sqlite_commit_seconds_total"] / busy,
		perBatch: delta["fpr_sqlite_writes_committed_total"] / batches, sessionHits: hits / (hits + misses)}, true
}

// metricsClient gives up on a server that does not answer, so stopping
// the sampler never waits long.
var metricsClient = &http.Client{Timeout: 2 * time.Second}

// procStatusKB returns a "N kB" field of /proc/PID/status as N, or 0.
func procStatusKB(pid int, field string) int64 {
	n, _ := strconv.ParseInt(strings.TrimSuffix(procStatus(pid, field), " kB"), 10, 64)
	return n
}

// procStatus returns a field of /proc/PID/status ("VmHWM", "VmRSS") of the
// process taskset became (it execs the server, keeping the pid).
func procStatus(pid int, field string) string {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return "?"
	}
	defer func() { _ = f.Close() }()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			return strings.TrimSpace(v)
		}
	}
	return "?"
}

// openSource opens FPR's database for the bench's own reads (ids, the
// deep page, counts).
func (b *bench) openSource() (*sql.DB, error) {
	if b.o.backend == "postgres" {
		return sql.Open("pgx", b.dbURL)
	}
	return sql.Open("sqlite", "file:"+b.db+"?mode=ro")
}

var pgNameRE = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// createPostgres makes the bench's database on -pg-url's server, or finds
// -pg-db there, and sets b.dbURL to it. It reports whether the database
// existed (and so is reused, seeded: the tokens file must be in the
// working folder).
func (b *bench) createPostgres(ctx context.Context) (bool, error) {
	admin, err := sql.Open("pgx", b.o.pgURL)
	if err != nil {
		return false, err
	}
	defer func() { _ = admin.Close() }()
	if b.o.pgDB == "" {
		b.o.pgDB = fmt.Sprintf("fpr_bench_%d_%d", time.Now().Unix(), os.Getpid())
	}
	u, err := url.Parse(b.o.pgURL)
	if err != nil {
		return false, fmt.Errorf("-pg-url: %w", err)
	}
	u.Path = "/" + b.o.pgDB
	b.dbURL = u.String()
	var exists bool
	if err := admin.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, b.o.pgDB).Scan(&exists); err != nil {
		return false, fmt.Errorf("postgres at %s: %w", redact(b.o.pgURL), err)
	}
	if exists {
		if _, err := os.Stat(b.tokens); err != nil {
			return false, fmt.Errorf("database %s exists but %s does not: seed it with this bench's -dir, or drop it: %w", b.o.pgDB, b.tokens, err)
		}
		return true, nil
	}
	// The name is checked by pgNameRE or made above: safe to quote.
	if _, err := admin.ExecContext(ctx, `CREATE DATABASE "`+b.o.pgDB+`"`); err != nil {
		return false, fmt.Errorf("create database %s: %w", b.o.pgDB, err)
	}
	b.pgCreated = true
	b.logf("created database %s", b.o.pgDB)
	return false, nil
}

// dropPostgres drops the database this run made (after fpr serve stopped).
func (b *bench) dropPostgres() error {
	admin, err := sql.Open("pgx", b.o.pgURL)
	if err != nil {
		return err
	}
	defer func() { _ = admin.Close() }()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := admin.ExecContext(ctx, `DROP DATABASE IF EXISTS "`+b.o.pgDB+`" WITH (FORCE)`); err != nil {
		return err
	}
	b.logf("dropped database %s", b.o.pgDB)
	return nil
}

// redact drops the password of a database URL.
func redact(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		return s
	}
	u.User = url.User(u.User.Username())
	return u.String()
}

// procCPU returns the CPU time (user + system) of process pid in
// microseconds, or -1. Per request it is the figure a loaded machine
// disturbs least: other processes take the server's CPU away, which
// lowers requests per second, but not the CPU each request needs (waits
// for the disk are not in it).
func procCPU(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return -1
	}
	// The fields after the command name, which is in parentheses.
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return -1
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return -1
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return -1
	}
	// Clock ticks of 1/100 s (USER_HZ on Linux).
	return (utime + stime) * 10000
}
