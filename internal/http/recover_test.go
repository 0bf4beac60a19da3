package http_test

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"net/netip"
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
	lines, _ := logLines(t, env.Logs())
	for _, line := range lines {
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
// X-Request-ID; an incoming one is kept only from a trusted proxy.
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
	if got := resp.Header.Get("X-Request-ID"); got == "proxy-given-id-123" || got == "" {
		t.Errorf("X-Request-ID from an untrusted client = %q, want a fresh one", got)
	}
}

// TestRequestID_FromTrustedProxyOnly: behind a trusted proxy (loopback
// here) a well-formed incoming X-Request-ID is kept, so logs join across
// hops.
func TestRequestID_FromTrustedProxyOnly(t *testing.T) {
	t.Parallel()
	env := fprtest.New(t, fprtest.WithServer(func(s *fprhttp.Server) {
		s.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}
	}))
	req, _ := http.NewRequest("GET", env.URL+"/healthz", nil)
	req.Header.Set("X-Request-ID", "proxy-given-id-123")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := resp.Header.Get("X-Request-ID"); got != "proxy-given-id-123" {
		t.Errorf("X-Request-ID via a trusted proxy = %q, want the incoming proxy-given-id-123", got)
	}
}

// TestRequestID_TwoFailuresNeverShareOne reproduces issue 10: a client
// sent the same X-Request-ID with two different failing requests and both
// 500s carried it, so one hid the other on the operations pages.
func TestRequestID_TwoFailuresNeverShareOne(t *testing.T) {
	t.Parallel()
	env := fprtest.New(t, fprtest.WithServer(func(s *fprhttp.Server) {
		s.AddTestRoute("GET /api/v1/test/panic-a", http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("a") }))
		s.AddTestRoute("GET /api/v1/test/panic-b", http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("b") }))
	}))
	ids := map[string]string{}
	for _, path := range []string{"/api/v1/test/panic-a", "/api/v1/test/panic-b"} {
		req, _ := http.NewRequest("GET", env.URL+path, nil)
		req.Header.Set("X-Request-ID", "chosen-by-the-client-1")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var body struct {
			RequestID string `json:"request_id"`
		}
		_ = json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		id := resp.Header.Get("X-Request-ID")
		if resp.StatusCode != http.StatusInternalServerError || id == "" || body.RequestID != id {
			t.Fatalf("GET %s = %d, X-Request-ID %q, request_id %q; want 500 with matching IDs", path, resp.StatusCode, id, body.RequestID)
		}
		if other, ok := ids[id]; ok {
			t.Errorf("GET %s and GET %s share the request ID %q", other, path, id)
		}
		ids[id] = path
	}
}

// logLines parses logs, one JSON object a line, and returns each line
// parsed and as written.
func logLines(t *testing.T, logs string) (lines []map[string]any, raw []string) {
	t.Helper()
	sc := bufio.NewScanner(strings.NewReader(logs))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var line map[string]any
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatalf("log line %q: %v", sc.Text(), err)
		}
		lines, raw = append(lines, line), append(raw, sc.Text())
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return lines, raw
}
