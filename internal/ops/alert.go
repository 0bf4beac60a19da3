package ops

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fpr-team/fpr"
)

// Alerter decides when to alert and sends each alert once, whatever the
// number of instances sharing the database:
//
//   - Every alert has a key. An instance sends an alert only after its
//     ClaimAlert inserted the key (INSERT … ON CONFLICT DO NOTHING); the
//     instances that lose the race send nothing.
//   - New and regressed error groups come from the Recorder, which learns
//     them from the database (see OpsService.RecordErrorEvents), so only one
//     instance hears of each; the key ("new_error:<fingerprint>") guards
//     anyway.
//   - The 5xx ratio is shared: each instance counts its requests and 5xx per
//     route in memory, in buckets of Bucket (10 s), and adds them to the
//     route_counts table every FlushInterval. Every EvalInterval each
//     instance sums the buckets of the last Window (60 s) over all
//     instances. A route above Threshold with at least MinErrors 5xx opens
//     incident n+1 of that route (key "ratio:<route>:<n+1>"), n being the
//     route's last incident number; when an open incident's route is no
//     longer above, the resolution is claimed with key
//     "ratio_resolved:<route>:<n>". Two instances evaluating at once compute
//     the same key, so one sends.
//
// The worst case from the first 5xx to the ratio alert is FlushInterval +
// EvalInterval plus the webhook's latency (12 s by default); a new
// fingerprint alerts as soon as its event is stored (about a second).
// Sending runs on its own goroutines with retries and never slows a request.
type Alerter struct {
	Ops      fpr.OpsService
	Webhook  *Webhook // nil or with an empty URL: alerts are recorded and logged, not sent
	Log      *slog.Logger
	Metrics  *Metrics
	Release  string
	Instance string
	Env      string
	BaseURL  string

	EvalInterval  time.Duration // default 10 s
	FlushInterval time.Duration // default 2 s
	Window        time.Duration // default 60 s
	Bucket        time.Duration // default Window / 6 (10 s)
	Threshold     float64       // default 0.05
	MinErrors     int64         // default 5
	Now           func() time.Time

	init    sync.Once
	mu      sync.Mutex
	count   map[routeBucket]*fpr.RouteCount
	sends   sync.WaitGroup
	started atomic.Bool
	// sendCtx ends when Close gives up waiting for alerts being sent.
	sendCtx     context.Context
	cancelSends context.CancelFunc
	stop        chan struct{}
	done        chan struct{}
}

type routeBucket struct {
	route  string
	bucket int64
}

// systemContext acts as an admin: the alerter reads admin-only data (error
// events) on behalf of the operators it alerts.
func systemContext(ctx context.Context) context.Context {
	return fpr.NewContextWithUser(ctx, &fpr.User{ID: "system", DisplayName: "FPR operations", Role: fpr.RoleAdmin})
}

func (a *Alerter) setup() {
	a.init.Do(func() {
		if a.Log == nil {
			a.Log = slog.New(slog.DiscardHandler)
		}
		if a.EvalInterval <= 0 {
			a.EvalInterval = 10 * time.Second
		}
		if a.FlushInterval <= 0 {
			a.FlushInterval = 2 * time.Second
		}
		if a.Window <= 0 {
			a.Window = time.Minute
		}
		if a.Bucket <= 0 {
			a.Bucket = a.Window / 6
		}
		if a.Threshold <= 0 {
			a.Threshold = 0.05
		}
		if a.MinErrors <= 0 {
			a.MinErrors = 5
		}
		if a.Now == nil {
			a.Now = time.Now
		}
		a.count = map[routeBucket]*fpr.RouteCount{}
		a.stop = make(chan struct{})
		a.done = make(chan struct{})
		a.sendCtx, a.cancelSends = context.WithCancel(context.Background())
	})
}

// CountRequest counts a served request for the 5xx ratio; its signature
// matches fprhttp.Server's AfterRequest hook but for the request and
// duration, which it does not need.
func (a *Alerter) CountRequest(route string, status int) {
	a.setup()
	now := a.Now()
	k := routeBucket{route, now.Truncate(a.Bucket).UnixMicro()}
	a.mu.Lock()
	c := a.count[k]
	if c == nil {
		c = &fpr.RouteCount{Route: route, Bucket: now.Truncate(a.Bucket)}
		a.count[k] = c
	}
	c.Requests++
	if status >= 500 {
		c.Errors++
	}
	a.mu.Unlock()
}

// Start runs the flush and evaluation loop until Close.
func (a *Alerter) Start() {
	a.setup()
	a.started.Store(true)
	go a.loop()
}

// Close flushes the counts, stops the loop and waits for alerts being sent,
// up to ctx's deadline.
func (a *Alerter) Close(ctx context.Context) error {
	a.setup()
	select {
	case <-a.stop:
	default:
		close(a.stop)
	}
	if !a.started.Load() {
		a.Flush()
	}
	sent := make(chan struct{})
	go func() {
		if a.started.Load() {
			<-a.done
		}
		a.sends.Wait()
		close(sent)
	}()
	select {
	case <-sent:
		return nil
	case <-ctx.Done():
		a.cancelSends()
		return ctx.Err()
	}
}

func (a *Alerter) loop() {
	defer close(a.done)
	flush := time.NewTicker(a.FlushInterval)
	defer flush.Stop()
	eval := time.NewTicker(a.EvalInterval)
	defer eval.Stop()
	for {
		select {
		case <-flush.C:
			a.Flush()
		case <-eval.C:
			a.Flush()
			if err := a.Evaluate(context.Background()); err != nil {
				a.Log.Error("evaluate alert rules", "err", err)
			}
			if err := a.SweepFoodSafety(context.Background()); err != nil {
				a.Log.Error("sweep food-safety reports", "err", err)
			}
			if err := a.ResendAbandoned(context.Background()); err != nil {
				a.Log.Error("resend abandoned alerts", "err", err)
			}
		case <-a.stop:
			a.Flush()
			return
		}
	}
}

// Flush adds the counts gathered since the last flush to the shared
// counters. On failure they are kept and added next time.
func (a *Alerter) Flush() {
	a.setup()
	a.mu.Lock()
	counts := make([]fpr.RouteCount, 0, len(a.count))
	for _, c := range a.count {
		counts = append(counts, *c)
	}
	a.count = map[routeBucket]*fpr.RouteCount{}
	a.mu.Unlock()
	if len(counts) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := a.Ops.AddRouteCounts(ctx, counts); err != nil {
		a.Log.Error("add route counts", "err", err)
		a.mu.Lock()
		for _, c := range counts {
			k := routeBucket{c.Route, c.Bucket.UnixMicro()}
			if cur := a.count[k]; cur != nil {
				cur.Requests += c.Requests
				cur.Errors += c.Errors
			} else {
				a.count[k] = &c
			}
		}
		a.mu.Unlock()
	}
}

// Evaluate applies the 5xx ratio rule to the shared counters once: it opens
// an incident for each route above the threshold that has none, and
// resolves each open incident whose route is no longer above.
func (a *Alerter) Evaluate(ctx context.Context) error {
	a.setup()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	now := a.Now()
	// The buckets overlapping the last Window: the current one and those
	// before it.
	since := now.Truncate(a.Bucket).Add(a.Bucket - a.Window)
	counts, err := a.Ops.FindRouteCounts(ctx, since, now.Add(-time.Hour))
	if err != nil {
		return err
	}
	latest, err := a.Ops.LatestRatioAlerts(ctx)
	if err != nil {
		return err
	}
	breaching := map[string]fpr.RouteCount{}
	all := map[string]fpr.RouteCount{}
	for _, c := range counts {
		all[c.Route] = c
		if c.Errors >= a.MinErrors && float64(c.Errors) > a.Threshold*float64(c.Requests) {
			breaching[c.Route] = c
		}
	}
	var errs []error
	for route, c := range breaching {
		last := latest[route]
		if last != nil && last.Kind == fpr.AlertRatio {
			continue // incident open already
		}
		seq := 1
		if last != nil {
			seq = last.Seq + 1
		}
		al := &fpr.Alert{
			Key: "ratio:" + route + ":" + strconv.Itoa(seq), Kind: fpr.AlertRatio, Route: route, Seq: seq,
			Release: a.Release,
		}
		sample := ""
		if events, _, err := a.Ops.FindErrorEvents(systemContext(ctx), fpr.ErrorEventFilter{Route: &route, Page: fpr.Page{Limit: 1}}); err == nil && len(events) > 0 {
			e := events[0]
			al.Fingerprint, al.RequestID, al.Release = e.Fingerprint, e.RequestID, e.Release
			sample = fmt.Sprintf(" Latest error: fingerprint %s, request ID %s.", e.Fingerprint, e.RequestID)
		}
		al.Message = fmt.Sprintf("5xx ratio %s on %s: %d of %d requests failed in the last %s (threshold %s, at least %d), release %s.%s",
			percent(c.Errors, c.Requests), route, c.Errors, c.Requests, a.Window, percentF(a.Threshold), a.MinErrors, al.Release, sample)
		errs = append(errs, a.Raise(ctx, al))
	}
	for route, last := range latest {
		if last.Kind != fpr.AlertRatio {
			continue
		}
		if _, ok := breaching[route]; ok {
			continue
		}
		c := all[route]
		al := &fpr.Alert{
			Key: "ratio_resolved:" + route + ":" + strconv.Itoa(last.Seq), Kind: fpr.AlertRatioResolved, Route: route,
			Seq: last.Seq, Fingerprint: last.Fingerprint, Release: last.Release, RequestID: last.RequestID,
			Message: fmt.Sprintf("Resolved: 5xx ratio on %s is back to %s (%d of %d requests in the last %s).",
				route, percent(c.Errors, c.Requests), c.Errors, c.Requests, a.Window),
		}
		errs = append(errs, a.Raise(ctx, al))
	}
	return errors.Join(errs...)
}

func percent(n, of int64) string {
	if of == 0 {
		return "0%"
	}
	return percentF(float64(n) / float64(of))
}

func percentF(f float64) string { return strconv.FormatFloat(f*100, 'f', -1, 64) + "%" }

// ErrorGroupChanged alerts on a new or regressed error group.
func (a *Alerter) ErrorGroupChanged(ctx context.Context, kind fpr.AlertKind, c fpr.ErrorGroupChange) {
	g, e := c.Group, c.Event
	al := &fpr.Alert{Kind: kind, Route: g.Route, Fingerprint: g.Fingerprint, Release: e.Release, RequestID: e.RequestID}
	what := "New error"
	al.Key = "new_error:" + g.Fingerprint
	if kind == fpr.AlertRegression {
		what = "Regression (resolved error seen again)"
		al.Key = "regression:" + g.Fingerprint + ":" + e.ID
	}
	al.Message = fmt.Sprintf("%s on %s in release %s: %s %q (fingerprint %s, first seen in %s). Sample request ID %s.",
		what, g.Route, e.Release, g.Type, truncate(e.Message, 200), g.Fingerprint, g.FirstRelease, e.RequestID)
	if err := a.Raise(ctx, al); err != nil {
		a.Log.Error("raise alert", "err", err, "key", al.Key)
	}
}

// GroupResolved sends the "resolved" message for a group an admin resolved.
func (a *Alerter) GroupResolved(ctx context.Context, g *fpr.ErrorGroup) {
	al := &fpr.Alert{
		Key:  "error_resolved:" + g.Fingerprint + ":" + strconv.FormatInt(g.ResolvedAt.UnixMicro(), 10),
		Kind: fpr.AlertErrorResolved, Route: g.Route, Fingerprint: g.Fingerprint, Release: g.LastRelease,
		Message: fmt.Sprintf("Resolved by an admin: %s on %s (fingerprint %s, %d events, last in release %s).",
			g.Type, g.Route, g.Fingerprint, g.Count, g.LastRelease),
	}
	if err := a.Raise(ctx, al); err != nil {
		a.Log.Error("raise alert", "err", err, "key", al.Key)
	}
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}

// Raise claims al's key and, when this instance won it, sends al in the
// background.
func (a *Alerter) Raise(ctx context.Context, al *fpr.Alert) error {
	a.setup()
	if al.Instance == "" {
		al.Instance = a.Instance
	}
	if al.Release == "" {
		al.Release = a.Release
	}
	claimed, err := a.Ops.ClaimAlert(ctx, al)
	if err != nil || !claimed {
		return err
	}
	a.Log.Warn("alert", "kind", al.Kind, "key", al.Key, "route", al.Route, "fingerprint", al.Fingerprint,
		"sample_request_id", al.RequestID, "message", al.Message)
	a.sendAsync(al)
	return nil
}

// sendAsync sends al on its own goroutine, which Close waits for.
func (a *Alerter) sendAsync(al *fpr.Alert) {
	a.sends.Add(1)
	go func() {
		defer a.sends.Done()
		a.send(al)
	}()
}

// ResendAbandoned sends the alerts whose claim ran out with no outcome
// recorded (fpr.AlertLease): their instance was killed between claiming
// and hearing the webhook's answer. An alert is thus sent at least once;
// twice only when an instance died after the webhook took it and before
// recording so (receivers see the same key).
func (a *Alerter) ResendAbandoned(ctx context.Context) error {
	a.setup()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	alerts, err := a.Ops.ReclaimAlerts(ctx, a.Instance, sweepBatch)
	if err != nil {
		return fmt.Errorf("reclaim alerts: %w", err)
	}
	for _, al := range alerts {
		a.Log.Warn("alert claimed by an instance that stopped before sending it: sending it", "kind", al.Kind, "key", al.Key)
		a.sendAsync(al)
	}
	return nil
}

func (a *Alerter) send(al *fpr.Alert) {
	// Retries stop when Close's deadline passes, so shutdown is not held
	// up by a dead webhook.
	ctx, cancel := context.WithTimeout(a.sendCtx, 2*time.Minute)
	defer cancel()
	var err error
	result := "sent"
	if a.Webhook == nil || a.Webhook.URL == "" {
		err, result = errors.New("FPR_ALERT_WEBHOOK_URL is not set"), "unconfigured"
	} else if err = a.Webhook.Send(ctx, NewPayload(al, a.Env, a.BaseURL)); err != nil {
		if a.sendCtx.Err() != nil {
			// Shutting down before the webhook answered: the claim is
			// handed back by letting its lease run out, and a live
			// instance sends the alert (ResendAbandoned). Recording a
			// failure would lose it.
			a.Log.Warn("alert not sent before shutdown: another instance sends it when its claim runs out",
				"key", al.Key, "err", err)
			return
		}
		result = "failed"
		a.Log.Error("send alert", "err", err, "key", al.Key)
	}
	a.Metrics.alertSent(al.Kind, result)
	mctx, mcancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer mcancel()
	if err := a.Ops.MarkAlertSent(mctx, al.ID, err); err != nil {
		a.Log.Error("mark alert sent", "err", err, "key", al.Key)
	}
}

// Service is the OpsService the HTTP server uses: the store's, plus the
// "resolved" alert when an admin resolves a group.
type Service struct {
	fpr.OpsService
	Alerts *Alerter
}

// ResolveErrorGroup resolves the group and sends the "resolved" message
// when it was open.
func (s Service) ResolveErrorGroup(ctx context.Context, fingerprint string) (*fpr.ErrorGroup, error) {
	before, _, err := s.FindErrorGroup(ctx, fingerprint, 0)
	if err != nil {
		return nil, err
	}
	g, err := s.OpsService.ResolveErrorGroup(ctx, fingerprint)
	if err != nil {
		return nil, err
	}
	if before.Status == fpr.ErrorOpen && s.Alerts != nil {
		s.Alerts.GroupResolved(ctx, g)
	}
	return g, nil
}
