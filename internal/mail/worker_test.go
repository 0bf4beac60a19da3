package mail_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fpr-team/fpr"
	"github.com/fpr-team/fpr/internal/mail"
	"github.com/fpr-team/fpr/internal/mailtest"
	"github.com/fpr-team/fpr/internal/store"
	"github.com/fpr-team/fpr/internal/storetest"
	"github.com/fpr-team/fpr/web"
)

var seq atomic.Int64

// rig is a database with a settable clock and an SMTP server.
type rig struct {
	db    *store.DB
	clock *storetest.Clock
	smtp  *mailtest.Server
}

func newRig(t *testing.T, backend string, mode mailtest.Mode) *rig {
	t.Helper()
	db := storetest.OpenDB(t, backend)
	clock := storetest.NewClock(time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC))
	db.Now = clock.Now
	return &rig{db: db, clock: clock, smtp: mailtest.Start(t, mode)}
}

// worker returns a worker named name sending to the rig's server.
func (r *rig) worker(t *testing.T, name string) *mail.Worker {
	t.Helper()
	s, err := mail.ParseSMTPURL(r.smtp.URL, "FPR <fpr@fpr.example>", 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	s.TLSConfig = r.smtp.ClientTLS
	rend, err := mail.NewRenderer(web.FS, "https://fpr.example")
	if err != nil {
		t.Fatal(err)
	}
	w := mail.NewWorker(r.db, s, rend, slog.New(slog.DiscardHandler), name, nil)
	w.MaxAttempts = 3
	return w
}

// mustUnverified registers an unverified user: its verification mail is
// in the outbox.
func (r *rig) mustUnverified(t *testing.T) *fpr.User {
	t.Helper()
	n := seq.Add(1)
	u := &fpr.User{Email: fmt.Sprintf("ann%d@example.org", n), DisplayName: fmt.Sprintf("Ann <b>%d</b>", n)}
	if err := r.db.CreateUser(context.Background(), u, "hash"); err != nil {
		t.Fatal(err)
	}
	return u
}

func mustRun(t *testing.T, w *mail.Worker) int {
	t.Helper()
	n, err := w.RunOnce(context.Background())
	if err != nil {
		t.Fatalf("RunOnce: %v", err)
	}
	return n
}

func TestWorker_SendsVerificationOverSMTP(t *testing.T) {
	for _, tt := range []struct {
		name    string
		mode    mailtest.Mode
		wantTLS bool
	}{
		{"Plain", mailtest.Plain, false},
		{"STARTTLS", mailtest.StartTLS, true},
		{"ImplicitTLS", mailtest.ImplicitTLS, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, storetest.SQLite, tt.mode)
			u := r.mustUnverified(t)
			if n := mustRun(t, r.worker(t, "w1")); n != 1 {
				t.Fatalf("RunOnce sent %d, want 1", n)
			}
			m := r.smtp.WaitFor(t, u.Email, "Confirm your e-mail")
			if m.TLS != tt.wantTLS {
				t.Errorf("mail over TLS = %v, want %v", m.TLS, tt.wantTLS)
			}
			if m.From != "fpr@fpr.example" || m.Header.Get("From") != `"FPR" <fpr@fpr.example>` {
				t.Errorf("From = %q (envelope %q), want FPR <fpr@fpr.example>", m.Header.Get("From"), m.From)
			}
			link := m.Link(t, "/verify-email")
			if !strings.HasPrefix(link, "https://fpr.example/verify-email?token=") {
				t.Errorf("link = %q, want FPR_BASE_URL/verify-email?token=…", link)
			}
			// The display name is escaped in the HTML part, as is in the text.
			if !strings.Contains(m.HTML, "Ann &lt;b&gt;") || !strings.Contains(m.Text, "Ann <b>") {
				t.Errorf("display name not escaped for HTML only:\ntext: %s\nhtml: %s", m.Text, m.HTML)
			}
			if m.Header.Get("List-Unsubscribe") != "" {
				t.Errorf("a verification mail carries List-Unsubscribe %q; only notifications do", m.Header.Get("List-Unsubscribe"))
			}
			if !strings.HasSuffix(m.Header.Get("Message-Id"), "@fpr>") {
				t.Errorf("Message-Id = %q, want <outbox-id@fpr>", m.Header.Get("Message-Id"))
			}
			// Sent once: the next round finds nothing, and the outbox no
			// longer holds the token.
			if n := mustRun(t, r.worker(t, "w1")); n != 0 {
				t.Errorf("second round sent %d, want 0", n)
			}
			counts, err := r.db.CountMail(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if counts[fpr.MailSent] != 1 || counts[fpr.MailPending] != 0 {
				t.Errorf("outbox = %v, want one sent", counts)
			}
			if got := len(r.smtp.To(u.Email)); got != 1 {
				t.Errorf("%d mails arrived, want 1", got)
			}
		})
	}
}

// A worker that claimed a mail and died before sending it (its lease is
// in the database, nothing was sent) delays the mail until the lease runs
// out; then another worker sends it, once.
func TestWorker_DiedBetweenCommitAndSend(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, backend string) {
		r := newRig(t, backend, mailtest.Plain)
		u := r.mustUnverified(t)
		dead := r.worker(t, "dead")
		claimed, err := r.db.ClaimMail(context.Background(), dead.Name, dead.Lease, 10, dead.MaxAttempts)
		if err != nil || len(claimed) != 1 {
			t.Fatalf("ClaimMail = %d mails, %v; want the verification mail", len(claimed), err)
		}
		// The claiming worker is gone. While its lease holds, nobody
		// sends the mail.
		other := r.worker(t, "other")
		if n := mustRun(t, other); n != 0 {
			t.Fatalf("a second worker sent %d mails during the lease, want 0", n)
		}
		r.clock.Advance(dead.Lease + time.Second)
		if n := mustRun(t, other); n != 1 {
			t.Fatalf("after the lease, the second worker sent %d, want 1", n)
		}
		r.smtp.WaitFor(t, u.Email, "Confirm your e-mail")
		if n := mustRun(t, other); n != 0 {
			t.Errorf("a third round sent %d, want 0", n)
		}
		if got := len(r.smtp.To(u.Email)); got != 1 {
			t.Errorf("%d mails arrived, want exactly 1", got)
		}
	})
}

// Two workers on one database, running at once, send every mail once.
func TestWorker_TwoWorkersSendEachMailOnce(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, backend string) {
		r := newRig(t, backend, mailtest.Plain)
		const n = 30
		users := make([]*fpr.User, n)
		for i := range users {
			users[i] = r.mustUnverified(t)
		}
		workers := []*mail.Worker{r.worker(t, "a"), r.worker(t, "b")}
		var wg sync.WaitGroup
		var sent atomic.Int64
		for _, w := range workers {
			w.Batch = 3
			wg.Go(func() {
				for {
					k, err := w.RunOnce(context.Background())
					if err != nil {
						t.Errorf("%s: %v", w.Name, err)
						return
					}
					if k == 0 {
						return
					}
					sent.Add(int64(k))
				}
			})
		}
		wg.Wait()
		// A worker may stop early when the other holds the rest; drain.
		for mustRun(t, workers[0]) > 0 {
		}
		if got := len(r.smtp.Messages()); got != n {
			t.Errorf("%d mails arrived, want %d", got, n)
		}
		for _, u := range users {
			if got := len(r.smtp.To(u.Email)); got != 1 {
				t.Errorf("%s got %d mails, want 1", u.Email, got)
			}
		}
	})
}

// An SMTP server that refuses: the mail is retried with growing waits,
// then given up as undeliverable; a server that comes back gets the
// mails that are still pending.
func TestWorker_RefusedThenUndeliverable(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, backend string) {
		r := newRig(t, backend, mailtest.Plain)
		u := r.mustUnverified(t)
		w := r.worker(t, "w")
		w.RetryBase = time.Minute
		r.smtp.Refuse(true)
		mustRun(t, w) // attempt 1 fails
		if got := r.smtp.Attempts(); got != 1 {
			t.Fatalf("attempts = %d, want 1", got)
		}
		// Not due again before the backoff.
		r.clock.Advance(59 * time.Second)
		mustRun(t, w)
		if got := r.smtp.Attempts(); got != 1 {
			t.Fatalf("retried after 59 s: attempts = %d, want 1 (backoff 1 min)", got)
		}
		r.clock.Advance(time.Second)
		mustRun(t, w) // attempt 2 fails; next wait 2 min
		r.clock.Advance(time.Minute)
		mustRun(t, w)
		if got := r.smtp.Attempts(); got != 2 {
			t.Fatalf("retried 1 min after the second failure: attempts = %d, want 2 (backoff doubles)", got)
		}
		r.clock.Advance(time.Minute)
		mustRun(t, w) // attempt 3 fails: given up
		if got := r.smtp.Attempts(); got != 3 {
			t.Fatalf("attempts = %d, want 3", got)
		}
		admin := &fpr.User{Email: fmt.Sprintf("admin%d@example.org", seq.Add(1)), DisplayName: "Admin", Role: fpr.RoleAdmin, EmailVerified: true}
		if err := r.db.CreateUser(context.Background(), admin, "h"); err != nil {
			t.Fatal(err)
		}
		status := fpr.MailUndeliverable
		dead, _, err := r.db.FindMail(fpr.NewContextWithUser(context.Background(), admin), fpr.MailFilter{Status: &status})
		if err != nil {
			t.Fatal(err)
		}
		if len(dead) != 1 || dead[0].To != u.Email || dead[0].Attempts != 3 || !strings.Contains(dead[0].LastError, "451") {
			t.Fatalf("undeliverable = %+v, want the verification mail after 3 attempts with the server's 451", dead)
		}
		if len(dead[0].Data) != 0 {
			t.Errorf("an undeliverable mail keeps its data %v; the token must go", dead[0].Data)
		}
		// Given up is final: the server comes back, the mail stays.
		r.smtp.Refuse(false)
		r.clock.Advance(24 * time.Hour)
		if n := mustRun(t, w); n != 0 {
			t.Errorf("an undeliverable mail was sent again (%d)", n)
		}
		if _, _, err := r.db.FindMail(fpr.NewContextWithUser(context.Background(), u), fpr.MailFilter{}); fpr.ErrorCode(err) != fpr.CodeForbidden {
			t.Errorf("FindMail by a member = %v, want forbidden", err)
		}
	})
}

func TestParseSMTPURL(t *testing.T) {
	for _, tt := range []struct {
		url     string
		host    string
		port    int
		tls     bool
		user    string
		wantErr bool
	}{
		{"smtp://mail.example", "mail.example", 587, false, "", false},
		{"smtp://u:p%40ss@mail.example:2525", "mail.example", 2525, false, "u", false},
		{"smtps://mail.example", "mail.example", 465, true, "", false},
		{"http://mail.example", "", 0, false, "", true},
		{"smtp://mail.example:99999", "", 0, false, "", true},
		{"smtp://", "", 0, false, "", true},
	} {
		s, err := mail.ParseSMTPURL(tt.url, "fpr@fpr.example", time.Second)
		if (err != nil) != tt.wantErr {
			t.Errorf("ParseSMTPURL(%q) error = %v, want error %v", tt.url, err, tt.wantErr)
			continue
		}
		if err == nil && (s.Host != tt.host || s.Port != tt.port || s.ImplicitTLS != tt.tls || s.Username != tt.user) {
			t.Errorf("ParseSMTPURL(%q) = %+v", tt.url, s)
		}
	}
	if s, _ := mail.ParseSMTPURL("smtp://u:p%40ss@mail.example", "f@x.example", time.Second); s.Password != "p@ss" {
		t.Errorf("password = %q, want p@ss", s.Password)
	}
}

// A round's sent mails are recorded together after the round: every one
// is sent, none stays pending, and the next round sends nothing again.
func TestWorker_RecordsARoundsMailsTogether(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, backend string) {
		r := newRig(t, backend, mailtest.Plain)
		const n = 5
		users := make([]*fpr.User, n)
		for i := range users {
			users[i] = r.mustUnverified(t)
		}
		w := r.worker(t, "w1")
		if got := mustRun(t, w); got != n {
			t.Fatalf("RunOnce sent %d, want %d", got, n)
		}
		counts, err := r.db.CountMail(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if counts[fpr.MailSent] != n || counts[fpr.MailPending] != 0 {
			t.Errorf("outbox = %v, want %d sent", counts, n)
		}
		if got := mustRun(t, w); got != 0 {
			t.Errorf("second round sent %d, want 0", got)
		}
		for _, u := range users {
			if got := len(r.smtp.To(u.Email)); got != 1 {
				t.Errorf("%s got %d mails, want 1", u.Email, got)
			}
		}
	})
}

// stopAfterFirst sends through next, then cancels the round (as Stop
// does) once the first mail is accepted.
type stopAfterFirst struct {
	next   mail.Sender
	cancel context.CancelFunc
}

func (s *stopAfterFirst) Send(ctx context.Context, m *mail.Message) error {
	err := s.next.Send(ctx, m)
	s.cancel()
	return err
}

// A worker stopped in the middle of a round still records the mail it
// had sent, so that mail does not go out again after its lease; the mails
// it had not sent stay pending.
func TestWorker_StopKeepsTheMailsSent(t *testing.T) {
	r := newRig(t, storetest.SQLite, mailtest.Plain)
	first, second := r.mustUnverified(t), r.mustUnverified(t)
	w := r.worker(t, "w1")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w.Sender = &stopAfterFirst{next: w.Sender, cancel: cancel}
	if _, err := w.RunOnce(ctx); err != nil && ctx.Err() == nil {
		t.Fatalf("RunOnce: %v", err)
	}
	counts, err := r.db.CountMail(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if counts[fpr.MailSent] != 1 || counts[fpr.MailPending] != 1 {
		t.Errorf("outbox = %v, want 1 sent and 1 pending", counts)
	}
	// After the lease, another worker sends only the one not sent.
	r.clock.Advance(w.Lease + time.Second)
	w2 := r.worker(t, "w2")
	if got := mustRun(t, w2); got != 1 {
		t.Errorf("the next round sent %d, want 1", got)
	}
	if a, b := len(r.smtp.To(first.Email)), len(r.smtp.To(second.Email)); a+b != 2 || a != 1 || b != 1 {
		t.Errorf("mails arrived: %d and %d, want one each", a, b)
	}
}

// A producer's new-review mail is a digest: it counts the reviews still
// published when it goes out, and one with none left is not sent.
func TestWorker_ReviewDigestTellsOfReviewsStillPublished(t *testing.T) {
	storetest.ForEachBackend(t, func(t *testing.T, backend string) {
		r := newRig(t, backend, mailtest.Plain)
		ctx := context.Background()
		user := func(role fpr.Role) *fpr.User {
			t.Helper()
			n := seq.Add(1)
			u := &fpr.User{Email: fmt.Sprintf("user%d@example.org", n), DisplayName: fmt.Sprintf("User %d", n), Role: role, EmailVerified: true}
			if err := r.db.CreateUser(ctx, u, "hash"); err != nil {
				t.Fatal(err)
			}
			return u
		}
		as := func(u *fpr.User) context.Context { return fpr.NewContextWithUser(ctx, u) }
		producer, mod := user(fpr.RoleProducer), user(fpr.RoleModerator)
		farm := &fpr.Farm{Name: "Orchard", Region: "Kent"}
		if err := r.db.CreateFarm(as(producer), farm); err != nil {
			t.Fatal(err)
		}
		product := &fpr.Product{FarmID: farm.ID, Name: "Cider apples", Category: "fruit", Unit: "per kg"}
		if err := r.db.CreateProduct(as(producer), product); err != nil {
			t.Fatal(err)
		}
		review := func(stars int) *fpr.Review {
			t.Helper()
			r.clock.Advance(time.Second) // IDs order by their millisecond first
			rv := &fpr.Review{ProductID: product.ID, Rating: stars, Title: "T", Body: "Body."}
			if err := r.db.CreateReview(as(user(fpr.RoleMember)), rv); err != nil {
				t.Fatal(err)
			}
			return rv
		}
		remove := func(rv *fpr.Review) {
			t.Helper()
			if _, err := r.db.ModerateReview(as(mod), rv.ID, fpr.ActionRemove, "Spam.", fpr.FlagSpam); err != nil {
				t.Fatal(err)
			}
		}
		w := r.worker(t, "w1")

		review(4)
		mustRun(t, w)
		r.smtp.WaitFor(t, producer.Email, "New review of Cider apples")
		review(2)
		review(5)
		remove(review(1))
		r.clock.Advance(fpr.ReviewMailInterval)
		mustRun(t, w)
		m := r.smtp.WaitFor(t, producer.Email, "2 new reviews of your products")
		if !strings.Contains(m.Text, "The latest: Cider apples, 5 of 5 stars.") {
			t.Errorf("digest text = %q, want it to name the newest review still published (5 stars)", m.Text)
		}
		// Every review of the next digest removed: no mail.
		r.clock.Advance(time.Minute)
		remove(review(3))
		r.clock.Advance(fpr.ReviewMailInterval)
		mustRun(t, w)
		mustRun(t, w)
		if got := len(r.smtp.To(producer.Email)); got != 2 {
			t.Errorf("the producer got %d mails, want 2 (none for a digest whose reviews were all removed)", got)
		}
		counts, err := r.db.CountMail(ctx, fpr.MailPending)
		if err != nil || counts[fpr.MailPending] != 0 {
			t.Errorf("pending mail = %v, %v; want none", counts, err)
		}
	})
}
