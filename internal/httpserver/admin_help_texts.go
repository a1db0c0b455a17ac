package httpserver

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/trustpulse/trustpulse/internal/auth"
	"github.com/trustpulse/trustpulse/internal/store"
	"github.com/trustpulse/trustpulse/internal/support"
)

// ActionHelpTexts is the audit action for a change of a school's "who to talk to" texts.
const ActionHelpTexts = support.ActionChange

// helpTextsPage is the form of one school's (or the district's) texts, one field per locale.
type helpTextsPage struct {
	Choices  []helpChoice
	SchoolID int64
	Name     string // of the school, or "" for the district's defaults
	Fields   []helpField
	MaxLen   int
	MaxLines int
	Error    string
}

type helpChoice struct {
	ID       int64
	Name     string
	Selected bool
}

// helpField is one locale's text, with what a student on a page in that language sees now.
type helpField struct {
	Tag, Name, Dir string
	Text           string
	Note           string // message id: what students see now in this language, and whose text
	Invalid        bool
}

// helpNote is the message id that says whose text students see in tag under the saved texts.
func helpNote(tag string, sh support.Shown, district bool) string {
	switch {
	case sh.Text == "":
		return "help_texts.shown_none"
	case sh.Lang != tag && sh.From == "school":
		return "help_texts.shown_english_school"
	case sh.Lang != tag:
		return "help_texts.shown_english_district"
	case district:
		return "help_texts.shown_default"
	case sh.From == "school":
		return "help_texts.shown_own"
	}
	return "help_texts.shown_district"
}

// helpSchool reads ?school= (or the form's school) and applies the rule: district admins edit
// every school and the district's defaults (0), school leaders their own schools. Anything else,
// including a school of another district, is 404, so a leader cannot learn other schools' ids.
func (s *Server) helpSchool(c echo.Context, p *auth.Principal, choices []helpChoice) (int64, string, error) {
	raw := c.FormValue("school")
	if raw == "" && len(choices) > 0 {
		return choices[0].ID, choices[0].Name, nil
	}
	id, err := strconv.ParseInt(raw, 10, 64)
	if err == nil {
		for _, ch := range choices {
			if ch.ID == id {
				return id, ch.Name, nil
			}
		}
	}
	return 0, "", staffErr(http.StatusNotFound, "http_error.no_school", "No such school.")
}

// helpChoices lists what p may edit: the district's defaults first for an admin, then schools.
func (s *Server) helpChoices(c echo.Context, p *auth.Principal) ([]helpChoice, error) {
	schools, err := s.visibleSchools(c, p)
	if err != nil {
		return nil, err
	}
	var out []helpChoice
	if p.Role() == auth.DistrictAdmin {
		out = append(out, helpChoice{ID: support.District})
	}
	for _, sc := range schools {
		out = append(out, helpChoice{ID: sc.ID, Name: sc.Name})
	}
	return out, nil
}

// helpTextsPageFor fills the form for schoolID with texts (the saved ones unless the form is
// shown back), and says for each language what students see under the saved texts.
func (s *Server) helpTextsPageFor(c echo.Context, choices []helpChoice, schoolID int64, name string, texts support.Texts, fe *support.FieldError) (helpTextsPage, error) {
	p := principal(c)
	saved, district, err := support.Load(c.Request().Context(), s.Store.DB, p.User.DistrictID, schoolID)
	if err != nil {
		return helpTextsPage{}, err
	}
	if texts == nil {
		texts = saved
	}
	pg := helpTextsPage{SchoolID: schoolID, Name: name, MaxLen: support.MaxLen, MaxLines: support.MaxLines}
	for _, ch := range choices {
		ch.Selected = ch.ID == schoolID
		pg.Choices = append(pg.Choices, ch)
	}
	for _, tag := range s.Locales.Tags() {
		info := s.Locales.Info(tag)
		shown := support.Pick(tag, saved, district)
		if schoolID == support.District {
			shown = support.Pick(tag, nil, saved)
		}
		f := helpField{Tag: tag, Name: info.Name, Dir: info.Dir, Text: texts[tag], Note: helpNote(tag, shown, schoolID == support.District)}
		if fe != nil && fe.Lang == tag {
			f.Invalid = true
			pg.Error = info.Name + ": " + fe.Problem + "."
		}
		pg.Fields = append(pg.Fields, f)
	}
	if fe != nil && pg.Error == "" {
		pg.Error = fe.Lang + ": " + fe.Problem + "."
	}
	return pg, nil
}

// adminHelpTexts shows the "who to talk to" texts of one school (or the district's defaults).
func (s *Server) adminHelpTexts(c echo.Context) error {
	p := principal(c)
	choices, err := s.helpChoices(c, p)
	if err != nil {
		return err
	}
	id, name, err := s.helpSchool(c, p, choices)
	if err != nil {
		return err
	}
	pg, err := s.helpTextsPageFor(c, choices, id, name, nil, nil)
	if err != nil {
		return err
	}
	return s.adminRender(c, http.StatusOK, "help_texts", s.adminT(c, "admin.title.help_texts"), pg)
}

// adminHelpTextsSave replaces them (audited with the change); a refused text is shown back, unsaved.
func (s *Server) adminHelpTextsSave(c echo.Context) error {
	p := principal(c)
	form, err := c.FormParams()
	if err != nil {
		return staffErr(http.StatusBadRequest, "http_error.unreadable_form", "Unreadable form.")
	}
	choices, err := s.helpChoices(c, p)
	if err != nil {
		return err
	}
	id, name, err := s.helpSchool(c, p, choices)
	if err != nil {
		return err
	}
	in := support.Texts{}
	for _, tag := range s.Locales.Tags() {
		in[tag] = form.Get("text_" + tag)
	}
	_, err = support.Change(c.Request().Context(), s.Store, p.User.DistrictID, id, s.Locales.Tags(), in, actor(c, p)) // audited in the same transaction
	var fe *support.FieldError
	switch {
	case errors.As(err, &fe):
		pg, perr := s.helpTextsPageFor(c, choices, id, name, in, fe) // what was typed, to correct
		if perr != nil {
			return perr
		}
		return s.adminRender(c, http.StatusUnprocessableEntity, "help_texts", s.adminT(c, "admin.title.help_texts"), pg)
	case errors.Is(err, store.ErrNotFound):
		return staffErr(http.StatusNotFound, "http_error.no_school", "No such school.")
	case err != nil:
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/admin/help-texts?school="+url.QueryEscape(strconv.FormatInt(id, 10))+"&notice=help-texts")
}
