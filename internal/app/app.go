// Package app wires FPR: the store, the AuthService, the operations monitor
// (metrics, error events, alerts, the release record), the HTTP server and
// the background workers (alert evaluation, error recording, cleanup of
// expired rows). It is the one place that does so: `fpr serve`, the test
// harness (internal/fprtest) and the drill all build the application with
// New, so what runs in tests is what runs in production.
//
//	a, err := app.New(ctx, app.Config{DatabaseURL: "sqlite:fpr.db", Addr: "127.0.0.1:8080", ...})
//	if err != nil { ... }
//	defer a.Close(ctx)
//	if err := a.Start(ctx); err != nil { ... }
//
// Between New and Start the caller may still change the server's fields
// (tests put fault switches in front of a service); the handler is built
// on first use.
package app

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"sync"
	"time"

	"github.com/fpr-team/fpr"
	"github.com/fpr-team/fpr/internal/auth"
	fprhttp "github.com/fpr-team/fpr/internal/http"
	"github.com/fpr-team/fpr/internal/mail"
	"github.com/fpr-team/fpr/internal/ops"
	"github.com/fpr-team/fpr/internal/store"
	"github.com/fpr-team/fpr/web"
)

// Config is everything New needs, as plain values. cmd/fpr builds it from
// its environment and flags; tests build it directly.
type Config struct {
	// DB is an opened, migrated database to use; the App does not close
	// it. When nil, New opens and migrates DatabaseURL, and Close closes
	// it.
	DB          *store.DB
	DatabaseURL string
	// Addr is where Start listens, e.g. "127.0.0.1:8080" (":0" or
	// "127.0.0.1:0" picks a free port).
	Addr string

	// Env is development, staging or production.
	Env string
	// BaseURL is the public URL, e.g. https://fpr.example; "" is the
	// loopback URL Start listens on (tests).
	BaseURL string
	// Build names the running release; Start records it.
	Build fpr.BuildInfo
	// Instance names this process among those sharing the database; ""
	// picks ops.InstanceID().
	Instance string
	// TrustedProxies are the load balancers whose X-Forwarded-For header
	// names the client.
	TrustedProxies []netip.Prefix
	// Moderation decides whether new reviews publish at once ("" is post).
	Moderation fpr.ModerationMode
	// RateLimits are the limits on writes; nil takes
	// fpr.DefaultRateLimits, an empty non-nil set disables them
	// (FPR_RATE_LIMITS=off).
	RateLimits fpr.RateLimits
	// StaffMFA is FPR_STAFF_MFA; "" takes fpr.DefaultStaffMFA(Env).
	StaffMFA fpr.StaffMFA

	// AlertWebhookURL receives alerts; "" sends none (they are still
	// recorded).
	AlertWebhookURL string
	// AlertEvalInterval, AlertFlushInterval and AlertWindow pace the 5xx
	// ratio alert; zero takes the defaults (10 s, 2 s and the last minute).
	AlertEvalInterval, AlertFlushInterval, AlertWindow time.Duration
	// AlertRetryBackoff is the webhook's wait after a failed attempt,
	// doubled after each further one; zero takes the default (1 s).
	AlertRetryBackoff time.Duration

	// PasswordParams are the argon2id costs of new password hashes; zero
	// takes auth.DefaultParams (tests use auth.TestParams).
	PasswordParams auth.Params
	// CleanupInterval is how often expired sessions, login failure counts
	// and idempotency keys are removed; zero is an hour.
	CleanupInterval time.Duration

	// SMTPURL is where mail goes: smtp://user:pass@host:port (STARTTLS
	// when offered) or smtps://… (implicit TLS). "" writes mail to the log.
	SMTPURL string
	// MailFrom is the sender of every mail; "" is fpr@ the BaseURL's host.
	MailFrom string
	// MailPollInterval, MailRetryBase, MailMaxAttempts, MailSendTimeout
	// and MailLease pace the mail worker; zero takes its defaults (2 s,
	// fpr.MailRetryBase, fpr.MailMaxAttempts, 30 s, 2 min).
	MailPollInterval, MailRetryBase, MailSendTimeout, MailLease time.Duration
	MailMaxAttempts                                             int
	// MailTLS, when set, is the TLS configuration of the SMTP connection
	// (tests trust their own server's certificate).
	MailTLS *tls.Config
	// TestCrashAt, for the crash test only, names a fault point of keyed
	// writes (store.FaultPoints) where the process kills itself (SIGKILL);
	// "" in every real run (`fpr serve` refuses it in production and
	// `fpr check --deploy` refuses it everywhere).
	TestCrashAt string

	// Log receives every log line; nil discards them.
	Log *slog.Logger
	// Now is the clock of the store and the server; nil is the real clock
	// in UTC.
	Now func() time.Time
}

// App is the wired application.
type App struct {
	// DB is the database; its services are the server's.
	DB *store.DB
	// Auth is the server's AuthService.
	Auth *auth.Service
	// Monitor holds the metrics, the error recorder and the alerter.
	Monitor *ops.Monitor
	// Server is the HTTP server, listening once Start has returned.
	Server *fprhttp.Server
	// Mail is the mail worker, draining the outbox once Start has
	// returned.
	Mail *mail.Worker

	cfg     Config
	ownDB   bool
	release *fpr.Release

	mu           sync.Mutex
	started      bool
	stopCleanup  func()
	monitorStart bool
}

// New opens and migrates the database (unless Config.DB is given) and
// builds the AuthService, the monitor and the HTTP server with every
// service set. Nothing runs yet: Start records the release, starts the
// workers and listens.
func New(ctx context.Context, cfg Config) (*App, error) {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = func() time.Time { return time.Now().UTC() }
	}
	if cfg.Moderation == "" {
		cfg.Moderation = fpr.ModerationPost
	}
	if cfg.StaffMFA == "" {
		cfg.StaffMFA = fpr.DefaultStaffMFA(cfg.Env)
	}
	if cfg.Instance == "" {
		cfg.Instance = ops.InstanceID()
	}
	if cfg.CleanupInterval == 0 {
		cfg.CleanupInterval = time.Hour
	}
	a := &App{cfg: cfg, DB: cfg.DB}
	if a.DB == nil {
		db, err := OpenDB(ctx, cfg.DatabaseURL, cfg.Log)
		if err != nil {
			return nil, err
		}
		a.DB, a.ownDB = db, true
	}
	db := a.DB
	if cfg.TestCrashAt != "" && !store.ValidFaultPoint(cfg.TestCrashAt) {
		return nil, fmt.Errorf("test crash point %q: want one of %v", cfg.TestCrashAt, store.FaultPoints)
	}
	// Several apps may share one DB (tests of several instances): the
	// first configures it, before any app's workers read it.
	db.ConfigureOnce(func(db *store.DB) {
		db.Moderation = cfg.Moderation
		db.Now = cfg.Now
		db.RateLimits = cfg.RateLimits
		if db.RateLimits == nil {
			db.RateLimits = fpr.DefaultRateLimits
		}
		if cfg.TestCrashAt != "" {
			db.Fault = func(point string) {
				if point == cfg.TestCrashAt {
					cfg.Log.Error("FPR_TEST_CRASH_AT: killing this process", "at", point)
					killSelf()
				}
			}
		}
	})

	a.Auth = auth.New(db)
	if cfg.PasswordParams != (auth.Params{}) {
		a.Auth.Params = cfg.PasswordParams
	}

	a.Monitor = ops.NewMonitor(ops.MonitorConfig{
		Ops: db, Log: cfg.Log, Build: cfg.Build, Instance: cfg.Instance, Env: cfg.Env, BaseURL: cfg.BaseURL,
		WebhookURL: cfg.AlertWebhookURL, DBStats: db.Stats,
		EvalInterval: cfg.AlertEvalInterval, FlushInterval: cfg.AlertFlushInterval, Window: cfg.AlertWindow,
	})
	if cfg.AlertRetryBackoff != 0 {
		a.Monitor.Alerts.Webhook.Backoff = cfg.AlertRetryBackoff
	}
	if err := a.newMailWorker(); err != nil {
		return nil, err
	}
	a.release = &fpr.Release{Release: cfg.Build.Release, Commit: cfg.Build.Commit, Instance: cfg.Instance}

	a.Server = &fprhttp.Server{
		Log:            cfg.Log,
		Build:          cfg.Build,
		Env:            cfg.Env,
		BaseURL:        cfg.BaseURL,
		TrustedProxies: cfg.TrustedProxies,

		Auth:          a.Auth,
		Accounts:      a.Auth,
		Mail:          db,
		MFA:           a.Auth,
		StaffMFA:      cfg.StaffMFA,
		Users:         db,
		Farms:         db,
		Products:      db,
		Reviews:       ops.Reviews{ReviewService: db, Alerts: a.Monitor.Alerts},
		Moderation:    db,
		PurchaseCodes: db,
		Photos:        db,
		Idempotency:   db,
		Ops:           ops.Service{OpsService: db, Alerts: a.Monitor.Alerts},
		Audit:         db,
		Metrics:       a.Monitor.Metrics.Handler(),

		Ready:        func(ctx context.Context) error { return ready(ctx, db) },
		AfterRequest: a.Monitor.AfterRequest,
		OnError:      a.Monitor.OnError,
		Now:          cfg.Now,
	}
	srv := a.Server
	a.Monitor.Metrics.ObserveResponseCache(func() ops.ResponseCacheStats {
		st := srv.ResponseCacheStats()
		return ops.ResponseCacheStats{Hits: st.Hits, Misses: st.Misses, Entries: st.Entries, Bytes: st.Bytes,
			StoredHits: st.StoredHits, Stored: st.Stored, Dropped: st.Dropped}
	})
	if db.Dialect() == "sqlite" {
		a.Monitor.Metrics.ObserveWriter(func() ops.WriterStats {
			st := db.GroupCommitStats()
			return ops.WriterStats{Batches: st.Batches, Committed: st.Committed, Busy: st.Busy, Commit: st.Commit}
		})
		a.Monitor.Metrics.ObserveSessionCache(func() ops.SessionCacheStats {
			st := db.SessionCacheStats()
			return ops.SessionCacheStats{Hits: st.Hits, Misses: st.Misses, Kept: st.Kept}
		})
	}
	return a, nil
}

// newMailWorker builds the mail worker: SMTP when Config.SMTPURL is set,
// else the log.
func (a *App) newMailWorker() error {
	cfg := a.cfg
	r, err := mail.NewRenderer(web.FS, cfg.BaseURL)
	if err != nil {
		return err
	}
	from := cfg.MailFrom
	if from == "" {
		host := "localhost"
		if u, err := url.Parse(cfg.BaseURL); err == nil && u.Hostname() != "" {
			host = u.Hostname()
		}
		from = "FPR <fpr@" + host + ">"
	}
	sendTimeout := cmp.Or(cfg.MailSendTimeout, 30*time.Second)
	var sender mail.Sender = mail.Log{Log: cfg.Log}
	if cfg.SMTPURL != "" {
		s, err := mail.ParseSMTPURL(cfg.SMTPURL, from, sendTimeout)
		if err != nil {
			return err
		}
		s.TLSConfig = cfg.MailTLS
		sender = s
	}
	w := mail.NewWorker(a.DB, sender, r, cfg.Log, cfg.Instance, a.Monitor.Metrics.Registry)
	w.SendTimeout = sendTimeout
	w.Poll = cmp.Or(cfg.MailPollInterval, w.Poll)
	w.RetryBase = cmp.Or(cfg.MailRetryBase, w.RetryBase)
	w.MaxAttempts = cmp.Or(cfg.MailMaxAttempts, w.MaxAttempts)
	w.Lease = cmp.Or(cfg.MailLease, max(w.Lease, 2*sendTimeout))
	a.Mail = w
	return nil
}

// killSelf ends the process at once, as kill -9 would: no deferred
// function, no flush, no graceful anything.
func killSelf() {
	if p, err := os.FindProcess(os.Getpid()); err == nil {
		_ = p.Kill()
	}
	select {} // the signal is on its way
}

// OpenDB opens and migrates the database at url, for New and for the
// commands that use the database without serving (seed, user).
func OpenDB(ctx context.Context, url string, log *slog.Logger) (*store.DB, error) {
	db, err := store.Open(ctx, url, store.Options{Logger: log})
	if err != nil {
		return nil, err
	}
	if _, err := db.Migrate(ctx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("migrate: %w", err)
	}
	return db, nil
}

// ready is the readiness check: the database answers and its schema is
// current.
func ready(ctx context.Context, db *store.DB) error {
	if err := db.Ping(ctx); err != nil {
		return fmt.Errorf("database: %w", err)
	}
	n, err := db.PendingMigrations(ctx)
	if err != nil {
		return err
	}
	if n > 0 {
		return fmt.Errorf("schema is behind: %d migrations pending", n)
	}
	return nil
}

// Handler returns the server's root handler, for callers that serve it
// themselves.
func (a *App) Handler() http.Handler { return a.Server.Handler() }

// Start records this start of the release, starts the background workers
// and listens on Config.Addr. Stop it all with Close.
func (a *App) Start(ctx context.Context) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.started {
		return errors.New("app: already started")
	}
	a.started = true
	if err := a.Monitor.Start(ctx, a.DB, a.release); err != nil {
		return fmt.Errorf("record release: %w", err)
	}
	a.monitorStart = true
	a.cfg.Log.Info("release recorded", "instance", a.cfg.Instance, "commit", a.cfg.Build.Commit)
	a.stopCleanup = startCleanup(context.WithoutCancel(ctx), a.DB, a.cfg.Log, a.cfg.CleanupInterval)
	if err := a.Server.Open(a.cfg.Addr); err != nil {
		return err
	}
	if a.cfg.BaseURL == "" {
		// Tests listen on a free port: the public URL is known only now.
		a.Server.BaseURL = a.Server.URL()
		a.Mail.Renderer.BaseURL = a.Server.URL()
	}
	return a.Mail.Start(context.WithoutCancel(ctx))
}

// ShutdownTimeout is how long Shutdown waits for the requests in flight
// once the drain period is over.
const ShutdownTimeout = 30 * time.Second

// Shutdown stops the application gracefully, as `fpr serve` does on
// SIGTERM: /readyz answers 503 at once while the server keeps accepting
// and serving for drain (so a load balancer moves new clients elsewhere
// and none is refused meanwhile), then the listener closes and Close waits
// up to ShutdownTimeout for the requests in flight, stops the workers
// (they store or flush what they hold) and closes the database.
func (a *App) Shutdown(drain time.Duration) error {
	a.Server.Drain()
	if drain > 0 {
		a.cfg.Log.Info("draining", "for", drain.String())
		time.Sleep(drain)
	}
	a.cfg.Log.Info("shutting down", "wait_for_requests", ShutdownTimeout.String())
	ctx, cancel := context.WithTimeout(context.Background(), ShutdownTimeout)
	defer cancel()
	return a.Close(ctx)
}

// Close stops the server (waiting for requests up to ctx's deadline), then
// the workers (storing the last requests' error events and flushing the
// alert counters), then closes the database if New opened it. It may be
// called after a failed Start, or without Start.
func (a *App) Close(ctx context.Context) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	err := a.Server.Close(ctx)
	if a.stopCleanup != nil {
		a.stopCleanup()
		a.stopCleanup = nil
	}
	a.Mail.Stop()
	if a.monitorStart {
		err = errors.Join(err, a.Monitor.Close(ctx))
		a.monitorStart = false
	}
	if a.ownDB {
		err = errors.Join(err, a.DB.Close())
		a.ownDB = false
	}
	return err
}
