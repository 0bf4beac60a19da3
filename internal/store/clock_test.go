package store_test

import (
	"sync"
	"time"

	"github.com/fpr-team/fpr/internal/store"
)

// testClock is a settable clock for db.Now.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

func (c *testClock) Advance(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.now = c.now.Add(d) }

// setClock makes db read time from a test clock, and returns it.
func setClock(db *store.DB) *testClock {
	c := &testClock{now: time.Date(2026, 5, 10, 12, 0, 0, 0, time.UTC)}
	db.Now = c.Now
	return c
}
