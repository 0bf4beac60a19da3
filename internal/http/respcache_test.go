package http

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
)

func TestRespCache_KeepsWithinItsBytesLeastRecentFirstOut(t *testing.T) {
	const max = 64 << 10
	c := newRespCache(max)
	body := bytes.Repeat([]byte("x"), 500)
	for i := range 1000 {
		c.put(fmt.Sprintf("key%d", i), int64(i), body)
		if _, b := c.stats(); b > max {
			t.Fatalf("after %d puts: %d bytes kept, over the bound %d", i+1, b, max)
		}
	}
	entries, _ := c.stats()
	if entries == 0 || entries >= 1000 {
		t.Fatalf("%d entries kept of 1000, want some, not all", entries)
	}
	// The newest are kept, the oldest gone.
	if st, b, ok := c.get("key999"); !ok || st != 999 || !bytes.Equal(b, body) {
		t.Errorf("get(key999) = %d, %d bytes, %v; want the last put", st, len(b), ok)
	}
	if _, _, ok := c.get("key0"); ok {
		t.Errorf("key0, the least recently used, is still kept")
	}

	// A read makes an entry recent: in a shard full of the largest entries
	// it keeps (an eighth of it each), the first one put, read since,
	// stays when one more comes, and the second one put goes.
	c = newRespCache(max)
	var keys []string
	for i := 0; len(keys) < 9; i++ {
		if k := fmt.Sprintf("k%03d", i); c.shard(k) == c.shard("k000") {
			keys = append(keys, k)
		}
	}
	s := c.shard(keys[0])
	big := make([]byte, s.maxBytes/8-len(keys[0])-respEntryOverhead)
	for _, k := range keys[:8] {
		c.put(k, 1, big)
	}
	c.get(keys[0])
	c.put(keys[8], 1, big)
	if _, _, ok := c.get(keys[0]); !ok {
		t.Errorf("the entry read was evicted")
	}
	if _, _, ok := c.get(keys[1]); ok {
		t.Errorf("the least recently used entry is still kept, over the shard's room for eight")
	}
}

func TestRespCache_ReplacesAndRefusesOversize(t *testing.T) {
	c := newRespCache(64 << 10)
	c.put("k", 1, []byte("one"))
	c.put("k", 2, []byte("two, longer"))
	if st, b, ok := c.get("k"); !ok || st != 2 || string(b) != "two, longer" {
		t.Fatalf("get after a second put = %d %q %v, want 2 %q", st, b, ok, "two, longer")
	}
	// A slower request with an older stamp replaces it: the next stamp
	// read finds the difference, as it finds any change.
	c.put("k", 1, []byte("one"))
	if st, _, _ := c.get("k"); st != 1 {
		t.Fatalf("stamp %d after an older put, want 1 (the last put)", st)
	}
	entries, b := c.stats()
	if want := len("k") + len("one") + respEntryOverhead; entries != 1 || b != want {
		t.Errorf("stats = %d entries, %d bytes; want 1, %d (replacing does not add)", entries, b, want)
	}
	// An answer over an eighth of a shard would evict everything else.
	c.put("big", 1, make([]byte, 64<<10/respCacheShards/8))
	if _, _, ok := c.get("big"); ok {
		t.Errorf("an answer over an eighth of its shard was kept")
	}
}

func TestRespCache_Concurrent(t *testing.T) {
	const max = 32 << 10
	c := newRespCache(max)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 2000 {
				k := fmt.Sprintf("k%d", (g*31+i)%97)
				want := []byte(k)
				if st, b, ok := c.get(k); ok && (!bytes.Equal(b, want) || st < 0) {
					t.Errorf("get(%s) = %q, want %q", k, b, want)
					return
				}
				c.put(k, int64(i), want)
			}
		}()
	}
	wg.Wait()
	if _, b := c.stats(); b > max {
		t.Errorf("%d bytes kept, over the bound %d", b, max)
	}
}

// The cache key of a reviews page names every query parameter the
// contract gives the operation: a filter added to one and not the other
// would make two different pages share a kept answer.
func TestReviewPageKey_NamesEveryParameter(t *testing.T) {
	data, err := os.ReadFile("../../web/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	type operation struct {
		OperationID string `json:"operationId"`
		Parameters  []struct {
			Ref  string `json:"$ref"`
			Name string `json:"name"`
			In   string `json:"in"`
		} `json:"parameters"`
	}
	var doc struct {
		Paths map[string]struct {
			Get *operation `json:"get"`
		} `json:"paths"`
		Components struct {
			Parameters map[string]struct {
				Name string `json:"name"`
				In   string `json:"in"`
			} `json:"parameters"`
		} `json:"components"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, item := range doc.Paths {
		op := item.Get
		if op == nil || op.OperationID != "listProductReviews" {
			continue
		}
		for _, p := range op.Parameters {
			if p.Ref != "" {
				c := doc.Components.Parameters[strings.TrimPrefix(p.Ref, "#/components/parameters/")]
				p.Name, p.In = c.Name, c.In
			}
			if p.In == "query" {
				names = append(names, p.Name)
			}
		}
	}
	slices.Sort(names)
	keyed := slices.Sorted(slices.Values(reviewPageParams))
	if len(names) == 0 || !slices.Equal(names, keyed) {
		t.Errorf("listProductReviews has query parameters %v, the cache key names %v", names, keyed)
	}
	q := url.Values{"sort": {"helpful"}, "junk": {"1"}}
	if reviewPageKey("p", q) != reviewPageKey("p", url.Values{"sort": {"helpful"}, "other": {"2"}}) {
		t.Errorf("parameters the page ignores changed its key")
	}
	if reviewPageKey("p", q) == reviewPageKey("p", url.Values{"sort": {"helpful"}, "limit": {"5"}}) ||
		reviewPageKey("p", q) == reviewPageKey("p2", q) {
		t.Errorf("two different pages share a key")
	}
}

// A cache that admits at the second request keeps nothing asked for once,
// so a stream of one-off pages does not push out a page asked for often.
func TestRespCache_SeenTwiceKeepsOnlyWhatComesBack(t *testing.T) {
	c := newRespCacheSeenTwice(respCacheShards * 8 * 1024)
	if c.admit("hot") {
		t.Fatalf("a key's first request was admitted")
	}
	if !c.admit("hot") {
		t.Fatalf("a key's second request in a row was not admitted")
	}
	c.put("hot", 1, []byte("hot page"))
	admitted := 0
	for i := range 10 * respSeenSlots {
		k := fmt.Sprintf("tail%d", i)
		if c.admit(k) {
			admitted++
			c.put(k, 1, bytes.Repeat([]byte("x"), 900))
		}
		if i%100 == 0 {
			c.get("hot")
		}
	}
	if admitted != 0 {
		t.Errorf("%d of %d keys asked for once were admitted", admitted, 10*respSeenSlots)
	}
	if _, _, ok := c.get("hot"); !ok {
		t.Errorf("the page asked for often was pushed out")
	}
	if plain := newRespCache(1 << 20); !plain.admit("x") {
		t.Errorf("a cache without an admission table refused a key")
	}
}
