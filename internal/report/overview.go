package report

import (
	"cmp"
	"math"
	"slices"

	"github.com/trustpulse/trustpulse/internal/survey"
)

// Weakest is the relationship a school's results are weakest on: of the instrument's measures
// that name a relationship (relationship trust, belonging, connection), the one with the lowest
// % favorable among the shown rows — % favorable, unlike scores, reads the same across measures.
// It is "" when fewer than two such measures are shown (nothing to compare) or when the lowest is
// tied. rows are one school's overall rows (Results(school, "")).
func Weakest(in *survey.Instrument, rows []Row) string {
	type cand struct {
		id  string
		fav float64
	}
	var cs []cand
	for _, m := range in.Measures {
		if m.Relationship == "" {
			continue
		}
		i := slices.IndexFunc(rows, func(r Row) bool { return r.Measure == m.ID && r.Attribute == "" })
		if i < 0 || rows[i].Suppressed || math.IsNaN(rows[i].Favorable) {
			continue
		}
		cs = append(cs, cand{m.ID, rows[i].Favorable})
	}
	if len(cs) < 2 {
		return ""
	}
	slices.SortStableFunc(cs, func(a, b cand) int { return cmp.Compare(a.fav, b.fav) })
	if cs[0].fav == cs[1].fav {
		return ""
	}
	return cs[0].id
}

// SortKey is how a school ranks when schools are sorted by a measure: its % favorable, lowest
// first; a school whose result is hidden (or has none) sorts after every shown one.
func SortKey(r Row) (hidden bool, fav float64) {
	if r.Suppressed || math.IsNaN(r.Favorable) {
		return true, 0
	}
	return false, r.Favorable
}

// CompareBy orders two schools' rows of one measure for a sorted overview: shown before hidden,
// then lowest % favorable first.
func CompareBy(a, b Row) int {
	ha, fa := SortKey(a)
	hb, fb := SortKey(b)
	if ha != hb {
		if ha {
			return 1
		}
		return -1
	}
	return cmp.Compare(fa, fb)
}
