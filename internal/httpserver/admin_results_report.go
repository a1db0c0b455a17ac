package httpserver

import (
	"github.com/labstack/echo/v4"

	"github.com/trustpulse/trustpulse/internal/report"
)

// reportPage is a school's (or the district's) printable report for a staff meeting: the
// headline measures, a compact trend, the strongest and weakest questions, the biggest gaps and
// what changed since the previous wave. Every figure comes from the cells the results pages show.
type reportPage struct {
	None      string
	School    string
	Wave      string
	Back      string
	Print     []exportLink // the PDF on A4 and on Letter
	Note      string
	Bands     string
	GapLegend string
	Headlines []reportHeadline
	Trend     reportTrend
	Strongest []resultsItem
	Weakest   []resultsItem
	Gaps      []reportGap
	Changes   []reportChange
	Previous  string // "Compared with WAVE", or that there is no earlier wave to compare with
}

type reportHeadline struct {
	Measure string
	Score   score
}

type reportTrend struct {
	Caption string
	Waves   []string
	Rows    []reportTrendRow
}

type reportTrendRow struct {
	Measure string
	Cells   []score // % favorable by wave (no change, no gap)
}

type reportGap struct {
	Group, Measure, Text, Class string
}

type reportChange struct {
	Measure, Now, Text, Class string
}

// reportTrendWaves is how many waves the report's trend table shows, the latest last.
const reportTrendWaves = 4

// reportHighlights is how many questions the strongest and weakest lists and the gaps list hold.
const reportHighlights = 3

// adminResultsReport is the printable school report: HTML with print styles (the browser's
// print leaves out the menus and links), or with ?format=pdf&paper=a4|letter the same page as a
// PDF (see admin_results_pdf.go).
func (s *Server) adminResultsReport(c echo.Context) error {
	school, rc, err := s.loadSchoolResults(c)
	if err != nil {
		return err
	}
	pg, title, err := s.schoolReport(rc, school)
	if err != nil {
		return err
	}
	if c.QueryParam("format") == "pdf" {
		if rc.held != nil {
			return rc.heldError()
		}
		if rc.wd == nil {
			return errNoResults
		}
		doc, err := s.resultsHTML(rc, "results_report", title, pg)
		if err != nil {
			return err
		}
		return s.sendPDF(c, rc.p, doc, pg.School+" "+pg.Wave)
	}
	return s.renderResults(rc, "results_report", title, pg)
}

// schoolReport builds the report page of a school in the chosen wave.
func (s *Server) schoolReport(rc *resultsCtx, school int64) (reportPage, string, error) {
	d := rc.d
	path := schoolPath(school)
	pg := reportPage{School: rc.schoolName(school)}
	title := d.T("report.title", "School", pg.School)
	if rc.wd == nil {
		pg.Back = rc.href(path)
		if rc.held != nil {
			pg.None = rc.heldNotice()
		} else {
			pg.None = d.T("results.none")
		}
		return pg, title, nil
	}
	wd := rc.wd
	wave := id64(wd.Wave.ID)
	pg.Wave, pg.Back = wd.Wave.Name, rc.href(path, "wave", wave)
	pg.Print = []exportLink{
		{Label: d.T("report.pdf_letter"), Href: rc.href(path+"/report", "wave", wave, "format", "pdf", "paper", "letter")},
		{Label: d.T("report.pdf_a4"), Href: rc.href(path+"/report", "wave", wave, "format", "pdf", "paper", "a4")},
	}
	pg.Note = d.T("headline.note", "Count", wd.Floor) + " " + d.T("pooling.note", "Count", wd.Floor)
	pg.Bands, pg.GapLegend = d.bandsNote(), d.T("gap.legend")
	prevOK := rc.previousVisible()
	for _, m := range wd.Measures() {
		pg.Headlines = append(pg.Headlines, reportHeadline{Measure: d.measureName(m), Score: d.score(wd.Rows(school, m, "")[0], false)})
	}

	points, err := s.trend(rc, school)
	if err != nil {
		return pg, "", err
	}
	points = points[max(0, len(points)-reportTrendWaves):]
	pg.Trend.Caption = d.T("report.trend_caption")
	for _, p := range points {
		pg.Trend.Waves = append(pg.Trend.Waves, p.Wave.Name)
	}
	for i, m := range wd.Measures() {
		row := reportTrendRow{Measure: d.measureName(m)}
		for _, p := range points {
			row.Cells = append(row.Cells, d.score(report.Row{Measure: m, Stat: p.Measures[i]}, false))
		}
		pg.Trend.Rows = append(pg.Trend.Rows, row)
	}

	h := wd.Highlights(school, reportHighlights)
	item := func(it report.ItemRow) resultsItem {
		return resultsItem{Measure: d.measureName(it.Measure), Text: d.itemText(it.Item), Fav: d.favorable(it.Stat)}
	}
	for _, it := range h.Strongest {
		pg.Strongest = append(pg.Strongest, item(it))
	}
	for _, it := range h.Weakest {
		pg.Weakest = append(pg.Weakest, item(it))
	}
	for _, g := range h.Gaps {
		sc := d.score(g.Row, false)
		pg.Gaps = append(pg.Gaps, reportGap{Group: d.attrName(g.Attribute) + ": " + d.rowName(g.Row),
			Measure: d.measureName(g.Measure), Text: sc.Gap, Class: sc.GapClass})
	}

	if !prevOK {
		pg.Previous = d.T("results.no_previous")
		return pg, title, nil
	}
	pg.Previous = d.T("report.compared_with", "Wave", wd.Previous.Name)
	for _, m := range wd.Measures() {
		sc := d.score(wd.Rows(school, m, "")[0], true)
		if sc.Suppressed {
			continue
		}
		pg.Changes = append(pg.Changes, reportChange{Measure: d.measureName(m), Now: sc.Text, Text: sc.Change, Class: sc.ChangeClass})
	}
	return pg, title, nil
}
