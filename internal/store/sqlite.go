package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/fpr-team/fpr"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

type sqliteDialect struct{}

func (sqliteDialect) skipLocked() string { return "" }

func (sqliteDialect) forUpdate() string { return "" }

func (sqliteDialect) rowLocks() bool { return false }

// sqliteReviews names the index that reads an author's name. Without
// statistics (SQLite has none unless ANALYZE runs) the planner takes the
// primary key's index, which holds only the id, and then reads the user's
// whole row from the table: two B-tree descents per review, the second
// into pages of password hashes and e-mail addresses that do not stay in
// the page cache. users_names (id, display_name) answers from itself
// (migration 0015).
var sqliteReviews = newReviewSQL(` INDEXED BY users_names`, func(expr string) string {
	return `group_concat(` + expr + `, ',')`
})

func (sqliteDialect) reviewSQL() reviewSQL { return sqliteReviews }

// sqliteStamps read a product's stamp from products_stamp (id, stamp),
// migration 0023: one search, no read of the row. The planner, without
// statistics, takes the primary key's unique index and then the row, whose
// pages a read connection's cache does not keep for a large catalogue (a
// pread and a page parsed for most stamp reads of the bench's product
// details).
var sqliteStamps = newStampSQL(` INDEXED BY products_stamp`)

func (sqliteDialect) stampSQL() stampSQL { return sqliteStamps }

// sqliteBusyTimeout is how long a statement waits for another process's
// write lock before failing with SQLITE_BUSY (503 unavailable).
const sqliteBusyTimeout = 3 * time.Second

func (sqliteDialect) name() string { return "sqlite" }

func (sqliteDialect) migrations() fs.FS { return migrationsFor("sqlite") }

// lockMigrations needs nothing on SQLite: every migration runs on the
// single write connection in a BEGIN IMMEDIATE transaction, which other
// processes' writers wait for.
func (sqliteDialect) lockMigrations(context.Context, *sql.Conn) (func(), error) {
	return func() {}, nil
}

// txOptions: SQLite's defaults. A read transaction in WAL mode reads one
// snapshot; the write pool's transactions begin IMMEDIATE (see openSQLite).
func (sqliteDialect) txOptions(bool) *sql.TxOptions { return nil }

func (sqliteDialect) translate(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return fpr.Errorf(fpr.CodeNotFound, "Not found.")
	}
	if fpr.ErrorCode(err) != fpr.CodeInternal {
		return err // translated already
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return fpr.Errorf(fpr.CodeConflict, "That already exists.")
		case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
			return errGone()
		}
		// Primary codes: the low byte of an extended code.
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
			// Another process held the write lock for all of busy_timeout.
			return errBusy(err)
		case sqlite3.SQLITE_INTERRUPT:
			// The request's deadline passed during the statement.
			return fpr.ErrUnavailable(err)
		case sqlite3.SQLITE_IOERR, sqlite3.SQLITE_FULL, sqlite3.SQLITE_CANTOPEN:
			// The disk failed or is full, or the file went away.
			return fpr.ErrUnavailable(err)
		}
	}
	if outage(err) {
		return fpr.ErrUnavailable(err)
	}
	return err
}

// writeCacheKiB is the page cache of the write connection, in KiB. A
// review insert touches a page of each of the reviews table's indexes,
// spread over the whole file; with SQLite's default 2 MB most of them
// were read from the file again for each write.
//
// A cache costs about twice its cache_size in resident memory: SQLite
// allocates each 4 KiB page with its header (about 4.3 KB) from the
// driver's C allocator, whose size classes are powers of two, so each
// takes 8 KiB (a 40 MB cache of a read-only scan made 78 MB). The 1 MiB of
// each read connection (readCacheKiB) is 2 MB. Measured with this one at
// 8 MB (16 MB resident) and at 4 MB, at 10 million reviews: 4 MB took
// 6-9 MB less peak memory under a flood of submissions and accepted about
// 5% fewer a second (1,430 against 1,500, three paired runs), and the
// bench's peak at 10 million was 98 MB with 8 MB.
const writeCacheKiB = 4 << 10

// readCacheKiB is the page cache of each read connection, in KiB: 1 MiB,
// half SQLite's default. A read connection's cache is emptied whenever
// another connection commits, so under writes it holds little for long;
// what reads touch most stays in it: the stamp index (products_stamp, about
// 100 pages at 10,000 products) and the upper levels of the review
// indexes. Each MiB costs about 2 MB resident (writeCacheKiB), so the bench's
// four read connections gave back 8-10 MB of peak memory, which the Go
// runtime's larger limit took (serveMemoryLimit in cmd/fpr).
const readCacheKiB = 1 << 10

// walCheckpointPages is how large the WAL grows, in pages, before the
// write connection copies it back into the database file after a commit
// (SQLite's default is 1,000 pages). Reviews change pages all over the
// file, and the committer stops writing while it checkpoints: with 1,000
// pages a checkpoint came every few hundred reviews and took 12% of the
// CPU of review submission. 16,000 pages (64 MB of WAL at 4 KiB) copies
// a page changed by many reviews once instead of once per checkpoint;
// review submission at 32 writers went from about 1,250 to 1,650 a
// second on one core (issue 14, stop 19's note). The cost: a checkpoint now pauses
// writes for longer (p99 of a submission 46 → 90 ms under that flood),
// the WAL file keeps up to 64 MB on disk, and recovery after a crash
// reads up to that much. Durability is unchanged: every commit is still
// in the WAL, fsynced, before it is acknowledged.
const walCheckpointPages = 16000

// writePragmas are the write connection's own settings.
var writePragmas = []string{
	"temp_store(MEMORY)",
	"cache_size(-" + strconv.Itoa(writeCacheKiB) + ")",
	"wal_autocheckpoint(" + strconv.Itoa(walCheckpointPages) + ")",
}

// readPragmas are the read connections' own settings.
var readPragmas = []string{
	"cache_size(-" + strconv.Itoa(readCacheKiB) + ")",
}

// pragmaQuery encodes pragmas as the driver's _pragma parameters.
func pragmaQuery(pragmas ...string) string {
	q := url.Values{}
	for _, p := range pragmas {
		q.Add("_pragma", p)
	}
	return q.Encode()
}

// openSQLite opens the file at path, creating its folder, with two pools:
// one connection for writes, several for reads.
//
// The pragmas, and why:
//   - journal_mode=WAL: readers do not block the writer nor it them.
//   - synchronous=FULL: an acknowledged review must survive a power cut, as
//     it would on PostgreSQL; NORMAL can lose the last commits on an OS crash.
//   - foreign_keys=ON: SQLite leaves them off by default.
//   - busy_timeout: another process (fpr migrate, fpr restore, a second
//     serve) holding the write lock makes us wait up to sqliteBusyTimeout
//     instead of failing at once; then the request answers 503 unavailable.
//     It is bounded below the HTTP request deadline, so a request never
//     waits for the database longer than a few seconds.
//   - on the write connection only (writePragmas): temp_store=MEMORY,
//     so the sub-journal of a SAVEPOINT (every operation of a group
//     commit batch runs in one, group.go) keeps its page copies in memory
//     instead of writing each to a temporary file; they live only until
//     the savepoint is released, and nothing durable is in them: the WAL
//     and its fsync at COMMIT are unchanged. Readers keep temporary files
//     for large sorts. And a larger page cache (writeCacheKiB) and fewer,
//     larger checkpoints (walCheckpointPages).
//   - on the read connections only (readPragmas): a smaller page cache
//     (readCacheKiB).
//   - _txlock=immediate on the write pool: a writing transaction takes the
//     write lock at BEGIN, so it never fails midway upgrading a read lock.
func openSQLite(path string, maxOpen int) (read, write *sql.DB, err error) {
	if path == "" {
		return nil, nil, errors.New("sqlite: empty path")
	}
	if dir := filepath.Dir(path); dir != "." {
		if err := os.MkdirAll(dir, 0o750); err != nil { //nolint:gosec // G703: the operator's own FPR_DATABASE_URL names the folder
			return nil, nil, fmt.Errorf("create database folder: %w", err)
		}
	}
	dsn := "file:" + path + "?" + pragmaQuery("journal_mode(WAL)", "synchronous(FULL)", "foreign_keys(ON)",
		"busy_timeout("+strconv.Itoa(int(sqliteBusyTimeout.Milliseconds()))+")")
	write, err = sql.Open("sqlite", dsn+"&"+pragmaQuery(writePragmas...)+"&_txlock=immediate")
	if err != nil {
		return nil, nil, fmt.Errorf("open sqlite: %w", err)
	}
	write.SetMaxOpenConns(1)
	write.SetMaxIdleConns(1)
	write.SetConnMaxLifetime(0)
	read, err = sql.Open("sqlite", dsn+"&"+pragmaQuery(readPragmas...))
	if err != nil {
		_ = write.Close()
		return nil, nil, fmt.Errorf("open sqlite: %w", err)
	}
	if maxOpen <= 0 {
		maxOpen = max(4, runtime.NumCPU()*2)
	}
	read.SetMaxOpenConns(maxOpen)
	read.SetMaxIdleConns(maxOpen)
	// Make the file (and WAL mode, which is persistent) now, on the writer,
	// so concurrent first readers do not race to create it.
	if _, err := write.Exec("SELECT 1"); err != nil {
		_ = write.Close()
		_ = read.Close()
		return nil, nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	return read, write, nil
}

// openSQLiteLoading opens the new file at path for CreateSQLite: one
// connection, holding the file exclusively (locking_mode=EXCLUSIVE), no
// journal and no syncs (a crash loses a file that is thrown away), 1 GiB
// of page cache (the indexes kept during the load change pages all over
// them), and two sorter threads for the sorts of CREATE INDEX. Temporary
// data stays in files (temp_store DEFAULT): with temp_store=MEMORY the
// sorter allocates and frees each record on its own instead of filling
// one buffer, which cost a tenth of a 10-million-review load.
func openSQLiteLoading(path string) (*sql.DB, error) {
	q := url.Values{}
	for _, p := range []string{"locking_mode(EXCLUSIVE)", "journal_mode(OFF)", "synchronous(OFF)", "foreign_keys(ON)",
		"cache_size(-1048576)", "threads(2)"} {
		q.Add("_pragma", p)
	}
	conn, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("open sqlite: %w", err)
	}
	conn.SetMaxOpenConns(1)
	conn.SetMaxIdleConns(1)
	conn.SetConnMaxLifetime(0)
	if _, err := conn.Exec("SELECT 1"); err != nil {
		_ = conn.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	return conn, nil
}

// Full-text search on SQLite: the FTS5 tables products_search and
// farms_search (0011_farms.sql) hold each product's name, description,
// farm name and region, and each farm's name, region and description,
// tokenized with unicode61 (diacritics removed, so "creme" finds "Crème"
// and case does not matter) and stemmed by porter, so "tomatoes" finds
// "Tomato". (products_fts of 0001 is no longer written.)

func (sqliteDialect) indexProducts(ctx context.Context, tx *Tx, where string, args ...any) error {
	if err := (sqliteDialect{}).unindexProducts(ctx, tx, where, args...); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO products_search (product_id, name, description, farm_name, region)
		SELECT p.id, p.name, p.description, f.name, f.region FROM products p JOIN farms f ON f.id = p.farm_id WHERE `+where, args...)
	if err != nil {
		return fmt.Errorf("index products: %w", err)
	}
	return nil
}

func (sqliteDialect) unindexProducts(ctx context.Context, tx *Tx, where string, args ...any) error {
	_, err := tx.ExecContext(ctx, `DELETE FROM products_search WHERE product_id IN (SELECT p.id FROM products p WHERE `+where+`)`, args...)
	if err != nil {
		return fmt.Errorf("unindex products: %w", err)
	}
	return nil
}

func (sqliteDialect) indexFarms(ctx context.Context, tx *Tx, where string, args ...any) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM farms_search WHERE farm_id IN (SELECT f.id FROM farms f WHERE `+where+`)`, args...); err != nil {
		return fmt.Errorf("index farms: %w", err)
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO farms_search (farm_id, name, region, description)
		SELECT f.id, f.name, f.region, f.description FROM farms f WHERE `+where, args...)
	if err != nil {
		return fmt.Errorf("index farms: %w", err)
	}
	return nil
}

// ftsQuery turns terms into an FTS5 query. Each term is quoted, so
// nothing a user types is read as FTS5 syntax (AND, OR, NOT, NEAR, column
// filters, parentheses); every term must match, and the last is a prefix
// ("tom" finds "tomatoes"). The porter tokenizer stems the query's terms
// as it stemmed the documents.
func ftsQuery(terms []string) string {
	var b strings.Builder
	for i, t := range terms {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(`"` + strings.ReplaceAll(t, `"`, `""`) + `"`)
		if i == len(terms)-1 {
			b.WriteByte('*')
		}
	}
	return b.String()
}

// productSearch matches terms with FTS5 (ftsQuery). bm25 weighs a hit in
// the name 10 times one in the description, and the farm name and region
// 4 times; bm25 is negative, lower is better.
func (sqliteDialect) productSearch(terms []string, arg func(any) string) (join, cond, rank string, err error) {
	return `JOIN products_search ON products_search.product_id = p.id`,
		`products_search MATCH ` + arg(ftsQuery(terms)),
		`bm25(products_search, 0.0, 10.0, 1.0, 4.0, 4.0)`, nil
}

// farmSearch matches terms against farms_search: the name weighs 10, the
// region 4, the description 1.
func (sqliteDialect) farmSearch(terms []string, arg func(any) string) (join, cond, rank string, err error) {
	return `JOIN farms_search ON farms_search.farm_id = f.id`,
		`farms_search MATCH ` + arg(ftsQuery(terms)),
		`bm25(farms_search, 0.0, 10.0, 4.0, 1.0)`, nil
}

// unboundStatements has nothing to do on SQLite: a statement is bounded
// by its context (the request's deadline), and a bulk load has none.
func (sqliteDialect) unboundStatements(context.Context, *Tx) error { return nil }

// bulkVar is "?" on SQLite: the driver looks each $n name up in a list
// that grows with the statement, which makes binding thousands of $n
// values quadratic; positional "?" values are bound directly.
func (sqliteDialect) bulkVar(int) string { return "?" }

// bulkCache gives a bulk load up to 1 GiB of page cache and keeps
// statement journals in memory: loading a million reviews inserts into
// several indexes in random order, and with the default 2 MB cache each
// insert would read and spill pages; and each multi-row INSERT in the
// transaction journals the pages it changes (to undo itself alone on
// failure) in a temporary file by default.
func (sqliteDialect) bulkCache(ctx context.Context, ex execer, on bool) error {
	size, temp := -writeCacheKiB, "MEMORY" // openSQLite's settings; the size is in KiB
	if on {
		size, temp = -1<<20, "MEMORY"
	}
	for _, q := range []string{"PRAGMA cache_size = " + strconv.Itoa(size), "PRAGMA temp_store = " + temp} {
		if _, err := ex.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("bulk pragmas: %w", err)
		}
	}
	return nil
}

// bulkDropIndexes drops table's named indexes (those of constraints stay)
// except those led by keepLead, returning their CREATE statements from the
// schema: building an index from millions of rows at the end sorts once,
// while keeping it means a random insert per row. An index led by
// keepLead (product_id: the loads add reviews product by product, in
// product ID order) grows at its end, which costs less than a sort.
func (sqliteDialect) bulkDropIndexes(ctx context.Context, tx *Tx, table, keepLead string) ([]string, error) {
	return dropListedIndexes(ctx, tx, table, `SELECT m.name, m.sql FROM sqlite_master m
		WHERE m.type = 'index' AND m.tbl_name = $1 AND m.sql IS NOT NULL
		AND NOT EXISTS (SELECT 1 FROM pragma_index_info(m.name) i WHERE i.seqno = 0 AND i.name = $2)
		ORDER BY m.name`, keepLead)
}

// bulkSuspendTriggers drops table's triggers and returns their CREATE
// statements from the schema.
func (sqliteDialect) bulkSuspendTriggers(ctx context.Context, tx *Tx, table string) ([]string, error) {
	return dropListed(ctx, tx, "TRIGGER", table,
		`SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = $1 ORDER BY name`, table)
}

// bulkAnalyze does nothing on SQLite: FPR's SQLite databases have no
// statistics tables (sqlite_stat1), and the plans, tested without them,
// stay the same after a load.
func (sqliteDialect) bulkAnalyze(context.Context, *Tx, []string) error { return nil }

// bulkRows is 1 on SQLite: in a transaction, a multi-row INSERT first
// copies every existing page it will change into a statement journal (to
// undo itself alone on a constraint failure), which costs more than it
// saves; a prepared one-row INSERT needs no statement journal, and
// in-process calls are cheap.
func (sqliteDialect) bulkRows() int { return 1 }
