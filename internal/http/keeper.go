package http

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fpr-team/fpr"
)

// A pageKeeper stores answers in the database for later reads
// (fpr.ProductService.KeptPage): the first page of each product's reviews,
// about 10 KB each, too many to keep in memory for a whole catalogue
// (10,000 products would take 100 MB). A request that made such a page
// queues it and answers at once; one goroutine, started when the queue
// gets its first page and ending when it is empty, writes what is queued
// in a few transactions of group commit. It is a cache, so nothing waits
// for it: past keepQueueBytes, pages are dropped (counted), and a write
// that fails is logged and forgotten.
type pageKeeper struct {
	store func(ctx context.Context, pages []fpr.KeptPage) error
	log   *slog.Logger

	mu      sync.Mutex
	queue   []fpr.KeptPage
	queued  map[string]int // product and variant to its index in queue
	bytes   int
	running bool

	stored, dropped atomic.Int64
}

// keepQueueBytes bounds the bodies waiting to be stored: 2 MiB, about 200
// pages of 10 KB. The writer stores what waits as fast as the database's
// one writer takes it, sharing its group commits with other writes; past
// the bound, pages are dropped and made again by their next request.
//
// There is no bound on the pages written a second. A page is written at
// most once for each change of its product that a request then reads, so
// the writes follow the site's own writes. A bound of 1,000 a second
// (with 512 KiB of queue) only made pages again: after a flood of reviews
// had moved every product's stamp, half the first pages made were dropped
// and made again by their next request, a miss of about 400 µs where
// storing costs less (reviews page 1 at 4,500-5,100 requests a second
// against 5,200-6,600 without it, in pairs on one core).
const keepQueueBytes = 2 << 20

// keepTimeout bounds one round of writes.
const keepTimeout = 10 * time.Second

func newPageKeeper(store func(context.Context, []fpr.KeptPage) error, log *slog.Logger) *pageKeeper {
	return &pageKeeper{store: store, log: log, queued: map[string]int{}}
}

// add queues p, replacing a page of the same product and variant that
// waits, and starts the writer unless it runs.
func (k *pageKeeper) add(p fpr.KeptPage) {
	id := p.ProductID + "\x00" + p.Variant
	k.mu.Lock()
	if i, ok := k.queued[id]; ok {
		k.bytes += len(p.Body) - len(k.queue[i].Body)
		k.queue[i] = p
		k.mu.Unlock()
		return
	}
	if k.bytes+len(p.Body) > keepQueueBytes {
		k.mu.Unlock()
		k.dropped.Add(1)
		return
	}
	k.queued[id] = len(k.queue)
	k.queue = append(k.queue, p)
	k.bytes += len(p.Body)
	start := !k.running
	k.running = true
	k.mu.Unlock()
	if start {
		go k.run()
	}
}

// run writes what is queued until the queue is empty.
func (k *pageKeeper) run() {
	for {
		k.mu.Lock()
		pages := k.queue
		if len(pages) == 0 {
			k.running = false
			k.mu.Unlock()
			return
		}
		k.queue, k.bytes = nil, 0
		clear(k.queued)
		k.mu.Unlock()

		ctx, cancel := context.WithTimeout(context.Background(), keepTimeout)
		err := k.store(ctx, pages)
		cancel()
		if err != nil {
			k.dropped.Add(int64(len(pages)))
			k.log.Warn("kept pages not stored", "pages", len(pages), "err", err)
		} else {
			k.stored.Add(int64(len(pages)))
		}
	}
}

// wait waits until the writer has stored what was queued and stopped, or
// ctx ends.
func (k *pageKeeper) wait(ctx context.Context) error {
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		k.mu.Lock()
		idle := !k.running
		k.mu.Unlock()
		if idle {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}

// waitingBytes returns the bytes of the pages queued.
func (k *pageKeeper) waitingBytes() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.bytes
}
