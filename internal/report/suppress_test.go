package report

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/trustpulse/trustpulse/internal/store"
	"github.com/trustpulse/trustpulse/internal/survey"
)

// grid builds a wave's respondent cells from counts per school and value of one attribute,
// with the school and district totals that make the additive lines.
func grid(counts map[int64]map[string]int) Cells {
	cs := Cells{}
	for school, byValue := range counts {
		for v, n := range byValue {
			for _, s := range []int64{school, 0} {
				cs.at(Key{School: s, Attribute: "gender", Value: v}).N += n
				cs.at(Key{School: s}).N += n
			}
		}
	}
	return cs
}

// attack plays an attacker who knows every shown cell and the additive lines: any line with one
// unknown is solved, and the solved cell joins what is known, until nothing more can be solved.
// The attacker is also granted every empty cell (n = 0) from the start, the worst case for the
// rule that lets them be solved. It returns the breaches: hidden one-way cells it recovered (the
// complementary scheme needs every one of them unknown), and hidden two-way cells under the floor.
// A two-way cell of floor or more in a withheld table may be solvable — with one value of the
// other attribute it is simply its one-way cell — and is harmless unless the chain goes on.
func attack(cs Cells, floor int) []Key {
	known := map[Key]bool{}
	for k, c := range cs {
		known[k] = !c.Suppressed || c.N == 0
	}
	var recovered []Key
	for progress := true; progress; {
		progress = false
		for _, l := range allLines(cs) {
			var unknown []Key
			for _, k := range append([]Key{l.total}, l.parts...) {
				if !known[k] {
					unknown = append(unknown, k)
				}
			}
			if len(unknown) == 1 {
				k := unknown[0]
				known[k] = true
				if !IsPair(k.Attribute) || cs[k].N < floor {
					recovered = append(recovered, k)
				}
				progress = true
			}
		}
	}
	return recovered
}

// allLines is every additive identity an attacker can write down: the ones Suppress protects,
// plus those of the two-way tables, which Suppress handles whole instead — a two-way row or column
// sums to a one-way cell, and the schools' two-way cells sum to the district's.
func allLines(cs Cells) []line {
	out := linesOf(cs)
	rows, cols, district := map[Key][]Key{}, map[Key][]Key{}, map[Key][]Key{}
	for k := range cs {
		a, b, ok := SplitPair(k.Attribute)
		if !ok || k.Item != "" {
			continue
		}
		va, vb, _ := strings.Cut(k.Value, ",")
		ra := Key{School: k.School, Measure: k.Measure, Attribute: a, Value: va}
		rb := Key{School: k.School, Measure: k.Measure, Attribute: b, Value: vb}
		rows[ra] = append(rows[ra], k)
		cols[rb] = append(cols[rb], k)
		if k.School != 0 {
			d := k
			d.School = 0
			district[d] = append(district[d], k)
		}
	}
	for _, m := range []map[Key][]Key{rows, cols, district} {
		for total, parts := range m {
			if cs[total] != nil {
				out = append(out, line{total: total, parts: sortKeys(parts)})
			}
		}
	}
	return out
}

// smallUnions finds lines whose shown total and shown parts reveal the combined hidden parts as
// one group smaller than the floor.
func smallUnions(cs Cells, floor int) []line {
	var out []line
	for _, l := range allLines(cs) {
		if cs[l.total].Suppressed {
			continue
		}
		hidden := 0
		for _, k := range l.parts {
			if cs[k].Suppressed {
				hidden += cs[k].N
			}
		}
		if hidden > 0 && hidden < floor {
			out = append(out, l)
		}
	}
	return out
}

func TestSuppress(t *testing.T) {
	const a, b = 1, 2
	tests := []struct {
		name   string
		counts map[int64]map[string]int
		hidden []Key // exactly these respondent cells are hidden
	}{
		{"everyone big enough", map[int64]map[string]int{a: {"f": 20, "m": 30}, b: {"f": 15, "m": 12}}, nil},
		{"one small group takes the smallest sibling with it", map[int64]map[string]int{a: {"f": 20, "m": 30, "x": 3}, b: {"f": 40, "m": 50}},
			// District x is school a's x, so it is hidden too, and takes district f with it; f is then
			// hidden in a column of two hidden cells, which nothing can split.
			[]Key{{School: a, Attribute: "gender", Value: "x"}, {School: a, Attribute: "gender", Value: "f"},
				{School: 0, Attribute: "gender", Value: "x"}, {School: 0, Attribute: "gender", Value: "f"}}},
		{"a small school hides entirely and takes another school with it", map[int64]map[string]int{a: {"f": 4, "m": 3}, b: {"f": 40, "m": 50}},
			// Otherwise school a would be the district minus school b.
			[]Key{{School: a}, {School: a, Attribute: "gender", Value: "f"}, {School: a, Attribute: "gender", Value: "m"},
				{School: b}, {School: b, Attribute: "gender", Value: "f"}, {School: b, Attribute: "gender", Value: "m"}}},
		{"an invited group with no respondents hides nothing else", map[int64]map[string]int{a: {"f": 20, "m": 30, "x": 0}, b: {"f": 15, "m": 12}},
			[]Key{{School: a, Attribute: "gender", Value: "x"}, {School: 0, Attribute: "gender", Value: "x"}}},
		{"an empty group does not protect a small one", map[int64]map[string]int{a: {"f": 20, "m": 30, "x": 3, "y": 0}, b: {"f": 40, "m": 50}},
			[]Key{{School: a, Attribute: "gender", Value: "x"}, {School: a, Attribute: "gender", Value: "f"}, {School: a, Attribute: "gender", Value: "y"},
				{School: 0, Attribute: "gender", Value: "x"}, {School: 0, Attribute: "gender", Value: "f"}, {School: 0, Attribute: "gender", Value: "y"}}},
		{"a grade nobody answered from leaves the rest shown", map[int64]map[string]int{a: {"not_recorded": 242, "03": 0, "04": 0}, b: {"not_recorded": 177, "09": 0}},
			[]Key{{School: a, Attribute: "gender", Value: "03"}, {School: a, Attribute: "gender", Value: "04"}, {School: b, Attribute: "gender", Value: "09"},
				{School: 0, Attribute: "gender", Value: "03"}, {School: 0, Attribute: "gender", Value: "04"}, {School: 0, Attribute: "gender", Value: "09"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cs := grid(tt.counts)
			Suppress(cs, 10)
			want := map[Key]bool{}
			for _, k := range tt.hidden {
				want[k] = true
			}
			for k, c := range cs {
				if c.Suppressed != want[k] {
					t.Errorf("%+v (n=%d): suppressed = %v, want %v", k, c.N, c.Suppressed, want[k])
				}
			}
			if r := attack(cs, 10); len(r) > 0 {
				t.Errorf("recovered hidden cells %v", r)
			}
		})
	}
}

// TestSuppressResistsRecovery throws random districts at the rules and attacks each result:
// subtraction from totals, from sibling rows and across schools, chained as far as it goes.
func TestSuppressResistsRecovery(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	shownTables, hiddenTables := 0, 0
	defer func() {
		// Both outcomes must occur, or the trials say nothing about two-way tables.
		if shownTables == 0 || hiddenTables == 0 {
			t.Errorf("two-way tables: %d shown, %d hidden over the trials; want some of each", shownTables, hiddenTables)
		}
	}()
	for trial := range 500 {
		// People with two attributes each, so the same school total splits two ways.
		cs := Cells{}
		counts := map[int64]int{}
		for s := range 1 + rng.IntN(5) {
			school := int64(s + 1)
			counts[school] = 1 + rng.IntN(160)
			genders, grades := 1+rng.IntN(4), 1+rng.IntN(5)
			for range counts[school] {
				g := store.Attrs{"gender": fmt.Sprint("g", rng.IntN(genders)), "grade": fmt.Sprint(rng.IntN(grades))}
				cs.Add(&survey.Instrument{}, []string{"gender", "grade", Pair("gender", "grade")}, Response{School: school, Groups: g})
			}
			if rng.IntN(4) == 0 { // an invited combination nobody from answered
				cs.at(Key{School: school, Attribute: Pair("gender", "grade"), Value: "g0,empty"})
				cs.at(Key{Attribute: Pair("gender", "grade"), Value: "g0,empty"})
				cs.at(Key{School: school, Attribute: "grade", Value: "empty"})
				cs.at(Key{Attribute: "grade", Value: "empty"})
			}
			// Groups invited but with nobody answering: empty cells, as invitations make them.
			for v := range rng.IntN(3) {
				cs.at(Key{School: school, Attribute: "grade", Value: fmt.Sprint("empty", v)})
				cs.at(Key{Attribute: "grade", Value: fmt.Sprint("empty", v)})
			}
		}
		floor := 5 + rng.IntN(8)
		Suppress(cs, floor)
		if r := attack(cs, floor); len(r) > 0 {
			t.Fatalf("trial %d (floor %d, %v): recovered %v", trial, floor, counts, r)
		}
		if u := smallUnions(cs, floor); len(u) > 0 {
			t.Fatalf("trial %d (floor %d, %v): hidden parts of %+v add up to fewer than the floor", trial, floor, counts, u[0].total)
		}
		for k, c := range cs {
			if c.N < floor && !c.Suppressed {
				t.Fatalf("trial %d: %+v with n=%d is shown under floor %d", trial, k, c.N, floor)
			}
			if IsPair(k.Attribute) && k.Measure == "" && c.N > 0 {
				if c.Suppressed {
					hiddenTables++
				} else {
					shownTables++
				}
			}
		}
	}
}

func TestSuppressFollowsRespondentCells(t *testing.T) {
	cs := grid(map[int64]map[string]int{1: {"f": 20, "m": 30, "x": 3}})
	// The measure cells of the protected sibling are big enough on their own but must follow it.
	for k, c := range cs {
		mk := k
		mk.Measure = "trust"
		cs[mk] = &Cell{N: c.N, Sum: 50 * float64(c.N)}
	}
	cs[Key{School: 1, Measure: "trust", Item: "t1"}] = &Cell{N: 53}
	Suppress(cs, 10)
	for _, v := range []string{"x", "f"} {
		if !cs[Key{School: 1, Measure: "trust", Attribute: "gender", Value: v}].Suppressed {
			t.Errorf("measure cell of hidden group %s is shown", v)
		}
	}
	if cs[Key{School: 1, Measure: "trust", Attribute: "gender", Value: "m"}].Suppressed {
		t.Error("measure cell of a shown group is hidden")
	}
	if r := attack(cs, 10); len(r) > 0 {
		t.Errorf("recovered %v", r)
	}
}

func TestCompareValues(t *testing.T) {
	got := []string{NotRecorded, "10", "9", "K", "12", "female"}
	sortValues := func(vs []string) []string {
		out := append([]string(nil), vs...)
		for i := range out {
			for j := i + 1; j < len(out); j++ {
				if compareValues(out[j], out[i]) < 0 {
					out[i], out[j] = out[j], out[i]
				}
			}
		}
		return out
	}
	want := []string{"9", "10", "12", "K", "female", NotRecorded}
	if s := sortValues(got); fmt.Sprint(s) != fmt.Sprint(want) {
		t.Errorf("order = %v, want %v", s, want)
	}
}
