// Package store implements the fpr services on SQL databases: embedded
// SQLite (the default) and PostgreSQL. Most SQL is written once; each real
// difference between the two lives behind the dialect value, in sqlite.go
// and postgres.go.
package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/fpr-team/fpr"
)

// DB is FPR's database. Its exported methods implement the fpr service
// interfaces; each opens one transaction, so a review and its product's
// rating summary commit together.
type DB struct {
	// configured is set by ConfigureOnce.
	configured atomic.Bool

	// read serves read-only transactions; write serves writing ones. On
	// PostgreSQL both are the same pool. On SQLite the write pool has one
	// connection, so writers queue in Go instead of failing with
	// SQLITE_BUSY, and readers never wait for writers (WAL).
	read, write *sql.DB
	dialect     dialect
	log         *slog.Logger

	// Now returns the current time; tests replace it.
	Now func() time.Time
	// NewID returns a new identifier; tests and the seeder replace it.
	NewID func(time.Time) string
	// Moderation decides whether new reviews publish at once.
	Moderation fpr.ModerationMode
	// MaxIdempotencyKeys caps the keys one scope (route and principal) may
	// hold within IdempotencyKeyTTL; 0 means fpr.MaxIdempotencyKeys.
	// Tests lower it.
	MaxIdempotencyKeys int
	// RateLimits are the limits on writes (ratelimit.go); nil counts
	// nothing. internal/app sets fpr.DefaultRateLimits or FPR_RATE_LIMITS.
	RateLimits fpr.RateLimits
	// Fault, when set, is called at each fault point of a keyed write
	// (fault.go); the crash test's hook kills the process there.
	Fault func(point string)

	// group runs write transactions in batches with one commit (SQLite
	// only; nil on PostgreSQL). See group.go.
	group *committer
	// rstmts and wstmts keep the prepared statements of the read and
	// write pools (SQLite only; nil on PostgreSQL). See stmtcache.go.
	rstmts, wstmts *stmtCache
	// sessions keeps sessions FindSession read (SQLite only; nil on
	// PostgreSQL). See session.go.
	sessions *sessionCache
	// loading is set on a database made by CreateSQLite: one connection
	// to a new file no one else reads, with no journal (bulk.go).
	loading bool
}

// Options configure Open.
type Options struct {
	Logger     *slog.Logger
	Moderation fpr.ModerationMode
	// RateLimits are the limits on writes; nil counts nothing.
	RateLimits fpr.RateLimits
	// MaxOpenConns bounds the (read) pool; 0 picks a default.
	MaxOpenConns int
	// NoGroupCommit commits each SQLite write transaction on its own
	// instead of in batches (group.go); for comparisons.
	NoGroupCommit bool
}

// Open connects to the database named by url: "sqlite:PATH" or
// "postgres://…". It does not migrate; call Migrate.
func Open(ctx context.Context, url string, opt Options) (*DB, error) {
	db := newDB(opt)
	var err error
	switch {
	case strings.HasPrefix(url, "sqlite:"):
		db.dialect = sqliteDialect{}
		db.read, db.write, err = openSQLite(strings.TrimPrefix(url, "sqlite:"), opt.MaxOpenConns)
	case strings.HasPrefix(url, "postgres://"), strings.HasPrefix(url, "postgresql://"):
		db.dialect = postgresDialect{}
		db.read, err = openPostgres(url, opt.MaxOpenConns)
		db.write = db.read
	default:
		return nil, fmt.Errorf("database url %q: want sqlite:PATH or postgres://…", redactURL(url))
	}
	if err != nil {
		return nil, err
	}
	if err := db.read.PingContext(ctx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("connect to database: %w", err)
	}
	if db.dialect.name() == "sqlite" {
		db.rstmts, db.wstmts = newStmtCache(db.read), newStmtCache(db.write)
		db.sessions = newSessionCache(sessionCacheEntries)
		if !opt.NoGroupCommit {
			db.group = newCommitter(db)
		}
	}
	return db, nil
}

// newDB returns a DB with opt's settings and no pools yet.
func newDB(opt Options) *DB {
	db := &DB{
		log:        opt.Logger,
		Now:        func() time.Time { return time.Now().UTC() },
		NewID:      fpr.NewID,
		Moderation: opt.Moderation,
		RateLimits: opt.RateLimits,
	}
	if db.log == nil {
		db.log = slog.New(slog.DiscardHandler)
	}
	if db.Moderation == "" {
		db.Moderation = fpr.ModerationPost
	}
	return db
}

// ConfigureOnce runs fn on db the first time it is called and never
// again: an application sets db's fields (clock, moderation, limits) once,
// and a second application over the same DB (tests of several instances)
// does not rewrite them while the first one's workers read them.
func (db *DB) ConfigureOnce(fn func(db *DB)) {
	if db.configured.CompareAndSwap(false, true) {
		fn(db)
	}
}

// Close runs the queued writes, then closes the pools.
func (db *DB) Close() error {
	if db.group != nil {
		db.group.close()
	}
	db.rstmts.close()
	db.wstmts.close()
	err := db.read.Close()
	if db.write != db.read {
		err = errors.Join(err, db.write.Close())
	}
	return err
}

// Dialect names the database engine: "sqlite" or "postgres".
func (db *DB) Dialect() string { return db.dialect.name() }

// Stats returns the figures of the connection pool serving reads.
func (db *DB) Stats() sql.DBStats { return db.read.Stats() }

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error { return db.read.PingContext(ctx) }

// Tx is a transaction with the time it started, so every row it writes
// carries one timestamp.
type Tx struct {
	*sql.Tx
	db  *DB
	now time.Time
	// batched is set for an operation of a group commit batch (group.go).
	batched bool
	// cache holds the prepared statements of the transaction's pool (nil:
	// none).
	cache *stmtCache
}

// txNow is the time of a new transaction, truncated to what the database
// stores, so what a method returns equals what a later read gives.
func (db *DB) txNow() time.Time { return db.Now().UTC().Truncate(time.Microsecond) }

// stmtCtx is the context of a statement in tx. In a batch, a cancelled
// request must not interrupt its statement: SQLite may then roll back the
// whole transaction, the other operations' writes included. The operation
// is short, and it was checked for cancellation before it started.
func (tx *Tx) stmtCtx(ctx context.Context) context.Context {
	if tx.batched {
		return context.WithoutCancel(ctx)
	}
	return ctx
}

// ExecContext runs a statement in tx.
func (tx *Tx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	ctx = tx.stmtCtx(ctx)
	if s := tx.stmt(ctx, query); s != nil { //nolint:sqlclosecheck // a statement of the transaction, closed with it
		return s.ExecContext(ctx, args...)
	}
	return tx.Tx.ExecContext(ctx, query, args...) //nolint:gosec,nolintlint // G701: passes the store's own SQL on, values bound; gosec's taint analysis reports this line only in some runs
}

// QueryContext runs a query in tx.
func (tx *Tx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	ctx = tx.stmtCtx(ctx)
	if s := tx.stmt(ctx, query); s != nil { //nolint:sqlclosecheck // a statement of the transaction, closed with it
		return s.QueryContext(ctx, args...)
	}
	return tx.Tx.QueryContext(ctx, query, args...) //nolint:gosec,nolintlint // G701: passes the store's own SQL on, values bound; gosec's taint analysis reports this line only in some runs
}

// QueryRowContext runs a query of one row in tx.
func (tx *Tx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	ctx = tx.stmtCtx(ctx)
	if s := tx.stmt(ctx, query); s != nil { //nolint:sqlclosecheck // a statement of the transaction, closed with it
		return s.QueryRowContext(ctx, args...)
	}
	return tx.Tx.QueryRowContext(ctx, query, args...) //nolint:gosec,nolintlint // G701: passes the store's own SQL on, values bound; gosec's taint analysis reports this line only in some runs
}

// readRow runs a query of one row on the read pool, outside a transaction,
// prepared once on SQLite.
func (db *DB) readRow(ctx context.Context, query string, args ...any) *sql.Row {
	if s := db.rstmts.get(ctx, query); s != nil { //nolint:sqlclosecheck // kept in the cache; Close closes it
		return s.QueryRowContext(ctx, args...)
	}
	return db.read.QueryRowContext(ctx, query, args...) //nolint:gosec,nolintlint // G701: passes the store's own SQL on, values bound; gosec's taint analysis reports this line only in some runs
}

// readRows runs a query on the read pool, outside a transaction, prepared
// once on SQLite.
func (db *DB) readRows(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if s := db.rstmts.get(ctx, query); s != nil { //nolint:sqlclosecheck // kept in the cache; Close closes it
		return s.QueryContext(ctx, args...)
	}
	return db.read.QueryContext(ctx, query, args...) //nolint:gosec,nolintlint // G701: passes the store's own SQL on, values bound; gosec's taint analysis reports this line only in some runs
}

// PrepareContext prepares a statement in tx.
func (tx *Tx) PrepareContext(ctx context.Context, query string) (*sql.Stmt, error) {
	return tx.Tx.PrepareContext(tx.stmtCtx(ctx), query)
}

// BeginTx starts a transaction; write selects the writing pool.
func (db *DB) BeginTx(ctx context.Context, write bool) (*Tx, error) {
	pool, cache := db.read, db.rstmts
	if write {
		pool, cache = db.write, db.wstmts
	}
	// Before taking the connection: preparing on the pool needs one.
	cache.prepareWanted(ctx)
	tx, err := pool.BeginTx(ctx, db.dialect.txOptions(write))
	if err != nil {
		return nil, db.dialect.translate(err)
	}
	return &Tx{Tx: tx, db: db, now: db.txNow(), cache: cache}, nil
}

// inTx runs fn in a transaction and commits when it returns nil. Errors are
// translated into fpr errors where the driver's code says what happened.
// On SQLite a write transaction joins a group commit batch (group.go): fn
// runs in its own savepoint and inTx returns nil only after the batch has
// committed.
func (db *DB) inTx(ctx context.Context, write bool, fn func(tx *Tx) error) error {
	if write && db.group != nil {
		err := db.group.do(ctx, fn)
		var p *opPanic
		if errors.As(err, &p) {
			panic(p.value)
		}
		// The operation's own errors are translated already; this
		// translates its caller's context ending (503 unavailable).
		return db.dialect.translate(err)
	}
	return db.inOwnTx(ctx, write, fn)
}

// inOwnTx runs fn in a transaction of its own, outside group commit.
func (db *DB) inOwnTx(ctx context.Context, write bool, fn func(tx *Tx) error) error {
	tx, err := db.BeginTx(ctx, write)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }() // a no-op after Commit
	if err := fn(tx); err != nil {
		return db.dialect.translate(err)
	}
	return db.dialect.translate(tx.Commit())
}

// micros and fromMicros convert times to the integer microseconds stored in
// both dialects.
func micros(t time.Time) int64 { return t.UnixMicro() }

func fromMicros(us int64) time.Time { return time.UnixMicro(us).UTC() }

// dialect holds what differs between SQLite and PostgreSQL.
type dialect interface {
	name() string
	// migrations returns the dialect's numbered .sql files.
	migrations() fs.FS
	// lockMigrations serializes migrations across processes; it returns
	// the function that releases the lock.
	lockMigrations(ctx context.Context, conn *sql.Conn) (func(), error)
	// txOptions returns the options of a writing or reading transaction.
	txOptions(write bool) *sql.TxOptions
	// translate turns driver errors into fpr errors by code (unique
	// violation: conflict; no rows: not_found) and leaves others as they are.
	translate(err error) error

	// Full-text search of products (product.go). indexProducts (re)writes
	// the search entries of the products matching where, a condition on
	// "products p" using $1… for args; unindexProducts removes them
	// (before the products are deleted).
	indexProducts(ctx context.Context, tx *Tx, where string, args ...any) error
	unindexProducts(ctx context.Context, tx *Tx, where string, args ...any) error
	// productSearch returns the SQL restricting a product query (FROM
	// products p JOIN farms f) to those matching every term, the last as a
	// prefix: a join to add after the FROM clause (may be ""), a WHERE
	// condition, and a rank expression where lower is a better match. terms
	// are plain words (searchTerms), never empty; arg adds a bind value
	// and returns its placeholder.
	productSearch(terms []string, arg func(any) string) (join, cond, rank string, err error)
	// indexFarms (re)writes the search entries of the farms matching
	// where, a condition on "farms f"; farmSearch is productSearch for a
	// farm query (FROM farms f).
	indexFarms(ctx context.Context, tx *Tx, where string, args ...any) error
	farmSearch(terms []string, arg func(any) string) (join, cond, rank string, err error)

	// skipLocked is the clause that makes a claiming subquery skip rows
	// another transaction has locked (" FOR UPDATE SKIP LOCKED" on
	// PostgreSQL), "" where writers are serialized anyway (SQLite).
	skipLocked() string
	// forUpdate is the clause that makes a SELECT lock the rows it
	// returns until the transaction ends, waiting for a transaction that
	// holds them (" FOR UPDATE" on PostgreSQL), "" where writers are
	// serialized anyway (SQLite, which has no such clause).
	forUpdate() string
	// reviewSQL returns how the dialect reads whole reviews (newReviewSQL).
	reviewSQL() reviewSQL
	// stampSQL is how it reads a product's stamp for kept answers.
	stampSQL() stampSQL
	// rowLocks reports whether transactions take row locks (PostgreSQL).
	// On SQLite one connection writes, one transaction at a time, so the
	// no-op UPDATEs that lock a row (lockReview, lockFarmOfProduct) would
	// only cost a statement: they are skipped.
	rowLocks() bool

	// unboundStatements lifts the statement timeout for the rest of tx: a
	// bulk load's statements may take minutes; requests' must not.
	unboundStatements(ctx context.Context, tx *Tx) error

	// bulkVar returns the placeholder of the i-th (from 1) bind value of
	// a bulk INSERT with thousands of values (bulk.go).
	bulkVar(i int) string
	// bulkRows is the number of rows per bulk INSERT statement.
	bulkRows() int
	// bulkCache sets the write connection's page cache for a bulk load
	// (on) and back to the default (off), through ex (the load's connection of the write
	// pool, which has one connection on SQLite).
	bulkCache(ctx context.Context, ex execer, on bool) error
	// bulkDropIndexes drops the secondary indexes of table that a bulk
	// load is better off building at the end, and returns the statements
	// that build them again (none when the dialect keeps them). Indexes
	// whose first column is keepLead are kept.
	bulkDropIndexes(ctx context.Context, tx *Tx, table, keepLead string) ([]string, error)
	// bulkSuspendTriggers stops the triggers of table (the product stamps
	// of migration 0019) for the rest of a bulk load's transaction and
	// returns the statements that start them again: a load moves the
	// stamps of every product once, at its end.
	bulkSuspendTriggers(ctx context.Context, tx *Tx, table string) ([]string, error)
	// bulkAnalyze gathers the planner's statistics of tables after a
	// bulk load.
	bulkAnalyze(ctx context.Context, tx *Tx, tables []string) error
}

// execer runs a statement: a *Tx, a *sql.Conn or a *sql.DB.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// redactURL keeps only the scheme and host of a database URL for messages
// and logs (fpr.RedactURL): user, password and database name stay out.
func redactURL(u string) string { return fpr.RedactURL(u) }

// errGone is what both dialects' translate return for a foreign key
// violation: a row refers to one deleted meanwhile (a review of a product
// deleted a moment before).
func errGone() error {
	return fpr.Errorf(fpr.CodeNotFound, "What this refers to no longer exists.")
}

// errBusy is what both dialects' translate return for lock contention
// that the caller may retry.
func errBusy(cause error) error {
	return &fpr.Error{Code: fpr.CodeUnavailable, Message: "The database is busy. Please try again.",
		RetryAfterSeconds: 1, Cause: cause}
}

// outage reports whether err, whatever the dialect, says the database
// cannot be reached or did not answer in time: the request's deadline
// passed (or its client left) while waiting for a connection or a result,
// the connection broke, or the network failed. Both dialects' translate
// turn these into fpr.ErrUnavailable; they add their own codes.
func outage(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) ||
		errors.Is(err, driver.ErrBadConn) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.As(err, &ne)
}

// notFound is the error of a missing thing.
func notFound(what string) error {
	return fpr.Errorf(fpr.CodeNotFound, "That %s does not exist.", what)
}
