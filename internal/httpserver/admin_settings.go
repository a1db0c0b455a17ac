package httpserver

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/trustpulse/trustpulse/internal/refusal"
	"github.com/trustpulse/trustpulse/internal/report"
)

// ActionReportingSettings is the audit action for a change of the privacy floor or breakdowns.
const ActionReportingSettings = report.ActionReportingSettings

type settingsPage struct {
	report.Reporting
	All     []string
	Error   string
	Modes   []string
	MinK    int
	Builds  []report.WaveBuild // waves waiting for a rebuild or failing to build
	Waiting int                // of which waiting
}

func newSettingsPage(r report.Reporting, builds []report.WaveBuild, errMsg string) settingsPage {
	p := settingsPage{Reporting: r, All: report.AllAttributes(), Error: errMsg, Modes: report.ReleaseModes, MinK: report.MinReleaseK, Builds: builds}
	for _, b := range builds {
		if b.Stale {
			p.Waiting++
		}
	}
	return p
}

// Failed lists the waves whose last build failed.
func (p settingsPage) Failed() []report.WaveBuild {
	var out []report.WaveBuild
	for _, b := range p.Builds {
		if b.Error != "" {
			out = append(out, b)
		}
	}
	return out
}

// settingsPageFor loads what the settings page shows besides an error message.
func (s *Server) settingsPageFor(ctx context.Context, districtID int64, errMsg string) (settingsPage, error) {
	r, err := s.Results.Reporting(ctx, districtID)
	if err != nil {
		return settingsPage{}, err
	}
	builds, err := s.Results.Builds(ctx, districtID)
	if err != nil {
		return settingsPage{}, err
	}
	return newSettingsPage(r, builds, errMsg), nil
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

// adminSettings shows the district's privacy floor, reported breakdowns and release rule, and
// whether a rebuild is under way.
func (s *Server) adminSettings(c echo.Context) error {
	page, err := s.settingsPageFor(c.Request().Context(), principal(c).User.DistrictID, "")
	if err != nil {
		return err
	}
	return s.adminRender(c, http.StatusOK, "settings", s.adminT(c, "admin.title.settings"), page)
}

// adminSettingsSave changes them and queues every wave's rebuild: the refresher (on whichever
// instance runs it) rebuilds them in the background, and the page says so until it is done.
// Until then pages show the results as last built, which were safe under the old rules.
func (s *Server) adminSettingsSave(c echo.Context) error {
	p := principal(c)
	ctx := c.Request().Context()
	form, err := c.FormParams()
	if err != nil {
		return staffErr(http.StatusBadRequest, "http_error.unreadable_form", "Unreadable form.")
	}
	floor, convErr := strconv.Atoi(strings.TrimSpace(form.Get("floor")))
	k, kErr := strconv.Atoi(strings.TrimSpace(form.Get("release_k")))
	release := &report.ReleasePolicy{Mode: form.Get("release_mode"), K: k, At: strings.TrimSpace(form.Get("release_at"))}
	if _, posted := form["release_mode"]; !posted {
		// A form without the release fields (an older page) leaves the release rule as it is.
		release, kErr = nil, nil
	}
	attrs, pairs := form["attribute"], form["pair"]
	if convErr == nil && kErr == nil {
		err = s.Results.ChangeReporting(ctx, p.User.DistrictID, floor, attrs, pairs, release, actor(c, p)) // audited in the same transaction
	}
	if convErr != nil || kErr != nil || errors.Is(err, report.ErrSettings) {
		var msg string
		switch {
		case convErr != nil:
			msg = s.adminT(c, "admin.settings.err_floor")
		case kErr != nil:
			msg = s.adminT(c, "admin.settings.err_k", "Min", report.MinReleaseK)
		default:
			msg = strings.TrimPrefix(err.Error(), report.ErrSettings.Error()+": ")
			if r := (*refusal.Error)(nil); errors.As(err, &r) {
				msg = s.adminRefusal(c, r) // in the page's language (dashboard-refusals-report)
			}
		}
		page, perr := s.settingsPageFor(ctx, p.User.DistrictID, msg)
		if perr != nil {
			return perr
		}
		return s.adminRender(c, http.StatusUnprocessableEntity, "settings", s.adminT(c, "admin.title.settings"), page)
	}
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/admin/results/settings?notice=settings")
}
