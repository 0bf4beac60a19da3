package http

import (
	"context"
	"net/http"
)

// AddTestRoute adds a route that exists only in tests (one that panics, for
// instance). Call it before the server's Handler is first built.
func (s *Server) AddTestRoute(pattern string, h http.Handler) {
	if s.testRoutes == nil {
		s.testRoutes = map[string]http.Handler{}
	}
	s.testRoutes[pattern] = h
}

// WaitKept waits until the pages queued to be kept in the database are
// stored (keeper.go).
func (s *Server) WaitKept(ctx context.Context) error {
	if s.keeper == nil {
		return nil
	}
	return s.keeper.wait(ctx)
}

// StoredReviewPage exposes storedReviewPage.
var StoredReviewPage = storedReviewPage
