package httpserver

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/trustpulse/trustpulse/internal/report"
)

// ActionReportingSettings is the audit action for a change of the privacy floor or breakdowns.
const ActionReportingSettings = report.ActionReportingSettings

type settingsPage struct {
	report.Reporting
	All   []string
	Error string
}

func newSettingsPage(r report.Reporting, errMsg string) settingsPage {
	return settingsPage{Reporting: r, All: report.AllAttributes(), Error: errMsg}
}

func (p settingsPage) Chosen(a string) bool {
	return len(p.Attributes) == 0 || slices.Contains(p.Attributes, a)
}

// AllPairs lists the two-way breakdowns on offer, each with its label.
func (p settingsPage) AllPairs() [][2]string {
	var out [][2]string
	for _, k := range report.AllPairs() {
		a, b, _ := report.SplitPair(k)
		out = append(out, [2]string{k, a + " × " + b})
	}
	return out
}

func (p settingsPage) PairChosen(k string) bool { return slices.Contains(p.Pairs, k) }

// adminSettings shows the district's privacy floor and reported breakdowns.
func (s *Server) adminSettings(c echo.Context) error {
	r, err := s.Results.Reporting(c.Request().Context(), principal(c).User.DistrictID)
	if err != nil {
		return err
	}
	return s.adminRender(c, http.StatusOK, "settings", "Results settings", newSettingsPage(r, ""))
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
	attrs, pairs := form["attribute"], form["pair"]
	err = s.Results.ChangeReporting(ctx, p.User.DistrictID, floor, attrs, pairs, actor(c, p)) // audited in the same transaction
	if convErr != nil || errors.Is(err, report.ErrSettings) {
		r, rerr := s.Results.Reporting(ctx, p.User.DistrictID)
		if rerr != nil {
			return rerr
		}
		msg := "Minimum group size: enter a whole number."
		if convErr == nil {
			msg = strings.TrimPrefix(err.Error(), report.ErrSettings.Error()+": ")
		}
		return s.adminRender(c, http.StatusUnprocessableEntity, "settings", "Results settings", newSettingsPage(r, msg))
	}
	if err != nil {
		return err
	}
	// Saved and audited: a failing rebuild below leaves nothing unrecorded (the background
	// refresher finishes the rebuild if this one fails).
	if _, err := s.Results.Refresh(ctx); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/admin/results/settings?notice=settings")
}
