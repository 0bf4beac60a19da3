// Package fprtest runs a whole FPR application for tests: a fresh migrated
// database, the application wired by app.New as `fpr serve` wires it
// (operations monitor, readiness check and workers included), served over
// loopback, and helpers to make users and call the API.
//
//	env := fprtest.New(t)
//	admin := env.MustUser(t, fpr.RoleAdmin)
//	resp, body := env.Do(t, "GET", "/api/v1/me", admin.Token, nil)
//
// Every /api/v1 response that goes through Env.Client or Env.Do is checked
// against web/openapi.json (package apitest).
package fprtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fpr-team/fpr"
	"github.com/fpr-team/fpr/internal/apitest"
	"github.com/fpr-team/fpr/internal/app"
	"github.com/fpr-team/fpr/internal/auth"
	fprhttp "github.com/fpr-team/fpr/internal/http"
	"github.com/fpr-team/fpr/internal/mailtest"
	"github.com/fpr-team/fpr/internal/ops"
	"github.com/fpr-team/fpr/internal/store"
	"github.com/fpr-team/fpr/internal/storetest"
)

// Env is one running application over its own database.
type Env struct {
	// App is the application, built by app.New as `fpr serve` builds it.
	App *app.App
	// DB is the server's database; its services are the ones the server
	// uses, so a test can arrange data directly (with Env.Ctx as actor).
	DB *store.DB
	// Auth is the server's AuthService, with cheap argon2 parameters.
	Auth *auth.Service
	// Server is the HTTP server, already serving at URL.
	Server *fprhttp.Server
	// URL is the server's loopback base URL, without a final slash.
	URL string

	// base carries Do's requests; each call wraps it in a validating
	// transport bound to that call's test.
	base *http.Transport
	logs *syncBuffer
}

type options struct {
	backend string
	db      *store.DB
	config  []func(*app.Config)
	server  []func(*fprhttp.Server)
}

// An Option changes how New builds an Env.
type Option func(*options)

// WithModeration sets the moderation mode (default post).
func WithModeration(m fpr.ModerationMode) Option {
	return WithConfig(func(c *app.Config) { c.Moderation = m })
}

// WithClock makes the database and the server read time from now (see
// Clock), so a test can expire sessions or age data.
func WithClock(now func() time.Time) Option {
	return WithConfig(func(c *app.Config) { c.Now = func() time.Time { return now().UTC() } })
}

// WithRateLimits replaces the rate limits (default fpr.DefaultRateLimits,
// as in production); an empty fpr.RateLimits{} turns them off, for tests
// that arrange more writes by one user than the limits allow.
func WithRateLimits(ls fpr.RateLimits) Option {
	return WithConfig(func(c *app.Config) { c.RateLimits = ls })
}

// WithLoopbackProxy makes the server trust loopback as a proxy, so
// DoFrom's X-Forwarded-For names the client: tests of per-address limits
// use it to send from several addresses.
func WithLoopbackProxy() Option {
	return WithConfig(func(c *app.Config) {
		c.TrustedProxies = append(c.TrustedProxies, netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128"))
	})
}

// WithBackend picks the database: storetest.SQLite (the default) or
// storetest.Postgres. The FPR_TEST_BACKEND variable sets the default for
// every Env.
func WithBackend(b string) Option {
	return func(o *options) { o.backend = b }
}

// WithDB serves db (opened and migrated by the test, e.g. through a
// storetest.Proxy) instead of a fresh database of the backend.
func WithDB(db *store.DB) Option {
	return func(o *options) { o.db = db }
}

// WithConfig calls fn on the application's configuration before app.New:
// to set the alert webhook, intervals or instance name.
func WithConfig(fn func(*app.Config)) Option {
	return func(o *options) { o.config = append(o.config, fn) }
}

// WithMail sends the application's mail to the test SMTP server srv.
func WithMail(srv *mailtest.Server) Option {
	return WithConfig(func(c *app.Config) {
		c.SMTPURL, c.MailTLS = srv.URL, srv.ClientTLS
	})
}

// WithServer calls fn on the server after wiring and before it builds its
// handler: to change a field or, in internal/http's own tests, add a route.
func WithServer(fn func(*fprhttp.Server)) Option {
	return func(o *options) { o.server = append(o.server, fn) }
}

// New starts the application, as `fpr serve` does (app.New, then Start),
// over a fresh, migrated database, and stops it when the test ends. It
// differs from production only in its configuration: cheap argon2
// parameters, a JSON log kept in memory (Env.Logs), a loopback address.
func New(t testing.TB, opts ...Option) *Env {
	t.Helper()
	o := options{backend: storetest.DefaultBackend()}
	for _, opt := range opts {
		opt(&o)
	}
	logs := &syncBuffer{}
	log := slog.New(ops.ContextHandler{Handler: slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})})

	if o.db == nil {
		o.db = storetest.OpenDB(t, o.backend)
	}
	cfg := app.Config{
		DB:             o.db,
		Addr:           "127.0.0.1:0",
		Env:            "development",
		Build:          fpr.BuildInfo{Release: "test", Commit: "test", Go: "test"},
		Instance:       "test",
		Moderation:     fpr.ModerationPost,
		PasswordParams: auth.TestParams,
		Log:            log,
		// Mail goes to the log unless a test gives an SMTP server
		// (WithMail); the worker looks often, so mail arrives at once.
		MailPollInterval: 20 * time.Millisecond,
	}
	for _, fn := range o.config {
		fn(&cfg)
	}
	ctx := context.Background()
	a, err := app.New(ctx, cfg)
	if err != nil {
		t.Fatalf("fprtest: %v", err)
	}
	for _, fn := range o.server {
		fn(a.Server)
	}
	// Cleanups run last-registered first: this one runs after the test's
	// own (registered later) and before the database's (registered
	// earlier) closes it.
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := a.Close(ctx); err != nil {
			t.Errorf("fprtest: close: %v", err)
		}
	})
	if err := a.Start(ctx); err != nil {
		t.Fatalf("fprtest: start: %v", err)
	}
	url := a.Server.URL()

	base := http.DefaultTransport.(*http.Transport).Clone()
	t.Cleanup(base.CloseIdleConnections)
	return &Env{App: a, DB: a.DB, Auth: a.Auth, Server: a.Server, URL: url, base: base, logs: logs}
}

// Client returns an HTTP client for this server: it keeps cookies, does not
// follow redirects, and checks every /api/v1 response against the contract.
func (e *Env) Client(t testing.TB) *http.Client {
	t.Helper()
	return apitest.NewClient(t)
}

// Logs returns what the server has logged so far, as JSON lines.
func (e *Env) Logs() string { return e.logs.String() }

// Ctx returns a context whose acting user is u (nil: anonymous), for
// calling services directly.
func (e *Env) Ctx(u *fpr.User) context.Context {
	return fpr.NewContextWithUser(context.Background(), u)
}

// TestUser is a user made by MustUser, with their password and a bearer
// token from logging in through the API.
type TestUser struct {
	User     *fpr.User
	Password string
	Token    string
}

var userSeq atomic.Int64

// MustUser registers a user through the AuthService, gives them role in the
// store, and logs them in through the API for a bearer token.
func (e *Env) MustUser(t testing.TB, role fpr.Role) *TestUser {
	t.Helper()
	n := userSeq.Add(1)
	reg := fpr.Registration{
		Email:       fmt.Sprintf("%s%d@example.test", role, n),
		Password:    fmt.Sprintf("Tomato-%d-harvest-Orchard", n),
		DisplayName: fmt.Sprintf("Test %s %d", strings.ToUpper(string(role[:1]))+string(role[1:]), n),
		// Verified, as most tests need a member whose reviews publish;
		// MustUnverifiedUser makes one who has not verified yet.
		Verified: true,
	}
	ctx := context.Background()
	u, err := e.Auth.Register(ctx, reg)
	if err != nil {
		t.Fatalf("fprtest: register %s: %v", reg.Email, err)
	}
	if role != fpr.RoleMember {
		if u, err = e.DB.SetUserRoleUnchecked(ctx, u.ID, role); err != nil {
			t.Fatalf("fprtest: set role %s: %v", role, err)
		}
	}
	return &TestUser{User: u, Password: reg.Password, Token: e.mustLogin(t, reg.Email, reg.Password)}
}

// MustUnverifiedUser registers a member through the AuthService who has
// not verified their e-mail (their verification mail is in the outbox),
// and logs them in through the API for a bearer token.
func (e *Env) MustUnverifiedUser(t testing.TB) *TestUser {
	t.Helper()
	n := userSeq.Add(1)
	reg := fpr.Registration{
		Email:       fmt.Sprintf("unverified%d@example.test", n),
		Password:    fmt.Sprintf("Tomato-%d-harvest-Orchard", n),
		DisplayName: fmt.Sprintf("Test Unverified %d", n),
	}
	u, err := e.Auth.Register(context.Background(), reg)
	if err != nil {
		t.Fatalf("fprtest: register %s: %v", reg.Email, err)
	}
	return &TestUser{User: u, Password: reg.Password, Token: e.mustLogin(t, reg.Email, reg.Password)}
}

// mustLogin logs in through the API and returns the bearer token.
func (e *Env) mustLogin(t testing.TB, email, password string) string {
	t.Helper()
	resp, body := e.Do(t, http.MethodPost, "/api/v1/auth/login", "", map[string]string{"email": email, "password": password})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("fprtest: log in %s: %d %s", email, resp.StatusCode, body)
	}
	var out struct {
		Token string `json:"token"`
	}
	if err := json.Unmarshal(body, &out); err != nil || out.Token == "" {
		t.Fatalf("fprtest: log in %s: no token in %s (%v)", email, body, err)
	}
	return out.Token
}

// Do sends a request to the server through the validating client and
// returns the response (its body already read and closed) and the body.
// body is sent as is when it is a []byte or string, else as JSON; nil
// sends none. token, when not "", goes in Authorization: Bearer.
func (e *Env) Do(t testing.TB, method, path, token string, body any) (*http.Response, []byte) {
	t.Helper()
	return e.DoFrom(t, "", method, path, token, body)
}

// DoFrom is Do from client address addr ("" for none): it sends
// X-Forwarded-For: addr, which the server honours under WithLoopbackProxy.
func (e *Env) DoFrom(t testing.TB, addr, method, path, token string, body any) (*http.Response, []byte) {
	t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		r = bytes.NewReader(b)
	case string:
		r = strings.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			t.Fatalf("fprtest: encode body: %v", err)
		}
		r = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(context.Background(), method, e.URL+path, r)
	if err != nil {
		t.Fatalf("fprtest: %s %s: %v", method, path, err)
	}
	if r != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if addr != "" {
		req.Header.Set("X-Forwarded-For", addr)
	}
	return e.DoRequest(t, req)
}

// DoRequest sends req, made by the caller (for headers Do does not set),
// as Do sends its own: through the validating client, not following
// redirects, and returns the response (its body already read and closed)
// and the body.
func (e *Env) DoRequest(t testing.TB, req *http.Request) (*http.Response, []byte) {
	t.Helper()
	client := &http.Client{
		Transport:     apitest.Transport(t, e.base),
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("fprtest: %s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("fprtest: %s %s: read body: %v", req.Method, req.URL.Path, err)
	}
	return resp, data
}

// Clock is a settable clock for WithClock: the conformance suite's.
type Clock = storetest.Clock

// NewClock returns a clock stopped at t.
func NewClock(t time.Time) *Clock { return storetest.NewClock(t) }

// syncBuffer is a bytes.Buffer safe for concurrent writes, for logs.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
