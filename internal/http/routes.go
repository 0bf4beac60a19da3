package http

import (
	"net/http"
)

// routes lists every route and builds the middleware chain, outermost
// first: request ID, security headers, log (and metrics), recover,
// cross-origin protection, auth, then the mux, whose handlers record their
// pattern.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	handle := func(pattern string, h http.Handler) { mux.Handle(pattern, withPattern(h)) }

	// Operations.
	handle("GET /healthz", http.HandlerFunc(s.handleHealthz))
	handle("GET /readyz", http.HandlerFunc(s.handleReadyz))
	handle("GET /version", http.HandlerFunc(s.handleVersion))
	handle("GET /api/v1/openapi.json", http.HandlerFunc(s.handleOpenAPI))
	handle("GET /metrics", http.HandlerFunc(s.handleMetrics))

	// API: accounts.
	handle("POST /api/v1/auth/register", s.api(s.handleAPIRegister))
	handle("POST /api/v1/auth/login", s.api(s.handleAPILogin))
	handle("POST /api/v1/auth/logout", s.api(s.handleAPILogout))
	handle("GET /api/v1/me", s.api(s.handleAPIMe))
	handle("POST /api/v1/me/password", s.api(s.handleAPIPasswordChange))
	handle("GET /api/v1/admin/users", s.api(s.handleAPIUsers))
	handle("PATCH /api/v1/admin/users/{id}", s.api(s.handleAPIUserRole))

	// API: catalogue (farms, products).
	handle("GET /api/v1/farms", s.api(s.handleAPIFarms))
	handle("POST /api/v1/farms", s.api(s.handleAPIFarmCreate))
	handle("GET /api/v1/farms/{id}", s.api(s.handleAPIFarm))
	handle("PATCH /api/v1/farms/{id}", s.api(s.handleAPIFarmUpdate))
	handle("GET /api/v1/products", s.api(s.handleAPIProducts))
	handle("POST /api/v1/products", s.api(s.handleAPIProductCreate))
	handle("GET /api/v1/products/{id}", s.api(s.handleAPIProduct))
	handle("PATCH /api/v1/products/{id}", s.api(s.handleAPIProductUpdate))
	handle("DELETE /api/v1/products/{id}", s.api(s.handleAPIProductDelete))

	// API: reviews, votes, flags, replies.
	handle("GET /api/v1/products/{id}/reviews", s.api(s.handleAPIProductReviews))
	handle("POST /api/v1/products/{id}/reviews", s.api(s.handleAPIReviewCreate))
	handle("GET /api/v1/reviews/{id}", s.api(s.handleAPIReview))
	handle("PATCH /api/v1/reviews/{id}", s.api(s.handleAPIReviewUpdate))
	handle("DELETE /api/v1/reviews/{id}", s.api(s.handleAPIReviewDelete))
	handle("PUT /api/v1/reviews/{id}/helpful", s.api(s.handleAPIHelpfulSet))
	handle("DELETE /api/v1/reviews/{id}/helpful", s.api(s.handleAPIHelpfulDelete))
	handle("POST /api/v1/reviews/{id}/flags", s.api(s.handleAPIFlagCreate))
	handle("PUT /api/v1/reviews/{id}/reply", s.api(s.handleAPIReplySet))
	handle("GET /api/v1/users/{id}/reviews", s.api(s.handleAPIUserReviews))

	// API: moderation and administration.
	handle("GET /api/v1/moderation/queue", s.api(s.handleAPIModerationQueue))
	handle("POST /api/v1/moderation/reviews/{id}", s.api(s.handleAPIModerate))
	handle("GET /api/v1/moderation/reviews/{id}/log", s.api(s.handleAPIModerationLog))

	// API: operations (error groups, releases).
	handle("GET /api/v1/ops/errors", s.api(s.handleAPIErrorGroups))
	handle("GET /api/v1/ops/errors/{fingerprint}", s.api(s.handleAPIErrorGroup))
	handle("POST /api/v1/ops/errors/{fingerprint}/resolve", s.api(s.handleAPIResolveErrorGroup))
	handle("GET /api/v1/ops/releases", s.api(s.handleAPIReleases))
	handle("GET /api/v1/ops/requests/{request_id}", s.api(s.handleAPIErrorByRequest))

	// Pages: handlers in <resource>.go, the render system in templates.go.
	s.mustLoadWeb()
	page := func(pattern string, h pageFunc) { handle(pattern, s.page(h)) }
	page("GET /static/{hash}/{name}", s.handleStatic)
	page("GET /{$}", s.handleHome)
	page("GET /register", s.handleRegisterForm)
	page("POST /register", s.handleRegister)
	page("GET /login", s.handleLoginForm)
	page("POST /login", s.handleLogin)
	page("POST /logout", s.handleLogout)
	page("GET /account", s.handleAccount)
	page("POST /account/password", s.handleChangePassword)
	page("GET /products", s.handleProducts)
	page("GET /products/{id}", s.handleProduct)
	page("POST /products/{id}/reviews", s.handleCreateReview)
	page("POST /reviews/{id}/edit", s.handleUpdateReview)
	page("POST /reviews/{id}/delete", s.handleDeleteReview)
	page("POST /reviews/{id}/helpful", s.handleHelpful)
	page("POST /reviews/{id}/flag", s.handleFlag)
	page("POST /reviews/{id}/reply", s.handleReply)
	page("GET /farms/{id}", s.handleFarm)
	page("GET /users/{id}", s.handleUser)
	page("GET /moderation", s.handleModeration)
	page("GET /ops", s.handleOps)
	page("GET /ops/requests", s.handleOpsRequest)
	page("GET /ops/errors/{fingerprint}", s.handleOpsGroup)
	page("POST /ops/errors/{fingerprint}/resolve", s.handleOpsResolve)
	page("GET /ops/releases", s.handleOpsReleases)
	page("GET /ops/alerts", s.handleOpsAlerts)
	page("GET /moderation/reviews/{id}", s.handleModerationReview)
	page("POST /moderation/reviews/{id}", s.handleModerate)
	page("GET /admin", s.handleAdmin)
	page("POST /admin/farms", s.handleCreateFarm)
	page("GET /admin/farms/{id}", s.handleAdminFarm)
	page("POST /admin/farms/{id}", s.handleUpdateFarm)
	page("POST /admin/farms/{id}/products", s.handleCreateProduct)
	page("GET /admin/products/{id}", s.handleAdminProduct)
	page("POST /admin/products/{id}", s.handleUpdateProduct)
	page("POST /admin/products/{id}/delete", s.handleDeleteProduct)
	page("GET /admin/users", s.handleAdminUsers)
	page("POST /admin/users/{id}/role", s.handleSetRole)
	page("/", s.handleNotFound)

	for pattern, h := range s.testRoutes {
		handle(pattern, h)
	}

	// Anything else under /api/ is a JSON 404, not a page.
	handle("/api/", s.api(func(w http.ResponseWriter, r *http.Request) error {
		return errNoRoute
	}))

	csrf := http.NewCrossOriginProtection()
	csrf.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.respondError(w, r, errCrossOrigin)
	}))

	var h http.Handler = mux
	h = s.withAuth(h)
	h = csrf.Handler(h)
	h = s.withRecover(h)
	h = s.withLog(h)
	h = withSecurityHeaders(h)
	h = withRequestID(h)
	return h
}
