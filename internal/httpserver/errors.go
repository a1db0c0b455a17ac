package httpserver

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/trustpulse/trustpulse/internal/locale"
	"github.com/trustpulse/trustpulse/internal/refusal"
)

// staffError is a staff page's HTTP error: its status and its sentence as a message of the staff
// catalog (locales/dashboard-errors.<tag>.toml) with placeholders and the English text, so
// handleError words it in the page's language (#16 line 6). It unwraps to an *echo.HTTPError
// with the English sentence: whatever reads echo's errors (the API's JSON errors, the logs) sees
// what it saw before.
type staffError struct {
	code int
	r    *refusal.Error
}

// staffErr is an HTTP error with status code, catalog message id, English sentence msg and
// placeholders kv (name, value, name, value…).
func staffErr(code int, id, msg string, kv ...any) *staffError {
	return &staffError{code: code, r: refusal.New("", id, msg, kv...)}
}

func (e *staffError) Error() string { return e.Unwrap().Error() }

// Unwrap is the error as echo knows it: the status and the English sentence.
func (e *staffError) Unwrap() error { return echo.NewHTTPError(e.code, e.r.Msg) }

// handleError is the one place errors become HTTP responses: users see a plain message, logs get the cause.
// A staffError is worded in the viewer's staff language; every other message is as given.
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	code := http.StatusInternalServerError
	msg := http.StatusText(code)
	lang := locale.Default // "" when the message's language is not known (a message built elsewhere)
	var se *staffError
	var he *echo.HTTPError
	switch {
	case errors.As(err, &se):
		code = se.code
		msg, lang = s.refusalText(c, se.r)
	case errors.As(err, &he):
		code = he.Code
		msg = http.StatusText(code)
		if m, ok := he.Message.(string); ok && m != msg {
			msg, lang = m, ""
		}
	}
	if code >= 500 {
		msg, lang = http.StatusText(code), locale.Default
	}
	if lang != "" {
		c.Response().Header().Set("Content-Language", lang)
	}
	if c.Request().Method == http.MethodHead {
		err = c.NoContent(code)
	} else {
		err = c.String(code, msg+"\n")
	}
	if err != nil {
		s.Log.Error("write error response", "err", err)
	}
}
