package httpserver

import (
	"io/fs"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/trustpulse/trustpulse/web"
)

// routes lists every route with who may use it. A reviewer checks access control here, in one screen.
func (s *Server) routes() {
	e := s.echo
	static, _ := fs.Sub(web.FS, "static")

	e.GET("/healthz", s.healthz)                                                  // public
	e.GET("/readyz", s.readyz)                                                    // public
	e.GET("/static/*", echo.WrapHandler(http.StripPrefix("/static/", cacheStatic(http.FileServerFS(static))))) // public
}
