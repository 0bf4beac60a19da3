package ops_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/fpr-team/fpr"
	"github.com/fpr-team/fpr/internal/app"
	"github.com/fpr-team/fpr/internal/fprtest"
	fprhttp "github.com/fpr-team/fpr/internal/http"
	"github.com/fpr-team/fpr/internal/ops"
)

// receiver is a real webhook endpoint that keeps what it receives.
type receiver struct {
	*httptest.Server
	mu       sync.Mutex
	payloads []ops.Payload
	// fail makes the next n requests answer 503.
	fail int
}

func newReceiver(t testing.TB) *receiver {
	t.Helper()
	rc := &receiver{}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		defer rc.mu.Unlock()
		if rc.fail > 0 {
			rc.fail--
			http.Error(w, "try later", http.StatusServiceUnavailable)
			return
		}
		var p ops.Payload
		if err := json.Unmarshal(body, &p); err != nil {
			t.Errorf("webhook body %q: %v", body, err)
			http.Error(w, "bad json", http.StatusBadRequest)
			return
		}
		rc.payloads = append(rc.payloads, p)
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(rc.Close)
	return rc
}

// wait returns the first payload of kind, polling up to d.
func (rc *receiver) wait(t testing.TB, kind fpr.AlertKind, d time.Duration) ops.Payload {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		rc.mu.Lock()
		for _, p := range rc.payloads {
			if p.Kind == string(kind) {
				rc.mu.Unlock()
				return p
			}
		}
		rc.mu.Unlock()
		if time.Now().After(deadline) {
			t.Fatalf("no %s alert within %s; got %v", kind, d, rc.kinds())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// kinds lists the kinds received, in order.
func (rc *receiver) kinds() []string {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	var ks []string
	for _, p := range rc.payloads {
		ks = append(ks, p.Kind)
	}
	return ks
}

// monitorEnv is a server over fprtest (so with the incident tooling wired
// by app.New, as for `fpr serve`), with fast alert intervals, and a fault switch on
// registration.
type monitorEnv struct {
	*fprtest.Env
	Monitor *ops.Monitor
	auth    *faultyAuth
}

// faultyAuth is the test's fault switch: an AuthService whose Register
// fails while fault is set ("panic" panics, anything else is returned as
// an errFault).
type faultyAuth struct {
	fpr.AuthService
	mu    sync.Mutex
	fault string
}

func (a *faultyAuth) set(f string) {
	a.mu.Lock()
	a.fault = f
	a.mu.Unlock()
}

func (a *faultyAuth) Register(ctx context.Context, r fpr.Registration) (*fpr.User, error) {
	a.mu.Lock()
	f := a.fault
	a.mu.Unlock()
	switch f {
	case "":
		return a.AuthService.Register(ctx, r)
	case "panic":
		var fields map[string]*fpr.User
		return fields["user"], errors.New(fields["user"].ID) // nil map, nil user: panics
	default:
		return nil, fmt.Errorf("register: %w", &errFault{f})
	}
}

// errFault is the error of the fault switch: a type of its own, so its
// fingerprint is its own.
type errFault struct{ what string }

func (e *errFault) Error() string { return "fault: " + e.what }

func newMonitorEnv(t *testing.T, webhookURL string, opts ...fprtest.Option) *monitorEnv {
	t.Helper()
	me := &monitorEnv{}
	opts = append(opts, fprtest.WithConfig(func(c *app.Config) {
		c.AlertWebhookURL = webhookURL
		c.Instance = "i1"
		c.AlertEvalInterval = 200 * time.Millisecond
		c.AlertFlushInterval = 100 * time.Millisecond
		c.AlertRetryBackoff = 10 * time.Millisecond
	}), fprtest.WithServer(func(srv *fprhttp.Server) {
		me.auth = &faultyAuth{AuthService: srv.Auth}
		srv.Auth = me.auth
	}))
	me.Env = fprtest.New(t, opts...)
	me.Monitor = me.App.Monitor
	return me
}

// register posts a registration and returns the status and request ID.
func (me *monitorEnv) register(t *testing.T, n int) (int, string) {
	t.Helper()
	resp, _ := me.Do(t, http.MethodPost, "/api/v1/auth/register", "", map[string]string{
		"email": fmt.Sprintf("ann%d@example.org", n), "password": "Tomato-harvest-Orchard-9", "display_name": "Ann"})
	return resp.StatusCode, resp.Header.Get("X-Request-ID")
}
