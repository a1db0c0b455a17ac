package httpserver

import (
	"github.com/trustpulse/trustpulse/internal/auth"
)

// apiRoutes lists the read-only JSON API under /api/v1 with who may use it. Every answer, errors
// included, is JSON (apiErrors). Callers authenticate with a bearer token from /admin/tokens or the
// staff session cookie (apiAuth); school scope is applied in each handler, as on the staff pages.
// There are only GETs, so no CSRF token is needed; no CORS headers are sent, so other sites' pages
// cannot read answers with a signed-in user's cookie.
func (s *Server) apiRoutes() {
	readers := s.apiAllow(auth.APIRoles()...) // district admin, school leader, counselor, analyst (not staff)
	g := s.echo.Group("/api/v1", s.apiErrors)
	g.GET("/openapi.json", s.apiOpenAPI())                          // public: the API's description, no data
	g.GET("/schools", s.apiSchools, s.apiAuth, readers)             // readers: the schools in their scope
	g.GET("/waves", s.apiWaves, s.apiAuth, readers)                 // readers: non-draft waves touching their schools
	g.GET("/results", s.apiResults, s.apiAuth, readers)             // readers: a school in scope, or the district if every school of the wave is
	g.GET("/participation", s.apiParticipation, s.apiAuth, readers) // readers: as /results
}
