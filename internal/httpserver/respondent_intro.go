package httpserver

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/trustpulse/trustpulse/internal/store"
	"github.com/trustpulse/trustpulse/internal/wave"
)

type introView struct {
	view
	Anonymous bool
	Floor     int
	Minutes   int
	School    string // the school the survey is about: two texts from two schools must be told apart
	Family    bool
	Resume    bool
	FirstPage string
	ResumeURL string
}

// respondentIntro shows the privacy statement and the start (or continue) button.
func (s *Server) respondentIntro(c echo.Context) error {
	r := s.resolve(c)
	if errors.Is(r.err, wave.ErrUsed) {
		return c.Redirect(http.StatusSeeOther, r.base+"/thanks?lang="+r.lang)
	}
	if r.err != nil {
		return s.respondentError(c, r)
	}
	if err := s.Waves.MarkOpened(c.Request().Context(), r.sess); err != nil {
		return err
	}
	v := introView{view: s.newView(c, r, r.base), Anonymous: r.sess.Wave.Mode == store.ModeAnonymous, Floor: s.Config.MinGroupSize,
		Minutes: minutesFor(len(r.sess.Instrument.Items)), Family: r.sess.Wave.Audience == "family"}
	name, err := s.Waves.SchoolName(c.Request().Context(), r.sess.Wave.DistrictID, r.sess.SchoolID)
	if err != nil {
		return err
	}
	v.School = name
	v.FirstPage = r.base + "/p/1" + v.Q
	if p := r.sess.Draft.Page; !r.sess.Draft.UpdatedAt.IsZero() && p > 0 {
		v.Resume = true
		if p > r.sess.Pages() {
			v.ResumeURL = r.base + "/review" + v.Q
		} else {
			v.ResumeURL = r.base + "/p/" + itoa(p) + v.Q
		}
	}
	return s.render.render(c, http.StatusOK, r.lang, "intro", v)
}

// minutesFor estimates answering time at about 12 seconds a question, rounded up.
func minutesFor(items int) int {
	m := (items*12 + 59) / 60
	if m < 1 {
		m = 1
	}
	return m
}
