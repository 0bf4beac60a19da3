package ops

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fpr-team/fpr"
)

// Recorder turns 5xx errors and panics into error events and stores them.
// Capture is called on the request's goroutine and must neither slow nor
// fail the request, so it only builds the event and hands it to a bounded
// queue; one background goroutine writes batches to the database. When the
// queue is full the event is dropped and counted (the log line the server
// wrote already holds it, with its stack).
//
// During an outage the events of the outage's 503s cannot be stored: they
// wait in a bounded buffer and are written when the database answers
// again (retried every RetryInterval). When the buffer is full the oldest
// are dropped, counted in fpr_error_events_dropped_total{reason=
// "buffer_full"} and logged.
type Recorder struct {
	Ops      fpr.OpsService
	Log      *slog.Logger
	Release  string
	Instance string
	// Metrics, when set, counts events by fingerprint and drops.
	Metrics *Metrics
	// Alerts, when set, is told of new and regressed groups.
	Alerts *Alerter
	// Keep is how many recent events each group keeps (default 20).
	Keep int
	// QueueSize bounds the queue (default 1024).
	QueueSize int
	// BufferSize bounds the events waiting for the database to come back
	// (default 1000).
	BufferSize int
	// RetryInterval is the pause between attempts to store the buffered
	// events (default 2 s).
	RetryInterval time.Duration
	// Now returns the current time (default time.Now).
	Now func() time.Time

	start sync.Once
	queue chan *fpr.ErrorEvent
	stop  chan struct{}
	done  chan struct{}

	// pending are events that failed to store because the database was
	// unavailable, oldest first; only the loop's goroutine touches it.
	pending []*fpr.ErrorEvent
	// buffered mirrors len(pending) for Buffered.
	buffered atomic.Int64
}

// maxBatch bounds how many events one transaction writes.
const maxBatch = 100

func (rec *Recorder) init() {
	rec.start.Do(func() {
		if rec.Log == nil {
			rec.Log = slog.New(slog.DiscardHandler)
		}
		if rec.Keep <= 0 {
			rec.Keep = 20
		}
		if rec.QueueSize <= 0 {
			rec.QueueSize = 1024
		}
		if rec.BufferSize <= 0 {
			rec.BufferSize = 1000
		}
		if rec.RetryInterval <= 0 {
			rec.RetryInterval = 2 * time.Second
		}
		if rec.Now == nil {
			rec.Now = time.Now
		}
		rec.queue = make(chan *fpr.ErrorEvent, rec.QueueSize)
		rec.stop = make(chan struct{})
		rec.done = make(chan struct{})
	})
}

// Start runs the background writer until Close.
func (rec *Recorder) Start() {
	rec.init()
	go rec.loop()
}

// Capture records an internal error or panic of a request; its signature
// is fprhttp.Server's OnError hook. It never blocks.
func (rec *Recorder) Capture(r *http.Request, route string, err error, stack []byte) {
	rec.init()
	fp, typ := Fingerprint(route, err, stack)
	e := &fpr.ErrorEvent{
		Fingerprint: fp,
		RequestID:   fpr.RequestIDFromContext(r.Context()),
		Route:       route,
		Type:        typ,
		Message:     err.Error(),
		Stack:       string(stack),
		Release:     rec.Release,
		Instance:    rec.Instance,
		Time:        rec.Now().UTC(),
	}
	rec.Metrics.errorRecorded(fp)
	select {
	case rec.queue <- e:
	default:
		rec.Metrics.eventsDropped("queue_full", 1)
		rec.Log.WarnContext(r.Context(), "error event dropped: queue full", "fingerprint", fp)
	}
}

// Buffered returns how many events wait for the database to come back.
func (rec *Recorder) Buffered() int { return int(rec.buffered.Load()) }

// Close stops the writer after it has stored what is queued and buffered
// (one last attempt), or when ctx ends.
func (rec *Recorder) Close(ctx context.Context) error {
	rec.init()
	select {
	case <-rec.stop:
	default:
		close(rec.stop)
	}
	select {
	case <-rec.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (rec *Recorder) loop() {
	defer close(rec.done)
	retry := time.NewTimer(rec.RetryInterval)
	retry.Stop()
	defer retry.Stop()
	for {
		select {
		case e := <-rec.queue:
			b := rec.batch(e)
			if len(rec.pending) > 0 {
				// The database was down at the last attempt: keep order,
				// wait for the retry.
				rec.hold(b)
				continue
			}
			if !rec.write(b) {
				rec.hold(b)
				retry.Reset(rec.RetryInterval)
			}
		case <-retry.C:
			if !rec.flushPending() {
				retry.Reset(rec.RetryInterval)
			}
		case <-rec.stop:
			// Store what was queued before Close, and what waits.
			for drained := false; !drained; {
				select {
				case e := <-rec.queue:
					rec.hold(rec.batch(e))
				default:
					drained = true
				}
			}
			if !rec.flushPending() && len(rec.pending) > 0 {
				rec.Metrics.eventsDropped("shutdown", len(rec.pending))
				rec.Log.Error("error events dropped at shutdown: the database is unavailable", "dropped", len(rec.pending))
				rec.setPending(nil)
			}
			return
		}
	}
}

// hold appends events to those waiting for the database, dropping the
// oldest beyond BufferSize.
func (rec *Recorder) hold(events []*fpr.ErrorEvent) {
	p := append(rec.pending, events...)
	if over := len(p) - rec.BufferSize; over > 0 {
		rec.Metrics.eventsDropped("buffer_full", over)
		rec.Log.Warn("error events dropped: the buffer for an unavailable database is full", "dropped", over, "buffer", rec.BufferSize)
		p = append([]*fpr.ErrorEvent(nil), p[over:]...)
	}
	rec.setPending(p)
}

func (rec *Recorder) setPending(p []*fpr.ErrorEvent) {
	rec.pending = p
	rec.buffered.Store(int64(len(p)))
}

// flushPending writes the waiting events, a batch at a time, and reports
// whether all were stored.
func (rec *Recorder) flushPending() bool {
	for len(rec.pending) > 0 {
		n := min(len(rec.pending), maxBatch)
		if !rec.write(rec.pending[:n]) {
			return false
		}
		rec.setPending(rec.pending[n:])
		if len(rec.pending) == 0 {
			rec.Log.Info("buffered error events stored: the database answers again")
		}
	}
	return true
}

// batch collects first and whatever else is queued, up to maxBatch.
func (rec *Recorder) batch(first *fpr.ErrorEvent) []*fpr.ErrorEvent {
	b := []*fpr.ErrorEvent{first}
	for len(b) < maxBatch {
		select {
		case e := <-rec.queue:
			b = append(b, e)
		default:
			return b
		}
	}
	return b
}

// write stores events and reports false when the database was
// unavailable, so they should wait and be written again; other failures
// drop them (counted and logged).
func (rec *Recorder) write(events []*fpr.ErrorEvent) bool {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	changes, err := rec.Ops.RecordErrorEvents(ctx, events, rec.Keep)
	if err != nil {
		if fpr.ErrorCode(err) == fpr.CodeUnavailable {
			rec.Log.Warn("error events wait: the database is unavailable", "err", err, "events", len(events))
			return false
		}
		rec.Metrics.eventsDropped("store", len(events))
		rec.Log.Error("store error events", "err", err, "events", len(events))
		return true
	}
	for _, c := range changes {
		kind := fpr.AlertNewError
		if c.Regressed {
			kind = fpr.AlertRegression
		}
		rec.Log.Warn("error group "+string(kind), "fingerprint", c.Group.Fingerprint, "route", c.Group.Route,
			"sample_request_id", c.Event.RequestID)
		if rec.Alerts != nil {
			rec.Alerts.ErrorGroupChanged(ctx, kind, c)
		}
	}
	return true
}
