package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"

	"github.com/fpr-team/fpr"
	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
)

//go:embed migrations/postgres/*.sql
var postgresMigrations embed.FS

type postgresDialect struct{}

func (postgresDialect) name() string { return "postgres" }

func (postgresDialect) migrations() fs.FS {
	sub, err := fs.Sub(postgresMigrations, "migrations/postgres")
	if err != nil {
		panic(err) // the embedded path is fixed at build time
	}
	return sub
}

// migrationLockID is the advisory lock key that serializes migrations when
// several instances start at once ("fpr" in ASCII).
const migrationLockID = 0x667072

func (postgresDialect) lockMigrations(ctx context.Context, conn *sql.Conn) (func(), error) {
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock($1)", migrationLockID); err != nil {
		return nil, fmt.Errorf("take migration lock: %w", err)
	}
	return func() {
		// A fresh context: the lock must be released even when ctx is done.
		_, _ = conn.ExecContext(context.Background(), "SELECT pg_advisory_unlock($1)", migrationLockID)
	}, nil
}

func (postgresDialect) translate(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return fpr.Errorf(fpr.CodeNotFound, "Not found.")
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "23505": // unique_violation
			return fpr.Errorf(fpr.CodeConflict, "That already exists.")
		case "40001", "40P01": // serialization_failure, deadlock_detected
			return fpr.Errorf(fpr.CodeUnavailable, "The database is busy. Please try again.")
		}
	}
	return err
}

func openPostgres(url string, maxOpen int) (*sql.DB, error) {
	db, err := sql.Open("pgx", url)
	if err != nil {
		return nil, fmt.Errorf("open postgres %s: %w", redactURL(url), err)
	}
	if maxOpen <= 0 {
		maxOpen = 20
	}
	db.SetMaxOpenConns(maxOpen)
	db.SetMaxIdleConns(maxOpen)
	return db, nil
}

// Full-text search on PostgreSQL: the tsvector column products.search
// (0001_init.sql) with its GIN index.
//
// TODO(#5): the postgres helper implements these three. The contract is on
// the dialect interface in store.go:
//
//	indexProducts(ctx context.Context, tx *Tx, where string, args ...any) error
//	unindexProducts(ctx context.Context, tx *Tx, where string, args ...any) error
//	productSearch(terms []string, arg func(any) string) (join, cond, rank string, err error)
//
// For example: indexProducts runs UPDATE products p SET search = <tsvector of
// p.name (weight A), f.name (B), p.description (C)> FROM farms f WHERE
// f.id = p.farm_id AND <where>; unindexProducts has nothing to do (the
// vector goes with the row); productSearch returns join "", cond
// "p.search @@ to_tsquery('simple', $n)" built from the quoted terms joined
// by & with :* on the last, and rank "-ts_rank(p.search, …)" (lower is
// better). Diacritics and case must not matter, as on SQLite.

var errPostgresSearchTODO = errors.New("postgres product search is not implemented yet (TODO(#5))")

func (postgresDialect) indexProducts(context.Context, *Tx, string, ...any) error {
	return errPostgresSearchTODO
}

func (postgresDialect) unindexProducts(context.Context, *Tx, string, ...any) error {
	return nil // the search vector is a column of products: it goes with the row
}

func (postgresDialect) productSearch([]string, func(any) string) (string, string, string, error) {
	return "", "", "", errPostgresSearchTODO
}
