package httpserver

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/trustpulse/trustpulse/internal/auth"
)

type loginData struct {
	Email string
	Next  string
	SSO   string // provider name for the single sign-on button; empty without SSO
}

func (s *Server) loginData(next string) loginData {
	d := loginData{Next: safeNext(next)}
	if s.OIDC != nil {
		d.SSO = map[string]string{auth.ProviderGoogle: "Google", auth.ProviderMicrosoft: "Microsoft"}[s.OIDC.Provider()]
		if d.SSO == "" {
			d.SSO = "your organization"
		}
	}
	return d
}

// authLoginForm shows the sign-in form.
func (s *Server) authLoginForm(c echo.Context) error {
	return s.adminRender(c, http.StatusOK, "login", "Sign in", s.loginData(c.QueryParam("next")))
}

// authLogin checks the credentials and starts a session. Guessing is limited twice: per address
// here (in memory, per server), per account in auth (in the database, shared by all servers).
func (s *Server) authLogin(c echo.Context) error {
	ip := c.RealIP()
	data := s.loginData(c.FormValue("next"))
	data.Email = c.FormValue("email")
	if s.failedLogins.blocked(ip) {
		return s.adminRenderError(c, http.StatusTooManyRequests, "login", "Sign in", data, "Too many failed sign-ins from your network. Wait a few minutes and try again.")
	}
	token, _, err := s.Auth.SignIn(c.Request().Context(), data.Email, c.FormValue("password"), ip)
	if errors.Is(err, auth.ErrBadCredentials) {
		s.failedLogins.fail(ip)
		return s.adminRenderError(c, http.StatusUnauthorized, "login", "Sign in", data,
			"Wrong email or password, or the account is locked after too many attempts.")
	}
	if err != nil {
		return err
	}
	s.setSessionCookie(c, token)
	return c.Redirect(http.StatusSeeOther, data.Next)
}

// authLogout ends the session and forgets the cookie.
func (s *Server) authLogout(c echo.Context) error {
	if ck, err := c.Cookie(sessionCookie); err == nil {
		if p, err := s.Auth.Session(c.Request().Context(), ck.Value); err == nil {
			if err := s.Auth.AuditBy(c.Request().Context(), p, auth.ActionSignOut, "", "", c.RealIP()); err != nil {
				return err
			}
		}
		if err := s.Auth.SignOut(c.Request().Context(), ck.Value); err != nil {
			return err
		}
	}
	s.clearSessionCookie(c)
	return c.Redirect(http.StatusSeeOther, "/login?notice=signed-out")
}

// adminRenderError renders page with an error message above the form.
func (s *Server) adminRenderError(c echo.Context, status int, page, title string, data any, msg string) error {
	v := adminView{Title: title, D: data, Error: msg}
	v.User = principal(c)
	v.CSRF, _ = c.Get("csrf").(string)
	return s.adminPages.render(c, status, page, v)
}
