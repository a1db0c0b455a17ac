package httpserver

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"
)

// handleError is the one place errors become HTTP responses: users see a plain message, logs get the cause.
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	code := http.StatusInternalServerError
	msg := http.StatusText(code)
	var he *echo.HTTPError
	if errors.As(err, &he) {
		code = he.Code
		if m, ok := he.Message.(string); ok {
			msg = m
		} else {
			msg = http.StatusText(code)
		}
	}
	if code >= 500 {
		msg = http.StatusText(code)
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
