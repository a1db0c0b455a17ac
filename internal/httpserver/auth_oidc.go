package httpserver

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/trustpulse/trustpulse/internal/auth"
)

const oidcCookie = "tp_oidc"

// authOIDCStart sends the browser to the identity provider, keeping state, nonce and the PKCE
// verifier in a short-lived cookie only the callback path receives.
func (s *Server) authOIDCStart(c echo.Context) error {
	if s.OIDC == nil {
		return staffErr(http.StatusNotFound, "http_error.sso_off", "Single sign-on is not configured.")
	}
	u, flow, err := s.OIDC.Start(c.Request().Context())
	if err != nil {
		return err
	}
	c.SetCookie(&http.Cookie{Name: oidcCookie, Value: flow.Encode(), Path: "/login/oidc", MaxAge: 600, HttpOnly: true,
		Secure: s.secureCookies(), SameSite: http.SameSiteLaxMode})
	return c.Redirect(http.StatusSeeOther, u)
}

// authOIDCCallback finishes single sign-on. Refusals are logged with their reason (never the
// code or tokens) and shown to the user as one plain message.
func (s *Server) authOIDCCallback(c echo.Context) error {
	if s.OIDC == nil {
		return staffErr(http.StatusNotFound, "http_error.sso_off", "Single sign-on is not configured.")
	}
	ck, err := c.Cookie(oidcCookie)
	c.SetCookie(&http.Cookie{Name: oidcCookie, Value: "", Path: "/login/oidc", MaxAge: -1, HttpOnly: true, Secure: s.secureCookies(), SameSite: http.SameSiteLaxMode})
	refuse := func(reason string) error {
		s.Log.Warn("single sign-on refused", "reason", reason, "ip", c.RealIP())
		return s.adminRenderError(c, http.StatusForbidden, "login", s.adminT(c, "admin.title.login"), s.loginData(""),
			s.adminT(c, "signin.sso_refused"))
	}
	if err != nil {
		return refuse("no flow cookie (expired or blocked)")
	}
	flow, ok := auth.DecodeFlow(ck.Value)
	if !ok {
		return refuse("malformed flow cookie")
	}
	if e := c.QueryParam("error"); e != "" {
		return refuse("provider error " + e)
	}
	token, _, err := s.OIDC.Finish(c.Request().Context(), flow, c.QueryParam("state"), c.QueryParam("code"), c.RealIP(), c.Request().Host)
	if errors.Is(err, auth.ErrOIDCRejected) {
		return refuse(err.Error())
	}
	if err != nil {
		return err
	}
	s.setSessionCookie(c, token)
	return c.Redirect(http.StatusSeeOther, "/admin")
}
