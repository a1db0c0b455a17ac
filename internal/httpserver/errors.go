package httpserver

import (
	"errors"
	"net/http"
	"strings"

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
// A staffError and a bare status (an unknown page, a 5xx) are worded in the viewer's staff
// language; every other message is as given. A browser (it accepts text/html) gets the message
// as a staff page with lang and dir set; any other client gets it as plain text.
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	code := http.StatusInternalServerError
	msg, lang := "", "" // lang is "" when the message's language is not known (a message built elsewhere)
	var se *staffError
	var he *echo.HTTPError
	switch {
	case errors.As(err, &se):
		code = se.code
		msg, lang = s.refusalText(c, se.r)
	case errors.As(err, &he):
		code = he.Code
		if m, ok := he.Message.(string); ok && m != http.StatusText(code) {
			msg = m
		}
	}
	if code >= 500 || msg == "" {
		msg, lang = s.statusText(c, code)
	}
	if lang != "" {
		c.Response().Header().Set("Content-Language", lang)
	}
	switch {
	case c.Request().Method == http.MethodHead:
		err = c.NoContent(code)
	case s.adminPages != nil && strings.Contains(c.Request().Header.Get(echo.HeaderAccept), echo.MIMETextHTML):
		err = s.errorPage(c, code, msg, lang)
	default:
		err = c.String(code, msg+"\n")
	}
	if err != nil {
		s.Log.Error("write error response", "err", err)
	}
}

// statusIDs name the staff catalog's wording of the bare statuses a request can end in.
var statusIDs = map[int]string{
	http.StatusBadRequest:            "http_error.status.bad_request",
	http.StatusUnauthorized:          "http_error.status.unauthorized",
	http.StatusForbidden:             "http_error.status.forbidden",
	http.StatusNotFound:              "http_error.status.not_found",
	http.StatusMethodNotAllowed:      "http_error.status.method_not_allowed",
	http.StatusRequestTimeout:        "http_error.status.timeout",
	http.StatusConflict:              "http_error.status.conflict",
	http.StatusGone:                  "http_error.status.gone",
	http.StatusUnprocessableEntity:   "http_error.status.unprocessable",
	http.StatusRequestEntityTooLarge: "http_error.status.too_large",
	http.StatusUnsupportedMediaType:  "http_error.status.unsupported_media_type",
	http.StatusTooManyRequests:       "http_error.status.too_many_requests",
	http.StatusInternalServerError:   "http_error.status.internal",
	http.StatusServiceUnavailable:    "http_error.status.unavailable",
}

// statusText is status code worded in the viewer's staff language, and that language's tag;
// Go's English status text for a status the catalog does not word.
func (s *Server) statusText(c echo.Context, code int) (string, string) {
	id, ok := statusIDs[code]
	if !ok || s.resultsPages == nil || s.resultsPages.cat == nil {
		return http.StatusText(code), locale.Default
	}
	return s.refusalText(c, refusal.New("", id, http.StatusText(code)))
}

// errorData is the error page's body: the message, and its language when it is not the page's
// (a message the catalog does not word yet, or one built elsewhere).
type errorData struct {
	Msg, MsgLang string
}

// errorPage answers a browser with the error as a staff page: the status as its heading, the
// message below it when it says more, the language switch and the menu of whoever is signed in.
func (s *Server) errorPage(c echo.Context, code int, msg, lang string) error {
	title, _ := s.statusText(c, code)
	v := s.adminViewOf(c, title, nil)
	d := errorData{Msg: msg}
	if msg == title {
		d.Msg = ""
	}
	if lang != v.Lang {
		d.MsgLang = lang // "" (unknown) drops the attribute: the page's language is the best guess
	}
	v.D = d
	return s.adminPages.render(c, code, "error", v)
}
