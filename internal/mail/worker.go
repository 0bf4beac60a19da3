package mail

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/fpr-team/fpr"
	"github.com/fpr-team/fpr/internal/store"
)

// Worker drains the outbox: it claims due mail with a lease, renders and
// sends each, and records the outcome. Several workers (one per instance)
// may share a database; each mail is claimed by one at a time. Create it
// with NewWorker; its exported fields may be changed before Start.
type Worker struct {
	DB       *store.DB
	Sender   Sender
	Renderer *Renderer
	Log      *slog.Logger
	// Name identifies this worker in the outbox's claimed_by.
	Name string

	// Poll is the pause between rounds when the outbox has nothing due.
	Poll time.Duration
	// Lease is how long a claim lasts: a worker that dies holding mail
	// delays it this long. It must exceed SendTimeout.
	Lease time.Duration
	// SendTimeout bounds one send.
	SendTimeout time.Duration
	// RetryBase is the wait after a first failure, doubled after each
	// further one (fpr.MailRetryDelay).
	RetryBase time.Duration
	// MaxAttempts is when a mail is given up as undeliverable.
	MaxAttempts int
	// Batch is how many mails one round claims.
	Batch int

	sent     prometheus.Counter
	failures prometheus.Counter
	outbox   *prometheus.GaugeVec

	mu   sync.Mutex
	stop func()
}

// NewWorker returns a worker with the production settings: poll every 2
// s, 2-minute leases, 30 s per send, retries from fpr.MailRetryBase up to
// fpr.MailMaxAttempts, 20 mails a round. When reg is not nil it registers
// fpr_mail_sent_total, fpr_mail_send_failures_total and
// fpr_mail_outbox{status} (pending and undeliverable mail, the latter an
// operator's to look at on /ops/mail).
func NewWorker(db *store.DB, sender Sender, r *Renderer, log *slog.Logger, name string, reg prometheus.Registerer) *Worker {
	w := &Worker{
		DB: db, Sender: sender, Renderer: r, Log: log, Name: name,
		Poll: 2 * time.Second, Lease: 2 * time.Minute, SendTimeout: 30 * time.Second,
		RetryBase: fpr.MailRetryBase, MaxAttempts: fpr.MailMaxAttempts, Batch: 20,
		sent: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "fpr_mail_sent_total", Help: "Mails this instance sent.",
		}),
		failures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "fpr_mail_send_failures_total", Help: "Failed attempts to send a mail (each is retried until given up).",
		}),
		outbox: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "fpr_mail_outbox", Help: "Mails in the outbox by status (pending, undeliverable), as of this instance's last round.",
		}, []string{"status"}),
	}
	if reg != nil {
		reg.MustRegister(w.sent, w.failures, w.outbox)
	}
	return w
}

// RunOnce claims the mail due now and sends it, returning how many were
// sent. It stops at the first error of the database; a failed send is
// recorded on its mail and is not an error of the round.
func (w *Worker) RunOnce(ctx context.Context) (int, error) {
	mails, err := w.DB.ClaimMail(ctx, w.Name, w.Lease, w.Batch, w.MaxAttempts)
	if err != nil {
		return 0, err
	}
	// The mails sent are recorded together after the round: one commit
	// instead of one each (a commit makes every reader of SQLite reload
	// its page cache). A worker that dies before recording them sends
	// them again after their lease, as it would one mail (at least once).
	// They are recorded even when the worker is stopping (Stop waits):
	// a stop must not make the mails already sent go out again.
	var sent []string
	record := func() error {
		mctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), w.SendTimeout)
		defer cancel()
		return w.DB.MarkMailSent(mctx, sent...)
	}
	n := 0
	for _, m := range mails {
		ok, err := w.deliver(ctx, m)
		if ok {
			sent = append(sent, m.ID)
		}
		if err != nil {
			return n, errors.Join(err, record())
		}
		if ctx.Err() == nil {
			n++
		}
	}
	if err := record(); err != nil {
		return n, err
	}
	return n, w.updateGauge(ctx)
}

// deliver renders and sends m. sent reports a mail the server accepted,
// for the caller to record (MarkMailSent); a failure is recorded here.
func (w *Worker) deliver(ctx context.Context, m *fpr.Mail) (sent bool, err error) {
	msg, err := w.Renderer.Render(m)
	if err == nil {
		sctx, cancel := context.WithTimeout(ctx, w.SendTimeout)
		err = w.Sender.Send(sctx, msg)
		cancel()
	}
	if err == nil {
		w.sent.Inc()
		return true, nil
	}
	if ctx.Err() != nil {
		// Stopping: the send failed or was cut short; the lease runs
		// out and another round sends the mail.
		return false, nil //nolint:nilerr // the send's error is the lease's to handle, not the round's
	}
	w.failures.Inc()
	status, merr := w.DB.MarkMailFailed(ctx, m.ID, err.Error(), w.RetryBase, w.MaxAttempts)
	if merr != nil {
		return false, merr
	}
	level := slog.LevelWarn
	if status == fpr.MailUndeliverable {
		level = slog.LevelError // someone should look at /ops/mail
	}
	w.Log.Log(ctx, level, "mail not sent", "mail_id", m.ID, "kind", string(m.Kind), "attempt", m.Attempts,
		"status", string(status), "err", err.Error())
	return false, nil
}

func (w *Worker) updateGauge(ctx context.Context) error {
	counts, err := w.DB.CountMail(ctx, fpr.MailPending, fpr.MailUndeliverable)
	if err != nil {
		return err
	}
	w.outbox.WithLabelValues(string(fpr.MailPending)).Set(float64(counts[fpr.MailPending]))
	w.outbox.WithLabelValues(string(fpr.MailUndeliverable)).Set(float64(counts[fpr.MailUndeliverable]))
	return nil
}

// Start runs rounds in the background until Stop: at once, then again
// at once while rounds find mail, else after Poll.
func (w *Worker) Start(ctx context.Context) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.stop != nil {
		return fmt.Errorf("mail worker: already started")
	}
	if w.Lease <= w.SendTimeout {
		return fmt.Errorf("mail worker: lease %s must exceed the send timeout %s", w.Lease, w.SendTimeout)
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTimer(0)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			n, err := w.RunOnce(ctx)
			if err != nil && ctx.Err() == nil {
				w.Log.WarnContext(ctx, "mail round failed", "err", err.Error())
			}
			wait := w.Poll
			if n > 0 && err == nil {
				wait = 0
			}
			t.Reset(wait)
		}
	}()
	w.stop = func() { cancel(); <-done }
	return nil
}

// Stop ends the background rounds and waits for the one running. A mail
// being sent when it stops keeps its lease and goes out in a later round.
func (w *Worker) Stop() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.stop != nil {
		w.stop()
		w.stop = nil
	}
}
