package http

import (
	"net/http"

	"github.com/fpr-team/fpr"
)

type opsMailPage struct {
	basePage
	// Undeliverable, Pending and Sent count the outbox by status.
	Undeliverable, Pending, Sent int
	Mails                        []*fpr.Mail
	Status                       string
	NextURL                      string
}

// handleMailList handles GET /ops/mail?status=&cursor=: the outbox, newest
// first; by default the undeliverable mail, which needs an operator.
// Admins only (the service checks).
func (s *Server) handleMailList(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	status := fpr.MailStatus(q.Get("status"))
	switch status {
	case "":
		status = fpr.MailUndeliverable
	case fpr.MailPending, fpr.MailSent, fpr.MailUndeliverable:
	default:
		return &fpr.Error{Code: fpr.CodeValidationFailed, Message: "Use status pending, sent or undeliverable.",
			Fields: map[string]string{"status": "Use pending, sent or undeliverable."}}
	}
	mails, next, err := s.Mail.FindMail(r.Context(), fpr.MailFilter{Status: &status, Page: fpr.Page{Cursor: q.Get("cursor")}})
	if err != nil {
		return err
	}
	counts, err := s.Mail.CountMail(r.Context())
	if err != nil {
		return err
	}
	p := &opsMailPage{basePage: s.base(w, r, "Mail"), Mails: mails, Status: string(status),
		Undeliverable: counts[fpr.MailUndeliverable], Pending: counts[fpr.MailPending], Sent: counts[fpr.MailSent],
		NextURL: nextPageURL("/ops/mail", q, next)}
	return s.render(w, r, http.StatusOK, "ops_mail", p)
}
