package http

import "net/http"

// AddTestRoute adds a route that exists only in tests (one that panics, for
// instance). Call it before the server's Handler is first built.
func (s *Server) AddTestRoute(pattern string, h http.Handler) {
	if s.testRoutes == nil {
		s.testRoutes = map[string]http.Handler{}
	}
	s.testRoutes[pattern] = h
}
