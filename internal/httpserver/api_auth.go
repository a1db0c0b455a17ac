package httpserver

import (
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/trustpulse/trustpulse/internal/auth"
)

// apiError is an API refusal: its status and a message for the developer reading it, with the
// allowed values where a parameter has a fixed set.
type apiError struct {
	Status  int
	Message string
	Allowed []string
	// ResultsAt is the day (YYYY-MM-DD) a staged wave's results open to the caller (403).
	ResultsAt string
	// Challenge is the WWW-Authenticate value of a 401.
	Challenge string
}

func (e *apiError) Error() string { return e.Message }

func apiErr(status int, msg string) *apiError { return &apiError{Status: status, Message: msg} }

// apiErrorBody is the JSON of every API error.
type apiErrorBody struct {
	Error     string   `json:"error"`
	Allowed   []string `json:"allowed,omitempty"`
	ResultsAt string   `json:"results_at,omitempty"`
}

// apiErrors turns whatever the API's handlers and middleware return into a JSON answer: the API
// never answers with the HTML or plain-text error of the staff pages. Causes of 5xx go to the log,
// never to the caller.
func (s *Server) apiErrors(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		err := next(c)
		if err == nil || c.Response().Committed {
			return err
		}
		var ae *apiError
		var he *echo.HTTPError
		switch {
		case errors.As(err, &ae):
		case errors.As(err, &he) && he == echo.ErrNotFound && c.Request().Method != http.MethodGet && c.Request().Method != http.MethodHead:
			// Every API route is a GET: any other method is refused as such, wherever it points.
			c.Response().Header().Set(echo.HeaderAllow, http.MethodGet)
			ae = apiErr(http.StatusMethodNotAllowed, "The API is read-only: use GET.")
		case errors.As(err, &he) && he.Code < 500:
			msg, ok := he.Message.(string)
			if !ok {
				msg = http.StatusText(he.Code)
			}
			if he.Code == http.StatusNotFound && he == echo.ErrNotFound {
				msg = "No such API endpoint. See /api/v1/openapi.json."
			}
			ae = apiErr(he.Code, msg)
		default:
			s.Log.Error("api", "request_id", c.Response().Header().Get(echo.HeaderXRequestID), "path", c.Request().URL.Path, "err", err)
			ae = apiErr(http.StatusInternalServerError, "Internal error. The server log has the cause under this request id.")
		}
		h := c.Response().Header()
		h.Set("Cache-Control", "no-store")
		if ae.Challenge != "" {
			h.Set(echo.HeaderWWWAuthenticate, ae.Challenge)
		}
		if ae.Status == http.StatusTooManyRequests {
			h.Set("Retry-After", "60")
		}
		return c.JSON(ae.Status, apiErrorBody{Error: ae.Message, Allowed: ae.Allowed, ResultsAt: ae.ResultsAt})
	}
}

// bearerChallenge is the WWW-Authenticate of an API 401 (RFC 6750); errCode is "" when the
// request carried no credentials at all.
func bearerChallenge(errCode string) string {
	ch := `Bearer realm="trustpulse"`
	if errCode != "" {
		ch += `, error="` + errCode + `"`
	}
	return ch
}

// apiAuth resolves the caller: an "Authorization: Bearer" API token, else the staff session cookie.
// Failed token lookups spend the address's sign-in failure budget (shared with the sign-in form,
// so a guesser cannot split attempts between them); an exhausted budget is 429 before any lookup.
// The token itself is never logged: the access log records the path only.
func (s *Server) apiAuth(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		ctx := c.Request().Context()
		if h := c.Request().Header.Get(echo.HeaderAuthorization); h != "" {
			scheme, token, _ := strings.Cut(strings.TrimSpace(h), " ")
			if !strings.EqualFold(scheme, "Bearer") {
				return &apiError{Status: http.StatusUnauthorized, Message: "Use Authorization: Bearer <token>.", Challenge: bearerChallenge("invalid_request")}
			}
			ip := c.RealIP()
			if s.failedLogins.blocked(ip) {
				return apiErr(http.StatusTooManyRequests, "Too many failed attempts from your network. Wait a few minutes.")
			}
			p, err := s.Auth.APITokenPrincipal(ctx, strings.TrimSpace(token))
			if errors.Is(err, auth.ErrBadToken) {
				s.failedLogins.fail(ip)
				return &apiError{Status: http.StatusUnauthorized, Message: "The token is not valid (unknown, revoked, or its account is inactive or locked).",
					Challenge: bearerChallenge("invalid_token")}
			}
			if err != nil {
				return err
			}
			c.Set(principalKey, p)
			return next(c)
		}
		ok, err := s.useSession(c)
		if err != nil {
			return err
		}
		if ok {
			return next(c)
		}
		return &apiError{Status: http.StatusUnauthorized, Message: "Sign in, or send Authorization: Bearer <token> (create one at /admin/tokens).",
			Challenge: bearerChallenge("")}
	}
}

// apiAllow lets only the listed roles through, with a JSON 403.
func (s *Server) apiAllow(roles ...auth.Role) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if p := principal(c); p == nil || !p.Is(roles...) {
				return apiErr(http.StatusForbidden, "Your role cannot read results.")
			}
			return next(c)
		}
	}
}
