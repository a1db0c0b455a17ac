package report

import (
	"math"

	"github.com/trustpulse/trustpulse/internal/scoring"
)

// GapPoints is the smallest difference, on the 0–100 scale, that is flagged: half a reporting
// band. Smaller gaps can be statistically clear in a big school and still not matter.
const GapPoints = 5

// Stat is what may be shown about one group. A suppressed Stat carries no number at all: callers
// show "fewer than N responses" and nothing else.
type Stat struct {
	Suppressed bool
	// Why says why a suppressed Stat is hidden (see Hidden); "" for a shown one or a group with no
	// cell at all.
	Why Hidden
	N   int
	// Mean, SE and the 95% interval are on the 0–100 reporting scale.
	Mean, SE, CILow, CIHigh float64
	// Favorable is the percentage of answered items in the top two categories, pooled over the
	// group's answers; FavLow/FavHigh is its Wilson interval with the group's respondents as n.
	Favorable, FavLow, FavHigh float64
	// Dist is the percentage of respondents in each band, weakest first.
	Dist [5]float64
	// Invited and Rate (percent) are set on respondent cells where invitations are known; Rate
	// is NaN otherwise.
	Invited int
	Rate    float64
}

// Compare is a difference between two groups (a gap) or two waves (a change), with its 95%
// interval; Flagged when the interval excludes zero and the difference is at least GapPoints.
type Compare struct {
	Diff, Low, High float64
	Flagged         bool
}

func (c *Cell) moments() scoring.Moments { return scoring.Moments{N: c.N, Sum: c.Sum, SumSq: c.SumSq} }

// statOf turns a cell into what may be shown of it; a missing or hidden cell shows nothing.
func statOf(c *Cell) Stat {
	if c == nil {
		return Stat{Suppressed: true}
	}
	if c.Suppressed {
		return Stat{Suppressed: true, Why: c.Why}
	}
	m := c.moments()
	st := Stat{N: c.N, Mean: m.Mean(), SE: m.SE(), Favorable: math.NaN(), FavLow: math.NaN(), FavHigh: math.NaN(), Rate: math.NaN(), Invited: c.Invited}
	st.CILow, st.CIHigh = m.CI95()
	if c.Answered > 0 {
		p := float64(c.Favorable) / float64(c.Answered)
		st.Favorable = 100 * p
		// Answers from one person are not independent, so the interval is as wide as the
		// respondents (not the answers) allow.
		lo, hi := scoring.Wilson(int(math.Round(p*float64(c.N))), c.N)
		st.FavLow, st.FavHigh = 100*lo, 100*hi
	}
	total := 0
	for _, k := range c.Cats {
		total += k
	}
	if total > 0 {
		for i, k := range c.Cats {
			st.Dist[i] = 100 * float64(k) / float64(total)
		}
	}
	if c.Invited > 0 {
		st.Rate = 100 * float64(c.N) / float64(c.Invited)
	}
	return st
}

// gap compares a group with the rest of its school: the school's cell minus the group's. Nothing
// is compared unless both cells are shown and the rest is itself at least floor respondents.
func gap(group, total *Cell, floor int) *Compare {
	if group == nil || total == nil || group.Suppressed || total.Suppressed || total.N-group.N < floor {
		return nil
	}
	g, t := group.moments(), total.moments()
	rest := scoring.Moments{N: t.N - g.N, Sum: t.Sum - g.Sum, SumSq: t.SumSq - g.SumSq}
	return compare(g, rest)
}

// change compares a group with the same group in the previous wave; both must be shown.
func change(cur, prev *Cell) *Compare {
	if cur == nil || prev == nil || cur.Suppressed || prev.Suppressed {
		return nil
	}
	return compare(cur.moments(), prev.moments())
}

func compare(a, b scoring.Moments) *Compare {
	d, lo, hi, flagged := scoring.GapTest(a, b, GapPoints)
	if math.IsNaN(d) {
		return nil
	}
	return &Compare{Diff: d, Low: lo, High: hi, Flagged: flagged}
}

// favGap compares a group's % favorable with the rest of its school's, under the same conditions
// as gap: both cells shown and the rest at least floor respondents.
func favGap(group, total *Cell, floor int) *Compare {
	if group == nil || total == nil || group.Suppressed || total.Suppressed || total.N-group.N < floor {
		return nil
	}
	return favCompare(group.Favorable, group.Answered, group.N, total.Favorable-group.Favorable, total.Answered-group.Answered, total.N-group.N)
}

// favChange compares a group's % favorable with the same group's in the previous wave.
func favChange(cur, prev *Cell) *Compare {
	if cur == nil || prev == nil || cur.Suppressed || prev.Suppressed {
		return nil
	}
	return favCompare(cur.Favorable, cur.Answered, cur.N, prev.Favorable, prev.Answered, prev.N)
}

// favCompare is the difference of two % favorable in percentage points with Newcombe's interval.
// As for one group's interval (statOf), each side counts as many trials as it has respondents, at
// its pooled share of favorable answers; Flagged as for scores (interval excludes zero, at least
// GapPoints).
func favCompare(favA, answeredA, nA, favB, answeredB, nB int) *Compare {
	if answeredA <= 0 || answeredB <= 0 || nA <= 0 || nB <= 0 {
		return nil
	}
	pa, pb := float64(favA)/float64(answeredA), float64(favB)/float64(answeredB)
	_, lo, hi := scoring.NewcombeDiff(int(math.Round(pa*float64(nA))), nA, int(math.Round(pb*float64(nB))), nB)
	if math.IsNaN(lo) {
		return nil
	}
	d := 100 * (pa - pb)
	lo, hi = 100*lo, 100*hi
	return &Compare{Diff: d, Low: lo, High: hi, Flagged: (lo > 0 || hi < 0) && math.Abs(d) >= GapPoints}
}
