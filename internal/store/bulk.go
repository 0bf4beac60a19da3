package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/fpr-team/fpr"
)

// Loader inserts many rows fast, in one transaction, for `fpr seed` and the
// demo catalogue: rows are buffered and written by multi-row INSERTs through
// prepared statements. It writes exactly what it is given (IDs, times,
// rating summaries) and checks no permissions: it is for the operator's
// commands, never for requests.
type Loader struct {
	tx     *Tx
	ctx    context.Context
	tables map[string]*bulkTable
	// products and farms are set when products or farms were added, so
	// their search entries and the farms' summaries are written at the end.
	products, farms bool
	// copyConn is the connection of tx on PostgreSQL: rows are written by
	// COPY on it (in tx), not by INSERTs.
	copyConn *sql.Conn
}

// copyRows is the rows per COPY on PostgreSQL: one round trip (and one
// buffer of values) per 5,000 rows.
const copyRows = 5000

// inConnTx runs fn in a write transaction on conn and commits when it
// returns nil.
func (db *DB) inConnTx(ctx context.Context, conn *sql.Conn, fn func(tx *Tx) error) error {
	stx, err := conn.BeginTx(ctx, db.dialect.txOptions(true))
	if err != nil {
		return db.dialect.translate(err)
	}
	tx := &Tx{Tx: stx, db: db, now: db.txNow()}
	defer func() { _ = tx.Rollback() }() // a no-op after Commit
	if err := fn(tx); err != nil {
		return db.dialect.translate(err)
	}
	return db.dialect.translate(tx.Commit())
}

// bulkTable buffers the rows of one INSERT.
type bulkTable struct {
	name   string
	cols   []string
	prefix string // INSERT INTO t (cols) VALUES
	ncols  int
	batch  int // rows per statement
	buf    []any
	stmt   *sql.Stmt // the INSERT of a full batch, prepared once
}

// Columns of the tables the loader writes.
var bulkColumns = map[string][]string{
	"users":          {"id", "email", "email_key", "display_name", "role", "password_hash", "probe", "created_at", "email_verified_at"},
	"farms":          {"id", "owner_id", "name", "slug", "region", "description", "created_at"},
	"products":       {"id", "farm_id", "name", "slug", "category", "description", "unit", "created_at", "rating_count", "rating_sum", "rating_1", "rating_2", "rating_3", "rating_4", "rating_5", "rating_score"},
	"reviews":        {"id", "product_id", "author_id", "rating", "title", "body", "status", "helpful_count", "probe", "created_at", "updated_at"},
	"review_replies": {"review_id", "author_id", "body", "created_at", "updated_at"},
	"sessions":       {"token_hash", "id", "user_id", "kind", "created_at", "last_used_at", "expires_at"},
}

// Load runs fn with a Loader in one write transaction; when fn returns nil
// it flushes the buffered rows, writes the search entries of the added
// products, and commits. Nothing is written when fn fails.
func (db *DB) Load(ctx context.Context, fn func(l *Loader) error) error {
	// Its own transaction, on a connection of its own: a bulk load is no
	// operation to batch, and on PostgreSQL it writes its rows by COPY on
	// the transaction's connection. (On SQLite it is the write pool's one
	// connection.)
	conn, err := db.write.Conn(ctx)
	if err != nil {
		return fmt.Errorf("bulk load: %w", db.dialect.translate(err))
	}
	defer conn.Close()
	// Before BEGIN: SQLite decides where statement journals go when the
	// transaction starts. A database made by CreateSQLite has its
	// settings from the start.
	if !db.loading {
		if err := db.dialect.bulkCache(ctx, conn, true); err != nil {
			return fmt.Errorf("bulk load: %w", err)
		}
	}
	err = db.inConnTx(ctx, conn, func(tx *Tx) error {
		l := &Loader{tx: tx, ctx: ctx, tables: map[string]*bulkTable{}}
		if db.dialect.name() == "postgres" {
			l.copyConn = conn
		}
		if err := db.dialect.unboundStatements(ctx, tx); err != nil {
			return err
		}
		rebuild, err := db.dialect.bulkDropIndexes(ctx, tx, "reviews", "product_id")
		if err != nil {
			return err
		}
		// The stamp triggers would update a product per review and reply
		// (and queue each update until commit on PostgreSQL); the load
		// moves every product's stamp once instead, below.
		for _, table := range []string{"reviews", "review_replies"} {
			resume, err := db.dialect.bulkSuspendTriggers(ctx, tx, table)
			if err != nil {
				return err
			}
			rebuild = append(rebuild, resume...)
		}
		if err := fn(l); err != nil {
			return err
		}
		// Parents before children, for the foreign keys.
		for _, t := range bulkTables {
			if err := l.flush(t); err != nil {
				return err
			}
		}
		for _, q := range rebuild {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return fmt.Errorf("rebuild index or trigger: %w", err)
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE products SET stamp = stamp + 1`); err != nil {
			return fmt.Errorf("move product stamps: %w", err)
		}
		if l.products || l.farms {
			if err := tx.recountFarms(ctx); err != nil {
				return err
			}
		}
		if l.farms {
			if err := db.dialect.indexFarms(ctx, tx, "1=1"); err != nil {
				return err
			}
		}
		if l.products {
			if err := db.dialect.indexProducts(ctx, tx, "1=1"); err != nil {
				return err
			}
		}
		return db.dialect.bulkAnalyze(ctx, tx, bulkTables)
	})
	// The write connection is pooled: give its cache back, after the
	// commit (or rollback), so the dirty pages are written first. (A
	// loading database's connection is closed after the load instead.)
	if !db.loading {
		if cerr := db.dialect.bulkCache(context.WithoutCancel(ctx), conn, false); cerr != nil && err == nil {
			err = cerr
		}
	}
	if err != nil {
		return fmt.Errorf("bulk load: %w", err)
	}
	return nil
}

// bulkRows is the number of rows per INSERT of a bulk load. Without a
// journal (CreateSQLite) SQLite keeps no statement journal either, so a
// multi-row INSERT saves the per-statement work of every row but one.
func (db *DB) bulkRows() int {
	if db.loading {
		return loadingRows
	}
	return db.dialect.bulkRows()
}

// loadingRows is the rows per INSERT into a loading database: 11 columns
// of reviews times 64 stays far under SQLite's 32766 bind values.
const loadingRows = 64

// add buffers one row of table, writing a full batch.
func (l *Loader) add(table string, values ...any) error {
	t := l.tables[table]
	if t == nil {
		cols := bulkColumns[table]
		t = &bulkTable{name: table, cols: cols, prefix: `INSERT INTO ` + table + ` (` + strings.Join(cols, ", ") + `) VALUES `,
			ncols: len(cols), batch: l.tx.db.bulkRows()}
		if l.copyConn != nil {
			t.batch = copyRows
		} else {
			stmt, err := l.tx.PrepareContext(l.ctx, t.sql(l.tx.db.dialect, t.batch))
			if err != nil {
				return fmt.Errorf("bulk %s: %w", table, err)
			}
			t.stmt = stmt
		}
		l.tables[table] = t
	}
	if len(values) != t.ncols {
		return fmt.Errorf("bulk %s: %d values for %d columns", table, len(values), t.ncols)
	}
	// Parents first: a child row may only be written after its parents.
	for _, parent := range bulkParents[table] {
		if err := l.flush(parent); err != nil {
			return err
		}
	}
	t.buf = append(t.buf, values...)
	if len(t.buf) == t.batch*t.ncols {
		if l.copyConn != nil {
			return l.flush(table)
		}
		if _, err := t.stmt.ExecContext(l.ctx, t.buf...); err != nil {
			return fmt.Errorf("bulk %s: %w", table, err)
		}
		t.buf = t.buf[:0]
	}
	return nil
}

// bulkTables are the tables the loader writes, parents before children.
var bulkTables = []string{"users", "farms", "products", "reviews", "review_replies", "sessions"}

// bulkParents lists the tables each table's foreign keys point to.
var bulkParents = map[string][]string{
	"farms":          {"users"},
	"products":       {"farms"},
	"reviews":        {"products", "users"},
	"review_replies": {"reviews", "users"},
	"sessions":       {"users"},
}

// flush writes the buffered rows of table.
func (l *Loader) flush(table string) error {
	t := l.tables[table]
	if t == nil || len(t.buf) == 0 {
		return nil
	}
	if l.copyConn != nil {
		if err := copyIn(l.ctx, l.copyConn, t); err != nil {
			return fmt.Errorf("bulk %s: %w", table, err)
		}
		t.buf = t.buf[:0]
		return nil
	}
	if _, err := l.tx.ExecContext(l.ctx, t.sql(l.tx.db.dialect, len(t.buf)/t.ncols), t.buf...); err != nil {
		return fmt.Errorf("bulk %s: %w", table, err)
	}
	t.buf = t.buf[:0]
	return nil
}

// sql returns the INSERT of n rows, with d's placeholders.
func (t *bulkTable) sql(d dialect, n int) string {
	var b strings.Builder
	b.WriteString(t.prefix)
	p := 1
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('(')
		for j := range t.ncols {
			if j > 0 {
				b.WriteByte(',')
			}
			b.WriteString(d.bulkVar(p))
			p++
		}
		b.WriteByte(')')
	}
	return b.String()
}

// AddUser adds u with the given password hash; u.ID and u.CreatedAt must
// be set.
//
// Loaded users count as verified (their e-mail at CreatedAt): the loads
// (demo, seed) give them published reviews, which an unverified account
// could not have.
func (l *Loader) AddUser(u *fpr.User, passwordHash string) error {
	return l.add("users", u.ID, u.Email, fpr.NormalizeEmail(u.Email), u.DisplayName, string(u.Role), passwordHash, u.Probe,
		micros(u.CreatedAt), micros(u.CreatedAt))
}

// AddFarm adds f as given (ID, owner, slug, time).
func (l *Loader) AddFarm(f *fpr.Farm) error {
	l.farms = true
	return l.add("farms", f.ID, f.OwnerID, f.Name, f.Slug, f.Region, f.Description, micros(f.CreatedAt))
}

// AddProduct adds p with its rating summary, which must agree with the
// published, non-probe reviews added for it (or be zero, with Recount
// called after adding the reviews). Its search entry is written at the end
// of Load.
func (l *Loader) AddProduct(p *fpr.Product) error {
	r := p.Rating
	h := r.Histogram
	l.products = true
	return l.add("products", p.ID, p.FarmID, p.Name, p.Slug, string(p.Category), p.Description, p.Unit, micros(p.CreatedAt),
		r.Count, r.Sum, h[0], h[1], h[2], h[3], h[4], r.BayesianAverage())
}

// AddReview adds r as given (ID, status, times, helpful count). Reviews
// are best added product by product, in product ID order, and each
// product's in (status, ID) order: the indexes led by the product then
// grow at their end and are kept during the load, and a page of a
// product's reviews is in a few neighbouring pages of the table. Any
// order gives the same database.
func (l *Loader) AddReview(r *fpr.Review) error {
	return l.add("reviews", r.ID, r.ProductID, r.Author.ID, r.Rating, r.Title, r.Body, string(r.Status), r.HelpfulCount, r.Probe,
		micros(r.CreatedAt), micros(r.UpdatedAt))
}

// AddReply adds the farm's reply to review reviewID.
func (l *Loader) AddReply(reviewID string, rp *fpr.Reply) error {
	return l.add("review_replies", reviewID, rp.Author.ID, rp.Body, micros(rp.CreatedAt), micros(rp.UpdatedAt))
}

// AddSession adds a session of kind for userID stored under tokenHash (see
// auth.NewToken), valid from created until expires.
func (l *Loader) AddSession(tokenHash, userID string, kind fpr.SessionKind, created, expires time.Time) error {
	return l.add("sessions", tokenHash, fpr.NewID(created), userID, string(kind), micros(created), micros(created), micros(expires))
}

// RecountRatings writes what has been added so far and rebuilds every
// product's rating summary from its reviews.
func (l *Loader) RecountRatings() error {
	for _, t := range bulkTables {
		if err := l.flush(t); err != nil {
			return err
		}
	}
	return l.tx.recountRatings(l.ctx)
}

// HasProducts reports whether the catalogue has any product.
func (db *DB) HasProducts(ctx context.Context) (bool, error) {
	var n int
	err := db.readRow(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM products LIMIT 1) AS p`).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("has products: %w", err)
	}
	return n > 0, nil
}

// HasFarms reports whether the catalogue has any farm.
func (db *DB) HasFarms(ctx context.Context) (bool, error) {
	var n int
	err := db.readRow(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM farms LIMIT 1) AS f`).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("has farms: %w", err)
	}
	return n > 0, nil
}

// ErrDatabaseExists is returned by CreateSQLite when its file exists.
var ErrDatabaseExists = errors.New("the database file exists")

// CreateSQLite makes a new SQLite database at path, migrated, and runs fn
// on it to fill it (with Load), much faster than on a database in use:
//
//   - fn writes a temporary file next to path (path + ".loading"), renamed
//     to path only after everything is written and synced, so a killed or
//     failed load leaves no database, never half of one;
//   - that file has no journal (journal_mode=OFF, synchronous=OFF) and one
//     connection holding it exclusively, with 1 GiB of page cache and its
//     temporary data in memory: nothing reads it while it loads, and a
//     crash loses only a file that is thrown away. Without a journal there
//     is no statement journal either, so Load writes multi-row INSERTs.
//
// At the end the file is switched to WAL (the mode openSQLite uses) and
// synced before the rename, and the folder after it. It returns
// ErrDatabaseExists, and writes nothing, when path exists.
func CreateSQLite(ctx context.Context, path string, opt Options, fn func(db *DB) error) (err error) {
	if _, err := os.Lstat(path); err == nil {
		return fmt.Errorf("create %s: %w", path, ErrDatabaseExists)
	} else if !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("create %s: %w", path, err)
	}
	tmp := path + ".loading"
	removeTmp := func() error {
		var errs []error
		for _, f := range []string{tmp, tmp + "-wal", tmp + "-shm", tmp + "-journal"} {
			if err := os.Remove(f); err != nil && !errors.Is(err, os.ErrNotExist) {
				errs = append(errs, err)
			}
		}
		return errors.Join(errs...)
	}
	// A file left by a load that was killed.
	if err := removeTmp(); err != nil {
		return fmt.Errorf("create %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			_ = removeTmp()
		}
	}()

	// Migrate on the usual settings, which also make the folder.
	mdb, err := Open(ctx, "sqlite:"+tmp, opt)
	if err != nil {
		return err
	}
	if _, err := mdb.Migrate(ctx); err != nil {
		_ = mdb.Close()
		return fmt.Errorf("migrate: %w", err)
	}
	if err := mdb.Close(); err != nil {
		return err
	}

	conn, err := openSQLiteLoading(tmp)
	if err != nil {
		return err
	}
	db := newDB(opt)
	db.dialect, db.read, db.write, db.loading = sqliteDialect{}, conn, conn, true
	db.rstmts = newStmtCache(conn)
	db.wstmts = db.rstmts
	if err := fn(db); err != nil {
		_ = conn.Close()
		return err
	}
	if _, err := conn.ExecContext(ctx, "PRAGMA journal_mode = WAL"); err != nil {
		_ = conn.Close()
		return fmt.Errorf("create %s: journal: %w", path, err)
	}
	db.rstmts.close()
	if err := conn.Close(); err != nil {
		return fmt.Errorf("create %s: %w", path, err)
	}
	if err := syncPath(tmp); err != nil {
		return fmt.Errorf("create %s: %w", path, err)
	}
	// Not over a database that appeared meanwhile (os.Rename would
	// replace it): link fails when path exists.
	if err := os.Link(tmp, path); err != nil {
		return fmt.Errorf("create %s: %w", path, err)
	}
	if err := os.Remove(tmp); err != nil {
		return fmt.Errorf("create %s: %w", path, err)
	}
	if err := syncPath(filepath.Dir(path)); err != nil {
		return fmt.Errorf("create %s: %w", path, err)
	}
	return nil
}

// syncPath flushes a file's or a folder's contents to the disk.
func syncPath(name string) error {
	f, err := os.Open(name) //nolint:gosec // G304: the operator's database file and its folder
	if err != nil {
		return err
	}
	err = f.Sync()
	return errors.Join(err, f.Close())
}

// dropListedIndexes drops the indexes of table that list (a dialect's
// query of its catalogue, taking table and keepLead, giving name and
// CREATE statement) names, and returns their CREATE statements.
func dropListedIndexes(ctx context.Context, tx *Tx, table, list, keepLead string) ([]string, error) {
	return dropListed(ctx, tx, "INDEX", table, list, table, keepLead)
}

// dropListed drops the schema objects of kind (INDEX, TRIGGER) of table
// that list, run with args, names (its rows give name and CREATE
// statement), and returns their CREATE statements.
func dropListed(ctx context.Context, tx *Tx, kind, table, list string, args ...any) ([]string, error) {
	what := strings.ToLower(kind)
	plural := what + "s"
	if kind == "INDEX" {
		plural = "indexes"
	}
	rows, err := tx.QueryContext(ctx, list, args...)
	if err != nil {
		return nil, fmt.Errorf("list %s of %s: %w", plural, table, err)
	}
	defer rows.Close()
	var names, creates []string
	for rows.Next() {
		var name, create string
		if err := rows.Scan(&name, &create); err != nil {
			return nil, fmt.Errorf("list %s of %s: %w", plural, table, err)
		}
		names, creates = append(names, name), append(creates, create)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list %s of %s: %w", plural, table, err)
	}
	rows.Close()
	for _, name := range names {
		if _, err := tx.ExecContext(ctx, `DROP `+kind+` "`+strings.ReplaceAll(name, `"`, `""`)+`"`); err != nil {
			return nil, fmt.Errorf("drop %s %s: %w", what, name, err)
		}
	}
	return creates, nil
}
