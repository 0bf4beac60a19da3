package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/fpr-team/fpr/internal/store"
)

// runMigrate applies (up, the default) or lists (status) migrations.
func runMigrate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg := loadConfig(getenv)
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprintln(stderr, "usage: fpr migrate [flags] [up|status]"); fs.PrintDefaults() }
	cfg.addDatabaseFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	action := "up"
	if fs.NArg() > 0 {
		action = fs.Arg(0)
	}
	if fs.NArg() > 1 || (action != "up" && action != "status") {
		fs.Usage()
		return fmt.Errorf("migrate: want up or status")
	}
	if err := cfg.finish(); err != nil {
		return err
	}
	db, err := store.Open(ctx, cfg.DatabaseURL, store.Options{Logger: cfg.newLogger(stderr)})
	if err != nil {
		return err
	}
	defer db.Close()
	if action == "up" {
		done, err := db.Migrate(ctx)
		for _, m := range done {
			fmt.Fprintf(stdout, "applied %s\n", m.Name)
		}
		if err != nil {
			return err
		}
		if len(done) == 0 {
			fmt.Fprintln(stdout, "schema is current")
		}
		return nil
	}
	ms, err := db.Migrations(ctx)
	if err != nil {
		return err
	}
	pending := 0
	for _, m := range ms {
		state := "pending"
		if !m.AppliedAt.IsZero() {
			state = "applied " + m.AppliedAt.Format("2006-01-02T15:04:05Z")
		} else {
			pending++
		}
		switch {
		case m.Newer && m.Contract():
			state += "  newer than this release, and incompatible with it (contract)"
		case m.Newer:
			state += "  newer than this release (additive: this release can run on it)"
		}
		fmt.Fprintf(stdout, "%04d  %-40s %s\n", m.Version, m.Name, state)
	}
	fmt.Fprintf(stdout, "%d applied, %d pending\n", len(ms)-pending, pending)
	return nil
}
