package httpserver

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/trustpulse/trustpulse/internal/report"
)

// ActionReportingSettings is the audit action for a change of the privacy floor or breakdowns.
const ActionReportingSettings = "results.settings"

type settingsPage struct {
	report.Reporting
	All   []string
	Error string
}

func (p settingsPage) Chosen(a string) bool {
	return len(p.Attributes) == 0 || strings.Contains(","+strings.Join(p.Attributes, ",")+",", ","+a+",")
}

// adminSettings shows the district's privacy floor and reported breakdowns.
func (s *Server) adminSettings(c echo.Context) error {
	r, err := s.Results.Reporting(c.Request().Context(), principal(c).User.DistrictID)
	if err != nil {
		return err
	}
	return s.adminRender(c, http.StatusOK, "settings", "Results settings", settingsPage{Reporting: r, All: report.AllAttributes()})
}

// adminSettingsSave changes them and rebuilds every wave's results before answering, so no page
// shows a cell decided under the old floor once the change is confirmed.
func (s *Server) adminSettingsSave(c echo.Context) error {
	p := principal(c)
	ctx := c.Request().Context()
	form, err := c.FormParams()
	if err != nil {
		return echo.NewHTTPError(http.StatusBadRequest, "Unreadable form.")
	}
	floor, convErr := strconv.Atoi(strings.TrimSpace(form.Get("floor")))
	attrs := form["attribute"]
	err = s.Results.SetReporting(ctx, p.User.DistrictID, floor, attrs)
	if convErr != nil || errors.Is(err, report.ErrSettings) {
		r, rerr := s.Results.Reporting(ctx, p.User.DistrictID)
		if rerr != nil {
			return rerr
		}
		msg := "Minimum group size: enter a whole number."
		if convErr == nil {
			msg = strings.TrimPrefix(err.Error(), report.ErrSettings.Error()+": ")
		}
		return s.adminRender(c, http.StatusUnprocessableEntity, "settings", "Results settings", settingsPage{Reporting: r, All: report.AllAttributes(), Error: msg})
	}
	if err != nil {
		return err
	}
	if _, err := s.Results.Refresh(ctx); err != nil {
		return err
	}
	detail := fmt.Sprintf("floor %d, attributes %s", floor, strings.Join(attrs, ","))
	if err := s.Auth.AuditBy(ctx, p, ActionReportingSettings, "district", detail, c.RealIP()); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/admin/results/settings?notice=settings")
}
