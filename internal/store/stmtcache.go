package store

import (
	"context"
	"database/sql"
	"strings"
	"sync"
)

// Prepared statements on SQLite. The driver compiles every statement it is
// given anew, and compiling (parsing, planning) cost as much as running the
// short queries of a product page or a review insert. So each pool keeps
// the statements of the queries run in its transactions, by their text:
// Tx methods run a cached statement (database/sql prepares it once per
// connection and reuses it), and a query seen for the first time runs
// unprepared and is prepared later, outside any transaction (preparing on
// the pool inside one could wait for a connection the transaction holds).
//
// PostgreSQL needs none of this: pgx caches prepared statements itself.

// maxCachedStmts bounds the statements kept per pool: the store's queries
// are a fixed set, but lists build some of theirs from their filters.
const maxCachedStmts = 512

// stmtCache holds one pool's prepared statements.
type stmtCache struct {
	pool *sql.DB

	mu     sync.Mutex
	stmts  map[string]*sql.Stmt
	wanted map[string]bool // seen, to prepare at the next prepareWanted
	failed map[string]bool // did not prepare: always run unprepared
}

func newStmtCache(pool *sql.DB) *stmtCache {
	return &stmtCache{pool: pool, stmts: map[string]*sql.Stmt{}, wanted: map[string]bool{}, failed: map[string]bool{}}
}

// lookup returns the prepared statement of query, or nil (then noting it
// to prepare later).
func (c *stmtCache) lookup(query string) *sql.Stmt {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if s := c.stmts[query]; s != nil {
		return s
	}
	// A text with several statements is run whole by Exec but would be
	// prepared as its first statement only.
	if !c.failed[query] && len(c.stmts)+len(c.wanted) < maxCachedStmts && !strings.Contains(query, ";") {
		c.wanted[query] = true
	}
	return nil
}

// prepareWanted prepares the queries noted by lookup. The caller must hold
// no connection of the pool.
func (c *stmtCache) prepareWanted(ctx context.Context) {
	if c == nil {
		return
	}
	c.mu.Lock()
	if len(c.wanted) == 0 {
		c.mu.Unlock()
		return
	}
	var queries []string
	for q := range c.wanted {
		queries = append(queries, q)
	}
	clear(c.wanted)
	c.mu.Unlock()
	for _, q := range queries {
		s, err := c.pool.PrepareContext(ctx, q) //nolint:sqlclosecheck // kept in the cache; close closes it
		c.mu.Lock()
		if err != nil {
			// Not a statement SQLite prepares alone: it keeps running as
			// given, which reports any real error to its caller.
			c.failed[q] = true
		} else {
			c.stmts[q] = s
		}
		c.mu.Unlock()
	}
}

// get returns the prepared statement of query, preparing it now when it
// is new: for queries on the pool outside a transaction, which need a
// connection anyway. nil: run query as given.
func (c *stmtCache) get(ctx context.Context, query string) *sql.Stmt {
	if c == nil {
		return nil
	}
	if s := c.lookup(query); s != nil {
		return s
	}
	c.prepareWanted(ctx)
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stmts[query]
}

// close closes the prepared statements.
func (c *stmtCache) close() {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for q, s := range c.stmts {
		_ = s.Close()
		delete(c.stmts, q)
	}
}

// stmt returns query's statement bound to tx, or nil to run query as given.
func (tx *Tx) stmt(ctx context.Context, query string) *sql.Stmt {
	s := tx.cache.lookup(query)
	if s == nil {
		return nil
	}
	return tx.StmtContext(ctx, s)
}
