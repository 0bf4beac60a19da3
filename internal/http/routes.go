package http

import (
	"net/http"
)

// Handler names follow one pattern: handle<Resource><Action> for pages and
// operations endpoints, handleAPI<Resource><Action> for the JSON API.
// Resource is singular and names the thing the path addresses (Farm,
// Review, ErrorGroup; AdminFarm for a farm in the administration pages).
// Action is one of:
//
//	List    GET of a collection          handleProductList, handleAPIFarmList
//	Show    GET of one thing or a page   handleProductShow, handleAPIMeShow
//	Create  POST that makes a new thing  handleReviewCreate, handleAPIFlagCreate
//	Update  PATCH, or a POST edit form   handleReviewUpdate, handleAPIFarmUpdate
//	Set     PUT, or a POST that sets     handleHelpfulSet, handleAPIReplySet
//	Delete  DELETE, or a POST delete     handleReviewDelete, handleAPIProductDelete
//	Form    GET of a form alone          handleAuthLoginForm
//
// or the verb of a step that is none of those (Register, Login, Logout,
// Moderate, Resolve): handleAuthLogin, handleAPIReviewModerate,
// handleErrorGroupResolve. A page handler and its API twin differ only by
// the API infix: handleReviewCreate and handleAPIReviewCreate.

// routes lists every route and builds the middleware chain, outermost
// first: request ID and client address, security headers, log (and
// metrics), recover, the request's deadline, clean input (input.go),
// cross-origin protection, auth, then the mux, whose handlers record their
// pattern.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	s.mux = mux
	handle := func(pattern string, h http.Handler) { mux.Handle(pattern, withPattern(h)) }

	// Operations.
	handle("GET /healthz", http.HandlerFunc(s.handleHealthShow))
	handle("GET /readyz", http.HandlerFunc(s.handleReadinessShow))
	handle("GET /version", http.HandlerFunc(s.handleVersionShow))
	handle("GET /api/v1/openapi.json", http.HandlerFunc(s.handleOpenAPIShow))
	handle("GET /metrics", http.HandlerFunc(s.handleMetricsShow))

	// API: accounts.
	handle("POST /api/v1/auth/register", s.api(s.handleAPIAuthRegister))
	handle("POST /api/v1/auth/login", s.api(s.handleAPIAuthLogin))
	handle("POST /api/v1/auth/logout", s.api(s.handleAPIAuthLogout))
	handle("GET /api/v1/me", s.api(s.handleAPIMeShow))
	handle("POST /api/v1/me/password", s.api(s.handleAPIPasswordUpdate))
	handle("PATCH /api/v1/me", s.api(s.handleAPIMeUpdate))
	handle("DELETE /api/v1/me", s.api(s.handleAPIMeDelete))
	handle("GET /api/v1/me/export", s.api(s.handleAPIMeExportShow))
	handle("POST /api/v1/me/verification-email", s.api(s.handleAPIVerificationEmailCreate))
	handle("POST /api/v1/auth/verify-email", s.api(s.handleAPIEmailVerify))
	handle("POST /api/v1/auth/password-reset", s.api(s.handleAPIPasswordResetCreate))
	handle("POST /api/v1/auth/password-reset/confirm", s.api(s.handleAPIPasswordResetConfirm))
	handle("GET /api/v1/me/sessions", s.api(s.handleAPISessionList))
	handle("DELETE /api/v1/me/sessions/{id}", s.api(s.handleAPISessionDelete))
	handle("POST /api/v1/me/mfa/totp", s.api(s.handleAPIMFACreate))
	handle("POST /api/v1/me/mfa/totp/confirm", s.api(s.handleAPIMFAConfirm))
	handle("DELETE /api/v1/me/mfa/totp", s.api(s.handleAPIMFADelete))
	handle("GET /api/v1/admin/users", s.api(s.handleAPIUserList))
	handle("PATCH /api/v1/admin/users/{id}", s.api(s.handleAPIUserRoleUpdate))

	// API: catalogue (farms, products).
	handle("GET /api/v1/farms", s.api(s.handleAPIFarmList))
	handle("POST /api/v1/farms", s.api(s.handleAPIFarmCreate))
	handle("GET /api/v1/farms/{id}", s.api(s.handleAPIFarmShow))
	handle("PATCH /api/v1/farms/{id}", s.api(s.handleAPIFarmUpdate))
	handle("POST /api/v1/farm-applications", s.api(s.handleAPIFarmApplicationCreate))
	handle("GET /api/v1/farm-applications", s.api(s.handleAPIFarmApplicationList))
	handle("POST /api/v1/farm-applications/{id}", s.api(s.handleAPIFarmApplicationDecide))
	handle("GET /api/v1/me/farm-applications", s.api(s.handleAPIOwnFarmApplicationList))
	handle("GET /api/v1/me/farm-reviews", s.api(s.handleAPIFarmReviewList))
	handle("GET /api/v1/products", s.api(s.handleAPIProductList))
	handle("POST /api/v1/products", s.api(s.handleAPIProductCreate))
	handle("GET /api/v1/products/{id}", s.api(s.handleAPIProductShow))
	handle("PATCH /api/v1/products/{id}", s.api(s.handleAPIProductUpdate))
	handle("DELETE /api/v1/products/{id}", s.api(s.handleAPIProductDelete))

	// API: reviews, votes, flags, replies.
	handle("GET /api/v1/products/{id}/reviews", s.api(s.handleAPIProductReviewList))
	handle("POST /api/v1/products/{id}/reviews", s.api(s.handleAPIReviewCreate))
	handle("GET /api/v1/reviews/{id}", s.api(s.handleAPIReviewShow))
	handle("PATCH /api/v1/reviews/{id}", s.api(s.handleAPIReviewUpdate))
	handle("DELETE /api/v1/reviews/{id}", s.api(s.handleAPIReviewDelete))
	handle("PUT /api/v1/reviews/{id}/helpful", s.api(s.handleAPIHelpfulSet))
	handle("DELETE /api/v1/reviews/{id}/helpful", s.api(s.handleAPIHelpfulDelete))
	handle("POST /api/v1/reviews/{id}/flags", s.api(s.handleAPIFlagCreate))
	handle("PUT /api/v1/reviews/{id}/reply", s.api(s.handleAPIReplySet))
	handle("GET /api/v1/users/{id}/reviews", s.api(s.handleAPIUserReviewList))
	handle("GET /api/v1/reviews/{id}/history", s.api(s.handleAPIReviewHistoryList))
	handle("GET /api/v1/categories", s.api(s.handleAPICategoryList))
	handle("GET /api/v1/products/{id}/moderation", s.api(s.handleAPIProductModerationShow))
	handle("POST /api/v1/farms/{id}/purchase-codes", s.api(s.handleAPIPurchaseCodeCreate))

	// API: photos (multipart uploads).
	handle("POST /api/v1/reviews/{id}/photos", s.api(s.handleAPIReviewPhotoCreate))
	handle("PUT /api/v1/products/{id}/photo", s.api(s.handleAPIProductPhotoSet))
	handle("PUT /api/v1/farms/{id}/photo", s.api(s.handleAPIFarmPhotoSet))
	handle("DELETE /api/v1/photos/{id}", s.api(s.handleAPIPhotoDelete))

	// API: moderation and administration.
	handle("GET /api/v1/moderation/queue", s.api(s.handleAPIModerationQueueList))
	handle("POST /api/v1/moderation/reviews/{id}", s.api(s.handleAPIReviewModerate))
	handle("GET /api/v1/moderation/reviews/{id}/log", s.api(s.handleAPIModerationLogList))

	// API: operations (error groups, releases).
	handle("GET /api/v1/ops/errors", s.api(s.handleAPIErrorGroupList))
	handle("GET /api/v1/ops/errors/{fingerprint}", s.api(s.handleAPIErrorGroupShow))
	handle("POST /api/v1/ops/errors/{fingerprint}/resolve", s.api(s.handleAPIErrorGroupResolve))
	handle("GET /api/v1/ops/releases", s.api(s.handleAPIReleaseList))
	handle("GET /api/v1/ops/requests/{request_id}", s.api(s.handleAPIRequestErrorShow))
	handle("GET /api/v1/ops/audit", s.api(s.handleAPIAuditEntryList))

	// Pages: handlers in <resource>.go, the render system in templates.go.
	s.mustLoadWeb()
	page := func(pattern string, h pageFunc) { handle(pattern, s.page(h)) }
	page("GET /static/{hash}/{name}", s.handleStaticFileShow)
	page("GET /{$}", s.handleHomeShow)
	page("GET /register", s.handleAuthRegisterForm)
	page("POST /register", s.handleAuthRegister)
	page("GET /login", s.handleAuthLoginForm)
	page("POST /login", s.handleAuthLogin)
	page("POST /logout", s.handleAuthLogout)
	page("GET /account", s.handleAccountShow)
	page("POST /account/password", s.handlePasswordUpdate)
	page("POST /account/profile", s.handleProfileUpdate)
	page("POST /account/email", s.handleEmailUpdate)
	page("POST /account/verification-email", s.handleVerificationEmailCreate)
	page("POST /account/notifications", s.handleNotificationsUpdate)
	page("POST /account/delete", s.handleAccountDelete)
	page("GET /verify-email", s.handleEmailVerifyForm)
	page("POST /verify-email", s.handleEmailVerify)
	page("GET /forgot-password", s.handlePasswordResetForm)
	page("POST /forgot-password", s.handlePasswordResetCreate)
	page("GET /reset-password", s.handlePasswordResetConfirmForm)
	page("POST /reset-password", s.handlePasswordResetConfirm)
	page("GET /unsubscribe", s.handleUnsubscribeForm)
	page("POST /unsubscribe", s.handleUnsubscribe)
	page("POST /account/sessions/{id}/delete", s.handleSessionDelete)
	page("GET /account/mfa", s.handleMFAShow)
	page("POST /account/mfa", s.handleMFACreate)
	page("POST /account/mfa/confirm", s.handleMFAConfirm)
	page("POST /account/mfa/delete", s.handleMFADelete)
	page("GET /products", s.handleProductList)
	page("GET /products/{id}", s.handleProductShow)
	page("POST /products/{id}/reviews", s.handleReviewCreate)
	page("POST /reviews/{id}/edit", s.handleReviewUpdate)
	page("POST /reviews/{id}/delete", s.handleReviewDelete)
	page("POST /reviews/{id}/helpful", s.handleHelpfulSet)
	page("POST /reviews/{id}/flag", s.handleFlagCreate)
	page("POST /reviews/{id}/reply", s.handleReplySet)
	page("GET /reviews/{id}", s.handleReviewShow)
	page("GET /reviews/{id}/history", s.handleReviewHistoryList)
	page("POST /reviews/{id}/photos", s.handleReviewPhotoCreate)
	page("POST /photos/{id}/delete", s.handlePhotoDelete)
	page("POST /products/{id}/photo", s.handleProductPhotoSet)
	page("POST /farms/{id}/photo", s.handleFarmPhotoSet)
	page("GET /farms/{id}/purchase-codes", s.handlePurchaseCodeForm)
	page("POST /farms/{id}/purchase-codes", s.handlePurchaseCodeCreate)
	page("GET /media/{id}/{size}", s.handleMediaShow)
	page("GET /farms", s.handleFarmList)
	page("GET /farms/{id}", s.handleFarmShow)
	page("GET /account/farm-application", s.handleFarmApplicationForm)
	page("POST /account/farm-application", s.handleFarmApplicationCreate)
	page("GET /account/farm-reviews", s.handleFarmReviewList)
	page("POST /account/farm-reviews/{id}/reply", s.handleFarmReviewReplySet)
	page("GET /admin/farm-applications", s.handleAdminFarmApplicationList)
	page("POST /admin/farm-applications/{id}", s.handleAdminFarmApplicationDecide)
	page("GET /users/{id}", s.handleUserShow)
	page("GET /moderation", s.handleModerationQueueList)
	page("GET /ops", s.handleErrorGroupList)
	page("GET /ops/requests", s.handleRequestErrorShow)
	page("GET /ops/errors/{fingerprint}", s.handleErrorGroupShow)
	page("POST /ops/errors/{fingerprint}/resolve", s.handleErrorGroupResolve)
	page("GET /ops/releases", s.handleReleaseList)
	page("GET /ops/alerts", s.handleAlertList)
	page("GET /ops/mail", s.handleMailList)
	page("GET /ops/audit", s.handleAuditEntryList)
	page("GET /moderation/reviews/{id}", s.handleModerationReviewShow)
	page("POST /moderation/reviews/{id}", s.handleReviewModerate)
	page("GET /admin", s.handleAdminFarmList)
	page("POST /admin/farms", s.handleAdminFarmCreate)
	page("GET /admin/farms/{id}", s.handleAdminFarmShow)
	page("POST /admin/farms/{id}", s.handleAdminFarmUpdate)
	page("POST /admin/farms/{id}/products", s.handleAdminProductCreate)
	page("GET /admin/products/{id}", s.handleAdminProductShow)
	page("POST /admin/products/{id}", s.handleAdminProductUpdate)
	page("POST /admin/products/{id}/delete", s.handleAdminProductDelete)
	page("GET /admin/users", s.handleAdminUserList)
	page("POST /admin/users/{id}/role", s.handleAdminUserRoleUpdate)
	page("/", s.handleNotFoundShow)

	// Embeds and the badge: no cookies, frameable (embed.go).
	handle("GET /embed/farms/{id}", s.embed(s.handleEmbedFarmShow))
	handle("GET /embed/products/{id}", s.embed(s.handleEmbedProductShow))
	handle("GET /farms/{id}/badge.svg", s.embed(s.handleFarmBadgeShow))

	for pattern, h := range s.testRoutes {
		handle(pattern, h)
	}

	// Anything else under /api/ is a JSON 404, not a page.
	// A path that exists with another method is 405 with Allow.
	handle("/api/", s.api(func(w http.ResponseWriter, r *http.Request) error {
		if s.notAllowed(w, r) {
			return nil
		}
		return errNoRoute
	}))

	csrf := http.NewCrossOriginProtection()
	csrf.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.respondError(w, r, errCrossOrigin)
	}))

	var h http.Handler = mux
	h = s.withAuth(h)
	h = csrf.Handler(h)
	h = s.withCleanInput(h)
	h = s.withRecover(h)
	h = s.withLog(h)
	h = s.withSecurityHeaders(h)
	h = s.withRequestID(h)
	return h
}
