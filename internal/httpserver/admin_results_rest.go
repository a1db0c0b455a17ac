package httpserver

import (
	"strconv"

	"github.com/trustpulse/trustpulse/internal/report"
)

// restView is a school's overall figures next to the rest of the district's (#16 line 3), for a
// viewer who does not see the district row. The rule of what the rest shows is report.RestCell's.
type restView struct {
	Caption  string
	Measures []string
	Rows     []restRow // the school, then the rest of the district
	Notes    []string  // why something is hidden or not compared, and that there is no breakdown
}

type restRow struct {
	Group  string
	N      string
	Hidden bool // the respondent count is hidden
	Cells  []score
}

// restView lays out the school's headline figures and rest's side by side, each measure as the
// school's own is shown (% favorable with its interval, the 0–100 score, change when the previous
// wave may be seen).
func (rc *resultsCtx) restView(school int64, rest report.Rest) *restView {
	wd, d := rc.wd, rc.d
	prevOK := rc.previousVisible()
	v := &restView{Caption: d.T("rest.caption", "School", rc.schoolName(school), "Wave", wd.Wave.Name)}
	own := restRow{Group: rc.schoolName(school)}
	if r := wd.Rows(school, "", "")[0]; r.Suppressed {
		own.N, own.Hidden = d.hidden(r.Stat), true
	} else {
		own.N = strconv.Itoa(r.N)
	}
	others := restRow{Group: d.T("rest.label", "Count", rest.Schools)}
	if rest.Respondents.Suppressed {
		others.N, others.Hidden = d.T("rest.hidden_cell"), true
	} else {
		others.N = strconv.Itoa(rest.Respondents.N)
	}
	someHidden := false
	for i, m := range wd.Measures() {
		v.Measures = append(v.Measures, d.measureName(m))
		own.Cells = append(own.Cells, d.score(wd.Rows(school, m, "")[0], prevOK))
		r := rest.Measures[i]
		someHidden = someHidden || r.Suppressed
		if r.Suppressed { // hidden by the rest's own rule, not the floor: it says so
			others.Cells = append(others.Cells, score{Suppressed: true, Text: d.T("rest.hidden_cell"), Band: -1})
			continue
		}
		others.Cells = append(others.Cells, d.score(r, prevOK && !rest.ChangeHidden))
	}
	v.Rows = []restRow{own, others}
	switch {
	case rest.Respondents.Suppressed:
		v.Notes = append(v.Notes, d.T("rest.hidden", "Min", report.RestMinSchools, "Count", wd.Floor))
	case someHidden:
		v.Notes = append(v.Notes, d.T("rest.hidden_some", "Min", report.RestMinSchools, "Count", wd.Floor))
	}
	if prevOK && rest.ChangeHidden && !rest.Respondents.Suppressed {
		v.Notes = append(v.Notes, d.T("rest.no_change", "Wave", wd.Previous.Name))
	}
	v.Notes = append(v.Notes, d.T("rest.no_breakdown"))
	return v
}
