package http

import (
	"container/list"
	"hash/maphash"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/fpr-team/fpr"
)

// A respCache keeps the JSON bodies of public product reads (detail and
// review pages), each with the product's stamp (fpr.Product.Stamp) read
// before the body was made. A later request reads the stamp alone, one
// primary key read, and gets the kept body while the stamp is the same:
// the database's triggers move the stamp in the transaction of any change
// the body shows, whichever instance or release wrote it, so a kept body
// is never older than the last change committed before the stamp read. It
// saves a read's SQL, scanning and encoding, not its round trip.
//
// Memory is bounded: at most maxBytes of keys and bodies (plus a fixed
// overhead per entry counted in), the least recently used going first.
// Only answers that succeeded are kept, under a product ID and (for a
// page) the values of the page's own query parameters, so a client cannot
// grow it past the bound, only make it forget sooner.
type respCache struct {
	seed   maphash.Seed
	shards [respCacheShards]respShard

	// seen, when set, admits an answer only at its second request within
	// about len(seen) requests (newRespCacheSeenTwice).
	seen []atomic.Uint64

	hits, misses atomic.Int64
	// storedHits counts answers served from the database's kept pages
	// (servePublic's variant).
	storedHits atomic.Int64
}

// respSeenSlots is the size of the admission table of
// newRespCacheSeenTwice: 4,096 slots, 32 KiB.
const respSeenSlots = 4096

// respCacheShards spreads the lock over shards for many cores.
const respCacheShards = 8

// respEntryOverhead approximates an entry's memory beyond its key and
// body: the list element, the entry, the map slot.
const respEntryOverhead = 160

type respShard struct {
	mu       sync.Mutex
	maxBytes int
	bytes    int
	items    map[string]*list.Element
	lru      list.List // of *respEntry, most recent first
}

type respEntry struct {
	key   string
	stamp int64
	body  []byte
}

// newRespCache returns a cache of at most maxBytes.
func newRespCache(maxBytes int) *respCache {
	c := &respCache{seed: maphash.MakeSeed()}
	for i := range c.shards {
		c.shards[i].maxBytes = maxBytes / respCacheShards
		c.shards[i].items = map[string]*list.Element{}
	}
	return c
}

// newRespCacheSeenTwice returns a cache of at most maxBytes that keeps an
// answer only when its key was asked for shortly before (admitted). Its
// answers are large and most are asked for rarely (the pages of reviews
// of a catalogue's long tail): keeping each at its first request would
// cost a stamp read, a copy and an eviction per request and push out the
// pages asked for often. With keys asked uniformly at random from 10,000
// (the bench), about 9% are admitted; a page asked for twice within a few
// thousand requests is kept.
func newRespCacheSeenTwice(maxBytes int) *respCache {
	c := newRespCache(maxBytes)
	c.seen = make([]atomic.Uint64, respSeenSlots)
	return c
}

// admit reports whether an answer for key is to be kept: always without
// an admission table; else when key's slot holds it from an earlier
// request, otherwise it takes the slot. Two keys sharing a slot push each
// other out, which only delays keeping them.
func (c *respCache) admit(key string) bool {
	if c.seen == nil {
		return true
	}
	h := maphash.String(c.seed, key) | 1 // 0 is an empty slot
	slot := &c.seen[(h>>32)%respSeenSlots]
	if slot.Load() == h {
		return true
	}
	slot.Store(h)
	return false
}

func (c *respCache) shard(key string) *respShard {
	return &c.shards[maphash.String(c.seed, key)%respCacheShards]
}

// get returns the body kept for key and the stamp read before it was made.
// The body is shared: callers only write it out.
func (c *respCache) get(key string) (stamp int64, body []byte, ok bool) {
	s := c.shard(key)
	s.mu.Lock()
	defer s.mu.Unlock()
	el := s.items[key]
	if el == nil {
		return 0, nil, false
	}
	s.lru.MoveToFront(el)
	e := el.Value.(*respEntry)
	return e.stamp, e.body, true
}

// put keeps body for key, made after reading stamp, in place of what was
// kept. (A slow request may put back a body older than the one it
// replaces: the next read of the stamp finds it out, as it finds out any
// change.) A body larger than an eighth of a shard is not kept.
func (c *respCache) put(key string, stamp int64, body []byte) {
	s := c.shard(key)
	size := len(key) + len(body) + respEntryOverhead
	if size > s.maxBytes/8 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if el := s.items[key]; el != nil {
		e := el.Value.(*respEntry)
		s.bytes += len(body) - len(e.body)
		e.stamp, e.body = stamp, body
		s.lru.MoveToFront(el)
	} else {
		s.items[key] = s.lru.PushFront(&respEntry{key: key, stamp: stamp, body: body})
		s.bytes += size
	}
	for s.bytes > s.maxBytes {
		last := s.lru.Back()
		e := last.Value.(*respEntry)
		s.lru.Remove(last)
		delete(s.items, e.key)
		s.bytes -= len(e.key) + len(e.body) + respEntryOverhead
	}
}

// stats returns the entries and bytes kept.
func (c *respCache) stats() (entries, bytes int) {
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.Lock()
		entries += len(s.items)
		bytes += s.bytes
		s.mu.Unlock()
	}
	return entries, bytes
}

// servePublic writes the JSON of a public read of product productID: the
// body c keeps under key when the product's stamp is still the one read
// before it was made, else the one build makes, which c then keeps if it
// admits key. build gets the stamp when it was read already (known) and
// whether its answer is to be kept (keep: it needs the stamp then), and
// returns the stamp read before or with its data. A nil c builds every
// time.
//
// A non-empty variant names an answer kept in the database instead
// (pageKeeper, fpr.ProductService.KeptPage), shared by instances and
// restarts: the stamp is read with the page kept there, which is served
// while current; one built is queued to be kept. c then keeps no body.
//
// With c, the answer carries an ETag naming the release and the stamp,
// and Cache-Control: no-cache; a request whose If-None-Match names the
// current one gets 304 Not Modified after the stamp read alone. A body
// made at stamp s shows every change committed before s was read, and
// any later change moves the stamp: while the stamp is s, the body is
// current.
func (s *Server) servePublic(w http.ResponseWriter, r *http.Request, c *respCache, key, productID, variant string,
	build func(stamp int64, known, keep bool) (v any, builtAt int64, err error)) error {
	var (
		stamp int64
		known bool
		// A page the database keeps is not kept in memory too: memory
		// keeps the answers the database does not, and reading a page
		// from there costs one read where making it costs a dozen.
		store = c != nil && variant != "" && s.keeper != nil
		keep  = c != nil && !store
		// queue: a page built now is to be kept in the database.
		queue = store
	)
	if c != nil {
		var (
			kept int64
			body []byte
			ok   bool
		)
		if !store {
			kept, body, ok = c.get(key)
		}
		inm := r.Header.Get("If-None-Match")
		if ok || inm != "" {
			var err error
			if stamp, err = s.Products.ProductStamp(r.Context(), productID); err != nil {
				return err
			}
			known = true
			etag := s.etag(stamp)
			notModified := inm != "" && etagMatch(inm, etag)
			if notModified || ok && kept == stamp {
				c.hits.Add(1)
				h := w.Header()
				h.Set("ETag", etag)
				h["Cache-Control"] = noCache
				if notModified {
					w.WriteHeader(http.StatusNotModified)
				} else {
					writeJSONBody(w, http.StatusOK, body)
				}
				return nil
			}
		} else if store {
			buf := keptBufs.Get().(*[]byte)
			var err error
			stamp, body, err = s.Products.KeptPage(r.Context(), productID, variant, s.etagRelease, *buf)
			if err != nil {
				keptBufs.Put(buf)
				return err
			}
			known = true
			if body != nil {
				c.storedHits.Add(1)
				w.Header().Set("ETag", s.etag(stamp))
				w.Header()["Cache-Control"] = noCache
				writeJSONBody(w, http.StatusOK, body)
				if cap(body) <= maxKeptBuf {
					*buf = body
				}
				keptBufs.Put(buf)
				return nil
			}
			keptBufs.Put(buf)
			// Kept from its first request. Unlike memory, the database
			// has room for every product's first pages (about 10 KB
			// each, one per sort), the keeper bounds what waits to be
			// written (keepQueueBytes), and a kept page serves every
			// instance, and restarts, until its product changes.
			// Keeping only pages asked for twice within a few thousand
			// requests (respCache.admit) left a catalogue's long tail to
			// be made anew at every visit.
			queue = true
		} else {
			keep = c.admit(key) // not kept yet, and maybe not to be
		}
		c.misses.Add(1)
	}
	v, builtAt, err := build(stamp, known, keep || queue)
	if err != nil {
		return err
	}
	if !keep && !queue {
		writeJSON(w, http.StatusOK, v)
		return nil
	}
	body, err := encodeJSON(v)
	if err != nil {
		return err
	}
	if keep {
		c.put(key, builtAt, body)
	}
	if queue {
		s.keeper.add(fpr.KeptPage{ProductID: productID, Variant: variant, Release: s.etagRelease, Stamp: builtAt, Body: body})
	}
	w.Header().Set("ETag", s.etag(builtAt))
	w.Header()["Cache-Control"] = noCache
	writeJSONBody(w, http.StatusOK, body)
	return nil
}

// keptBufs hold the bodies read from the database's kept pages while
// they are written out (servePublic): a page read allocates no body of
// its own. writeJSONBody has written the body to the connection's buffer
// or the connection when it returns.
var keptBufs = sync.Pool{New: func() any { return new([]byte) }}

// maxKeptBuf is the largest buffer keptBufs keeps: a page of 20 long
// reviews; a larger one is left to the collector.
const maxKeptBuf = 64 << 10

// noCache is the kept answers' Cache-Control (revalidate with the ETag
// each time), shared by every response as securityHeaderValues are.
var noCache = []string{"no-cache"}

// etag names the answers made at product stamp by this build: another
// release may encode the same data differently.
func (s *Server) etag(stamp int64) string {
	return `"` + s.etagRelease + "-" + strconv.FormatInt(stamp, 10) + `"`
}

// etagMatch reports whether the If-None-Match header value header names
// etag (weak or strong; RFC 9110 compares weakly for GET) or is "*".
func etagMatch(header, etag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == etag || t == "*" {
			return true
		}
	}
	return false
}
