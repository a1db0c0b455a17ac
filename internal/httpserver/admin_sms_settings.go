package httpserver

import (
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/trustpulse/trustpulse/internal/locale"
	"github.com/trustpulse/trustpulse/internal/refusal"
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
	Previews     []textPreview // the invitation and HELP reply as saved now, in every shipped language
	Error        string
}

// textPreview is the texts of one language: Name is the language's name in the page's language,
// Tag and Dir mark the texts themselves.
type textPreview struct {
	Tag, Name, Dir string
	Invite, Help   string
}

// adminTextSettings shows the name and contact the district's texts carry, with the texts as sent.
func (s *Server) adminTextSettings(c echo.Context) error {
	d, err := s.district(c)
	if err != nil {
		return err
	}
	return s.adminRender(c, http.StatusOK, "sms_settings", s.adminT(c, "admin.title.sms_settings"), s.textSettingsPage(c, d, sms.CurrentTextSettings(d), ""))
}

// adminTextSettingsSave changes them; a refused value is shown back with what is wrong, unsaved.
func (s *Server) adminTextSettingsSave(c echo.Context) error {
	p := principal(c)
	ctx := c.Request().Context()
	form, err := c.FormParams()
	if err != nil {
		return staffErr(http.StatusBadRequest, "http_error.unreadable_form", "Unreadable form.")
	}
	ts, err := sms.ChangeTextSettings(ctx, s.Store, p.User.DistrictID, sms.TextSettings{Name: form.Get("name"), Contact: form.Get("contact")}, actor(c, p))
	if errors.Is(err, sms.ErrSettings) {
		d, derr := s.district(c)
		if derr != nil {
			return derr
		}
		msg := strings.TrimPrefix(err.Error(), sms.ErrSettings.Error()+": ")
		if r := (*refusal.Error)(nil); errors.As(err, &r) {
			msg = s.adminRefusal(c, r)
		}
		return s.adminRender(c, http.StatusUnprocessableEntity, "sms_settings", s.adminT(c, "admin.title.sms_settings"), s.textSettingsPage(c, d, ts, msg))
	}
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/admin/sms/settings?notice=sms-settings")
}

// textSettingsPage shows ts in the form; the preview shows what is saved in d, in every language
// families may get texts in: the page's language first, then the others in shipped order.
func (s *Server) textSettingsPage(c echo.Context, d store.District, ts sms.TextSettings, errMsg string) textSettingsPage {
	pg := textSettingsPage{TextSettings: ts, DistrictName: d.Name, BaseURL: s.Config.BaseURL,
		MaxName: sms.MaxNameLen, MaxSchool: sms.MaxSchoolLen, MaxContact: sms.MaxContactLen, Error: errMsg}
	school, err := sms.PreviewSchool(s.Store.DB, d.DistrictID)
	if err != nil {
		s.Log.Warn("text settings preview", "err", err) // the preview then names no school
	}
	tags := s.Locales.Tags()
	if page, ok := s.Locales.Supported(s.dashFor(c).lang); ok {
		tags = append([]string{page}, slices.DeleteFunc(tags, func(t string) bool { return t == page })...)
	}
	for _, tag := range tags {
		tp := textPreview{Tag: tag, Name: s.languageName(c, tag), Dir: s.Locales.Info(tag).Dir}
		tp.Invite, tp.Help = sms.Preview(s.Locales, tag, d, school, s.Config.BaseURL)
		pg.Previews = append(pg.Previews, tp)
	}
	return pg
}

// languageName names a shipped language in the page's language (locales/dashboard-sms-preview.*.toml),
// with its own name after it when that differs ("Spanish (Español)"); the own name alone when
// the catalog has none for it.
func (s *Server) languageName(c echo.Context, tag string) string {
	self := s.Locales.Info(tag).Name
	id := "sms_preview.lang." + tag
	if _, ok := s.resultsPages.cat.Message(locale.Default, id); !ok {
		return self
	}
	if name := s.adminT(c, id); name != self {
		return name + " (" + self + ")"
	}
	return self
}
