package ops_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fpr-team/fpr/internal/ops"
)

// lockedWriter records each Write as one chunk, safely across goroutines.
type lockedWriter struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	writes int
}

func (w *lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.writes++
	return w.buf.Write(p)
}

func (w *lockedWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

func (w *lockedWriter) Writes() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.writes
}

func newBufferedLogger(w *lockedWriter, interval time.Duration) (*slog.Logger, *ops.LogBuffer) {
	lb := ops.NewLogBuffer(w, interval)
	return slog.New(lb.Handler(slog.NewJSONHandler(lb, nil))), lb
}

func TestLogBuffer_RoutineLinesWaitForTheInterval(t *testing.T) {
	t.Parallel()
	w := &lockedWriter{}
	log, lb := newBufferedLogger(w, time.Hour)
	defer func() { _ = lb.Close() }()
	for i := range 100 {
		log.Info("request", "n", i)
	}
	if w.Writes() != 0 {
		t.Fatalf("%d writes before the interval, want 0: routine lines wait", w.Writes())
	}
	if err := lb.Flush(); err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(w.String(), `"msg":"request"`); got != 100 || w.Writes() != 1 {
		t.Errorf("after Flush: %d lines in %d writes, want 100 in 1", got, w.Writes())
	}
}

func TestLogBuffer_IntervalWritesByItself(t *testing.T) {
	t.Parallel()
	w := &lockedWriter{}
	log, lb := newBufferedLogger(w, 10*time.Millisecond)
	defer func() { _ = lb.Close() }()
	log.Info("request")
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(w.String(), `"msg":"request"`) {
		if time.Now().After(deadline) {
			t.Fatal("a routine line was not written within 5 s of a 10 ms interval")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestLogBuffer_WarningsAndErrorsAtOnceInOrder(t *testing.T) {
	t.Parallel()
	for _, level := range []slog.Level{slog.LevelWarn, slog.LevelError} {
		w := &lockedWriter{}
		log, lb := newBufferedLogger(w, time.Hour)
		log.Info("before")
		log.With("release", "r1").Log(context.Background(), level, "failure")
		out := w.String()
		before, failure := strings.Index(out, `"msg":"before"`), strings.Index(out, `"msg":"failure"`)
		if before < 0 || failure < 0 || before > failure {
			t.Errorf("%v: written at once = %q, want the line before, then the %v line", level, out, level)
		}
		_ = lb.Close()
	}
}

func TestLogBuffer_LargeBacklogIsWrittenEarly(t *testing.T) {
	t.Parallel()
	w := &lockedWriter{}
	log, lb := newBufferedLogger(w, time.Hour)
	defer func() { _ = lb.Close() }()
	line := strings.Repeat("x", 1000)
	for range 100 { // about 100 KiB: over the buffer's limit
		log.Info("request", "path", line)
	}
	if w.Writes() == 0 {
		t.Fatal("100 KiB of lines held without a write: the buffer must stay bounded")
	}
}

// TestLogBuffer_ConcurrentLinesAllWritten: lines from many goroutines are
// all written, whole, once, by Close.
func TestLogBuffer_ConcurrentLinesAllWritten(t *testing.T) {
	t.Parallel()
	w := &lockedWriter{}
	log, lb := newBufferedLogger(w, time.Millisecond)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 500 {
				log.Info("request", "id", fmt.Sprintf("%d-%d", g, i))
			}
		})
	}
	wg.Wait()
	if err := lb.Close(); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(w.String()), "\n")
	if len(lines) != 8*500 {
		t.Fatalf("%d lines written, want %d", len(lines), 8*500)
	}
	seen := map[string]bool{}
	for _, l := range lines {
		if !strings.HasPrefix(l, "{") || !strings.HasSuffix(l, "}") || seen[l] {
			t.Fatalf("torn or repeated line %q", l)
		}
		seen[l] = true
	}
}
