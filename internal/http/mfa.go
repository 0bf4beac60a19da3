package http

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"html/template"
	"image/png"
	"net/http"

	"github.com/pquerna/otp"

	"github.com/fpr-team/fpr"
)

// The two-factor page, /account/mfa: set up TOTP (a QR code drawn here, as
// an inline PNG, and the secret as text), confirm it with a code, see the
// recovery codes once, and turn it off with a code and the password.

// qrSize is the width and height of the QR code in pixels.
const qrSize = 240

type mfaPage struct {
	basePage
	Status fpr.MFAStatus
	// QR is the PNG of the pending setup's otpauth:// URL, as a data URL.
	QR template.URL
	// Secret is the pending secret in groups of four, for typing.
	Secret string
	// RecoveryCodes are shown once, right after confirming.
	RecoveryCodes []string
	// StaffNeedsMFA is set for a moderator or admin who must set it up.
	StaffNeedsMFA bool
	Confirm       codeForm
	Disable       codeForm
}

type codeForm struct {
	Code string
	formState
}

// mfaPage builds the page from the acting user's two-factor state.
func (s *Server) mfaPage(w http.ResponseWriter, r *http.Request) (*mfaPage, error) {
	u, err := requireUser(r.Context())
	if err != nil {
		return nil, err
	}
	st, err := s.MFA.MFAStatus(r.Context())
	if err != nil {
		return nil, err
	}
	p := &mfaPage{basePage: s.base(w, r, "Two-factor authentication"), Status: *st,
		StaffNeedsMFA: u.StaffPowersWithheld}
	if st.Pending != nil {
		if p.QR, err = qrDataURL(st.Pending.URL); err != nil {
			return nil, err
		}
		p.Secret = fpr.FormatRecoveryCode(st.Pending.Secret)
	}
	return p, nil
}

// qrDataURL draws the QR code of an otpauth:// URL as a PNG data URL. It
// is drawn here: the secret never leaves the server for a QR service.
func qrDataURL(otpauthURL string) (template.URL, error) {
	key, err := otp.NewKeyFromURL(otpauthURL)
	if err != nil {
		return "", fmt.Errorf("qr code: %w", err)
	}
	img, err := key.Image(qrSize, qrSize)
	if err != nil {
		return "", fmt.Errorf("qr code: %w", err)
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		return "", fmt.Errorf("qr code: %w", err)
	}
	// A data: URL of a PNG we encoded; the CSP allows data: images.
	return template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(b.Bytes())), //nolint:gosec // G203: the URL is our own base64 PNG, no user text
		nil
}

// handleMFAShow handles GET /account/mfa.
func (s *Server) handleMFAShow(w http.ResponseWriter, r *http.Request) error {
	p, err := s.mfaPage(w, r)
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "mfa", p)
}

// handleMFACreate handles POST /account/mfa: a new secret to confirm,
// shown by the page it redirects to.
func (s *Server) handleMFACreate(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r.Context()); err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	if _, err := s.MFA.BeginTOTP(r.Context()); err != nil {
		return formFailed(s, w, r, err, "mfa", func() (*mfaPage, error) { return s.mfaPage(w, r) },
			func(p *mfaPage, st formState) { p.Confirm.formState = st })
	}
	return s.redirect(w, r, "/account/mfa#mfa-setup", "")
}

// handleMFAConfirm handles POST /account/mfa/confirm: with the right code
// two-factor is on and the page shows the recovery codes, this once.
func (s *Server) handleMFAConfirm(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r.Context()); err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	f := codeForm{Code: r.PostForm.Get("code")}
	codes, err := s.MFA.ConfirmTOTP(r.Context(), f.Code)
	if err != nil {
		return formFailed(s, w, r, err, "mfa", func() (*mfaPage, error) { return s.mfaPage(w, r) },
			func(p *mfaPage, st formState) {
				f.formState = st
				p.Confirm = f
			})
	}
	p, err := s.mfaPage(w, r)
	if err != nil {
		return err
	}
	p.RecoveryCodes = codes
	p.StaffNeedsMFA = false
	return s.render(w, r, http.StatusOK, "mfa", p)
}

// handleMFADelete handles POST /account/mfa/delete: two-factor is off,
// given a code and the password.
func (s *Server) handleMFADelete(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r.Context()); err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	f := codeForm{Code: r.PostForm.Get("code")}
	if err := s.MFA.DisableTOTP(r.Context(), f.Code, r.PostForm.Get("current_password")); err != nil {
		return formFailed(s, w, r, err, "mfa", func() (*mfaPage, error) { return s.mfaPage(w, r) },
			func(p *mfaPage, st formState) {
				f.formState = st
				p.Disable = f
			})
	}
	return s.redirect(w, r, "/account/mfa", "mfa-disabled")
}
