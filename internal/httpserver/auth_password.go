package httpserver

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/trustpulse/trustpulse/internal/auth"
)

// authPasswordForm shows the form to change one's own password.
func (s *Server) authPasswordForm(c echo.Context) error {
	return s.adminRender(c, http.StatusOK, "password", s.adminT(c, "admin.title.password"), nil)
}

// authPassword changes the signed-in user's password; their other sessions end.
func (s *Server) authPassword(c echo.Context) error {
	p := principal(c)
	var token string
	if ck, err := c.Cookie(sessionCookie); err == nil {
		token = ck.Value
	}
	next := c.FormValue("new")
	if next != c.FormValue("confirm") {
		return s.adminRenderError(c, http.StatusUnprocessableEntity, "password", s.adminT(c, "admin.title.password"), nil, s.adminT(c, "admin.password_page.differ"))
	}
	err := s.Auth.ChangePassword(c.Request().Context(), p, c.FormValue("current"), next, token, c.RealIP())
	if errors.Is(err, auth.ErrInvalid) {
		return s.adminRenderError(c, http.StatusUnprocessableEntity, "password", s.adminT(c, "admin.title.password"), nil, s.authRefusal(c, err))
	}
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/admin?notice=password")
}
