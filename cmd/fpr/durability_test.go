package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/fpr-team/fpr/internal/auth"
	"github.com/fpr-team/fpr/internal/storetest"
)

// postUntilDown posts next(i)'s body to next(i)'s path, i = 0, 1, …, with
// token, until a request fails (the server died), next reports no more,
// or stop closes; it calls created with each 201 body.
func postUntilDown(client *http.Client, base, token string, next func(i int) (path string, body any, more bool),
	stop <-chan struct{}, created func(i int, out []byte)) {
	for i := 0; ; i++ {
		select {
		case <-stop:
			return
		default:
		}
		path, body, more := next(i)
		if !more {
			return
		}
		data, _ := json.Marshal(body)
		req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, base+path, bytes.NewReader(data))
		if err != nil {
			return
		}
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := client.Do(req)
		if err != nil {
			return
		}
		out, err := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		if err != nil {
			return
		}
		if resp.StatusCode == http.StatusCreated {
			created(i, out)
		}
	}
}

// TestDurability_Kill9 writes reviews and registrations over HTTP to a
// built `fpr serve` and kills it with SIGKILL mid-write, a few cycles on
// each database (FPR_KILL_CYCLES sets how many: 2 by default, 20 for the
// long run): every review and registration acknowledged with 201 is
// present afterwards, with its rating, and every product's rating summary
// equals a recount of its reviews.
func TestDurability_Kill9(t *testing.T) {
	cycles := 2
	if v := os.Getenv("FPR_KILL_CYCLES"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("FPR_KILL_CYCLES=%q: want a positive number", v)
		}
		cycles = n
	}
	storetest.ForEachBackend(t, func(t *testing.T, backend string) {
		var dbURL string
		if backend == storetest.SQLite {
			dbURL = "sqlite:" + filepath.Join(t.TempDir(), "fpr.db")
		} else {
			dbURL = storetest.FreshPostgresURL(t)
		}
		a := &arrange{db: storetest.OpenURL(t, dbURL)}
		a.auth = auth.New(a.db)
		bin := fprBinary(t)
		const products, writers = 40, 8
		var productIDs []string
		for i := range products {
			productIDs = append(productIDs, a.product(t, fmt.Sprintf("Durable %d", i)))
		}

		var mu sync.Mutex
		reviews := map[string]int{} // acknowledged review id → rating
		var emails []string         // acknowledged registrations
		for cycle := range cycles {
			in, err := startServe(t, bin, "kill9", "FPR_ENV=development", "FPR_LOG_FORMAT=json", "FPR_DATABASE_URL="+dbURL)
			if err != nil {
				t.Fatal(err)
			}
			// Fresh authors each cycle, each reviewing every product once.
			tokens := a.users(t, fmt.Sprintf("kill%d-", cycle), writers)
			stop := make(chan struct{})
			var wg sync.WaitGroup
			client := &http.Client{Timeout: 30 * time.Second}
			for w, token := range tokens {
				wg.Go(func() {
					postUntilDown(client, in.url, token, func(i int) (string, any, bool) {
						if i >= products {
							return "", nil, false
						}
						rating := 1 + (i+w)%5
						return "/api/v1/products/" + productIDs[(i+w)%products] + "/reviews",
							map[string]any{"rating": rating, "title": "Durable", "body": "Acknowledged means kept."}, true
					}, stop, func(i int, out []byte) {
						var v struct {
							Review struct {
								ID     string `json:"id"`
								Rating int    `json:"rating"`
							} `json:"review"`
						}
						if err := json.Unmarshal(out, &v); err != nil || v.Review.ID == "" {
							t.Errorf("201 without a review: %s", out)
							return
						}
						mu.Lock()
						reviews[v.Review.ID] = v.Review.Rating
						mu.Unlock()
					})
				})
			}
			cycleReviews, cycleEmails := len(reviews), len(emails)
			for r := range 3 {
				wg.Go(func() {
					email := func(i int) string { return fmt.Sprintf("durable-%d-%d-%d@example.test", cycle, r, i) }
					postUntilDown(client, in.url, "", func(i int) (string, any, bool) {
						return "/api/v1/auth/register", map[string]string{
							"email":        email(i),
							"password":     fmt.Sprintf("Parsnip-%d-%d-%d-winter-Cellar", cycle, r, i),
							"display_name": fmt.Sprintf("Durable %d %d %d", cycle, r, i),
						}, true
					}, stop, func(i int, _ []byte) {
						mu.Lock()
						emails = append(emails, email(i))
						mu.Unlock()
					})
				})
			}
			// Let writes flow for a second and until both kinds have been
			// acknowledged in this cycle, then kill mid-write.
			started := time.Now()
			for {
				time.Sleep(100 * time.Millisecond)
				mu.Lock()
				both := len(reviews) > cycleReviews && len(emails) > cycleEmails
				mu.Unlock()
				if both && time.Since(started) >= time.Second || time.Since(started) > 30*time.Second {
					break
				}
			}
			if err := in.cmd.Process.Kill(); err != nil {
				t.Fatal(err)
			}
			<-in.exited
			close(stop)
			wg.Wait()
		}

		ctx := context.Background()
		mu.Lock()
		defer mu.Unlock()
		if len(reviews) == 0 || len(emails) == 0 {
			t.Fatalf("acknowledged %d reviews and %d registrations: the writers wrote nothing", len(reviews), len(emails))
		}
		lost := 0
		for id, rating := range reviews {
			r, err := a.db.FindReviewByID(ctx, id)
			if err != nil || r.Rating != rating {
				lost++
				t.Errorf("acknowledged review %s (rating %d): %v %v", id, rating, r, err)
			}
		}
		for _, email := range emails {
			if _, err := a.db.FindUserByEmail(ctx, email); err != nil {
				lost++
				t.Errorf("acknowledged registration %s: %v", email, err)
			}
		}
		var summed int
		for _, id := range productIDs {
			summed += storetest.CheckSummary(t, a.db, id).Count
		}
		if summed < len(reviews) {
			t.Errorf("summaries count %d reviews, fewer than the %d acknowledged", summed, len(reviews))
		}
		t.Logf("%s: %d kill -9 cycles, %d reviews and %d registrations acknowledged, %d lost", backend, cycles, len(reviews), len(emails), lost)
	})
}
