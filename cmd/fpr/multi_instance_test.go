package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fpr-team/fpr"
	"github.com/fpr-team/fpr/internal/apitest"
	"github.com/fpr-team/fpr/internal/auth"
	"github.com/fpr-team/fpr/internal/store"
	"github.com/fpr-team/fpr/internal/storetest"
)

// These tests run three `fpr serve` processes, built from this package, on
// one fresh PostgreSQL database and talk to them over real HTTP, as a load
// balancer would spread clients over them. They need FPR_TEST_POSTGRES_URL
// (skipped without it, failed under FPR_REQUIRE_POSTGRES=1).

// instance is one running `fpr serve` process.
type instance struct {
	name string
	url  string
	cmd  *exec.Cmd
	logs *lockedBuffer
	// exited is closed when the process has ended; waitErr is then how.
	exited  chan struct{}
	waitErr error
}

// cluster is several instances on one database.
type cluster struct {
	dbURL     string
	instances []*instance
	client    *http.Client
}

var (
	buildOnce sync.Once
	buildPath string
	buildErr  error
)

// fprBinary builds the fpr command once per test process.
func fprBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "fpr-bin-")
		if err != nil {
			buildErr = err
			return
		}
		buildPath = filepath.Join(dir, "fpr")
		out, err := exec.Command("go", "build", "-o", buildPath, ".").CombinedOutput() //nolint:gosec // G204: builds this package into the test's own temporary folder
		if err != nil {
			buildErr = fmt.Errorf("go build: %w\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return buildPath
}

// TestMain removes the binary built by fprBinary.
func TestMain(m *testing.M) {
	code := m.Run()
	if buildPath != "" {
		_ = os.RemoveAll(filepath.Dir(buildPath))
	}
	os.Exit(code)
}

// startCluster starts n instances on a fresh PostgreSQL database, at the
// same moment (they migrate concurrently), and waits until each is ready.
func startCluster(t *testing.T, n int) *cluster {
	t.Helper()
	dbURL := storetest.FreshPostgresURL(t)
	bin := fprBinary(t)
	base := http.DefaultTransport.(*http.Transport).Clone()
	base.MaxIdleConnsPerHost = 64
	t.Cleanup(base.CloseIdleConnections)
	c := &cluster{dbURL: dbURL, client: &http.Client{Transport: apitest.Transport(t, base), Timeout: time.Minute}}

	var wg sync.WaitGroup
	starts := make([]*instance, n)
	errs := make([]error, n)
	// Small pools: three instances and the test itself share the server's
	// max_connections with the other test packages running meanwhile.
	sep := "?"
	if strings.Contains(dbURL, "?") {
		sep = "&"
	}
	poolURL := dbURL + sep + "pool_max_conns=8"
	for i := range n {
		wg.Go(func() { starts[i], errs[i] = startInstance(t, bin, poolURL, "ABCDEFGHIJ"[i:i+1]) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("instance %s: %v", "ABCDEFGHIJ"[i:i+1], err)
		}
	}
	c.instances = starts
	for _, in := range c.instances {
		c.waitReady(t, in)
	}
	return c
}

// startInstance starts `fpr serve` on dbURL, a free loopback port, and
// returns once it prints its URL. The process is stopped when the test
// ends.
//
// Its clients all come from 127.0.0.1, so the per-address review and vote
// limits are raised (the default 30 reviews an hour per address would
// refuse the 200 reviewers); per-account limits stay.
func startInstance(t *testing.T, bin, dbURL, name string) (*instance, error) {
	return startServe(t, bin, name, "FPR_ENV=development", "FPR_LOG_FORMAT=json",
		"FPR_DATABASE_URL="+dbURL, "FPR_RELEASE=multi-instance-test",
		// Hundreds of users from one loopback address: the per-address
		// write limits would refuse them; this test is about concurrency.
		"FPR_RATE_LIMITS=off")
}

// startServe starts `fpr serve --addr 127.0.0.1:0` with the FPR_ variables
// env (and none of the test's own; FPR_RATE_LIMITS=off unless env sets it) and returns once it prints its URL. The
// process is interrupted when the test ends, and killed if it hangs.
func startServe(t *testing.T, bin, name string, env ...string) (*instance, error) {
	cmd := exec.Command(bin, "serve", "--addr", "127.0.0.1:0")
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "FPR_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	// These process tests send their load from one address, far past the
	// per-address rate limits (tested on their own); a test that wants
	// them sets FPR_RATE_LIMITS itself.
	cmd.Env = append(cmd.Env, "FPR_RATE_LIMITS=off")
	cmd.Env = append(cmd.Env, env...)
	logs := newLockedBuffer()
	cmd.Stderr = logs
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	in := &instance{name: name, cmd: cmd, logs: logs, exited: make(chan struct{})}
	t.Cleanup(func() {
		// Interrupt asks for a graceful shutdown; Kill if it hangs.
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case <-in.exited:
		case <-time.After(40 * time.Second):
			_ = cmd.Process.Kill()
			<-in.exited
		}
		if t.Failed() {
			t.Logf("instance %s logs:\n%s", name, logs.String())
		}
	})
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if u, ok := strings.CutPrefix(sc.Text(), "FPR is serving at "); ok {
				urls <- strings.TrimSpace(u)
			}
		}
		_, _ = io.Copy(io.Discard, stdout)
		in.waitErr = cmd.Wait()
		close(in.exited)
	}()
	select {
	case in.url = <-urls:
		return in, nil
	case <-in.exited:
		return nil, fmt.Errorf("exited before serving: %v\n%s", cmd.ProcessState, logs.String())
	case <-time.After(time.Minute):
		return nil, fmt.Errorf("did not print its URL within a minute\n%s", logs.String())
	}
}

// waitReady polls /readyz until it answers 200.
func (c *cluster) waitReady(t *testing.T, in *instance) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		resp, err := c.client.Get(in.url + "/readyz")
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("instance %s not ready within a minute (last: %v)", in.name, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// do sends a JSON request to instance in and returns the status and body.
// It reports transport errors with t.Error, so it may run in goroutines.
func (c *cluster) do(t *testing.T, in *instance, method, path, token string, body any) (int, []byte) {
	t.Helper()
	var r io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			t.Error(err)
			return 0, nil
		}
		r = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(context.Background(), method, in.url+path, r)
	if err != nil {
		t.Error(err)
		return 0, nil
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.client.Do(req)
	if err != nil {
		t.Errorf("%s %s on %s: %v", method, path, in.name, err)
		return 0, nil
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Errorf("%s %s on %s: read body: %v", method, path, in.name, err)
	}
	return resp.StatusCode, data
}

func TestMultiInstance_Postgres(t *testing.T) {
	t.Parallel()
	c := startCluster(t, 3)

	t.Run("MigratedExactlyOnce", func(t *testing.T) {
		// Each migration is logged by the instance that applied it; the
		// others found it applied after waiting for the advisory lock.
		applied := 0
		for _, in := range c.instances {
			applied += strings.Count(in.logs.String(), `"msg":"applied migration"`)
		}
		files, err := filepath.Glob("../../internal/store/migrations/postgres/*.sql")
		if err != nil || len(files) == 0 {
			t.Fatalf("migration files: %v %v", files, err)
		}
		if applied != len(files) {
			t.Errorf("three instances applied %d migrations in all, want %d (each exactly once)", applied, len(files))
		}
	})

	t.Run("Reviews", func(t *testing.T) { testMultiInstanceReviews(t, c) })

	t.Run("TokenWorksEverywhereLogoutRevokesEverywhere", func(t *testing.T) {
		a, b := c.instances[0], c.instances[1]
		creds := map[string]string{"email": "ann@example.org", "password": "Orchard-ladder-42-bramble"}
		if st, body := c.do(t, a, "POST", "/api/v1/auth/register", "",
			map[string]string{"email": creds["email"], "password": creds["password"], "display_name": "Ann"}); st != http.StatusCreated {
			t.Fatalf("register on A = %d %s, want 201", st, body)
		}
		st, body := c.do(t, a, "POST", "/api/v1/auth/login", "", creds)
		if st != http.StatusOK {
			t.Fatalf("login on A = %d %s, want 200", st, body)
		}
		var login struct {
			Token string `json:"token"`
		}
		if err := json.Unmarshal(body, &login); err != nil || login.Token == "" {
			t.Fatalf("login body %s: %v", body, err)
		}
		for _, in := range c.instances {
			if st, body := c.do(t, in, "GET", "/api/v1/me", login.Token, nil); st != http.StatusOK {
				t.Errorf("GET /me with A's token on %s = %d %s, want 200", in.name, st, body)
			}
		}
		if st, body := c.do(t, b, "POST", "/api/v1/auth/logout", login.Token, nil); st != http.StatusNoContent {
			t.Fatalf("logout on B = %d %s, want 204", st, body)
		}
		for _, in := range c.instances {
			if st, body := c.do(t, in, "GET", "/api/v1/me", login.Token, nil); st != http.StatusUnauthorized {
				t.Errorf("GET /me after logout on B, on %s = %d %s, want 401", in.name, st, body)
			}
		}
	})
}

// arrange opens the cluster's database from the test, to set up what the
// cases need (a product, many signed-in users) faster than the API would:
// the API's argon2 hashing would dominate the test.
type arrange struct {
	db   *store.DB
	auth *auth.Service
}

func (c *cluster) arrange(t *testing.T) *arrange {
	t.Helper()
	db := storetest.OpenURL(t, c.dbURL)
	return &arrange{db: db, auth: auth.New(db)}
}

// users creates n members and returns their API tokens.
func (a *arrange) users(t *testing.T, prefix string, n int) []string {
	t.Helper()
	ctx := context.Background()
	tokens := make([]string, n)
	for i := range n {
		u := &fpr.User{Email: fmt.Sprintf("%s%d@example.test", prefix, i), DisplayName: fmt.Sprintf("%s %d", prefix, i), EmailVerified: true}
		if err := a.db.CreateUser(ctx, u, "not-a-real-hash"); err != nil {
			t.Fatal(err)
		}
		sess, err := a.auth.OpenSession(ctx, u.ID, fpr.SessionAPI)
		if err != nil {
			t.Fatal(err)
		}
		tokens[i] = sess.Token
	}
	return tokens
}

// product creates a producer's farm with one product.
func (a *arrange) product(t *testing.T, name string) string {
	t.Helper()
	ctx := context.Background()
	p := &fpr.User{Email: "producer-" + strings.ToLower(name) + "@example.test", DisplayName: "Producer", Role: fpr.RoleProducer, EmailVerified: true}
	if err := a.db.CreateUser(ctx, p, "not-a-real-hash"); err != nil {
		t.Fatal(err)
	}
	farm := &fpr.Farm{Name: name + " Farm", Region: "Test"}
	if err := a.db.CreateFarm(fpr.NewContextWithUser(ctx, p), farm); err != nil {
		t.Fatal(err)
	}
	prod := &fpr.Product{FarmID: farm.ID, Name: name, Category: "fruit", Unit: "per kg"}
	if err := a.db.CreateProduct(fpr.NewContextWithUser(ctx, p), prod); err != nil {
		t.Fatalf("create product: %v %v", err, fpr.ErrorFields(err))
	}
	return prod.ID
}

// concurrently runs fn(i) for i in [0, n) at once, each on instance i%3.
func (c *cluster) concurrently(n int, fn func(i int, in *instance)) {
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			fn(i, c.instances[i%len(c.instances)])
		})
	}
	close(start)
	wg.Wait()
}

type apiRating struct {
	Average   *float64       `json:"average"`
	Count     int            `json:"count"`
	Histogram map[string]int `json:"histogram"`
}

func testMultiInstanceReviews(t *testing.T, c *cluster) {
	a := c.arrange(t)

	t.Run("OneUserSixtySubmissionsOneCreated", func(t *testing.T) {
		product := a.product(t, "Quince")
		token := a.users(t, "eager", 1)[0]
		statuses := make([]int, 60)
		c.concurrently(len(statuses), func(i int, in *instance) {
			statuses[i], _ = c.do(t, in, "POST", "/api/v1/products/"+product+"/reviews", token,
				map[string]any{"rating": 1 + i%5, "title": "Mine", "body": fmt.Sprintf("Attempt %d.", i)})
		})
		count := map[int]int{}
		for _, st := range statuses {
			count[st]++
		}
		if count[http.StatusCreated] != 1 || count[http.StatusConflict] != len(statuses)-1 {
			t.Errorf("60 concurrent submissions of one user's review over 3 instances gave %v, want one 201 and 59 409", count)
		}
		for _, in := range c.instances {
			if r := c.rating(t, in, product); r.Count != 1 {
				t.Errorf("rating count on %s = %d, want 1", in.name, r.Count)
			}
		}
	})

	t.Run("TwoHundredUsersSummaryEqualsRecount", func(t *testing.T) {
		product := a.product(t, "Medlar")
		tokens := a.users(t, "crowd", 200)
		statuses := make([]int, len(tokens))
		c.concurrently(len(tokens), func(i int, in *instance) {
			statuses[i], _ = c.do(t, in, "POST", "/api/v1/products/"+product+"/reviews", tokens[i],
				map[string]any{"rating": 1 + (i*7)%5, "body": "Tried it."})
		})
		want := apiRating{Histogram: map[string]int{"1": 0, "2": 0, "3": 0, "4": 0, "5": 0}}
		sum := 0
		for i, st := range statuses {
			if st != http.StatusCreated {
				t.Errorf("review %d: status %d, want 201", i, st)
				continue
			}
			stars := 1 + (i*7)%5
			want.Count++
			sum += stars
			want.Histogram[fmt.Sprint(stars)]++
		}
		avg := math.Round(float64(sum)/float64(want.Count)*100) / 100
		want.Average = &avg
		// The summary every instance serves equals both what was sent and a
		// recount of the published reviews in the database.
		for _, in := range c.instances {
			if got := c.rating(t, in, product); !reflect.DeepEqual(got, want) {
				t.Errorf("rating on %s = %+v (average %v), want %+v (average %v)", in.name, got, deref(got.Average), want, avg)
			}
		}
		p, err := a.db.FindProductByID(context.Background(), product)
		if err != nil {
			t.Fatal(err)
		}
		recount := fpr.Rating{}
		f := fpr.ReviewFilter{ProductID: &product, Page: fpr.Page{Limit: fpr.MaxLimit}}
		for {
			rs, next, err := a.db.FindReviews(context.Background(), f)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range rs {
				recount.Count++
				recount.Sum += r.Rating
				recount.Histogram[r.Rating-1]++
			}
			if next == "" {
				break
			}
			f.Cursor = next
		}
		if p.Rating != recount {
			t.Errorf("stored summary %+v, recount %+v", p.Rating, recount)
		}
	})

	t.Run("ConcurrentHelpfulVotesCountedExactly", func(t *testing.T) {
		product := a.product(t, "Sloe")
		author := a.users(t, "author", 1)[0]
		st, body := c.do(t, c.instances[0], "POST", "/api/v1/products/"+product+"/reviews", author,
			map[string]any{"rating": 4, "body": "Tart, good in gin."})
		if st != http.StatusCreated {
			t.Fatalf("create review = %d %s", st, body)
		}
		var created struct {
			Review struct {
				ID string `json:"id"`
			} `json:"review"`
		}
		if err := json.Unmarshal(body, &created); err != nil {
			t.Fatal(err)
		}
		voters := a.users(t, "voter", 120)
		// Every voter votes twice, on two instances, at once; the first 20
		// then withdraw their vote.
		statuses := make([]int, 2*len(voters))
		c.concurrently(len(statuses), func(i int, in *instance) {
			statuses[i], _ = c.do(t, in, "PUT", "/api/v1/reviews/"+created.Review.ID+"/helpful", voters[i/2], nil)
		})
		c.concurrently(20, func(i int, in *instance) {
			if st, body := c.do(t, in, "DELETE", "/api/v1/reviews/"+created.Review.ID+"/helpful", voters[i], nil); st != http.StatusNoContent {
				t.Errorf("withdraw vote %d = %d %s", i, st, body)
			}
		})
		for i, st := range statuses {
			if st != http.StatusNoContent {
				t.Errorf("vote %d = %d, want 204", i, st)
			}
		}
		for _, in := range c.instances {
			st, body := c.do(t, in, "GET", "/api/v1/reviews/"+created.Review.ID, "", nil)
			var got struct {
				Review struct {
					HelpfulCount int `json:"helpful_count"`
				} `json:"review"`
			}
			if err := json.Unmarshal(body, &got); st != http.StatusOK || err != nil {
				t.Fatalf("GET review on %s = %d %s", in.name, st, body)
			}
			if got.Review.HelpfulCount != len(voters)-20 {
				t.Errorf("helpful_count on %s = %d, want %d", in.name, got.Review.HelpfulCount, len(voters)-20)
			}
		}
	})
}

// rating reads a product's rating summary through instance in.
func (c *cluster) rating(t *testing.T, in *instance, productID string) apiRating {
	t.Helper()
	st, body := c.do(t, in, "GET", "/api/v1/products/"+productID, "", nil)
	var out struct {
		Product struct {
			Rating apiRating `json:"rating"`
		} `json:"product"`
	}
	if err := json.Unmarshal(body, &out); st != http.StatusOK || err != nil {
		t.Fatalf("GET product on %s = %d %s (%v)", in.name, st, body, err)
	}
	return out.Product.Rating
}

func deref(f *float64) any {
	if f == nil {
		return nil
	}
	return *f
}
