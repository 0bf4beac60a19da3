package ops_test

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fpr-team/fpr"
	"github.com/fpr-team/fpr/internal/fprtest"
	"github.com/fpr-team/fpr/internal/ops"
)

// lockedBuffer is a log sink safe for the alerter's goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestAlertWebhook_SecretsStayOut reproduces issue 10: an alert webhook
// URL's token, in its path and its query, appeared in the log, in the
// stored alert error and on /ops/alerts when the webhook could not be
// reached. Only its scheme and host may appear.
func TestAlertWebhook_SecretsStayOut(t *testing.T) {
	t.Parallel()
	// A port nothing listens on: every attempt fails with an error that
	// quotes the URL.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	host := ln.Addr().String()
	_ = ln.Close()
	hookURL := "http://" + host + "/services/T0/path-secret-B0?token=query-secret-77"

	env := fprtest.New(t)
	logs := &lockedBuffer{}
	clock := fprtest.NewClock(time.Date(2024, 5, 10, 14, 30, 0, 0, time.UTC))
	a := &ops.Alerter{
		Ops: env.DB, Webhook: &ops.Webhook{URL: hookURL, Attempts: 2, Backoff: time.Millisecond},
		Log: slog.New(slog.NewJSONHandler(logs, nil)), Release: "r7", Instance: "i1", Env: "test", Now: clock.Now,
	}
	route := "POST /api/v1/auth/register"
	for range 10 {
		a.CountRequest(route, http.StatusInternalServerError)
	}
	a.Flush()
	if err := a.Evaluate(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := a.Close(context.Background()); err != nil { // waits for the sends
		t.Fatal(err)
	}

	admin := env.MustUser(t, fpr.RoleAdmin)
	alerts, _, err := env.DB.FindAlerts(env.Ctx(admin.User), fpr.Page{})
	if err != nil {
		t.Fatal(err)
	}
	if len(alerts) != 1 || alerts[0].SendError == "" {
		t.Fatalf("alerts = %+v, want one whose sending failed", alerts)
	}
	stored := alerts[0].SendError
	if !strings.Contains(stored, "http://"+host) {
		t.Errorf("stored error %q does not name the webhook's scheme and host", stored)
	}

	b := newBrowser(t, env.URL)
	b.login(admin)
	req, _ := http.NewRequest(http.MethodGet, env.URL+"/ops/alerts", nil)
	resp, err := b.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var page bytes.Buffer
	_, _ = page.ReadFrom(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /ops/alerts = %d", resp.StatusCode)
	}
	for where, text := range map[string]string{"the log": logs.String(), "the stored alert error": stored,
		"/ops/alerts": page.String(), "the server log": env.Logs()} {
		for _, secret := range []string{"path-secret-B0", "query-secret-77", "/services/T0"} {
			if strings.Contains(text, secret) {
				t.Errorf("%s holds the webhook secret %q", where, secret)
			}
		}
	}
	if !strings.Contains(logs.String(), "http://"+host) {
		t.Errorf("the log does not say which webhook failed (scheme and host):\n%s", logs.String())
	}
}
