package fprtest_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/fpr-team/fpr"
	"github.com/fpr-team/fpr/internal/fprtest"
)

func TestEnv_MustUser(t *testing.T) {
	t.Parallel()
	env := fprtest.New(t)
	for _, role := range fpr.Roles {
		u := env.MustUser(t, role)
		resp, body := env.Do(t, http.MethodGet, "/api/v1/me", u.Token, nil)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET /me as %s = %d %s, want 200", role, resp.StatusCode, body)
		}
		var out struct {
			User struct {
				ID   string   `json:"id"`
				Role fpr.Role `json:"role"`
			} `json:"user"`
		}
		if err := json.Unmarshal(body, &out); err != nil {
			t.Fatal(err)
		}
		if out.User.ID != u.User.ID || out.User.Role != role {
			t.Errorf("GET /me = %+v, want id %s role %s", out.User, u.User.ID, role)
		}
	}
}

// TestEnv_WiredAsServe: the test server has what `fpr serve` has, since
// both come from app.New: the readiness check, metrics, and the operations
// API with this start's release recorded.
func TestEnv_WiredAsServe(t *testing.T) {
	t.Parallel()
	env := fprtest.New(t)
	if resp, body := env.Do(t, http.MethodGet, "/readyz", "", nil); resp.StatusCode != http.StatusOK {
		t.Errorf("GET /readyz = %d %s, want 200", resp.StatusCode, body)
	}
	if resp, body := env.Do(t, http.MethodGet, "/metrics", "", nil); resp.StatusCode != http.StatusOK ||
		!strings.Contains(string(body), "fpr_http_requests_total") {
		t.Errorf("GET /metrics = %d, want 200 with the request counter\n%s", resp.StatusCode, body)
	}
	admin := env.MustUser(t, fpr.RoleAdmin)
	resp, body := env.Do(t, http.MethodGet, "/api/v1/ops/releases", admin.Token, nil)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"release":"test"`) {
		t.Errorf("GET /api/v1/ops/releases = %d %s, want 200 listing release test", resp.StatusCode, body)
	}
}
