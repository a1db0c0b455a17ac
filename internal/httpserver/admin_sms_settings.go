package httpserver

import (
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/trustpulse/trustpulse/internal/sms"
	"github.com/trustpulse/trustpulse/internal/store"
)

// ActionTextSettings is the audit action for a change of the name or contact in texts.
const ActionTextSettings = sms.ActionTextSettings

type textSettingsPage struct {
	sms.TextSettings
	DistrictName string
	BaseURL      string
	MaxName      int
	MaxSchool    int
	MaxContact   int
	Invite, Help string // the English invitation and HELP reply as saved now
	Error        string
}

// adminTextSettings shows the name and contact the district's texts carry, with the texts as sent.
func (s *Server) adminTextSettings(c echo.Context) error {
	d, err := s.district(c)
	if err != nil {
		return err
	}
	return s.adminRender(c, http.StatusOK, "sms_settings", s.adminT(c, "admin.title.sms_settings"), s.textSettingsPage(d, sms.CurrentTextSettings(d), ""))
}

// adminTextSettingsSave changes them; a refused value is shown back with what is wrong, unsaved.
func (s *Server) adminTextSettingsSave(c echo.Context) error {
	p := principal(c)
	ctx := c.Request().Context()
	form, err := c.FormParams()
	if err != nil {
		return echo.NewHTTPError(http.StatusBadRequest, "Unreadable form.")
	}
	ts, err := sms.ChangeTextSettings(ctx, s.Store, p.User.DistrictID, sms.TextSettings{Name: form.Get("name"), Contact: form.Get("contact")}, actor(c, p))
	if errors.Is(err, sms.ErrSettings) {
		d, derr := s.district(c)
		if derr != nil {
			return derr
		}
		msg := strings.TrimPrefix(err.Error(), sms.ErrSettings.Error()+": ")
		return s.adminRender(c, http.StatusUnprocessableEntity, "sms_settings", s.adminT(c, "admin.title.sms_settings"), s.textSettingsPage(d, ts, msg))
	}
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/admin/sms/settings?notice=sms-settings")
}

// textSettingsPage shows ts in the form; the preview shows what is saved in d.
func (s *Server) textSettingsPage(d store.District, ts sms.TextSettings, errMsg string) textSettingsPage {
	pg := textSettingsPage{TextSettings: ts, DistrictName: d.Name, BaseURL: s.Config.BaseURL,
		MaxName: sms.MaxNameLen, MaxSchool: sms.MaxSchoolLen, MaxContact: sms.MaxContactLen, Error: errMsg}
	school, err := sms.PreviewSchool(s.Store.DB, d.DistrictID)
	if err != nil {
		s.Log.Warn("text settings preview", "err", err) // the preview then names no school
	}
	pg.Invite, pg.Help = sms.Preview(s.Locales, "en", d, school, s.Config.BaseURL)
	return pg
}
