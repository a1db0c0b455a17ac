package httpserver

import (
	"bytes"
	"fmt"
	"html/template"
	"io/fs"
	"math"
	"net/http"
	"net/url"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/trustpulse/trustpulse/internal/locale"
	"github.com/trustpulse/trustpulse/internal/report"
	"github.com/trustpulse/trustpulse/web"
)

// The family summary is one page of a school's results for families, in the family's language
// (every shipped locale: its texts are respondent texts, locales/active.*.toml [family]), with
// lang and dir set for it. Staff open it from the school page, pick the language and print it or
// download it as a PDF; the bar with those links is in the staff member's own language and is
// not printed. Its figures are the school page's shown cells, rounded to whole percentages.

// familyHighlights is how many strongest and weakest questions the summary names.
const familyHighlights = 2

// familyRenderer holds the summary's template once per respondent locale, with t bound to it.
type familyRenderer struct {
	cat   *locale.Catalog
	pages map[string]*template.Template
}

func newFamilyRenderer(cat *locale.Catalog) (*familyRenderer, error) {
	tfs, err := fs.Sub(web.FS, "templates/admin")
	if err != nil {
		return nil, err
	}
	r := &familyRenderer{cat: cat, pages: map[string]*template.Template{}}
	for _, tag := range cat.Tags() {
		funcs := template.FuncMap{"t": memoT(cat.Localizer(tag)), "dict": dict}
		t, err := template.New("family_summary").Funcs(funcs).ParseFS(tfs, "family_summary.html")
		if err != nil {
			return nil, fmt.Errorf("parse family summary template: %w", err)
		}
		r.pages[tag] = t
	}
	return r, nil
}

// familyView is the summary page.
type familyView struct {
	Lang, Dir string
	Title     string
	Tools     *familyTools // nil in the PDF
	Intro     string
	Hidden    bool // the school is under the floor in this wave: nothing is shown
	Measures  []familyMeasure
	Strengths []familyItem
	Improve   []familyItem
	Floor     int
}

type familyMeasure struct {
	Name, Text, Change string
}

type familyItem struct {
	Text, Pct string
}

// familyTools is the staff's bar above the summary, in the staff member's language.
type familyTools struct {
	Lang, Dir  string
	Label      string
	Back, Home string
	Hint       string
	Unreviewed string
	LangLabel  string
	Langs      []langLink
	Print      []exportLink
}

// adminResultsFamily is the family summary (?lang=TAG, English by default), as a page or with
// ?format=pdf&paper=a4|letter as a PDF.
func (s *Server) adminResultsFamily(c echo.Context) error {
	school, rc, err := s.loadSchoolResults(c)
	if err != nil {
		return err
	}
	asPDF := c.QueryParam("format") == "pdf"
	if rc.wd == nil {
		if asPDF && rc.held != nil {
			return rc.heldError()
		}
		if asPDF {
			return errNoResults
		}
		pg := schoolPage{Pick: rc.picker(schoolPath(school)+"/family-summary", "", false), School: rc.schoolName(school),
			Overview: rc.href("/admin/results"), None: rc.d.T("results.none")}
		if rc.held != nil {
			pg.None = rc.heldNotice()
		}
		return s.renderResults(rc, "results_school", rc.d.T("results.school_title", "School", pg.School), pg)
	}
	tag, ok := s.Locales.Supported(c.QueryParam("lang"))
	if !ok {
		tag = locale.Default
	}
	v := s.familySummary(rc, school, tag)
	if asPDF {
		var buf bytes.Buffer
		if err := s.familyPages.pages[tag].ExecuteTemplate(&buf, "layout", v); err != nil {
			return fmt.Errorf("render family summary: %w", err)
		}
		return s.sendPDF(c, rc.p, buf.Bytes(), v.Title+" "+tag)
	}
	v.Tools = s.familyTools(rc, school, tag)
	var buf bytes.Buffer
	if err := s.familyPages.pages[tag].ExecuteTemplate(&buf, "layout", v); err != nil {
		return fmt.Errorf("render family summary: %w", err)
	}
	h := c.Response().Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Language", tag)
	return c.HTMLBlob(http.StatusOK, buf.Bytes())
}

// familySummary is the summary of a school in the chosen wave, in the language tag.
func (s *Server) familySummary(rc *resultsCtx, school int64, tag string) familyView {
	wd := rc.wd
	l := s.Locales.Localizer(tag)
	tr := func(id string, kv ...any) string { return l.T(id, dict(kv...)) }
	who := string(wd.Instrument.Audience)
	if who != "student" && who != "staff" {
		who = "family"
	}
	v := familyView{Lang: l.Tag(), Dir: l.Dir(), Floor: wd.Floor,
		Title: tr("family.title", "School", rc.schoolName(school)), Intro: tr("family.intro_"+who, "Wave", wd.Wave.Name)}
	if r := wd.Rows(school, "", ""); len(r) == 0 || r[0].Suppressed {
		v.Hidden = true
		return v
	}
	prevOK := rc.previousVisible()
	for _, m := range wd.Instrument.Measures {
		fm := familyMeasure{Name: textIn(m.Name, tag, m.ID)}
		row := wd.Rows(school, m.ID, "")[0]
		switch {
		case row.Suppressed || math.IsNaN(row.Favorable):
			fm.Text = tr("family.measure_hidden")
		default:
			pct := int(math.Round(row.Favorable))
			fm.Text = tr("family."+shareWord(pct)+"_"+who, "Pct", strconv.Itoa(pct))
			if c := row.FavChange; prevOK && c != nil && c.Flagged {
				fm.Change = tr(map[bool]string{true: "family.higher", false: "family.lower"}[c.Diff > 0])
			}
		}
		v.Measures = append(v.Measures, fm)
	}
	h := wd.Highlights(school, familyHighlights)
	item := func(it report.ItemRow) familyItem {
		text := it.Item
		for _, x := range wd.Instrument.Items {
			if x.ID == it.Item {
				text = textIn(x.Text, tag, it.Item)
			}
		}
		return familyItem{Text: text, Pct: tr("family.item_pct", "Pct", strconv.Itoa(int(math.Round(it.Favorable))))}
	}
	for _, it := range h.Strongest {
		v.Strengths = append(v.Strengths, item(it))
	}
	for _, it := range h.Weakest {
		v.Improve = append(v.Improve, item(it))
	}
	return v
}

// shareWord says how much of the group a whole percentage is: most (over half), half or less.
func shareWord(pct int) string {
	switch {
	case pct > 50:
		return "most"
	case pct == 50:
		return "half"
	}
	return "less"
}

// familyTools is the staff's bar: back to the school, the summary's languages (by their own
// names), its PDFs, and a warning when the language's texts are not yet reviewed.
func (s *Server) familyTools(rc *resultsCtx, school int64, tag string) *familyTools {
	// ?lang= is the summary's language here, so the bar follows the browser's (Accept-Language).
	cat := s.resultsPages.cat
	l := cat.Localizer(cat.MatchAccept(rc.c.Request().Header.Get("Accept-Language")))
	d := dash{l: l, lang: l.Tag(), cat: cat, respondent: s.Locales, wd: rc.wd}
	path, wave := schoolPath(school)+"/family-summary", id64(rc.wd.Wave.ID)
	tools := &familyTools{Lang: d.lang, Dir: d.l.Dir(), Label: d.T("report.family_tools"), Back: schoolPath(school) + "?wave=" + wave,
		Home: d.T("results.back_school", "School", rc.schoolName(school)), Hint: d.T("report.family_hint"), LangLabel: d.T("report.family_lang")}
	if !s.Locales.Info(tag).Reviewed {
		tools.Unreviewed = d.T("report.family_unreviewed")
	}
	link := func(params ...string) string {
		q := url.Values{"wave": {wave}}
		for i := 0; i+1 < len(params); i += 2 {
			q.Set(params[i], params[i+1])
		}
		return path + "?" + q.Encode()
	}
	for _, t := range s.Locales.Tags() {
		tools.Langs = append(tools.Langs, langLink{Tag: t, Name: s.Locales.Info(t).Name, URL: link("lang", t), Current: t == tag})
	}
	tools.Print = []exportLink{
		{Label: d.T("report.pdf_letter"), Href: link("lang", tag, "format", "pdf", "paper", "letter")},
		{Label: d.T("report.pdf_a4"), Href: link("lang", tag, "format", "pdf", "paper", "a4")},
	}
	return tools
}
