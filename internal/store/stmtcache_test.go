package store

import (
	"context"
	"fmt"
	"testing"
)

// TestStmtCache: a query run in transactions is prepared after its first
// run and then served prepared, on the read and the write pool, with the
// same results; a statement that does not prepare keeps reporting its own
// error; texts with several statements and queries beyond the bound are
// never cached.
func TestStmtCache(t *testing.T) {
	t.Parallel()
	db := mustOpenInternal(t)
	ctx := context.Background()
	products := mustRawProduct(t, db, 3)
	const q = `SELECT COUNT(*) FROM products WHERE id <> $1`
	count := func() int {
		var n int
		if err := db.inTx(ctx, false, func(tx *Tx) error { return tx.QueryRowContext(ctx, q, products[0]).Scan(&n) }); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if got := count(); got != 2 {
		t.Fatalf("first run = %d, want 2", got)
	}
	if db.rstmts.lookup(q) != nil || !db.rstmts.wanted[q] {
		t.Fatal("after its first run the query should be noted, not yet prepared")
	}
	if got := count(); got != 2 {
		t.Fatalf("second run = %d, want 2", got)
	}
	if db.rstmts.lookup(q) == nil {
		t.Fatal("the query is not prepared after its second transaction began")
	}
	for range 3 {
		if got := count(); got != 2 {
			t.Fatalf("prepared run = %d, want 2", got)
		}
	}

	// Writes, in group commit batches, through the write pool's cache.
	const upd = `UPDATE products SET name = $1 WHERE id = $2`
	for i := range 4 {
		err := db.inTx(ctx, true, func(tx *Tx) error {
			_, err := tx.ExecContext(ctx, upd, fmt.Sprint("name ", i), products[1])
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if db.wstmts.lookup(upd) == nil {
		t.Error("the update is not prepared on the write pool")
	}
	var name string
	if err := db.readRow(ctx, `SELECT name FROM products WHERE id = $1`, products[1]).Scan(&name); err != nil || name != "name 3" {
		t.Errorf("name = %q, %v; want the last update", name, err)
	}

	// A bad statement is never cached and reports its error every time.
	for range 3 {
		err := db.inTx(ctx, false, func(tx *Tx) error {
			var n int
			return tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM no_such_table`).Scan(&n)
		})
		if err == nil {
			t.Fatal("a query of a missing table succeeded")
		}
	}
	if db.rstmts.lookup(`SELECT COUNT(*) FROM no_such_table`) != nil {
		t.Error("a statement that does not prepare is cached")
	}
	multi := `UPDATE products SET unit = 'box' WHERE id = '` + products[2] + `'; UPDATE products SET unit = 'bag' WHERE id = '` + products[0] + `'`
	for range 2 {
		if err := db.inTx(ctx, true, func(tx *Tx) error { _, err := tx.ExecContext(ctx, multi); return err }); err != nil {
			t.Fatal(err)
		}
	}
	if db.wstmts.lookup(multi) != nil || db.wstmts.wanted[multi] {
		t.Error("a text of several statements is cached")
	}
	var units string
	if err := db.readRow(ctx, `SELECT group_concat(unit, ',') FROM (SELECT unit FROM products WHERE id IN ($1, $2) ORDER BY id)`, products[0], products[2]).Scan(&units); err != nil {
		t.Fatal(err)
	}
	if units != "bag,box" && units != "box,bag" {
		t.Errorf("units = %q: both statements of the text must run", units)
	}

	// The bound: queries beyond it run unprepared.
	for i := range maxCachedStmts + 10 {
		var n int
		if err := db.readRow(ctx, fmt.Sprintf(`SELECT %d`, i)).Scan(&n); err != nil || n != i {
			t.Fatalf("SELECT %d = %d, %v", i, n, err)
		}
	}
	db.rstmts.mu.Lock()
	size := len(db.rstmts.stmts) + len(db.rstmts.wanted)
	db.rstmts.mu.Unlock()
	if size > maxCachedStmts {
		t.Errorf("the read cache holds %d statements, more than %d", size, maxCachedStmts)
	}
}
