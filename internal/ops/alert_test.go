package ops_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fpr-team/fpr"
	"github.com/fpr-team/fpr/internal/fprtest"
	"github.com/fpr-team/fpr/internal/ops"
	"github.com/fpr-team/fpr/internal/store"
	"github.com/fpr-team/fpr/internal/storetest"
)

// newInstance is one instance's alerter on a shared database, on a test
// clock; the test drives Flush and Evaluate itself.
func newInstance(db *store.DB, hookURL, name string, now func() time.Time) *ops.Alerter {
	return &ops.Alerter{
		Ops: db, Webhook: &ops.Webhook{URL: hookURL, Backoff: time.Millisecond}, Release: "r7", Instance: name,
		Env: "test", Now: now,
	}
}

// TestAlerter_RatioOncePerIncident has two instances share one database:
// each sees only part of the traffic, together the route is above 5%; one
// alert is sent, and one resolved message when the ratio falls back.
func TestAlerter_RatioOncePerIncident(t *testing.T) {
	t.Parallel()
	storetest.ForEachBackend(t, func(t *testing.T, backend string) {
		db := storetest.OpenDB(t, backend)
		hook := newReceiver(t)
		clock := fprtest.NewClock(time.Date(2024, 5, 10, 14, 30, 0, 0, time.UTC))
		a1 := newInstance(db, hook.URL, "i1", clock.Now)
		a2 := newInstance(db, hook.URL, "i2", clock.Now)
		t.Cleanup(func() {
			for _, a := range []*ops.Alerter{a1, a2} {
				if err := a.Close(context.Background()); err != nil {
					t.Error(err)
				}
			}
		})
		route := "POST /api/v1/auth/register"
		evaluateBoth := func() {
			t.Helper()
			var wg sync.WaitGroup
			for _, a := range []*ops.Alerter{a1, a2} {
				wg.Go(func() {
					if err := a.Evaluate(context.Background()); err != nil {
						t.Error(err)
					}
				})
			}
			wg.Wait()
		}
		serve := func(a *ops.Alerter, ok, failed int) {
			for range ok {
				a.CountRequest(route, http.StatusCreated)
			}
			for range failed {
				a.CountRequest(route, http.StatusInternalServerError)
			}
			a.CountRequest("GET /healthz", http.StatusOK)
			a.Flush()
		}

		// 4 errors of 40: under the 5-error minimum.
		serve(a1, 18, 2)
		serve(a2, 18, 2)
		evaluateBoth()
		// 2 more on one instance: 6 of 42, over 5% and 5 errors.
		serve(a1, 0, 2)
		evaluateBoth()
		evaluateBoth() // still firing: no second alert
		p := hook.wait(t, fpr.AlertRatio, 5*time.Second)
		if p.Route != route || p.Status != "firing" || !strings.Contains(p.Text, "6 of 42") {
			t.Errorf("ratio alert = %+v, want route %s, firing, 6 of 42 in text", p, route)
		}

		// A minute later the route serves well: resolved, once.
		clock.Advance(70 * time.Second)
		serve(a1, 10, 0)
		evaluateBoth()
		evaluateBoth()
		r := hook.wait(t, fpr.AlertRatioResolved, 5*time.Second)
		if r.Route != route || r.Status != "resolved" {
			t.Errorf("resolved alert = %+v, want route %s, resolved", r, route)
		}

		// A second incident is a new alert.
		clock.Advance(70 * time.Second)
		serve(a2, 0, 5)
		evaluateBoth()
		for _, a := range []*ops.Alerter{a1, a2} {
			if err := a.Close(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
		if diff := cmp.Diff([]string{"ratio", "ratio_resolved", "ratio"}, hook.kinds()); diff != "" {
			t.Errorf("alerts received from two instances (-want +got):\n%s", diff)
		}
		alerts, _, err := db.FindAlerts(fpr.NewContextWithUser(context.Background(), &fpr.User{Role: fpr.RoleAdmin}), fpr.Page{})
		if err != nil {
			t.Fatal(err)
		}
		var keys []string
		for _, a := range alerts {
			keys = append(keys, a.Key)
			if a.SentAt.IsZero() {
				t.Errorf("alert %s not marked sent (error %q)", a.Key, a.SendError)
			}
		}
		wantKeys := []string{"ratio:" + route + ":2", "ratio_resolved:" + route + ":1", "ratio:" + route + ":1"}
		if diff := cmp.Diff(wantKeys, keys); diff != "" {
			t.Errorf("alert keys, newest first (-want +got):\n%s", diff)
		}
	})
}

// TestWebhook_Retries retries with backoff until the receiver takes it,
// and gives up after Attempts.
func TestWebhook_Retries(t *testing.T) {
	t.Parallel()
	hook := newReceiver(t)
	hook.mu.Lock()
	hook.fail = 2
	hook.mu.Unlock()
	wh := &ops.Webhook{URL: hook.URL, Attempts: 3, Backoff: time.Millisecond}
	p := ops.NewPayload(&fpr.Alert{Kind: fpr.AlertNewError, Key: "k", Message: "m"}, "test", "")
	if err := wh.Send(context.Background(), p); err != nil {
		t.Fatalf("Send after 2 failures, 3 attempts = %v, want nil", err)
	}
	if got := hook.kinds(); len(got) != 1 {
		t.Errorf("received %v, want one payload", got)
	}
	hook.mu.Lock()
	hook.fail = 3
	hook.mu.Unlock()
	if err := wh.Send(context.Background(), p); err == nil || !strings.Contains(err.Error(), "503") {
		t.Errorf("Send after 3 failures, 3 attempts = %v, want the 503", err)
	}
}

// TestAlerter_AbandonedAlertIsSentByAnother: an instance claims an alert
// and stops before the webhook answers (shut down past its deadline here;
// a killed one leaves the same state: a claim with no outcome). Another
// instance sends it once the claim's lease has run out, and only then.
func TestAlerter_AbandonedAlertIsSentByAnother(t *testing.T) {
	t.Parallel()
	storetest.ForEachBackend(t, func(t *testing.T, backend string) {
		db := storetest.OpenDB(t, backend)
		clock, hook, live := abandonAlert(t, db)

		if err := live.ResendAbandoned(context.Background()); err != nil {
			t.Fatal(err)
		}
		time.Sleep(100 * time.Millisecond)
		if got := hook.kinds(); len(got) != 0 {
			t.Fatalf("sent %v within the dying instance's lease, want nothing yet", got)
		}
		clock.Advance(fpr.AlertLease + time.Second)
		if err := live.ResendAbandoned(context.Background()); err != nil {
			t.Fatal(err)
		}
		if p := hook.wait(t, fpr.AlertNewError, 5*time.Second); p.Fingerprint != "abc" {
			t.Errorf("resent alert = %+v, want fingerprint abc", p)
		}
		if err := live.Close(context.Background()); err != nil {
			t.Fatal(err)
		}
		alerts, _, err := db.FindAlerts(fpr.NewContextWithUser(context.Background(), &fpr.User{Role: fpr.RoleAdmin}), fpr.Page{})
		if err != nil || len(alerts) != 1 || alerts[0].SentAt.IsZero() || alerts[0].Instance != "live" || alerts[0].SendError != "" {
			t.Fatalf("alerts = %+v, %v; want the one alert sent by live", alerts, err)
		}
		clock.Advance(fpr.AlertLease + time.Second)
		again := newInstance(db, hook.URL, "again", clock.Now)
		if err := again.ResendAbandoned(context.Background()); err != nil {
			t.Fatal(err)
		}
		if err := again.Close(context.Background()); err != nil {
			t.Fatal(err)
		}
		if got := hook.kinds(); len(got) != 1 {
			t.Errorf("webhook got %v, want the alert once", got)
		}
	})
}

// abandonAlert puts db on a test clock and has an instance raise the
// alert new_error:abc and stop before its webhook answers (shut down past
// its deadline; a killed one leaves the same state): a claim with no
// outcome. It returns the clock, and a live instance with its webhook.
func abandonAlert(t *testing.T, db *store.DB) (*fprtest.Clock, *receiver, *ops.Alerter) {
	t.Helper()
	clock := fprtest.NewClock(time.Date(2024, 5, 10, 14, 30, 0, 0, time.UTC))
	db.Now = clock.Now
	now := clock.Now
	// A webhook that takes the connection and never answers.
	hung := make(chan struct{})
	silent := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-hung:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(silent.Close)
	t.Cleanup(func() { close(hung) })
	dying := newInstance(db, silent.URL, "dying", now)
	al := &fpr.Alert{Key: "new_error:abc", Kind: fpr.AlertNewError, Fingerprint: "abc", Message: "boom"}
	if err := dying.Raise(context.Background(), al); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if err := dying.Close(ctx); err == nil {
		t.Fatal("Close returned before the hung webhook answered: the test needs a send cut off")
	}
	hook := newReceiver(t)
	live := newInstance(db, hook.URL, "live", now)
	t.Cleanup(func() { _ = live.Close(context.Background()) })
	return clock, hook, live
}

// TestAlerter_ReclaimWhileTheDatabaseIsBusy: an abandoned alert's lease
// has run out, but another process holds SQLite's write lock. The sweep
// fails as unavailable after the busy timeout and sends nothing; the next
// sweep, with the database back, sends the alert once.
func TestAlerter_ReclaimWhileTheDatabaseIsBusy(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "fpr.db")
	db := storetest.OpenURL(t, "sqlite:"+path)
	clock, hook, live := abandonAlert(t, db)
	clock.Advance(fpr.AlertLease + time.Second)

	ctx := context.Background()
	release := holdWriteLock(t, path)
	err := live.ResendAbandoned(ctx)
	if fpr.ErrorCode(err) != fpr.CodeUnavailable {
		t.Fatalf("ResendAbandoned with the write lock held = %v (code %q), want unavailable", err, fpr.ErrorCode(err))
	}
	time.Sleep(100 * time.Millisecond)
	if got := hook.kinds(); len(got) != 0 {
		t.Fatalf("sent %v while the sweep failed", got)
	}
	release()
	if err := live.ResendAbandoned(ctx); err != nil {
		t.Fatal(err)
	}
	if p := hook.wait(t, fpr.AlertNewError, 5*time.Second); p.Fingerprint != "abc" {
		t.Errorf("resent alert = %+v, want fingerprint abc", p)
	}
	if err := live.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if got := hook.kinds(); len(got) != 1 {
		t.Errorf("webhook got %v, want the alert once", got)
	}
}
