package httpserver

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/trustpulse/trustpulse/internal/wave"
)

type choiceView struct {
	Value   string
	Label   string
	Checked bool
	Skip    bool // the "skip this question" choice, labelled by the template
}

type itemView struct {
	ID, Text, Error string
	Number          int
	Choices         []choiceView // the scale's points, then skip
}

type pageView struct {
	view
	Page, Pages int
	Items       []itemView
	HasErrors   bool
	Comment     bool
	CommentText string
	CommentQ    string
	Action      string
	BackURL     string
	SkipNotice  bool // Next was pressed with nothing chosen: say once that skipping is fine
}

func itoa(n int) string { return strconv.Itoa(n) }

// respondentPage shows one page of questions with the saved answers filled in.
func (s *Server) respondentPage(c echo.Context) error {
	r := s.resolve(c)
	if r.err != nil {
		return s.respondentError(c, r)
	}
	p, ok := pageParam(c, r.sess.Pages())
	if !ok {
		return c.Redirect(http.StatusSeeOther, r.base+"?lang="+r.lang)
	}
	csrf, _ := c.Get("csrf").(string)
	if sh := s.itemShell(r.sess.Instrument, r.lang, p); sh != nil && sh.fits(r.base, csrf) {
		sess := r.sess
		return s.render.renderShell(c, http.StatusOK, r.lang, sh, r.base, csrf, func(i int) string {
			if a := sess.Answer(i); a >= 0 {
				return itoa(a)
			}
			return ""
		})
	}
	return s.render.render(c, http.StatusOK, r.lang, "page", s.pageView(c, r, p, nil, nil))
}

// respondentSave stores a page's answers, then goes forward or back. Invalid values re-show the
// page with a message at each question and save nothing.
func (s *Server) respondentSave(c echo.Context) error {
	r := s.resolve(c)
	if r.err != nil {
		return s.respondentError(c, r)
	}
	p, ok := pageParam(c, r.sess.Pages())
	if !ok {
		return s.respondentError(c, respondent{lang: r.lang, base: r.base, err: wave.ErrUnknown})
	}
	form, err := c.FormParams()
	if err != nil {
		return s.respondentNotice(c, http.StatusBadRequest, "error.title", "error.bad_request")
	}
	values := map[string]string{}
	for _, i := range r.sess.PageItems(p) {
		id := r.sess.Instrument.Items[i].ID
		values[id] = form.Get("q_" + id)
	}
	var comment *string
	last := p == r.sess.Pages()-1
	if last && form.Has("comment") {
		cm := form.Get("comment")
		comment = &cm
	}
	back := form.Get("nav") == "back"
	next := p + 2 // 1-based number of the page after this one
	if back {
		next = p
	}
	// A language switch on this page is a submit of its form: what is ticked is saved, and the
	// same page comes back in the new language.
	switchTo, switching := s.Locales.Supported(form.Get("switch_lang"))
	lang := r.lang
	if switching {
		next, lang = p+1, switchTo
	}
	if !back && !switching && !form.Has("skip_ok") && nothingChosen(values) && (comment == nil || *comment == "") {
		// Nothing chosen on the page: say once that skipping is fine, then let Next go on.
		v := s.pageView(c, r, p, values, nil)
		v.SkipNotice = true
		return s.render.render(c, http.StatusOK, r.lang, "page", v)
	}
	if err := s.Waves.SavePage(c.Request().Context(), r.sess, p, values, comment, next, lang); err != nil {
		var fe wave.FieldErrors
		if errors.As(err, &fe) {
			return s.render.render(c, http.StatusUnprocessableEntity, r.lang, "page", s.pageView(c, r, p, values, fe))
		}
		r.err = err
		return s.respondentError(c, r)
	}
	q := "?lang=" + lang
	switch {
	case switching:
		return c.Redirect(http.StatusSeeOther, r.base+"/p/"+itoa(p+1)+q)
	case back && p == 0:
		return c.Redirect(http.StatusSeeOther, r.base+q)
	case back:
		return c.Redirect(http.StatusSeeOther, r.base+"/p/"+itoa(p)+q)
	case last:
		return c.Redirect(http.StatusSeeOther, r.base+"/review"+q)
	default:
		return c.Redirect(http.StatusSeeOther, r.base+"/p/"+itoa(p+2)+q)
	}
}

func (s *Server) pageView(c echo.Context, r respondent, p int, posted map[string]string, fe wave.FieldErrors) pageView {
	csrf, _ := c.Get("csrf").(string)
	return s.pageViewFor(csrf, r, p, posted, fe)
}

// pageViewFor is the data of page p (0-based): the saved answers checked, or the posted values
// when posted is not nil.
func (s *Server) pageViewFor(csrf string, r respondent, p int, posted map[string]string, fe wave.FieldErrors) pageView {
	sess, in := r.sess, r.sess.Instrument
	path := r.base + "/p/" + itoa(p+1)
	v := pageView{view: s.viewFor(csrf, r, path), Page: p + 1, Pages: sess.Pages(), HasErrors: len(fe) > 0}
	v.FormID = "answers" // switching language saves what is ticked (see respondentSave)
	v.Action = path + v.Q
	labels := in.Scale.Labels[r.lang]
	if len(labels) != in.Scale.Points {
		labels = in.Scale.Labels["en"]
	}
	for _, i := range sess.PageItems(p) {
		it := in.Items[i]
		text := it.Text[r.lang]
		if text == "" {
			text = it.Text["en"]
		}
		current := ""
		if a := sess.Answer(i); a >= 0 {
			current = itoa(a)
		}
		if posted != nil {
			current = posted[it.ID]
		}
		iv := itemView{ID: it.ID, Text: text, Number: i + 1, Choices: make([]choiceView, 0, in.Scale.Points+1)}
		if fe[it.ID] != nil {
			iv.Error = "error.invalid_answer"
		}
		for k := 0; k < in.Scale.Points; k++ {
			iv.Choices = append(iv.Choices, choiceView{Value: itoa(k), Label: labels[k], Checked: current == itoa(k)})
		}
		iv.Choices = append(iv.Choices, choiceView{Value: "skip", Skip: true, Checked: current == "skip"})
		v.Items = append(v.Items, iv)
	}
	if p == sess.Pages()-1 && in.Comment.Enabled {
		v.Comment = true
		v.CommentText = sess.Draft.Comment
		v.CommentQ = in.Comment.Prompt[r.lang]
	}
	return v
}

// nothingChosen reports whether a page was sent with no answer at all (not even "skip").
func nothingChosen(values map[string]string) bool {
	for _, v := range values {
		if v != "" {
			return false
		}
	}
	return true
}
