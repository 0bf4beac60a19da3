package http

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fpr-team/fpr"
)

// The keeper's queue is bounded while the database is slow, a page queued
// twice is written once (the later), and a write that fails is counted,
// logged and forgotten: a request never waits for any of it.
func TestPageKeeper_BoundedAndNeverBlocks(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	var (
		mu      sync.Mutex
		written []fpr.KeptPage
		fail    = true
	)
	var logs strings.Builder
	var logMu sync.Mutex
	k := newPageKeeper(func(ctx context.Context, pages []fpr.KeptPage) error {
		<-release
		mu.Lock()
		defer mu.Unlock()
		if fail {
			fail = false
			return errors.New("database is down")
		}
		written = append(written, pages...)
		return nil
	}, slog.New(slog.NewTextHandler(writerFunc(func(p []byte) (int, error) {
		logMu.Lock()
		defer logMu.Unlock()
		return logs.Write(p)
	}), nil)))

	body := make([]byte, 10<<10)
	page := func(i int, v string) fpr.KeptPage {
		return fpr.KeptPage{ProductID: fmt.Sprintf("p%d", i), Variant: v, Release: "r", Stamp: 1, Body: body}
	}
	// The first page goes to the writer, which blocks (failing); the
	// next fill the queue to its bound, and past it are dropped, at once
	// (were add to wait for the writer, the test would never end).
	k.add(page(0, "reviews/newest"))
	for k.waitingBytes() != 0 {
		time.Sleep(time.Millisecond) // until the writer took it
	}
	queued := keepQueueBytes / len(body)
	for i := 1; i <= queued+50; i++ {
		k.add(page(i, "reviews/newest"))
	}
	k.add(page(1, "reviews/newest")) // waiting already: replaces it
	if got := k.waitingBytes(); got > keepQueueBytes {
		t.Errorf("%d bytes wait, more than the bound %d", got, keepQueueBytes)
	}
	if got := k.dropped.Load(); got != 50 {
		t.Errorf("dropped %d pages, want 50", got)
	}
	close(release)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := k.wait(ctx); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(written) != queued || k.stored.Load() != int64(queued) {
		t.Errorf("wrote %d pages (stored %d), want the %d queued, each once", len(written), k.stored.Load(), queued)
	}
	if got := k.dropped.Load(); got != 51 {
		t.Errorf("dropped %d pages, want 51 (50 past the bound, 1 failed)", got)
	}
	logMu.Lock()
	defer logMu.Unlock()
	if !strings.Contains(logs.String(), "kept pages not stored") || !strings.Contains(logs.String(), "database is down") {
		t.Errorf("the failed write was not logged: %s", logs.String())
	}
}

type writerFunc func(p []byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
