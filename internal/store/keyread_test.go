package store

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/fpr-team/fpr"
)

// TestKeyRead_WaitsForASlotOnlyUntilTheDeadline: with every key read
// connection taken (as when each is stuck on a dead disk), a stamp read
// and a session lookup end at their request's deadline, as
// unavailable, instead of waiting without one; once a slot frees, reads
// go on.
func TestKeyRead_WaitsForASlotOnlyUntilTheDeadline(t *testing.T) {
	t.Parallel()
	db := mustOpenInternal(t)
	if db.keys == nil {
		t.Fatal("SQLite database without key reader")
	}
	product := mustRawProduct(t, db, 1)[0]
	for range cap(db.keys.slots) {
		db.keys.slots <- struct{}{}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := db.ProductStamp(ctx, product)
	if fpr.ErrorCode(err) != fpr.CodeUnavailable || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("stamp read with every slot taken: %v (code %q), want unavailable from the deadline", err, fpr.ErrorCode(err))
	}
	_, _, err = db.FindSession(ctx, "no-such-token-hash")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("session lookup with every slot taken: %v, want the deadline's error", err)
	}
	<-db.keys.slots // one connection comes back
	if _, err := db.ProductStamp(context.Background(), product); err != nil {
		t.Fatalf("stamp read after a slot freed: %v", err)
	}
	if _, _, err := db.FindSession(context.Background(), "no-such-token-hash"); fpr.ErrorCode(err) != fpr.CodeNotFound {
		t.Fatalf("unknown session: %v, want not_found", err)
	}
}

// TestKeyRead_ConcurrentReadsSeeEveryCommit: 16 readers read a product's
// stamp while a writer moves it; a read begun after a write was
// acknowledged never sees an older stamp, and no reader gets an error
// (slots never outnumber connections, so none waits on the pool).
func TestKeyRead_ConcurrentReadsSeeEveryCommit(t *testing.T) {
	t.Parallel()
	db := mustOpenInternal(t)
	product := mustRawProduct(t, db, 1)[0]
	ctx := context.Background()
	var (
		mu        sync.Mutex
		committed int64 // the stamp after the last acknowledged write
	)
	committed, err := db.ProductStamp(ctx, product)
	if err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for range 16 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				mu.Lock()
				floor := committed
				mu.Unlock()
				rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
				got, err := db.ProductStamp(rctx, product)
				cancel()
				if err != nil {
					errs <- err
					return
				}
				if got < floor {
					errs <- errors.New("a read saw a stamp older than an acknowledged write")
					return
				}
			}
		})
	}
	for i := range 50 {
		if err := db.inTx(ctx, true, func(tx *Tx) error {
			_, err := tx.ExecContext(ctx, `UPDATE products SET name = $1 WHERE id = $2`, "Renamed "+string(rune('a'+i%26)), product)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		s, err := db.ProductStamp(ctx, product)
		if err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		committed = s
		mu.Unlock()
	}
	close(stop)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if len(db.keys.slots) != 0 {
		t.Errorf("%d slots still taken after every read returned", len(db.keys.slots))
	}
}
