package httpserver

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// adminHome is the landing page after sign-in: the menu for the user's role.
func (s *Server) adminHome(c echo.Context) error {
	return s.adminRender(c, http.StatusOK, "home", "Administration", nil)
}
