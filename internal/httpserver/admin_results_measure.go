package httpserver

import (
	"math"
	"slices"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/trustpulse/trustpulse/internal/export"
	"github.com/trustpulse/trustpulse/internal/report"
)

// measurePage is one measure in one school (or the district) and wave, in depth.
type measurePage struct {
	Pick       picker
	School     string
	SchoolHref string
	BackLabel  string
	Note       string
	Bands      string // where the bands come from: provisional or the district's reference values
	GapLegend  string
	Overall    overallView
	Breakdowns []breakdownView
	All        exportLink
}

type overallView struct {
	Caption    string
	Hidden     bool
	SingleItem bool // % favorable only: no score, band or band distribution
	Suppressed string
	N, Score   string
	Band       int
	BandName   string
	Favorable  string
	Change     string
	Previous   string
	// Longer comparisons: since the first wave of the school year, since last year.
	Longer     []comparisonRow
	Dist       []distRow
	Bar        distBar
	DistLabel  string
	Exports    []exportLink
	DistExport []exportLink
}

type distRow struct{ Band, Pct string }

type breakdownView struct {
	Caption string
	Rows    []breakdownRow
	Exports []exportLink
}

type breakdownRow struct {
	Group  string
	Hidden bool
	N      string
	Score  score
}

// adminResultsMeasure is a measure's detail: the overall result with its distribution over the
// five bands, change since the previous wave, and a breakdown by every reported attribute.
func (s *Server) adminResultsMeasure(c echo.Context) error {
	school, rc, err := s.loadSchoolResults(c)
	if err != nil {
		return err
	}
	mid := c.Param("mid")
	if rc.held != nil {
		if wantsExport(c) {
			return rc.heldError()
		}
		pg := schoolPage{Pick: rc.picker(schoolPath(school)+"/measures/"+mid, "", false), School: rc.schoolName(school),
			Overview: rc.href("/admin/results"), None: rc.heldNotice()}
		return s.renderResults(rc, "results_school", rc.d.T("results.school_title", "School", pg.School), pg)
	}
	if rc.wd == nil || !slices.Contains(rc.wd.Measures(), mid) {
		return errNoResults
	}
	wd, d := rc.wd, rc.d
	path, wave := schoolPath(school)+"/measures/"+mid, id64(wd.Wave.ID)
	if wantsExport(c) {
		return s.sendExport(rc, rc.schoolName(school)+" "+mid+" "+wd.Wave.Name, measureTables(rc, school, mid))
	}
	name := d.measureName(mid)
	pg := measurePage{Pick: rc.picker(path, "", false), School: rc.schoolName(school), SchoolHref: rc.href(schoolPath(school), "wave", wave),
		Note: d.T("headline.note", "Count", wd.Floor) + " " + d.T("pooling.note", "Count", wd.Floor), GapLegend: d.T("gap.legend")}
	pg.BackLabel = d.T("results.back_school", "School", pg.School)
	pg.Bands = d.bandNote(mid)
	pg.Overall = rc.overall(path, wave, name, wd.Rows(school, mid, "")[0])
	for _, a := range wd.Attributes {
		bv := breakdownView{Caption: d.T("measure.breakdown_caption", "Measure", name, "Attribute", d.attrName(a))}
		for _, r := range wd.Rows(school, mid, a) {
			br := breakdownRow{Group: d.rowName(r), Hidden: r.Suppressed, Score: d.score(r, rc.previousVisible())}
			if !r.Suppressed {
				br.N = strconv.Itoa(r.N)
			}
			bv.Rows = append(bv.Rows, br)
		}
		bv.Exports = rc.exports(path, "by-"+a, bv.Caption, "wave", wave)
		pg.Breakdowns = append(pg.Breakdowns, bv)
	}
	pg.All = exportLink{Label: d.T("export.all"), Href: rc.href(path, "wave", wave, "format", "xlsx")}
	return s.renderResults(rc, "results_measure", d.T("results.measure_title", "Measure", name, "School", pg.School), pg)
}

// overall is the measure's overall result: score, % favorable, change and distribution.
func (rc *resultsCtx) overall(path, wave, name string, r report.Row) overallView {
	d := rc.d
	ov := overallView{Caption: d.T("measure.overall_caption", "Measure", name, "Wave", rc.wd.Wave.Name), Hidden: r.Suppressed,
		DistLabel: d.T("measure.distribution_caption")}
	ov.Exports = rc.exports(path, "overall", ov.Caption, "wave", wave)
	if r.Suppressed {
		ov.Suppressed = d.hidden(r.Stat)
		return ov
	}
	sc := d.score(r, true)
	ov.N, ov.Band, ov.BandName, ov.Favorable = strconv.Itoa(r.N), sc.Band, sc.BandName, sc.Text
	ov.Score = d.T("results.score_with_ci", "Mean", d.num(r.Mean), "Low", d.num(r.CILow), "High", d.num(r.CIHigh))
	ov.SingleItem = d.singleItem(r.Measure)
	switch {
	case rc.previousVisible():
		ov.Change = sc.Change
		ov.Previous = d.T("results.previous_wave", "Wave", rc.wd.Previous.Name)
	default:
		ov.Change = d.T("results.no_previous")
	}
	ov.Longer = rc.longerComparisons(r, ov.SingleItem)
	if ov.SingleItem {
		return ov
	}
	for i, pct := range r.Dist {
		ov.Dist = append(ov.Dist, distRow{Band: d.T("band." + strconv.Itoa(i)), Pct: d.T("results.pct", "Pct", d.num(pct))})
	}
	ov.Bar = d.newDistBar(d.T("measure.distribution_chart"), r.Dist)
	ov.DistExport = rc.exports(path, "distribution", ov.DistLabel, "wave", wave)
	return ov
}

// measureTables are the measure page's tables for download.
func measureTables(rc *resultsCtx, school int64, mid string) []namedTable {
	wd, d := rc.wd, rc.d
	name := rc.schoolName(school)
	overall := wd.Rows(school, mid, "")[0]
	out := []namedTable{{key: "overall", Table: export.Table{Name: d.T("measure.overall"), Columns: resultColumns,
		Rows: [][]export.Cell{d.resultRow(name, overall)}}}}
	dist := namedTable{key: "distribution", Table: export.Table{Name: d.T("measure.distribution"), Columns: []string{"school", "measure", "band", "band_name", "percent", "note"}}}
	for i := range 5 {
		row := []export.Cell{export.Text(name), export.Text(mid), export.Int(i), export.Text(d.T("band." + strconv.Itoa(i)))}
		if overall.Suppressed || math.IsNaN(overall.Dist[i]) {
			row = append(row, export.Empty(), export.Text(d.hidden(overall.Stat)))
		} else {
			row = append(row, round(overall.Dist[i]), export.Empty())
		}
		dist.Rows = append(dist.Rows, row)
	}
	out = append(out, dist)
	for _, a := range wd.Attributes {
		t := namedTable{key: "by-" + a, Table: export.Table{Name: d.attrName(a), Columns: resultColumns}}
		for _, r := range wd.Rows(school, mid, a) {
			t.Rows = append(t.Rows, d.resultRow(name, r))
		}
		out = append(out, t)
	}
	return out
}
