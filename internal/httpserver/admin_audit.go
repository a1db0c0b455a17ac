package httpserver

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// adminAudit shows the district's most recent audit records.
func (s *Server) adminAudit(c echo.Context) error {
	entries, err := s.Auth.AuditLog(c.Request().Context(), principal(c).User.DistrictID, 500)
	if err != nil {
		return err
	}
	return s.adminRender(c, http.StatusOK, "audit", s.adminT(c, "admin.title.audit"), entries)
}
