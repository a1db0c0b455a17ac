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
	return s.adminRender(c, http.StatusOK, "login", s.adminT(c, "admin.title.login"), s.loginData(c.QueryParam("next")))
}

// authLogin checks the credentials and starts a session. Guessing is limited twice: per address
// here (in memory, per server), per account in auth (in the database, shared by all servers:
// unknown devices wait after failures). A browser the account signed in from before carries a
// device cookie: it skips both, so neither a guesser on the school's shared address nor one
// anywhere else can keep the owner out.
func (s *Server) authLogin(c echo.Context) error {
	ip := c.RealIP()
	data := s.loginData(c.FormValue("next"))
	data.Email = c.FormValue("email")
	var device string
	if ck, err := c.Cookie(deviceCookie); err == nil {
		device = ck.Value
	}
	known, err := s.Auth.IsKnownDevice(c.Request().Context(), device)
	if err != nil {
		return err
	}
	if !known && s.failedLogins.blocked(ip) {
		return s.adminRenderError(c, http.StatusTooManyRequests, "login", s.adminT(c, "admin.title.login"), data, s.adminT(c, "admin.login.too_many"))
	}
	r, err := s.Auth.SignInWith(c.Request().Context(), auth.Attempt{Email: data.Email, Password: c.FormValue("password"), IP: ip, Device: device, Host: c.Request().Host})
	if errors.Is(err, auth.ErrBadCredentials) {
		if !known {
			s.failedLogins.fail(ip)
		}
		// One message whether the password was wrong or the account is waiting after failures:
		// a guesser learns nothing about which emails have accounts.
		return s.adminRenderError(c, http.StatusUnauthorized, "login", s.adminT(c, "admin.title.login"), data, s.adminT(c, "admin.login.wrong"))
	}
	if err != nil {
		return err
	}
	s.setSessionCookie(c, r.Token)
	if r.Device != "" {
		s.setDeviceCookie(c, r.Device)
	}
	return c.Redirect(http.StatusSeeOther, data.Next)
}

// deviceCookie marks a browser that signed in before (see auth.SignInWith). It names no one to
// a reader of the browser: 256 random bits, only their hash is stored.
const deviceCookie = "tp_device"

func (s *Server) setDeviceCookie(c echo.Context, token string) {
	c.SetCookie(&http.Cookie{Name: deviceCookie, Value: token, Path: "/login", MaxAge: 180 * 24 * 3600, HttpOnly: true,
		Secure: s.secureCookies(), SameSite: http.SameSiteStrictMode})
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
	v := s.adminViewOf(c, title, data)
	v.Error = msg
	return s.adminPages.render(c, status, page, v)
}
