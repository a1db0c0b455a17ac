package httpserver

import (
	"io/fs"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/trustpulse/trustpulse/web"
)

// routes lists every route with who may use it. A reviewer checks access control here, in one screen.
func (s *Server) routes() {
	e := s.echo
	static, _ := fs.Sub(web.FS, "static")

	e.GET("/healthz", s.healthz)                                                                               // public
	e.GET("/readyz", s.readyz)                                                                                 // public
	e.GET("/static/*", echo.WrapHandler(http.StripPrefix("/static/", cacheStatic(http.FileServerFS(static))))) // public

	// Respondents: no account; the token or class code is the credential. Rate-limited per link or
	// code, misses limited per IP and overall (never a valid link: see ratelimit.go), CSRF on every form.
	for _, prefix := range []string{"/s/:token", "/j/:code"} {
		g := e.Group(prefix, s.respondentLimiter(), s.guardCodes, s.csrf())
		g.GET("", s.respondentIntro)          // token or code holder
		g.GET("/p/:n", s.respondentPage)      // token or code holder
		g.POST("/p/:n", s.respondentSave)     // token or code holder
		g.GET("/review", s.respondentReview)  // token or code holder
		g.POST("/submit", s.respondentSubmit) // token or code holder
		g.GET("/thanks", s.respondentThanks)  // token or code holder
	}
	jg := e.Group("/j/:code", s.respondentLimiter(), s.guardCodes, s.csrf())
	jg.POST("/next", s.respondentNext) // anyone: forgets this browser's code key (shared device, next student)

	// Typing a code (class or personal) for young students and shared devices: the form itself is
	// no credential; it redirects to /j/:code or /s/:code, which check and limit as above.
	j := e.Group("/j", s.respondentLimiter(), s.csrf())
	j.GET("", s.respondentEnterCodeForm) // public
	j.POST("", s.respondentEnterCode)    // public

	// Sign in to answer: a student or staff member signs in with the district's account and sees
	// their own open surveys (404 unless TRUSTPULSE_OIDC_RESPONDENT_DOMAINS is set). The callback
	// and Start are limited like every respondent lookup; a respondent session opens only /me.
	me := e.Group("/me", s.respondentLimiter(), s.csrf())
	me.GET("", s.meHome)              // public; lists the signed-in respondent's own surveys
	me.GET("/signin", s.meSignIn)     // public; redirects to the identity provider
	me.GET("/callback", s.meCallback) // public; OIDC callback, starts a respondent session
	me.POST("/start", s.meStart)      // respondent session, own invitation only
	me.POST("/signout", s.meSignOut)  // respondent session

	s.adminRoutes() // staff sign-in and administration: see routes_admin.go, one rule per line

	s.apiRoutes() // read-only JSON API under /api/v1 (bearer token or staff session): see routes_api.go, one rule per line

	s.twilioRoutes() // Twilio webhooks (signature-checked, no CSRF) and, in demo mode, /dev/outbox: see webhooks_twilio.go

	s.devEmailRoutes() // in demo mode, /dev/email: see dev_email.go
}

// csrf protects every form with a token in a cookie and a hidden field.
func (s *Server) csrf() echo.MiddlewareFunc {
	return middleware.CSRFWithConfig(middleware.CSRFConfig{
		TokenLookup:    "form:_csrf",
		CookieName:     "_csrf",
		CookiePath:     "/",
		CookieHTTPOnly: true,
		CookieSecure:   strings.HasPrefix(s.Config.BaseURL, "https:"),
		CookieSameSite: http.SameSiteLaxMode,
		ErrorHandler: func(err error, c echo.Context) error {
			return s.respondentNotice(c, http.StatusForbidden, "error.title", "error.expired")
		},
	})
}

// respondentLimiter is each link's or code's request budget; beyond it a localized 429 page.
func (s *Server) respondentLimiter() echo.MiddlewareFunc {
	return credentialLimiter(s.Limits, func(c echo.Context) error {
		return s.respondentNotice(c, http.StatusTooManyRequests, "error.title", "error.rate_limited")
	})
}

// respondentNotice renders a localized notice without a session (language from the request only).
func (s *Server) respondentNotice(c echo.Context, status int, titleID, bodyID string) error {
	r := respondent{lang: s.chooseLanguage(c, nil), base: c.Request().URL.Path}
	mv := messageView{view: s.newView(c, r, c.Request().URL.Path), TitleID: titleID, BodyID: bodyID}
	return s.render.render(c, status, r.lang, "message", mv)
}
