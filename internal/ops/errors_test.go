package ops_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fpr-team/fpr"
	"github.com/fpr-team/fpr/internal/fprtest"
	"github.com/fpr-team/fpr/internal/storetest"
)

type groupJSON struct {
	Fingerprint  string   `json:"fingerprint"`
	Type         string   `json:"type"`
	Route        string   `json:"route"`
	Count        int      `json:"count"`
	FirstRelease string   `json:"first_release"`
	Status       string   `json:"status"`
	ResolvedAt   *string  `json:"resolved_at"`
	Regressed    bool     `json:"regressed"`
	Stack        string   `json:"stack"`
	SampleIDs    []string `json:"sample_request_ids"`
	Events       []struct {
		RequestID string `json:"request_id"`
		Stack     string `json:"stack"`
		Release   string `json:"release"`
	} `json:"events"`
}

func decode[T any](t *testing.T, body []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("decode %s: %v", body, err)
	}
	return v
}

// mustFindRequest polls the ops API until the error event of requestID is
// stored (recording is asynchronous) and returns its group, with the
// request's stack in Stack.
func mustFindRequest(t *testing.T, env *monitorEnv, token, requestID string) groupJSON {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, body := env.Do(t, http.MethodGet, "/api/v1/ops/requests/"+requestID, token, nil)
		if resp.StatusCode == http.StatusOK {
			v := decode[struct {
				Event struct {
					Stack string `json:"stack"`
				} `json:"event"`
				Group groupJSON `json:"group"`
			}](t, body)
			v.Group.Stack = v.Event.Stack // the request's own stack
			return v.Group
		}
		if resp.StatusCode != http.StatusNotFound || time.Now().After(deadline) {
			t.Fatalf("GET /api/v1/ops/requests/%s = %d %s", requestID, resp.StatusCode, body)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestErrorTracking follows one failure from the user's request ID to the
// stack, through resolution and regression, with the alerts each sends.
func TestErrorTracking(t *testing.T) {
	t.Parallel()
	hook := newReceiver(t)
	env := newMonitorEnv(t, hook.URL)
	admin := env.MustUser(t, fpr.RoleAdmin)
	member := env.MustUser(t, fpr.RoleMember)

	env.auth.set("typo")
	status, rid1 := env.register(t, 1)
	if status != http.StatusInternalServerError || rid1 == "" {
		t.Fatalf("register with the fault on = %d (request ID %q), want 500 with an ID", status, rid1)
	}
	g := mustFindRequest(t, env, admin.Token, rid1)
	if g.Route != "POST /api/v1/auth/register" || g.Type != "*ops_test.errFault" || g.FirstRelease != "test" || g.Status != "open" || g.Count != 1 {
		t.Errorf("group of the failed request = %+v, want route POST /api/v1/auth/register, type *ops_test.errFault, release test, open, count 1", g)
	}
	fp := g.Fingerprint

	alert := hook.wait(t, fpr.AlertNewError, 10*time.Second)
	want := struct{ Route, Fingerprint, Release, RequestID, Status string }{"POST /api/v1/auth/register", fp, "test", rid1, "firing"}
	got := struct{ Route, Fingerprint, Release, RequestID, Status string }{alert.Route, alert.Fingerprint, alert.Release, alert.RequestID, alert.Status}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("new_error alert (-want +got):\n%s", diff)
	}
	if !strings.Contains(alert.Text, fp) || !strings.Contains(alert.Text, rid1) || !strings.Contains(alert.Text, "POST /api/v1/auth/register") {
		t.Errorf("alert text %q does not name the fingerprint, request ID and route", alert.Text)
	}

	// A second failure joins the group and alerts nothing new.
	_, rid2 := env.register(t, 2)
	g = mustFindRequest(t, env, admin.Token, rid2)
	if g.Fingerprint != fp || g.Count != 2 {
		t.Errorf("second failure: group %s count %d, want %s count 2", g.Fingerprint, g.Count, fp)
	}

	resp, body := env.Do(t, http.MethodGet, "/api/v1/ops/errors/"+fp, admin.Token, nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET group = %d %s", resp.StatusCode, body)
	}
	detail := decode[struct {
		Group groupJSON `json:"group"`
	}](t, body).Group
	if !slices.Contains(detail.SampleIDs, rid1) || !slices.Contains(detail.SampleIDs, rid2) || len(detail.Events) != 2 {
		t.Errorf("group detail samples %v, %d events; want %s and %s, 2 events", detail.SampleIDs, len(detail.Events), rid1, rid2)
	}
	if !strings.Contains(detail.Stack, "goroutine") || !strings.Contains(detail.Events[0].Stack, "internal/http") {
		t.Errorf("group stack %q does not look like a goroutine stack", detail.Stack)
	}

	resp, body = env.Do(t, http.MethodGet, "/api/v1/ops/errors?status=open", admin.Token, nil)
	list := decode[struct {
		Items      []groupJSON `json:"items"`
		NextCursor *string     `json:"next_cursor"`
	}](t, body)
	if resp.StatusCode != http.StatusOK || len(list.Items) != 1 || list.Items[0].Fingerprint != fp || list.NextCursor != nil {
		t.Errorf("GET /api/v1/ops/errors?status=open = %d %s, want the one group", resp.StatusCode, body)
	}

	resp, body = env.Do(t, http.MethodGet, "/api/v1/ops/releases", admin.Token, nil)
	rels := decode[struct {
		Items []struct {
			Release   string `json:"release"`
			NewGroups int    `json:"new_groups"`
		} `json:"items"`
	}](t, body)
	if resp.StatusCode != http.StatusOK || len(rels.Items) != 1 || rels.Items[0].Release != "test" || rels.Items[0].NewGroups != 1 {
		t.Errorf("GET /api/v1/ops/releases = %d %s, want release test with 1 new group", resp.StatusCode, body)
	}

	// Resolving sends the resolved message; the fault is still on, so the
	// next failure is a regression.
	resp, body = env.Do(t, http.MethodPost, "/api/v1/ops/errors/"+fp+"/resolve", admin.Token, nil)
	if g := decode[struct {
		Group groupJSON `json:"group"`
	}](t, body).Group; resp.StatusCode != http.StatusOK || g.Status != "resolved" || g.ResolvedAt == nil {
		t.Fatalf("resolve = %d %s, want 200 and resolved", resp.StatusCode, body)
	}
	if a := hook.wait(t, fpr.AlertErrorResolved, 10*time.Second); a.Fingerprint != fp || a.Status != "resolved" {
		t.Errorf("error_resolved alert = %+v, want fingerprint %s, status resolved", a, fp)
	}
	_, rid3 := env.register(t, 3)
	if a := hook.wait(t, fpr.AlertRegression, 10*time.Second); a.Fingerprint != fp || a.RequestID != rid3 {
		t.Errorf("regression alert = %+v, want fingerprint %s, request %s", a, fp, rid3)
	}
	g = mustFindRequest(t, env, admin.Token, rid3)
	if g.Status != "open" || !g.Regressed || g.Count != 3 {
		t.Errorf("group after regression = %+v, want open, regressed, count 3", g)
	}
	if diff := cmp.Diff([]string{"new_error", "error_resolved", "regression"}, hook.kinds()); diff != "" {
		t.Errorf("alerts sent, in order (-want +got):\n%s", diff)
	}

	for _, tc := range []struct {
		name, method, path, token string
		want                      int
	}{
		{"ListAnonymous", http.MethodGet, "/api/v1/ops/errors", "", http.StatusUnauthorized},
		{"ListMember", http.MethodGet, "/api/v1/ops/errors", member.Token, http.StatusForbidden},
		{"ListBadStatus", http.MethodGet, "/api/v1/ops/errors?status=closed", admin.Token, http.StatusUnprocessableEntity},
		{"ListBadLimit", http.MethodGet, "/api/v1/ops/errors?limit=abc", admin.Token, http.StatusUnprocessableEntity},
		{"ListZeroLimit", http.MethodGet, "/api/v1/ops/errors?limit=0", admin.Token, http.StatusUnprocessableEntity},
		{"ListBadCursor", http.MethodGet, "/api/v1/ops/errors?cursor=xyz", admin.Token, http.StatusUnprocessableEntity},
		{"GroupMember", http.MethodGet, "/api/v1/ops/errors/" + fp, member.Token, http.StatusForbidden},
		{"GroupMissing", http.MethodGet, "/api/v1/ops/errors/0000000000000000", admin.Token, http.StatusNotFound},
		{"ResolveMember", http.MethodPost, "/api/v1/ops/errors/" + fp + "/resolve", member.Token, http.StatusForbidden},
		{"ResolveMissing", http.MethodPost, "/api/v1/ops/errors/0000000000000000/resolve", admin.Token, http.StatusNotFound},
		{"ReleasesMember", http.MethodGet, "/api/v1/ops/releases", member.Token, http.StatusForbidden},
		{"RequestMember", http.MethodGet, "/api/v1/ops/requests/" + rid1, member.Token, http.StatusForbidden},
		{"RequestUnknown", http.MethodGet, "/api/v1/ops/requests/no-such-request", admin.Token, http.StatusNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := env.Do(t, tc.method, tc.path, tc.token, nil)
			if resp.StatusCode != tc.want {
				t.Errorf("%s %s = %d %s, want %d", tc.method, tc.path, resp.StatusCode, body, tc.want)
			}
		})
	}
	// The member's refused resolve changed nothing.
	g = mustFindRequest(t, env, admin.Token, rid3)
	if g.Status != "open" {
		t.Errorf("after refused resolves the group is %s, want open", g.Status)
	}
}

// TestRecorder_Panic records a panic with the frames where it happened.
func TestRecorder_Panic(t *testing.T) {
	t.Parallel()
	env := newMonitorEnv(t, "")
	admin := env.MustUser(t, fpr.RoleAdmin)
	env.auth.set("panic")
	status, rid := env.register(t, 1)
	if status != http.StatusInternalServerError {
		t.Fatalf("register = %d, want 500", status)
	}
	g := mustFindRequest(t, env, admin.Token, rid)
	if g.Type != "panic" || !strings.Contains(g.Stack, "faultyAuth") {
		t.Errorf("panic group type %q, stack holds faultyAuth: %v; want panic, true", g.Type, strings.Contains(g.Stack, "faultyAuth"))
	}
}

// TestMonitor_Postgres runs the error path on PostgreSQL too.
func TestMonitor_Postgres(t *testing.T) {
	t.Parallel()
	env := newMonitorEnv(t, "", fprtest.WithBackend(storetest.Postgres))
	admin := env.MustUser(t, fpr.RoleAdmin)
	env.auth.set("typo")
	_, rid := env.register(t, 1)
	if g := mustFindRequest(t, env, admin.Token, rid); g.Route != "POST /api/v1/auth/register" {
		t.Errorf("group route = %q, want POST /api/v1/auth/register", g.Route)
	}
}
