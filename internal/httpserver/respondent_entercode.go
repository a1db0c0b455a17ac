package httpserver

import (
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"

	"github.com/trustpulse/trustpulse/internal/wave"
)

// enterCodeView is the page where a code is typed: a class code from the board, or the personal
// code of a printed slip, for young students and shared devices without a camera.
type enterCodeView struct {
	view
	Code    string
	Invalid bool
}

// respondentEnterCodeForm shows the form.
func (s *Server) respondentEnterCodeForm(c echo.Context) error {
	r := respondent{lang: s.chooseLanguage(c, nil), base: "/j"}
	return s.render.render(c, http.StatusOK, r.lang, "entercode", enterCodeView{view: s.newView(c, r, "/j")})
}

// respondentEnterCode sends a typed code to its survey: a class code to /j/CODE, a personal code
// to /s/CODE. Whether a code of the right shape exists is told by the page it leads to, whose
// lookups are limited like every link's; a code of no known shape is answered here.
func (s *Server) respondentEnterCode(c echo.Context) error {
	r := respondent{lang: s.chooseLanguage(c, nil), base: "/j"}
	typed := c.FormValue("code")
	code := wave.NormalizeCode(typed)
	q := "?lang=" + url.QueryEscape(r.lang)
	switch {
	case wave.IsClassCode(code):
		return c.Redirect(http.StatusSeeOther, "/j/"+code+q)
	case wave.IsPersonalCode(code):
		return c.Redirect(http.StatusSeeOther, "/s/"+code+q)
	}
	if rs := []rune(typed); len(rs) > 40 {
		typed = string(rs[:40])
	}
	v := enterCodeView{view: s.newView(c, r, "/j"), Code: typed, Invalid: true}
	return s.render.render(c, http.StatusUnprocessableEntity, r.lang, "entercode", v)
}
