package ops_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/fpr-team/fpr"
)

// TestMetrics fetches /metrics after some traffic, checks the series FPR
// promises (labelled by route pattern, never by raw path), and has promtool
// lint the exposition when it is installed.
func TestMetrics(t *testing.T) {
	t.Parallel()
	env := newMonitorEnv(t, "")
	env.Do(t, http.MethodGet, "/healthz", "", nil)
	env.Do(t, http.MethodGet, "/api/v1/no/such/thing-123", "", nil)
	if status, _ := env.register(t, 1); status != http.StatusCreated {
		t.Fatalf("register = %d, want 201", status)
	}
	env.auth.set("panic")
	if status, _ := env.register(t, 2); status != http.StatusInternalServerError {
		t.Fatalf("register with the fault on = %d, want 500", status)
	}

	resp, body := env.Do(t, http.MethodGet, "/metrics", "", nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics = %d, want 200", resp.StatusCode)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Errorf("Content-Type = %q, want text/plain (the Prometheus text format)", ct)
	}
	text := string(body)
	for _, want := range []string{
		`fpr_http_requests_total{method="GET",route="GET /healthz",status="200"} 1`,
		`fpr_http_requests_total{method="POST",route="POST /api/v1/auth/register",status="201"} 1`,
		`fpr_http_requests_total{method="POST",route="POST /api/v1/auth/register",status="500"} 1`,
		`fpr_http_request_duration_seconds_bucket{method="GET",route="GET /healthz",le="0.005"}`,
		`fpr_http_request_duration_seconds_count{method="POST",route="POST /api/v1/auth/register"} 2`,
		`fpr_registrations_total 1`,
		`fpr_reviews_submitted_total 0`,
		`fpr_errors_total{fingerprint="`,
		`fpr_build_info{commit="test",go="test",release="test"} 1`,
		`fpr_db_open_connections `,
		`fpr_db_in_use_connections `,
		`fpr_db_idle_connections `,
		`fpr_db_wait_count_total `,
		`fpr_db_wait_duration_seconds_total `,
		`go_goroutines `,
		`process_resident_memory_bytes `,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if strings.Contains(text, "thing-123") || strings.Contains(text, "/no/such") {
		t.Errorf("/metrics holds a raw path as a label value:\n%s", grepLines(text, "no/such"))
	}

	promtool, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("FPR_REQUIRE_PROMTOOL") == "1" {
			t.Fatal("FPR_REQUIRE_PROMTOOL=1 but promtool is not on PATH")
		}
		t.Skip("promtool not on PATH: skipping `promtool check metrics` (set FPR_REQUIRE_PROMTOOL=1 to fail instead)")
	}
	cmd := exec.Command(promtool, "check", "metrics") //nolint:gosec // promtool from PATH, fixed arguments
	cmd.Stdin = bytes.NewReader(body)
	out, err := cmd.CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Errorf("promtool check metrics: %v\n%s", err, out)
	}
}

func grepLines(text, sub string) string {
	var b strings.Builder
	for line := range strings.Lines(text) {
		if strings.Contains(line, sub) {
			b.WriteString(line)
		}
	}
	return b.String()
}

// TestMetrics_ProbeNotCounted: the registrations and reviews of `fpr probe`
// (issue 15) are requests like any other in fpr_http_requests_total, but
// not registrations or submitted reviews: a probe every minute must not
// add 1,440 of each a day to the business figures.
func TestMetrics_ProbeNotCounted(t *testing.T) {
	t.Parallel()
	env := newMonitorEnv(t, "")
	producer := env.MustUser(t, fpr.RoleProducer)
	farm := &fpr.Farm{Name: "Probe Metrics Farm", Region: "North"}
	if err := env.DB.CreateFarm(env.Ctx(producer.User), farm); err != nil {
		t.Fatalf("create farm: %v", err)
	}
	product := &fpr.Product{FarmID: farm.ID, Name: "Probe Metrics Honey", Category: "honey", Unit: "jar"}
	if err := env.DB.CreateProduct(env.Ctx(producer.User), product); err != nil {
		t.Fatalf("create product: %v", err)
	}
	const password = "Tomato-harvest-Orchard-9"
	review := func(token, body string) {
		t.Helper()
		resp, b := env.Do(t, http.MethodPost, "/api/v1/products/"+product.ID+"/reviews", token, map[string]any{"rating": 4, "body": body})
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("review = %d %s, want 201", resp.StatusCode, b)
		}
	}
	for i, email := range []string{"probe-1@" + fpr.ProbeEmailDomain, "ann-metrics@example.org"} {
		resp, b := env.Do(t, http.MethodPost, "/api/v1/auth/register", "", map[string]string{
			"email": email, "password": password, "display_name": fmt.Sprintf("Metrics %d", i)})
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("register %s = %d %s, want 201", email, resp.StatusCode, b)
		}
		resp, b = env.Do(t, http.MethodPost, "/api/v1/auth/login", "", map[string]string{"email": email, "password": password})
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("login %s = %d %s, want 200", email, resp.StatusCode, b)
		}
		var login struct {
			Token string `json:"token"`
		}
		if err := json.Unmarshal(b, &login); err != nil || login.Token == "" {
			t.Fatalf("login %s: no token in %s (%v)", email, b, err)
		}
		review(login.Token, "Good honey, says "+email)
	}

	_, body := env.Do(t, http.MethodGet, "/metrics", "", nil)
	text := string(body)
	for _, want := range []string{
		`fpr_http_requests_total{method="POST",route="POST /api/v1/auth/register",status="201"} 2`,
		`fpr_http_requests_total{method="POST",route="POST /api/v1/products/{id}/reviews",status="201"} 2`,
		// The producer registered through the AuthService, not over HTTP.
		"fpr_registrations_total 1\n",
		"fpr_reviews_submitted_total 1\n",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("/metrics lacks %q:\n%s", want, grepLines(text, "fpr_re"))
		}
	}
}
