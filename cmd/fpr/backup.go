package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/fpr-team/fpr/internal/store"
)

// runBackup writes a consistent snapshot of the SQLite database to a new
// file while the site keeps serving and writing.
func runBackup(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg := loadConfig(getenv)
	fs := flag.NewFlagSet("backup", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprintln(stderr, "usage: fpr backup --to FILE [--database URL]"); fs.PrintDefaults() }
	to := fs.String("to", "", "the backup file to write (must not exist)")
	cfg.addDatabaseFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *to == "" || fs.NArg() > 0 {
		fs.Usage()
		return errors.New("backup: --to FILE is required")
	}
	if err := cfg.finish(); err != nil {
		return err
	}
	if !strings.HasPrefix(cfg.DatabaseURL, "sqlite:") {
		return errors.New("backup: fpr backup copies SQLite databases; back up PostgreSQL with pg_dump (see docs/postgres.md)")
	}
	db, err := store.Open(ctx, cfg.DatabaseURL, store.Options{Logger: cfg.newLogger(stderr)})
	if err != nil {
		return err
	}
	defer func() { _ = db.Close() }()
	if err := db.Backup(ctx, *to); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	size := int64(0)
	if st, err := os.Stat(*to); err == nil {
		size = st.Size()
	}
	fmt.Fprintf(stdout, "backup of %s written to %s (%d bytes)\n", strings.TrimPrefix(cfg.DatabaseURL, "sqlite:"), *to, size)
	return nil
}

// runRestore replaces the SQLite database with a backup, refusing while
// the database is in use.
func runRestore(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg := loadConfig(getenv)
	fs := flag.NewFlagSet("restore", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprintln(stderr, "usage: fpr restore --from FILE [--database URL]"); fs.PrintDefaults() }
	from := fs.String("from", "", "the backup file to restore (written by fpr backup)")
	cfg.addDatabaseFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *from == "" || fs.NArg() > 0 {
		fs.Usage()
		return errors.New("restore: --from FILE is required")
	}
	if err := cfg.finish(); err != nil {
		return err
	}
	if !strings.HasPrefix(cfg.DatabaseURL, "sqlite:") {
		return errors.New("restore: fpr restore restores SQLite databases; restore PostgreSQL with pg_restore (see docs/postgres.md)")
	}
	path := strings.TrimPrefix(cfg.DatabaseURL, "sqlite:")
	if err := store.RestoreSQLite(ctx, *from, path); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	fmt.Fprintf(stdout, "restored %s from %s\n", path, *from)
	return nil
}
