package store

import (
	"context"
	"database/sql"
	"runtime"
)

// Key reads on SQLite. A read of one row by its key (a product's stamp
// before a kept answer is served, a session by its token on every signed-in
// request) takes a few microseconds in SQLite, and as long again in the
// machinery that makes it cancellable: for a context that can end,
// database/sql starts a goroutine to watch it for every query, and the
// driver starts another and installs a progress handler (measured: 4.8 µs
// for a stamp read with a plain context, 9.2 µs with a request's deadline).
// Cancelling such a read buys nothing: it cannot wait for a lock (WAL
// readers do not) and is over before an interrupt would land; the one thing
// it can wait for with a deadline is a free connection.
//
// So key reads run on a pool of their own, with one slot per connection:
// a read first takes a slot, waiting on the request's context (a request
// past its deadline, or whose connections are all stuck on a dead disk,
// answers 503 unavailable as before), and then runs with the deadline
// removed, on a connection the slot guarantees is free. PostgreSQL reads
// keep their context: there a read crosses the network.
type keyReader struct {
	pool  *sql.DB
	slots chan struct{}
	stmts *stmtCache
}

// keyReadConns is the number of connections (and slots) for key reads:
// one per processor that runs Go code.
func keyReadConns() int { return runtime.GOMAXPROCS(0) }

func newKeyReader(pool *sql.DB, conns int) *keyReader {
	pool.SetMaxOpenConns(conns)
	pool.SetMaxIdleConns(conns)
	return &keyReader{pool: pool, slots: make(chan struct{}, conns), stmts: newStmtCache(pool)}
}

func (k *keyReader) close() error {
	if k == nil {
		return nil
	}
	k.stmts.close()
	return k.pool.Close()
}

// keyRow runs query, which must read at most one row by a key, and
// returns the function that scans that row (sql.Row.Scan's contract:
// sql.ErrNoRows when there is none). On SQLite it runs as a key read
// (keyReader); elsewhere it is readRow.
func (db *DB) keyRow(ctx context.Context, query string, args ...any) func(dest ...any) error {
	k := db.keys
	if k == nil {
		return db.readRow(ctx, query, args...).Scan
	}
	return func(dest ...any) error {
		select {
		case k.slots <- struct{}{}:
		case <-ctx.Done():
			return ctx.Err()
		}
		defer func() { <-k.slots }()
		// A slot per connection: a free connection is waiting, so the
		// pool hands it over at once, and the read needs no deadline.
		rctx := context.WithoutCancel(ctx)
		if s := k.stmts.get(rctx, query); s != nil { //nolint:sqlclosecheck // kept in the cache; close closes it
			return s.QueryRowContext(rctx, args...).Scan(dest...)
		}
		return k.pool.QueryRowContext(rctx, query, args...).Scan(dest...) //nolint:gosec,nolintlint // G701: passes the store's own SQL on, values bound
	}
}
