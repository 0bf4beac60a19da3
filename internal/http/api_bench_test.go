package http_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/fpr-team/fpr"
	"github.com/fpr-team/fpr/internal/fprtest"
)

// The API's hot paths over loopback HTTP, SQLite behind, the whole request
// (middleware, store, JSON) included: product detail, a page of 20
// reviews, and review submission from parallel clients (group commit).
// `go test -run '^$' -bench API -cpuprofile cpu.out ./internal/http` then
// `go tool pprof -top cpu.out` shows where a request's time goes.

// benchCatalogue makes n products of one farm, the first with 30 reviews.
func benchCatalogue(b *testing.B, env *fprtest.Env, n int) []string {
	b.Helper()
	producer := env.MustUser(b, fpr.RoleProducer)
	farm := &fpr.Farm{Name: "Bench Farm", Region: "Kent"}
	if err := env.DB.CreateFarm(env.Ctx(producer.User), farm); err != nil {
		b.Fatal(err)
	}
	ids := make([]string, n)
	for i := range ids {
		p := &fpr.Product{FarmID: farm.ID, Name: fmt.Sprintf("Bench cheese %d", i), Category: "dairy", Unit: "per kg",
			Description: strings.Repeat("Crumbly and sharp. ", 10)}
		if err := env.DB.CreateProduct(env.Ctx(producer.User), p); err != nil {
			b.Fatal(err)
		}
		ids[i] = p.ID
	}
	for i := range 30 {
		u := &fpr.User{Email: fmt.Sprintf("reviewer%d@example.test", i), DisplayName: fmt.Sprintf("Reviewer %d", i)}
		if err := env.DB.CreateUser(context.Background(), u, "x"); err != nil {
			b.Fatal(err)
		}
		if err := env.DB.CreateReview(env.Ctx(u), &fpr.Review{ProductID: ids[0], Rating: i%5 + 1, Title: "Title", Body: strings.Repeat("Good cheese. ", 20)}); err != nil {
			b.Fatal(err)
		}
	}
	return ids
}

func benchGet(b *testing.B, client *http.Client, url string) {
	resp, err := client.Get(url)
	if err != nil {
		b.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b.Fatalf("GET %s: status %d", url, resp.StatusCode)
	}
}

func BenchmarkAPIProductShow(b *testing.B) {
	env := fprtest.New(b)
	ids := benchCatalogue(b, env, 1)
	client := &http.Client{}
	b.ReportAllocs()
	for b.Loop() {
		benchGet(b, client, env.URL+"/api/v1/products/"+ids[0])
	}
}

func BenchmarkAPIProductReviews(b *testing.B) {
	env := fprtest.New(b)
	ids := benchCatalogue(b, env, 1)
	client := &http.Client{}
	b.ReportAllocs()
	for b.Loop() {
		benchGet(b, client, env.URL+"/api/v1/products/"+ids[0]+"/reviews?limit=20")
	}
}

// BenchmarkHandlerProductShow is BenchmarkAPIProductShow without the
// loopback connection and the client: the request goes straight into the
// server's root handler (every middleware, the mux, the kept answer), so
// what the middleware chain costs is most of what it measures. Each
// request gets a fresh cancellable context, as net/http gives one, so the
// deadline's context registers with its parent as in production; that and
// the recorder are the harness's own allocations.
func BenchmarkHandlerProductShow(b *testing.B) {
	env := fprtest.New(b)
	ids := benchCatalogue(b, env, 1)
	h := env.Server.Handler()
	req := httptest.NewRequest(http.MethodGet, "/api/v1/products/"+ids[0], nil)
	req.RemoteAddr = "192.0.2.1:1234"
	b.ReportAllocs()
	for b.Loop() {
		ctx, cancel := context.WithCancel(context.Background())
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req.WithContext(ctx))
		cancel()
		if rec.Code != http.StatusOK {
			b.Fatalf("GET product: status %d", rec.Code)
		}
	}
}

// BenchmarkAPIReviewCreate submits reviews from 32 parallel clients, each a
// member reviewing products in turn; a pair already used answers 409 (and
// still does the whole write path up to the unique index). Rate limits are
// off: the default 30 reviews an hour per address would make it measure
// 429 answers.
func BenchmarkAPIReviewCreate(b *testing.B) {
	env := fprtest.New(b, fprtest.WithRateLimits(fpr.RateLimits{}))
	ids := benchCatalogue(b, env, 400)
	const clients = 32
	tokens := make([]string, clients)
	for i := range tokens {
		tokens[i] = env.MustUser(b, fpr.RoleMember).Token
	}
	transport := &http.Transport{MaxIdleConnsPerHost: clients}
	b.Cleanup(transport.CloseIdleConnections)
	client := &http.Client{Transport: transport}
	var next atomic.Int64
	body := []byte(`{"rating":4,"title":"Bench review","body":"Crisp and fresh, would buy again."}`)
	b.SetParallelism((clients + 1) / 2) // GOMAXPROCS × this many goroutines
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			n := next.Add(1)
			token := tokens[n%clients]
			req, err := http.NewRequest(http.MethodPost, env.URL+"/api/v1/products/"+ids[(n/clients)%int64(len(ids))]+"/reviews", bytes.NewReader(body))
			if err != nil {
				b.Error(err)
				return
			}
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+token)
			resp, err := client.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
			if resp.StatusCode != http.StatusCreated && resp.StatusCode != http.StatusConflict {
				b.Errorf("POST review: status %d", resp.StatusCode)
				return
			}
		}
	})
}
