package http_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"testing"

	"github.com/fpr-team/fpr/internal/fprtest"
	fprhttp "github.com/fpr-team/fpr/internal/http"
)

// rawRequest sends one request line and headers over a fresh connection
// and returns the status code the server answers.
func rawRequest(t *testing.T, addr, method, path string) int {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = conn.Close() }()
	if _, err := fmt.Fprintf(conn, "%s %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", method, path, addr); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// answer is what a test keeps of a response whose body it has read.
type answer struct {
	StatusCode int
	Header     http.Header
}

func metricsSize(t *testing.T, env *fprtest.Env) (int, string) {
	t.Helper()
	resp, err := http.Get(env.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return len(b), string(b)
}

// TestMetrics_HugeMethodsDoNotGrow reproduces issue 10: requests with
// distinct 100 KB methods grew /metrics from 10 KB to 15 MB, for good. Now
// a method over MaxHeaderBytes is refused by the server (431), and any
// other unknown method is counted as "other".
func TestMetrics_HugeMethodsDoNotGrow(t *testing.T) {
	t.Parallel()
	env := fprtest.New(t)
	addr := strings.TrimPrefix(env.URL, "http://")
	if got := rawRequest(t, addr, "GET", "/healthz"); got != http.StatusOK {
		t.Fatalf("GET /healthz = %d", got)
	}
	before, _ := metricsSize(t, env)
	if got := rawRequest(t, addr, strings.Repeat("M", 1<<20), "/healthz"); got != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("a 1 MB method = %d, want 431", got)
	}
	for i := range 10 {
		method := fmt.Sprintf("%s%d", strings.Repeat("X", 30<<10), i) // under the 64 KB cap
		rawRequest(t, addr, method, "/healthz")
		rawRequest(t, addr, method, "/api/v1/products")
	}
	after, text := metricsSize(t, env)
	if after > before+8<<10 {
		t.Errorf("/metrics grew from %d to %d bytes after 20 requests with distinct methods", before, after)
	}
	if strings.Contains(text, "XXXXXXXX") || !strings.Contains(text, `method="other"`) {
		t.Errorf("/metrics should count unknown methods as other and never name them")
	}
	if strings.Contains(env.Logs(), strings.Repeat("X", 100)) {
		t.Errorf("the log repeats a 30 KB method")
	}
}

// TestIdempotency_AnonymousKeysByAddress: an anonymous client's keys are
// its address's: another address with the same key and body is not given
// the first client's stored response, and each address may hold only so
// many keys (then 429).
func TestIdempotency_AnonymousKeysByAddress(t *testing.T) {
	t.Parallel()
	env := fprtest.New(t, fprtest.WithServer(func(s *fprhttp.Server) {
		s.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
	}))
	env.DB.MaxIdempotencyKeys = 3
	// register answers with the status, headers and body.
	register := func(from, key, email string) (*answer, []byte) {
		t.Helper()
		req, _ := http.NewRequest("POST", env.URL+"/api/v1/auth/register",
			strings.NewReader(fmt.Sprintf(`{"email":%q,"password":%q,"display_name":"Ann"}`, email, goodPassword)))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Idempotency-Key", key)
		req.Header.Set("X-Forwarded-For", from)
		resp, err := env.Client(t).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return &answer{StatusCode: resp.StatusCode, Header: resp.Header}, b
	}
	resp, body := register("198.51.100.1", "k-1", "idem1@example.org")
	wantAnswer(t, "first register", resp, body, http.StatusCreated)
	resp, _ = register("198.51.100.1", "k-1", "idem1@example.org")
	if resp.StatusCode != http.StatusCreated || resp.Header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("retry from the same address = %d replayed %q, want the stored 201", resp.StatusCode, resp.Header.Get("Idempotent-Replayed"))
	}
	resp, body = register("203.0.113.5", "k-1", "idem1@example.org")
	if resp.StatusCode != http.StatusConflict || resp.Header.Get("Idempotent-Replayed") != "" {
		t.Errorf("same key from another address = %d %s, want its own answer (409, not replayed)", resp.StatusCode, body)
	}
	for i := 2; i <= 3; i++ {
		resp, body = register("198.51.100.1", fmt.Sprintf("k-%d", i), fmt.Sprintf("idem%d@example.org", i))
		wantAnswer(t, "register with a new key", resp, body, http.StatusCreated)
	}
	resp, body = register("198.51.100.1", "k-4", "idem4@example.org")
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
		t.Errorf("a 4th key from one address = %d %s, want 429 with Retry-After", resp.StatusCode, body)
	}
	resp, body = register("198.51.100.1", "k-1", "idem1@example.org")
	if resp.StatusCode != http.StatusCreated {
		t.Errorf("a held key past the cap = %d %s, want its stored 201", resp.StatusCode, body)
	}
	resp, body = register("198.51.100.2", "k-4", "idem4@example.org")
	wantAnswer(t, "another address under its own cap", resp, body, http.StatusCreated)

	for _, key := range []string{"caf\xe9", "a b", strings.Repeat("k", 256)} {
		resp, body = register("198.51.100.3", key, "idem9@example.org")
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("Idempotency-Key %q = %d %s, want 400", key, resp.StatusCode, body)
		}
	}
}

func wantAnswer(t *testing.T, what string, a *answer, body []byte, want int) {
	t.Helper()
	if a.StatusCode != want {
		t.Fatalf("%s = %d %s, want %d", what, a.StatusCode, body, want)
	}
}
