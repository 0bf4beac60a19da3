package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fpr-team/fpr"
	"github.com/fpr-team/fpr/internal/auth"
	"github.com/fpr-team/fpr/internal/store"
	"github.com/fpr-team/fpr/internal/storetest"
)

// keyedPost sends body to url with an Idempotency-Key and returns the
// status, the Idempotent-Replayed header and the body; err is a transport
// error (the server died).
func keyedPost(url, token, key string, body any) (status int, replayed bool, out []byte, err error) {
	data, _ := json.Marshal(body)
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, url, bytes.NewReader(data))
	if err != nil {
		return 0, false, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", key)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := client.Do(req)
	if err != nil {
		return 0, false, nil, err
	}
	defer func() { _ = resp.Body.Close() }()
	out, err = io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Idempotent-Replayed") == "true", out, err
}

// TestIdempotency_CrashRetry kills a built `fpr serve` (SIGKILL, through
// the test-only FPR_TEST_CRASH_AT hook) between every pair of steps of a
// keyed review and a keyed registration: after the key's claim, after the
// write, after the stored response (all three in one transaction, not yet
// committed), and after the commit (before the answer is sent). A retry
// with the same key, on a restarted server, gets 201 and the first
// response where there was one (same id), and exactly one review or
// account exists.
func TestIdempotency_CrashRetry(t *testing.T) {
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
		for i, point := range store.FaultPoints {
			t.Run(point, func(t *testing.T) {
				product := a.product(t, "Crash "+point)
				token := a.users(t, "crash-"+point+"-", 1)[0]
				review := map[string]any{"rating": 4, "title": "Survives", "body": "Written while the server died: " + point}
				email := "crash-" + strings.ReplaceAll(point, "_", "-") + "@example.test"
				reg := map[string]string{"email": email, "password": "Turnip-" + point + "-meadow-Harvest", "display_name": "Crash " + point}
				reviewKey, regKey := "review-"+point, "register-"+point

				for _, req := range []struct {
					path, token, key string
					body             any
				}{
					{"/api/v1/products/" + product + "/reviews", token, reviewKey, review},
					{"/api/v1/auth/register", "", regKey, reg},
				} {
					in, err := startServe(t, bin, "crash", "FPR_ENV=development", "FPR_LOG_FORMAT=json",
						"FPR_DATABASE_URL="+dbURL, "FPR_TEST_CRASH_AT="+point)
					if err != nil {
						t.Fatal(err)
					}
					if st, _, body, err := keyedPost(in.url+req.path, req.token, req.key, req.body); err == nil {
						t.Fatalf("%s with FPR_TEST_CRASH_AT=%s answered %d %s; want the process killed", req.path, point, st, body)
					}
					<-in.exited
					// Routine log lines wait up to 100 ms to be written
					// (ops.LogBuffer); an error line is written at once, so
					// the one logged just before SIGKILL is in the log.
					if !strings.Contains(in.logs.String(), "FPR_TEST_CRASH_AT: killing this process") {
						t.Errorf("the error line logged before the kill is missing from the log:\n%s", in.logs.String())
					}
				}

				in, err := startServe(t, bin, "after-crash", "FPR_ENV=development", "FPR_LOG_FORMAT=json", "FPR_DATABASE_URL="+dbURL)
				if err != nil {
					t.Fatal(err)
				}
				committed := point == store.FaultAfterCommit
				var first struct {
					Review struct{ ID string } `json:"review"`
					User   struct{ ID string } `json:"user"`
				}
				for try := range 2 {
					st, replayed, body, err := keyedPost(in.url+"/api/v1/products/"+product+"/reviews", token, reviewKey, review)
					if err != nil || st != http.StatusCreated {
						t.Fatalf("review retry %d after a crash %s: %d %v %s", try, point, st, err, body)
					}
					if want := committed || try > 0; replayed != want {
						t.Errorf("review retry %d after a crash %s: replayed %v, want %v", try, point, replayed, want)
					}
					var got struct {
						Review struct{ ID string } `json:"review"`
					}
					_ = json.Unmarshal(body, &got)
					if try == 0 {
						first.Review.ID = got.Review.ID
					} else if got.Review.ID != first.Review.ID {
						t.Errorf("review retries gave ids %s and %s", first.Review.ID, got.Review.ID)
					}

					st, replayed, body, err = keyedPost(in.url+"/api/v1/auth/register", "", regKey, reg)
					if err != nil || st != http.StatusCreated {
						t.Fatalf("registration retry %d after a crash %s: %d %v %s", try, point, st, err, body)
					}
					if want := committed || try > 0; replayed != want {
						t.Errorf("registration retry %d after a crash %s: replayed %v, want %v", try, point, replayed, want)
					}
					var gotU struct {
						User struct{ ID string } `json:"user"`
					}
					_ = json.Unmarshal(body, &gotU)
					if try == 0 {
						first.User.ID = gotU.User.ID
					} else if gotU.User.ID != first.User.ID {
						t.Errorf("registration retries gave ids %s and %s", first.User.ID, gotU.User.ID)
					}
				}
				reviews, _, err := a.db.FindReviews(context.Background(), fpr.ReviewFilter{ProductID: &product})
				if err != nil || len(reviews) != 1 || reviews[0].ID != first.Review.ID {
					t.Errorf("after a crash %s and retries: reviews %v (%v), want exactly the one with id %s", point, reviews, err, first.Review.ID)
				}
				u, err := a.db.FindUserByEmail(context.Background(), email)
				if err != nil || u.ID != first.User.ID {
					t.Errorf("after a crash %s and retries: account %v (%v), want id %s", point, u, err, first.User.ID)
				}
				_ = i
			})
		}
	})
}
