package httpserver

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/trustpulse/trustpulse/internal/auth"
	"github.com/trustpulse/trustpulse/internal/store"
)

const (
	sessionCookie = "tp_session"
	principalKey  = "principal"
)

// principal is the signed-in user of a request behind requireUser.
func principal(c echo.Context) *auth.Principal {
	p, _ := c.Get(principalKey).(*auth.Principal)
	return p
}

// district is the signed-in user's district.
func (s *Server) district(c echo.Context) (store.District, error) {
	var d store.District
	err := s.Store.DB.WithContext(c.Request().Context()).Where("district_id = ?", principal(c).User.DistrictID).First(&d).Error
	return d, store.NotFound(err, "district")
}

// useSession makes the staff session cookie's user the request's principal; false without a live
// session.
func (s *Server) useSession(c echo.Context) (bool, error) {
	ck, err := c.Cookie(sessionCookie)
	if err != nil {
		return false, nil
	}
	p, err := s.Auth.Session(c.Request().Context(), ck.Value)
	if errors.Is(err, auth.ErrNoSession) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	c.Set(principalKey, p)
	return true, nil
}

// requireUser resolves the session cookie; without a valid session, pages redirect to sign-in.
func (s *Server) requireUser(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		ok, err := s.useSession(c)
		if err != nil {
			return err
		}
		if ok {
			return next(c)
		}
		if c.Request().Method != http.MethodGet {
			return staffErr(http.StatusUnauthorized, "http_error.sign_in_again", "Please sign in again.")
		}
		return c.Redirect(http.StatusSeeOther, "/login?next="+url.QueryEscape(c.Request().URL.Path))
	}
}

// allow lets only the listed roles through; the route table states it next to each route.
func (s *Server) allow(roles ...auth.Role) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if p := principal(c); p == nil || !p.Is(roles...) {
				return staffErr(http.StatusForbidden, "http_error.no_access", "You do not have access to this page.")
			}
			return next(c)
		}
	}
}

// anyone is the rule for pages every signed-in role may open.
func (s *Server) anyone() echo.MiddlewareFunc {
	return s.allow(auth.Roles()...)
}

func (s *Server) setSessionCookie(c echo.Context, token string) {
	c.SetCookie(&http.Cookie{Name: sessionCookie, Value: token, Path: "/", HttpOnly: true,
		Secure: s.secureCookies(), SameSite: http.SameSiteLaxMode})
}

func (s *Server) clearSessionCookie(c echo.Context) {
	c.SetCookie(&http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		Secure: s.secureCookies(), SameSite: http.SameSiteLaxMode})
}

func (s *Server) secureCookies() bool { return strings.HasPrefix(s.Config.BaseURL, "https:") }

// staffCSRF is csrf() for staff pages: the same cookie, a plain error instead of a survey page.
func (s *Server) staffCSRF() echo.MiddlewareFunc {
	return middleware.CSRFWithConfig(middleware.CSRFConfig{
		TokenLookup:    "form:_csrf",
		CookieName:     "_csrf",
		CookiePath:     "/",
		CookieHTTPOnly: true,
		CookieSecure:   s.secureCookies(),
		CookieSameSite: http.SameSiteLaxMode,
		ErrorHandler: func(err error, c echo.Context) error {
			return staffErr(http.StatusForbidden, "http_error.form_expired", "This form has expired. Go back, reload the page and try again.")
		},
	})
}

// safeNext keeps post-sign-in redirects on our own admin pages (no open redirect).
func safeNext(next string) string {
	if strings.HasPrefix(next, "/admin") && !strings.HasPrefix(next, "//") && !strings.ContainsAny(next, "\\\r\n") {
		return next
	}
	return "/admin"
}
