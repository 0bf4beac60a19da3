package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/fpr-team/fpr/internal/auth"
	fprhttp "github.com/fpr-team/fpr/internal/http"
	"github.com/fpr-team/fpr/internal/store"
)

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
	log := cfg.newLogger(stderr)
	log.Info("starting", "config", cfg)

	db, err := openDB(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer db.Close()
	if *demo {
		if err := loadDemo(ctx, db, auth.New(db), stdout, log); err != nil {
			return err
		}
	}

	srv := newServer(cfg, db, log)
	mon, err := startMonitor(ctx, cfg, db, srv, log)
	if err != nil {
		return err
	}
	if err := srv.Open(cfg.Addr); err != nil {
		_ = mon.Close(ctx)
		return err
	}
	stopCleanup := startCleanup(ctx, db, log, cleanupInterval)
	defer stopCleanup()
	log.Info("serving", "url", srv.URL(), "base_url", cfg.BaseURL)
	fmt.Fprintf(stdout, "FPR is serving at %s\n", srv.URL())

	<-ctx.Done()
	log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err = srv.Close(shutdownCtx)
	return errors.Join(err, mon.Close(shutdownCtx))
}

// openDB opens and migrates the configured database.
func openDB(ctx context.Context, cfg Config, log *slog.Logger) (*store.DB, error) {
	db, err := store.Open(ctx, cfg.DatabaseURL, store.Options{Logger: log, Moderation: cfg.Moderation})
	if err != nil {
		return nil, err
	}
	if _, err := db.Migrate(ctx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("migrate: %w", err)
	}
	return db, nil
}

// newServer wires the HTTP server to the services.
func newServer(cfg Config, db *store.DB, log *slog.Logger) *fprhttp.Server {
	build := buildInfo()
	build.Release = cfg.Release // FPR_RELEASE wins over the build's VCS revision
	return &fprhttp.Server{
		Log:     log,
		Build:   build,
		Env:     cfg.Env,
		BaseURL: cfg.BaseURL,

		TrustedProxies: cfg.TrustedProxies,

		Auth:        auth.New(db),
		Users:       db,
		Farms:       db,
		Products:    db,
		Reviews:     db,
		Moderation:  db,
		Idempotency: db,

		Ready: func(ctx context.Context) error {
			if err := db.Ping(ctx); err != nil {
				return fmt.Errorf("database: %w", err)
			}
			n, err := db.PendingMigrations(ctx)
			if err != nil {
				return err
			}
			if n > 0 {
				return errors.New("schema is behind: " + fmt.Sprint(n) + " migrations pending")
			}
			return nil
		},
		Now: func() time.Time { return time.Now().UTC() },
	}
}
