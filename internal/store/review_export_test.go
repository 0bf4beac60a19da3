package store

import (
	"context"
	"database/sql"
)

// ExecTest runs a statement on the write pool, for tests that arrange rows
// directly (farms and products before their service exists, bulk data).
func (db *DB) ExecTest(ctx context.Context, q string, args ...any) (sql.Result, error) {
	return db.write.ExecContext(ctx, q, args...)
}

// QueryRowTest runs a query on the read pool, for tests that recount.
func (db *DB) QueryRowTest(ctx context.Context, q string, args ...any) *sql.Row {
	return db.read.QueryRowContext(ctx, q, args...)
}
