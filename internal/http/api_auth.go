package http

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"

	"github.com/fpr-team/fpr"
)

// apiUserJSON is the API's User.
type apiUserJSON struct {
	ID            string   `json:"id"`
	Email         string   `json:"email,omitempty"`
	EmailVerified *bool    `json:"email_verified,omitempty"`
	DisplayName   string   `json:"display_name"`
	Role          fpr.Role `json:"role"`
	CreatedAt     string   `json:"created_at"`
	// MFAEnabled is shown to the user and admins only.
	MFAEnabled *bool `json:"mfa_enabled,omitempty"`
}

// apiUser builds the JSON of u as viewer may see it: the e-mail and
// whether it is verified only for the user themselves and for admins.
func apiUser(u, viewer *fpr.User) apiUserJSON {
	j := apiUserJSON{ID: u.ID, DisplayName: u.DisplayName, Role: u.Role, CreatedAt: apiTime(u.CreatedAt)}
	if fpr.CanSeeEmail(viewer, u) {
		j.Email = u.Email
		verified := u.EmailVerified
		j.EmailVerified = &verified
	}
	if fpr.CanSeeMFAStatus(viewer, u) {
		j.MFAEnabled = &u.MFAEnabled
	}
	return j
}

type apiUserEnvelope struct {
	User apiUserJSON `json:"user"`
}

type apiLoginJSON struct {
	Token     string      `json:"token"`
	ExpiresAt string      `json:"expires_at"`
	User      apiUserJSON `json:"user"`
}

// clientAddr is the client's IP address, for login throttling. It is the
// peer address, unless the peer is one of TrustedProxies (the load
// balancers in front of several instances): then it is the rightmost
// X-Forwarded-For entry that is not a trusted proxy. Entries left of that
// were written by the client and can be forged, so they are never used.
func (s *Server) clientAddr(r *http.Request) string {
	peer := peerAddr(r)
	if !s.trusted(peer) {
		return peer
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		hop := strings.TrimSpace(hops[i])
		if _, err := netip.ParseAddr(hop); err != nil {
			break // a malformed hop: stop at the last address we trust
		}
		if !s.trusted(hop) {
			return hop
		}
		peer = hop
	}
	return peer
}

// peerAddr is the IP address of the connection's other end.
func peerAddr(r *http.Request) string {
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		return host
	}
	return r.RemoteAddr
}

// trusted reports whether addr is in one of TrustedProxies.
func (s *Server) trusted(addr string) bool {
	a, err := netip.ParseAddr(addr)
	if err != nil {
		return false
	}
	a = a.Unmap()
	for _, p := range s.TrustedProxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// handleAPIAuthRegister handles POST /api/v1/auth/register.
func (s *Server) handleAPIAuthRegister(w http.ResponseWriter, r *http.Request) error {
	return s.idempotent(w, r, func(w http.ResponseWriter, r *http.Request) error {
		var in struct {
			Email       string `json:"email"`
			Password    string `json:"password"`
			DisplayName string `json:"display_name"`
		}
		if err := decodeJSON(w, r, &in); err != nil {
			return err
		}
		markProbe(r, fpr.IsProbeEmail(in.Email))
		u, err := s.Auth.Register(r.Context(), fpr.Registration{Email: in.Email, Password: in.Password, DisplayName: in.DisplayName})
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusCreated, apiUserEnvelope{User: apiUser(u, u)})
		return nil
	}, func(written any) (any, error) {
		u, ok := written.(*fpr.User)
		if !ok {
			return nil, fmt.Errorf("idempotent registration: wrote a %T", written)
		}
		return apiUserEnvelope{User: apiUser(u, u)}, nil
	})
}

// handleAPIAuthLogin handles POST /api/v1/auth/login.
func (s *Server) handleAPIAuthLogin(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Email    string `json:"email"`
		Password string `json:"password"`
		OTP      string `json:"otp"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	sess, u, err := s.Auth.Login(r.Context(), fpr.Credentials{
		Email: in.Email, Password: in.Password, OTP: in.OTP, ClientAddr: s.clientAddr(r), Kind: fpr.SessionAPI,
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, apiLoginJSON{Token: sess.Token, ExpiresAt: apiTime(sess.ExpiresAt), User: apiUser(u, u)})
	return nil
}

// handleAPIAuthLogout handles POST /api/v1/auth/logout: it revokes the token
// or session the request came with.
func (s *Server) handleAPIAuthLogout(w http.ResponseWriter, r *http.Request) error {
	si, ok := sessionFromContext(r.Context())
	if !ok {
		return fpr.ErrUnauthenticated
	}
	if err := s.Auth.Logout(r.Context(), si.token); err != nil {
		return err
	}
	if !si.bearer {
		http.SetCookie(w, s.cookie(s.sessionCookie(), "", -1))
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// handleAPIMeShow handles GET /api/v1/me.
func (s *Server) handleAPIMeShow(w http.ResponseWriter, r *http.Request) error {
	u, err := requireUser(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, apiUserEnvelope{User: apiUser(u, u)})
	return nil
}

// handleAPIPasswordUpdate handles POST /api/v1/me/password. Every session
// of the user ends, the one of this request included.
func (s *Server) handleAPIPasswordUpdate(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r.Context()); err != nil {
		return err
	}
	var in struct {
		CurrentPassword string `json:"current_password"`
		NewPassword     string `json:"new_password"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	if err := s.Auth.ChangePassword(r.Context(), in.CurrentPassword, in.NewPassword); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
