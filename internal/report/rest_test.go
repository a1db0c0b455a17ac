package report

import (
	"math"
	"testing"

	"github.com/trustpulse/trustpulse/internal/survey"
)

// restCells is one wave's overall cells: for each school, n respondents who all score mean on
// measure "m" (and answer half their items favorably), and the respondent cell.
func restCells(schools map[int64]struct {
	n    int
	mean float64
}) Cells {
	cs := Cells{}
	for id, s := range schools {
		cs[Key{School: id}] = &Cell{N: s.n}
		cs[Key{School: id, Measure: "m"}] = &Cell{N: s.n, Sum: float64(s.n) * s.mean, SumSq: float64(s.n) * s.mean * s.mean,
			Favorable: s.n, Answered: 2 * s.n}
	}
	return cs
}

type school = struct {
	n    int
	mean float64
}

// mean is what a shown rest figure says.
func mean(c *Cell) float64 { return c.Sum / float64(c.N) }

// The attacks first: a viewer who knows their own schools' figures and any rest figure shown
// tries to read one other school's result from it.
func TestRestAttacks(t *testing.T) {
	const floor = 10
	t.Run("only one other school: the rest is that school", func(t *testing.T) {
		cs := restCells(map[int64]school{1: {40, 61}, 2: {30, 72}})
		if c := RestCell(cs, []int64{2}, "m", floor); !c.Suppressed || c.Why != HiddenFewSchools {
			t.Fatalf("leader of 1 sees school 2's mean %.1f as the rest of the district", mean(c))
		}
	})
	t.Run("one big school and tiny ones: the rest is the big school give or take a few", func(t *testing.T) {
		cs := restCells(map[int64]school{1: {40, 61}, 2: {200, 72}, 3: {3, 10}, 4: {4, 90}})
		c := RestCell(cs, []int64{2, 3, 4}, "m", floor)
		if !c.Suppressed {
			t.Fatalf("the rest (%.1f) reads as school 2's %.1f", mean(c), 72.0)
		}
		if c.N < floor {
			t.Fatal("the case must be one the floor alone would let through")
		}
	})
	t.Run("a leader of two schools subtracts the other back out of 'district minus this school'", func(t *testing.T) {
		// Leader of 1 and 2 looks at school 1. District minus school 1 is 2 + 3: two big schools,
		// so the rule alone would show it, and minus school 2 (theirs to see) it is school 3.
		cs := restCells(map[int64]school{1: {40, 61}, 2: {30, 50}, 3: {25, 80}})
		naive := RestCell(cs, []int64{2, 3}, "m", floor)
		if naive.Suppressed {
			t.Fatal("the naive row should pass the rule: that is the attack")
		}
		two := cs[Key{School: 2, Measure: "m"}]
		if got := (naive.Sum - two.Sum) / float64(naive.N-two.N); math.Abs(got-80) > 1e-9 {
			t.Fatalf("the subtraction gives %.1f, not school 3's 80", got)
		}
		// The rest of the district is the schools outside the scope: school 3 alone, hidden.
		if c := RestCell(cs, []int64{3}, "m", floor); !c.Suppressed {
			t.Fatal("the rest outside the scope {1, 2} shows school 3")
		}
	})
	t.Run("a school joins between waves: the change is mostly that school", func(t *testing.T) {
		wd := &WaveData{Instrument: &survey.Instrument{Measures: []survey.Measure{{ID: "m"}}}, Floor: floor}
		prev := restCells(map[int64]school{2: {30, 50}, 3: {30, 50}})
		cur := restCells(map[int64]school{2: {30, 50}, 3: {30, 50}, 4: {30, 95}})
		r := wd.restOf([]int64{2, 3, 4}, cur, nil, prev) // RestOfDistrict passes no previous schools when they differ
		if !r.ChangeHidden || r.Measures[0].Change != nil || r.Measures[0].FavChange != nil {
			t.Fatalf("change shown across different schools: %+v", r.Measures[0].Change)
		}
		if SameSchools([]int64{2, 3, 4}, []int64{2, 3}) || SameSchools([]int64{2, 3}, []int64{2, 4}) {
			t.Fatal("SameSchools takes different sets for the same")
		}
		// The same schools in both waves: the change is shown.
		r = wd.restOf([]int64{3, 2}, prev, []int64{2, 3}, restCells(map[int64]school{2: {30, 40}, 3: {30, 40}}))
		if r.ChangeHidden || r.Measures[0].Change == nil || math.Abs(r.Measures[0].Change.Diff-10) > 1e-9 {
			t.Fatalf("no change of +10 between the same schools: %+v", r.Measures[0].Change)
		}
	})
	t.Run("a measure few answered: the respondents pass, the measure does not", func(t *testing.T) {
		cs := restCells(map[int64]school{2: {30, 50}, 3: {30, 50}})
		cs[Key{School: 3, Measure: "m"}].N = 4
		if RestCell(cs, []int64{2, 3}, "", floor).Suppressed {
			t.Fatal("respondents hidden")
		}
		if !RestCell(cs, []int64{2, 3}, "m", floor).Suppressed {
			t.Fatal("the measure, answered by one school of the floor, is shown")
		}
	})
}

func TestRestCell(t *testing.T) {
	const floor = 10
	tests := []struct {
		name    string
		schools map[int64]school
		others  []int64
		shown   bool
		n       int
		mean    float64
	}{
		{"no other school", map[int64]school{1: {40, 50}}, nil, false, 0, 0},
		{"two at the floor", map[int64]school{1: {40, 50}, 2: {10, 40}, 3: {10, 60}}, []int64{2, 3}, true, 20, 50},
		{"one just under", map[int64]school{2: {10, 40}, 3: {9, 60}}, []int64{2, 3}, false, 19, 0},
		{"two big and a tiny one, all added", map[int64]school{2: {20, 40}, 3: {20, 60}, 4: {2, 100}}, []int64{2, 3, 4}, true, 42, (800 + 1200 + 200) / 42.0},
		{"a school of the wave with no responses", map[int64]school{2: {20, 40}, 3: {20, 60}}, []int64{2, 3, 9}, true, 40, 50},
		{"one big school and one at the floor: the big one, give or take", map[int64]school{2: {500, 40}, 3: {10, 60}}, []int64{2, 3}, false, 510, 0},
		{"the largest at exactly three quarters", map[int64]school{2: {30, 40}, 3: {10, 60}}, []int64{2, 3}, true, 40, 45},
		{"the largest just over three quarters", map[int64]school{2: {31, 40}, 3: {10, 60}}, []int64{2, 3}, false, 41, 0},
		{"cells of schools not asked for are left out", map[int64]school{1: {100, 0}, 2: {20, 40}, 3: {20, 60}}, []int64{2, 3}, true, 40, 50},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := RestCell(restCells(tc.schools), tc.others, "m", floor)
			if c.Suppressed == tc.shown {
				t.Fatalf("suppressed %v, want shown %v", c.Suppressed, tc.shown)
			}
			if c.N != tc.n {
				t.Errorf("n %d, want %d", c.N, tc.n)
			}
			st := statOf(c)
			if tc.shown && (math.Abs(st.Mean-tc.mean) > 1e-9 || math.Abs(st.Favorable-50) > 1e-9) {
				t.Errorf("mean %.3f, favorable %.1f; want %.3f, 50", st.Mean, st.Favorable, tc.mean)
			}
			if !tc.shown && (st.N != 0 || st.Why != HiddenFewSchools) {
				t.Errorf("a hidden rest shows %+v", st)
			}
		})
	}
}
