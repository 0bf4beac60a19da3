package http

import (
	"net/http"
)

// The two-factor endpoints of SPEC section 7, for the acting user.

type apiTOTPSetupJSON struct {
	Secret     string `json:"secret"`
	OTPAuthURL string `json:"otpauth_url"`
}

type apiRecoveryCodesJSON struct {
	RecoveryCodes []string `json:"recovery_codes"`
}

// handleAPIMFACreate handles POST /api/v1/me/mfa/totp: a new secret to
// confirm, replacing one that waits.
func (s *Server) handleAPIMFACreate(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r.Context()); err != nil {
		return err
	}
	setup, err := s.MFA.BeginTOTP(r.Context())
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, apiTOTPSetupJSON{Secret: setup.Secret, OTPAuthURL: setup.URL})
	return nil
}

// handleAPIMFAConfirm handles POST /api/v1/me/mfa/totp/confirm: two-factor
// is on, and the recovery codes are shown this once.
func (s *Server) handleAPIMFAConfirm(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r.Context()); err != nil {
		return err
	}
	var in struct {
		Code string `json:"code"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	codes, err := s.MFA.ConfirmTOTP(r.Context(), in.Code)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, apiRecoveryCodesJSON{RecoveryCodes: codes})
	return nil
}

// handleAPIMFADelete handles DELETE /api/v1/me/mfa/totp: two-factor is
// off, given a code and the password.
func (s *Server) handleAPIMFADelete(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r.Context()); err != nil {
		return err
	}
	var in struct {
		Code            string `json:"code"`
		CurrentPassword string `json:"current_password"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	if err := s.MFA.DisableTOTP(r.Context(), in.Code, in.CurrentPassword); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
