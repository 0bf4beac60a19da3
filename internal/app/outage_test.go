package app_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fpr-team/fpr"
	"github.com/fpr-team/fpr/internal/apitest"
	"github.com/fpr-team/fpr/internal/fprtest"
	"github.com/fpr-team/fpr/internal/storetest"
)

// The outage tests put a fault between a whole application (wired as
// `fpr serve` wires it) and its database, and check SPEC and issue 14:
// every API call answers 503 unavailable with Retry-After, every page the
// apology with its request ID and 503, /readyz 503, none hangs; and once
// the database is back, the outage's 503s are stored as error events.

// outageEnv is an application with an admin, a member and a product.
type outageEnv struct {
	env     *fprtest.Env
	admin   *fprtest.TestUser
	member  *fprtest.TestUser
	product string
	client  *http.Client
}

func newOutageEnv(t *testing.T, env *fprtest.Env) *outageEnv {
	t.Helper()
	producer := env.MustUser(t, fpr.RoleProducer)
	farm := &fpr.Farm{Name: "Outage Farm", Region: "Test"}
	if err := env.DB.CreateFarm(env.Ctx(producer.User), farm); err != nil {
		t.Fatal(err)
	}
	p := &fpr.Product{FarmID: farm.ID, Name: "Outage Apples", Category: "fruit", Unit: "per kg"}
	if err := env.DB.CreateProduct(env.Ctx(producer.User), p); err != nil {
		t.Fatal(err)
	}
	base := http.DefaultTransport.(*http.Transport).Clone()
	t.Cleanup(base.CloseIdleConnections)
	return &outageEnv{
		env: env, admin: env.MustUser(t, fpr.RoleAdmin), member: env.MustUser(t, fpr.RoleMember), product: p.ID,
		// The hang guard: a request that does not answer within 20 s
		// fails the test (the deadlines say 5 s).
		client: &http.Client{Transport: apitest.Transport(t, base), Timeout: 20 * time.Second},
	}
}

// answer is one response, read.
type answer struct {
	name   string
	status int
	header http.Header
	body   string
	err    error
}

// call sends one request; the API's responses are checked against the
// OpenAPI document by the client.
func (o *outageEnv) call(method, path, token string, body any) answer {
	var r io.Reader
	if body != nil {
		data, _ := json.Marshal(body)
		r = strings.NewReader(string(data))
	}
	req, err := http.NewRequestWithContext(context.Background(), method, o.env.URL+path, r)
	if err != nil {
		return answer{name: method + " " + path, err: err}
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := o.client.Do(req)
	if err != nil {
		return answer{name: method + " " + path, err: err}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	return answer{name: method + " " + path, status: resp.StatusCode, header: resp.Header, body: string(data), err: err}
}

// checkOutage sends API calls, pages and /readyz at once and checks each
// answers 503 as the SPEC says; it returns the request IDs of the 503s.
func (o *outageEnv) checkOutage(t *testing.T) []string {
	t.Helper()
	review := map[string]any{"rating": 4, "title": "Crisp", "body": "Good apples, sent in an outage."}
	calls := []func() answer{
		func() answer { return o.call("GET", "/api/v1/products", "", nil) },
		func() answer { return o.call("GET", "/api/v1/products/"+o.product, "", nil) },
		func() answer { return o.call("GET", "/api/v1/products/"+o.product+"/reviews", "", nil) },
		func() answer { return o.call("GET", "/api/v1/me", o.member.Token, nil) },
		func() answer { return o.call("POST", "/api/v1/products/"+o.product+"/reviews", o.member.Token, review) },
		func() answer {
			return o.call("POST", "/api/v1/auth/login", "", map[string]string{"email": o.member.User.Email, "password": o.member.Password})
		},
		func() answer { return o.call("GET", "/products", "", nil) },
		func() answer { return o.call("GET", "/products/"+o.product, "", nil) },
		func() answer { return o.call("GET", "/readyz", "", nil) },
	}
	answers := make([]answer, len(calls))
	var wg sync.WaitGroup
	for i, c := range calls {
		wg.Go(func() { answers[i] = c() })
	}
	wg.Wait()
	var ids []string
	for _, a := range answers {
		if a.err != nil {
			t.Errorf("%s: %v (a hang or a dropped connection)", a.name, a.err)
			continue
		}
		if a.status != http.StatusServiceUnavailable {
			t.Errorf("%s: status %d, want 503: %.300s", a.name, a.status, a.body)
			continue
		}
		id := a.header.Get("X-Request-ID")
		switch {
		case strings.HasSuffix(a.name, "/readyz"):
			continue
		case strings.Contains(a.name, "/api/"):
			var env struct {
				Error struct {
					Code string `json:"code"`
				} `json:"error"`
				RequestID string `json:"request_id"`
			}
			if err := json.Unmarshal([]byte(a.body), &env); err != nil || env.Error.Code != "unavailable" || env.RequestID != id {
				t.Errorf("%s: body %s, want code unavailable and request_id %s", a.name, a.body, id)
			}
		default:
			if !strings.Contains(a.body, id) || !strings.Contains(a.body, "Please try again") {
				t.Errorf("%s: the apology page lacks the request ID %s or the apology: %.500s", a.name, id, a.body)
			}
		}
		if secs, err := strconv.Atoi(a.header.Get("Retry-After")); err != nil || secs < 1 {
			t.Errorf("%s: Retry-After %q, want a number of seconds", a.name, a.header.Get("Retry-After"))
		}
		ids = append(ids, id)
	}
	return ids
}

// waitReady polls /readyz until it answers 200.
func (o *outageEnv) waitReady(t *testing.T) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		a := o.call("GET", "/readyz", "", nil)
		if a.err == nil && a.status == http.StatusOK {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("not ready 30 s after the database came back: %d %v %s", a.status, a.err, a.body)
		}
	}
}

// checkRecorded checks that the error event of each request ID was
// stored once the database answered again (the recorder retries every
// 2 s).
func (o *outageEnv) checkRecorded(t *testing.T, ids []string) {
	t.Helper()
	for _, id := range ids {
		for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(200 * time.Millisecond) {
			a := o.call("GET", "/api/v1/ops/requests/"+id, o.admin.Token, nil)
			if a.err == nil && a.status == http.StatusOK {
				if !strings.Contains(a.body, `"request_id":"`+id+`"`) {
					t.Errorf("error event of %s: %s", id, a.body)
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the 503 of request %s was not stored as an error event within 30 s of the database's return: %d %s",
					id, a.status, a.body)
			}
		}
	}
}

func TestOutage_Postgres(t *testing.T) {
	base := storetest.FreshPostgresSchemaURL(t)
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	proxy := storetest.NewProxy(t, u.Host)
	env := fprtest.New(t, fprtest.WithDB(storetest.OpenURL(t, proxy.URL(base))))
	o := newOutageEnv(t, env)

	var ids []string
	for _, fault := range []struct {
		name  string
		cause func()
	}{
		{"refused", proxy.Refuse},
		{"partition", proxy.Partition},
	} {
		t.Run(fault.name, func(t *testing.T) {
			fault.cause()
			ids = append(ids, o.checkOutage(t)...)
			proxy.Heal()
			o.waitReady(t)
			if a := o.call("GET", "/api/v1/products/"+o.product, "", nil); a.status != http.StatusOK {
				t.Fatalf("after the %s: %d %s", fault.name, a.status, a.body)
			}
		})
	}
	o.checkRecorded(t, ids)
}

func TestOutage_SQLiteLocked(t *testing.T) {
	path := filepath.Join(t.TempDir(), "fpr.db")
	env := fprtest.New(t, fprtest.WithDB(storetest.OpenURL(t, "sqlite:"+path)))
	o := newOutageEnv(t, env)

	// Another process holds the write lock: BEGIN IMMEDIATE takes it.
	other, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(0)")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = other.Close() }()
	ctx := context.Background()
	conn, err := other.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}

	review := map[string]any{"rating": 5, "title": "Locked out", "body": "Written while another process held the lock."}
	a := o.call("POST", "/api/v1/products/"+o.product+"/reviews", o.member.Token, review)
	if a.err != nil || a.status != http.StatusServiceUnavailable || !strings.Contains(a.body, `"unavailable"`) || a.header.Get("Retry-After") == "" {
		t.Fatalf("review while the database is locked: %d %v %s, want 503 unavailable with Retry-After", a.status, a.err, a.body)
	}
	id := a.header.Get("X-Request-ID")
	// Readers are not blocked by a writer (WAL).
	if r := o.call("GET", "/api/v1/products/"+o.product, "", nil); r.status != http.StatusOK {
		t.Errorf("a read while the database is locked: %d %s", r.status, r.body)
	}

	if _, err := conn.ExecContext(ctx, "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	if a := o.call("POST", "/api/v1/products/"+o.product+"/reviews", o.member.Token, review); a.status != http.StatusCreated {
		t.Fatalf("review once the lock is released: %d %s", a.status, a.body)
	}
	o.checkRecorded(t, []string{id})
	if n := env.App.Monitor.Errors.Buffered(); n != 0 {
		t.Errorf("%d error events still buffered", n)
	}
}
