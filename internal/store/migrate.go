package store

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
	"time"
)

// migrationFS holds each dialect's numbered .sql files, one folder each.
//
//go:embed migrations/sqlite/*.sql migrations/postgres/*.sql
var migrationFS embed.FS

// migrationsFor returns the migrations folder of a dialect.
func migrationsFor(dialect string) fs.FS {
	sub, err := fs.Sub(migrationFS, "migrations/"+dialect)
	if err != nil {
		panic(err) // the embedded paths are fixed at build time
	}
	return sub
}

// Migration is one numbered schema change and whether it has been applied.
type Migration struct {
	Version   int
	Name      string
	AppliedAt time.Time // zero when pending
}

// migrationFiles lists the dialect's embedded migrations in order.
func (db *DB) migrationFiles() ([]Migration, error) {
	names, err := fs.Glob(db.dialect.migrations(), "*.sql")
	if err != nil {
		return nil, err
	}
	var ms []Migration
	for _, name := range names {
		num, _, ok := strings.Cut(name, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %q: name must start with a number and _", name)
		}
		ms = append(ms, Migration{Version: v, Name: name})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].Version < ms[j].Version })
	for i := 1; i < len(ms); i++ {
		if ms[i].Version == ms[i-1].Version {
			return nil, fmt.Errorf("migrations %q and %q share a number", ms[i-1].Name, ms[i].Name)
		}
	}
	return ms, nil
}

const createMigrationsTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
	version    INTEGER PRIMARY KEY,
	name       TEXT NOT NULL,
	applied_at BIGINT NOT NULL
)`

// Migrations returns every embedded migration with the time it was applied.
func (db *DB) Migrations(ctx context.Context) ([]Migration, error) {
	ms, err := db.migrationFiles()
	if err != nil {
		return nil, err
	}
	if _, err := db.write.ExecContext(ctx, createMigrationsTable); err != nil {
		return nil, fmt.Errorf("create schema_migrations: %w", err)
	}
	applied, err := db.appliedMigrations(ctx)
	if err != nil {
		return nil, err
	}
	for i := range ms {
		ms[i].AppliedAt = applied[ms[i].Version]
	}
	return ms, nil
}

// PendingMigrations returns how many embedded migrations are not applied;
// /readyz reports a schema that is behind.
func (db *DB) PendingMigrations(ctx context.Context) (int, error) {
	ms, err := db.migrationFiles()
	if err != nil {
		return 0, err
	}
	applied, err := db.appliedMigrations(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, m := range ms {
		if applied[m.Version].IsZero() {
			n++
		}
	}
	return n, nil
}

func (db *DB) appliedMigrations(ctx context.Context) (map[int]time.Time, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT version, applied_at FROM schema_migrations`)
	if err != nil {
		return nil, db.dialect.translate(fmt.Errorf("read schema_migrations: %w", err))
	}
	defer rows.Close()
	applied := map[int]time.Time{}
	for rows.Next() {
		var v int
		var at int64
		if err := rows.Scan(&v, &at); err != nil {
			return nil, err
		}
		applied[v] = fromMicros(at)
	}
	return applied, rows.Err()
}

// Migrate applies every pending migration, each in its own transaction,
// recording it in schema_migrations. Several processes may call it at once:
// the dialect's lock lets one apply each migration exactly once. It returns
// the migrations it applied.
func (db *DB) Migrate(ctx context.Context) ([]Migration, error) {
	ms, err := db.migrationFiles()
	if err != nil {
		return nil, err
	}
	conn, err := db.write.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	unlock, err := db.dialect.lockMigrations(ctx, conn)
	if err != nil {
		return nil, err
	}
	defer unlock()
	if _, err := conn.ExecContext(ctx, createMigrationsTable); err != nil {
		return nil, fmt.Errorf("create schema_migrations: %w", err)
	}
	var done []Migration
	for _, m := range ms {
		ok, err := db.applyMigration(ctx, conn, m)
		if err != nil {
			return done, err
		}
		if ok {
			done = append(done, m)
		}
	}
	return done, nil
}

// applyMigration runs m unless it is recorded already; the check and the
// change share one transaction, so a crash leaves either both or neither.
func (db *DB) applyMigration(ctx context.Context, conn *sql.Conn, m Migration) (bool, error) {
	body, err := fs.ReadFile(db.dialect.migrations(), m.Name)
	if err != nil {
		return false, err
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return false, err
	}
	defer func() { _ = tx.Rollback() }()
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE version = $1`, m.Version).Scan(&n); err != nil {
		return false, err
	}
	if n > 0 {
		return false, nil
	}
	if _, err := tx.ExecContext(ctx, string(body)); err != nil { //nolint:gosec // G701: the body is a migration file embedded at build time, not input
		return false, fmt.Errorf("migration %s: %w", m.Name, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)`,
		m.Version, m.Name, micros(db.Now())); err != nil {
		return false, fmt.Errorf("record migration %s: %w", m.Name, err)
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("commit migration %s: %w", m.Name, err)
	}
	db.log.Info("applied migration", "version", m.Version, "name", m.Name)
	return true, nil
}
