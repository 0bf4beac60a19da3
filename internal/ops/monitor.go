package ops

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/fpr-team/fpr"
)

// InstanceID names this process among the instances sharing a database:
// host name, process ID and a random suffix (a restarted container may
// reuse both).
func InstanceID() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "unknown"
	}
	var b [3]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never returns an error.
	return host + "-" + strconv.Itoa(os.Getpid()) + "-" + hex.EncodeToString(b[:])
}

// Monitor bundles one server's metrics, error recorder and alerter, and
// provides the server's hooks.
type Monitor struct {
	Metrics *Metrics
	Errors  *Recorder
	Alerts  *Alerter
}

// AfterRequest is fprhttp.Server's AfterRequest hook: metrics and the 5xx
// ratio counters.
func (m *Monitor) AfterRequest(r *http.Request, sr fpr.ServedRequest) {
	m.Metrics.ObserveRequest(r, sr)
	m.Alerts.CountRequest(sr.Route, sr.Status)
}

// OnError is fprhttp.Server's OnError hook: the error event.
func (m *Monitor) OnError(r *http.Request, route string, err error, stack []byte) {
	m.Errors.Capture(r, route, err, stack)
}

// Start records this start of the release and starts the background
// workers.
func (m *Monitor) Start(ctx context.Context, ops fpr.OpsService, rel *fpr.Release) error {
	if err := ops.RecordRelease(ctx, rel); err != nil {
		return err
	}
	m.Errors.Start()
	m.Alerts.Start()
	return nil
}

// Close stores the queued error events, flushes the counters and waits for
// alerts being sent, up to ctx's deadline. Call it after the HTTP server
// has stopped, so no event arrives late.
func (m *Monitor) Close(ctx context.Context) error {
	// The recorder first: its events may raise alerts.
	err := m.Errors.Close(ctx)
	return errors.Join(err, m.Alerts.Close(ctx))
}

// MonitorConfig configures NewMonitor. Zero durations and thresholds take
// the Alerter's defaults.
type MonitorConfig struct {
	Ops        fpr.OpsService
	Log        *slog.Logger
	Build      fpr.BuildInfo
	Instance   string
	Env        string
	BaseURL    string
	WebhookURL string
	// DBStats, when set, feeds the database pool gauges.
	DBStats func() sql.DBStats

	EvalInterval  time.Duration
	FlushInterval time.Duration
	Window        time.Duration
	Threshold     float64
	MinErrors     int64
}

// NewMonitor builds the metrics, the error recorder and the alerter of one
// server.
func NewMonitor(c MonitorConfig) *Monitor {
	m := &Monitor{Metrics: NewMetrics(c.Build, c.DBStats)}
	m.Alerts = &Alerter{
		Ops: c.Ops, Webhook: &Webhook{URL: c.WebhookURL, Client: &http.Client{}}, Log: c.Log, Metrics: m.Metrics,
		Release: c.Build.Release, Instance: c.Instance, Env: c.Env, BaseURL: c.BaseURL,
		EvalInterval: c.EvalInterval, FlushInterval: c.FlushInterval, Window: c.Window, Threshold: c.Threshold,
		MinErrors: c.MinErrors,
	}
	m.Errors = &Recorder{
		Ops: c.Ops, Log: c.Log, Release: c.Build.Release, Instance: c.Instance, Metrics: m.Metrics, Alerts: m.Alerts,
	}
	return m
}
