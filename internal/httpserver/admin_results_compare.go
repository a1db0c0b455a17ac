package httpserver

import (
	"slices"

	"github.com/trustpulse/trustpulse/internal/report"
	"github.com/trustpulse/trustpulse/internal/store"
)

// comparisonRow is one of a measure's longer comparisons (#16 line 3): its label, the change with
// its 95% interval and whether it is clear, and the wave compared with.
type comparisonRow struct {
	Label, Text, Wave string
	Class             string // "up", "down" or ""
}

// visibleWave reports whether the viewer may open w's results (a comparison with it may be shown).
func (rc *resultsCtx) visibleWave(w *store.Wave) bool {
	return w != nil && slices.ContainsFunc(rc.waves, func(v store.Wave) bool { return v.ID == w.ID })
}

// longerComparisons are r's change since the first wave of the school year and since the same
// season last year, on % favorable for single-item measures, each with its interval; a comparison
// with a wave the viewer may not see is left out, and a missing wave is said so.
func (rc *resultsCtx) longerComparisons(r report.Row, fav bool) []comparisonRow {
	d, wd := rc.d, rc.wd
	var out []comparisonRow
	for _, c := range []struct {
		label, none  string
		w            *store.Wave
		score, favor *report.Compare
	}{
		{"compare.since_baseline", "compare.no_baseline", wd.Baseline, r.SinceBaseline, r.FavSinceBaseline},
		{"compare.year_over_year", "compare.no_year_ago", wd.YearAgo, r.YearOverYear, r.FavYearOverYear},
	} {
		row := comparisonRow{Label: d.T(c.label)}
		switch {
		case c.w == nil:
			row.Text = d.T(c.none)
		case !rc.visibleWave(c.w):
			continue
		default:
			cmp := c.score
			if fav {
				cmp = c.favor
			}
			row.Text, row.Class = d.changeWithInterval(cmp)
			row.Wave = d.T("compare.with_wave", "Wave", c.w.Name)
		}
		out = append(out, row)
	}
	return out
}

// changeWithInterval is a change's text followed by its 95% interval ("▲ up +6.2 (95% interval
// +2.1 to +10.3)"), or "not comparable".
func (d dash) changeWithInterval(c *report.Compare) (string, string) {
	text, class := d.change(c)
	if c == nil {
		return text, class
	}
	return d.T("compare.with_interval", "Change", text, "Low", d.signed(c.Low), "High", d.signed(c.High)), class
}
