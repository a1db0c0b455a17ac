package httpserver

import (
	"strconv"

	"github.com/trustpulse/trustpulse/internal/survey"
)

// indicatorsView is the school page's attendance and courses table (#15 line 3): chronic absence
// and course failure by the page's breakdown, under the same floor as the trust measures.
type indicatorsView struct {
	Caption, Note string
	Rows          []indicatorRow
}

type indicatorRow struct {
	Group            string
	Chronic, Failing string
	Hidden           bool
}

// indicatorsFor builds the table for a school's student wave, or nil when there is nothing to show
// (the district row, a staff or family wave, no grading period imported).
func (s *Server) indicatorsFor(rc *resultsCtx, school int64, by string) (*indicatorsView, error) {
	if school == districtRow || rc.wd == nil || rc.wd.Wave.Audience != string(survey.Student) {
		return nil, nil
	}
	rates, err := s.Success.SchoolRates(rc.c.Request().Context(), rc.p.User.DistrictID, school, by, rc.wd.Floor)
	if err != nil || rates == nil {
		return nil, err
	}
	d := rc.d
	v := &indicatorsView{Note: d.T("indicator_rates.note", "Floor", rc.wd.Floor)}
	pct := func(count, n int) string {
		return d.T("indicator_rates.rate", "Pct", strconv.FormatFloat(100*float64(count)/float64(n), 'f', 1, 64), "Count", count, "N", n)
	}
	for _, g := range rates.Groups {
		row := indicatorRow{Group: d.groupName(g.Attribute, g.Value), Hidden: g.Hidden}
		if g.Attribute == "" {
			row.Group = d.groupName("", "all")
			v.Caption = d.T("indicator_rates.caption", "Period", rates.Period.Name, "Students", g.N)
		}
		if g.Hidden {
			row.Chronic = d.T("indicator_rates.hidden", "Floor", rc.wd.Floor)
			row.Failing = row.Chronic
		} else {
			row.Chronic, row.Failing = pct(g.Counts[0], g.N), pct(g.Counts[1], g.N)
		}
		v.Rows = append(v.Rows, row)
	}
	if v.Caption == "" {
		v.Caption = d.T("indicator_rates.caption", "Period", rates.Period.Name, "Students", "–")
	}
	return v, nil
}
