package app_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fpr-team/fpr"
	"github.com/fpr-team/fpr/internal/app"
	"github.com/fpr-team/fpr/internal/auth"
	"github.com/fpr-team/fpr/internal/storetest"
)

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url) //nolint:noctx // a plain GET of the test server, no context needed
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(body)
}

// TestApp_StartServeClose: New opens and migrates the database, Start
// records the release and serves readiness, metrics and the pages; Close
// stops serving and closes the database it opened.
func TestApp_StartServeClose(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	a, err := app.New(ctx, testConfig("sqlite:"+filepath.Join(t.TempDir(), "fpr.db")))
	if err != nil {
		t.Fatal(err)
	}
	if a.Auth.Params != auth.TestParams {
		t.Errorf("password params = %+v, want the configured %+v", a.Auth.Params, auth.TestParams)
	}
	if err := a.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if err := a.Start(ctx); err == nil {
		t.Error("second Start = nil, want an error")
	}
	url := a.Server.URL()
	if st, body := get(t, url+"/readyz"); st != http.StatusOK {
		t.Errorf("GET /readyz = %d %s, want 200", st, body)
	}
	if st, body := get(t, url+"/"); st != http.StatusOK {
		t.Errorf("GET / = %d, want 200\n%s", st, body)
	}
	// A session read twice: once from the tables, once from the cache.
	u := &fpr.User{Email: "ann@example.org", DisplayName: "Ann"}
	if err := a.DB.CreateUser(ctx, u, "hash"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.DB.CreateSession(ctx, "token-hash", u.ID, fpr.SessionAPI, time.Hour); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, _, err := a.DB.FindSession(ctx, "token-hash"); err != nil {
			t.Fatal(err)
		}
	}
	// The request above is counted once the monitor has seen it.
	st, body := get(t, url+"/metrics")
	if st != http.StatusOK || !strings.Contains(body, "fpr_http_requests_total") {
		t.Errorf("GET /metrics = %d, want 200 with the request counter\n%s", st, body)
	}
	// SQLite's one writer: Start recorded the release, so it has
	// committed at least one write and worked for some time; its session
	// cache read one session and served it once.
	for _, name := range []string{"fpr_sqlite_write_batches_total", "fpr_sqlite_writes_committed_total", "fpr_sqlite_writer_busy_seconds_total", "fpr_sqlite_commit_seconds_total",
		"fpr_sqlite_session_cache_hits_total", "fpr_sqlite_session_cache_misses_total", "fpr_sqlite_session_cache_entries"} {
		if v, ok := metricValue(body, name); !ok || v <= 0 {
			t.Errorf("%s = %v (found %v), want above 0 after Start's write and the session's two reads", name, v, ok)
		}
	}
	rels, _, err := a.DB.FindReleases(fpr.NewContextWithUser(ctx, &fpr.User{ID: "admin", Role: fpr.RoleAdmin}), fpr.Page{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rels) != 1 || rels[0].Release != "r1" || rels[0].Commit != "c1" || rels[0].Starts != 1 {
		t.Errorf("releases = %+v, want r1 (c1) started once", rels)
	}

	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := a.Close(cctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if resp, err := http.Get(url + "/healthz"); err == nil { //nolint:noctx // a plain GET of the test server, no context needed
		resp.Body.Close()
		t.Error("GET /healthz after Close answered, want a refused connection")
	}
	if err := a.DB.Ping(ctx); err == nil {
		t.Error("database answers after Close, want it closed (New opened it)")
	}
}

// TestApp_StartFailsOnBusyAddress: a bind error comes back from Start;
// Close then stops the workers Start began and leaves alone a database
// the caller opened.
func TestApp_StartFailsOnBusyAddress(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	db := storetest.OpenDB(t, storetest.SQLite)
	a, err := app.New(ctx, app.Config{DB: db, Addr: ln.Addr().String(), Env: "development", BaseURL: "http://127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Start(ctx); err == nil || !strings.Contains(err.Error(), "listen") {
		t.Fatalf("Start on a busy address = %v, want a listen error", err)
	}
	if err := a.Close(ctx); err != nil {
		t.Errorf("Close after a failed Start: %v", err)
	}
	if err := db.Ping(ctx); err != nil {
		t.Errorf("the caller's database was closed: %v", err)
	}
}

// TestApp_NewRefusesABadDatabase: an unknown URL or an unreachable
// database is an error from New, with nothing left running.
func TestApp_NewRefusesABadDatabase(t *testing.T) {
	t.Parallel()
	if _, err := app.New(context.Background(), app.Config{DatabaseURL: "mysql://nowhere"}); err == nil {
		t.Error("New(mysql://) = nil error, want one")
	}
}

// TestApp_PostgresHasNoSQLiteSeries: on PostgreSQL, which has no single
// writer and no session cache, /metrics carries none of the fpr_sqlite_*
// series (a series stuck at 0 would read as an idle writer).
func TestApp_PostgresHasNoSQLiteSeries(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	a, err := app.New(ctx, testConfig(storetest.FreshPostgresSchemaURL(t)))
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		if err := a.Close(cctx); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	st, body := get(t, a.Server.URL()+"/metrics")
	if st != http.StatusOK || !strings.Contains(body, "fpr_build_info") {
		t.Fatalf("GET /metrics = %d, want 200 with FPR's series\n%s", st, body)
	}
	if strings.Contains(body, "fpr_sqlite_") {
		t.Errorf("/metrics on PostgreSQL has fpr_sqlite_* series")
	}
}

// testConfig is the configuration of an app on dbURL that serves on a
// free loopback port as release r1.
func testConfig(dbURL string) app.Config {
	return app.Config{
		DatabaseURL: dbURL, Addr: "127.0.0.1:0",
		Env: "development", BaseURL: "http://127.0.0.1", Build: fpr.BuildInfo{Release: "r1", Commit: "c1"},
		Instance: "i1", PasswordParams: auth.TestParams,
	}
}

// metricValue finds the sample of the unlabelled series name in a
// Prometheus text exposition.
func metricValue(body, name string) (float64, bool) {
	for line := range strings.Lines(body) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), name+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			return f, err == nil
		}
	}
	return 0, false
}
