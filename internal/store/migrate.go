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
	// Newer is set on a migration the database has applied but this binary
	// does not embed: a later release migrated the database, and this one
	// runs on it after a revert.
	Newer bool
}

// ContractMarker in a migration's name makes it a contract migration.
// Every migration is additive (expand) unless its name carries it: only a contract migration may drop or rename what
// an earlier release reads, and only in a release after the one that
// stopped reading it (docs/migrations.md; TestMigrationPolicy enforces both
// rules). The name is recorded in schema_migrations, so a binary that does
// not embed a migration still learns from the database whether it may run
// on it: an additive one is compatible, a contract one is not.
const ContractMarker = "_contract_"

// Contract reports whether m drops or renames something an earlier release
// may read, so binaries that do not embed it cannot run on its schema.
func (m Migration) Contract() bool { return strings.Contains(m.Name, ContractMarker) }

// IncompatibleSchemaError says the database carries a contract migration
// this binary does not know: running would read a column or table that is
// gone.
type IncompatibleSchemaError struct {
	Migration Migration // the first such migration
	Known     int       // the newest version this binary embeds
}

func (e *IncompatibleSchemaError) Error() string {
	return fmt.Sprintf("the database has migration %s, which this release (migrations up to %04d) cannot run with: "+
		"it removes or renames what this release reads; run a release that includes it", e.Migration.Name, e.Known)
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

// Migrations returns every embedded migration with the time it was
// applied, then every applied migration this binary does not embed (Newer),
// in version order.
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
	known := map[int]bool{}
	for i := range ms {
		ms[i].AppliedAt = applied[ms[i].Version].AppliedAt
		known[ms[i].Version] = true
	}
	for v, m := range applied {
		if !known[v] {
			ms = append(ms, m)
		}
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].Version < ms[j].Version })
	return ms, nil
}

// SchemaVersion returns the newest migration version the database has
// applied, which may be newer than this binary's after a revert.
func (db *DB) SchemaVersion(ctx context.Context) (int, error) {
	applied, err := db.appliedMigrations(ctx)
	if err != nil {
		return 0, err
	}
	v := 0
	for n := range applied {
		v = max(v, n)
	}
	return v, nil
}

// checkCompatible returns an *IncompatibleSchemaError when the database has
// applied a contract migration this binary does not embed. Newer additive
// migrations are fine: release N-1 runs on release N's schema.
func (db *DB) checkCompatible(ms []Migration, applied map[int]Migration) error {
	known := map[int]bool{}
	newest := 0
	for _, m := range ms {
		known[m.Version] = true
		newest = max(newest, m.Version)
	}
	var bad []Migration
	for v, m := range applied {
		if !known[v] && m.Contract() {
			bad = append(bad, m)
		}
	}
	if len(bad) == 0 {
		return nil
	}
	sort.Slice(bad, func(i, j int) bool { return bad[i].Version < bad[j].Version })
	return &IncompatibleSchemaError{Migration: bad[0], Known: newest}
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
		if _, ok := applied[m.Version]; !ok {
			n++
		}
	}
	return n, nil
}

// appliedMigrations reads schema_migrations, marking every row as Newer;
// callers clear it for the versions they embed.
func (db *DB) appliedMigrations(ctx context.Context) (map[int]Migration, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT version, name, applied_at FROM schema_migrations`)
	if err != nil {
		return nil, db.dialect.translate(fmt.Errorf("read schema_migrations: %w", err))
	}
	defer rows.Close()
	applied := map[int]Migration{}
	for rows.Next() {
		var m Migration
		var at int64
		if err := rows.Scan(&m.Version, &m.Name, &at); err != nil {
			return nil, err
		}
		m.AppliedAt = fromMicros(at)
		m.Newer = true
		applied[m.Version] = m
	}
	return applied, rows.Err()
}

// Migrate applies every pending migration, each in its own transaction,
// recording it in schema_migrations. Several processes may call it at once:
// the dialect's lock lets one apply each migration exactly once. It returns
// the migrations it applied. On a database a later release has migrated it
// applies nothing new and returns an *IncompatibleSchemaError only when
// that release ran a contract migration (see ContractMarker).
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
	applied, err := db.appliedMigrations(ctx)
	if err != nil {
		return nil, err
	}
	if err := db.checkCompatible(ms, applied); err != nil {
		return nil, err
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
