package store

import (
	"fmt"
	"testing"
)

func TestSessionCache_Bounded(t *testing.T) {
	t.Parallel()
	c := newSessionCache(3)
	for i := range 10 {
		c.put(fmt.Sprint(i), sessionEntry{epoch: int64(i)})
		if n := len(c.entries); n > 3 {
			t.Fatalf("after %d puts: %d entries, want at most 3", i+1, n)
		}
	}
	if _, ok := c.get("9"); !ok {
		t.Error("the last entry put is not kept")
	}
	c.put("9", sessionEntry{epoch: 99}) // a replacement evicts nothing
	if e, _ := c.get("9"); e.epoch != 99 || len(c.entries) != 3 {
		t.Errorf("after replacing: epoch %d, %d entries", e.epoch, len(c.entries))
	}
	c.drop("9")
	if _, ok := c.get("9"); ok {
		t.Error("dropped entry still kept")
	}
	var none *sessionCache
	none.drop("x") // PostgreSQL's nil cache
}
