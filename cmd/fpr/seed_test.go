package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/fpr-team/fpr"
	"github.com/fpr-team/fpr/internal/auth"
	"github.com/fpr-team/fpr/internal/storetest"
)

// openRaw opens the SQLite file at path for checking what a command wrote.
func openRaw(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// digest hashes the key rows of every catalogue table in ID order.
func digest(t *testing.T, db *sql.DB) string {
	t.Helper()
	h := sha256.New()
	for _, q := range []string{
		`SELECT id, email, display_name, role, password_hash, created_at FROM users ORDER BY id`,
		`SELECT id, owner_id, name, slug, region, description, created_at FROM farms ORDER BY id`,
		`SELECT id, farm_id, name, slug, category, description, unit, created_at, rating_count, rating_sum,
			rating_1, rating_2, rating_3, rating_4, rating_5, rating_score FROM products ORDER BY id`,
		`SELECT id, product_id, author_id, rating, title, body, status, created_at FROM reviews ORDER BY id`,
	} {
		digestRows(t, db, q, h)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// digestRows writes the rows of q to h.
func digestRows(t *testing.T, db *sql.DB, q string, h io.Writer) {
	t.Helper()
	rows, err := db.Query(q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	{
		cols, _ := rows.Columns()
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			fmt.Fprintln(h, vals...)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
	}
}

// mustConsistentSummaries checks every product's rating summary against its
// published, non-probe reviews, the Bayesian score included, and that each
// product has one search entry.
func mustConsistentSummaries(t *testing.T, db *sql.DB) {
	t.Helper()
	var bad int
	err := db.QueryRow(`SELECT COUNT(*) FROM products p WHERE
		rating_count <> (SELECT COUNT(*) FROM reviews r WHERE r.product_id = p.id AND r.status = 'published' AND NOT r.probe)
		OR rating_sum <> (SELECT COALESCE(SUM(rating), 0) FROM reviews r WHERE r.product_id = p.id AND r.status = 'published' AND NOT r.probe)
		OR rating_5 <> (SELECT COUNT(*) FROM reviews r WHERE r.product_id = p.id AND r.status = 'published' AND NOT r.probe AND r.rating = 5)
		OR rating_1 <> (SELECT COUNT(*) FROM reviews r WHERE r.product_id = p.id AND r.status = 'published' AND NOT r.probe AND r.rating = 1)
		OR rating_1 + rating_2 + rating_3 + rating_4 + rating_5 <> rating_count
		OR rating_score <> (CAST(rating_sum AS REAL) + 35) / (rating_count + 10)`).Scan(&bad)
	if err != nil {
		t.Fatal(err)
	}
	if bad != 0 {
		t.Errorf("%d products have a rating summary that disagrees with their reviews", bad)
	}
	var products, fts int
	if err := db.QueryRow(`SELECT (SELECT COUNT(*) FROM products), (SELECT COUNT(*) FROM products_search)`).Scan(&products, &fts); err != nil {
		t.Fatal(err)
	}
	if products == 0 || fts != products {
		t.Errorf("products = %d, search entries = %d, want equal and not 0", products, fts)
	}
}

func TestSeed_Deterministic(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	args := []string{"seed", "--farms", "4", "--products", "60", "--users", "40", "--reviews", "900"}
	seedDB := func(name string, seed string) *sql.DB {
		path := filepath.Join(dir, name)
		out, errOut, err := runFPR(t, path, "", append(args, "--seed", seed)...)
		if err != nil {
			t.Fatalf("seed: %v\n%s", err, errOut)
		}
		if !strings.Contains(out, "seeded 40 users, 4 farms, 60 products, 900 reviews") {
			t.Errorf("seed printed %q", out)
		}
		return openRaw(t, path)
	}
	a, b, c := seedDB("a.db", "7"), seedDB("b.db", "7"), seedDB("c.db", "8")
	da, db, dc := digest(t, a), digest(t, b), digest(t, c)
	if da != db {
		t.Errorf("same seed, different data: %s vs %s", da, db)
	}
	if da == dc {
		t.Errorf("seeds 7 and 8 gave the same data")
	}
	for _, raw := range []*sql.DB{a, c} {
		mustConsistentSummaries(t, raw)
		var reviews, published, producers int
		if err := raw.QueryRow(`SELECT COUNT(*), SUM(status = 'published') FROM reviews`).Scan(&reviews, &published); err != nil {
			t.Fatal(err)
		}
		if err := raw.QueryRow(`SELECT COUNT(*) FROM users WHERE role = 'producer'`).Scan(&producers); err != nil {
			t.Fatal(err)
		}
		if reviews != 900 || published < 850 || producers != 4 {
			t.Errorf("reviews = %d (%d published), producers = %d; want 900 (most published), 4", reviews, published, producers)
		}
	}

	// The seeded data serves: search, paging and a login attempt that is
	// refused (not an error).
	sdb := openUsers(t, filepath.Join(dir, "a.db"))
	q := "apples"
	ps, _, err := sdb.FindProducts(context.Background(), fpr.ProductFilter{Query: &q})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		if !strings.Contains(strings.ToLower(p.Name+p.Description+p.FarmName), "apple") {
			t.Errorf("search apples found %q", p.Name)
		}
	}
	a2 := auth.New(sdb)
	a2.Params = auth.TestParams
	if _, _, err := a2.Login(context.Background(), fpr.Credentials{Email: "user5@seed.example.net", Password: "anything-at-all-1"}); fpr.ErrorCode(err) != fpr.CodeUnauthenticated {
		t.Errorf("login as a seeded user = %v, want unauthenticated", err)
	}
}

func TestSeed_Errors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "fpr.db")
	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{"too many reviews", []string{"--farms", "1", "--products", "2", "--users", "3", "--reviews", "7"}, "cannot fit"},
		{"products without farms", []string{"--farms", "0", "--products", "2", "--users", "3", "--reviews", "0"}, "farm"},
		{"negative", []string{"--farms", "-1"}, "negative"},
	} {
		_, _, err := runFPR(t, path, "", append([]string{"seed"}, tt.args...)...)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: seed = %v, want an error about %q", tt.name, err, tt.want)
		}
	}
	if _, errOut, err := runFPR(t, path, "", "seed", "--farms", "1", "--products", "3", "--users", "3", "--reviews", "5"); err != nil {
		t.Fatalf("seed: %v\n%s", err, errOut)
	}
	before := digest(t, openRaw(t, path))
	if _, _, err := runFPR(t, path, "", "seed", "--farms", "1", "--products", "3", "--users", "3", "--reviews", "5", "--seed", "2"); err == nil ||
		!strings.Contains(err.Error(), "already has farms") {
		t.Errorf("seed on a seeded database = %v, want a refusal", err)
	}
	if after := digest(t, openRaw(t, path)); after != before {
		t.Errorf("a refused seed changed the data")
	}
}

func TestDemo_LoadsOnceAndAdminLogsIn(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "fpr.db")
	db := storetest.OpenURL(t, "sqlite:"+path)
	a := auth.New(db)
	a.Params = auth.TestParams
	log := slog.New(slog.DiscardHandler)

	var out bytes.Buffer
	if err := loadDemo(context.Background(), db, a, &out, log); err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`admin login (\S+) / (\S+)`).FindStringSubmatch(out.String())
	if m == nil || !strings.Contains(out.String(), "loaded 8 farms") {
		t.Fatalf("demo printed %q, want the counts and an admin login", out.String())
	}
	_, u, err := a.Login(context.Background(), fpr.Credentials{Email: m[1], Password: m[2]})
	if err != nil || u.Role != fpr.RoleAdmin {
		t.Errorf("login with the printed admin login = %v, %v; want an admin", u, err)
	}
	raw := openRaw(t, path)
	mustConsistentSummaries(t, raw)
	var farms, products, reviews, replies, ratings int
	if err := raw.QueryRow(`SELECT (SELECT COUNT(*) FROM farms), (SELECT COUNT(*) FROM products), (SELECT COUNT(*) FROM reviews),
		(SELECT COUNT(*) FROM review_replies), (SELECT COUNT(DISTINCT rating) FROM reviews)`).Scan(&farms, &products, &reviews, &replies, &ratings); err != nil {
		t.Fatal(err)
	}
	if farms != 8 || products < 30 || reviews < 140 || replies == 0 || ratings != 5 {
		t.Errorf("demo has %d farms, %d products, %d reviews (%d star values), %d replies", farms, products, reviews, ratings, replies)
	}
	before := digest(t, raw)

	out.Reset()
	if err := loadDemo(context.Background(), db, a, &out, log); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "nothing loaded") || strings.Contains(out.String(), "admin login") {
		t.Errorf("second demo printed %q, want that nothing was loaded", out.String())
	}
	if after := digest(t, raw); after != before {
		t.Errorf("the second demo load changed the data")
	}
}

func TestSeed_TokensAuthenticateMembers(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path, tokensFile := filepath.Join(dir, "fpr.db"), filepath.Join(dir, "tokens.txt")
	if _, errOut, err := runFPR(t, path, "", "seed", "--farms", "2", "--products", "5", "--users", "10", "--reviews", "20",
		"--tokens", tokensFile, "--token-users", "8"); err != nil {
		t.Fatalf("seed: %v\n%s", err, errOut)
	}
	data, err := os.ReadFile(tokensFile)
	if err != nil {
		t.Fatal(err)
	}
	tokens := strings.Fields(string(data))
	if len(tokens) != 8 {
		t.Fatalf("tokens file has %d tokens, want 8", len(tokens))
	}
	a := auth.New(openUsers(t, path))
	seen := map[string]bool{}
	for _, tok := range tokens {
		u, _, err := a.Authenticate(context.Background(), tok)
		if err != nil {
			t.Fatalf("a seeded token does not authenticate: %v", err)
		}
		if u.Role != fpr.RoleMember || seen[u.ID] {
			t.Errorf("token user %s role %s (seen before: %v), want distinct members", u.ID, u.Role, seen[u.ID])
		}
		seen[u.ID] = true
	}
	if _, _, err := a.Authenticate(context.Background(), tokens[0]+"x"); err == nil {
		t.Error("a token not seeded authenticates")
	}
	// Only members get tokens: 10 users, 2 of them producers.
	_, _, err = runFPR(t, filepath.Join(dir, "b.db"), "", "seed", "--farms", "2", "--products", "5", "--users", "10", "--reviews", "20",
		"--tokens", filepath.Join(dir, "b.txt"), "--token-users", "9")
	if err == nil || !strings.Contains(err.Error(), "only 8 users are members") {
		t.Errorf("seed with 9 token users of 8 members = %v, want a refusal", err)
	}
}

// TestSeed_NewFileAndInPlaceAgree seeds a new SQLite file (the fast path:
// no journal, a temporary name, renamed at the end), an existing migrated
// file (one transaction in place) and a PostgreSQL database (COPY), and
// checks all three hold the same rows, with summaries equal to recounts and
// every index and foreign key of the schema.
func TestSeed_NewFileAndInPlaceAgree(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	args := []string{"seed", "--farms", "3", "--products", "40", "--users", "60", "--reviews", "1500", "--hot", "50", "--seed", "3"}
	fresh, inPlace := filepath.Join(dir, "fresh.db"), filepath.Join(dir, "in-place.db")
	if _, errOut, err := runFPR(t, fresh, "", args...); err != nil {
		t.Fatalf("seed a new file: %v\n%s", err, errOut)
	}
	if _, errOut, err := runFPR(t, inPlace, "", "migrate"); err != nil {
		t.Fatalf("migrate: %v\n%s", err, errOut)
	}
	if _, errOut, err := runFPR(t, inPlace, "", args...); err != nil {
		t.Fatalf("seed a migrated file: %v\n%s", err, errOut)
	}
	if _, err := os.Stat(fresh + ".loading"); !os.IsNotExist(err) {
		t.Errorf("the temporary file is left: %v", err)
	}
	a, b := openRaw(t, fresh), openRaw(t, inPlace)
	if da, db := digest(t, a), digest(t, b); da != db {
		t.Errorf("a new file and a migrated one seeded alike differ: %s vs %s", da, db)
	}
	schema := func(db *sql.DB) string {
		h := sha256.New()
		digestRows(t, db, `SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_stat%' ORDER BY type, name`, h)
		return hex.EncodeToString(h.Sum(nil))
	}
	if sa, sb := schema(a), schema(b); sa != sb {
		t.Errorf("the seeded new file's schema differs from a migrated one's")
	}
	for _, raw := range []*sql.DB{a, b} {
		mustConsistentSummaries(t, raw)
		var mode, integrity string
		if err := raw.QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil {
			t.Fatal(err)
		}
		if err := raw.QueryRow(`PRAGMA integrity_check`).Scan(&integrity); err != nil {
			t.Fatal(err)
		}
		var orphans int
		if err := raw.QueryRow(`SELECT COUNT(*) FROM pragma_foreign_key_check`).Scan(&orphans); err != nil {
			t.Fatal(err)
		}
		if mode != "wal" || integrity != "ok" || orphans != 0 {
			t.Errorf("journal_mode %s, integrity %s, %d foreign key violations; want wal, ok, 0", mode, integrity, orphans)
		}
	}
	var farmsOff int
	if err := a.QueryRow(`SELECT COUNT(*) FROM farms f WHERE rating_count <> (SELECT COALESCE(SUM(rating_count), 0) FROM products p WHERE p.farm_id = f.id)
		OR product_count <> (SELECT COUNT(*) FROM products p WHERE p.farm_id = f.id)`).Scan(&farmsOff); err != nil {
		t.Fatal(err)
	}
	if farmsOff != 0 {
		t.Errorf("%d farms' summaries disagree with their products", farmsOff)
	}

	t.Run("Postgres", func(t *testing.T) {
		pgURL := storetest.FreshPostgresURL(t)
		env := map[string]string{"FPR_DATABASE_URL": pgURL, "FPR_LOG_FORMAT": "text"}
		var out, errOut bytes.Buffer
		if err := run(context.Background(), args, func(k string) string { return env[k] }, strings.NewReader(""), &out, &errOut); err != nil {
			t.Fatalf("seed: %v\n%s", err, errOut.String())
		}
		pg, err := sql.Open("pgx", pgURL)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = pg.Close() })
		if dp, da := digest(t, pg), digest(t, a); dp != da {
			t.Errorf("PostgreSQL and SQLite seeded alike differ: %s vs %s", dp, da)
		}
		var bad int
		if err := pg.QueryRow(`SELECT COUNT(*) FROM products p WHERE
			rating_count <> (SELECT COUNT(*) FROM reviews r WHERE r.product_id = p.id AND r.status = 'published' AND NOT r.probe)
			OR rating_sum <> (SELECT COALESCE(SUM(rating), 0) FROM reviews r WHERE r.product_id = p.id AND r.status = 'published' AND NOT r.probe)
			OR rating_5 <> (SELECT COUNT(*) FROM reviews r WHERE r.product_id = p.id AND r.status = 'published' AND NOT r.probe AND r.rating = 5)
			OR rating_1 + rating_2 + rating_3 + rating_4 + rating_5 <> rating_count
			OR search IS NULL`).Scan(&bad); err != nil {
			t.Fatal(err)
		}
		if bad != 0 {
			t.Errorf("%d products have a summary or search entry that disagrees with their reviews", bad)
		}
		// The indexes and foreign keys dropped for the load are back:
		// the same as a database only migrated.
		empty := storetest.FreshPostgresURL(t)
		storetest.OpenURL(t, empty)
		pe, err := sql.Open("pgx", empty)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = pe.Close() })
		objects := func(db *sql.DB) string {
			h := sha256.New()
			digestRows(t, db, `SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY indexname`, h)
			digestRows(t, db, `SELECT conname, pg_get_constraintdef(oid), convalidated FROM pg_constraint WHERE connamespace = 'public'::regnamespace ORDER BY conname`, h)
			return hex.EncodeToString(h.Sum(nil))
		}
		if objects(pg) != objects(pe) {
			t.Errorf("the seeded database's indexes or constraints differ from a migrated one's")
		}
		// And through the store: the summary of the product with the most
		// reviews equals its recount.
		db := storetest.OpenURL(t, pgURL)
		var hot string
		if err := pg.QueryRow(`SELECT id FROM products ORDER BY rating_count DESC, id LIMIT 1`).Scan(&hot); err != nil {
			t.Fatal(err)
		}
		if got := storetest.CheckSummary(t, db, hot); got.Count < 50 {
			t.Errorf("the hot product has %d published reviews, want at least 50", got.Count)
		}
	})
}

// TestSeed_PostgresKeepsTheSchema: a seed on PostgreSQL drops the review
// indexes and foreign keys for the load (store.Loader) and adds every one
// back: the seeded schema's indexes and constraints are a migrated
// schema's, the foreign keys hold, and the summaries equal recounts.
func TestSeed_PostgresKeepsTheSchema(t *testing.T) {
	t.Parallel()
	seeded, migrated := storetest.FreshPostgresSchemaURL(t), storetest.FreshPostgresSchemaURL(t)
	runWith := func(url string, args ...string) {
		t.Helper()
		env := map[string]string{"FPR_DATABASE_URL": url, "FPR_LOG_FORMAT": "text"}
		var out, errOut bytes.Buffer
		if err := run(context.Background(), args, func(k string) string { return env[k] }, strings.NewReader(""), &out, &errOut); err != nil {
			t.Fatalf("fpr %s: %v\n%s", strings.Join(args, " "), err, errOut.String())
		}
	}
	runWith(seeded, "seed", "--farms", "3", "--products", "40", "--users", "60", "--reviews", "1500", "--hot", "50", "--seed", "3")
	runWith(migrated, "migrate")
	schemaOf := func(url string) (string, *sql.DB) {
		t.Helper()
		raw, err := sql.Open("pgx", url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = raw.Close() })
		var defs []string
		for _, q := range []string{
			`SELECT indexname || ': ' || regexp_replace(indexdef, ' ON \S+\.', ' ON ') FROM pg_indexes WHERE schemaname = current_schema() ORDER BY indexname`,
			`SELECT conname || ': ' || pg_get_constraintdef(c.oid) FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
				WHERE n.nspname = current_schema() ORDER BY conname`,
		} {
			defs = append(defs, storetest.QueryStrings(t, raw, q)...)
		}
		return strings.Join(defs, "\n"), raw
	}
	got, raw := schemaOf(seeded)
	want, _ := schemaOf(migrated)
	if got != want {
		t.Errorf("seeded schema's indexes and constraints:\n%s\nwant a migrated schema's:\n%s", got, want)
	}
	if !strings.Contains(got, "reviews_product_helpful") || !strings.Contains(got, "FOREIGN KEY (author_id)") {
		t.Errorf("the schema lacks what the load drops:\n%s", got)
	}
	var n, orphans, off int
	if err := raw.QueryRow(`SELECT COUNT(*) FROM reviews`).Scan(&n); err != nil || n < 1500 {
		t.Fatalf("reviews = %d (%v), want at least 1500", n, err)
	}
	if err := raw.QueryRow(`SELECT COUNT(*) FROM reviews r WHERE NOT EXISTS (SELECT 1 FROM users u WHERE u.id = r.author_id)
		OR NOT EXISTS (SELECT 1 FROM products p WHERE p.id = r.product_id)`).Scan(&orphans); err != nil || orphans != 0 {
		t.Errorf("reviews without their author or product = %d (%v)", orphans, err)
	}
	if err := raw.QueryRow(`SELECT COUNT(*) FROM products p WHERE rating_count <> (SELECT COUNT(*) FROM reviews r
		WHERE r.product_id = p.id AND r.status = 'published' AND NOT r.probe)`).Scan(&off); err != nil || off != 0 {
		t.Errorf("products whose rating_count is not a recount = %d (%v)", off, err)
	}
}
