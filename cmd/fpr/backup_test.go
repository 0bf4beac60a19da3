package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fpr-team/fpr"
	"github.com/fpr-team/fpr/internal/auth"
	"github.com/fpr-team/fpr/internal/storetest"
)

// runWithDB runs an fpr command in-process with FPR_DATABASE_URL=dbURL and
// returns its error and what it printed.
func runWithDB(dbURL string, args ...string) (string, error) {
	var out bytes.Buffer
	getenv := func(k string) string {
		if k == "FPR_DATABASE_URL" {
			return dbURL
		}
		return ""
	}
	err := run(context.Background(), args, getenv, strings.NewReader(""), &out, &out)
	return out.String(), err
}

// TestBackup_SQLiteUnderLoad backs up a SQLite database with `fpr backup`
// while a built `fpr serve` takes reviews over HTTP, restores the backup
// with `fpr restore`, and finds in the restored copy every review
// acknowledged before the backup began, with each product's rating
// summary equal to a recount. It also checks the refusals: an existing
// backup file, a database in use, a file that is not an FPR database, a
// missing file.
func TestBackup_SQLiteUnderLoad(t *testing.T) {
	dir := t.TempDir()
	dbURL := "sqlite:" + filepath.Join(dir, "fpr.db")
	a := &arrange{db: storetest.OpenURL(t, dbURL)}
	a.auth = auth.New(a.db)
	const products, writers = 30, 8
	var productIDs []string
	for i := range products {
		productIDs = append(productIDs, a.product(t, fmt.Sprintf("Backed up %d", i)))
	}
	in, err := startServe(t, fprBinary(t), "backup", "FPR_ENV=development", "FPR_LOG_FORMAT=json", "FPR_DATABASE_URL="+dbURL)
	if err != nil {
		t.Fatal(err)
	}

	var mu sync.Mutex
	acked := map[string]int{}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	client := &http.Client{Timeout: 30 * time.Second}
	for w, token := range a.users(t, "backup-", writers) {
		wg.Go(func() {
			postUntilDown(client, in.url, token, func(i int) (string, any, bool) {
				return "/api/v1/products/" + productIDs[(i+w)%products] + "/reviews",
					map[string]any{"rating": 1 + (i+w)%5, "title": "Kept", "body": "In the backup if acknowledged before it."}, i < products
			}, stop, func(_ int, out []byte) {
				var v struct {
					Review struct {
						ID     string `json:"id"`
						Rating int    `json:"rating"`
					} `json:"review"`
				}
				if json.Unmarshal(out, &v) == nil {
					mu.Lock()
					acked[v.Review.ID] = v.Review.Rating
					mu.Unlock()
				}
			})
		})
	}
	// Back up once writes flow.
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		mu.Lock()
		n := len(acked)
		mu.Unlock()
		if n >= 20 || time.Now().After(deadline) {
			break
		}
	}
	mu.Lock()
	before := make(map[string]int, len(acked))
	for id, r := range acked {
		before[id] = r
	}
	mu.Unlock()
	backup := filepath.Join(dir, "backups", "fpr-backup.db")
	if out, err := runWithDB(dbURL, "backup", "--to", backup); err != nil {
		t.Fatalf("fpr backup: %v\n%s", err, out)
	}
	mu.Lock()
	during := len(acked) - len(before)
	mu.Unlock()

	// Refusals, while the site still serves.
	if out, err := runWithDB(dbURL, "backup", "--to", backup); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Errorf("backup over an existing file: %v %s; want a refusal naming the file", err, out)
	}
	if out, err := runWithDB(dbURL, "restore", "--from", backup); err == nil || !strings.Contains(err.Error(), "in use") {
		t.Errorf("restore over the database fpr serve uses: %v %s; want a refusal: in use", err, out)
	}
	junk := filepath.Join(dir, "junk.db")
	if err := os.WriteFile(junk, bytes.Repeat([]byte("not a database "), 500), 0o600); err != nil {
		t.Fatal(err)
	}
	restored := filepath.Join(dir, "restored.db")
	if _, err := runWithDB("sqlite:"+restored, "restore", "--from", junk); err == nil || !strings.Contains(err.Error(), "not an intact SQLite database") {
		t.Errorf("restore from a file that is not a database: %v", err)
	}
	if _, err := runWithDB("sqlite:"+restored, "restore", "--from", filepath.Join(dir, "missing.db")); err == nil || !strings.Contains(err.Error(), "missing.db") {
		t.Errorf("restore from a missing file: %v", err)
	}
	if _, err := runWithDB(dbURL, "backup", "--to", filepath.Join(dir, "pg.dump"), "--database", "postgres://127.0.0.1/x"); err == nil || !strings.Contains(err.Error(), "pg_dump") {
		t.Errorf("backup of PostgreSQL: %v; want a pointer to pg_dump", err)
	}

	close(stop)
	wg.Wait()

	// Restore twice: into a new file, then over that (unused) copy.
	for range 2 {
		if out, err := runWithDB("sqlite:"+restored, "restore", "--from", backup); err != nil {
			t.Fatalf("fpr restore: %v\n%s", err, out)
		}
	}
	db := storetest.OpenURL(t, "sqlite:"+restored)
	ctx := context.Background()
	for id, rating := range before {
		if r, err := db.FindReviewByID(ctx, id); err != nil || r.Rating != rating {
			t.Errorf("review %s, acknowledged before the backup began: %v %v", id, r, err)
		}
	}
	total := 0
	for _, id := range productIDs {
		total += storetest.CheckSummary(t, db, id).Count
	}
	if total < len(before) {
		t.Errorf("the restored copy counts %d reviews, fewer than the %d acknowledged before the backup", total, len(before))
	}
	t.Logf("%d reviews acknowledged before the backup, %d during it; the restored copy has %d", len(before), during, total)
}

// TestBackup_PostgresDumpRestore runs the pg_dump and pg_restore commands
// of docs/postgres.md on a database with reviews and checks the restored
// database: every review, summaries equal to recounts, migrations
// current.
func TestBackup_PostgresDumpRestore(t *testing.T) {
	src := storetest.FreshPostgresURL(t)
	dump, restore := "pg_dump", "pg_restore"
	for _, tool := range []*string{&dump, &restore} {
		p, err := exec.LookPath(*tool)
		if err != nil {
			if os.Getenv("FPR_REQUIRE_POSTGRES") == "1" {
				t.Fatalf("%s not found: it comes with the PostgreSQL client", *tool)
			}
			t.Skipf("%s not found: it comes with the PostgreSQL client", *tool)
		}
		*tool = p
	}
	a := &arrange{db: storetest.OpenURL(t, src)}
	a.auth = auth.New(a.db)
	ctx := context.Background()
	products := []string{a.product(t, "Dumped plums"), a.product(t, "Dumped pears")}
	reviews := map[string]int{}
	for i := range 12 {
		u := &fpr.User{Email: fmt.Sprintf("dump%d@example.test", i), DisplayName: fmt.Sprintf("Dump %d", i)}
		if err := a.db.CreateUser(ctx, u, "not-a-real-hash"); err != nil {
			t.Fatal(err)
		}
		r := &fpr.Review{ProductID: products[i%2], Rating: 1 + i%5, Title: "Dumped", Body: "And restored."}
		if err := a.db.CreateReview(fpr.NewContextWithUser(ctx, u), r); err != nil {
			t.Fatal(err)
		}
		reviews[r.ID] = r.Rating
	}

	file := filepath.Join(t.TempDir(), "fpr.dump")
	if out, err := exec.Command(dump, "--format=custom", "--no-owner", "--file="+file, src).CombinedOutput(); err != nil { //nolint:gosec // G204: the test's own tool and database
		t.Fatalf("pg_dump: %v\n%s", err, out)
	}
	dst := storetest.FreshPostgresURL(t)
	if out, err := exec.Command(restore, "--no-owner", "--exit-on-error", "--dbname="+dst, file).CombinedOutput(); err != nil { //nolint:gosec // G204: the test's own tool and database
		t.Fatalf("pg_restore: %v\n%s", err, out)
	}
	db := storetest.OpenURL(t, dst)
	if n, err := db.PendingMigrations(ctx); err != nil || n != 0 {
		t.Errorf("restored database: %d migrations pending (%v)", n, err)
	}
	for id, rating := range reviews {
		if r, err := db.FindReviewByID(ctx, id); err != nil || r.Rating != rating {
			t.Errorf("review %s after pg_dump and pg_restore: %v %v", id, r, err)
		}
	}
	for _, id := range products {
		if got := storetest.CheckSummary(t, db, id); got.Count != 6 {
			t.Errorf("product %s: %d reviews after the restore, want 6", id, got.Count)
		}
	}
	// The restored database takes writes (sequences, triggers, search).
	u := &fpr.User{Email: "after-restore@example.test", DisplayName: "After"}
	if err := db.CreateUser(ctx, u, "not-a-real-hash"); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateReview(fpr.NewContextWithUser(ctx, u), &fpr.Review{ProductID: products[0], Rating: 5, Title: "New", Body: "After the restore."}); err != nil {
		t.Fatalf("review after the restore: %v", err)
	}
	storetest.CheckSummary(t, db, products[0])
}
