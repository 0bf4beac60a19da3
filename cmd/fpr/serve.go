package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/fpr-team/fpr"
	"github.com/fpr-team/fpr/internal/app"
	"github.com/fpr-team/fpr/internal/ops"
	"github.com/fpr-team/fpr/internal/store"
)

// logFlushInterval is the longest a routine log line waits to be written.
const logFlushInterval = 100 * time.Millisecond

// runServe runs the web site and API until ctx is cancelled.
func runServe(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg := loadConfig(getenv)
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.Addr, "addr", cfg.Addr, "listen address (FPR_ADDR)")
	cfg.addDatabaseFlags(fs)
	demo := fs.Bool("demo", false, "load demo farms, products and reviews into an empty database and print an admin login")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := cfg.finish(); err != nil {
		return err
	}
	// One line a request: written in batches (ops.LogBuffer), errors at
	// once, the rest when serving ends.
	lines := ops.NewLogBuffer(stderr, logFlushInterval)
	defer func() { _ = lines.Close() }()
	log := cfg.newLogger(lines)
	log.Info("starting", "config", cfg)

	a, err := app.New(ctx, cfg.appConfig(log))
	if err != nil {
		return err
	}
	// Close stops the server, then the workers, then the database, within
	// its own deadline: ctx is already cancelled when serving ends.
	closeApp := func() error {
		shutdownCtx, cancel := context.WithTimeout(context.Background(), app.ShutdownTimeout)
		defer cancel()
		return a.Close(shutdownCtx)
	}
	if *demo {
		if err := loadDemo(ctx, a.DB, a.Auth, stdout, log); err != nil {
			return errors.Join(err, closeApp())
		}
		if cfg.StaffMFA == fpr.StaffMFARequired {
			fmt.Fprintln(stdout, "demo: FPR_STAFF_MFA=required: the admin sets up two-factor at /account/mfa before the staff pages open")
		}
	}
	if err := a.Start(ctx); err != nil {
		return errors.Join(err, closeApp())
	}
	log.Info("serving", "url", a.Server.URL(), "base_url", cfg.BaseURL)
	// The startup lines (migrations applied, the release) come before the
	// line that says the site is up, for whoever waits for it.
	_ = lines.Flush()
	fmt.Fprintf(stdout, "FPR is serving at %s\n", a.Server.URL())

	<-ctx.Done()
	log.Info("signal received: draining, then shutting down", "drain", cfg.ShutdownDrain.String())
	return a.Shutdown(cfg.ShutdownDrain)
}

// appConfig converts the configuration into the application's, with build info
// whose release is FPR_RELEASE when set (it wins over the build's VCS
// revision).
func (c *Config) appConfig(log *slog.Logger) app.Config {
	build := buildInfo()
	build.Release = c.Release
	baseURL := c.BaseURL
	if baseURL == "http://"+c.Addr && strings.HasSuffix(c.Addr, ":0") {
		// The default base URL of a free port (tests): the app takes
		// the address it listens on, so links in mails work.
		baseURL = ""
	}
	return app.Config{
		DatabaseURL:        c.DatabaseURL,
		Addr:               c.Addr,
		Env:                c.Env,
		BaseURL:            baseURL,
		Build:              build,
		TrustedProxies:     c.TrustedProxies,
		Moderation:         c.Moderation,
		RateLimits:         c.RateLimits,
		StaffMFA:           c.StaffMFA,
		AlertWebhookURL:    c.AlertWebhookURL,
		AlertEvalInterval:  c.AlertEvalInterval,
		AlertFlushInterval: c.AlertFlushInterval,
		AlertWindow:        c.AlertWindow,
		SMTPURL:            c.SMTPURL,
		MailFrom:           c.MailFrom,
		TestCrashAt:        c.TestCrashAt,
		Log:                log,
	}
}

// openDB opens and migrates the configured database for the commands that
// use it without serving (seed, user).
func openDB(ctx context.Context, cfg Config, log *slog.Logger) (*store.DB, error) {
	db, err := app.OpenDB(ctx, cfg.DatabaseURL, log)
	if err != nil {
		return nil, err
	}
	db.Moderation = cfg.Moderation
	db.RateLimits = cfg.RateLimits
	return db, nil
}
