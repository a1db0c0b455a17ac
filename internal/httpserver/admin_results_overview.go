package httpserver

import (
	"net/http"
	"slices"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/trustpulse/trustpulse/internal/auth"
	"github.com/trustpulse/trustpulse/internal/export"
	"github.com/trustpulse/trustpulse/internal/report"
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
	Weakest   string // what the weakest-relationship mark means
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
	sortBy := c.QueryParam("sort")
	if sortBy != "" && !slices.Contains(wd.Measures(), sortBy) {
		return staffErr(http.StatusBadRequest, "http_error.no_sort_measure", "This wave has no measure "+strconv.Quote(sortBy)+" to sort by.", "Measure", strconv.Quote(sortBy))
	}
	pg.Pick.Sort = append(pg.Pick.Sort, option{Value: "", Label: d.T("headline.sort_name"), Selected: sortBy == ""})
	for _, m := range wd.Measures() {
		pg.Pick.Sort = append(pg.Pick.Sort, option{Value: m, Label: d.T("headline.sort_measure", "Measure", d.measureName(m)), Selected: m == sortBy})
	}
	schools := schoolIDs(wd.Schools)
	if sortBy != "" {
		// Lowest % favorable first, hidden results last; schools stay by name among equals.
		slices.SortStableFunc(schools, func(a, b int64) int {
			return report.CompareBy(wd.Rows(a, sortBy, "")[0], wd.Rows(b, sortBy, "")[0])
		})
	}
	rows := schools
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
	pg.Weakest = d.T("headline.weakest_legend")
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
		results := wd.Results(id, "")
		weakest := ""
		if id != districtRow {
			weakest = report.Weakest(wd.Instrument, results)
		}
		for _, r := range results {
			sc := d.score(r, rc.previousVisible())
			if r.Measure == weakest {
				sc.Weakest = d.T("headline.weakest")
			}
			row.Cells = append(row.Cells, sc)
		}
		pg.Rows = append(pg.Rows, row)
	}
	pg.Exports = rc.exports(path, "scores", pg.Caption, "wave", id64(wd.Wave.ID))
	pg.All = exportLink{Label: d.T("export.all"), Href: rc.href(path, "wave", id64(wd.Wave.ID), "format", "xlsx")}
	return s.renderResults(rc, "results", d.T("results.title"), pg)
}
