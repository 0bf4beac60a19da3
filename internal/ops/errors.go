package ops

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/fpr-team/fpr"
)

// Recorder turns internal errors and panics into error events and stores
// them. Capture is called on the request's goroutine and must neither slow
// nor fail the request, so it only builds the event and hands it to a
// bounded queue; one background goroutine writes batches to the database.
// When the queue is full the event is dropped and counted (the log line the
// server wrote already holds it, with its stack).
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
	// Now returns the current time (default time.Now).
	Now func() time.Time

	start sync.Once
	queue chan *fpr.ErrorEvent
	stop  chan struct{}
	done  chan struct{}
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

// Close stops the writer after it has stored what is queued, or when ctx
// ends.
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
	for {
		select {
		case e := <-rec.queue:
			rec.write(rec.batch(e))
		case <-rec.stop:
			// Drain what was queued before Close.
			for {
				select {
				case e := <-rec.queue:
					rec.write(rec.batch(e))
				default:
					return
				}
			}
		}
	}
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

func (rec *Recorder) write(events []*fpr.ErrorEvent) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	changes, err := rec.Ops.RecordErrorEvents(ctx, events, rec.Keep)
	if err != nil {
		rec.Metrics.eventsDropped("store", len(events))
		rec.Log.Error("store error events", "err", err, "events", len(events))
		return
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
}
