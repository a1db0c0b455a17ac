package report

import (
	"math"
	"testing"
)

// TestStatFavorable: % favorable is pooled over a group's answers, and its Wilson interval counts
// the group's respondents, not its answers (one person's answers are not independent).
func TestStatFavorable(t *testing.T) {
	tests := []struct {
		name         string
		cell         Cell
		fav, lo, hi  float64
		wantInterval bool
	}{
		// 5 of 10 respondents' worth: Wilson(5, 10).
		{"half", Cell{N: 10, Favorable: 20, Answered: 40}, 50, 23.6593090512564, 76.3406909487436, true},
		// a single-item measure: answers are respondents.
		{"single item", Cell{N: 23, Favorable: 17, Answered: 23}, 100 * 17.0 / 23, 53.5299951625746, 87.4513839550137, true},
		{"none favorable", Cell{N: 10, Favorable: 0, Answered: 37}, 0, 0, 27.7532799862889, true},
		{"nothing answered", Cell{N: 10}, math.NaN(), math.NaN(), math.NaN(), false},
	}
	for _, tt := range tests {
		st := statOf(&tt.cell)
		same := func(a, b float64) bool { return math.IsNaN(a) && math.IsNaN(b) || math.Abs(a-b) < 1e-9 }
		if !same(st.Favorable, tt.fav) || !same(st.FavLow, tt.lo) || !same(st.FavHigh, tt.hi) {
			t.Errorf("%s: %% favorable %g (%g–%g), want %g (%g–%g)", tt.name, st.Favorable, st.FavLow, st.FavHigh, tt.fav, tt.lo, tt.hi)
		}
	}
	if st := statOf(&Cell{N: 3, Favorable: 3, Answered: 3, Suppressed: true}); !st.Suppressed || st.Favorable != 0 || st.N != 0 {
		t.Errorf("a hidden cell shows %+v", st)
	}
}

// TestFavCompare: differences of % favorable in percentage points with Newcombe's interval, flagged
// only when the interval excludes zero and the difference is at least GapPoints; the rest of the
// school must itself clear the floor.
func TestFavCompare(t *testing.T) {
	tests := []struct {
		name        string
		a, b        Cell
		diff        float64
		lo, hi      float64
		flagged     bool
		nilExpected bool
	}{
		{"clear", Cell{N: 70, Favorable: 56, Answered: 70}, Cell{N: 80, Favorable: 48, Answered: 80}, 20, 5.24, 33.39, true, false},
		{"not clear", Cell{N: 10, Favorable: 6, Answered: 10}, Cell{N: 10, Favorable: 5, Answered: 10}, 10, -30, 45, false, false},
		{"hidden side", Cell{N: 70, Favorable: 56, Answered: 70}, Cell{N: 8, Favorable: 1, Answered: 8, Suppressed: true}, 0, 0, 0, false, true},
	}
	for _, tt := range tests {
		got := favChange(&tt.a, &tt.b)
		if tt.nilExpected {
			if got != nil {
				t.Errorf("%s: %+v, want nothing", tt.name, got)
			}
			continue
		}
		if got == nil || math.Abs(got.Diff-tt.diff) > 1e-9 || got.Flagged != tt.flagged || (tt.flagged && (math.Abs(got.Low-tt.lo) > 0.01 || math.Abs(got.High-tt.hi) > 0.01)) {
			t.Errorf("%s: %+v, want %g (%g–%g) flagged %v", tt.name, got, tt.diff, tt.lo, tt.hi, tt.flagged)
		}
	}
	total := &Cell{N: 25, Favorable: 20, Answered: 25}
	group := &Cell{N: 18, Favorable: 17, Answered: 18}
	if g := favGap(group, total, 10); g != nil {
		t.Errorf("gap against a rest of 7 < floor 10: %+v", g)
	}
	if g := favGap(group, &Cell{N: 40, Favorable: 20, Answered: 40}, 10); g == nil || math.Abs(g.Diff-(100*17.0/18-100*3.0/22)) > 1e-9 {
		t.Errorf("gap against the rest: %+v", g)
	}
}
