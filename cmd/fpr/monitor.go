package main

import (
	"context"
	"log/slog"

	"github.com/fpr-team/fpr"
	fprhttp "github.com/fpr-team/fpr/internal/http"
	"github.com/fpr-team/fpr/internal/ops"
	"github.com/fpr-team/fpr/internal/store"
)

// startMonitor wires incident response into srv (metrics, error events,
// alerts, the operations API and pages), records this start of the release
// and starts the background workers. Close the monitor after the server, so
// the last requests' events are stored.
func startMonitor(ctx context.Context, cfg Config, db *store.DB, srv *fprhttp.Server, log *slog.Logger) (*ops.Monitor, error) {
	instance := ops.InstanceID()
	mon := ops.NewMonitor(ops.MonitorConfig{
		Ops: db, Log: log, Build: srv.Build, Instance: instance, Env: cfg.Env, BaseURL: cfg.BaseURL,
		WebhookURL: cfg.AlertWebhookURL, DBStats: db.Stats,
		EvalInterval: cfg.AlertEvalInterval, FlushInterval: cfg.AlertFlushInterval, Window: cfg.AlertWindow,
	})
	srv.Ops = ops.Service{OpsService: db, Alerts: mon.Alerts}
	srv.Metrics = mon.Metrics.Handler()
	srv.AfterRequest = mon.AfterRequest
	srv.OnError = mon.OnError
	rel := &fpr.Release{Release: srv.Build.Release, Commit: srv.Build.Commit, Instance: instance}
	if err := mon.Start(ctx, db, rel); err != nil {
		return nil, err
	}
	log.Info("release recorded", "instance", instance, "commit", srv.Build.Commit)
	return mon, nil
}
