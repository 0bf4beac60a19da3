package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fpr-team/fpr"
	"github.com/fpr-team/fpr/internal/apitest"
	"github.com/fpr-team/fpr/internal/app"
	"github.com/fpr-team/fpr/internal/auth"
	"github.com/fpr-team/fpr/internal/ops"
)

// The drill replays the outage of 2024-05-10 (shared/postmortem): a typo in
// the user lookup of registration and review submission made both fail
// with a bare "Internal Server Error" for 90 minutes, and finding the
// release took 75. Here the same fault is switched on in a server wired as
// `fpr serve` wires it, and the test checks what must now happen: users get
// an apology with a request ID, that ID leads to the stack (logs) and the
// error group and release (ops API), the webhook hears of it within 60
// seconds, `fpr probe` fails; switched off, the resolved messages follow.

// typo is the fault switch. It exists only in this test file, so no
// production binary can reach it.
type typo struct{ on atomic.Bool }

// keyError is what the typo raises: the user was looked up under a
// misspelt key.
type keyError struct{ key string }

func (e *keyError) Error() string { return "KeyError: " + e.key }

// lookupUser is the broken lookup: with the typo on, the user is not found
// under "usr", and callers get an error (err) or a nil user (panics).
func (ty *typo) lookupUser(ctx context.Context) (*fpr.User, error) {
	if !ty.on.Load() {
		return fpr.UserFromContext(ctx), nil
	}
	fields := map[string]*fpr.User{"user": fpr.UserFromContext(ctx)}
	u, ok := fields["usr"]
	if !ok {
		return nil, &keyError{"'user'"}
	}
	return u, nil
}

// typoAuth breaks registration: it returns the lookup's error.
type typoAuth struct {
	fpr.AuthService
	ty *typo
}

func (a typoAuth) Register(ctx context.Context, r fpr.Registration) (*fpr.User, error) {
	if _, err := a.ty.lookupUser(ctx); err != nil {
		return nil, fmt.Errorf("serialize user: %w", err)
	}
	return a.AuthService.Register(ctx, r)
}

// typoReviews breaks review submission: it uses the looked-up user without
// checking, and panics on nil, as Go code with this typo would.
type typoReviews struct {
	fpr.ReviewService
	ty *typo
}

func (rs typoReviews) CreateReview(ctx context.Context, r *fpr.Review) error {
	if rs.ty.on.Load() {
		u, _ := rs.ty.lookupUser(ctx)
		r.Author = fpr.Author{ID: u.ID} // nil user: panics
	}
	return rs.ReviewService.CreateReview(ctx, r)
}

// reply is a response whose body has been read and closed.
type reply struct {
	StatusCode int
	Header     http.Header
}

// hook is the real webhook receiver, stamping each alert's arrival.
type hook struct {
	*httptest.Server
	mu     sync.Mutex
	alerts []arrival
}

type arrival struct {
	at time.Time
	p  ops.Payload
}

func newHook(t *testing.T) *hook {
	h := &hook{}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var p ops.Payload
		if err := json.NewDecoder(r.Body).Decode(&p); err != nil {
			t.Errorf("webhook: %v", err)
		}
		h.mu.Lock()
		h.alerts = append(h.alerts, arrival{time.Now(), p})
		h.mu.Unlock()
	}))
	t.Cleanup(h.Close)
	return h
}

// wait returns the first alert matching ok, or fails after d.
func (h *hook) wait(t *testing.T, d time.Duration, what string, ok func(ops.Payload) bool) arrival {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		h.mu.Lock()
		for _, a := range h.alerts {
			if ok(a.p) {
				h.mu.Unlock()
				return a
			}
		}
		h.mu.Unlock()
		if time.Now().After(deadline) {
			t.Fatalf("no %s alert within %s", what, d)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

func TestDrill_Postmortem20240510(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	h := newHook(t)
	logs := newLockedBuffer() // browser_harness_test.go
	cfg := Config{
		Env: "staging", Addr: "127.0.0.1:0", DatabaseURL: "sqlite:" + filepath.Join(t.TempDir(), "fpr.db"),
		BaseURL: "http://127.0.0.1", Release: "2024-05-10.typo", AlertWebhookURL: h.URL, LogFormat: "json",
		Moderation: fpr.ModerationPost,
		// The drill's crowd of registrations all comes from loopback:
		// one address, so the per-address limit is raised as an operator
		// would for a load test (FPR_RATE_LIMITS=register=100/h).
		rateLimits: "register=100/h",
		// Fast alert evaluation so the drill runs in seconds; the
		// production defaults (10 s, 2 s, 1 min) are inside 60 s too.
		AlertEvalInterval: time.Second, AlertFlushInterval: 200 * time.Millisecond, AlertWindow: 6 * time.Second,
	}
	if err := cfg.finish(); err != nil {
		t.Fatal(err)
	}
	acfg := cfg.appConfig(cfg.newLogger(logs))
	acfg.PasswordParams = auth.TestParams
	a, err := app.New(ctx, acfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		_ = a.Close(sctx)
	})
	db, srv := a.DB, a.Server
	ty := &typo{}
	srv.Auth = typoAuth{srv.Auth, ty}
	srv.Reviews = typoReviews{srv.Reviews, ty}
	if err := a.Start(ctx); err != nil {
		t.Fatal(err)
	}
	base := srv.URL()
	client := apitest.NewClient(t)
	call := func(method, path, token string, body any) (*reply, []byte) {
		t.Helper()
		var rd io.Reader
		if body != nil {
			b, _ := json.Marshal(body)
			rd = bytes.NewReader(b)
		}
		req, err := http.NewRequestWithContext(ctx, method, base+path, rd)
		if err != nil {
			t.Fatal(err)
		}
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		data, _ := io.ReadAll(resp.Body)
		return &reply{resp.StatusCode, resp.Header}, data
	}
	register := func(email string) (*reply, []byte) {
		return call(http.MethodPost, "/api/v1/auth/register", "", map[string]string{
			"email": email, "password": "Orchard-ladder-42-bramble", "display_name": "Drill"})
	}
	login := func(email string) string {
		t.Helper()
		resp, body := call(http.MethodPost, "/api/v1/auth/login", "", map[string]string{"email": email, "password": "Orchard-ladder-42-bramble"})
		var v struct {
			Token string `json:"token"`
		}
		if err := json.Unmarshal(body, &v); err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("log in %s: %d %s", email, resp.StatusCode, body)
		}
		return v.Token
	}

	// Before the release: a catalogue, an admin, a member; the probe passes.
	for _, email := range []string{"admin@example.org", "member@example.org", "farmer@example.org"} {
		if resp, body := register(email); resp.StatusCode != http.StatusCreated {
			t.Fatalf("register %s: %d %s", email, resp.StatusCode, body)
		}
	}
	mustRole := func(email string, role fpr.Role) *fpr.User {
		u, err := db.FindUserByEmail(ctx, email)
		if err == nil {
			u, err = db.SetUserRoleUnchecked(ctx, u.ID, role)
		}
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	mustRole("admin@example.org", fpr.RoleAdmin)
	farmer := mustRole("farmer@example.org", fpr.RoleProducer)
	farm := &fpr.Farm{Name: "Maple Hollow", Region: "Vermont"}
	if err := db.CreateFarm(fpr.NewContextWithUser(ctx, farmer), farm); err != nil {
		t.Fatal(err)
	}
	product := &fpr.Product{FarmID: farm.ID, Name: "Maple Syrup", Category: "preserves", Unit: "bottle"}
	if err := db.CreateProduct(fpr.NewContextWithUser(ctx, farmer), product); err != nil {
		t.Fatal(err)
	}
	adminToken, memberToken := login("admin@example.org"), login("member@example.org")
	probeEnv := map[string]string{"FPR_ALERT_WEBHOOK_URL": h.URL, "FPR_ENV": "staging"}
	runProbe := func() (string, error) {
		var out, errOut bytes.Buffer
		err := run(ctx, []string{"probe", "--url", base}, func(k string) string { return probeEnv[k] }, strings.NewReader(""), &out, &errOut)
		return out.String() + errOut.String(), err
	}
	if out, err := runProbe(); err != nil {
		t.Fatalf("fpr probe before the fault: %v\n%s", err, out)
	}

	// 14:30: the release with the typo.
	ty.on.Store(true)
	start := time.Now()

	// A user registering through the API gets the envelope with a request ID.
	resp, body := register("newcomer@example.org")
	var envl struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
		RequestID string `json:"request_id"`
	}
	if err := json.Unmarshal(body, &envl); err != nil || resp.StatusCode != http.StatusInternalServerError ||
		envl.Error.Code != "internal" || envl.RequestID == "" || strings.Contains(envl.Error.Message, "KeyError") {
		t.Fatalf("API registration during the fault = %d %s, want 500 envelope, code internal, a request ID, no internals", resp.StatusCode, body)
	}
	regID := envl.RequestID

	// A person registering on the web site gets the apology page with it.
	form := url.Values{"email": {"web@example.org"}, "password": {"Orchard-ladder-42-bramble"}, "display_name": {"Web"}}
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+"/register", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	wresp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(wresp.Body)
	wresp.Body.Close()
	webID := wresp.Header.Get("X-Request-ID")
	if wresp.StatusCode != http.StatusInternalServerError || webID == "" || !strings.Contains(string(page), webID) ||
		!strings.Contains(string(page), "Sorry") || !strings.HasPrefix(wresp.Header.Get("Content-Type"), "text/html") {
		t.Errorf("web registration during the fault = %d, request ID %q, page:\n%s\nwant a 500 HTML apology giving the request ID", wresp.StatusCode, webID, page)
	}

	// Review submission panics; the member gets the envelope too.
	resp, body = call(http.MethodPost, "/api/v1/products/"+product.ID+"/reviews", memberToken, map[string]any{"rating": 5, "body": "Lovely."})
	if resp.StatusCode != http.StatusInternalServerError || !strings.Contains(string(body), `"request_id"`) {
		t.Errorf("review submission during the fault = %d %s, want a 500 envelope", resp.StatusCode, body)
	}
	reviewID := resp.Header.Get("X-Request-ID")

	// More people try: the route's 5xx ratio passes 5% with 5 errors.
	for i := range 5 {
		register(fmt.Sprintf("retry%d@example.org", i))
	}

	// The webhook hears of the new error within 60 seconds, naming route,
	// fingerprint, release and a sample request ID.
	first := h.wait(t, 60*time.Second, "new_error on registration", func(p ops.Payload) bool {
		return p.Kind == "new_error" && p.Route == "POST /api/v1/auth/register"
	})
	if first.p.Fingerprint == "" || first.p.Release != cfg.Release || first.p.RequestID != regID {
		t.Errorf("first alert = %+v, want a fingerprint, release %s, request ID %s", first.p, cfg.Release, regID)
	}
	ratio := h.wait(t, 60*time.Second, "5xx ratio on registration", func(p ops.Payload) bool {
		return p.Kind == "ratio" && p.Route == "POST /api/v1/auth/register"
	})
	if ratio.p.Fingerprint == "" || ratio.p.Release != cfg.Release || ratio.p.RequestID == "" {
		t.Errorf("ratio alert = %+v, want a fingerprint, release and request ID", ratio.p)
	}
	panicAlert := h.wait(t, 60*time.Second, "new_error on review submission", func(p ops.Payload) bool {
		return p.Kind == "new_error" && p.Route == "POST /api/v1/products/{id}/reviews"
	})
	t.Logf("MEASURED: first failure → first alert (new error, registration): %s", first.at.Sub(start).Round(time.Millisecond))
	t.Logf("MEASURED: first failure → new error alert (review submission, panic): %s", panicAlert.at.Sub(start).Round(time.Millisecond))
	t.Logf("MEASURED: first failure → 5xx ratio alert (registration): %s", ratio.at.Sub(start).Round(time.Millisecond))
	if d := first.at.Sub(start); d > 60*time.Second {
		t.Errorf("first alert after %s, want within 60 s", d)
	}

	// The request ID leads to the stack in the logs…
	for _, id := range []string{regID, webID, reviewID} {
		if line := logLine(t, logs.String(), id, "internal error"); !strings.Contains(line["stack"], "goroutine") || line["release"] != cfg.Release {
			t.Errorf("log line of request %s = %v, want its stack and release %s", id, line, cfg.Release)
		}
	}
	if line := logLine(t, logs.String(), reviewID, "internal error"); !strings.Contains(line["stack"], "typoReviews") {
		t.Errorf("the panic's stack does not name the faulty code:\n%s", line["stack"])
	}
	// … and to the error group and release through the ops API.
	resp, body = call(http.MethodGet, "/api/v1/ops/requests/"+regID, adminToken, nil)
	var found struct {
		Event struct {
			Stack   string `json:"stack"`
			Release string `json:"release"`
		} `json:"event"`
		Group struct {
			Fingerprint  string `json:"fingerprint"`
			FirstRelease string `json:"first_release"`
			Route        string `json:"route"`
		} `json:"group"`
	}
	if err := json.Unmarshal(body, &found); err != nil || resp.StatusCode != http.StatusOK || found.Group.Fingerprint != first.p.Fingerprint ||
		found.Group.FirstRelease != cfg.Release || !strings.Contains(found.Event.Stack, "goroutine") {
		t.Errorf("ops lookup of %s = %d %s, want group %s first seen in %s, with the stack", regID, resp.StatusCode, body, first.p.Fingerprint, cfg.Release)
	}

	// The probe fails, exits 1 and alerts.
	if out, err := runProbe(); err == nil {
		t.Errorf("fpr probe during the fault succeeded, want exit 1:\n%s", out)
	} else if !strings.Contains(out, "register") {
		t.Errorf("fpr probe during the fault: %v\n%s\nwant the failing step named", err, out)
	}
	h.wait(t, 30*time.Second, "probe", func(p ops.Payload) bool { return p.Kind == "probe" && p.Route == "POST /api/v1/auth/register" })

	// 15:50: revert. Registrations work; the ratio falls back and the
	// resolved message follows; an admin resolves the group.
	ty.on.Store(false)
	reverted := time.Now()
	for i := range 3 {
		if resp, body := register(fmt.Sprintf("after%d@example.org", i)); resp.StatusCode != http.StatusCreated {
			t.Fatalf("registration after the revert = %d %s", resp.StatusCode, body)
		}
	}
	resolved := h.wait(t, 60*time.Second, "ratio_resolved on registration", func(p ops.Payload) bool {
		return p.Kind == "ratio_resolved" && p.Route == "POST /api/v1/auth/register"
	})
	t.Logf("MEASURED: revert → resolved message: %s (the window is %s in this test)", resolved.at.Sub(reverted).Round(time.Millisecond), cfg.AlertWindow)
	if resp, body := call(http.MethodPost, "/api/v1/ops/errors/"+first.p.Fingerprint+"/resolve", adminToken, nil); resp.StatusCode != http.StatusOK {
		t.Errorf("resolve = %d %s", resp.StatusCode, body)
	}
	h.wait(t, 30*time.Second, "error_resolved", func(p ops.Payload) bool {
		return p.Kind == "error_resolved" && p.Fingerprint == first.p.Fingerprint
	})
	if out, err := runProbe(); err != nil {
		t.Errorf("fpr probe after the revert: %v\n%s", err, out)
	}

	// One alert per event: no kind/key came twice.
	h.mu.Lock()
	seen := map[string]int{}
	for _, a := range h.alerts {
		if a.p.Kind != "probe" && a.p.Kind != "probe_resolved" {
			seen[a.p.Key]++
		}
	}
	h.mu.Unlock()
	for k, n := range seen {
		if n > 1 {
			t.Errorf("alert %s sent %d times, want once", k, n)
		}
	}
}

// logLine returns the JSON log line of request id with message msg.
func logLine(t *testing.T, logs, id, msg string) map[string]string {
	t.Helper()
	sc := bufio.NewScanner(strings.NewReader(logs))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var m map[string]any
		if json.Unmarshal(sc.Bytes(), &m) != nil || m["request_id"] != id || m["msg"] != msg {
			continue
		}
		out := map[string]string{}
		for k, v := range m {
			out[k] = fmt.Sprint(v)
		}
		return out
	}
	t.Errorf("no %q log line with request_id %s", msg, id)
	return nil
}
