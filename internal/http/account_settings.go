package http

import (
	"net/http"

	"github.com/fpr-team/fpr"
)

// The account page's settings forms: display name, e-mail change, a new
// verification link, notification switches and account deletion. Each
// calls one fpr.AccountService method, as its API twin does, and on a
// refusal shows the account page again with the input kept and the
// errors beside the fields.

// accountFormFailed answers a refused account form: set puts the input
// and state on the rebuilt page.
func (s *Server) accountFormFailed(w http.ResponseWriter, r *http.Request, err error, set func(*accountPage, formState)) error {
	return formFailed(s, w, r, err, "account", func() (*accountPage, error) { return s.accountPage(w, r) }, set)
}

// handleProfileUpdate handles POST /account/profile {display_name}.
func (s *Server) handleProfileUpdate(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r.Context()); err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	name := r.PostForm.Get("display_name")
	if _, err := s.Accounts.UpdateAccount(r.Context(), fpr.AccountUpdate{DisplayName: &name}); err != nil {
		return s.accountFormFailed(w, r, err, func(p *accountPage, st formState) { p.DisplayName, p.Profile = name, st })
	}
	return s.redirect(w, r, "/account", "profile-updated")
}

// handleEmailUpdate handles POST /account/email {email, current_password}:
// mails a link to the new address, which takes effect when followed, and
// tells the old one.
func (s *Server) handleEmailUpdate(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r.Context()); err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	email := r.PostForm.Get("email")
	if _, err := s.Accounts.UpdateAccount(r.Context(), fpr.AccountUpdate{Email: &email, CurrentPassword: r.PostForm.Get("current_password")}); err != nil {
		return s.accountFormFailed(w, r, err, func(p *accountPage, st formState) { p.NewEmail, p.EmailChange = email, st })
	}
	return s.redirect(w, r, "/account", "email-change-sent")
}

// handleVerificationEmailCreate handles POST /account/verification-email
// {next?}: back to next (a path of this site, such as the farm
// application that waits for the verification), else to /account.
func (s *Server) handleVerificationEmailCreate(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r.Context()); err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	if err := s.Accounts.ResendVerification(r.Context()); err != nil {
		return s.accountFormFailed(w, r, err, func(p *accountPage, st formState) { p.Verification = st })
	}
	next := "/account"
	if n := r.PostForm.Get("next"); n != "" {
		next = fpr.SafeNext(n)
	}
	return s.redirect(w, r, next, "verification-sent")
}

// handleNotificationsUpdate handles POST /account/notifications: each
// topic is on when its checkbox is sent.
func (s *Server) handleNotificationsUpdate(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r.Context()); err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	on := map[fpr.Topic]bool{}
	for _, t := range r.PostForm["topic"] {
		on[fpr.Topic(t)] = true
	}
	settings := make([]fpr.NotificationSetting, 0, len(fpr.Topics))
	for _, t := range fpr.Topics {
		settings = append(settings, fpr.NotificationSetting{Topic: t, Enabled: on[t]})
		delete(on, t)
	}
	for t := range on { // an unknown topic: the service refuses it
		settings = append(settings, fpr.NotificationSetting{Topic: t, Enabled: true})
	}
	if err := s.Accounts.SetNotifications(r.Context(), settings); err != nil {
		return s.accountFormFailed(w, r, err, func(p *accountPage, st formState) { p.NotifyForm = st })
	}
	return s.redirect(w, r, "/account#notifications", "notifications-saved")
}

// handleAccountDelete handles POST /account/delete {current_password}.
func (s *Server) handleAccountDelete(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r.Context()); err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	if err := s.Accounts.DeleteAccount(r.Context(), r.PostForm.Get("current_password")); err != nil {
		return s.accountFormFailed(w, r, err, func(p *accountPage, st formState) { p.Delete = st })
	}
	s.clearSessionCookie(w)
	return s.redirect(w, r, "/", "account-deleted")
}
