package http

import (
	"net/http"
	"time"

	"github.com/fpr-team/fpr"
)

// The account API of SPEC section 7: e-mail verification, password reset,
// changing and deleting one's account, and the export of one's data. Each
// handler calls one fpr.AccountService method.

// handleAPIEmailVerify handles POST /api/v1/auth/verify-email {token}.
func (s *Server) handleAPIEmailVerify(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Token string `json:"token"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	if err := s.Accounts.VerifyEmail(r.Context(), in.Token); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// handleAPIVerificationEmailCreate handles POST /api/v1/me/verification-email.
func (s *Server) handleAPIVerificationEmailCreate(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r.Context()); err != nil {
		return err
	}
	if err := s.Accounts.ResendVerification(r.Context()); err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, apiAcceptedJSON{Message: "A new verification link is on its way."})
	return nil
}

// apiAcceptedJSON is the body of a 202.
type apiAcceptedJSON struct {
	Message string `json:"message"`
}

// resetAccepted is the one answer to a reset request, whether or not the
// address has an account.
var resetAccepted = apiAcceptedJSON{Message: "If an account uses this e-mail address, a link to reset its password is on its way."}

// handleAPIPasswordResetCreate handles POST /api/v1/auth/password-reset
// {email}: 202 with the same body whether or not the e-mail has an
// account.
func (s *Server) handleAPIPasswordResetCreate(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Email string `json:"email"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	if err := s.Accounts.RequestPasswordReset(r.Context(), in.Email); err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, resetAccepted)
	return nil
}

// handleAPIPasswordResetConfirm handles POST
// /api/v1/auth/password-reset/confirm {token, password}.
func (s *Server) handleAPIPasswordResetConfirm(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Token    string `json:"token"`
		Password string `json:"password"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	if err := s.Accounts.ResetPassword(r.Context(), in.Token, in.Password); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// handleAPIMeUpdate handles PATCH /api/v1/me {display_name?, email?,
// current_password?}.
func (s *Server) handleAPIMeUpdate(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r.Context()); err != nil {
		return err
	}
	var in struct {
		DisplayName     *string `json:"display_name"`
		Email           *string `json:"email"`
		CurrentPassword string  `json:"current_password"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	u, err := s.Accounts.UpdateAccount(r.Context(), fpr.AccountUpdate{
		DisplayName: in.DisplayName, Email: in.Email, CurrentPassword: in.CurrentPassword,
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, apiUserEnvelope{User: apiUser(u, u)})
	return nil
}

// handleAPIMeDelete handles DELETE /api/v1/me {current_password}.
func (s *Server) handleAPIMeDelete(w http.ResponseWriter, r *http.Request) error {
	si, ok := sessionFromContext(r.Context())
	if _, err := requireUser(r.Context()); err != nil || !ok {
		return fpr.ErrUnauthenticated
	}
	var in struct {
		CurrentPassword string `json:"current_password"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	if err := s.Accounts.DeleteAccount(r.Context(), in.CurrentPassword); err != nil {
		return err
	}
	if !si.bearer {
		s.clearSessionCookie(w)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// The export's JSON: every personal datum, with times in RFC 3339.
type (
	apiExportJSON struct {
		ExportedAt    string                 `json:"exported_at"`
		User          apiUserJSON            `json:"user"`
		Notifications map[fpr.Topic]bool     `json:"notifications"`
		Reviews       []apiExportReviewJSON  `json:"reviews"`
		Replies       []apiExportReplyJSON   `json:"replies"`
		HelpfulVotes  []apiExportVoteJSON    `json:"helpful_votes"`
		Flags         []apiExportFlagJSON    `json:"flags"`
		Sessions      []apiExportSessionJSON `json:"sessions"`
		Farms         []apiExportFarmJSON    `json:"farms"`
		// FarmApplications are the user's requests to list a farm.
		FarmApplications []apiFarmApplicationJSON `json:"farm_applications"`
	}
	apiExportReviewJSON struct {
		ID        string           `json:"id"`
		ProductID string           `json:"product_id"`
		Rating    int              `json:"rating"`
		Title     string           `json:"title"`
		Body      string           `json:"body"`
		Status    fpr.ReviewStatus `json:"status"`
		CreatedAt string           `json:"created_at"`
		UpdatedAt string           `json:"updated_at"`
	}
	apiExportReplyJSON struct {
		ReviewID  string `json:"review_id"`
		Body      string `json:"body"`
		CreatedAt string `json:"created_at"`
		UpdatedAt string `json:"updated_at"`
	}
	apiExportVoteJSON struct {
		ReviewID  string `json:"review_id"`
		CreatedAt string `json:"created_at"`
	}
	apiExportFlagJSON struct {
		ReviewID  string         `json:"review_id"`
		Reason    fpr.FlagReason `json:"reason"`
		Note      string         `json:"note"`
		CreatedAt string         `json:"created_at"`
	}
	apiExportSessionJSON struct {
		Kind      fpr.SessionKind `json:"kind"`
		CreatedAt string          `json:"created_at"`
		ExpiresAt string          `json:"expires_at"`
	}
	apiExportFarmJSON struct {
		ID          string `json:"id"`
		Name        string `json:"name"`
		Region      string `json:"region"`
		Description string `json:"description"`
		CreatedAt   string `json:"created_at"`
	}
)

// apiExport builds the export's JSON.
func apiExport(x *fpr.AccountExport, now time.Time) apiExportJSON {
	out := apiExportJSON{
		ExportedAt: apiTime(now), User: apiUser(x.User, x.User), Notifications: map[fpr.Topic]bool{},
		Reviews: []apiExportReviewJSON{}, Replies: []apiExportReplyJSON{}, HelpfulVotes: []apiExportVoteJSON{},
		Flags: []apiExportFlagJSON{}, Sessions: []apiExportSessionJSON{}, Farms: []apiExportFarmJSON{},
		FarmApplications: []apiFarmApplicationJSON{},
	}
	for _, n := range x.Notifications {
		out.Notifications[n.Topic] = n.Enabled
	}
	for _, r := range x.Reviews {
		out.Reviews = append(out.Reviews, apiExportReviewJSON{ID: r.ID, ProductID: r.ProductID, Rating: r.Rating, Title: r.Title,
			Body: r.Body, Status: r.Status, CreatedAt: apiTime(r.CreatedAt), UpdatedAt: apiTime(r.UpdatedAt)})
	}
	for _, r := range x.Replies {
		out.Replies = append(out.Replies, apiExportReplyJSON{ReviewID: r.ReviewID, Body: r.Body,
			CreatedAt: apiTime(r.CreatedAt), UpdatedAt: apiTime(r.UpdatedAt)})
	}
	for _, v := range x.HelpfulVotes {
		out.HelpfulVotes = append(out.HelpfulVotes, apiExportVoteJSON{ReviewID: v.ReviewID, CreatedAt: apiTime(v.CreatedAt)})
	}
	for _, f := range x.Flags {
		out.Flags = append(out.Flags, apiExportFlagJSON{ReviewID: f.ReviewID, Reason: f.Reason, Note: f.Note, CreatedAt: apiTime(f.CreatedAt)})
	}
	for _, s := range x.Sessions {
		out.Sessions = append(out.Sessions, apiExportSessionJSON{Kind: s.Kind, CreatedAt: apiTime(s.CreatedAt), ExpiresAt: apiTime(s.ExpiresAt)})
	}
	for _, f := range x.Farms {
		out.Farms = append(out.Farms, apiExportFarmJSON{ID: f.ID, Name: f.Name, Region: f.Region, Description: f.Description,
			CreatedAt: apiTime(f.CreatedAt)})
	}
	for _, a := range x.FarmApplications {
		out.FarmApplications = append(out.FarmApplications, apiFarmApplication(a))
	}
	return out
}

// handleAPIMeExportShow handles GET /api/v1/me/export: every personal
// datum as a JSON attachment.
func (s *Server) handleAPIMeExportShow(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r.Context()); err != nil {
		return err
	}
	x, err := s.Accounts.ExportAccount(r.Context())
	if err != nil {
		return err
	}
	w.Header().Set("Content-Disposition", `attachment; filename="fpr-my-data.json"`)
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, apiExport(x, s.Now()))
	return nil
}
