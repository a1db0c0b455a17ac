package report

import (
	"cmp"
	"math"
	"slices"

	"github.com/trustpulse/trustpulse/internal/survey"
)

// Highlights are what a printed school report leads with after the headline measures: the
// questions the school does best and worst on, and its clearest gaps between groups. They are
// picked from shown cells only (the same suppressed cells as every results page), so a hidden
// group or item never appears, not even by its rank.
type Highlights struct {
	Strongest, Weakest []ItemRow // by % favorable, highest first / lowest first; never the same item in both
	Gaps               []GapRow  // flagged gaps, largest first
}

// GapRow is one group's flagged gap against the rest of its school on one measure. Points is
// true for a single-item measure, whose gap is on % favorable in percentage points.
type GapRow struct {
	Row
	Gap    Compare
	Points bool
}

// Highlights picks a school's (0: the district's) n strongest and n weakest items and its n
// largest flagged gaps over every breakdown the wave reports.
func (wd *WaveData) Highlights(school int64, n int) Highlights {
	var h Highlights
	h.Strongest, h.Weakest = StrongestWeakest(wd.Items(school), n)
	var rows []Row
	for _, a := range wd.Attributes {
		rows = append(rows, wd.Results(school, a)...)
	}
	h.Gaps = BiggestGaps(wd.Instrument, rows, n)
	return h
}

// StrongestWeakest returns the n shown items with the highest % favorable (highest first) and
// the n with the lowest (lowest first). With fewer than 2n shown items they are split between the
// two lists (the stronger half first), so no item is in both; ties keep the instrument's order.
func StrongestWeakest(items []ItemRow, n int) (strongest, weakest []ItemRow) {
	shown := slices.DeleteFunc(slices.Clone(items), func(it ItemRow) bool { return it.Suppressed || math.IsNaN(it.Favorable) })
	if n <= 0 || len(shown) == 0 {
		return nil, nil
	}
	slices.SortStableFunc(shown, func(a, b ItemRow) int { return cmp.Compare(b.Favorable, a.Favorable) })
	top := min(n, (len(shown)+1)/2)
	bottom := min(n, len(shown)-top)
	strongest = shown[:top]
	for i := len(shown) - 1; i >= len(shown)-bottom; i-- {
		weakest = append(weakest, shown[i])
	}
	return strongest, weakest
}

// BiggestGaps lists the flagged gaps among rows (shown groups of any breakdown), largest in
// absolute size first, at most n. A single-item measure's gap is its % favorable gap; other
// measures' is the score gap (both on 0–100 scales, both flagged at GapPoints).
func BiggestGaps(in *survey.Instrument, rows []Row, n int) []GapRow {
	single := map[string]bool{}
	for _, m := range in.Measures {
		single[m.ID] = m.SingleItem
	}
	var out []GapRow
	for _, r := range rows {
		if r.Suppressed || r.Attribute == "" || r.Measure == "" {
			continue
		}
		g := r.Gap
		if single[r.Measure] {
			g = r.FavGap
		}
		if g == nil || !g.Flagged {
			continue
		}
		out = append(out, GapRow{Row: r, Gap: *g, Points: single[r.Measure]})
	}
	slices.SortStableFunc(out, func(a, b GapRow) int { return cmp.Compare(math.Abs(b.Gap.Diff), math.Abs(a.Gap.Diff)) })
	if len(out) > n {
		out = out[:n]
	}
	return out
}
