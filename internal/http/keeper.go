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

// keepQueueBytes bounds the bodies waiting to be stored: 512 KiB, about 50
// pages, what one write round stores in a few milliseconds. More would
// only hold memory: a page dropped is made again by its next request.
const keepQueueBytes = 512 << 10

// keepPagesPerSecond bounds the pages written a second: 1,000, 10 MB.
// When every product changes at once (a flood of reviews over the whole
// catalogue), the first request of each page makes it again; writing each
// at once made the writer's and the allocator's memory grow by several
// MB under the bench (peak resident memory up to 108 MB against 93-95
// without the writes), for pages most of which are asked for rarely.
const keepPagesPerSecond = 1000

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

		start := time.Now()
		ctx, cancel := context.WithTimeout(context.Background(), keepTimeout)
		err := k.store(ctx, pages)
		cancel()
		if err != nil {
			k.dropped.Add(int64(len(pages)))
			k.log.Warn("kept pages not stored", "pages", len(pages), "err", err)
		} else {
			k.stored.Add(int64(len(pages)))
		}
		// At most keepPagesPerSecond: meanwhile new pages queue, and
		// past the queue's bound are dropped.
		time.Sleep(time.Until(start.Add(time.Duration(len(pages)) * time.Second / keepPagesPerSecond)))
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
