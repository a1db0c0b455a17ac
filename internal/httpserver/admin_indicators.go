package httpserver

import (
	"errors"
	"net/http"
	"path/filepath"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/trustpulse/trustpulse/internal/store"
	"github.com/trustpulse/trustpulse/internal/success"
)

// indicatorsUploadLimit bounds a grading period's file (success.IndicatorsMaxBytes plus the form).
const indicatorsUploadLimit = "33M"

// isIndicatorsUpload lets the grading-period upload past the global 1 MB body limit.
func isIndicatorsUpload(c echo.Context) bool {
	return c.Request().Method == http.MethodPost && c.Request().URL.Path == "/admin/indicators"
}

// indicatorsPage is the grading-period import page.
type indicatorsPage struct {
	Periods  []store.GradingPeriod
	Error    string
	Problems []string // file, line and problem, in the page's language
	Period   string   // the name field, shown back after an error
	MaxRows  int
}

// adminIndicators lists imported grading periods and offers the upload.
func (s *Server) adminIndicators(c echo.Context) error {
	return s.indicatorsRender(c, http.StatusOK, indicatorsPage{})
}

func (s *Server) indicatorsRender(c echo.Context, status int, pg indicatorsPage) error {
	periods, err := s.Success.Periods(c.Request().Context(), principal(c).User.DistrictID)
	if err != nil {
		return err
	}
	pg.Periods, pg.MaxRows = periods, success.IndicatorsMaxRows
	return s.adminRender(c, status, "indicators", s.adminT(c, "indicators.title"), pg)
}

// adminIndicatorsImport imports one grading period's file, all or nothing.
func (s *Server) adminIndicatorsImport(c echo.Context) error {
	p := principal(c)
	pg := indicatorsPage{Period: c.FormValue("period")}
	fh, err := c.FormFile("file")
	if err != nil {
		pg.Error = s.adminT(c, "indicators.no_file")
		return s.indicatorsRender(c, http.StatusUnprocessableEntity, pg)
	}
	src, err := fh.Open()
	if err != nil {
		return err
	}
	defer src.Close()
	name := filepath.Base(strings.ReplaceAll(fh.Filename, "\\", "/"))
	_, err = s.Success.ImportIndicators(c.Request().Context(), success.ViewerOf(p, c.RealIP()), pg.Period, name, src)
	var ie *success.ImportError
	if errors.As(err, &ie) {
		// In the page's language (locales/dashboard-indicators-problems.<tag>.toml); English reads
		// as the error: "file:line: problem".
		pg.Error = s.adminRefusal(c, ie.Refusal())
		for _, pr := range ie.Problems {
			pg.Problems = append(pg.Problems, s.adminT(c, "indicators_problems.at", "File", pr.File, "Line", pr.Line, "Problem", s.adminRefusal(c, pr.Why)))
		}
		if rest := ie.Total - len(ie.Problems); rest > 0 {
			pg.Problems = append(pg.Problems, s.adminT(c, "indicators.more", "Count", rest))
		}
		return s.indicatorsRender(c, http.StatusUnprocessableEntity, pg)
	}
	if code, msg, err := s.successError(c, err); err != nil {
		return err
	} else if msg != "" {
		pg.Error = msg
		return s.indicatorsRender(c, code, pg)
	}
	return c.Redirect(http.StatusSeeOther, "/admin/indicators?notice=indicators")
}
