package http

import (
	"net/http"
	"net/url"

	"github.com/fpr-team/fpr"
)

// The account pages: register, log in, log out, and the account page with
// the visitor's reviews and the change-password form.
//
// A web session is an fpr.SessionWeb session of the AuthService, kept in
// the sessions table; the browser holds its token in the fpr_session
// cookie (HttpOnly, SameSite=Lax, Path=/, Secure when BaseURL is https).
// Logging in or registering always opens a new session (and revokes the
// one the browser had), logging out revokes it, and changing the password
// revokes every session of the user and opens a new one for this browser.

type registerPage struct {
	basePage
	Form registerForm
}

// registerForm is the register form's input; the password is never sent
// back to the browser.
type registerForm struct {
	Email       string
	DisplayName string
	formState
}

type loginPage struct {
	basePage
	Form loginForm
}

type loginForm struct {
	Email string
	Next  string
	// AskOTP shows the two-factor code field: the password was right for
	// an account with two-factor on. The password is asked again, as it
	// is never sent back to the browser.
	AskOTP bool
	formState
}

type accountPage struct {
	basePage
	Reviews  []namedReview
	NextURL  string
	Password formState
	// Sessions are the user's web sessions and API tokens, most recently
	// used first, each with a button that ends it.
	Sessions []sessionView
	// Notifications are the user's switches, every topic.
	Notifications []fpr.NotificationSetting
	// The forms of account_settings.go, each with its input and state.
	DisplayName  string
	Profile      formState
	NewEmail     string
	EmailChange  formState
	Verification formState
	Delete       formState
	NotifyForm   formState
}

// namedReview is a review with its product's name, for lists that mix
// products.
type namedReview struct {
	*fpr.Review
	ProductName string
}

// handleAuthRegisterForm handles GET /register.
func (s *Server) handleAuthRegisterForm(w http.ResponseWriter, r *http.Request) error {
	return s.render(w, r, http.StatusOK, "register", &registerPage{basePage: s.base(w, r, "Create an account")})
}

// handleAuthRegister handles POST /register: creates the account and logs the
// new member in.
func (s *Server) handleAuthRegister(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	f := registerForm{Email: r.PostForm.Get("email"), DisplayName: r.PostForm.Get("display_name")}
	password := r.PostForm.Get("password")
	markProbe(r, fpr.IsProbeEmail(f.Email))
	u, err := s.Auth.Register(r.Context(), fpr.Registration{Email: f.Email, Password: password, DisplayName: f.DisplayName})
	if err != nil {
		return formFailed(s, w, r, err, "register", func() (*registerPage, error) {
			return &registerPage{basePage: s.base(w, r, "Create an account")}, nil
		}, func(p *registerPage, st formState) {
			f.formState = st
			p.Form = f
		})
	}
	sess, err := s.Auth.OpenSession(r.Context(), u.ID, fpr.SessionWeb)
	if err != nil {
		return err
	}
	s.startSession(w, r, sess)
	return s.redirect(w, r, "/account", "registered")
}

// handleAuthLoginForm handles GET /login?next=….
func (s *Server) handleAuthLoginForm(w http.ResponseWriter, r *http.Request) error {
	f := loginForm{Next: fpr.SafeNext(r.URL.Query().Get("next"))}
	return s.render(w, r, http.StatusOK, "login", &loginPage{basePage: s.base(w, r, "Log in"), Form: f})
}

// handleAuthLogin handles POST /login: opens a new web session and goes back
// to the page the visitor came from.
func (s *Server) handleAuthLogin(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	f := loginForm{Email: r.PostForm.Get("email"), Next: fpr.SafeNext(r.PostForm.Get("next"))}
	otp := r.PostForm.Get("otp")
	sess, _, err := s.Auth.Login(r.Context(), fpr.Credentials{
		Email: f.Email, Password: r.PostForm.Get("password"), OTP: otp, ClientAddr: s.clientAddr(r), Kind: fpr.SessionWeb,
	})
	if err != nil {
		switch fpr.ErrorCode(err) {
		case fpr.CodeUnauthenticated:
			// A wrong e-mail or password: one message above the form (422),
			// whichever it was. A code field shown before stays.
			f.AskOTP = r.PostForm.Has("otp")
			err = fpr.Errorf(fpr.CodeValidationFailed, "%s", fpr.ErrorMessage(err))
		case fpr.CodeMFARequired:
			// The second step: the same form with the code field.
			f.AskOTP = true
			fields := fpr.FieldErrors{}
			if otp != "" {
				fields.Add("otp", "That code is not right, or it has been used already.")
			}
			fields.Add("password", "Enter your password again, with the code.")
			err = &fpr.Error{Code: fpr.CodeValidationFailed, Fields: fields,
				Message: "This account has two-factor authentication: enter the 6-digit code from your authenticator app, or a recovery code."}
		}
		return formFailed(s, w, r, err, "login", func() (*loginPage, error) {
			return &loginPage{basePage: s.base(w, r, "Log in")}, nil
		}, func(p *loginPage, st formState) {
			f.formState = st
			p.Form = f
		})
	}
	s.startSession(w, r, sess)
	return s.redirect(w, r, f.Next, "logged-in")
}

// handleAuthLogout handles POST /logout.
func (s *Server) handleAuthLogout(w http.ResponseWriter, r *http.Request) error {
	if si, ok := sessionFromContext(r.Context()); ok && !si.bearer {
		if err := s.Auth.Logout(r.Context(), si.token); err != nil {
			return err
		}
	}
	s.clearSessionCookie(w)
	return s.redirect(w, r, "/", "logged-out")
}

// handleAccountShow handles GET /account: the visitor's reviews, every status,
// newest first, and the change-password form.
func (s *Server) handleAccountShow(w http.ResponseWriter, r *http.Request) error {
	p, err := s.accountPage(w, r)
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "account", p)
}

func (s *Server) accountPage(w http.ResponseWriter, r *http.Request) (*accountPage, error) {
	u, err := requireUser(r.Context())
	if err != nil {
		return nil, err
	}
	p := &accountPage{basePage: s.base(w, r, "Your account"), DisplayName: u.DisplayName}
	if p.Notifications, err = s.Accounts.NotificationSettings(r.Context()); err != nil {
		return nil, err
	}
	reviews, next, err := s.Reviews.FindReviews(r.Context(), fpr.ReviewFilter{
		AuthorID: &u.ID, Sort: fpr.ReviewSortNewest, Page: fpr.Page{Cursor: r.URL.Query().Get("cursor")},
	})
	if err != nil {
		return nil, err
	}
	if p.Reviews, err = s.withProductNames(r, reviews); err != nil {
		return nil, err
	}
	if next != "" {
		p.NextURL = "/account?cursor=" + url.QueryEscape(next)
	}
	sessions, err := s.Auth.FindSessions(r.Context())
	if err != nil {
		return nil, err
	}
	current := currentSessionID(r)
	for _, ss := range sessions {
		p.Sessions = append(p.Sessions, sessionView{Session: ss, Current: ss.ID == current})
	}
	return p, nil
}

// handleSessionDelete handles POST /account/sessions/{id}/delete: ends
// one of the user's sessions. Ending this browser's own logs it out.
func (s *Server) handleSessionDelete(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r.Context()); err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	id := r.PathValue("id")
	if err := s.Auth.RevokeSession(r.Context(), id); err != nil {
		return err
	}
	if id == currentSessionID(r) {
		s.clearSessionCookie(w)
		return s.redirect(w, r, "/", "logged-out")
	}
	return s.redirect(w, r, "/account#sessions", "session-revoked")
}

// handlePasswordUpdate handles POST /account/password: checks the current
// password, sets the new one, revokes every session of the user and opens
// a new one for this browser.
func (s *Server) handlePasswordUpdate(w http.ResponseWriter, r *http.Request) error {
	u, err := requireUser(r.Context())
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	if err := s.Auth.ChangePassword(r.Context(), r.PostForm.Get("current_password"), r.PostForm.Get("new_password")); err != nil {
		return formFailed(s, w, r, err, "account", func() (*accountPage, error) { return s.accountPage(w, r) },
			func(p *accountPage, st formState) { p.Password = st })
	}
	sess, err := s.Auth.OpenSession(r.Context(), u.ID, fpr.SessionWeb)
	if err != nil {
		return err
	}
	s.startSession(w, r, sess)
	return s.redirect(w, r, "/account", "password-changed")
}

// startSession gives the browser the cookie of a new session, revoking
// the session it had, if any: a new login never reuses a session ID.
func (s *Server) startSession(w http.ResponseWriter, r *http.Request, sess *fpr.Session) {
	if c, err := r.Cookie(s.sessionCookie()); err == nil && c.Value != "" && c.Value != sess.Token {
		// The old session may already be revoked (password change); a
		// failure here leaves a session that expires on its own.
		_ = s.Auth.Logout(r.Context(), c.Value)
	}
	c := s.cookie(s.sessionCookie(), sess.Token, 0) //nolint:gosec // G124: s.cookie sets the attributes
	// The browser keeps the cookie until the session's absolute end; the
	// server ends it earlier when it goes unused (fpr.SessionExpiry).
	c.Expires = sess.CreatedAt.Add(fpr.WebSessionMaxAge)
	http.SetCookie(w, c)
}

func (s *Server) clearSessionCookie(w http.ResponseWriter) {
	http.SetCookie(w, s.cookie(s.sessionCookie(), "", -1))
}
