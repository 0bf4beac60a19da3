package http_test

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/fpr-team/fpr/internal/fprtest"
	fprhttp "github.com/fpr-team/fpr/internal/http"
)

// TestRecover_APIPanic: a panicking API handler answers 500 with the
// internal envelope, reveals nothing, and logs the stack under the
// request's ID.
func TestRecover_APIPanic(t *testing.T) {
	t.Parallel()
	env := fprtest.New(t, fprtest.WithServer(func(s *fprhttp.Server) {
		s.AddTestRoute("GET /api/v1/test/panic", http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
			panic("secret detail: the ledger is at /srv/ledger")
		}))
	}))
	// A plain client: the route is not in the contract, so the envelope is
	// checked here.
	resp, err := http.Get(env.URL + "/api/v1/test/panic")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusInternalServerError {
		t.Fatalf("status = %d %s, want 500", resp.StatusCode, body)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type = %q, want JSON", ct)
	}
	e := mustEnvelope(t, body)
	id := resp.Header.Get("X-Request-ID")
	if e.Error.Code != "internal" || e.RequestID == "" || e.RequestID != id {
		t.Errorf("envelope = %+v with X-Request-ID %q; want code internal and request_id equal to the header", e, id)
	}
	if strings.Contains(string(body), "secret") || strings.Contains(string(body), "ledger") {
		t.Errorf("500 body reveals the panic: %s", body)
	}

	// The log has an error line with the request ID, the panic and a stack.
	var found bool
	sc := bufio.NewScanner(strings.NewReader(env.Logs()))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var line map[string]any
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatalf("log line %q: %v", sc.Text(), err)
		}
		if line["msg"] != "internal error" || line["request_id"] != id {
			continue
		}
		found = true
		if line["level"] != "ERROR" || !strings.Contains(line["err"].(string), "secret detail") {
			t.Errorf("error log line = %v, want level ERROR and the panic value", line)
		}
		if stack, _ := line["stack"].(string); !strings.Contains(stack, "recover_test.go") {
			t.Errorf("logged stack does not reach the panicking handler:\n%s", stack)
		}
	}
	if !found {
		t.Errorf("no \"internal error\" log line with request_id %s in:\n%s", id, env.Logs())
	}
}

// TestRequestID_EveryResponse: pages, API answers and errors all carry an
// X-Request-ID; a well-formed incoming one is kept.
func TestRequestID_EveryResponse(t *testing.T) {
	t.Parallel()
	env := fprtest.New(t)
	client := env.Client(t)
	for _, path := range []string{"/healthz", "/version", "/api/v1/openapi.json", "/api/v1/me", "/api/v1/nowhere", "/no-such-page"} {
		resp, err := client.Get(env.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.Header.Get("X-Request-ID") == "" {
			t.Errorf("GET %s (%d) has no X-Request-ID", path, resp.StatusCode)
		}
	}
	req, _ := http.NewRequest("GET", env.URL+"/api/v1/me", nil)
	req.Header.Set("X-Request-ID", "proxy-given-id-123")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := resp.Header.Get("X-Request-ID"); got != "proxy-given-id-123" {
		t.Errorf("X-Request-ID = %q, want the incoming proxy-given-id-123", got)
	}
}
