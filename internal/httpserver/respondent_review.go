package httpserver

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"

	"github.com/trustpulse/trustpulse/internal/support"
	"github.com/trustpulse/trustpulse/internal/survey"
	"github.com/trustpulse/trustpulse/internal/wave"
)

type reviewRow struct {
	Number     int
	Text       string
	Answer     string
	PageURL    string
	Unanswered bool
}

type reviewView struct {
	view
	Rows    []reviewRow
	Comment string
	Action  string
	EditURL string
}

// respondentReview lists every answer before sending, with a way back to change them.
func (s *Server) respondentReview(c echo.Context) error {
	r := s.resolve(c)
	if r.err != nil {
		return s.respondentError(c, r)
	}
	in := r.sess.Instrument
	v := reviewView{view: s.newView(c, r, r.base+"/review"), Comment: r.sess.Draft.Comment}
	v.Action = r.base + "/submit" + v.Q
	v.EditURL = r.base + "/p/1" + v.Q
	labels := in.Scale.Labels[r.lang]
	if len(labels) != in.Scale.Points {
		labels = in.Scale.Labels["en"]
	}
	firstSkipped := -1
	for i, it := range in.Items {
		text := it.Text[r.lang]
		if text == "" {
			text = it.Text["en"]
		}
		row := reviewRow{Number: i + 1, Text: text, PageURL: r.base + "/p/" + itoa(i/wave.PageSize+1) + v.Q}
		if a := r.sess.Answer(i); a >= 0 {
			row.Answer = labels[a]
		} else {
			row.Unanswered = true
			if firstSkipped < 0 {
				firstSkipped = i
			}
		}
		v.Rows = append(v.Rows, row)
	}
	if firstSkipped >= 0 {
		// "Change answers" goes where a change is likeliest wanted: the first question skipped.
		v.EditURL = v.Rows[firstSkipped].PageURL
	}
	return s.render.render(c, http.StatusOK, r.lang, "review", v)
}

// respondentSubmit stores the response once; repeats land on the thank-you page unchanged.
func (s *Server) respondentSubmit(c echo.Context) error {
	r := s.resolve(c)
	if r.err != nil && !errors.Is(r.err, wave.ErrUsed) {
		return s.respondentError(c, r)
	}
	if r.sess.Code != "" && !r.sess.Submitted && !s.codeSubmits.allow(r.sess.Code, c.RealIP()) {
		// The answers stay saved: the respondent sends them again in a minute.
		return s.respondentNotice(c, http.StatusTooManyRequests, "error.title", "padding.code_busy")
	}
	if err := s.Waves.Submit(c.Request().Context(), r.sess, r.lang); err != nil {
		r.err = err
		return s.respondentError(c, r)
	}
	if r.err == nil { // not a repeated submit of an answered link
		s.Metrics.Submission("web")
	}
	return c.Redirect(http.StatusSeeOther, r.base+"/thanks?lang="+r.lang)
}

// respondentThanks confirms a submitted response; before submission it sends the person back.
func (s *Server) respondentThanks(c echo.Context) error {
	r := s.resolve(c)
	if r.sess == nil || !r.sess.Submitted {
		if r.err != nil {
			return s.respondentError(c, r)
		}
		return c.Redirect(http.StatusSeeOther, r.base+"?lang="+r.lang)
	}
	v := thanksView{view: s.newView(c, r, r.base+"/thanks")}
	if r.sess.Wave.Audience == string(survey.Student) {
		// Who to talk to, after every student survey: chosen by school and language only, so
		// the page is the same bytes whatever was answered.
		help, err := support.ForPage(c.Request().Context(), s.Store.DB, r.sess.Wave.DistrictID, r.sess.SchoolID, r.lang)
		if err != nil {
			return err
		}
		v.Student, v.Help, v.HelpDir = true, help, s.Locales.Info(help.Lang).Dir
	}
	if r.sess.Invitation == nil {
		v.NextAction = r.base + "/next" + v.Q
	}
	return s.render.render(c, http.StatusOK, r.lang, "thanks", v)
}

// thanksView is the thank-you page; NextAction is set for a class code, whose device may be
// passed on to the next student.
type thanksView struct {
	view
	NextAction string
	Student    bool          // a student survey: the page says who to talk to
	Help       support.Shown // the school's text (or the district's), empty for none
	HelpDir    string        // the direction of Help's language
}

// respondentNext starts a fresh respondent on a shared device: it forgets this browser's key
// for the code, so the next student gets a new one and an empty survey instead of the previous
// student's thank-you page. A POST with CSRF, so a link cannot reset someone's survey.
func (s *Server) respondentNext(c echo.Context) error {
	base := "/j/" + url.PathEscape(c.Param("code"))
	c.SetCookie(&http.Cookie{Name: browserCookie, Value: "", Path: base, MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: c.Scheme() == "https"})
	q := ""
	if tag, ok := s.Locales.Supported(c.QueryParam("lang")); ok {
		q = "?lang=" + url.QueryEscape(tag)
	}
	return c.Redirect(http.StatusSeeOther, base+q)
}
