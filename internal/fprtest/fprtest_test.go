package fprtest_test

import (
	"encoding/json"
	"net/http"
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
