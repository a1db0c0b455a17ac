package httpserver

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/trustpulse/trustpulse/internal/roster"
)

// rosterUploadLimit bounds a roster zip: a large district's OneRoster export is tens of MB.
const rosterUploadLimit = "200M"

// isRosterUpload lets the roster upload past the global 1 MB body limit; its route sets its own.
func isRosterUpload(c echo.Context) bool {
	return c.Request().Method == http.MethodPost && c.Request().URL.Path == "/admin/roster"
}

// adminRoster lists past imports with their warnings and offers an upload.
func (s *Server) adminRoster(c echo.Context) error {
	p := principal(c)
	imports, err := roster.Imports(c.Request().Context(), s.Store, p.User.DistrictID, 50)
	if err != nil {
		return err
	}
	return s.adminRender(c, http.StatusOK, "roster", "Roster", imports)
}

// adminRosterImport imports an uploaded OneRoster zip into the user's district.
func (s *Server) adminRosterImport(c echo.Context) error {
	p := principal(c)
	ctx := c.Request().Context()
	fh, err := c.FormFile("file")
	if err != nil {
		return echo.NewHTTPError(http.StatusUnprocessableEntity, "Choose a roster zip file to upload.")
	}
	src, err := fh.Open()
	if err != nil {
		return fmt.Errorf("open upload: %w", err)
	}
	defer src.Close()
	// roster.Import reads a path; the temporary copy lives only for this request.
	tmp, err := os.CreateTemp("", "trustpulse-roster-*.zip")
	if err != nil {
		return fmt.Errorf("roster upload: %w", err)
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	if _, err := io.Copy(tmp, src); err != nil {
		return fmt.Errorf("roster upload: %w", err)
	}
	d, err := s.district(c)
	if err != nil {
		return err
	}
	name := filepath.Base(strings.ReplaceAll(fh.Filename, "\\", "/"))
	_, err = roster.Import(ctx, s.Store, tmp.Name(), roster.Options{DistrictSlug: d.Slug, Source: name, Log: s.Log,
		Audit: roster.Actor{UserID: &p.User.ID, Actor: p.User.Email, IP: c.RealIP()}})
	if err != nil {
		// The import history row carries the problems; show the list with them.
		return c.Redirect(http.StatusSeeOther, "/admin/roster")
	}
	return c.Redirect(http.StatusSeeOther, "/admin/roster?notice=imported")
}
