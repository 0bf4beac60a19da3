package http

import (
	"net/http"

	"github.com/fpr-team/fpr"
)

// The pages behind the links in FPR's mails: confirming an e-mail
// address, asking for and choosing a new password, and unsubscribing from
// a notification. A link's GET only shows a form with a button: mail
// scanners that fetch links must not spend single-use tokens.

type tokenPage struct {
	basePage
	Token string
	Form  formState
}

type forgotPasswordPage struct {
	basePage
	Email string
	Sent  bool
	Form  formState
}

type unsubscribePage struct {
	basePage
	Token string
	Done  fpr.Topic
	Form  formState
}

// handleEmailVerifyForm handles GET /verify-email?token=….
func (s *Server) handleEmailVerifyForm(w http.ResponseWriter, r *http.Request) error {
	return s.render(w, r, http.StatusOK, "verify_email",
		&tokenPage{basePage: s.base(w, r, "Confirm your e-mail address"), Token: r.URL.Query().Get("token")})
}

// handleEmailVerify handles POST /verify-email.
func (s *Server) handleEmailVerify(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	token := r.PostForm.Get("token")
	if err := s.Accounts.VerifyEmail(r.Context(), token); err != nil {
		return formFailed(s, w, r, err, "verify_email", func() (*tokenPage, error) {
			return &tokenPage{basePage: s.base(w, r, "Confirm your e-mail address"), Token: token}, nil
		}, func(p *tokenPage, st formState) { p.Form = st })
	}
	next := "/login"
	if fpr.UserFromContext(r.Context()) != nil {
		next = "/account"
	}
	return s.redirect(w, r, next, "email-verified")
}

// handlePasswordResetForm handles GET /forgot-password.
func (s *Server) handlePasswordResetForm(w http.ResponseWriter, r *http.Request) error {
	return s.render(w, r, http.StatusOK, "forgot_password", &forgotPasswordPage{basePage: s.base(w, r, "Forgot your password?")})
}

// handlePasswordResetCreate handles POST /forgot-password: the same answer
// whether or not the address has an account.
func (s *Server) handlePasswordResetCreate(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	email := r.PostForm.Get("email")
	if err := s.Accounts.RequestPasswordReset(r.Context(), email); err != nil {
		return formFailed(s, w, r, err, "forgot_password", func() (*forgotPasswordPage, error) {
			return &forgotPasswordPage{basePage: s.base(w, r, "Forgot your password?"), Email: email}, nil
		}, func(p *forgotPasswordPage, st formState) { p.Form = st })
	}
	return s.render(w, r, http.StatusOK, "forgot_password",
		&forgotPasswordPage{basePage: s.base(w, r, "Forgot your password?"), Email: email, Sent: true})
}

// handlePasswordResetConfirmForm handles GET /reset-password?token=….
func (s *Server) handlePasswordResetConfirmForm(w http.ResponseWriter, r *http.Request) error {
	return s.render(w, r, http.StatusOK, "reset_password",
		&tokenPage{basePage: s.base(w, r, "Choose a new password"), Token: r.URL.Query().Get("token")})
}

// handlePasswordResetConfirm handles POST /reset-password: sets the new
// password, which logs the account out everywhere; then the person logs in.
func (s *Server) handlePasswordResetConfirm(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	token := r.PostForm.Get("token")
	if err := s.Accounts.ResetPassword(r.Context(), token, r.PostForm.Get("password")); err != nil {
		return formFailed(s, w, r, err, "reset_password", func() (*tokenPage, error) {
			return &tokenPage{basePage: s.base(w, r, "Choose a new password"), Token: token}, nil
		}, func(p *tokenPage, st formState) { p.Form = st })
	}
	s.clearSessionCookie(w)
	return s.redirect(w, r, "/login", "password-reset")
}

// handleUnsubscribeForm handles GET /unsubscribe?token=….
func (s *Server) handleUnsubscribeForm(w http.ResponseWriter, r *http.Request) error {
	return s.render(w, r, http.StatusOK, "unsubscribe",
		&unsubscribePage{basePage: s.base(w, r, "Unsubscribe"), Token: r.URL.Query().Get("token")})
}

// handleUnsubscribe handles POST /unsubscribe?token=…: the one-click
// unsubscribe of RFC 8058 (a mail client posts List-Unsubscribe=One-Click
// to the URL of the List-Unsubscribe header, without a session or a
// same-origin header) and the page's button (token in the form).
func (s *Server) handleUnsubscribe(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	token := r.PostForm.Get("token")
	if token == "" {
		token = r.URL.Query().Get("token")
	}
	topic, err := s.Accounts.Unsubscribe(r.Context(), token)
	if err != nil {
		return formFailed(s, w, r, err, "unsubscribe", func() (*unsubscribePage, error) {
			return &unsubscribePage{basePage: s.base(w, r, "Unsubscribe"), Token: token}, nil
		}, func(p *unsubscribePage, st formState) { p.Form = st })
	}
	return s.render(w, r, http.StatusOK, "unsubscribe", &unsubscribePage{basePage: s.base(w, r, "Unsubscribed"), Done: topic})
}
