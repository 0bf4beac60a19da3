package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/fpr-team/fpr"
	"github.com/fpr-team/fpr/internal/ops"
	"github.com/fpr-team/fpr/internal/probe"
)

// runProbe checks the critical flows of a running site: once, or every
// --interval until ctx ends. A failed run alerts (FPR_ALERT_WEBHOOK_URL);
// with --interval, the alert goes out when the probe starts failing and a
// resolved message when it passes again. It returns an error (exit 1) when
// the last run failed.
func runProbe(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg := loadConfig(getenv)
	fs := flag.NewFlagSet("probe", flag.ContinueOnError)
	fs.SetOutput(stderr)
	target := fs.String("url", getenv("FPR_BASE_URL"), "base URL of the site to probe (FPR_BASE_URL)")
	product := fs.String("product", "", "ID of the product to review (default: the first listed)")
	interval := fs.Duration("interval", 0, "repeat every interval until stopped (0: run once)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if u, err := url.Parse(*target); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("probe: --url %q: want the site's http or https URL", *target)
	}
	if *interval < 0 {
		return errors.New("probe: --interval must not be negative")
	}
	p := &probe.Probe{URL: *target, ProductID: *product, Client: &http.Client{Timeout: 15 * time.Second}, Log: stdout}
	hook := &ops.Webhook{URL: cfg.AlertWebhookURL, Client: &http.Client{}}
	failing := false
	for {
		start := time.Now()
		res, err := p.Run(ctx)
		if ctx.Err() != nil && *interval > 0 {
			return nil // stopped while running: not a failure of the site
		}
		switch {
		case err != nil:
			fmt.Fprintf(stdout, "FAIL  %v\n", err)
			if !failing || *interval == 0 {
				sendProbeAlert(ctx, hook, cfg.Env, *target, res.Release, err, stderr)
			}
			failing = true
		default:
			fmt.Fprintf(stdout, "PASS  %s release %s in %s\n", *target, or(res.Release, "unknown"), time.Since(start).Round(time.Millisecond))
			if failing {
				sendProbeAlert(ctx, hook, cfg.Env, *target, res.Release, nil, stderr)
			}
			failing = false
		}
		if *interval == 0 {
			return err
		}
		select {
		case <-ctx.Done():
			if failing {
				return errors.New("probe: the last run failed")
			}
			return nil
		case <-time.After(*interval):
		}
	}
}

// sendProbeAlert posts a probe failure (err != nil) or recovery.
func sendProbeAlert(ctx context.Context, hook *ops.Webhook, env, target, release string, err error, stderr io.Writer) {
	if hook.URL == "" {
		return
	}
	a := &fpr.Alert{Kind: fpr.AlertProbeResolved, Release: release, Created: time.Now(),
		Key:     "probe:" + target + ":" + strconv.FormatInt(time.Now().Unix(), 10),
		Message: "Resolved: fpr probe passes again against " + target + " (release " + or(release, "unknown") + ")."}
	if err != nil {
		a.Kind = fpr.AlertProbe
		a.Message = "fpr probe failed against " + target + " (release " + or(release, "unknown") + "): " + err.Error()
		var se *probe.StepError
		if errors.As(err, &se) {
			a.Route, a.RequestID = se.Route, se.RequestID
		}
	}
	// Alert even when ctx is ending: the failure may be why.
	sendCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if err := hook.Send(sendCtx, ops.NewPayload(a, env, "")); err != nil {
		fmt.Fprintf(stderr, "fpr probe: send alert: %v\n", err)
	}
}
