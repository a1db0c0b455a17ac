package httpserver

import (
	"github.com/labstack/echo/v4"

	"github.com/trustpulse/trustpulse/internal/auth"
	"github.com/trustpulse/trustpulse/internal/export"
)

// overviewPage is the district overview: schools (and the district) × measures.
type overviewPage struct {
	Pick    picker
	None    string
	Caption string
	Note    string
	Bands   string // where the bands come from: provisional or the district's reference values
	// BandsHref links district admins to the reference values page.
	BandsHref string
	Previous  string
	Measures  []overviewMeasure
	Rows      []overviewRow
	Exports   []exportLink
	All       exportLink
}

type overviewMeasure struct{ Name, Href string }

type overviewRow struct {
	Name, Href string
	District   bool
	Rate       string
	RateHidden bool
	Cells      []score
}

// adminResults is the district overview of one wave: each school's score on every measure with
// its interval and direction of change, and its response rate. ?format=csv|xlsx downloads it.
func (s *Server) adminResults(c echo.Context) error {
	rc, err := s.loadResults(c, -1)
	if err != nil {
		return err
	}
	const path = "/admin/results"
	pg := overviewPage{Pick: rc.picker(path, "", false)}
	if rc.wd == nil {
		if rc.held != nil {
			if wantsExport(c) {
				return rc.heldError()
			}
			pg.None = rc.heldNotice()
			return s.renderResults(rc, "results", rc.d.T("results.title"), pg)
		}
		if wantsExport(c) {
			return errNoResults
		}
		pg.None = rc.d.T("results.none")
		return s.renderResults(rc, "results", rc.d.T("results.title"), pg)
	}
	wd, d := rc.wd, rc.d
	rows := schoolIDs(wd.Schools)
	if wd.DistrictVisible {
		rows = append([]int64{districtRow}, rows...)
	}
	if wantsExport(c) {
		scores := namedTable{key: "scores", Table: export.Table{Name: d.T("results.title"), Columns: resultColumns}}
		rates := namedTable{key: "rates", Table: export.Table{Name: d.T("results.response_rate"), Columns: respondentColumns}}
		for _, id := range rows {
			for _, r := range wd.Results(id, "") {
				scores.Rows = append(scores.Rows, d.resultRow(rc.schoolName(id), r))
			}
			rates.Rows = append(rates.Rows, d.respondentRow(rc.schoolName(id), wd.Rows(id, "", "")[0]))
		}
		return s.sendExport(rc, "results "+wd.Wave.Name, []namedTable{scores, rates})
	}
	pg.Caption = d.T("headline.overview_caption", "Wave", wd.Wave.Name)
	pg.Note, pg.Bands = d.T("headline.note", "Count", wd.Floor), d.bandsNote()
	if rc.p.Role() == auth.DistrictAdmin {
		pg.BandsHref = "/admin/results/reference"
	}
	if rc.previousVisible() {
		pg.Previous = d.T("results.previous_wave", "Wave", wd.Previous.Name)
	} else {
		pg.Previous = d.T("results.no_previous")
	}
	for _, m := range wd.Measures() {
		om := overviewMeasure{Name: d.measureName(m)}
		if wd.DistrictVisible {
			om.Href = rc.href("/admin/results/schools/0/measures/"+m, "wave", id64(wd.Wave.ID))
		}
		pg.Measures = append(pg.Measures, om)
	}
	for _, id := range rows {
		row := overviewRow{Name: rc.schoolName(id), District: id == districtRow, Href: rc.href(schoolPath(id), "wave", id64(wd.Wave.ID))}
		var shown bool
		row.Rate, shown = d.rate(wd.Rows(id, "", "")[0])
		row.RateHidden = !shown
		for _, r := range wd.Results(id, "") {
			row.Cells = append(row.Cells, d.score(r, rc.previousVisible()))
		}
		pg.Rows = append(pg.Rows, row)
	}
	pg.Exports = rc.exports(path, "scores", pg.Caption, "wave", id64(wd.Wave.ID))
	pg.All = exportLink{Label: d.T("export.all"), Href: rc.href(path, "wave", id64(wd.Wave.ID), "format", "xlsx")}
	return s.renderResults(rc, "results", d.T("results.title"), pg)
}
