package httpserver

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// HealthOnly is the whole HTTP surface of a worker process (serve --role worker): /healthz and
// /readyz answer as on a web process, so one health check fits every role; any other path is 404.
// Only d.Store and d.Log are used.
func HealthOnly(d Deps) http.Handler {
	s := &Server{Deps: d}
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	for _, route := range []struct {
		path string
		h    echo.HandlerFunc
	}{{"/healthz", s.healthz}, {"/readyz", s.readyz}} {
		e.GET(route.path, route.h)
		e.HEAD(route.path, route.h) // HEAD health checks must not read as "down"
	}
	return e
}
