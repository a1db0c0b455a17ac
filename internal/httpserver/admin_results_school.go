package httpserver

import (
	"fmt"
	"math"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/trustpulse/trustpulse/internal/export"
	"github.com/trustpulse/trustpulse/internal/goals"
	"github.com/trustpulse/trustpulse/internal/report"
)

// schoolPage is one school's (or the district's) results in one wave.
type schoolPage struct {
	Pick       picker
	None       string
	School     string
	Overview   string
	Note       string
	Bands      string // where the bands come from: provisional or the district's reference values
	GapLegend  string
	Rest       *restView // nil when the viewer sees the district row (no rest of the district)
	Trends     []trendView
	Attribute  string
	Sub        subTable
	Rates      rateTable
	Indicators *indicatorsView // attendance and courses, when a grading period is imported
	Items      itemTable
	All        exportLink
	Printable  []exportLink // the printable school report and the family summary
}

type trendView struct {
	Name, Href, Caption, TableLabel string
	SingleItem                      bool // no score column: % favorable only
	Chart                           trendChart
	Goals                           []goalLink // the goals on this measure, each linked to its card
	Rows                            []trendRow
	Notes                           []string
	Exports                         []exportLink
}

type trendRow struct {
	Wave, Fav, Score, N string
	Hidden              bool
}

type subTable struct {
	Caption  string
	Measures []string
	Rows     []subRow
	Exports  []exportLink
}

type subRow struct {
	Group string
	Cells []score
}

type rateTable struct {
	Caption string
	Rows    []resultsRateRow
	Exports []exportLink
}

type resultsRateRow struct {
	Group, Text string
	Hidden      bool
}

type itemTable struct {
	Caption    string
	Rows       []resultsItem
	Exports    []exportLink
	ShowChange bool // the previous wave is the viewer's to see
}

type resultsItem struct {
	Measure, Text, Fav string
	Hidden             bool
	Change             string // % favorable change since the previous wave, with its interval
}

// goalLink is a goal named under a trend chart, linked to its card on the goals page.
type goalLink struct{ Text, Href string }

// goalTargets are the goals on measure m at a place as its trend chart shows them: the chart is
// the whole school's, so only a goal for everyone gets a target line there (a goal for a group
// has its own chart, of that group, on the goals page); every goal on the measure is named
// under the chart with a link to its card.
func (d dash) goalTargets(ts []goals.Target, m string, school int64) ([]chartTarget, []goalLink) {
	var lines []chartTarget
	var links []goalLink
	for _, t := range ts {
		if t.MeasureID != m {
			continue
		}
		href := fmt.Sprintf("/admin/goals?school=%d#goal-%d", school, t.GoalID)
		switch {
		case t.Attribute != "":
			links = append(links, goalLink{Text: d.T("goals.chart_group", "Group", d.attrName(t.Attribute)+": "+d.groupName(t.Attribute, t.Value), "Text", t.Text), Href: href})
		case math.IsNaN(t.Level):
			links = append(links, goalLink{Text: d.T("goals.chart_no_line", "Text", t.Text), Href: href})
		default:
			level := d.num(t.Level)
			lines = append(lines, chartTarget{Value: t.Level, Label: d.T("goals.chart_label", "Value", level)})
			links = append(links, goalLink{Text: d.T("goals.chart_everyone", "Value", level, "Text", t.Text), Href: href})
		}
	}
	return lines, links
}

// adminResultsSchool is a school's page (the district's at id 0): each measure's trend, one
// breakdown colour-coded with gaps marked, response rates and item % favorable.
func (s *Server) adminResultsSchool(c echo.Context) error {
	school, rc, err := s.loadSchoolResults(c)
	if err != nil {
		return err
	}
	path := schoolPath(school)
	by := c.QueryParam("by")
	if rc.wd != nil && by == "" && len(rc.wd.Attributes) > 0 {
		by = rc.wd.Attributes[0]
	}
	pg := schoolPage{Pick: rc.picker(path, by, true), School: rc.schoolName(school), Overview: rc.href("/admin/results")}
	title := rc.d.T("results.school_title", "School", pg.School)
	if rc.wd == nil {
		if rc.held != nil {
			if wantsExport(c) {
				return rc.heldError()
			}
			pg.None = rc.heldNotice()
			return s.renderResults(rc, "results_school", title, pg)
		}
		if wantsExport(c) {
			return errNoResults
		}
		pg.None = rc.d.T("results.none")
		return s.renderResults(rc, "results_school", title, pg)
	}
	if err := rc.wd.CheckAttribute(by); err != nil {
		return staffErr(400, "http_error.no_breakdown", "This wave has no breakdown by "+strconv.Quote(by)+".", "By", strconv.Quote(by))
	}
	points, err := s.trend(rc, school)
	if err != nil {
		return err
	}
	wd, d := rc.wd, rc.d
	wave := id64(wd.Wave.ID)
	if wantsExport(c) {
		return s.sendExport(rc, pg.School+" "+wd.Wave.Name, s.schoolTables(rc, school, by, points))
	}
	pg.Note, pg.Bands = d.T("headline.note", "Count", wd.Floor)+" "+d.T("pooling.note", "Count", wd.Floor), d.bandsNote()
	pg.Printable = []exportLink{{Label: d.T("report.link"), Href: rc.href(path+"/report", "wave", wave)},
		{Label: d.T("report.family_link"), Href: path + "/family-summary?wave=" + wave}}
	pg.GapLegend = d.T("gap.legend")
	targets, err := s.Goals.Targets(c.Request().Context(), goals.ViewerOf(rc.p, c.RealIP()), school, wd.Wave.InstrumentID)
	if err != nil {
		return err
	}
	if school != districtRow && !wd.DistrictVisible {
		rest, err := s.Results.RestOfDistrict(c.Request().Context(), wd)
		if err != nil {
			return fmt.Errorf("results: %w", err)
		}
		pg.Rest = rc.restView(school, rest)
	}
	for i, m := range wd.Measures() {
		name := d.measureName(m)
		tv := trendView{Name: name, Href: rc.href(path+"/measures/"+m, "wave", wave), Caption: d.T("trend.caption", "Measure", name),
			TableLabel: d.T("trend.table"), SingleItem: d.singleItem(m)}
		lines, links := d.goalTargets(targets, m, school)
		tv.Chart, tv.Goals = d.newTrendChart("trend-"+strconv.Itoa(i), d.trendTitle(m, name), m, i, points, lines), links
		for _, p := range points {
			st := p.Measures[i]
			if st.Suppressed {
				tv.Rows = append(tv.Rows, trendRow{Wave: p.Wave.Name, Score: d.hidden(st), Hidden: true})
				tv.Notes = append(tv.Notes, d.T("trend.gap_note", "Wave", p.Wave.Name, "Count", wd.Floor))
				continue
			}
			cell := d.score(report.Row{Measure: m, Stat: st}, false)
			tv.Rows = append(tv.Rows, trendRow{Wave: p.Wave.Name, N: strconv.Itoa(st.N), Fav: cell.Text,
				Score: d.T("results.score_with_ci", "Mean", d.num(st.Mean), "Low", d.num(st.CILow), "High", d.num(st.CIHigh))})
		}
		tv.Exports = rc.exports(path, "trend-"+m, tv.Caption, "wave", wave)
		pg.Trends = append(pg.Trends, tv)
	}
	if by != "" {
		pg.Attribute = d.attrName(by)
		pg.Sub = subTable{Caption: d.T("headline.subgroups_caption", "Attribute", pg.Attribute, "Wave", wd.Wave.Name)}
		for _, m := range wd.Measures() {
			pg.Sub.Measures = append(pg.Sub.Measures, d.measureName(m))
		}
		byMeasure := make([][]report.Row, len(wd.Measures()))
		for i, m := range wd.Measures() {
			byMeasure[i] = wd.Rows(school, m, by)
		}
		for _, g := range wd.Rows(school, "", by) {
			row := subRow{Group: d.rowName(g)}
			for _, rows := range byMeasure {
				row.Cells = append(row.Cells, d.score(findGroup(rows, g.Group), false))
			}
			pg.Sub.Rows = append(pg.Sub.Rows, row)
		}
		pg.Sub.Exports = rc.exports(path, "subgroups", pg.Sub.Caption, "wave", wave, "by", by)
	}
	pg.Rates = rateTable{Caption: d.T("subgroups.rates_caption", "Attribute", pg.Attribute, "Wave", wd.Wave.Name)}
	for _, r := range append(wd.Rows(school, "", ""), rateRows(wd, school, by)...) {
		text, shown := d.rate(r)
		pg.Rates.Rows = append(pg.Rates.Rows, resultsRateRow{Group: d.rowName(r), Text: text, Hidden: !shown})
	}
	pg.Rates.Exports = rc.exports(path, "rates", pg.Rates.Caption, "wave", wave, "by", by)
	if pg.Indicators, err = s.indicatorsFor(rc, school, by); err != nil {
		return err
	}
	pg.Items = itemTable{Caption: d.T("items.caption", "Wave", wd.Wave.Name), ShowChange: rc.previousVisible()}
	for _, it := range wd.Items(school) {
		iv := resultsItem{Measure: d.measureName(it.Measure), Text: d.itemText(it.Item)}
		if iv.Hidden = it.Suppressed; iv.Hidden {
			iv.Fav = d.hidden(it.Stat)
		} else {
			iv.Fav = d.favorable(it.Stat)
			iv.Change, _ = d.changeWithInterval(it.FavChange)
		}
		pg.Items.Rows = append(pg.Items.Rows, iv)
	}
	pg.Items.Exports = rc.exports(path, "items", pg.Items.Caption, "wave", wave)
	pg.All = exportLink{Label: d.T("export.all"), Href: rc.href(path, "wave", wave, "by", by, "format", "xlsx")}
	return s.renderResults(rc, "results_school", title, pg)
}

// rateRows are the respondent rows of a breakdown ("" has none beyond the overall row).
func rateRows(wd *report.WaveData, school int64, by string) []report.Row {
	if by == "" {
		return nil
	}
	return wd.Rows(school, "", by)
}

// findGroup picks a group's row from a breakdown; a group missing there is shown as hidden.
func findGroup(rows []report.Row, group string) report.Row {
	for _, r := range rows {
		if r.Group == group {
			return r
		}
	}
	return report.Row{Group: group, Stat: report.Stat{Suppressed: true}}
}

// favorable writes % favorable with its Wilson interval.
func (d dash) favorable(st report.Stat) string {
	if math.IsNaN(st.Favorable) {
		return d.T("results.not_shown")
	}
	if math.IsNaN(st.FavLow) || math.IsNaN(st.FavHigh) {
		return d.T("results.pct", "Pct", d.num(st.Favorable))
	}
	return d.T("results.pct_with_ci", "Pct", d.num(st.Favorable), "Low", d.num(st.FavLow), "High", d.num(st.FavHigh))
}

// schoolTables are the school page's tables for download: trends, the breakdown, response
// rates and items.
func (s *Server) schoolTables(rc *resultsCtx, school int64, by string, points []report.TrendPoint) []namedTable {
	wd, d := rc.wd, rc.d
	name := rc.schoolName(school)
	var out []namedTable
	for i, m := range wd.Measures() {
		t := namedTable{key: "trend-" + m, Table: export.Table{Name: d.T("trend.heading") + " " + d.measureName(m),
			Columns: []string{"school", "measure", "measure_name", "wave", "n", "mean", "se", "ci_low", "ci_high", "favorable", "note"}}}
		for _, p := range points {
			st := p.Measures[i]
			row := []export.Cell{export.Text(name), export.Text(m), export.Text(d.measureName(m)), export.Text(p.Wave.Name)}
			if st.Suppressed {
				row = append(row, export.Empty(), export.Empty(), export.Empty(), export.Empty(), export.Empty(), export.Empty(), export.Text(d.hidden(st)))
			} else {
				row = append(row, export.Int(st.N), round(st.Mean), round(st.SE), round(st.CILow), round(st.CIHigh), round(st.Favorable), export.Empty())
			}
			t.Rows = append(t.Rows, row)
		}
		out = append(out, t)
	}
	sub := namedTable{key: "subgroups", Table: export.Table{Name: d.T("subgroups.heading"), Columns: resultColumns}}
	if by != "" {
		for _, r := range wd.Results(school, by) {
			sub.Rows = append(sub.Rows, d.resultRow(name, r))
		}
	}
	rates := namedTable{key: "rates", Table: export.Table{Name: d.T("results.response_rate"), Columns: respondentColumns}}
	for _, r := range append(wd.Rows(school, "", ""), rateRows(wd, school, by)...) {
		rates.Rows = append(rates.Rows, d.respondentRow(name, r))
	}
	items := namedTable{key: "items", Table: export.Table{Name: d.T("items.heading"),
		Columns: []string{"school", "measure", "item", "text", "answers", "favorable", "favorable_low", "favorable_high", "note"}}}
	for _, it := range wd.Items(school) {
		row := []export.Cell{export.Text(name), export.Text(it.Measure), export.Text(it.Item), export.Text(d.itemText(it.Item))}
		if it.Suppressed {
			row = append(row, export.Empty(), export.Empty(), export.Empty(), export.Empty(), export.Text(d.hidden(it.Stat)))
		} else {
			row = append(row, export.Int(it.N), round(it.Favorable), round(it.FavLow), round(it.FavHigh), export.Empty())
		}
		items.Rows = append(items.Rows, row)
	}
	return append(out, sub, rates, items)
}

// trendTitle names a measure's trend chart: its score by wave, or its % favorable for a
// single-item measure.
func (d dash) trendTitle(measure, name string) string {
	if d.singleItem(measure) {
		return d.T("headline.chart_fav", "Measure", name)
	}
	return d.T("trend.chart", "Measure", name)
}
