package http_test

import (
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fpr-team/fpr"
	"github.com/fpr-team/fpr/internal/fprtest"
	fprhttp "github.com/fpr-team/fpr/internal/http"
)

// seen is what a test route found in its request's context.
type seen struct {
	id, user    string
	client      fpr.Client
	hasDeadline bool
}

// TestMiddleware_RequestScope: what the middleware chain puts in a
// request's context reaches the handler (the request ID of X-Request-ID,
// the client's address and cleaned user agent, the user, the deadline),
// and the log line and the AfterRequest hook get the route, method,
// status, request ID and user, the user exactly once; a panic after the
// status was written keeps that status; every response carries the
// security headers.
func TestMiddleware_RequestScope(t *testing.T) {
	t.Parallel()
	var (
		mu     sync.Mutex
		got    = map[string]seen{} // by request ID
		served []fpr.ServedRequest
	)
	record := func(r *http.Request) {
		ctx := r.Context()
		_, ok := ctx.Deadline()
		mu.Lock()
		defer mu.Unlock()
		got[fpr.RequestIDFromContext(ctx)] = seen{id: fpr.RequestIDFromContext(ctx), user: fpr.UserIDFromContext(ctx),
			client: fpr.ClientFromContext(ctx), hasDeadline: ok}
	}
	env := fprtest.New(t, fprtest.WithLoopbackProxy(), fprtest.WithServer(func(s *fprhttp.Server) {
		s.AddTestRoute("GET /api/v1/test/scope", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			record(r)
			w.WriteHeader(http.StatusAccepted)
		}))
		s.AddTestRoute("GET /api/v1/test/scope-panic", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			record(r)
			w.WriteHeader(http.StatusAccepted)
			_, _ = io.WriteString(w, "partial")
			panic("after the status")
		}))
		next := s.AfterRequest
		s.AfterRequest = func(r *http.Request, sr fpr.ServedRequest) {
			mu.Lock()
			served = append(served, sr)
			mu.Unlock()
			if next != nil {
				next(r, sr)
			}
		}
	}))
	member := env.MustUser(t, fpr.RoleMember)

	// answer is a response whose body has been read and closed.
	type answer struct {
		path   string
		status int
		header http.Header
	}
	do := func(path, token, forwardedFor, agent string) *answer {
		t.Helper()
		req, err := http.NewRequest(http.MethodGet, env.URL+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		if forwardedFor != "" {
			req.Header.Set("X-Forwarded-For", forwardedFor)
		}
		req.Header.Set("User-Agent", agent)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
		return &answer{path: path, status: resp.StatusCode, header: resp.Header}
	}

	anon := do("/api/v1/test/scope", "", "", "agent\u200b/1 ")
	user := do("/api/v1/test/scope", member.Token, "203.0.113.9", "agent/2")
	missing := do("/bad%01path", "", "", "agent/3") // refused before the mux
	panicked := do("/api/v1/test/scope-panic", "", "", "agent/4")

	// Pages carry the document headers; the API's JSON a CSP that
	// allows nothing, and no header meant for documents.
	page := map[string]string{
		"X-Content-Type-Options":  "nosniff",
		"Referrer-Policy":         "strict-origin-when-cross-origin",
		"X-Frame-Options":         "DENY",
		"Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
	}
	api := map[string]string{
		"X-Content-Type-Options":  "nosniff",
		"Referrer-Policy":         "",
		"X-Frame-Options":         "",
		"Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
	}
	for resp, headers := range map[*answer]map[string]string{anon: api, user: api, missing: page, panicked: api} {
		for k, want := range headers {
			if v := resp.header.Values(k); want == "" && len(v) != 0 || want != "" && (len(v) != 1 || v[0] != want) {
				t.Errorf("%s: %s = %q, want %q", resp.path, k, v, want)
			}
		}
		if id := resp.header.Get("X-Request-ID"); len(id) != 24 {
			t.Errorf("%s: X-Request-ID = %q", resp.path, id)
		}
	}
	if anon.status != http.StatusAccepted || user.status != http.StatusAccepted || missing.status != http.StatusNotFound || panicked.status != http.StatusAccepted {
		t.Fatalf("statuses %d %d %d %d, want 202 202 404 202", anon.status, user.status, missing.status, panicked.status)
	}

	mu.Lock()
	for resp, want := range map[*answer]seen{
		anon:     {client: fpr.Client{Address: "127.0.0.1", UserAgent: "agent/1"}},
		user:     {client: fpr.Client{Address: "203.0.113.9", UserAgent: "agent/2"}, user: member.User.ID},
		panicked: {client: fpr.Client{Address: "127.0.0.1", UserAgent: "agent/4"}},
	} {
		want.id, want.hasDeadline = resp.header.Get("X-Request-ID"), true
		if g := got[want.id]; g != want {
			t.Errorf("%s: the handler saw %+v, want %+v", resp.path, g, want)
		}
	}
	mu.Unlock()

	// The request log lines, by request ID.
	lines := map[string]map[string]any{}
	raw := map[string]string{}
	all, text := logLines(t, env.Logs())
	for i, line := range all {
		if line["msg"] == "request" {
			id, _ := line["request_id"].(string)
			lines[id], raw[id] = line, text[i]
		}
	}
	for resp, want := range map[*answer]map[string]any{
		anon:     {"level": "INFO", "route": "GET /api/v1/test/scope", "method": "GET", "status": 202.0},
		user:     {"level": "INFO", "route": "GET /api/v1/test/scope", "method": "GET", "status": 202.0, "user_id": member.User.ID},
		missing:  {"level": "INFO", "route": "unmatched", "method": "GET", "status": 404.0},
		panicked: {"level": "INFO", "route": "GET /api/v1/test/scope-panic", "method": "GET", "status": 202.0},
	} {
		id := resp.header.Get("X-Request-ID")
		line := lines[id]
		if line == nil {
			t.Errorf("%s: no request log line with request_id %s in:\n%s", resp.path, id, env.Logs())
			continue
		}
		for k, v := range want {
			if line[k] != v {
				t.Errorf("%s: log %s = %v, want %v: %s", resp.path, k, line[k], v, raw[id])
			}
		}
		if _, ok := want["user_id"]; !ok && line["user_id"] != nil {
			t.Errorf("%s: log names a user: %s", resp.path, raw[id])
		}
		if n := strings.Count(raw[id], `"user_id"`); n > 1 {
			t.Errorf("%s: user_id %d times: %s", resp.path, n, raw[id])
		}
		if d, ok := line["duration_ms"].(float64); !ok || d < 0 {
			t.Errorf("%s: duration_ms = %v", resp.path, line["duration_ms"])
		}
	}
	if !strings.Contains(env.Logs(), `"err":"panic: after the status"`) {
		t.Errorf("the panic is not logged:\n%s", env.Logs())
	}

	// AfterRequest runs after the response is written: wait for the last.
	deadline := time.Now().Add(5 * time.Second)
	for {
		mu.Lock()
		n := len(served)
		mu.Unlock()
		if n >= 4 || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	want := map[fpr.ServedRequest]int{
		{Route: "GET /api/v1/test/scope", Status: 202}: 2, {Route: "unmatched", Status: 404}: 1,
		{Route: "GET /api/v1/test/scope-panic", Status: 202}: 1,
	}
	counted := map[fpr.ServedRequest]int{}
	for _, sr := range served {
		if sr.Duration <= 0 {
			t.Errorf("AfterRequest %+v: no duration", sr)
		}
		sr.Duration = 0
		counted[sr]++
	}
	for sr, n := range want {
		if counted[sr] < n { // MustUser's own requests may add to these
			t.Errorf("AfterRequest saw %+v %d times, want %d (all: %+v)", sr, counted[sr], n, served)
		}
	}
}
