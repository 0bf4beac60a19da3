package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"modernc.org/sqlite"
)

// Backup writes a consistent snapshot of the SQLite database to path, a
// file that must not exist yet, while writes go on: VACUUM INTO reads one
// snapshot (a read transaction, which in WAL mode never blocks the
// writer) and writes a compact copy, which is then synced to disk.
// PostgreSQL is backed up with pg_dump (docs/postgres.md).
func (db *DB) Backup(ctx context.Context, path string) error {
	if db.dialect.name() != "sqlite" {
		return errors.New("fpr backup copies SQLite databases; back up PostgreSQL with pg_dump (see docs/postgres.md)")
	}
	if _, err := os.Stat(path); err == nil {
		return fmt.Errorf("%s exists: a backup never overwrites a file, name a new one", path)
	}
	if dir := filepath.Dir(path); dir != "." {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return fmt.Errorf("create backup folder: %w", err)
		}
	}
	if _, err := db.read.ExecContext(ctx, `VACUUM INTO $1`, path); err != nil {
		return fmt.Errorf("back up to %s: %w", path, err)
	}
	return syncFile(path)
}

// syncFile flushes path's contents to disk.
func syncFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0) //nolint:gosec // G304: the backup file this process just wrote
	if err != nil {
		return fmt.Errorf("sync %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		_ = f.Close()
		return fmt.Errorf("sync %s: %w", path, err)
	}
	return f.Close()
}

// RestoreSQLite replaces the SQLite database at path (created when
// missing) with the backup at from. It refuses a from that is not an FPR
// database, and a database that is in use (an `fpr serve` running on it):
// it takes an exclusive lock on path first, which fails while any other
// connection has it open, and holds it while the backup's pages are
// copied in (SQLite's backup API, journaled, so a crash midway leaves the
// old database).
func RestoreSQLite(ctx context.Context, from, path string) error {
	if _, err := os.Stat(from); err != nil {
		return fmt.Errorf("backup file %s: %w", from, err)
	}
	if err := checkBackup(ctx, from); err != nil {
		return err
	}
	if dir := filepath.Dir(path); dir != "." {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return fmt.Errorf("create database folder: %w", err)
		}
	}
	target, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(0)")
	if err != nil {
		return fmt.Errorf("open %s: %w", path, err)
	}
	defer func() { _ = target.Close() }()
	target.SetMaxOpenConns(1)
	conn, err := target.Conn(ctx)
	if err != nil {
		return fmt.Errorf("open %s: %w", path, err)
	}
	defer func() { _ = conn.Close() }()
	// Exclusive locking mode keeps the lock once taken; BEGIN EXCLUSIVE
	// takes it, or fails at once (busy_timeout 0) while another
	// connection uses the database.
	if _, err := conn.ExecContext(ctx, `PRAGMA locking_mode = EXCLUSIVE`); err != nil {
		return fmt.Errorf("lock %s: %w", path, err)
	}
	if _, err := conn.ExecContext(ctx, `BEGIN EXCLUSIVE`); err != nil {
		return fmt.Errorf("the database %s is in use (is fpr serve running on it?): stop every process using it, then restore: %w", path, err)
	}
	if _, err := conn.ExecContext(ctx, `COMMIT`); err != nil {
		return fmt.Errorf("lock %s: %w", path, err)
	}
	err = conn.Raw(func(dc any) error {
		r, ok := dc.(interface {
			NewRestore(srcURI string) (*sqlite.Backup, error)
		})
		if !ok {
			return fmt.Errorf("the sqlite driver cannot restore (%T)", dc)
		}
		b, err := r.NewRestore("file:" + from + "?mode=ro")
		if err != nil {
			return err
		}
		for more := true; more; {
			if more, err = b.Step(-1); err != nil {
				_ = b.Finish()
				return err
			}
		}
		return b.Finish()
	})
	if err != nil {
		return fmt.Errorf("restore %s into %s: %w", from, path, err)
	}
	var check string
	if err := conn.QueryRowContext(ctx, `PRAGMA quick_check`).Scan(&check); err != nil {
		return fmt.Errorf("check the restored database %s: %w", path, err)
	}
	if check != "ok" {
		return fmt.Errorf("the restored database %s fails its check: %s", path, check)
	}
	return nil
}

// checkBackup makes sure from is an intact FPR database.
func checkBackup(ctx context.Context, from string) error {
	src, err := sql.Open("sqlite", "file:"+from+"?mode=ro")
	if err != nil {
		return fmt.Errorf("open backup %s: %w", from, err)
	}
	defer func() { _ = src.Close() }()
	var check string
	if err := src.QueryRowContext(ctx, `PRAGMA quick_check`).Scan(&check); err != nil {
		return fmt.Errorf("%s is not an intact SQLite database: %w", from, err)
	}
	if check != "ok" {
		return fmt.Errorf("%s is not an intact SQLite database: %s", from, check)
	}
	var n int
	if err := src.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations`).Scan(&n); err != nil {
		return fmt.Errorf("%s is not an FPR database (no schema migrations recorded): %w", from, err)
	}
	if n == 0 {
		return fmt.Errorf("%s is not an FPR database (no schema migrations recorded)", from)
	}
	return nil
}
