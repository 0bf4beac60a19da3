package ops_test

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fpr-team/fpr"
	"github.com/fpr-team/fpr/internal/ops"
	"github.com/fpr-team/fpr/internal/storetest"
)

// TestRecorder_BuffersWhileTheDatabaseIsUnavailable: while another
// connection holds SQLite's write lock, the recorder cannot store error
// events; it keeps the newest BufferSize of them, drops the older ones
// (counted in fpr_error_events_dropped_total{reason="buffer_full"}), and
// stores the kept ones once the lock is released.
func TestRecorder_BuffersWhileTheDatabaseIsUnavailable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "fpr.db")
	db := storetest.OpenURL(t, "sqlite:"+path)
	ctx := context.Background()
	admin := &fpr.User{Email: "admin@example.test", DisplayName: "Admin", Role: fpr.RoleAdmin}
	if err := db.CreateUser(ctx, admin, "not-a-real-hash"); err != nil {
		t.Fatal(err)
	}
	metrics := ops.NewMetrics(fpr.BuildInfo{Release: "test"}, db.Stats)
	rec := &ops.Recorder{Ops: db, Metrics: metrics, Release: "test", Instance: "test",
		BufferSize: 2, RetryInterval: 100 * time.Millisecond}

	release := holdWriteLock(t, path)

	rec.Start()
	defer func() { _ = rec.Close(ctx) }()
	for i := range 5 {
		r := httptest.NewRequest(http.MethodGet, "/products", nil)
		r = r.WithContext(fpr.NewContextWithRequestID(r.Context(), fmt.Sprintf("buffered-request-%d", i)))
		rec.Capture(r, "GET /products", fmt.Errorf("outage %d", i), []byte("goroutine 1 [running]:\n"))
	}
	waitFor(t, "the two newest events buffered", func() bool { return rec.Buffered() == 2 })

	release()
	waitFor(t, "the buffer stored", func() bool { return rec.Buffered() == 0 })

	adminCtx := fpr.NewContextWithUser(ctx, admin)
	for i := range 5 {
		_, _, err := db.FindErrorByRequestID(adminCtx, fmt.Sprintf("buffered-request-%d", i))
		if kept := i >= 3; kept != (err == nil) {
			t.Errorf("event %d: stored %v (%v), want stored only for the two newest", i, err == nil, err)
		}
	}
	resp := httptest.NewRecorder()
	metrics.Handler().ServeHTTP(resp, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	body, _ := io.ReadAll(resp.Body)
	if !strings.Contains(string(body), `fpr_error_events_dropped_total{reason="buffer_full"} 3`) {
		t.Errorf("metrics lack 3 events dropped for a full buffer:\n%s", grepLines(string(body), "dropped"))
	}
}

// holdWriteLock takes the write lock of the SQLite file at path from
// another connection, as another process would (fpr migrate, a restore),
// and returns the function that releases it.
func holdWriteLock(t *testing.T, path string) (release func()) {
	t.Helper()
	ctx := context.Background()
	other, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(0)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = other.Close() })
	lock, err := other.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = lock.Close() })
	if _, err := lock.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	return func() {
		if _, err := lock.ExecContext(ctx, "ROLLBACK"); err != nil {
			t.Fatal(err)
		}
	}
}

// waitFor polls ok until it holds, failing after 30 s.
func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); !ok(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("not within 30 s: %s", what)
		}
	}
}
