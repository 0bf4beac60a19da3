package ops

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"time"
)

// LogBuffer batches the lines of a busy server's log into fewer writes.
// Every request logs one line, and writing each at once cost a system call
// per request, as much CPU as reading a product from the database. Lines
// wait at most the buffer's interval, and less when it holds
// logBufferLimit bytes. A warning or an error is written at once, with
// everything before it (Handler), and Close writes the rest, so what a
// killed process loses is at most one interval of routine lines: never an
// error, whose event is also in the database (Recorder).
type LogBuffer struct {
	w io.Writer

	mu  sync.Mutex
	buf []byte

	stop chan struct{}
	done chan struct{}
	once sync.Once
}

// logBufferLimit is the size at which the buffer is written before its
// interval ends.
const logBufferLimit = 64 << 10

// NewLogBuffer returns a buffer writing to w at least every interval, until
// Close.
func NewLogBuffer(w io.Writer, interval time.Duration) *LogBuffer {
	b := &LogBuffer{w: w, stop: make(chan struct{}), done: make(chan struct{})}
	go b.run(interval)
	return b
}

func (b *LogBuffer) run(interval time.Duration) {
	defer close(b.done)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			_ = b.Flush()
		case <-b.stop:
			return
		}
	}
}

// Write keeps p (one log line: slog handlers write a record in one call)
// for the next flush.
func (b *LogBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	if len(b.buf) >= logBufferLimit {
		if err := b.flushLocked(); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

// Flush writes what the buffer holds.
func (b *LogBuffer) Flush() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.flushLocked()
}

func (b *LogBuffer) flushLocked() error {
	if len(b.buf) == 0 {
		return nil
	}
	_, err := b.w.Write(b.buf)
	// A failed write drops the lines rather than growing without bound:
	// the log's destination is gone, and the process has nowhere else to
	// say so.
	if cap(b.buf) > 4*logBufferLimit {
		b.buf = nil
	} else {
		b.buf = b.buf[:0]
	}
	return err
}

// Close stops the interval's flushes and writes what is left. Lines
// written after Close are written at the next Flush or Close.
func (b *LogBuffer) Close() error {
	b.once.Do(func() { close(b.stop) })
	<-b.done
	return b.Flush()
}

// Handler wraps h, which writes to b, so that a record at Warn or above is
// written out at once with the lines before it.
func (b *LogBuffer) Handler(h slog.Handler) slog.Handler {
	return urgentFlush{Handler: h, b: b}
}

type urgentFlush struct {
	slog.Handler
	b *LogBuffer
}

func (h urgentFlush) Handle(ctx context.Context, r slog.Record) error {
	err := h.Handler.Handle(ctx, r)
	if r.Level >= slog.LevelWarn {
		if ferr := h.b.Flush(); err == nil {
			err = ferr
		}
	}
	return err
}

func (h urgentFlush) WithAttrs(attrs []slog.Attr) slog.Handler {
	return urgentFlush{Handler: h.Handler.WithAttrs(attrs), b: h.b}
}

func (h urgentFlush) WithGroup(name string) slog.Handler {
	return urgentFlush{Handler: h.Handler.WithGroup(name), b: h.b}
}
