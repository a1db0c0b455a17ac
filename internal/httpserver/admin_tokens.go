package httpserver

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/trustpulse/trustpulse/internal/auth"
	"github.com/trustpulse/trustpulse/internal/store"
)

type tokensPage struct {
	Tokens   []store.APIToken
	NewToken string // shown once, right after it is made
	NewName  string
	BaseURL  string
}

func (s *Server) tokensPage(c echo.Context) (tokensPage, error) {
	list, err := s.Auth.APITokens(c.Request().Context(), principal(c))
	return tokensPage{Tokens: list, BaseURL: s.Config.BaseURL}, err
}

// adminTokens lists the signed-in user's own API tokens.
func (s *Server) adminTokens(c echo.Context) error {
	page, err := s.tokensPage(c)
	if err != nil {
		return err
	}
	return s.adminRender(c, http.StatusOK, "tokens", s.adminT(c, "admin.title.tokens"), page)
}

// adminTokenCreate makes a named token and shows it, this once (audited in auth).
func (s *Server) adminTokenCreate(c echo.Context) error {
	token, row, err := s.Auth.CreateAPIToken(c.Request().Context(), principal(c), c.FormValue("name"), c.RealIP())
	page, perr := s.tokensPage(c)
	if perr != nil {
		return perr
	}
	if errors.Is(err, auth.ErrInvalid) {
		return s.adminRenderError(c, http.StatusUnprocessableEntity, "tokens", s.adminT(c, "admin.title.tokens"), page, s.authRefusal(c, err))
	}
	if err != nil {
		return err
	}
	page.NewToken, page.NewName = token, row.Name
	return s.adminRender(c, http.StatusOK, "tokens", s.adminT(c, "admin.title.tokens"), page)
}

// adminTokenRevoke ends one of the user's own tokens (audited in auth).
func (s *Server) adminTokenRevoke(c echo.Context) error {
	id, err := strconv.ParseInt(c.Param("tid"), 10, 64)
	if err != nil {
		return staffErr(http.StatusNotFound, "http_error.no_token", "No such token.")
	}
	err = s.Auth.RevokeAPIToken(c.Request().Context(), principal(c), id, c.RealIP())
	if errors.Is(err, store.ErrNotFound) {
		return staffErr(http.StatusNotFound, "http_error.no_token", "No such token.")
	}
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/admin/tokens?notice=revoked")
}
