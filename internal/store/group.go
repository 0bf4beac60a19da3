package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// Group commit on SQLite. With synchronous=FULL every COMMIT waits for an
// fsync of the WAL, and SQLite has one writer, so one transaction per
// write caps writes at one fsync each. Instead, write transactions
// (inTx with write=true) are queued to one goroutine, the committer, which
// runs all that are waiting in one database transaction, each inside its
// own SAVEPOINT, then commits once:
//
//   - each operation is still atomic: when its function fails, ROLLBACK TO
//     its savepoint undoes its statements alone and it gets its own error;
//     the others go on;
//   - each operation is acknowledged (its inTx returns nil) only after the
//     COMMIT of its batch has returned, so an acknowledged write is as
//     durable as before;
//   - when the batch cannot commit (or its transaction breaks midway),
//     every operation in it fails with that error and nothing of it is
//     written;
//   - operations run one after another on the one connection, so each sees
//     the committed data and the writes of the operations before it in
//     its batch: the same serial order as one transaction each.
//
// While a batch commits, the next one gathers; under load batches grow to
// the number of concurrent writers, with no timer and no added latency
// when there is a single writer.

// maxBatch bounds the operations of one batch, so one commit's latency
// stays bounded under a flood.
const maxBatch = 256

// writeOp is one queued write transaction.
type writeOp struct {
	ctx  context.Context
	fn   func(tx *Tx) error
	done chan error // receives the outcome once
	// state moves once from opQueued to opStarted (the committer runs it)
	// or to opAbandoned (its caller's context ended first; never run).
	state atomic.Int32
}

const (
	opQueued int32 = iota
	opStarted
	opAbandoned
)

// committer runs queued write transactions in batches.
type committer struct {
	db   *DB
	ops  chan *writeOp
	quit chan struct{}
	wg   sync.WaitGroup

	// closing guards closed: do sends only while the committer is open,
	// so nothing is queued after the loop's last drain.
	closing sync.RWMutex
	closed  bool

	// batches and committed count batches and operations committed;
	// busy is the time spent running batches (from run's start to the
	// moment the outcomes go out; not gathering), inCommit the part of it
	// in COMMIT (the WAL's writes, its fsync, and a checkpoint when one
	// falls due). For tests and metrics.
	mu                 sync.Mutex
	batches, committed int64
	largest            int
	busy, inCommit     time.Duration
}

// errClosed is the error of a write submitted after Close.
var errClosed = errors.New("database closed")

func newCommitter(db *DB) *committer {
	c := &committer{db: db, ops: make(chan *writeOp, maxBatch), quit: make(chan struct{})}
	c.wg.Add(1)
	go c.loop()
	return c
}

// do queues fn and waits for its outcome: nil only after its batch has
// committed. When ctx ends before the committer starts the operation, it
// is abandoned (never run) and do returns at once; once started, its
// outcome is awaited, so a caller never reports a failure for a write that
// commits.
func (c *committer) do(ctx context.Context, fn func(tx *Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	op := &writeOp{ctx: ctx, fn: fn, done: make(chan error, 1)}
	c.closing.RLock()
	if c.closed {
		c.closing.RUnlock()
		return errClosed
	}
	select {
	case c.ops <- op:
	case <-ctx.Done():
		c.closing.RUnlock()
		return ctx.Err()
	}
	c.closing.RUnlock()
	select {
	case err := <-op.done:
		return err
	case <-ctx.Done():
		if op.state.CompareAndSwap(opQueued, opAbandoned) {
			return ctx.Err()
		}
		return <-op.done // started: its outcome comes
	}
}

// close stops taking operations, runs those queued, and waits.
func (c *committer) close() {
	c.closing.Lock()
	already := c.closed
	c.closed = true
	c.closing.Unlock()
	if !already {
		close(c.quit)
	}
	c.wg.Wait()
}

func (c *committer) loop() {
	defer c.wg.Done()
	batch := make([]*writeOp, 0, maxBatch)
	for {
		select {
		case op := <-c.ops:
			batch = append(batch[:0], op)
		case <-c.quit:
			// Operations already queued still run; do refuses new ones.
			for {
				select {
				case op := <-c.ops:
					c.run([]*writeOp{op})
				default:
					return
				}
			}
		}
		batch = c.gather(batch)
		c.run(batch)
		clear(batch)
	}
}

// gatherRounds bounds the yields of one gather.
const gatherRounds = 4

// gather adds the operations already queued to batch. Before taking them
// it yields the processor, so requests that are ready to run (on their
// way to queue a write) get there first: with one core (GOMAXPROCS=1)
// they would otherwise run only while this batch commits, and join the
// next one, so batches would stay a few operations long and every few
// reviews would pay an fsync. It yields again while yielding brought new
// operations, at most gatherRounds times. No timer: when no other
// goroutine is ready, runtime.Gosched returns at once, so a lone writer
// waits for nothing.
func (c *committer) gather(batch []*writeOp) []*writeOp {
	for range gatherRounds {
		runtime.Gosched()
		n := len(batch)
	take:
		for len(batch) < maxBatch {
			select {
			case op := <-c.ops:
				batch = append(batch, op)
			default:
				break take
			}
		}
		if len(batch) == n || len(batch) == maxBatch {
			break
		}
	}
	return batch
}

// run executes one batch in one transaction and delivers every outcome.
func (c *committer) run(batch []*writeOp) {
	start := time.Now()
	errs := make([]error, len(batch))
	fail := func(err error) {
		for i := range errs {
			if errs[i] == nil {
				errs[i] = err
			}
		}
	}
	// The batch's own context: one caller's cancelled request must not
	// roll back the others' work (see Tx.stmtCtx).
	ctx := context.Background()
	// Before BEGIN: preparing on the pool needs its one connection.
	c.db.wstmts.prepareWanted(ctx)
	sqlTx, err := c.db.write.BeginTx(ctx, c.db.dialect.txOptions(true))
	if err != nil {
		fail(c.db.dialect.translate(err))
		c.deliver(batch, errs, 0, start, 0)
		return
	}
	ran := 0
	for i, op := range batch {
		if err := op.ctx.Err(); err != nil || !op.state.CompareAndSwap(opQueued, opStarted) {
			errs[i] = context.Cause(op.ctx) // its caller has gone
			continue
		}
		opErr, broken := c.runOne(ctx, sqlTx, op)
		if broken != nil {
			_ = sqlTx.Rollback()
			errs[i] = opErr
			fail(fmt.Errorf("group commit: %w", c.db.dialect.translate(broken)))
			c.deliver(batch, errs, 0, start, 0)
			return
		}
		errs[i] = opErr
		if opErr == nil {
			ran++
		}
	}
	commitStart := time.Now()
	if err := sqlTx.Commit(); err != nil {
		fail(fmt.Errorf("group commit: %w", c.db.dialect.translate(err)))
		ran = 0
	}
	c.deliver(batch, errs, ran, start, time.Since(commitStart))
}

// runOne runs op inside a savepoint of sqlTx. opErr is op's own outcome;
// broken is set when the transaction itself can no longer be used (a
// savepoint statement failed), which fails the whole batch.
func (c *committer) runOne(ctx context.Context, sqlTx *sql.Tx, op *writeOp) (opErr, broken error) {
	// The savepoint statements run prepared (tx.ExecContext), like the
	// operation's own: two of them for every operation of every batch.
	tx := &Tx{Tx: sqlTx, db: c.db, now: c.db.txNow(), batched: true, cache: c.db.wstmts}
	if _, err := tx.ExecContext(ctx, `SAVEPOINT op`); err != nil {
		return err, err
	}
	opErr = callOp(op.fn, tx)
	if opErr != nil {
		opErr = c.db.dialect.translate(opErr)
		if _, err := tx.ExecContext(ctx, `ROLLBACK TO op`); err != nil {
			return opErr, err
		}
	}
	if _, err := tx.ExecContext(ctx, `RELEASE op`); err != nil {
		return opErr, err
	}
	return opErr, nil
}

// callOp runs fn, turning a panic into an error of this operation alone
// (it is re-raised in the caller's goroutine by inTx).
func callOp(fn func(tx *Tx) error, tx *Tx) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = &opPanic{value: v}
		}
	}()
	return fn(tx)
}

// opPanic carries a panic of an operation's function to its caller.
type opPanic struct{ value any }

func (p *opPanic) Error() string { return fmt.Sprintf("panic in a write transaction: %v", p.value) }

// deliver counts the batch begun at start (inCommit of it in COMMIT) and
// sends each operation its outcome.
func (c *committer) deliver(batch []*writeOp, errs []error, committed int, start time.Time, inCommit time.Duration) {
	c.mu.Lock()
	c.batches++
	c.committed += int64(committed)
	c.largest = max(c.largest, len(batch))
	c.busy += time.Since(start)
	c.inCommit += inCommit
	c.mu.Unlock()
	for i, op := range batch {
		op.done <- errs[i]
	}
}

// GroupCommitStats are the figures of group commit: batches committed or
// failed, operations committed, the largest batch, the time the writer
// spent running batches (Busy), and the part of it in COMMIT (Commit).
// Busy grows by at most the time elapsed: its rate is the share of time
// the one writer works, and near 1 writes queue behind it.
type GroupCommitStats struct {
	Batches, Committed int64
	Largest            int
	Busy, Commit       time.Duration
}

// GroupCommitStats returns the figures of group commit (zero on PostgreSQL,
// which commits each transaction on its own).
func (db *DB) GroupCommitStats() GroupCommitStats {
	if db.group == nil {
		return GroupCommitStats{}
	}
	c := db.group
	c.mu.Lock()
	defer c.mu.Unlock()
	return GroupCommitStats{Batches: c.batches, Committed: c.committed, Largest: c.largest, Busy: c.busy, Commit: c.inCommit}
}
