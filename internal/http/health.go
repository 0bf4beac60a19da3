package http

import (
	"context"
	"net/http"
	"time"

	"github.com/fpr-team/fpr"
	"github.com/fpr-team/fpr/web"
)

var (
	errNoRoute     = fpr.Errorf(fpr.CodeNotFound, "There is no such API endpoint.")
	errCrossOrigin = fpr.Errorf(fpr.CodeForbidden, "Cross-origin requests that change data are refused.")
)

// handleHealthShow handles GET /healthz: 200 while the process serves.
func (s *Server) handleHealthShow(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte("ok\n"))
}

// readyTimeout bounds the readiness check, so a load balancer learns of
// an outage within a second.
const readyTimeout = 800 * time.Millisecond

// handleReadinessShow handles GET /readyz: 200 when the database answers and the
// schema is current, else 503; 503 at once while the server drains.
func (s *Server) handleReadinessShow(w http.ResponseWriter, r *http.Request) {
	if s.draining.Load() {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "reason": "shutting down"})
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
	defer cancel()
	if s.Ready != nil {
		if err := s.Ready(ctx); err != nil {
			// The reason stays in the log: a driver's error names the
			// database user, name, host and port, which strangers must
			// not learn.
			s.Log.WarnContext(ctx, "not ready", "err", err)
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "reason": "The service is starting or cannot reach its database."})
			return
		}
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// versionResponse is the body of GET /version.
type versionResponse struct {
	Release string `json:"release"`
	Commit  string `json:"commit"`
	BuiltAt string `json:"built_at"`
	Go      string `json:"go"`
	Env     string `json:"env"`
}

// handleVersionShow handles GET /version.
func (s *Server) handleVersionShow(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, versionResponse{
		Release: s.Build.Release, Commit: s.Build.Commit, BuiltAt: s.Build.BuiltAt, Go: s.Build.Go, Env: s.Env,
	})
}

// handleOpenAPIShow handles GET /api/v1/openapi.json: the API's contract.
func (s *Server) handleOpenAPIShow(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	_, _ = w.Write(web.OpenAPI)
}
