package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/fpr-team/fpr"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib" // also registers the "pgx" driver
)

type postgresDialect struct{}

func (postgresDialect) skipLocked() string { return " FOR UPDATE SKIP LOCKED" }

func (postgresDialect) forUpdate() string { return " FOR UPDATE" }

func (postgresDialect) rowLocks() bool { return true }

// postgresReviews leaves the choice of index to the planner, which has
// statistics; users_names (migration 0015) lets it read names by index only.
var postgresReviews = newReviewSQL(``, func(expr string) string {
	return `string_agg(` + expr + `, ',')`
})

func (postgresDialect) reviewSQL() reviewSQL { return postgresReviews }

// postgresStamps read the stamp by the primary key (migration 0023 is
// SQLite's alone).
var postgresStamps = newStampSQL(``)

func (postgresDialect) stampSQL() stampSQL { return postgresStamps }

func (postgresDialect) name() string { return "postgres" }

func (postgresDialect) migrations() fs.FS { return migrationsFor("postgres") }

// migrationLockID is the advisory lock key that serializes migrations when
// several instances start at once ("fpr" in ASCII).
const migrationLockID = 0x667072

func (postgresDialect) lockMigrations(ctx context.Context, conn *sql.Conn) (func(), error) {
	// Waiting for another instance's migrations, and a migration itself,
	// may take longer than the pool's statement_timeout.
	if _, err := conn.ExecContext(ctx, "SET statement_timeout = 0"); err != nil {
		return nil, fmt.Errorf("lift statement timeout for migrations: %w", err)
	}
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock($1)", migrationLockID); err != nil {
		return nil, fmt.Errorf("take migration lock: %w", err)
	}
	return func() {
		// A fresh context: the lock must be released even when ctx is done.
		_, _ = conn.ExecContext(context.Background(), "SELECT pg_advisory_unlock($1)", migrationLockID)
		_, _ = conn.ExecContext(context.Background(), "RESET statement_timeout")
	}, nil
}

// txOptions: reads run in a read-only REPEATABLE READ transaction, so every
// statement of one read sees one snapshot, as a SQLite read transaction
// does: a product's rating summary and its reviews list, read one after
// the other, never disagree. (Read-only transactions never fail with
// serialization errors at this level.) Writes use READ COMMITTED, the
// default: their SQL locks what it changes (relative UPDATEs, unique
// indexes, ON CONFLICT), which READ COMMITTED re-checks after a wait.
func (postgresDialect) txOptions(write bool) *sql.TxOptions {
	if write {
		return nil
	}
	return &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true}
}

// translate maps PostgreSQL's SQLSTATE codes to fpr errors, as
// sqliteDialect.translate maps SQLite's: the conformance suite checks that
// both give the same codes.
func (postgresDialect) translate(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return fpr.Errorf(fpr.CodeNotFound, "Not found.")
	}
	if fpr.ErrorCode(err) != fpr.CodeInternal {
		return err // translated already
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "23505": // unique_violation
			return fpr.Errorf(fpr.CodeConflict, "That already exists.")
		case "23503": // foreign_key_violation: what it refers to was deleted meanwhile
			return errGone()
		case "40001", "40P01", "55P03": // serialization_failure, deadlock_detected, lock_not_available
			return errBusy(err)
		case "57014", // query_canceled: statement_timeout, or the request's deadline
			"57P01", "57P02", "57P03", // admin_shutdown, crash_shutdown, cannot_connect_now (starting, in recovery)
			"25006", // read_only_sql_transaction: a standby in recovery
			"53300": // too_many_connections
			return fpr.ErrUnavailable(err)
		}
		switch pe.Code[:2] {
		case "08", // connection_exception
			"53", // insufficient_resources: disk full, out of memory
			"58": // system_error: I/O
			return fpr.ErrUnavailable(err)
		}
		return err
	}
	// SafeToRetry: the statement never reached the server, as on a pooled
	// connection the server or the network closed ("conn closed").
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) || pgconn.Timeout(err) || pgconn.SafeToRetry(err) || outage(err) {
		return fpr.ErrUnavailable(err)
	}
	return err
}

// defaultPostgresConns is the pool size of one instance unless the URL's
// pool_max_conns or Options.MaxOpenConns says otherwise. Several instances
// share the server's max_connections (100 by default): size pools so that
// instances × pool stays below it.
const defaultPostgresConns = 20

// openPostgres opens a pool on dsn. The URL parameter pool_max_conns (the
// name pgxpool gives it) sets the pool size, so operators tune it with the
// database URL; maxOpen, when positive, wins.
func openPostgres(dsn string, maxOpen int) (*sql.DB, error) {
	dsn, fromURL, err := takePoolSize(dsn)
	if err != nil {
		return nil, err
	}
	if dsn, err = withTimeouts(dsn); err != nil {
		return nil, err
	}
	if maxOpen <= 0 {
		maxOpen = fromURL
	}
	if maxOpen <= 0 {
		maxOpen = defaultPostgresConns
	}
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("open postgres %s: %w", redactURL(dsn), err)
	}
	db.SetMaxOpenConns(maxOpen)
	db.SetMaxIdleConns(maxOpen)
	// Connections are recycled now and then, so a restarted server or a
	// changed DNS entry behind a proxy is picked up without a restart.
	db.SetConnMaxLifetime(30 * time.Minute)
	return db, nil
}

// The PostgreSQL deadlines, unless the database URL sets its own: a new
// connection must be made within postgresConnectTimeout (a server that
// refuses or does not answer fails fast, not after the kernel's TCP
// timeout of minutes), and a statement running longer than
// postgresStatementTimeout is cancelled by the server. Requests carry
// their own deadline too (internal/http), which also covers waiting for
// a connection of the pool.
const (
	postgresConnectTimeout   = 3 * time.Second
	postgresStatementTimeout = 5 * time.Second
)

// withTimeouts adds connect_timeout and statement_timeout to a postgres://
// URL that does not set them. pgx reads connect_timeout itself and sends
// statement_timeout to the server as a setting of each new connection.
func withTimeouts(dsn string) (string, error) {
	u, err := url.Parse(dsn)
	if err != nil {
		return "", fmt.Errorf("database url %s: %w", redactURL(dsn), err)
	}
	q := u.Query()
	if q.Get("connect_timeout") == "" {
		q.Set("connect_timeout", strconv.Itoa(int(postgresConnectTimeout.Seconds())))
	}
	if q.Get("statement_timeout") == "" {
		q.Set("statement_timeout", strconv.Itoa(int(postgresStatementTimeout.Milliseconds())))
	}
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// takePoolSize removes pool_max_conns from a postgres:// URL (the server
// would refuse it as an unknown setting) and returns its value, 0 when
// absent.
func takePoolSize(dsn string) (string, int, error) {
	u, err := url.Parse(dsn)
	if err != nil {
		return "", 0, fmt.Errorf("database url %s: %w", redactURL(dsn), err)
	}
	q := u.Query()
	v := q.Get("pool_max_conns")
	if v == "" {
		return dsn, 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return "", 0, fmt.Errorf("database url: pool_max_conns=%q: want a positive number", v)
	}
	q.Del("pool_max_conns")
	u.RawQuery = q.Encode()
	return u.String(), n, nil
}

// Full-text search on PostgreSQL: the tsvector column products.search
// (0001_init.sql) with its GIN index, kept up to date by triggers on
// products and farms, so indexProducts and unindexProducts have nothing to
// do.

func (postgresDialect) indexProducts(context.Context, *Tx, string, ...any) error {
	return nil // the triggers of 0001_init.sql maintain products.search
}

func (postgresDialect) unindexProducts(context.Context, *Tx, string, ...any) error {
	return nil // the search vector is a column of products: it goes with the row
}

// productSearch matches every term (the last as a prefix) against
// products.search, stemmed by the fpr_english configuration as the
// documents are (0011_farms.sql). ts_rank weighs the name (A) over the farm name and
// region (B) over the description (C); it is negated so that lower is
// better, as bm25 is on SQLite.
func (postgresDialect) productSearch(terms []string, arg func(any) string) (join, cond, rank string, err error) {
	tsq := postgresTSQuery(strings.Join(terms, " "))
	if tsq == "" {
		return "", "", "", errors.New("product search: no words in the terms")
	}
	q := `to_tsquery('fpr_english', fpr_search_fold(` + arg(tsq) + `))`
	return "", `p.search @@ ` + q, `(-ts_rank(p.search, ` + q + `))`, nil
}

func (postgresDialect) indexFarms(context.Context, *Tx, string, ...any) error {
	return nil // the trigger of 0011_farms.sql maintains farms.search
}

// farmSearch is productSearch over farms.search: name (A), region (B),
// description (C).
func (postgresDialect) farmSearch(terms []string, arg func(any) string) (join, cond, rank string, err error) {
	tsq := postgresTSQuery(strings.Join(terms, " "))
	if tsq == "" {
		return "", "", "", errors.New("farm search: no words in the terms")
	}
	q := `to_tsquery('fpr_english', fpr_search_fold(` + arg(tsq) + `))`
	return "", `f.search @@ ` + q, `(-ts_rank(f.search, ` + q + `))`, nil
}

// postgresTSQuery turns what a person typed into to_tsquery text with the
// meaning of the SQLite search: every word must match (AND), and the last
// word also matches as a prefix ("tom" finds "tomato"), so results follow
// the typing. Words are runs of letters and digits; everything else
// separates them, so no input can form a tsquery operator. The SQL applies
// fpr_search_fold to the result, as the migration does to the documents.
// It returns "" when q has no words.
func postgresTSQuery(q string) string {
	// Combining accents are dropped, not split on ("cre\u0301me" is one
	// word), as fpr_search_fold drops them from documents.
	q = strings.Map(func(r rune) rune {
		if unicode.Is(unicode.Mn, r) {
			return -1
		}
		return r
	}, q)
	terms := strings.FieldsFunc(q, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	if len(terms) == 0 {
		return ""
	}
	if len(terms) > maxSearchTerms {
		terms = terms[:maxSearchTerms]
	}
	terms[len(terms)-1] += ":*"
	return strings.Join(terms, " & ")
}

// unboundStatements lifts the pool's statement_timeout for the rest of
// the transaction.
func (postgresDialect) unboundStatements(ctx context.Context, tx *Tx) error {
	if _, err := tx.ExecContext(ctx, "SET LOCAL statement_timeout = 0"); err != nil {
		return fmt.Errorf("lift statement timeout: %w", err)
	}
	return nil
}

func (postgresDialect) bulkVar(i int) string { return "$" + strconv.Itoa(i) }

// bulkCache has nothing to do on PostgreSQL, whose cache is the server's.
func (postgresDialect) bulkCache(context.Context, execer, bool) error { return nil }

// bulkSuspendTriggers disables table's own triggers (not those of its
// constraints) until the load's statements enable them again.
func (postgresDialect) bulkSuspendTriggers(ctx context.Context, tx *Tx, table string) ([]string, error) {
	rows, err := tx.QueryContext(ctx, `SELECT g.tgname FROM pg_trigger g JOIN pg_class t ON t.oid = g.tgrelid
		WHERE t.relname = $1 AND t.relnamespace = current_schema()::regnamespace AND NOT g.tgisinternal AND g.tgenabled <> 'D'
		ORDER BY g.tgname`, table)
	if err != nil {
		return nil, fmt.Errorf("list triggers of %s: %w", table, err)
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return nil, fmt.Errorf("list triggers of %s: %w", table, err)
		}
		names = append(names, name)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list triggers of %s: %w", table, err)
	}
	rows.Close()
	quote := func(name string) string { return `"` + strings.ReplaceAll(name, `"`, `""`) + `"` }
	var enable []string
	for _, name := range names {
		if _, err := tx.ExecContext(ctx, `ALTER TABLE `+quote(table)+` DISABLE TRIGGER `+quote(name)); err != nil {
			return nil, fmt.Errorf("disable trigger %s: %w", name, err)
		}
		enable = append(enable, `ALTER TABLE `+quote(table)+` ENABLE TRIGGER `+quote(name))
	}
	return enable, nil
}

// bulkDropIndexes drops table's indexes that are neither unique (those of
// constraints) nor led by keepLead, and its foreign keys, returning their
// definitions: building
// an index from millions of rows at the end sorts once (with the
// maintenance_work_mem set here for the transaction), while keeping it
// means a random insert per row. Other instances' queries on table wait
// until the load commits (DROP INDEX locks the table): loads are for
// empty databases (fpr seed, the demo).
func (postgresDialect) bulkDropIndexes(ctx context.Context, tx *Tx, table, keepLead string) ([]string, error) {
	if _, err := tx.ExecContext(ctx, "SET LOCAL maintenance_work_mem = '256MB'"); err != nil {
		return nil, fmt.Errorf("bulk settings: %w", err)
	}
	creates, err := dropListedIndexes(ctx, tx, table, `SELECT i.relname, pg_get_indexdef(i.oid)
		FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
		WHERE t.relname = $1 AND t.relnamespace = current_schema()::regnamespace AND NOT x.indisunique
		AND NOT EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = t.oid AND a.attnum = x.indkey[0] AND a.attname = $2)
		ORDER BY i.relname`, keepLead)
	if err != nil {
		return nil, err
	}
	// The foreign keys too: checked per row, each check locks the parent
	// row (FOR KEY SHARE), many times the cost of the row's insert; added
	// back at the end, a key is checked for all rows by one join.
	fks, err := tx.QueryContext(ctx, `SELECT c.conname, pg_get_constraintdef(c.oid) FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid
		WHERE t.relname = $1 AND t.relnamespace = current_schema()::regnamespace AND c.contype = 'f' ORDER BY c.conname`, table)
	if err != nil {
		return nil, fmt.Errorf("list foreign keys of %s: %w", table, err)
	}
	defer fks.Close()
	quote := func(name string) string { return `"` + strings.ReplaceAll(name, `"`, `""`) + `"` }
	var names []string
	for fks.Next() {
		var name, def string
		if err := fks.Scan(&name, &def); err != nil {
			return nil, fmt.Errorf("list foreign keys of %s: %w", table, err)
		}
		names = append(names, name)
		creates = append(creates, `ALTER TABLE `+quote(table)+` ADD CONSTRAINT `+quote(name)+` `+def)
	}
	if err := fks.Err(); err != nil {
		return nil, fmt.Errorf("list foreign keys of %s: %w", table, err)
	}
	for _, name := range names {
		if _, err := tx.ExecContext(ctx, `ALTER TABLE `+quote(table)+` DROP CONSTRAINT `+quote(name)); err != nil {
			return nil, fmt.Errorf("drop foreign key %s: %w", name, err)
		}
	}
	return creates, nil
}

// bulkAnalyze runs ANALYZE on tables: with no statistics on a table of
// millions of rows just loaded (autovacuum gets to it minutes later), the
// planner guesses, and may walk the primary key of reviews for a
// product's page instead of the product's index.
func (postgresDialect) bulkAnalyze(ctx context.Context, tx *Tx, tables []string) error {
	if _, err := tx.ExecContext(ctx, `ANALYZE `+strings.Join(tables, ", ")); err != nil {
		return fmt.Errorf("analyze: %w", err)
	}
	return nil
}

// copyIn writes t's buffered rows by COPY on conn (pgx, in the
// transaction open on it).
func copyIn(ctx context.Context, conn *sql.Conn, t *bulkTable) error {
	rows := make([][]any, 0, len(t.buf)/t.ncols)
	for i := 0; i < len(t.buf); i += t.ncols {
		rows = append(rows, t.buf[i:i+t.ncols])
	}
	return conn.Raw(func(dc any) error {
		c, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("copy: not a pgx connection (%T)", dc)
		}
		n, err := c.Conn().CopyFrom(ctx, pgx.Identifier{t.name}, t.cols, pgx.CopyFromRows(rows))
		if err != nil {
			return err
		}
		if int(n) != len(rows) {
			return fmt.Errorf("copy: %d of %d rows written", n, len(rows))
		}
		return nil
	})
}

// bulkRows on PostgreSQL: one round trip per 500 rows, keeping a statement
// (at most 16 columns here) far under the limit of 65535 bind parameters.
func (postgresDialect) bulkRows() int { return 500 }
